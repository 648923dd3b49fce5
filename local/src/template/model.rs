//! What a template describes, as lattice-local runs it.

use std::collections::BTreeMap;
use std::time::Duration;

use lattice_lambda::{AuthType, EventVersion};

use super::ids::LocalAccount;
use super::intrinsics::ParamValue;
use crate::routing::{Action, Rule};

/// The whole local topology: services, target groups, functions.
#[derive(Clone, Debug)]
pub struct Topology {
    /// Account and region every ARN uses.
    pub account: LocalAccount,
    /// Services in template order (sorted by logical id).
    pub services: Vec<Service>,
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

    /// The target group with this logical id or name.
    pub fn target_group(&self, name_or_id: &str) -> Option<&TargetGroup> {
        self.target_groups
            .get(name_or_id)
            .or_else(|| self.target_groups.values().find(|t| t.name == name_or_id))
    }
}

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

/// An `AWS::VpcLattice::TargetGroup`.
#[derive(Clone, Debug)]
pub struct TargetGroup {
    /// Logical id.
    pub logical_id: String,
    /// `Name`, or the logical id in lower case.
    pub name: String,
    /// Local ARN.
    pub arn: String,
    /// Lambda or HTTP.
    pub kind: TargetKind,
}

/// What a target group forwards to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TargetKind {
    /// `Type: LAMBDA`.
    Lambda {
        /// `Config.LambdaEventStructureVersion` (V1 by default, as in Lattice).
        event_version: EventVersion,
        /// The function's logical id, when the target is a template function.
        function: Option<String>,
        /// The target id as written (a function ARN).
        target_id: String,
    },
    /// `Type: IP`, `INSTANCE` or `ALB`: an HTTP upstream given on the command line.
    Http {
        /// `Config.Protocol`.
        protocol: String,
        /// `Config.Port`.
        port: Option<u16>,
        /// The registered target ids (IPs, instance ids).
        targets: Vec<String>,
    },
}

/// An `AWS::Serverless::Function` built with cargo-lambda.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Function {
    /// Logical id.
    pub logical_id: String,
    /// Function name (`FunctionName`, else the logical id).
    pub name: String,
    /// Local ARN.
    pub arn: String,
    /// The workspace binary (`Metadata.BuildProperties.Binary`).
    pub binary: String,
    /// `Environment.Variables` after evaluation.
    pub env: Vec<(String, String)>,
    /// `Timeout`.
    pub timeout: Duration,
    /// `MemorySize`.
    pub memory_mb: u32,
}

/// A construct lattice-local does not emulate, reported by name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Note {
    /// Logical id (or section name).
    pub resource: String,
    /// What it is (resource type, `Rules`, …).
    pub kind: String,
    /// What lattice-local does about it.
    pub message: String,
}

impl std::fmt::Display for Note {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({}): {}", self.resource, self.kind, self.message)
    }
}
