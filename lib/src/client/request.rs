//! What a call sends ([`ServiceRequest`]), what it gets back ([`ServiceResponse`]) and the
//! invocation it belongs to ([`CallContext`]).

use std::time::SystemTime;

use bytes::Bytes;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode, Url};

/// Characters left as-is in query keys and values: RFC 3986 "unreserved". Everything else is
/// percent-encoded, which is exactly the SigV4 canonical form, so the query on the wire and the
/// one that was signed cannot be read differently by the verifier (no `+`-means-space ambiguity).
const QUERY_COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// Header carrying the X-Ray trace id to the upstream.
pub const TRACE_ID_HEADER: &str = "x-amzn-trace-id";

/// One HTTP request to a Lattice service.
#[derive(Debug, Clone)]
pub struct ServiceRequest {
    method: Method,
    url: Url,
    headers: HeaderMap,
    body: Bytes,
}

impl ServiceRequest {
    /// A request with `method` to `url`, no extra headers and an empty body.
    pub fn new(method: Method, url: Url) -> Self {
        ServiceRequest {
            method,
            url,
            headers: HeaderMap::new(),
            body: Bytes::new(),
        }
    }

    /// A `GET` to `url`.
    pub fn get(url: Url) -> Self {
        Self::new(Method::GET, url)
    }

    /// Replaces the body.
    pub fn with_body(mut self, body: impl Into<Bytes>) -> Self {
        self.body = body.into();
        self
    }

    /// Appends query parameters (after any already in the URL).
    pub fn with_query<K, V>(mut self, pairs: impl IntoIterator<Item = (K, V)>) -> Self
    where
        K: AsRef<str>,
        V: AsRef<str>,
    {
        let mut all: Vec<(String, String)> = self.url.query_pairs().into_owned().collect();
        all.extend(
            pairs
                .into_iter()
                .map(|(k, v)| (k.as_ref().to_owned(), v.as_ref().to_owned())),
        );
        set_canonical_query(&mut self.url, &all);
        self
    }

    /// The method.
    pub fn method(&self) -> &Method {
        &self.method
    }

    /// The full URL.
    pub fn url(&self) -> &Url {
        &self.url
    }

    /// The headers the caller set (the client adds `host`, `accept`, `content-length`,
    /// the trace header and, when signing, the signature headers).
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// Mutable access to the caller's headers.
    pub fn headers_mut(&mut self) -> &mut HeaderMap {
        &mut self.headers
    }

    /// The body.
    pub fn body(&self) -> &Bytes {
        &self.body
    }
}

/// Re-encodes the URL's query in canonical form (see [`QUERY_COMPONENT`]).
///
/// `+` in an existing query is read as a space, as form encoding defines it.
pub(crate) fn canonicalize_query(url: &mut Url) {
    if url.query().is_some() {
        let pairs: Vec<(String, String)> = url.query_pairs().into_owned().collect();
        set_canonical_query(url, &pairs);
    }
}

pub(crate) fn set_canonical_query(url: &mut Url, pairs: &[(String, String)]) {
    if pairs.is_empty() {
        url.set_query(None);
        return;
    }
    let mut query = String::new();
    for (i, (key, value)) in pairs.iter().enumerate() {
        if i > 0 {
            query.push('&');
        }
        query.extend(utf8_percent_encode(key, QUERY_COMPONENT));
        query.push('=');
        query.extend(utf8_percent_encode(value, QUERY_COMPONENT));
    }
    url.set_query(Some(&query));
}

/// The invocation a call belongs to: its deadline and its X-Ray trace id.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CallContext {
    /// Wall-clock deadline of the invocation; the call ends before it (minus the margin).
    pub deadline: Option<SystemTime>,
    /// Value for the `X-Amzn-Trace-Id` header.
    pub trace_id: Option<String>,
}

impl CallContext {
    /// No deadline, no trace id.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the deadline.
    pub fn with_deadline(mut self, deadline: SystemTime) -> Self {
        self.deadline = Some(deadline);
        self
    }

    /// Sets the trace id.
    pub fn with_trace_id(mut self, trace_id: impl Into<String>) -> Self {
        self.trace_id = Some(trace_id.into());
        self
    }
}

#[cfg(feature = "runtime")]
impl From<&lambda_runtime::Context> for CallContext {
    /// Takes the invocation's deadline and trace id. A deadline more than a
    /// day in the past is not a real deadline but an emulator's relative
    /// value (cargo-lambda 1.9's `watch` sends `600000`, i.e. 1970): it is
    /// treated as unknown, so the client's own timeout bounds the call.
    fn from(context: &lambda_runtime::Context) -> Self {
        CallContext {
            deadline: plausible_deadline(context.deadline(), SystemTime::now()),
            trace_id: context.xray_trace_id.clone().filter(|t| !t.is_empty()),
        }
    }
}

/// `deadline`, unless it is implausibly far in the past (see `From<&Context>`).
#[cfg_attr(not(feature = "runtime"), allow(dead_code))]
fn plausible_deadline(deadline: SystemTime, now: SystemTime) -> Option<SystemTime> {
    const ONE_DAY: std::time::Duration = std::time::Duration::from_secs(24 * 60 * 60);
    match now.duration_since(deadline) {
        Ok(past) if past > ONE_DAY => None,
        _ => Some(deadline),
    }
}

#[cfg(test)]
mod deadline_tests {
    use std::time::{Duration, UNIX_EPOCH};

    use super::*;

    #[test]
    fn relative_emulator_deadlines_are_ignored_and_real_ones_kept() {
        let now = SystemTime::now();
        assert_eq!(
            plausible_deadline(UNIX_EPOCH + Duration::from_millis(600_000), now),
            None
        );
        let soon = now + Duration::from_secs(3);
        assert_eq!(plausible_deadline(soon, now), Some(soon));
        // A deadline that just passed is real: the call must not start.
        let just_passed = now - Duration::from_secs(1);
        assert_eq!(plausible_deadline(just_passed, now), Some(just_passed));
    }
}

/// What the upstream answered.
#[derive(Debug, Clone)]
pub struct ServiceResponse {
    /// HTTP status (error statuses are answers too, not [`ClientError`](super::ClientError)s).
    pub status: StatusCode,
    /// Response headers.
    pub headers: HeaderMap,
    /// The whole response body.
    pub body: Bytes,
    /// How many attempts the call took (1 = no retry).
    pub attempts: u32,
}

impl ServiceResponse {
    /// The body as text, with invalid UTF-8 replaced by U+FFFD.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn query_is_strictly_encoded() {
        let req = ServiceRequest::get(url("https://svc.example/app?a=b+c")).with_query([
            ("k", "v w"),
            ("s", "a/b=c&d"),
            ("t", "~-._"),
            ("k", "2"),
        ]);
        assert_eq!(
            req.url().query(),
            Some("a=b%20c&k=v%20w&s=a%2Fb%3Dc%26d&t=~-._&k=2")
        );
        let mut plain = url("https://svc.example/?q=x+y&z");
        canonicalize_query(&mut plain);
        assert_eq!(plain.query(), Some("q=x%20y&z="));
    }

    #[test]
    fn response_text_is_lossy_utf8() {
        let resp = ServiceResponse {
            status: StatusCode::OK,
            headers: HeaderMap::new(),
            body: Bytes::from_static(b"ok \xff"),
            attempts: 1,
        };
        assert_eq!(resp.text(), "ok \u{fffd}");
    }
}
