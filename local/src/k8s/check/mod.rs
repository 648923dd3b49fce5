//! Cross-checks over a whole manifest set: what refers to what, and what the controller or
//! Lattice would refuse although the schema allows it. The first problem found is returned.
//! Routes are checked in [`routes`], policies in [`policies`].

mod policies;
mod routes;

use std::collections::BTreeMap;

use super::Manifests;
use super::error::{ManifestError, Origin};
use super::gateway_api::LATTICE_GATEWAY_CLASS;
use super::meta::{Located, Object, ObjectKey};
use super::workloads::TargetPort;

pub use policies::CLIENT_ROLE_PLACEHOLDER;
pub(crate) use policies::{local_client_role_arn, policy_document};

/// What the manifests must agree with outside themselves.
#[derive(Clone, Debug, Default)]
pub struct CheckOptions {
    /// The service network every `amazon-vpc-lattice` Gateway must be named after (the
    /// template's `ServiceNetworkName`); `None` skips the comparison.
    pub service_network_name: Option<String>,
}

impl Manifests {
    /// Cross-checks the set: no object twice; Gateways named after the service network; every
    /// `parentRef`, `backendRef` and policy `targetRef` names an object of the set; every route
    /// only uses what the controller maps; every `IAMAuthPolicy` parses with the data plane's
    /// policy parser.
    pub fn check(&self, options: &CheckOptions) -> Result<(), ManifestError> {
        duplicates("Deployment", &self.deployments)?;
        duplicates("Service", &self.services)?;
        duplicates("Gateway", &self.gateways)?;
        duplicates("HTTPRoute", &self.http_routes)?;
        duplicates("IAMAuthPolicy", &self.iam_auth_policies)?;
        duplicates("TargetGroupPolicy", &self.target_group_policies)?;
        duplicates("VpcAssociationPolicy", &self.vpc_association_policies)?;
        self.check_gateways(options)?;
        self.check_services()?;
        for route in &self.http_routes {
            self.check_route(route)?;
        }
        self.check_iam_auth_policies()?;
        self.check_target_group_policies()?;
        self.check_vpc_association_policies()
    }

    fn check_gateways(&self, options: &CheckOptions) -> Result<(), ManifestError> {
        for gateway in &self.gateways {
            let spec = &gateway.object.spec;
            if spec.gateway_class_name != LATTICE_GATEWAY_CLASS {
                continue;
            }
            if let Some(expected) = &options.service_network_name
                && gateway.object.metadata.name != *expected
            {
                return Err(ManifestError::GatewayName {
                    origin: Origin::new(&gateway.source, "Gateway", gateway.object.key()),
                    expected: expected.clone(),
                });
            }
            for (i, listener) in spec.listeners.iter().enumerate() {
                if !matches!(listener.protocol.as_str(), "HTTP" | "HTTPS" | "TLS") {
                    return Err(invalid(
                        gateway,
                        "Gateway",
                        format!("spec.listeners[{i}].protocol"),
                        format!(
                            "{} is not a protocol the controller maps (HTTP, HTTPS, TLS)",
                            listener.protocol
                        ),
                    ));
                }
                if spec.listeners[..i].iter().any(|l| l.name == listener.name) {
                    return Err(invalid(
                        gateway,
                        "Gateway",
                        format!("spec.listeners[{i}].name"),
                        format!("listener name {:?} is used twice", listener.name),
                    ));
                }
            }
        }
        Ok(())
    }

    fn check_services(&self) -> Result<(), ManifestError> {
        for service in &self.services {
            for (i, port) in service.object.spec.ports.iter().enumerate() {
                let Some(TargetPort::Name(name)) = &port.target_port else {
                    continue;
                };
                // A named port resolves through the selected pods; without such a pod the
                // Service has no endpoints and the controller registers no targets.
                let resolves = self.deployments.iter().any(|d| {
                    d.object.pods_match(&service.object.spec.selector)
                        && d.object.spec.template.spec.containers.iter().any(|c| {
                            c.ports
                                .iter()
                                .any(|p| p.name.as_deref() == Some(name.as_str()))
                        })
                });
                if !resolves {
                    return Err(invalid(
                        service,
                        "Service",
                        format!("spec.ports[{i}].targetPort"),
                        format!(
                            "no Deployment selected by this Service has a container port named {name:?}; give the port number"
                        ),
                    ));
                }
            }
        }
        Ok(())
    }
}

fn duplicates<S>(kind: &'static str, objects: &[Located<Object<S>>]) -> Result<(), ManifestError> {
    let mut seen: BTreeMap<ObjectKey, &Located<Object<S>>> = BTreeMap::new();
    for object in objects {
        if let Some(first) = seen.insert(object.object.key(), object) {
            return Err(ManifestError::Duplicate {
                origin: Origin::new(&object.source, kind, object.object.key()),
                first: first.source.clone(),
            });
        }
    }
    Ok(())
}

pub(crate) fn invalid<S>(
    doc: &Located<Object<S>>,
    kind: &'static str,
    field: impl Into<String>,
    message: impl Into<String>,
) -> ManifestError {
    ManifestError::Invalid {
        origin: Origin::new(&doc.source, kind, doc.object.key()),
        field: field.into(),
        message: message.into(),
    }
}

pub(super) fn dangling<S>(
    doc: &Located<Object<S>>,
    kind: &'static str,
    field: impl Into<String>,
    target_kind: &str,
    target: ObjectKey,
) -> ManifestError {
    ManifestError::Dangling {
        origin: Origin::new(&doc.source, kind, doc.object.key()),
        field: field.into(),
        target_kind: target_kind.to_owned(),
        target,
    }
}
