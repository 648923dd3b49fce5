//! The response shapes the real Runtime API answers with.

use bytes::Bytes;
use http::{HeaderValue, Response, StatusCode, header};
use http_body_util::Full;

use super::invocation::ErrorBody;

/// Every response here is a single buffer.
pub(crate) type Body = Full<Bytes>;

const JSON: HeaderValue = HeaderValue::from_static("application/json");

/// A JSON response with `status`.
pub(crate) fn json(status: StatusCode, body: Bytes) -> Response<Body> {
    let mut response = Response::new(Full::new(body));
    *response.status_mut() = status;
    response.headers_mut().insert(header::CONTENT_TYPE, JSON);
    response
}

/// `202 Accepted` with `{"status":"OK"}`, the answer to every accepted post.
pub(crate) fn accepted() -> Response<Body> {
    json(
        StatusCode::ACCEPTED,
        Bytes::from_static(br#"{"status":"OK"}"#),
    )
}

/// An error in the Runtime API's `{"errorMessage","errorType"}` shape.
pub(crate) fn error(
    status: StatusCode,
    error_type: &str,
    message: impl Into<String>,
) -> Response<Body> {
    let body = serde_json::to_vec(&ErrorBody {
        error_type: Some(error_type.to_owned()),
        error_message: Some(message.into()),
    })
    .map(Bytes::from)
    .unwrap_or_default();
    json(status, body)
}

/// `400 InvalidRequestID`: the id is not the invocation in flight (or was answered already).
pub(crate) fn invalid_request_id() -> Response<Body> {
    error(
        StatusCode::BAD_REQUEST,
        "InvalidRequestID",
        "Invalid request ID",
    )
}

/// `413 RequestEntityTooLarge` for a body over `limit` bytes.
pub(crate) fn too_large(limit: usize) -> Response<Body> {
    error(
        StatusCode::PAYLOAD_TOO_LARGE,
        "RequestEntityTooLarge",
        format!("Exceeded maximum allowed payload size ({limit} bytes)."),
    )
}

/// `403 InvalidStateTransition`: the call is not allowed in the runtime's current state.
pub(crate) fn invalid_state(from: &str, to: &str) -> Response<Body> {
    error(
        StatusCode::FORBIDDEN,
        "InvalidStateTransition",
        format!("State transition from {from} to {to} failed for runtime."),
    )
}

/// The router's plain-text 404 for paths the API does not have.
pub(crate) fn not_found() -> Response<Body> {
    let mut response = Response::new(Full::new(Bytes::from_static(b"404 page not found\n")));
    *response.status_mut() = StatusCode::NOT_FOUND;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

/// `405` for a known path called with the wrong method.
pub(crate) fn method_not_allowed() -> Response<Body> {
    let mut response = Response::new(Full::new(Bytes::new()));
    *response.status_mut() = StatusCode::METHOD_NOT_ALLOWED;
    response
}
