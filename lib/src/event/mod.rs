//! Lattice event JSON <-> [`LatticeRequest`].
//!
//! Decoding dispatches explicitly: V2 when `version` is `"2.0"` or
//! `requestContext` is present, V1 when `raw_path` is present, otherwise an
//! [`EventError`] naming what is missing.

mod error;
mod v1;
mod v2;
mod wire;

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use http::{HeaderMap, HeaderName, HeaderValue, Method};

pub use error::EventError;

use crate::{Body, QueryParameters, RequestContext};

/// The event structure a target group is configured with
/// (`LambdaEventStructureVersion`).
///
/// ```
/// assert_eq!(lattice_lambda::EventVersion::V2.to_string(), "V2");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EventVersion {
    /// Snake-case keys, single-valued headers and query, no request context.
    V1,
    /// Camel-case keys, multi-valued headers and query, `requestContext`.
    V2,
}

impl fmt::Display for EventVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            EventVersion::V1 => "V1",
            EventVersion::V2 => "V2",
        })
    }
}

impl std::str::FromStr for EventVersion {
    type Err = String;

    /// Parses `V1`/`V2` (case-insensitive), as in `LambdaEventStructureVersion`.
    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_uppercase().as_str() {
            "V1" => Ok(EventVersion::V1),
            "V2" => Ok(EventVersion::V2),
            _ => Err(format!(
                "unknown Lattice event structure version {s:?} (expected V1 or V2)"
            )),
        }
    }
}

/// One request as a Lattice target group delivered it, decoded and typed.
///
/// Decode it from event JSON with [`LatticeRequest::from_slice`], turn it
/// into an [`http::Request`] with [`LatticeRequest::into_http`], or write it
/// as event JSON of either version with [`LatticeRequest::to_event_json`]
/// (what the local emulator and the test builders do).
///
/// ```
/// use lattice_lambda::{EventVersion, LatticeRequest};
/// let event = br#"{"raw_path":"/items?id=7","method":"GET","headers":{"user-agent":"curl/8"},
///                  "query_string_parameters":{"id":"7"},"body":null,"is_base64_encoded":false}"#;
/// let request = LatticeRequest::from_slice(event).unwrap();
/// assert_eq!(request.version, EventVersion::V1);
/// assert_eq!(request.path, "/items");
/// assert_eq!(request.query.first("id"), Some("7"));
/// assert_eq!(request.uri().unwrap(), "/items?id=7"); // the query once, not twice
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct LatticeRequest {
    /// The event structure it arrived in.
    pub version: EventVersion,
    /// HTTP method.
    pub method: Method,
    /// Path without any query (`/items`).
    pub path: String,
    /// A query that arrived inside the path (`/items?id=7`), verbatim. When
    /// set, the request URI uses it as is, so encoding is never changed.
    pub raw_query: Option<String>,
    /// Query parameters with every value.
    pub query: QueryParameters,
    /// Headers with every value (names lowercased).
    pub headers: HeaderMap,
    /// The body, base64-decoded when the event said so.
    pub body: Body,
    /// Request context and caller identity: from `requestContext` (V2) or
    /// from Lattice's `x-amzn-lattice-*` headers (V1); `None` when neither is
    /// present.
    pub context: Option<RequestContext>,
}

impl LatticeRequest {
    /// A request with no headers, query, body or context.
    ///
    /// ```
    /// let request = lattice_lambda::LatticeRequest::new(
    ///     lattice_lambda::EventVersion::V2, http::Method::GET, "/");
    /// assert!(request.body.is_empty());
    /// ```
    pub fn new(version: EventVersion, method: Method, path: impl Into<String>) -> Self {
        let (path, raw_query) = split_path(path.into());
        let query = raw_query
            .as_deref()
            .map(QueryParameters::parse)
            .unwrap_or_default();
        LatticeRequest {
            version,
            method,
            path,
            raw_query,
            query,
            headers: HeaderMap::new(),
            body: Body::empty(),
            context: None,
        }
    }

    /// Decodes Lattice event JSON of either version.
    pub fn from_slice(json: &[u8]) -> Result<Self, EventError> {
        if let Some(kind) = non_object_kind(json) {
            return Err(EventError::NotAnObject(kind));
        }
        let raw: wire::RawEvent = serde_json::from_slice(json).map_err(EventError::Json)?;
        match (&raw.version, &raw.request_context, &raw.raw_path) {
            (Some(version), _, _) if version == "2.0" => v2::decode(raw),
            (None, Some(_), _) => v2::decode(raw),
            (None, None, Some(_)) => v1::decode(raw),
            (Some(version), _, None) => Err(EventError::UnsupportedVersion(version.clone())),
            // A V1 event carrying a stray `version` is still V1.
            (Some(_), _, Some(_)) => v1::decode(raw),
            (None, None, None) => Err(EventError::UnrecognisedShape),
        }
    }

    /// The request target: path plus the query, exactly once.
    pub fn uri(&self) -> Result<http::Uri, EventError> {
        let target = match (&self.raw_query, self.query.is_empty()) {
            (None, false) => format!("{}?{}", self.path, self.query.to_query_string()),
            _ => self.event_path(),
        };
        target
            .parse()
            .map_err(|e: http::uri::InvalidUri| EventError::InvalidPath {
                path: self.path.clone(),
                reason: e.to_string(),
            })
    }

