//! A Lattice service and the listeners that serve it.

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
    /// Its listeners, in the order of their logical ids (a template's resources are a map: no
    /// other order is stable). Lattice allows two per service by default, e.g. HTTP on 80 and
    /// HTTPS on 443; each is served on a local port of its own.
    pub listeners: Vec<Listener>,
}

/// An `AWS::VpcLattice::Listener` with its rules.
#[derive(Clone, Debug)]
pub struct Listener {
    /// Logical id.
    pub logical_id: String,
    /// Local ARN.
    pub arn: String,
    /// `HTTP` or `HTTPS` (served over TLS locally, with a certificate of the local CA).
    pub protocol: String,
    /// The port Lattice would listen on.
    pub port: u16,
    /// What happens when no rule matches.
    pub default_action: Action,
    /// Its rules (any order; the router sorts them).
    pub rules: Vec<Rule>,
}

impl Listener {
    /// Whether this is an `HTTPS` listener.
    pub fn is_https(&self) -> bool {
        self.protocol.eq_ignore_ascii_case("HTTPS")
    }
}
