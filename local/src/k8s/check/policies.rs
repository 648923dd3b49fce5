//! Policy checks: each policy's target exists and is of a kind it attaches to, its values are
//! ones the CRD and the controller accept, and every `IAMAuthPolicy` parses with the policy parser
//! the data plane uses.

use serde_json::Value as Json;

use super::{dangling, invalid};
use crate::auth::{AuthPolicy, PolicyError, PolicyProblem};
use crate::k8s::Manifests;
use crate::k8s::error::{ManifestError, Origin};
use crate::k8s::gateway_api::GATEWAY_API_GROUP;
use crate::k8s::meta::Located;
use crate::k8s::policies::{CONTROLLER_API_GROUP, IamAuthPolicy};

/// The stand-in for the client function's role ARN in `k8s/eks-app-iam-auth-policy.yaml`, named
/// after the stack output that holds the real value (`EksClientFunctionRoleArn`). A policy string
/// value exactly equal to it is replaced before the policy is parsed; any other non-ARN principal
/// is refused by the policy parser.
pub const CLIENT_ROLE_PLACEHOLDER: &str = "<EksClientFunctionRoleArn>";

impl Manifests {
    pub(super) fn check_iam_auth_policies(&self) -> Result<(), ManifestError> {
        for policy in &self.iam_auth_policies {
            let target = &policy.object.spec.target_ref;
            let key = target.key(policy.object.metadata.namespace());
            let exists = match (target.group.as_str(), target.kind.as_str()) {
                (GATEWAY_API_GROUP, "Gateway") => self.gateway(&key).is_some(),
                (GATEWAY_API_GROUP, "HTTPRoute") => self.http_route(&key).is_some(),
                // GRPCRoutes are listed in the notes and not typed; the target cannot be checked.
                (GATEWAY_API_GROUP, "GRPCRoute") => true,
                (group, kind) => {
                    return Err(invalid(
                        policy,
                        "IAMAuthPolicy",
                        "spec.targetRef",
                        format!("{kind} ({group:?}) is not a Gateway, HTTPRoute or GRPCRoute"),
                    ));
                }
            };
            if !exists {
                return Err(dangling(
                    policy,
                    "IAMAuthPolicy",
                    "spec.targetRef",
                    &target.kind,
                    key,
                ));
            }
            policy_document(policy, &local_client_role_arn())?;
        }
        Ok(())
    }

    pub(super) fn check_target_group_policies(&self) -> Result<(), ManifestError> {
        for policy in &self.target_group_policies {
            const KIND: &str = "TargetGroupPolicy";
            let spec = &policy.object.spec;
            let key = spec.target_ref.key(policy.object.metadata.namespace());
            match (
                spec.target_ref.group.as_str(),
                spec.target_ref.kind.as_str(),
            ) {
                ("", "Service") if self.service(&key).is_none() => {
                    return Err(dangling(policy, KIND, "spec.targetRef", "Service", key));
                }
                ("", "Service") | (CONTROLLER_API_GROUP, "ServiceExport") => {}
                (group, kind) => {
                    return Err(invalid(
                        policy,
                        KIND,
                        "spec.targetRef",
                        format!("{kind} ({group:?}) is not a Service or ServiceExport"),
                    ));
                }
            }
            let protocol = spec.protocol.as_deref().unwrap_or("HTTP");
            if !matches!(protocol, "HTTP" | "HTTPS" | "TCP") {
                return Err(invalid(
                    policy,
                    KIND,
                    "spec.protocol",
                    format!("{protocol} is not HTTP, HTTPS or TCP"),
                ));
            }
            if let Some(version) = &spec.protocol_version {
                if protocol == "TCP" {
                    return Err(invalid(
                        policy,
                        KIND,
                        "spec.protocolVersion",
                        "protocolVersion is not supported for protocol TCP (the controller refuses the policy)",
                    ));
                }
                if !matches!(version.as_str(), "HTTP1" | "HTTP2") {
                    return Err(invalid(
                        policy,
                        KIND,
                        "spec.protocolVersion",
                        format!("{version} is not HTTP1 or HTTP2"),
                    ));
                }
            }
            if let Some(check) = &spec.health_check {
                let ranges = [
                    ("intervalSeconds", check.interval_seconds, 5, 300),
                    ("timeoutSeconds", check.timeout_seconds, 1, 120),
                    (
                        "healthyThresholdCount",
                        check.healthy_threshold_count,
                        2,
                        10,
                    ),
                    (
                        "unhealthyThresholdCount",
                        check.unhealthy_threshold_count,
                        2,
                        10,
                    ),
                ];
                for (name, value, min, max) in ranges {
                    if let Some(v) = value
                        && !(min..=max).contains(&v)
                    {
                        return Err(invalid(
                            policy,
                            KIND,
                            format!("spec.healthCheck.{name}"),
                            format!("{v} is outside {min}..={max} (the CRD refuses it)"),
                        ));
                    }
                }
                let enums = [
                    ("protocol", &check.protocol, ["HTTP", "HTTPS"]),
                    (
                        "protocolVersion",
                        &check.protocol_version,
                        ["HTTP1", "HTTP2"],
                    ),
                ];
                for (name, value, allowed) in enums {
                    if let Some(v) = value
                        && !allowed.contains(&v.as_str())
                    {
                        return Err(invalid(
                            policy,
                            KIND,
                            format!("spec.healthCheck.{name}"),
                            format!("{v} is not {}", allowed.join(" or ")),
                        ));
                    }
                }
            }
        }
        Ok(())
    }

