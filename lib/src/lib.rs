//! Amazon VPC Lattice for AWS Lambda (work in progress).
#[cfg(feature = "client")]
pub mod client;
