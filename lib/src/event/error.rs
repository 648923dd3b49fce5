//! Why an event could not be decoded.

use super::EventVersion;

/// A Lattice event that could not be decoded. Each variant names the field or
/// condition that was wrong; none of them carries header values or bodies, so
/// the message is safe to log and to return as a function error.
///
/// ```
/// let err = lattice_lambda::LatticeRequest::from_slice(b"{}").unwrap_err();
/// assert!(err.to_string().contains("raw_path"));
/// assert_eq!(err.error_type(), "InvalidLatticeEvent");
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EventError {
    /// Not JSON, not an object, or a field of the wrong type.
    #[error("invalid Lattice event JSON: {0}")]
    Json(#[source] serde_json::Error),
    /// Valid JSON, but not an object (`[]`, `"text"`, `42`, `null`).
    #[error("a VPC Lattice event must be a JSON object, got {0}")]
    NotAnObject(&'static str),
    /// An object that is neither a V2 nor a V1 event.
    #[error(
        "not a VPC Lattice event: expected `\"version\": \"2.0\"` or `requestContext` (event structure V2) or `raw_path` (V1)"
    )]
    UnrecognisedShape,
    /// A `version` other than `"2.0"`.
    #[error("unsupported VPC Lattice event version {0:?}: only \"2.0\" is defined")]
    UnsupportedVersion(String),
    /// A field the event's version requires is absent or null.
    #[error("{version} event is missing `{field}`")]
    MissingField {
        /// The version the event was recognised as.
        version: EventVersion,
        /// The missing field, spelled as on the wire.
        field: &'static str,
    },
    /// `method` is not an HTTP method token.
    #[error("invalid HTTP method {0:?}")]
    InvalidMethod(String),
    /// `path`/`raw_path` does not form a valid request target.
    #[error("invalid request path {path:?}: {reason}")]
    InvalidPath {
        /// The path as given.
        path: String,
        /// Why it was rejected.
        reason: String,
    },
    /// A header name that HTTP does not allow.
    #[error("invalid header name {0:?}")]
    InvalidHeaderName(String),
    /// A header value that HTTP does not allow (the value is not echoed: it may be a secret).
    #[error("invalid value for header {0:?}")]
    InvalidHeaderValue(String),
    /// `isBase64Encoded` is true but the body is not base64.
    #[error("body is marked isBase64Encoded but is not valid base64: {0}")]
    InvalidBase64(#[source] base64::DecodeError),
    /// A V1 event's Lattice identity headers are ambiguous (a key or the header given twice,
    /// a principal key after an X.509 field): a caller-chosen value may be forging them.
    #[error("untrusted Lattice identity: {0}")]
    Identity(#[from] crate::IdentityHeaderError),
    /// `requestContext.timeEpoch` is not microseconds since the Unix epoch.
    #[error("invalid requestContext.timeEpoch {0:?}: expected microseconds since the Unix epoch")]
    InvalidTimeEpoch(String),
}

impl EventError {
    /// The Lambda `errorType` reported for every decoding failure.
    pub const ERROR_TYPE: &'static str = "InvalidLatticeEvent";

    /// The Lambda `errorType` for this error: always `InvalidLatticeEvent`.
    pub fn error_type(&self) -> &'static str {
        Self::ERROR_TYPE
    }
}
