//! Test support for the Lattice client tests: scripted upstreams (HTTP and HTTPS with a test
//! CA) that record the exact requests they read, and the botocore signature oracle.
//!
//! Shared by `client_signing.rs` and `eks_client.rs`; each uses a subset.
#![allow(dead_code)]

pub mod oracle;
pub mod tls;
pub mod upstream;