    /// Writes the request as Lattice event JSON of the given version
    /// (`self.version` is ignored). Bodies go out base64-encoded when Lattice
    /// would encode them (a `content-encoding` on a non-text content type) or
    /// when they are not UTF-8.
    ///
    /// ```
    /// use lattice_lambda::{EventVersion, LatticeRequest};
    /// let request = LatticeRequest::new(EventVersion::V2, http::Method::GET, "/a?x=1");
    /// let json = request.to_event_json(EventVersion::V1);
    /// let again = LatticeRequest::from_slice(&json).unwrap();
    /// assert_eq!(again.version, EventVersion::V1);
    /// assert_eq!(again.query.first("x"), Some("1"));
    /// ```
    pub fn to_event_json(&self, version: EventVersion) -> Vec<u8> {
        match version {
            EventVersion::V1 => v1::encode(self),
            EventVersion::V2 => v2::encode(self),
        }
    }

    /// The path as it goes into event JSON: with the query only when one arrived inside the
    /// path (the parameters themselves travel in the query map).
    pub(crate) fn event_path(&self) -> String {
        match &self.raw_query {
            Some(raw) => format!("{}?{raw}", self.path),
            None => self.path.clone(),
        }
    }

    /// The body as it goes into event JSON: `(text, is_base64_encoded)`.
    pub(crate) fn event_body(&self) -> (std::borrow::Cow<'_, str>, bool) {
        let content_type = self
            .headers
            .get(http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok());
        let encoded = self.headers.contains_key(http::header::CONTENT_ENCODING)
            && !crate::content::is_textual(content_type);
        match (encoded, self.body.as_str()) {
            (false, Some(text)) => (text.into(), false),
            _ => (BASE64.encode(self.body.as_bytes()).into(), true),
        }
    }
}

/// Splits `/p?a=1` into `("/p", Some("a=1"))`.
fn split_path(path: String) -> (String, Option<String>) {
    match path.split_once('?') {
        Some((p, q)) => (p.to_owned(), Some(q.to_owned())),
        None => (path, None),
    }
}

/// What a JSON document is, when it is not an object.
fn non_object_kind(json: &[u8]) -> Option<&'static str> {
    let first = json.iter().find(|b| !b.is_ascii_whitespace())?;
    match first {
        b'{' => None,
        b'[' => Some("an array"),
        b'"' => Some("a string"),
        b't' | b'f' => Some("a boolean"),
        b'n' => Some("null"),
        b'-' | b'0'..=b'9' => Some("a number"),
        _ => None, // not JSON at all: let serde_json name the position
    }
}

/// Fields both versions share, already read from the wire.
pub(crate) struct Common {
    pub version: EventVersion,
    pub method: Option<String>,
    pub path: Option<String>,
    pub headers: Vec<(String, Vec<String>)>,
    pub query: Vec<(String, Vec<String>)>,
    pub body: Option<String>,
    pub base64: bool,
}

impl Common {
    /// Builds the request every version shares; the caller adds the context.
    pub(crate) fn into_request(
        self,
        path_field: &'static str,
    ) -> Result<LatticeRequest, EventError> {
        let version = self.version;
        let method = self.method.ok_or(EventError::MissingField {
            version,
            field: "method",
        })?;
        let method =
            Method::from_bytes(method.as_bytes()).map_err(|_| EventError::InvalidMethod(method))?;
        let path = self.path.ok_or(EventError::MissingField {
            version,
            field: path_field,
        })?;
        let (path, raw_query) = split_path(path);
        if !path.starts_with('/') {
            return Err(EventError::InvalidPath {
                path,
                reason: "must start with `/`".into(),
            });
        }

        let mut query: QueryParameters = self
            .query
            .into_iter()
            .flat_map(|(k, values)| values.into_iter().map(move |v| (k.clone(), v)))
            .collect();
        if query.is_empty()
            && let Some(raw) = &raw_query
        {
            query = QueryParameters::parse(raw);
        }

        let mut headers = HeaderMap::with_capacity(self.headers.len());
        for (name, values) in self.headers {
            let header = HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| EventError::InvalidHeaderName(name.clone()))?;
            for value in values {
                let value = HeaderValue::from_bytes(value.as_bytes())
                    .map_err(|_| EventError::InvalidHeaderValue(header.as_str().to_owned()))?;
                headers.append(header.clone(), value);
            }
        }

        let body = match self.body {
            None => Body::empty(),
            Some(text) if self.base64 => Body::from(
                BASE64
                    .decode(text.as_bytes())
                    .map_err(EventError::InvalidBase64)?,
            ),
            Some(text) => Body::from(text),
        };

        let request = LatticeRequest {
            version,
            method,
            path,
            raw_query,
            query,
            headers,
            body,
            context: None,
        };
        request.uri()?; // reject a path no URI can carry, at decode time
        Ok(request)
    }
}

#[cfg(test)]
mod tests;
