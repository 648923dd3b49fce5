//! Why an invoke (or a pool) failed.

use std::path::PathBuf;
use std::process::ExitStatus;
use std::time::Duration;

use crate::runtime_api::{FunctionError, InvalidHeader};

/// A [`FunctionConfig`](super::FunctionConfig) value that cannot work.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FunctionConfigError {
    /// Function names are 1–64 characters of `A-Z a-z 0-9 - _`.
    #[error("invalid function name {0:?}: use 1-64 characters of A-Z, a-z, 0-9, '-' and '_'")]
    InvalidName(String),
    /// Regions are lower-case letters, digits and dashes.
    #[error("invalid region {0:?}")]
    InvalidRegion(String),
    /// Account ids are 12 digits.
    #[error("invalid account id {0:?}: expected 12 digits")]
    InvalidAccountId(String),
    /// `max_instances` is 0.
    #[error("max_instances must be at least 1")]
    NoInstances,
    /// `timeout` is 0.
    #[error("timeout must be greater than zero")]
    ZeroTimeout,
    /// `max_concurrency` is 0 or over lattice-local's bound.
    #[error(
        "max concurrency {0} is out of range: an instance runs 1 to {max} invocations at once",
        max = crate::net::limits::MAX_FUNCTION_CONCURRENCY
    )]
    InvalidConcurrency(usize),
}

/// When, in an instance's life, something went wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InstancePhase {
    /// Before its first `/invocation/next`.
    Init,
    /// While handling an invocation.
    Invoke,
}

impl std::fmt::Display for InstancePhase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Init => "during init",
            Self::Invoke => "before answering the invocation",
        })
    }
}

/// An invoke that produced neither a response nor a function error.
#[derive(Debug, thiserror::Error)]
pub enum InvokeError {
    /// The function reported an init failure to `/runtime/init/error`.
    #[error("function init failed: {}: {}", .0.error_type, .0.error_message)]
    Init(FunctionError),
    /// The process exited (or was killed by a signal) without answering.
    #[error("function process exited {phase} ({status}); stderr tail:\n{stderr_tail}", status = describe_exit(.status))]
    Exited {
        /// Init or invoke.
        phase: InstancePhase,
        /// How it ended, if the status could be read.
        status: Option<ExitStatus>,
        /// The last lines the process wrote to stderr.
        stderr_tail: String,
    },
    /// The invocation ran past the function timeout; the instance was killed.
    #[error("function timed out after {timeout:?}; the instance was killed")]
    Timeout {
        /// The function timeout.
        timeout: Duration,
    },
    /// The process did not reach its first `/invocation/next` within the init timeout.
    #[error("function init did not finish within {timeout:?}; the instance was killed")]
    InitTimeout {
        /// The init timeout.
        timeout: Duration,
    },
    /// The binary could not be started.
    #[error("cannot start {}: {source}", binary.display())]
    Spawn {
        /// The binary that was run.
        binary: PathBuf,
        /// What the OS said.
        source: std::io::Error,
    },
    /// The instance's Runtime API could not listen.
    #[error("cannot start the Runtime API: {0}")]
    RuntimeApi(std::io::Error),
    /// Every instance stayed busy for the whole wait.
    #[error("no function instance became free within {waited:?} (all {max_instances} busy)")]
    Throttled {
        /// How long the invoke waited.
        waited: Duration,
        /// The concurrency limit.
        max_instances: usize,
    },
    /// An invoke option cannot be sent as a Runtime API header.
    #[error("invalid invoke option: {0}")]
    InvalidOption(#[from] InvalidHeader),
    /// The pool was shut down.
    #[error("the function pool is shut down")]
    ShutDown,
}

fn describe_exit(status: &Option<ExitStatus>) -> String {
    status.map_or_else(|| "status unknown".to_owned(), |s| s.to_string())
}

impl InvokeError {
    /// The exit code, when the process exited normally.
    pub fn exit_code(&self) -> Option<i32> {
        match self {
            Self::Exited { status, .. } => status.and_then(|s| s.code()),
            _ => None,
        }
    }
}
