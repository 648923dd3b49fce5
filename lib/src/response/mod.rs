//! [`http::Response`] <-> Lattice response JSON.
//!
//! The response a Lambda target returns to Lattice is
//! `{statusCode, statusDescription, headers, isBase64Encoded, body}` with one
//! string per header name. Encoding keeps every header value (see
//! [`LatticeResponse::from_http`] for `set-cookie`), writes the reason phrase as
//! `statusDescription` (`"200 OK"`, as ALB and the Go and Java Lattice types
//! do), and sends text content types as text and everything else base64.
//! `aws_lambda_events::vpc_lattice::VpcLatticeResponse` is not used: it keeps
//! only the first value of a repeated header, has no `statusDescription` and
//! applies no base64 rules.

mod builders;
mod headers;

pub use builders::{binary, empty, json, text};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use http::StatusCode;
use serde::{Deserialize, Serialize};

use crate::Body;
use crate::content::is_textual;

/// The largest response payload Lambda returns from a synchronous invocation
/// (6 MB); Lattice rejects anything larger.
pub const MAX_RESPONSE_BYTES: usize = 6 * 1024 * 1024;

/// A Lattice response as it travels in JSON.
///
/// ```
/// use lattice_lambda::LatticeResponse;
/// let response = http::Response::builder()
///     .header("content-type", "text/plain")
///     .body("hi")
///     .unwrap();
/// let lattice = LatticeResponse::from_http(response.map(Into::into));
/// assert_eq!(lattice.status_description.as_deref(), Some("200 OK"));
/// assert_eq!(lattice.body.as_deref(), Some("hi"));
/// assert!(!lattice.is_base64_encoded);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LatticeResponse {
    /// HTTP status code.
    pub status_code: u16,
    /// Status line text, e.g. `"200 OK"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_description: Option<String>,
    /// Headers: JSON object of name -> one string. Order is kept; a name may
    /// appear in several spellings (see [`LatticeResponse::from_http`]).
    #[serde(default, with = "headers::json")]
    pub headers: Vec<(String, String)>,
    /// Whether `body` is base64.
    #[serde(default)]
    pub is_base64_encoded: bool,
    /// The body, text or base64.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
}

/// A Lattice response JSON that cannot become an HTTP response.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ResponseError {
    /// Not valid JSON for a Lattice response.
    #[error("invalid Lattice response JSON: {0}")]
    Json(#[source] serde_json::Error),
    /// `statusCode` outside 100..=999.
    #[error("invalid statusCode {0}")]
    InvalidStatus(u16),
    /// A header that HTTP does not allow.
    #[error("invalid response header {0:?}")]
    InvalidHeader(String),
    /// `isBase64Encoded` but the body is not base64.
    #[error("response body is marked isBase64Encoded but is not valid base64: {0}")]
    InvalidBase64(#[source] base64::DecodeError),
}

impl LatticeResponse {
    /// Encodes an HTTP response for Lattice.
    ///
    /// The body goes out as text when the content type is textual (`text/*`,
    /// `application/json`, `application/xml`, `application/javascript`, any `+json` or
    /// `+xml` type, or no content type) and the bytes are UTF-8; otherwise base64 with
    /// `isBase64Encoded`.
    ///
    /// Lattice's JSON has one string per header name. Repeated headers are joined with
    /// `", "` (list syntax, RFC 9110 §5.3), except `set-cookie`: cookies cannot be joined
    /// (an `Expires` date contains a comma) and must not be dropped, so each extra cookie
    /// goes under another spelling of the name (`set-cookie`, `Set-cookie`, `sEt-cookie`,
    /// …). JSON keys stay distinct, and HTTP, whose names are case-insensitive, sees
    /// several `set-cookie` headers; [`LatticeResponse::into_http`] reverses it.
    ///
    /// ```
    /// let response = http::Response::builder()
    ///     .header("set-cookie", "a=1")
    ///     .header("set-cookie", "b=2; Expires=Wed, 21 Oct 2026 07:28:00 GMT")
    ///     .header("vary", "accept")
    ///     .header("vary", "origin")
    ///     .body(lattice_lambda::Body::empty())
    ///     .unwrap();
    /// let lattice = lattice_lambda::LatticeResponse::from_http(response);
    /// assert_eq!(lattice.headers, [
    ///     ("set-cookie".to_string(), "a=1".to_string()),
    ///     ("Set-cookie".to_string(), "b=2; Expires=Wed, 21 Oct 2026 07:28:00 GMT".to_string()),
    ///     ("vary".to_string(), "accept, origin".to_string()),
    /// ]);
    /// let back = lattice.into_http().unwrap();
    /// assert_eq!(back.headers().get_all("set-cookie").iter().count(), 2);
    /// ```
    pub fn from_http(response: http::Response<Body>) -> Self {
        let (parts, body) = response.into_parts();
        let content_type = parts
            .headers
            .get(http::header::CONTENT_TYPE)
            .map(|v| v.to_str().ok());
        let text_allowed = match content_type {
            None => true,
            // A content type that is present but unreadable is not text.
            Some(ct) => is_textual(ct),
        };
        let (body, is_base64_encoded) = match (body.is_empty(), text_allowed, body.as_str()) {
            (true, _, _) => (None, false),
            (false, true, Some(text)) => (Some(text.to_owned()), false),
            (false, _, _) => (Some(BASE64.encode(body.as_bytes())), true),
        };
        LatticeResponse {
            status_code: parts.status.as_u16(),
            status_description: Some(status_description(parts.status)),
            headers: headers::flatten(&parts.headers),
            is_base64_encoded,
            body,
        }
    }

    /// Reads Lattice response JSON (what a Lambda target returned).
    ///
    /// ```
    /// let json = br#"{"statusCode":201,"headers":{"x":"1"},"body":"aGk=","isBase64Encoded":true}"#;
    /// let response = lattice_lambda::LatticeResponse::from_slice(json).unwrap().into_http().unwrap();
    /// assert_eq!(response.status(), 201);
    /// assert_eq!(response.body().as_bytes(), b"hi");
    /// ```
    pub fn from_slice(json: &[u8]) -> Result<Self, ResponseError> {
        serde_json::from_slice(json).map_err(ResponseError::Json)
    }

    /// The JSON Lattice expects.
    pub fn to_json(&self) -> Vec<u8> {
        // Only string keys and plain values: serialisation cannot fail.
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// Decodes into an HTTP response (what Lattice does with it): headers
    /// spelled in several cases become several values of one header, base64
    /// bodies are decoded.
    pub fn into_http(self) -> Result<http::Response<Body>, ResponseError> {
        let status = StatusCode::from_u16(self.status_code)
            .map_err(|_| ResponseError::InvalidStatus(self.status_code))?;
        let body = match (self.body, self.is_base64_encoded) {
            (None, _) => Body::empty(),
            (Some(text), true) => Body::from(
                BASE64
                    .decode(text.as_bytes())
                    .map_err(ResponseError::InvalidBase64)?,
            ),
            (Some(text), false) => Body::from(text),
        };
        let mut response = http::Response::new(body);
        *response.status_mut() = status;
        *response.headers_mut() =
            headers::unflatten(self.headers).map_err(ResponseError::InvalidHeader)?;
        Ok(response)
    }
}

/// `"200 OK"`; just the code when the status has no canonical reason.
fn status_description(status: StatusCode) -> String {
    match status.canonical_reason() {
        Some(reason) => format!("{} {reason}", status.as_u16()),
        None => status.as_u16().to_string(),
    }
}

#[cfg(test)]
mod tests;