    pub(super) fn check_vpc_association_policies(&self) -> Result<(), ManifestError> {
        for policy in &self.vpc_association_policies {
            const KIND: &str = "VpcAssociationPolicy";
            let spec = &policy.object.spec;
            let key = spec.target_ref.key(policy.object.metadata.namespace());
            if (
                spec.target_ref.group.as_str(),
                spec.target_ref.kind.as_str(),
            ) != (GATEWAY_API_GROUP, "Gateway")
            {
                return Err(invalid(
                    policy,
                    KIND,
                    "spec.targetRef",
                    "a VpcAssociationPolicy attaches to a Gateway",
                ));
            }
            if self.gateway(&key).is_none() {
                return Err(dangling(policy, KIND, "spec.targetRef", "Gateway", key));
            }
            for (i, group) in spec.security_group_ids.iter().enumerate() {
                let valid = group.strip_prefix("sg-").is_some_and(|id| {
                    !id.is_empty()
                        && id
                            .bytes()
                            .all(|b| b.is_ascii_digit() || b.is_ascii_lowercase())
                });
                if !valid {
                    return Err(invalid(
                        policy,
                        KIND,
                        format!("spec.securityGroupIds[{i}]"),
                        format!("{group:?} is not a security group id (sg-…)"),
                    ));
                }
            }
        }
        Ok(())
    }
}

/// The role the local client function signs as (the demo's credentials): what the placeholder
/// stands for locally, and while checking.
pub(crate) fn local_client_role_arn() -> String {
    format!(
        "arn:aws:iam::{}:role/EksClientFunctionRole",
        crate::template::LOCAL_ACCOUNT_ID
    )
}

/// The policy document of an `IAMAuthPolicy`, with [`CLIENT_ROLE_PLACEHOLDER`] replaced by
/// `client_role_arn`, and its parsed form.
pub(crate) fn policy_document(
    policy: &Located<IamAuthPolicy>,
    client_role_arn: &str,
) -> Result<(Json, AuthPolicy), ManifestError> {
    let fail = |source| ManifestError::Policy {
        origin: Origin::new(&policy.source, "IAMAuthPolicy", policy.object.key()),
        source,
    };
    let mut document: Json = serde_json::from_str(&policy.object.spec.policy).map_err(|e| {
        fail(PolicyError {
            location: "policy".into(),
            problem: PolicyProblem::InvalidValue {
                element: "the policy string".into(),
                reason: format!("is not JSON: {e}"),
            },
        })
    })?;
    replace_placeholder(&mut document, client_role_arn);
    let parsed = AuthPolicy::from_json(&document).map_err(fail)?;
    Ok((document, parsed))
}

/// Replaces every string value equal to [`CLIENT_ROLE_PLACEHOLDER`] (and nothing else).
fn replace_placeholder(value: &mut Json, role_arn: &str) {
    match value {
        Json::String(s) if s == CLIENT_ROLE_PLACEHOLDER => *s = role_arn.to_owned(),
        Json::Array(items) => items
            .iter_mut()
            .for_each(|v| replace_placeholder(v, role_arn)),
        Json::Object(map) => map
            .values_mut()
            .for_each(|v| replace_placeholder(v, role_arn)),
        _ => {}
    }
}
