//! Cross-crate test support: build workspace binaries and run real function binaries
//! under lattice_local's Runtime API, one invocation at a time per instance
//! ([`FunctionUnderTest`]) or several at once in one process ([`SharedInstance`]).
//!
//! ```no_run
//! use lattice_tests::{FunctionUnderTest, test_function};
//!
//! # async fn demo() {
//! let function = FunctionUnderTest::start(&test_function(), &[("GREETING", "hi")]).await;
//! let value = function.invoke_json(&serde_json::json!({"env": "GREETING"})).await.expect_response();
//! assert_eq!(value, "hi");
//! # }
//! ```

#![warn(missing_docs)]

mod function;
mod shared_instance;

pub use function::{DEFAULT_TIMEOUT, FunctionUnderTest, Invocation, StartError};
pub use lattice_test_support::binaries::{test_function, workspace_binary};
pub use shared_instance::SharedInstance;
