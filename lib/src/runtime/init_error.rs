//! Report a failed init to the Runtime API (`POST /2018-06-01/runtime/init/error`).
//!
//! `lambda_runtime` has no public helper for this. A function that cannot
//! start (a missing or malformed environment variable, say) would otherwise
//! just exit and the caller would see only `Runtime.ExitError`; reporting
//! first makes the invocation fail with an `errorType` and a message that
//! names what was wrong.

use http::Method;
use lambda_runtime_api_client::body::Body;
use lambda_runtime_api_client::{Client, build_request};

const INIT_ERROR_PATH: &str = "/2018-06-01/runtime/init/error";
const ERROR_TYPE_HEADER: &str = "Lambda-Runtime-Function-Error-Type";

/// Why an init error could not be reported.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum InitErrorReportFailed {
    /// `AWS_LAMBDA_RUNTIME_API` is unset or not a `host:port`.
    #[error("AWS_LAMBDA_RUNTIME_API is unset or invalid")]
    NoRuntimeApi,
    /// The request could not be built (e.g. an error type that is not a valid header value).
    #[error("cannot build the init error request: {0}")]
    Request(#[from] http::Error),
    /// The Runtime API could not be reached.
    #[error("cannot reach the Runtime API: {0}")]
    Transport(String),
    /// The Runtime API answered with something other than success.
    #[error("the Runtime API answered {0}")]
    Status(http::StatusCode),
}

/// Posts `{"errorType", "errorMessage"}` as this execution environment's init
/// error. Call it before [`crate::run`] when configuration is unusable, then
/// exit non-zero.
///
/// ```no_run
/// # async fn f() {
/// if std::env::var("LATTICE_SERVICE_URL").is_err() {
///     let message = "LATTICE_SERVICE_URL is required";
///     if let Err(error) = lattice_lambda::report_init_error("InvalidConfiguration", message).await {
///         eprintln!("{message} (and the init error could not be reported: {error})");
///     }
///     std::process::exit(1);
/// }
/// # }
/// ```
pub async fn report_init_error(
    error_type: &str,
    error_message: &str,
) -> Result<(), InitErrorReportFailed> {
    let endpoint = std::env::var("AWS_LAMBDA_RUNTIME_API")
        .ok()
        .and_then(|api| format!("http://{api}").parse::<http::Uri>().ok())
        .filter(|uri| uri.authority().is_some())
        .ok_or(InitErrorReportFailed::NoRuntimeApi)?;
    let client = Client::builder()
        .with_endpoint(endpoint)
        .build()
        .map_err(|error| InitErrorReportFailed::Transport(error.to_string()))?;
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
        .map_err(|error| InitErrorReportFailed::Transport(error.to_string()))?;
    match response.status() {
        status if status.is_success() => Ok(()),
        status => Err(InitErrorReportFailed::Status(status)),
    }
}
