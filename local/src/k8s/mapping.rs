//! Manifests -> lattice-local's [`Topology`], following the AWS Gateway API Controller's
//! conventions (sources in `docs/lattice-local.md`, "The EKS side from Gateway API manifests"):
//! an `amazon-vpc-lattice` `Gateway` is the service network of the same name; an `HTTPRoute` is a
//! Lattice service `<route>-<namespace>` with one listener per selected Gateway listener (404 by
//! default) and one rule per route rule; each backend Service is an IP target group; an
//! `IAMAuthPolicy` sets auth type `AWS_IAM` and the policy; a `TargetGroupPolicy` sets the
//! protocol and health check.

use std::collections::BTreeMap;

use http::{HeaderName, Method, StatusCode};
use lattice_lambda::AuthType;
use serde_json::Value as Json;

use super::Manifests;
use super::check::{CheckOptions, policy_document};
use super::error::ManifestError;
use super::gateway_api::{
    GATEWAY_API_GROUP, Gateway, GatewayListener, HttpRoute, HttpRouteRule, LATTICE_GATEWAY_CLASS,
};
use super::meta::{Located, ObjectKey};
use super::policies::HealthCheck;
use crate::routing::{
    Action, HeaderMatch, HeaderMatchKind, HttpMatch, PathMatch, PathMatchKind, Rule, WeightedTarget,
};
use crate::template::{
    LOCAL_ACCOUNT_ID, Listener, LocalAccount, Note, Service, TargetGroup, TargetKind, Topology,
    local_id,
};

/// The controller's annotation that replaces the generated service name.
const SERVICE_NAME_OVERRIDE: &str = "application-networking.k8s.aws/service-name-override";
/// The controller's annotation giving rule `i` an explicit priority: `rule-{i}-priority`.
const RULE_PRIORITY_PREFIX: &str = "application-networking.k8s.aws/rule-";
/// The port the controller gives every target group it builds for a Service (targets register
/// with the endpoints' own ports).
const CONTROLLER_TARGET_GROUP_PORT: u16 = 80;
/// The controller's listener default action (`DefaultActionFixedResponseStatusCode`).
const DEFAULT_ACTION_STATUS: StatusCode = StatusCode::NOT_FOUND;

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
            client_role_arn: format!("arn:aws:iam::{LOCAL_ACCOUNT_ID}:role/EksClientFunctionRole"),
            check: CheckOptions::default(),
        }
    }

    /// Sets the role ARN the placeholder stands for.
    pub fn with_client_role(mut self, role_arn: impl Into<String>) -> Self {
        self.client_role_arn = role_arn.into();
        self
    }

    /// Requires every Lattice Gateway to be named `name`.
    pub fn with_service_network_name(mut self, name: impl Into<String>) -> Self {
        self.check.service_network_name = Some(name.into());
        self
    }
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
    /// The auth policy of an `IAMAuthPolicy` on one of them (not evaluated locally).
    pub auth_policy: Option<Json>,
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
    /// Health checks set by `TargetGroupPolicy`s, by target group logical id.
    pub health_checks: BTreeMap<String, HealthCheck>,
}

