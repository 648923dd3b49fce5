//! Local VPC Lattice data plane.

pub mod access_log;
pub mod auth;
pub mod demo;
pub mod functions;
pub mod invoke_api;
pub mod routing;
pub mod runtime_api;
pub mod server;
pub mod targets;
pub mod template;
pub mod up;
