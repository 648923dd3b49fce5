//! Reporting a failed init through the Runtime API (`POST /2018-06-01/runtime/init/error`).
//!
//! lambda_runtime has no public helper for this, and its `Runtime::new` panics on a missing
//! variable instead; a configuration problem must instead reach Lambda as an init error whose
//! message names the variable, so it is posted here before the runtime exists.

use std::time::Duration;

/// Variable holding the Runtime API's `host:port`.
const RUNTIME_API_VAR: &str = "AWS_LAMBDA_RUNTIME_API";

/// Why the init error could not be delivered.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// Not running under a Runtime API (e.g. started by hand).
    #[error("{RUNTIME_API_VAR} is not set")]
    NoRuntimeApi,
    /// The POST failed or was refused.
    #[error("posting the init error failed: {0}")]
    Post(String),
}

/// Posts `{"errorType", "errorMessage"}` as the init error of this execution environment.
pub async fn report_init_error(error_type: &str, message: &str) -> Result<(), ReportError> {
    let api = std::env::var(RUNTIME_API_VAR)
        .ok()
        .filter(|v| !v.is_empty())
        .ok_or(ReportError::NoRuntimeApi)?;
    let url = format!("http://{api}/2018-06-01/runtime/init/error");
    let body = serde_json::json!({
        "errorType": error_type,
        "errorMessage": message,
        "stackTrace": [],
    });
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .map_err(|e| ReportError::Post(e.to_string()))?;
    let response = client
        .post(url)
        .header(
            "Lambda-Runtime-Function-Error-Type",
            format!("Runtime.{error_type}"),
        )
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .map_err(|e| ReportError::Post(e.without_url().to_string()))?;
    if !response.status().is_success() {
        return Err(ReportError::Post(format!(
            "Runtime API answered {}",
            response.status()
        )));
    }
    Ok(())
}
