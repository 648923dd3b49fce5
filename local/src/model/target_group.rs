//! A target group: where a rule's forward action sends requests.

use lattice_lambda::EventVersion;

use super::health_check::{HealthCheck, ProtocolVersion};

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
    /// `Type: IP`, `INSTANCE` or `ALB`: HTTP targets (the template's `Targets`, or URLs given on
    /// the command line).
    Http {
        /// `Type`: `IP`, `INSTANCE` or `ALB`.
        target_type: String,
        /// `Config.Protocol`.
        protocol: String,
        /// `Config.ProtocolVersion`.
        protocol_version: ProtocolVersion,
        /// `Config.Port`.
        port: Option<u16>,
        /// The registered targets.
        targets: Vec<RegisteredTarget>,
        /// `Config.HealthCheck` with Lattice's defaults (disabled for `ALB` groups).
        health_check: HealthCheck,
    },
}

/// A target as registered: an IP address or instance id, and the port that overrides the
/// group's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegisteredTarget {
    /// `Id`.
    pub id: String,
    /// `Port`, when it differs from the group's.
    pub port: Option<u16>,
}