impl ManifestTopology {
    /// The target groups (logical ids) built for `backend` (a Service or ServiceImport), e.g. to
    /// give them one upstream.
    pub fn target_groups_of<'a>(&'a self, backend: &'a ObjectKey) -> impl Iterator<Item = &'a str> {
        self.backends
            .iter()
            .filter(move |(_, b)| b.object == *backend)
            .map(|(id, _)| id.as_str())
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
fn truncate(name: &str, length: usize) -> &str {
    name.get(..length).unwrap_or(name).trim_matches('-')
}

/// Lattice service names: 3–40 of `a-z0-9-`, no leading/trailing hyphen, not starting `svc-`.
fn valid_service_name(name: &str) -> bool {
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
            health_checks: BTreeMap::new(),
        };
        mapper.networks();
        let mut services = Vec::new();
        for route in &self.http_routes {
            if let Some(service) = mapper.service(route)? {
                if let Some(other) = services.iter().find(|s: &&Service| s.name == service.name) {
                    return Err(ManifestError::Invalid {
                        at: route.source.clone(),
                        kind: "HTTPRoute",
                        object: route.object.key(),
                        field: "metadata.name".into(),
                        message: format!(
                            "its Lattice service name {} is already the name of route {}",
                            service.name, other.logical_id
                        ),
                    });
                }
                services.push(service);
            }
        }
        mapper.auth_policies(&mut services)?;
        mapper.unemulated_notes();
        Ok(ManifestTopology {
            topology: Topology {
                account: options.account.clone(),
                services,
                target_groups: mapper.target_groups,
                functions: BTreeMap::new(),
                parameters: BTreeMap::new(),
                notes: mapper.notes,
            },
            service_networks: mapper.networks,
            backends: mapper.backends,
            health_checks: mapper.health_checks,
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
    health_checks: BTreeMap<String, HealthCheck>,
}

impl Mapper<'_> {
    fn note(&mut self, resource: impl ToString, kind: &str, message: impl Into<String>) {
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

    fn service(&mut self, route: &Located<HttpRoute>) -> Result<Option<Service>, ManifestError> {
        let key = route.object.key();
        let Some((gateway, listeners)) = parent(self.manifests, route) else {
            let message = format!(
                "{}: not attached to an {LATTICE_GATEWAY_CLASS} Gateway: not served",
                route.source
            );
            self.note(&key, "HTTPRoute", message);
            return Ok(None);
        };
        let meta = &route.object.metadata;
        let name_override = meta
            .annotations
            .get(SERVICE_NAME_OVERRIDE)
            .map(String::as_str);
        let name = controller_service_name(&meta.name, meta.namespace(), name_override);
        if !valid_service_name(&name) {
            return Err(ManifestError::Invalid {
                at: route.source.clone(),
                kind: "HTTPRoute",
                object: key,
                field: format!("metadata.annotations.{SERVICE_NAME_OVERRIDE}"),
                message: format!(
                    "{name:?} is not a Lattice service name (3-40 of a-z, 0-9, -; not starting svc-)"
                ),
            });
        }
        self.route_notes(route);
        let seed = format!("HTTPRoute/{key}");
        let service_id = local_id("svc", &seed);
        let account = &self.options.account;
        let network_arn = account.lattice_arn(&format!(
            "servicenetwork/{}",
            local_id("sn", &gateway.object.metadata.name)
        ));
        let mut served = None;
        for listener in listeners {
            if served.is_some() {
                self.note(
                    &key,
                    "HTTPRoute",
                    format!(
                        "listener {} of Gateway {}: a second listener is not served locally",
                        listener.name,
                        gateway.object.key()
                    ),
                );
                continue;
            }
            let listener_seed = format!("{seed}/{}", listener.name);
            let listener_id = local_id("listener", &listener_seed);
            let mut rules = Vec::new();
            for (index, (rule, priority)) in self.prioritised_rules(route).into_iter().enumerate() {
                let rule_name = match &rule.name {
                    Some(name) => format!("{key}/{name}"),
                    None => format!("{key}/rules[{index}]"),
                };
                rules.push(Rule {
                    arn: account.lattice_arn(&format!(
                        "service/{service_id}/listener/{listener_id}/rule/{}",
                        local_id("rule", &format!("{listener_seed}/{rule_name}"))
                    )),
                    name: rule_name,
                    priority,
                    matcher: http_match(rule),
                    action: self.forward(route, rule)?,
                });
            }
            served = Some(Listener {
                logical_id: format!("{key}/{}", listener.name),
                arn: account.lattice_arn(&format!("service/{service_id}/listener/{listener_id}")),
                protocol: listener.protocol.clone(),
                port: listener.port,
                default_action: Action::FixedResponse(DEFAULT_ACTION_STATUS),
                rules,
            });
        }
        Ok(Some(Service {
            logical_id: key.to_string(),
            name,
            arn: account.lattice_arn(&format!("service/{service_id}")),
            service_network_arn: network_arn,
            auth_type: AuthType::None,
            auth_policy: None,
            listener: served,
        }))
    }

    /// Rules with the controller's priorities: `rule-{i}-priority` annotations first, then the
    /// others in order after the highest annotated one (1, 2, … without annotations).
    fn prioritised_rules<'r>(
        &mut self,
        route: &'r Located<HttpRoute>,
    ) -> Vec<(&'r HttpRouteRule, u32)> {
        let annotations = &route.object.metadata.annotations;
        let mut annotated = Vec::new();
        let mut plain = Vec::new();
        for (i, rule) in route.object.spec.rules.iter().enumerate() {
            let annotation = format!("{RULE_PRIORITY_PREFIX}{i}-priority");
            match annotations.get(&annotation).map(|v| v.parse::<u32>()) {
                Some(Ok(priority)) => annotated.push((rule, priority)),
                // The controller logs invalid values and keeps the position-based priority.
                Some(Err(_)) => {
                    self.note(
                        route.object.key(),
                        "HTTPRoute",
                        format!(
                            "annotation {annotation} is not a number: priority {} is used",
                            i + 1
                        ),
                    );
                    annotated.push((rule, u32::try_from(i + 1).unwrap_or(u32::MAX)));
                }
                None => plain.push(rule),
            }
        }
        let mut next = annotated.iter().map(|(_, p)| *p).max().unwrap_or(0);
        for rule in plain {
            next = next.saturating_add(1);
            annotated.push((rule, next));
        }
        annotated
    }

    fn forward(
        &mut self,
        route: &Located<HttpRoute>,
        rule: &HttpRouteRule,
    ) -> Result<Action, ManifestError> {
        let route_key = route.object.key();
        let mut targets = Vec::new();
        for backend in &rule.backend_refs {
            let object = backend.key(route_key.namespace.as_str());
            let seed = format!("HTTPRoute/{route_key}/{}/{object}", backend.kind());
            let logical_id = local_id(
                &format!(
                    "k8s-{}-{}",
                    truncate(&object.namespace, 55),
                    truncate(&object.name, 55)
                ),
                &seed,
            );
            if !self.target_groups.contains_key(&logical_id) {
                let group =
                    self.target_group(route, backend.kind(), &object, &logical_id, &seed)?;
                self.target_groups.insert(logical_id.clone(), group);
            }
            targets.push(WeightedTarget {
                target_group: logical_id,
                weight: backend.weight.unwrap_or(1),
            });
        }
        Ok(Action::Forward(targets))
    }

    fn target_group(
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
        if let Some(policy) = policy {
            if protocol == "TCP" {
                return Err(ManifestError::Invalid {
                    at: policy.source.clone(),
                    kind: "TargetGroupPolicy",
                    object: policy.object.key(),
                    field: "spec.protocol".into(),
                    message: format!(
                        "a TCP target group cannot serve route {}'s HTTP/HTTPS listener",
                        route.object.key()
                    ),
                });
            }
            if policy
                .object
                .spec
                .protocol_version
                .as_deref()
                .is_some_and(|v| v != "HTTP1")
            {
                self.note(
                    policy.object.key(),
                    "TargetGroupPolicy",
                    "protocolVersion HTTP2 is proxied as HTTP/1.1 locally",
                );
            }
            if let Some(check) = &policy.object.spec.health_check {
                self.health_checks
                    .insert(logical_id.to_owned(), check.clone());
            }
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
                protocol,
                port: Some(CONTROLLER_TARGET_GROUP_PORT),
                targets: Vec::new(),
            },
        })
    }

