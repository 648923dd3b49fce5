//! The inspector's memory: the last N exchanges, each a [`Row`] (built from the request's
//! [`AccessRecord`], the one record the access log gets too) and its [`ExchangeDetail`].
//! Adding the N+1th drops the oldest, so memory stays bounded whatever the traffic.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::Serialize;

use super::capture::ExchangeDetail;
use crate::access_log::AccessRecord;

/// How the auth gate decided, as the requests table shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum AuthDecision {
    /// An auth policy allowed the request.
    Allow,
    /// An auth policy (or the lack of one, on `AWS_IAM`) denied it.
    Deny,
    /// The signature failed, or was made for another service: refused before any policy.
    BadSignature,
    /// No policy applies (auth type `NONE`).
    NoPolicy,
    /// The request was refused before the auth gate (unknown host, non-canonical path).
    NotReached,
}

/// One line of the requests table.
#[derive(Clone, Debug, Serialize)]
pub struct Row {
    /// Stable id of the exchange (`/api/exchanges/{id}`), increasing.
    pub id: u64,
    /// When the request head arrived, in milliseconds since the Unix epoch.
    pub time_ms: u64,
    /// The service, if one was resolved.
    pub service: Option<String>,
    /// Method.
    pub method: String,
    /// Path (never the query: it may carry credentials).
    pub path: String,
    /// Matched rule (logical id) or `default`.
    pub rule: Option<String>,
    /// The verified principal; `None` for an unsigned request.
    pub principal: Option<String>,
    /// How the auth gate decided.
    pub decision: AuthDecision,
    /// The auth policy statement that decided (`service:<Sid>`, `service:no-statement-allowed`,
    /// `service:no-policy`), when a policy was evaluated.
    pub statement: Option<String>,
    /// What answered (`lambda:<function>`, `http:<url>`, `fixed-response`).
    pub target: Option<String>,
    /// Status sent to the client.
    pub status: u16,
    /// Milliseconds from the request head to the response head.
    pub latency_ms: f64,
    /// Why the request was refused or failed.
    pub reason: Option<&'static str>,
}

/// The auth decision a record shows. The refusal reasons are [`crate::dataplane::Rejection`]'s.
fn decision(record: &AccessRecord) -> AuthDecision {
    match record.reason {
        Some("denied-by-auth-policy") => AuthDecision::Deny,
        Some("bad-signature" | "signed-for-other-service") => AuthDecision::BadSignature,
        Some("foreign-host" | "unknown-service" | "non-canonical-path") => AuthDecision::NotReached,
        _ if record.auth.is_some() => AuthDecision::Allow,
        _ if record.service.is_some() => AuthDecision::NoPolicy,
        _ => AuthDecision::NotReached,
    }
}

impl Row {
    /// The row of `record`, which arrived at `started`.
    pub fn new(id: u64, record: &AccessRecord, started: SystemTime) -> Self {
        let time_ms = started
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
        Row {
            id,
            time_ms,
            service: record.service.as_deref().map(str::to_owned),
            method: record.method.as_str().to_owned(),
            path: record.path().to_owned(),
            rule: record.rule.as_deref().map(str::to_owned),
            principal: record.caller.as_ref().and_then(|c| c.principal.clone()),
            decision: decision(record),
            statement: record.auth.as_deref().map(str::to_owned),
            target: record.target.as_deref().map(str::to_owned),
            status: record.status.as_u16(),
            latency_ms: record.latency.as_secs_f64() * 1000.0,
            reason: record.reason,
        }
    }
}

/// One exchange kept.
#[derive(Debug)]
pub struct Entry {
    /// Its table row.
    pub row: Row,
    /// Its details.
    pub detail: ExchangeDetail,
}

/// The last `capacity` exchanges, oldest first.
#[derive(Debug)]
pub(crate) struct Ring {
    capacity: usize,
    next_id: u64,
    entries: VecDeque<Arc<Entry>>,
}

