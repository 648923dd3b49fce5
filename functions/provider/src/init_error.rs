//! Reporting a failed init to the Runtime API (`POST /runtime/init/error`).
//!
//! `lambda_runtime` has no public helper for this, so a function that cannot start (here: a
//! malformed allow-list) would otherwise just exit, and callers would see only
//! `Runtime.ExitError`. Reporting first makes the invoke fail with our `errorType` and
//! message. This is a runtime concern that belongs in `lattice-lambda`; it lives here until
//! the library offers it.

use http::Method;
use lambda_runtime_api_client::body::Body;
use lambda_runtime_api_client::{Client, build_request};

const INIT_ERROR_PATH: &str = "/2018-06-01/runtime/init/error";
const ERROR_TYPE_HEADER: &str = "Lambda-Runtime-Function-Error-Type";

/// Why the init error could not be reported.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// `AWS_LAMBDA_RUNTIME_API` is unset or not a host:port.
    #[error("AWS_LAMBDA_RUNTIME_API is unset or invalid")]
    NoRuntimeApi,
    /// The request could not be built (an error type that is not a valid header value).
    #[error("cannot build the init error request: {0}")]
    Request(#[from] http::Error),
    /// The Runtime API could not be reached.
    #[error("cannot reach the Runtime API: {0}")]
    Transport(String),
    /// The Runtime API answered with something other than 202.
    #[error("the Runtime API answered {0}")]
    Status(http::StatusCode),
}

/// Posts `{"errorType", "errorMessage"}` to `/runtime/init/error`.
pub async fn report(error_type: &str, error_message: &str) -> Result<(), ReportError> {
    let endpoint = std::env::var("AWS_LAMBDA_RUNTIME_API")
        .ok()
        .and_then(|api| format!("http://{api}").parse::<http::Uri>().ok())
        .filter(|uri| uri.authority().is_some())
        .ok_or(ReportError::NoRuntimeApi)?;
    let client = Client::builder()
        .with_endpoint(endpoint)
        .build()
        .map_err(|error| ReportError::Transport(error.to_string()))?;
    let body = serde_json::json!({"errorType": error_type, "errorMessage": error_message});
    let request = build_request()
        .method(Method::POST)
        .uri(INIT_ERROR_PATH)
        .header(ERROR_TYPE_HEADER, error_type)
        .header(http::header::CONTENT_TYPE, "application/json")
        .body(Body::from(body.to_string()))?;
    let response = client
        .call(request)
        .await
        .map_err(|error| ReportError::Transport(error.to_string()))?;
    match response.status() {
        status if status.is_success() => Ok(()),
        status => Err(ReportError::Status(status)),
    }
}
