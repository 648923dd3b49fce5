//! `lattice-local`: a local Amazon VPC Lattice data plane driven by `template.yaml`.
//!
//! [`template`] reads the template into a [`model::Topology`] of services, listeners, rules
//! and target groups; [`server`] serves each service on 127.0.0.1 and routes requests with [`routing`];
//! [`auth`] verifies SigV4/SigV4A signatures and evaluates auth policies; [`targets`] turns a
//! request into a Lambda invocation (events shaped by `lattice-lambda`) or proxies it to an
//! HTTP upstream; [`functions`] runs function binaries as warm processes against the embedded
//! [`runtime_api`]; [`invoke_api`] serves the Lambda Invoke API; [`up`], [`demo`] and
//! [`policy_check`] are the commands of the `lattice-local` binary.
#![warn(missing_docs)]

pub mod access_log;
pub mod auth;
pub mod demo;
pub mod functions;
pub mod invoke_api;
pub mod k8s;
pub mod model;
pub mod policy_check;
pub mod routing;
pub mod runtime_api;
pub mod server;
pub mod targets;
pub mod template;
pub mod up;
