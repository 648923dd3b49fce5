//! Manifests -> lattice-local's [`Topology`], following the AWS Gateway API Controller's
//! conventions (sources in `docs/lattice-local.md`, "The EKS side from Gateway API manifests"):
//! an `amazon-vpc-lattice` `Gateway` is the service network of the same name; an `HTTPRoute` is a
//! Lattice service `<route>-<namespace>` with one listener per selected Gateway listener (404 by
//! default) and one rule per route rule; each backend Service is an IP target group; an
//! `IAMAuthPolicy` sets auth type `AWS_IAM` and the policy of the route's service or of the
//! Gateway's network; a `TargetGroupPolicy` sets the protocol and health check.
//!
//! Routes become services in [`routes`]; backends become target groups in [`target_groups`].

mod routes;
mod target_groups;

use std::collections::BTreeMap;

use lattice_lambda::AuthType;
use serde_json::Value as Json;

use super::Manifests;
use super::check::{CheckOptions, invalid, local_client_role_arn, policy_document};
use super::error::{ManifestError, Origin};
use super::gateway_api::{GATEWAY_API_GROUP, LATTICE_GATEWAY_CLASS};
use super::meta::ObjectKey;
use crate::model::ServiceNetwork as NetworkModel;
use crate::template::{LocalAccount, Note, Service, TargetGroup, Topology, local_id};

/// How to map: the account ARNs use, the principal the auth policy placeholder stands for, and
/// the checks to run first.
#[derive(Clone, Debug)]
pub struct MapOptions {
    /// Account and region of every ARN.
    pub account: LocalAccount,
    /// Replaces [`CLIENT_ROLE_PLACEHOLDER`](super::CLIENT_ROLE_PLACEHOLDER) in auth policies:
    /// the role the local client function signs as (`arn:aws:iam::000000000000:role/EksClientFunctionRole`
    /// by default, the role of the demo's credentials).
    pub client_role_arn: String,
    /// Checks run before mapping.
    pub check: CheckOptions,
}

impl MapOptions {
    /// The local account in `region`, the default client role, no network name check.
    pub fn new(region: impl Into<String>) -> Self {
        MapOptions {
            account: LocalAccount::new(region),
            client_role_arn: local_client_role_arn(),
            check: CheckOptions::default(),
        }
    }

    /// Sets the role ARN the placeholder stands for.
    pub fn with_client_role(mut self, role_arn: impl Into<String>) -> Self {
        self.client_role_arn = role_arn.into();
        self
    }

    /// Sets the role the placeholder stands for from the principal the local client function
    /// signs as: the role of an `assumed-role` session, any other principal as it is. In AWS the
    /// placeholder is filled with the function's role (the `EksClientFunctionRoleArn` output)
    /// and its sessions sign; locally the functions sign as this principal.
    ///
    /// ```
    /// let options = lattice_local::k8s::MapOptions::new("us-west-2")
    ///     .with_client_principal("arn:aws:sts::000000000000:assumed-role/EksClientFunctionRole/eks-client");
    /// assert_eq!(options.client_role_arn, "arn:aws:iam::000000000000:role/EksClientFunctionRole");
    /// // Any other principal stands for itself.
    /// let user = "arn:aws:iam::000000000000:user/dev";
    /// let options = lattice_local::k8s::MapOptions::new("us-west-2").with_client_principal(user);
    /// assert_eq!(options.client_role_arn, user);
    /// ```
    pub fn with_client_principal(self, principal_arn: &str) -> Self {
        let role = role_of_session(principal_arn);
        self.with_client_role(role.unwrap_or_else(|| principal_arn.to_owned()))
    }

    /// Requires every Lattice Gateway to be named `name`.
    pub fn with_service_network_name(mut self, name: impl Into<String>) -> Self {
        self.check.service_network_name = Some(name.into());
        self
    }
}

/// `arn:<partition>:sts::<account>:assumed-role/<role>/<session>` ->
/// `arn:<partition>:iam::<account>:role/<role>`; `None` for any other ARN.
fn role_of_session(principal_arn: &str) -> Option<String> {
    let mut fields = principal_arn.splitn(6, ':');
    let (Some("arn"), Some(partition), Some("sts"), Some(""), Some(account), Some(resource)) = (
        fields.next(),
        fields.next(),
        fields.next(),
        fields.next(),
        fields.next(),
        fields.next(),
    ) else {
        return None;
    };
    let (role, _session) = resource.strip_prefix("assumed-role/")?.split_once('/')?;
    Some(format!("arn:{partition}:iam::{account}:role/{role}"))
}