    /// `IAMAuthPolicy` on a route: the service's auth type becomes `AWS_IAM` with the policy; on a
    /// Gateway: the network's policy, which lattice-local does not evaluate.
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
                    self.note(policy.object.key(), "IAMAuthPolicy", format!("on Gateway {key}: service network auth policies are not evaluated locally (service policies are)"));
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

    fn route_notes(&mut self, route: &Located<HttpRoute>) {
        let key = route.object.key();
        if !route.object.spec.hostnames.is_empty() {
            self.note(&key, "HTTPRoute", "hostnames (custom domain names) are not emulated: the service is reached by its local name");
        }
        for (i, rule) in route.object.spec.rules.iter().enumerate() {
            let unemulated = [
                (
                    "filters",
                    !rule.filters.is_empty()
                        || rule.backend_refs.iter().any(|b| !b.filters.is_empty()),
                ),
                ("timeouts", rule.timeouts.is_some()),
                ("retry", rule.retry.is_some()),
                ("sessionPersistence", rule.session_persistence.is_some()),
            ];
            for (field, present) in unemulated {
                if present {
                    self.note(&key, "HTTPRoute", format!("spec.rules[{i}].{field} is not emulated (Lattice rules have no such setting)"));
                }
            }
        }
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

/// The route's Gateway (the first parent of class `amazon-vpc-lattice`, as the controller's
/// `findGateway`) and the listeners its parentRefs select, in the Gateway's order.
fn parent<'m>(
    manifests: &'m Manifests,
    route: &Located<HttpRoute>,
) -> Option<(&'m Located<Gateway>, Vec<&'m GatewayListener>)> {
    let namespace = route.object.metadata.namespace();
    let parents = &route.object.spec.parent_refs;
    let gateway = parents
        .iter()
        .filter_map(|p| manifests.gateway(&p.key(namespace)))
        .find(|g| g.object.spec.gateway_class_name == LATTICE_GATEWAY_CLASS)?;
    let listeners = gateway
        .object
        .spec
        .listeners
        .iter()
        .filter(|l| {
            parents
                .iter()
                .any(|p| p.name == gateway.object.metadata.name && p.selects(l))
        })
        .collect();
    Some((gateway, listeners))
}

/// A rule's match: the path is case-sensitive and headers are not, as the controller creates
/// Lattice rules (`rule_manager.go`); no match is a `/` prefix.
fn http_match(rule: &HttpRouteRule) -> HttpMatch {
    let Some(m) = rule.matches.first() else {
        return HttpMatch {
            path: Some(prefix_path("/")),
            ..HttpMatch::default()
        };
    };
    let path = match &m.path {
        None => prefix_path("/"),
        Some(path) => PathMatch {
            kind: match path.match_type.as_deref() {
                Some("Exact") => PathMatchKind::Exact,
                _ => PathMatchKind::Prefix,
            },
            value: path.value.clone().unwrap_or_else(|| "/".into()),
            case_sensitive: true,
        },
    };
    HttpMatch {
        // Checked before mapping: every name and method here is valid.
        method: m
            .method
            .as_deref()
            .and_then(|v| Method::from_bytes(v.as_bytes()).ok()),
        path: Some(path),
        headers: m
            .headers
            .iter()
            .filter_map(|h| {
                Some(HeaderMatch {
                    name: HeaderName::from_bytes(h.name.to_ascii_lowercase().as_bytes()).ok()?,
                    kind: HeaderMatchKind::Exact,
                    value: h.value.clone(),
                    case_sensitive: false,
                })
            })
            .collect(),
    }
}

fn prefix_path(value: &str) -> PathMatch {
    PathMatch {
        kind: PathMatchKind::Prefix,
        value: value.to_owned(),
        case_sensitive: true,
    }
}
