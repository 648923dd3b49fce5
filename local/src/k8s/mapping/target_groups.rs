//! A route's backend -> an IP target group, with the protocol and health check of the
//! Service's `TargetGroupPolicy`.

use super::{Backend, Mapper};
use crate::k8s::check::invalid;
use crate::k8s::error::ManifestError;
use crate::k8s::gateway_api::HttpRoute;
use crate::k8s::meta::{Located, ObjectKey};
use crate::model::{HealthCheck, HealthCheckSettings, ProtocolVersion};
use crate::template::{TargetGroup, TargetKind, local_id};

/// The port the controller gives every target group it builds for a Service (targets register
/// with the endpoints' own ports).
const CONTROLLER_TARGET_GROUP_PORT: u16 = 80;

impl Mapper<'_> {
    pub(super) fn target_group(
        &mut self,
        route: &Located<HttpRoute>,
        kind: &str,
        object: &ObjectKey,
        logical_id: &str,
        seed: &str,
    ) -> Result<TargetGroup, ManifestError> {
        let service = self.manifests.service(object).filter(|_| kind == "Service");
        let target_port = service
            .and_then(|s| s.object.spec.ports.first())
            .and_then(|p| p.numeric_target_port());
        if kind == "ServiceImport" {
            self.note(object, "ServiceImport", format!("backend of route {}: not emulated, target group {logical_id} has no local targets", route.object.key()));
        }
        let policy = self.manifests.target_group_policies.iter().find(|p| {
            let target = &p.object.spec.target_ref;
            target.group.is_empty()
                && target.kind == kind
                && target.key(p.object.metadata.namespace()) == *object
        });
        let protocol = policy
            .and_then(|p| p.object.spec.protocol.clone())
            .unwrap_or_else(|| "HTTP".into());
        let mut protocol_version = ProtocolVersion::Http1;
        let mut health_check = HealthCheck::lattice_default(protocol_version);
        if let Some(policy) = policy {
            if protocol == "TCP" {
                return Err(invalid(
                    policy,
                    "TargetGroupPolicy",
                    "spec.protocol",
                    format!(
                        "a TCP target group cannot serve route {}'s HTTP/HTTPS listener",
                        route.object.key()
                    ),
                ));
            }
            if let Some(version) = policy.object.spec.protocol_version.as_deref() {
                protocol_version = ProtocolVersion::parse(version).ok_or_else(|| {
                    invalid(
                        policy,
                        "TargetGroupPolicy",
                        "spec.protocolVersion",
                        format!("{version} is not HTTP1 or HTTP2"),
                    )
                })?;
            }
            let written = policy
                .object
                .spec
                .health_check
                .as_ref()
                .map(HealthCheckSettings::from)
                .unwrap_or_default();
            health_check = written.resolve(protocol_version).map_err(|error| {
                invalid(
                    policy,
                    "TargetGroupPolicy",
                    "spec.healthCheck",
                    error.to_string(),
                )
            })?;
        }
        self.backends.insert(
            logical_id.to_owned(),
            Backend {
                kind: kind.to_owned(),
                object: object.clone(),
                route: route.object.key(),
                target_port,
            },
        );
        Ok(TargetGroup {
            logical_id: logical_id.to_owned(),
            name: logical_id.to_owned(),
            arn: self
                .options
                .account
                .lattice_arn(&format!("targetgroup/{}", local_id("tg", seed))),
            kind: TargetKind::Http {
                target_type: "IP".to_owned(),
                protocol,
                protocol_version,
                port: Some(CONTROLLER_TARGET_GROUP_PORT),
                targets: Vec::new(),
                health_check,
            },
        })
    }
}
