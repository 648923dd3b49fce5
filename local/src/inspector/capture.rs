//! [`Capture`]: one exchange's details as the data plane sees them: the request as received,
//! the request as forwarded, the Lambda event and the function's answer and log, or the
//! upstream's response head. The recording layer puts a `Capture` into the request's
//! extensions only while the inspector is on; the targets fill it in on the way. Everything is
//! redacted ([`super::redact`]) and cut to the body limit *before* it is stored.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::SystemTime;

use http::request::Parts;
use http::{HeaderMap, StatusCode};
use lattice_lambda::EventVersion;
use serde::Serialize;

use super::redact::{redact_headers, redact_json, redact_query_values};
use crate::targets::{ExchangeObserver, FORWARDED_HEADERS, LATTICE_HEADER_PREFIX};

/// A handle on one exchange's details; clones share them. Found in a request's extensions
/// with [`Capture::of`].
#[derive(Clone, Debug)]
pub struct Capture {
    detail: Arc<Mutex<ExchangeDetail>>,
    body_limit: usize,
}

/// A header line as shown: name, value (redacted).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct HeaderLine {
    /// The name, lower case.
    pub name: String,
    /// The value, credentials redacted.
    pub value: String,
    /// Set by Lattice (`x-amzn-lattice-*`, `x-forwarded-*`) rather than by the client.
    pub lattice: bool,
}

/// Everything the inspector shows about one exchange besides its row.
#[derive(Clone, Debug, Default, Serialize)]
pub struct ExchangeDetail {
    /// When the request head arrived.
    #[serde(skip)]
    pub started: Option<SystemTime>,
    /// The request target (path and query) as received, presigned parameters redacted.
    pub target: String,
    /// Request headers as received.
    pub received: Vec<HeaderLine>,
    /// Request headers as forwarded to the target (none when nothing was forwarded).
    pub forwarded: Option<Vec<HeaderLine>>,
    /// The Lambda invocation, for a `LAMBDA` target group.
    pub lambda: Option<LambdaDetail>,
    /// The upstream's response head, for an HTTP target group.
    pub upstream: Option<UpstreamDetail>,
}

/// A Lambda invocation as the inspector shows it.
#[derive(Clone, Debug, Default, Serialize)]
pub struct LambdaDetail {
    /// The function's name.
    pub function: String,
    /// `V1` or `V2`, the target group's event structure version.
    pub event_version: &'static str,
    /// The invocation's request id (the one in the function's log).
    pub request_id: String,
    /// The event JSON sent (pretty-printed, redacted, bodies cut).
    pub event: String,
    /// The function's response JSON, when it answered with one.
    pub response: Option<String>,
    /// What went wrong instead, when the function did not answer with a response.
    pub error: Option<String>,
    /// The function's log for this invocation (`START` … `REPORT`, the last 4 KB).
    pub log: Option<String>,
    /// A body was longer than the limit and was cut.
    pub cut: bool,
}

/// An HTTP upstream's response head.
#[derive(Clone, Debug, Default, Serialize)]
pub struct UpstreamDetail {
    /// The upstream URL.
    pub url: String,
    /// Its status.
    pub status: u16,
    /// Its headers (credentials such as `set-cookie` redacted).
    pub headers: Vec<HeaderLine>,
}

/// The headers as shown, each marked when Lattice sets it.
fn header_lines(headers: &HeaderMap) -> Vec<HeaderLine> {
    redact_headers(headers)
        .into_iter()
        .map(|(name, value)| HeaderLine {
            lattice: name.starts_with(LATTICE_HEADER_PREFIX)
                || FORWARDED_HEADERS.contains(&name.as_str()),
            name,
            value,
        })
        .collect()
}

impl Capture {
    /// Starts the record of the request `parts` describes; JSON strings longer than
    /// `body_limit` bytes will be cut.
    pub fn new(parts: &Parts, body_limit: usize) -> Self {
        let target = parts.uri.path_and_query().map_or("/", |p| p.as_str());
        let detail = ExchangeDetail {
            started: Some(SystemTime::now()),
            target: redact_query_values(target).into_owned(),
            received: header_lines(&parts.headers),
            ..ExchangeDetail::default()
        };
        Capture {
            detail: Arc::new(Mutex::new(detail)),
            body_limit,
        }
    }

    fn lock(&self) -> MutexGuard<'_, ExchangeDetail> {
        self.detail.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Takes the details recorded (the exchange is answered: nothing more will come).
    pub fn finish(&self) -> ExchangeDetail {
        std::mem::take(&mut *self.lock())
    }

    /// A JSON document as shown: redacted, long strings cut, pretty-printed; a document that
    /// is not JSON is shown as text, cut.
    fn shown_json(&self, raw: &[u8]) -> (String, bool) {
        match serde_json::from_slice::<serde_json::Value>(raw) {
            Ok(mut value) => {
                let trimmed = redact_json(&mut value, self.body_limit);
                let text = serde_json::to_string_pretty(&value).unwrap_or_default();
                (text, trimmed.cut)
            }
            Err(_) => {
                let text = String::from_utf8_lossy(raw);
                let shown = redact_query_values(&text);
                let cut = shown.len() > self.body_limit;
                let kept = super::redact::cut_to(&shown, self.body_limit);
                (kept.to_owned(), cut)
            }
        }
    }
}

/// What the targets report about the exchange, kept (redacted) for the page.
impl ExchangeObserver for Capture {
    /// The headers the target receives.
    fn forwarded(&self, headers: &HeaderMap) {
        self.lock().forwarded = Some(header_lines(headers));
    }

    /// The event sent to `function`.
    fn lambda_event(&self, function: &str, version: EventVersion, request_id: &str, event: &[u8]) {
        let (event, cut) = self.shown_json(event);
        self.lock().lambda = Some(LambdaDetail {
            function: function.to_owned(),
            event_version: match version {
                EventVersion::V1 => "V1",
                EventVersion::V2 => "V2",
            },
            request_id: request_id.to_owned(),
            event,
            cut,
            ..LambdaDetail::default()
        });
    }

    /// The function's answer: its response JSON, or what went wrong; and its log.
    fn lambda_answer(&self, answer: Result<&[u8], String>, log: Option<String>) {
        let (response, error, cut) = match answer {
            Ok(json) => {
                let (shown, cut) = self.shown_json(json);
                (Some(shown), None, cut)
            }
            Err(error) => (None, Some(error), false),
        };
        let log = log.map(|log| redact_query_values(&log).into_owned());
        if let Some(lambda) = self.lock().lambda.as_mut() {
            lambda.response = response;
            lambda.error = error;
            lambda.log = log;
            lambda.cut |= cut;
        }
    }

    /// The upstream's response head.
    fn upstream_response(&self, url: &str, status: StatusCode, headers: &HeaderMap) {
        self.lock().upstream = Some(UpstreamDetail {
            url: url.to_owned(),
            status: status.as_u16(),
            headers: header_lines(headers),
        });
    }
}
