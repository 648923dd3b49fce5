//! Small constructors for the responses handlers return most.

use bytes::Bytes;
use http::header::CONTENT_TYPE;
use http::{HeaderValue, StatusCode};
use serde::Serialize;

use crate::Body;

/// A `text/plain; charset=utf-8` response.
///
/// ```
/// let response = lattice_lambda::response::text(http::StatusCode::OK, "Hello Foo Lambda!!");
/// assert_eq!(response.headers()["content-type"], "text/plain; charset=utf-8");
/// ```
pub fn text(status: StatusCode, body: impl Into<String>) -> http::Response<Body> {
    with_type(status, "text/plain; charset=utf-8", Body::from(body.into()))
}

/// An `application/json` response with `value` serialised.
///
/// ```
/// let response = lattice_lambda::response::json(http::StatusCode::OK, &serde_json::json!({"status": "ok"}));
/// assert_eq!(response.body().as_str(), Some(r#"{"status":"ok"}"#));
/// ```
pub fn json<T: Serialize + ?Sized>(status: StatusCode, value: &T) -> http::Response<Body> {
    match serde_json::to_vec(value) {
        Ok(bytes) => with_type(status, "application/json", Body::from(bytes)),
        Err(error) => {
            tracing::error!(%error, "response value could not be serialised as JSON");
            with_type(
                StatusCode::INTERNAL_SERVER_ERROR,
                "application/json",
                Body::from(r#"{"message":"Internal Server Error"}"#),
            )
        }
    }
}

/// A response with raw bytes of the given content type (sent base64 unless
/// the type is textual).
///
/// ```
/// let png = vec![0x89, b'P', b'N', b'G'];
/// let response = lattice_lambda::response::binary(http::StatusCode::OK, "image/png", png);
/// assert_eq!(response.body().len(), 4);
/// ```
pub fn binary(
    status: StatusCode,
    content_type: &str,
    body: impl Into<Bytes>,
) -> http::Response<Body> {
    let mut response = http::Response::new(Body::from(body.into()));
    *response.status_mut() = status;
    let value = HeaderValue::from_str(content_type)
        .unwrap_or(HeaderValue::from_static("application/octet-stream"));
    response.headers_mut().insert(CONTENT_TYPE, value);
    response
}

/// A response with no body.
///
/// ```
/// let response = lattice_lambda::response::empty(http::StatusCode::NO_CONTENT);
/// assert!(response.body().is_empty());
/// ```
pub fn empty(status: StatusCode) -> http::Response<Body> {
    let mut response = http::Response::new(Body::empty());
    *response.status_mut() = status;
    response
}

fn with_type(status: StatusCode, content_type: &'static str, body: Body) -> http::Response<Body> {
    let mut response = http::Response::new(body);
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}