/// A service network: what the `amazon-vpc-lattice` Gateways of one name stand for.
#[derive(Clone, Debug, PartialEq)]
pub struct ServiceNetwork {
    /// The name (the Gateways' name).
    pub name: String,
    /// Local ARN.
    pub arn: String,
    /// The Gateways that stand for it.
    pub gateways: Vec<ObjectKey>,
    /// The auth policy of an `IAMAuthPolicy` on one of them (the network is then `AWS_IAM`).
    pub auth_policy: Option<Json>,
}

impl ServiceNetwork {
    /// The network as the data plane enforces it: `AWS_IAM` with the policy of an
    /// `IAMAuthPolicy`, as the controller sets it, else `NONE`.
    pub fn to_model(&self) -> NetworkModel {
        NetworkModel {
            logical_id: self.name.clone(),
            name: self.name.clone(),
            arn: self.arn.clone(),
            auth_type: if self.auth_policy.is_some() {
                AuthType::AwsIam
            } else {
                AuthType::None
            },
            auth_policy: self.auth_policy.clone(),
        }
    }
}

/// What a target group forwards to in Kubernetes terms.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Backend {
    /// `Service` or `ServiceImport`.
    pub kind: String,
    /// The backend object.
    pub object: ObjectKey,
    /// The route that built the group.
    pub route: ObjectKey,
    /// The Service's pod port (`targetPort`) when it is a number.
    pub target_port: Option<u16>,
}

/// The manifests as a topology, with what the topology model has no field for.
#[derive(Clone, Debug)]
pub struct ManifestTopology {
    /// Services (one per route), their listeners and rules, and the target groups.
    pub topology: Topology,
    /// The service networks of the Gateways.
    pub service_networks: Vec<ServiceNetwork>,
    /// Each target group's Kubernetes backend, by target group logical id.
    pub backends: BTreeMap<String, Backend>,
    /// The `HTTPRoute` each service was built from, by service logical id (for messages that
    /// name the manifest, e.g. a name clash with the template).
    pub routes: BTreeMap<String, Box<Origin>>,
}

impl ManifestTopology {
    /// The target groups (logical ids) built for `backend` (a Service or ServiceImport), e.g. to
    /// give them one upstream.
    pub fn target_groups_of(&self, backend: &ObjectKey) -> Vec<&str> {
        self.backends
            .iter()
            .filter(|(_, b)| b.object == *backend)
            .map(|(id, _)| id.as_str())
            .collect()
    }
}

/// The Lattice service name the controller gives a route: the override annotation's value, else
/// `<route>-<namespace>` with the route name cut to 20 and the namespace to 18 characters
/// (`utils.LatticeServiceName`).
///
/// ```
/// assert_eq!(lattice_local::k8s::controller_service_name("eks-app", "default", None), "eks-app-default");
/// ```
pub fn controller_service_name(
    route: &str,
    namespace: &str,
    service_name_override: Option<&str>,
) -> String {
    match service_name_override {
        Some(name) if !name.is_empty() => name.to_owned(),
        _ => format!("{}-{}", truncate(route, 20), truncate(namespace, 18)),
    }
}

/// The controller's `utils.Truncate`: cut to `length` bytes, then trim `-` at both ends.
pub(super) fn truncate(name: &str, length: usize) -> &str {
    name.get(..length).unwrap_or(name).trim_matches('-')
}

/// Lattice service names: 3–40 of `a-z0-9-`, no leading/trailing hyphen, not starting `svc-`.
pub(super) fn valid_service_name(name: &str) -> bool {
    (3..=40).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !name.starts_with('-')
        && !name.ends_with('-')
        && !name.starts_with("svc-")
}

