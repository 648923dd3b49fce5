//! The Invoke API's answers, shaped as the real service's: service errors with
//! `x-amzn-ErrorType` and a `{"Type","message"}` body, invocations with their payload (flagged
//! `Unhandled` for function errors), and the function errors Lambda reports for an invocation
//! the function could not answer.

use std::os::unix::process::ExitStatusExt as _;
use std::process::ExitStatus;

use bytes::Bytes;
use http::{HeaderValue, Response, StatusCode, header};
use http_body_util::Full;
use serde_json::json;

use crate::functions::InvokeError;

pub(super) type Body = Full<Bytes>;

/// A service-level error, as the Lambda API returns them.
pub(super) fn service_error(
    status: StatusCode,
    error_type: &str,
    message: &str,
    request_id: &str,
) -> Response<Body> {
    let body = json!({"Type": "User", "message": message}).to_string();
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    if let Ok(value) = HeaderValue::from_str(error_type) {
        headers.insert("x-amzn-errortype", value);
    }
    if let Ok(value) = HeaderValue::from_str(request_id) {
        headers.insert("x-amzn-requestid", value);
    }
    response
}

/// A successful call: `200` with the payload, flagged `Unhandled` for function errors.
pub(super) fn invoked(payload: Bytes, function_error: bool, request_id: &str) -> Response<Body> {
    let mut response = Response::new(Full::new(payload));
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    headers.insert(
        "x-amz-executed-version",
        HeaderValue::from_static("$LATEST"),
    );
    if function_error {
        headers.insert(
            "x-amz-function-error",
            HeaderValue::from_static("Unhandled"),
        );
    }
    if let Ok(value) = HeaderValue::from_str(request_id) {
        headers.insert("x-amzn-requestid", value);
    }
    response
}

pub(super) fn function_error_body(error_type: &str, message: &str) -> Bytes {
    Bytes::from(json!({"errorType": error_type, "errorMessage": message}).to_string())
}

fn describe_status(status: Option<ExitStatus>) -> String {
    match status {
        Some(status) => match (status.code(), status.signal()) {
            (Some(code), _) => format!("exit status {code}"),
            (None, Some(signal)) => format!("signal {signal}"),
            (None, None) => status.to_string(),
        },
        None => "unknown exit status".to_owned(),
    }
}

/// How the real service reports an invoke the function could not answer.
pub(super) fn invoke_failure(error: &InvokeError, request_id: &str) -> Response<Body> {
    let unhandled = |error_type: &str, message: String| {
        invoked(function_error_body(error_type, &message), true, request_id)
    };
    match error {
        InvokeError::Init(init) => unhandled(&init.error_type, init.error_message.clone()),
        InvokeError::Exited { status, .. } => unhandled(
            "Runtime.ExitError",
            format!(
                "RequestId: {request_id} Error: Runtime exited with error: {}",
                describe_status(*status)
            ),
        ),
        InvokeError::Timeout { timeout } | InvokeError::InitTimeout { timeout } => unhandled(
            "Sandbox.Timedout",
            format!(
                "RequestId: {request_id} Error: Task timed out after {:.2} seconds",
                timeout.as_secs_f64()
            ),
        ),
        InvokeError::Spawn { source, .. } => unhandled(
            "Runtime.InvalidEntrypoint",
            format!("RequestId: {request_id} Error: {source}"),
        ),
        InvokeError::Throttled { .. } => service_error(
            StatusCode::TOO_MANY_REQUESTS,
            "TooManyRequestsException",
            "Rate Exceeded.",
            request_id,
        ),
        InvokeError::InvalidOption(invalid) => service_error(
            StatusCode::BAD_REQUEST,
            "InvalidParameterValueException",
            &invalid.to_string(),
            request_id,
        ),
        InvokeError::ShutDown => service_error(
            StatusCode::SERVICE_UNAVAILABLE,
            "ServiceException",
            "The function is shutting down",
            request_id,
        ),
        InvokeError::RuntimeApi(_) => service_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "ServiceException",
            &error.to_string(),
            request_id,
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_statuses_are_described_like_lambda() {
        assert_eq!(
            describe_status(Some(ExitStatus::from_raw(3 << 8))),
            "exit status 3"
        );
        assert_eq!(describe_status(Some(ExitStatus::from_raw(9))), "signal 9");
        assert_eq!(describe_status(None), "unknown exit status");
    }
}
