//! [`SharedInstance`]: one function process that takes several invocations at once, as on
//! Lambda Managed Instances.
//!
//! [`FunctionUnderTest`](crate::FunctionUnderTest)'s pool hands an instance one invocation
//! at a time, as classic Lambda does. Here the process runs under its own
//! `lattice_local::runtime_api::RuntimeApi` and every [`SharedInstance::invoke`] is
//! dispatched straight to it, so a runtime that polls `/next` from several workers gets
//! several invocations in flight.

use std::path::Path;
use std::process::Stdio;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use http::HeaderValue;
use lattice_local::runtime_api::{FunctionIdentity, Invocation, InvocationResult, RuntimeApi};
use tokio::io::{AsyncBufReadExt as _, AsyncRead, BufReader};
use tokio::process::{Child, Command};

use crate::Invocation as Outcome;
use crate::function::DEFAULT_TIMEOUT;

const NAME: &str = "shared-instance";
const ARN: &str = "arn:aws:lambda:us-east-1:000000000000:function:shared-instance";

/// A running function process under its own Runtime API. Dropping it kills the process.
#[derive(Debug)]
pub struct SharedInstance {
    api: RuntimeApi,
    child: Child,
    output: Arc<Mutex<String>>,
    next_id: std::sync::atomic::AtomicU64,
}

impl SharedInstance {
    /// Starts `binary` with the Lambda sandbox variables plus `env`, and waits (at most
    /// [`DEFAULT_TIMEOUT`]) for its first `/invocation/next`.
    ///
    /// # Panics
    /// With the function's output, if it does not get that far.
    pub async fn start(binary: &Path, env: &[(&str, &str)]) -> Self {
        let identity = FunctionIdentity {
            name: NAME.to_owned(),
            version: "$LATEST".to_owned(),
            handler: "bootstrap".to_owned(),
            account_id: "000000000000".to_owned(),
        };
        let api = RuntimeApi::bind(Arc::new(identity))
            .await
            .unwrap_or_else(|e| panic!("cannot bind a Runtime API: {e}"));
        let mut command = Command::new(binary);
        command
            .env_clear()
            .env("AWS_LAMBDA_RUNTIME_API", api.addr().to_string())
            .env("AWS_LAMBDA_FUNCTION_NAME", NAME)
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
            .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
            .env("AWS_REGION", "us-east-1")
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let mut child = command
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", binary.display()));
        let output = Arc::new(Mutex::new(String::new()));
        if let Some(stdout) = child.stdout.take() {
            tokio::spawn(collect_lines(stdout, Arc::clone(&output)));
        }
        if let Some(stderr) = child.stderr.take() {
            tokio::spawn(collect_lines(stderr, Arc::clone(&output)));
        }
        let instance = SharedInstance {
            api,
            child,
            output,
            next_id: std::sync::atomic::AtomicU64::new(1),
        };
        match tokio::time::timeout(DEFAULT_TIMEOUT, instance.api.initialized()).await {
            Ok(Ok(_)) => instance,
            Ok(Err(error)) => panic!(
                "{} failed its init: {error:?}\n{}",
                binary.display(),
                instance.logs()
            ),
            Err(_) => panic!(
                "{} did not call /invocation/next within {DEFAULT_TIMEOUT:?}\n{}",
                binary.display(),
                instance.logs()
            ),
        }
    }

    /// Dispatches one invocation and waits for its outcome, at most `limit`. Call it from
    /// several tasks at once to have several in flight.
    pub async fn invoke(&self, payload: &[u8], limit: Duration) -> Outcome {
        let id = self
            .next_id
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let invocation = Invocation::new(
            format!("shared-{id}"),
            Bytes::copy_from_slice(payload),
            SystemTime::now() + limit,
            HeaderValue::from_static(ARN),
        );
        let invocation = match invocation {
            Ok(invocation) => invocation,
            Err(error) => return Outcome::Failed(format!("invalid invocation: {error}")),
        };
        match tokio::time::timeout(limit, self.api.dispatch(invocation)).await {
            Ok(Ok(InvocationResult::Response(body))) => Outcome::Response(body),
            Ok(Ok(InvocationResult::Error(error))) => Outcome::FunctionError {
                error_type: error.error_type,
                error_message: error.error_message,
            },
            Ok(Err(_)) => Outcome::Failed("the Runtime API dropped the invocation".into()),
            Err(_) => Outcome::Failed(format!("no outcome within {limit:?}")),
        }
    }

    /// Everything the process printed so far (stdout and stderr, by line).
    pub fn logs(&self) -> String {
        self.output
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The process id.
    pub fn pid(&self) -> Option<u32> {
        self.child.id()
    }
}

/// Echoes each line to the test's stderr (captured by the harness) and keeps it.
async fn collect_lines(stream: impl AsyncRead + Unpin, output: Arc<Mutex<String>>) {
    let mut lines = BufReader::new(stream).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        eprintln!("[{NAME}] {line}");
        let mut output = output.lock().unwrap_or_else(PoisonError::into_inner);
        output.push_str(&line);
        output.push('\n');
    }
}