impl Manifests {
    /// Checks the set ([`Manifests::check`]) and maps it onto a [`Topology`].
    pub fn to_topology(&self, options: &MapOptions) -> Result<ManifestTopology, ManifestError> {
        self.check(&options.check)?;
        let mut mapper = Mapper {
            manifests: self,
            options,
            notes: self.notes.clone(),
            networks: Vec::new(),
            target_groups: BTreeMap::new(),
            backends: BTreeMap::new(),
        };
        mapper.networks();
        let mut services = Vec::new();
        let mut routes = BTreeMap::new();
        for route in &self.http_routes {
            if let Some(service) = mapper.service(route)? {
                if let Some(other) = services.iter().find(|s: &&Service| s.name == service.name) {
                    return Err(invalid(
                        route,
                        "HTTPRoute",
                        "metadata.name",
                        format!(
                            "its Lattice service name {} is already the name of route {}",
                            service.name, other.logical_id
                        ),
                    ));
                }
                routes.insert(
                    service.logical_id.clone(),
                    Origin::new(&route.source, "HTTPRoute", route.object.key()),
                );
                services.push(service);
            }
        }
        mapper.auth_policies(&mut services)?;
        mapper.unemulated_notes();
        Ok(ManifestTopology {
            topology: Topology {
                account: options.account.clone(),
                services,
                service_networks: mapper
                    .networks
                    .iter()
                    .map(ServiceNetwork::to_model)
                    .collect(),
                target_groups: mapper.target_groups,
                functions: BTreeMap::new(),
                parameters: BTreeMap::new(),
                notes: mapper.notes,
            },
            service_networks: mapper.networks,
            backends: mapper.backends,
            routes,
        })
    }
}

struct Mapper<'m> {
    manifests: &'m Manifests,
    options: &'m MapOptions,
    notes: Vec<Note>,
    networks: Vec<ServiceNetwork>,
    target_groups: BTreeMap<String, TargetGroup>,
    backends: BTreeMap<String, Backend>,
}

impl Mapper<'_> {
    pub(super) fn note(&mut self, resource: impl ToString, kind: &str, message: impl Into<String>) {
        self.notes.push(Note {
            resource: resource.to_string(),
            kind: kind.to_owned(),
            message: message.into(),
        });
    }

    /// One network per Gateway name: Gateways of one name in several namespaces share it.
    fn networks(&mut self) {
        for gateway in &self.manifests.gateways {
            let key = gateway.object.key();
            if gateway.object.spec.gateway_class_name != LATTICE_GATEWAY_CLASS {
                let message = format!(
                    "{}: class {} is not {LATTICE_GATEWAY_CLASS}: no service network, its routes are not served",
                    gateway.source, gateway.object.spec.gateway_class_name
                );
                self.note(&key, "Gateway", message);
                continue;
            }
            let name = &gateway.object.metadata.name;
            match self.networks.iter_mut().find(|n| n.name == *name) {
                Some(network) => network.gateways.push(key),
                None => self.networks.push(ServiceNetwork {
                    name: name.clone(),
                    arn: self
                        .options
                        .account
                        .lattice_arn(&format!("servicenetwork/{}", local_id("sn", name))),
                    gateways: vec![key],
                    auth_policy: None,
                }),
            }
        }
    }

    /// `IAMAuthPolicy` on a route: the service's auth type becomes `AWS_IAM` with the policy; on a
    /// Gateway: the network's.
    fn auth_policies(&mut self, services: &mut [Service]) -> Result<(), ManifestError> {
        for policy in &self.manifests.iam_auth_policies {
            let (document, _) = policy_document(policy, &self.options.client_role_arn)?;
            let target = &policy.object.spec.target_ref;
            let key = target.key(policy.object.metadata.namespace());
            match (target.group.as_str(), target.kind.as_str()) {
                (GATEWAY_API_GROUP, "HTTPRoute") => {
                    if let Some(service) = services
                        .iter_mut()
                        .find(|s| s.logical_id == key.to_string())
                    {
                        service.auth_type = AuthType::AwsIam;
                        service.auth_policy = Some(document);
                    }
                }
                (GATEWAY_API_GROUP, "Gateway") => {
                    let name = key.name.clone();
                    if let Some(network) = self.networks.iter_mut().find(|n| n.name == name) {
                        network.auth_policy = Some(document);
                    }
                }
                (_, kind) => self.note(
                    policy.object.key(),
                    "IAMAuthPolicy",
                    format!("on {kind} {key}: not emulated"),
                ),
            }
        }
        Ok(())
    }

    fn unemulated_notes(&mut self) {
        for deployment in &self.manifests.deployments {
            self.note(deployment.object.key(), "Deployment", "pods are not run locally: a Service's targets are --upstream URLs, --run commands or the demo's stand-in pod");
        }
        for policy in &self.manifests.vpc_association_policies {
            self.note(
                policy.object.key(),
                "VpcAssociationPolicy",
                "no local effect (VPC associations and their security groups are not emulated)",
            );
        }
    }
}
