//! A target group: where a rule's forward action sends requests.

use lattice_lambda::EventVersion;

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
