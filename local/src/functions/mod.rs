//! Function binaries run as real child processes against the embedded Runtime API.
//!
//! A [`FunctionPool`] owns the warm instances of one function. Each instance is one
//! process with its own [`RuntimeApi`](crate::runtime_api::RuntimeApi), started with the
//! environment a Lambda sandbox provides (and nothing inherited from this process).
//!
//! ```no_run
//! use bytes::Bytes;
//! use lattice_local::functions::{FunctionConfig, FunctionPool, InvokeOptions, InvokeOutcome};
//!
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let config = FunctionConfig::new("provider", "target/debug/provider").with_max_instances(2);
//! let pool = FunctionPool::new(config)?;
//! pool.warm(1).await?;
//! match pool.invoke(Bytes::from_static(b"{}"), InvokeOptions::default()).await? {
//!     InvokeOutcome::Response(body) => println!("{}", String::from_utf8_lossy(&body)),
//!     InvokeOutcome::FunctionError(error) => println!("{}: {}", error.error_type, error.error_message),
//! }
//! pool.shutdown().await;
//! # Ok(())
//! # }
//! ```

mod config;
mod error;
mod instance;
mod invocation_log;
mod logs;
mod outcome;
mod pool;
mod process;

pub use crate::runtime_api::FunctionError;
pub use config::FunctionConfig;
pub use error::{FunctionConfigError, InstancePhase, InvokeError};
pub use instance::{InstanceExit, InstanceStats};
pub use invocation_log::{CapturedLog, LOG_TAIL_BYTES, log_tail};
pub use logs::{
    DiscardLogSink, LogBuffer, LogLine, LogSink, LogStream, StderrLogSink, TracingLogSink,
};
pub use outcome::{InvokeOptions, InvokeOutcome, Invoked};
pub use pool::FunctionPool;
