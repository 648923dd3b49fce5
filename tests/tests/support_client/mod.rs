//! Test support for the Lattice client tests: scripted upstreams (HTTP and HTTPS with a test
//! CA) that record the exact requests they read, and the botocore signature oracle.
//!
//! Shared by `client_signing.rs` and `eks_client.rs`; each uses a subset.
#![allow(dead_code)]

pub mod oracle;
pub mod tls;
/// The workspace's raw-TCP fault upstream (`lattice-test-support`).
pub use lattice_test_support::fault_upstream as upstream;
