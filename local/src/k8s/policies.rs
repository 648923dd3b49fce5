//! The controller's policy kinds, `application-networking.k8s.aws/v1alpha1`: `IAMAuthPolicy`,
//! `TargetGroupPolicy` and `VpcAssociationPolicy`, with the fields of the controller's CRDs
//! (`config/crds/bases/application-networking.k8s.aws_*.yaml`); anything else is rejected.

use serde::Deserialize;

use super::meta::{Object, PolicyTargetRef};
use crate::model::HealthCheckSettings;

/// The API version of the controller's kinds.
pub const CONTROLLER_API_VERSION: &str = "application-networking.k8s.aws/v1alpha1";

/// The API group of the controller's kinds.
pub const CONTROLLER_API_GROUP: &str = "application-networking.k8s.aws";

/// An `IAMAuthPolicy`: the auth policy (and auth type `AWS_IAM`) of a route's service or of a
/// Gateway's service network.
pub type IamAuthPolicy = Object<IamAuthPolicySpec>;

/// A `TargetGroupPolicy`: protocol and health check of the target groups built for a Service.
pub type TargetGroupPolicy = Object<TargetGroupPolicySpec>;

/// A `VpcAssociationPolicy`: the cluster VPC's association with a Gateway's service network.
pub type VpcAssociationPolicy = Object<VpcAssociationPolicySpec>;

/// `IAMAuthPolicy.spec`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct IamAuthPolicySpec {
    /// `targetRef`: a Gateway, HTTPRoute or GRPCRoute.
    pub target_ref: PolicyTargetRef,
    /// `policy`: the IAM policy document as a JSON string.
    pub policy: String,
}

/// `TargetGroupPolicy.spec`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct TargetGroupPolicySpec {
    /// `targetRef`: a Service (or ServiceExport).
    pub target_ref: PolicyTargetRef,
    /// `protocol`: `HTTP` (the default), `HTTPS` or `TCP`.
    #[serde(default)]
    pub protocol: Option<String>,
    /// `protocolVersion`: `HTTP1` (the default) or `HTTP2`.
    #[serde(default)]
    pub protocol_version: Option<String>,
    /// `healthCheck`.
    #[serde(default)]
    pub health_check: Option<HealthCheck>,
}

/// A target group's health check, as `TargetGroupPolicy.spec.healthCheck` writes it. Absent
/// fields keep Lattice's defaults.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct HealthCheck {
    /// `enabled`.
    #[serde(default)]
    pub enabled: Option<bool>,
    /// `intervalSeconds` (5–300).
    #[serde(default)]
    pub interval_seconds: Option<u32>,
    /// `timeoutSeconds` (1–120).
    #[serde(default)]
    pub timeout_seconds: Option<u32>,
    /// `healthyThresholdCount` (2–10).
    #[serde(default)]
    pub healthy_threshold_count: Option<u32>,
    /// `unhealthyThresholdCount` (2–10).
    #[serde(default)]
    pub unhealthy_threshold_count: Option<u32>,
    /// `path`.
    #[serde(default)]
    pub path: Option<String>,
    /// `port`; the traffic port when absent.
    #[serde(default)]
    pub port: Option<u16>,
    /// `protocol`: `HTTP` or `HTTPS`.
    #[serde(default)]
    pub protocol: Option<String>,
    /// `protocolVersion`: `HTTP1` or `HTTP2`.
    #[serde(default)]
    pub protocol_version: Option<String>,
    /// `statusMatch`, e.g. `200` or `200-299`.
    #[serde(default)]
    pub status_match: Option<String>,
}

/// `VpcAssociationPolicy.spec`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct VpcAssociationPolicySpec {
    /// `targetRef`: a Gateway.
    pub target_ref: PolicyTargetRef,
    /// `associateWithVpc` (true when absent).
    #[serde(default)]
    pub associate_with_vpc: Option<bool>,
    /// `securityGroupIds`.
    #[serde(default)]
    pub security_group_ids: Vec<String>,
}

impl From<&HealthCheck> for HealthCheckSettings {
    /// The policy's health check in CloudFormation's terms: the controller hands each field to
    /// Lattice's `HealthCheckConfig` as it is (`statusMatch` becomes `Matcher.HttpCode`).
    fn from(check: &HealthCheck) -> Self {
        HealthCheckSettings {
            enabled: check.enabled,
            protocol: check.protocol.clone(),
            protocol_version: check.protocol_version.clone(),
            path: check.path.clone(),
            port: check.port,
            interval_seconds: check.interval_seconds,
            timeout_seconds: check.timeout_seconds,
            healthy_threshold_count: check.healthy_threshold_count,
            unhealthy_threshold_count: check.unhealthy_threshold_count,
            matcher: check.status_match.clone(),
        }
    }
}
