//! `lattice-local`: a local Amazon VPC Lattice data plane driven by `template.yaml`.
//!
//! [`template`] reads the template (and [`k8s`] the Gateway API manifests) into a
//! [`model::Topology`] of services, listeners, rules and target groups; [`dataplane`] serves
//! each service on 127.0.0.1 as a stack of `tower` layers (host, canonical path, auth with
//! [`auth`], listener rules, target); [`targets`] turns a
//! request into a Lambda invocation (events shaped by `lattice-lambda`) or proxies it to an
//! HTTP upstream; [`functions`] runs function binaries as warm processes against the embedded
//! [`runtime_api`]; [`invoke_api`] serves the Lambda Invoke API; [`net`] holds the accept loop,
//! body reader, TLS handshake and limits every server shares; [`tls`] keeps the local CA and
//! the services' certificates of HTTPS listeners; [`up`], [`demo`] and [`policy_check`] are the
//! commands of the `lattice-local` binary.
#![warn(missing_docs)]

pub mod access_log;
pub mod auth;
pub mod dataplane;
pub mod demo;
pub mod functions;
pub mod inspector;
pub mod invoke_api;
pub mod k8s;
pub mod model;
pub mod net;
pub mod policy_check;
pub mod runtime_api;
pub mod targets;
pub mod template;
pub mod tls;
pub mod up;
