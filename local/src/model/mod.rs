//! The local topology as plain typed data: services with their listeners and rules, service
//! networks, target groups with their targets and health checks, functions, the parameters
//! used and the notes about what is not emulated.
//!
//! Readers produce it (`template/` from `template.yaml`); the data plane and `up` consume it.
//! Nothing here reads files or evaluates anything, so every reader builds the same shapes.

mod function;
mod health_check;
mod ids;
mod note;
mod parameter;
mod rule;
mod service;
mod service_network;
mod target_group;

use std::collections::BTreeMap;

pub use function::Function;
pub use health_check::{
    HealthCheck, HealthCheckError, HealthCheckSettings, ProtocolVersion, StatusMatcher,
};
pub use ids::{DEFAULT_REGION, LOCAL_ACCOUNT_ID, LOCAL_DOMAIN, LocalAccount, local_id};
pub use note::Note;
pub use parameter::ParamValue;
pub use rule::{
    Action, HeaderMatch, HeaderMatchKind, HttpMatch, PathMatch, PathMatchKind, Rule, WeightedTarget,
};
pub use service::{Listener, Service};
pub use service_network::ServiceNetwork;
pub use target_group::{RegisteredTarget, TargetGroup, TargetKind};

/// The whole local topology: services, target groups, functions.
#[derive(Clone, Debug)]
pub struct Topology {
    /// Account and region every ARN uses.
    pub account: LocalAccount,
    /// Services in template order (sorted by logical id).
    pub services: Vec<Service>,
    /// The service networks the topology creates (a service may also name one it does not).
    pub service_networks: Vec<ServiceNetwork>,
    /// Target groups by logical id.
    pub target_groups: BTreeMap<String, TargetGroup>,
    /// Functions by logical id.
    pub functions: BTreeMap<String, Function>,
    /// The parameter values used (defaults plus overrides).
    pub parameters: BTreeMap<String, ParamValue>,
    /// Constructs lattice-local does not emulate, by name.
    pub notes: Vec<Note>,
}

impl Topology {
    /// The service with this name (`foo-service`) or logical id.
    pub fn service(&self, name_or_id: &str) -> Option<&Service> {
        self.services
            .iter()
            .find(|s| s.name == name_or_id || s.logical_id == name_or_id)
    }

    /// The service network with this ARN, if the topology creates it.
    pub fn service_network(&self, arn: &str) -> Option<&ServiceNetwork> {
        self.service_networks.iter().find(|n| n.arn == arn)
    }

    /// The target group with this logical id or name.
    pub fn target_group(&self, name_or_id: &str) -> Option<&TargetGroup> {
        self.target_groups
            .get(name_or_id)
            .or_else(|| self.target_groups.values().find(|t| t.name == name_or_id))
    }
}
