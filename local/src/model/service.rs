//! A Lattice service and the listener that serves it.

use std::collections::BTreeMap;

use lattice_lambda::AuthType;

use super::rule::{Action, Rule};

/// An `AWS::VpcLattice::Service` and what hangs off it.
#[derive(Clone, Debug)]
pub struct Service {
    /// Logical id.
    pub logical_id: String,
    /// `Name` (what clients put in `Host`).
    pub name: String,
    /// Local ARN.
    pub arn: String,
    /// ARN of the service network it is associated with.
    pub service_network_arn: String,
    /// `NONE` or `AWS_IAM`.
    pub auth_type: AuthType,
    /// The auth policy document, when an `AWS::VpcLattice::AuthPolicy` targets it.
    pub auth_policy: Option<serde_json::Value>,
    /// `Tags` (`aws:ResourceTag/<key>` in auth policies).
    pub tags: BTreeMap<String, String>,
    /// The listener served locally.
    pub listener: Option<Listener>,
}

/// An `AWS::VpcLattice::Listener` with its rules.
#[derive(Clone, Debug)]
pub struct Listener {
    /// Logical id.
    pub logical_id: String,
    /// Local ARN.
    pub arn: String,
    /// `HTTP` or `HTTPS` (served as plain HTTP locally).
    pub protocol: String,
    /// The port Lattice would listen on.
    pub port: u16,
    /// What happens when no rule matches.
    pub default_action: Action,
    /// Its rules (any order; the router sorts them).
    pub rules: Vec<Rule>,
}
