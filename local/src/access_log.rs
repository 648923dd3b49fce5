//! One line per request: service, method, path, matched rule, target, status, latency, and the
//! auth policy statement that decided.
//!
//! ```text
//! access service=foo-service method=GET path=/ rule=default target=lambda:ProviderFunction status=200 latency_ms=0.41 auth=service:AllowOrg
//! ```

use std::fmt;
use std::io::Write as _;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use http::{Method, StatusCode};

/// One request as the access log records it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccessRecord {
    /// Service name, or `-` when no service matched the `Host`.
    pub service: String,
    /// Method.
    pub method: Method,
    /// Path (without the query, which may carry secrets).
    pub path: String,
    /// Matched rule (logical id), `default`, or `-` when routing did not happen (auth denied).
    pub rule: String,
    /// Target (`lambda:<function>`, `http:<url>`, `fixed-response`), or `-`.
    pub target: String,
    /// The auth policy and statement that decided (`service:<Sid>`, `network:<Sid>`,
    /// `<scope>:no-statement-allowed`, `<scope>:no-policy`), or `-` when no policy applied.
    pub auth: String,
    /// Status sent to the client.
    pub status: StatusCode,
    /// Time from receiving the request head to having the response head.
    pub latency: Duration,
}

impl fmt::Display for AccessRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "access service={} method={} path={} rule={} target={} status={} latency_ms={:.2} auth={}",
            self.service,
            self.method,
            self.path,
            self.rule,
            self.target,
            self.status.as_u16(),
            self.latency.as_secs_f64() * 1000.0,
            self.auth
        )
    }
}

/// Where access log lines go.
#[derive(Clone, Debug, Default)]
pub enum AccessLog {
    /// Nowhere (benchmarks).
    #[default]
    Off,
    /// This process's stdout, one line per request.
    Stdout,
    /// Kept in memory (tests, and the demo's summary).
    Memory(Arc<Mutex<Vec<AccessRecord>>>),
}

impl AccessLog {
    /// An in-memory log.
    pub fn memory() -> Self {
        AccessLog::Memory(Arc::default())
    }

    /// Records one request.
    pub fn record(&self, record: AccessRecord) {
        match self {
            AccessLog::Off => {}
            AccessLog::Stdout => {
                let mut out = std::io::stdout().lock();
                // A closed stdout must not fail the request.
                let _ = writeln!(out, "{record}");
            }
            AccessLog::Memory(records) => records
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(record),
        }
    }

    /// The records kept so far (empty unless [`AccessLog::Memory`]).
    pub fn records(&self) -> Vec<AccessRecord> {
        match self {
            AccessLog::Memory(records) => records
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .clone(),
            _ => Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_is_one_line_with_every_field() {
        let record = AccessRecord {
            service: "eks-app".into(),
            method: Method::GET,
            path: "/app".into(),
            rule: "EksAppRule".into(),
            target: "http:http://127.0.0.1:8090/".into(),
            auth: "service:Statement[0]".into(),
            status: StatusCode::OK,
            latency: Duration::from_micros(1250),
        };
        assert_eq!(
            record.to_string(),
            "access service=eks-app method=GET path=/app rule=EksAppRule target=http:http://127.0.0.1:8090/ status=200 latency_ms=1.25 auth=service:Statement[0]"
        );
        let log = AccessLog::memory();
        log.record(record.clone());
        assert_eq!(log.records(), [record]);
        assert!(AccessLog::Off.records().is_empty());
    }
}
