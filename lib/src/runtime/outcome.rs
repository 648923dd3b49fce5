//! How an invocation ends: the encoded Lattice response, or a function error that names
//! what was wrong. Failures are logged here with the request id, once.

use http::StatusCode;
use lambda_runtime::Diagnostic;
use serde_json::value::RawValue;

use crate::response::MAX_RESPONSE_BYTES;
use crate::{Body, EventError, LatticeResponse};

/// What one invocation returns to `lambda_runtime`.
pub(super) type Outcome = Result<Box<RawValue>, Diagnostic>;

/// Encodes `response` as Lattice JSON, refusing what Lattice would refuse (over 6 MB).
pub(super) fn encode(response: http::Response<Body>, request_id: &str) -> Outcome {
    let lattice = LatticeResponse::from_http(response);
    let raw = serde_json::value::to_raw_value(&lattice).map_err(|error| Diagnostic {
        error_type: "ResponseEncodingFailed".into(),
        error_message: error.to_string(),
    })?;
    let size = raw.get().len();
    if size > MAX_RESPONSE_BYTES {
        tracing::error!(
            request_id,
            size,
            limit = MAX_RESPONSE_BYTES,
            "response too large for Lattice"
        );
        return Err(Diagnostic {
            error_type: "ResponseTooLarge".into(),
            error_message: format!(
                "encoded response is {size} bytes; Lambda and VPC Lattice accept at most {MAX_RESPONSE_BYTES}"
            ),
        });
    }
    Ok(raw)
}

/// The function error for an event that is not a Lattice event, logged at `WARN` with what
/// is wrong; the event itself is never logged (it carries the caller's headers).
pub(super) fn invalid_event(request_id: &str, error: &EventError) -> Diagnostic {
    tracing::warn!(request_id, %error, "invalid Lattice event");
    Diagnostic {
        error_type: error.error_type().into(),
        error_message: error.to_string(),
    }
}

/// The `500` for a handler that panicked; the panic message is logged, never returned.
pub(super) fn handler_panicked(
    request_id: &str,
    panic: &(dyn std::any::Any + Send),
) -> http::Response<Body> {
    let message = panic
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("non-string panic payload");
    tracing::error!(request_id, panic = message, "handler panicked");
    internal_error()
}

/// The generic `500`: what went wrong is in the log, not in the response.
pub(super) fn internal_error() -> http::Response<Body> {
    crate::response::json(
        StatusCode::INTERNAL_SERVER_ERROR,
        &serde_json::json!({"message": "Internal Server Error"}),
    )
}

/// A future polled again after it returned: a bug in the caller, reported rather than
/// panicking inside the runtime.
pub(super) fn polled_after_completion() -> Diagnostic {
    Diagnostic {
        error_type: "InvocationAlreadyCompleted".into(),
        error_message: "the invocation future was polled after it completed".into(),
    }
}
