//! [`FunctionUnderTest`]: a real function binary, warm, under lattice_local's Runtime API.

use std::path::Path;
use std::sync::Arc;

use bytes::Bytes;
use lattice_local::functions::{
    FunctionConfig, FunctionPool, InstanceExit, InvokeError, InvokeOptions, InvokeOutcome,
    StderrLogSink,
};

/// Default function timeout for [`FunctionUnderTest::start`]: generous, since debug
/// builds on a busy 2-core machine are slow; tests about timeouts set their own.
pub const DEFAULT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// How one invoke ended, flattened for assertions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Invocation {
    /// The function answered with this payload.
    Response(Bytes),
    /// The function reported an error.
    FunctionError {
        /// `errorType`.
        error_type: String,
        /// `errorMessage`.
        error_message: String,
    },
    /// No answer: the [`InvokeError`] text (init failure, crash, timeout, …).
    Failed(String),
}

impl Invocation {
    /// The response parsed as JSON.
    ///
    /// # Panics
    /// With the full outcome, if it is not a JSON response.
    pub fn expect_response(self) -> serde_json::Value {
        match &self {
            Self::Response(body) => serde_json::from_slice(body).unwrap_or_else(|e| {
                panic!(
                    "response is not JSON ({e}): {}",
                    String::from_utf8_lossy(body)
                )
            }),
            _ => panic!("expected a response, got {self:?}"),
        }
    }

    /// The raw response payload.
    ///
    /// # Panics
    /// With the full outcome, if it is not a response.
    pub fn expect_response_bytes(self) -> Bytes {
        match self {
            Self::Response(body) => body,
            other => panic!("expected a response, got {other:?}"),
        }
    }

    /// The response decoded as Lattice decodes a Lambda target's answer (base64 bodies
    /// decoded, header spellings merged).
    ///
    /// # Panics
    /// With the full outcome, if it is not a Lattice response.
    pub fn expect_lattice_response(self) -> http::Response<lattice_lambda::Body> {
        let payload = self.expect_response_bytes();
        lattice_lambda::LatticeResponse::from_slice(&payload)
            .and_then(lattice_lambda::LatticeResponse::into_http)
            .unwrap_or_else(|e| {
                panic!(
                    "not a Lattice response ({e}): {}",
                    String::from_utf8_lossy(&payload)
                )
            })
    }

    /// `(errorType, errorMessage)` of a function error.
    ///
    /// # Panics
    /// With the full outcome, if it is not a function error.
    pub fn expect_function_error(self) -> (String, String) {
        match self {
            Self::FunctionError {
                error_type,
                error_message,
            } => (error_type, error_message),
            other => panic!("expected a function error, got {other:?}"),
        }
    }

    /// The failure text of an invoke that got no answer.
    ///
    /// # Panics
    /// With the full outcome, if the function did answer.
    pub fn expect_failed(self) -> String {
        match self {
            Self::Failed(text) => text,
            other => panic!("expected an invoke failure, got {other:?}"),
        }
    }
}

impl From<Result<InvokeOutcome, InvokeError>> for Invocation {
    fn from(result: Result<InvokeOutcome, InvokeError>) -> Self {
        match result {
            Ok(InvokeOutcome::Response(body)) => Self::Response(body),
            Ok(InvokeOutcome::FunctionError(error)) => Self::FunctionError {
                error_type: error.error_type,
                error_message: error.error_message,
            },
            Err(error) => Self::Failed(error.to_string()),
        }
    }
}

/// A function that could not be started, with everything it printed.
#[derive(Debug, thiserror::Error)]
#[error("{error}\n--- function output ---\n{logs}")]
pub struct StartError {
    /// Why it did not start.
    pub error: InvokeError,
    /// Its output up to then.
    pub logs: String,
}