impl Ring {
    pub fn new(capacity: usize) -> Self {
        Ring {
            capacity,
            next_id: 1,
            entries: VecDeque::with_capacity(capacity.min(1024)),
        }
    }

    /// Keeps the exchange `record` describes (dropping the oldest past the capacity) and
    /// returns it.
    pub fn push(&mut self, record: &AccessRecord, detail: ExchangeDetail) -> Arc<Entry> {
        let id = self.next_id;
        self.next_id += 1;
        let started = detail.started.unwrap_or_else(SystemTime::now);
        let entry = Arc::new(Entry {
            row: Row::new(id, record, started),
            detail,
        });
        if self.capacity == 0 {
            return entry;
        }
        while self.entries.len() >= self.capacity {
            self.entries.pop_front();
        }
        self.entries.push_back(Arc::clone(&entry));
        entry
    }

    /// Every row kept, oldest first.
    pub fn rows(&self) -> Vec<Row> {
        self.entries.iter().map(|e| e.row.clone()).collect()
    }

    /// The exchange `id`, if still kept.
    pub fn get(&self, id: u64) -> Option<Arc<Entry>> {
        // Ids increase along the ring: the position is known without a search.
        let first = self.entries.front()?.row.id;
        let index = usize::try_from(id.checked_sub(first)?).ok()?;
        self.entries.get(index).filter(|e| e.row.id == id).cloned()
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use http::{Method, Uri};
    use lattice_lambda::Identity;

    use super::*;

    fn record(reason: Option<&'static str>, auth: Option<&str>) -> AccessRecord {
        let mut record = AccessRecord::new(
            UNIX_EPOCH,
            Method::GET,
            Uri::from_static("/app?X-Amz-Signature=abc"),
            "127.0.0.1:4000".parse().unwrap(),
        );
        record.service = Some("eks-app".into());
        record.rule = Some("EksAppRule".into());
        record.latency = Duration::from_micros(1500);
        record.reason = reason;
        record.caller = Some(Identity {
            principal: Some("arn:aws:iam::000000000000:role/r".into()),
            ..Identity::default()
        });
        record.auth = auth.map(Arc::from);
        record
    }

    #[test]
    fn rows_show_the_path_without_query_the_principal_and_the_decision() {
        let row = Row::new(7, &record(None, Some("service:AllowRole")), UNIX_EPOCH);
        assert_eq!(row.path, "/app");
        assert_eq!(
            row.principal.as_deref(),
            Some("arn:aws:iam::000000000000:role/r")
        );
        assert_eq!(row.decision, AuthDecision::Allow);
        assert_eq!(row.statement.as_deref(), Some("service:AllowRole"));
        assert_eq!(row.latency_ms, 1.5);
        let denied = record(
            Some("denied-by-auth-policy"),
            Some("service:no-statement-allowed"),
        );
        assert_eq!(decision(&denied), AuthDecision::Deny);
        assert_eq!(
            decision(&record(Some("bad-signature"), None)),
            AuthDecision::BadSignature
        );
        assert_eq!(decision(&record(None, None)), AuthDecision::NoPolicy);
        let foreign = AccessRecord {
            service: None,
            ..record(Some("foreign-host"), None)
        };
        assert_eq!(decision(&foreign), AuthDecision::NotReached);
    }

    #[test]
    fn the_ring_keeps_the_last_n_and_finds_them_by_id() {
        let mut ring = Ring::new(3);
        for _ in 0..5 {
            ring.push(&record(None, None), ExchangeDetail::default());
        }
        let ids: Vec<u64> = ring.rows().iter().map(|r| r.id).collect();
        assert_eq!(ids, [3, 4, 5]);
        assert!(ring.get(2).is_none());
        assert_eq!(ring.get(4).map(|e| e.row.id), Some(4));
        assert!(ring.get(6).is_none());
        let mut off = Ring::new(0);
        assert_eq!(
            off.push(&record(None, None), ExchangeDetail::default())
                .row
                .id,
            1
        );
        assert!(off.rows().is_empty());
    }
}
