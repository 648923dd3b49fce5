//! Local VPC Lattice data plane.

pub mod runtime_api;