/// One warm instance (by default; `max_instances` in the config allows more) of a real
/// function binary under lattice_local's Runtime API. Its output is echoed to the test's
/// stderr and retained for [`FunctionUnderTest::logs`]. Dropping it kills the processes.
#[derive(Debug)]
pub struct FunctionUnderTest {
    pool: FunctionPool,
}

impl FunctionUnderTest {
    /// Start `binary` with `env` on top of the Lambda sandbox environment: one instance,
    /// [`DEFAULT_TIMEOUT`], named after the file.
    ///
    /// # Panics
    /// With the reason and the function's output, if it cannot start.
    pub async fn start(binary: &Path, env: &[(&str, &str)]) -> Self {
        Self::start_with(Self::config(binary, env)).await
    }

    /// The configuration [`FunctionUnderTest::start`] uses, to adjust before
    /// [`FunctionUnderTest::start_with`].
    pub fn config(binary: &Path, env: &[(&str, &str)]) -> FunctionConfig {
        let stem = binary
            .file_stem()
            .map(|s| s.to_string_lossy())
            .unwrap_or_default();
        let mut name: String = stem
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '_' {
                    c
                } else {
                    '-'
                }
            })
            .take(64)
            .collect();
        if name.is_empty() {
            name.push_str("function");
        }
        let mut config = FunctionConfig::new(name, binary)
            .with_timeout(DEFAULT_TIMEOUT)
            .with_max_instances(1);
        for (key, value) in env {
            config = config.with_env(*key, *value);
        }
        config
    }

    /// Start from a full configuration, warming one instance.
    ///
    /// # Panics
    /// With the reason and the function's output, if it cannot start.
    pub async fn start_with(config: FunctionConfig) -> Self {
        let name = config.name.clone();
        match Self::try_start_with(config).await {
            Ok(started) => started,
            Err(error) => panic!("function {name} did not start: {error}"),
        }
    }

    /// Like [`FunctionUnderTest::start_with`], returning the failure instead of panicking.
    ///
    /// # Panics
    /// If the configuration itself is invalid.
    pub async fn try_start_with(config: FunctionConfig) -> Result<Self, StartError> {
        let pool = FunctionPool::with_log_sink(config, Arc::new(StderrLogSink))
            .unwrap_or_else(|e| panic!("invalid function configuration: {e}"));
        match pool.warm(1).await {
            Ok(()) => Ok(Self { pool }),
            Err(error) => Err(StartError {
                error,
                logs: pool.logs(),
            }),
        }
    }

    /// Invoke with `payload`.
    pub async fn invoke(&self, payload: &[u8]) -> Invocation {
        self.invoke_with(payload, InvokeOptions::default()).await
    }

    /// Invoke with `payload` and explicit options (request id, client context, …).
    pub async fn invoke_with(&self, payload: &[u8], options: InvokeOptions) -> Invocation {
        let config = self.pool.config();
        // The pool already bounds waiting and running by the timeout; this outer bound
        // only guarantees a test never hangs if that logic were broken.
        let limit = config.timeout * 2 + config.init_timeout + config.shutdown_grace;
        match tokio::time::timeout(
            limit,
            self.pool.invoke(Bytes::copy_from_slice(payload), options),
        )
        .await
        {
            Ok(result) => result.into(),
            Err(_) => Invocation::Failed(format!("harness: no outcome within {limit:?}")),
        }
    }

    /// Invoke with `payload` serialized as JSON.
    pub async fn invoke_json(&self, payload: &serde_json::Value) -> Invocation {
        self.invoke(payload.to_string().as_bytes()).await
    }

    /// Everything the function's processes printed so far (stdout and stderr).
    pub fn logs(&self) -> String {
        self.pool.logs()
    }

    /// The underlying pool (stats, warm, shutdown, or serving it through `InvokeApi`).
    pub fn pool(&self) -> &FunctionPool {
        &self.pool
    }

    /// Shut down gracefully (SIGTERM, then SIGKILL after the grace period).
    pub async fn shutdown(self) -> Vec<InstanceExit> {
        self.pool.shutdown().await
    }
}
