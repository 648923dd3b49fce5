//! A Lattice service network: its auth type and auth policy apply to every service associated
//! with it, before the service's own.

use lattice_lambda::AuthType;

/// An `AWS::VpcLattice::ServiceNetwork` (or the network of a Gateway API `Gateway`).
#[derive(Clone, Debug)]
pub struct ServiceNetwork {
    /// Logical id (the `Gateway` name for manifests).
    pub logical_id: String,
    /// `Name`.
    pub name: String,
    /// Local ARN.
    pub arn: String,
    /// `NONE` or `AWS_IAM`.
    pub auth_type: AuthType,
    /// The auth policy document, when an `AWS::VpcLattice::AuthPolicy` targets the network.
    pub auth_policy: Option<serde_json::Value>,
}
