//! Cross-checks over a whole manifest set: what refers to what, and what the controller or
//! Lattice would refuse although the schema allows it. The first problem found is returned.

use std::collections::BTreeMap;

use serde_json::Value as Json;

use super::Manifests;
use super::error::ManifestError;
use super::gateway_api::{GATEWAY_API_GROUP, HttpRoute, LATTICE_GATEWAY_CLASS};
use super::meta::{Located, Object, ObjectKey};
use super::policies::{CONTROLLER_API_GROUP, IamAuthPolicy};
use super::workloads::TargetPort;
use crate::auth::{AuthPolicy, PolicyError, PolicyProblem};

/// The stand-in for the client function's role ARN in `k8s/eks-app-iam-auth-policy.yaml`, named
/// after the stack output that holds the real value (`EksClientFunctionRoleArn`). A policy string
/// value exactly equal to it is replaced before the policy is parsed; any other non-ARN principal
/// is refused by the policy parser.
pub const CLIENT_ROLE_PLACEHOLDER: &str = "<EksClientFunctionRoleArn>";

/// Lattice's limits on a rule (VPC Lattice API Reference: `WeightedTargetGroup.weight` is 0–999,
/// a forward action has 1–10 target groups); the controller refuses more than 5 header matches.
const MAX_WEIGHT: u32 = 999;
const MAX_TARGET_GROUPS: usize = 10;
const MAX_HEADER_MATCHES: usize = 5;

/// The methods a Gateway API `HTTPRouteMatch.method` may name.
const HTTP_METHODS: [&str; 9] = [
    "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH",
];

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
        self.check_policies()
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
                    at: gateway.source.clone(),
                    object: gateway.object.key(),
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

    fn check_route(&self, route: &Located<HttpRoute>) -> Result<(), ManifestError> {
        const KIND: &str = "HTTPRoute";
        let namespace = route.object.metadata.namespace();
        for (i, parent) in route.object.spec.parent_refs.iter().enumerate() {
            let field = format!("spec.parentRefs[{i}]");
            if !parent.is_gateway() {
                return Err(invalid(
                    route,
                    KIND,
                    field,
                    "the controller attaches routes to Gateways only",
                ));
            }
            let key = parent.key(namespace);
            let gateway = self
                .gateway(&key)
                .ok_or_else(|| dangling(route, KIND, field.clone(), "Gateway", key.clone()))?;
            let selected: Vec<_> = gateway
                .object
                .spec
                .listeners
                .iter()
                .filter(|l| parent.selects(l))
                .collect();
            if selected.is_empty() {
                return Err(invalid(
                    route,
                    KIND,
                    format!("{field}.sectionName"),
                    format!(
                        "Gateway {key} has no listener {:?} (port {:?})",
                        parent.section_name.as_deref().unwrap_or("*"),
                        parent.port
                    ),
                ));
            }
            if let Some(listener) = selected
                .iter()
                .find(|l| !matches!(l.protocol.as_str(), "HTTP" | "HTTPS"))
            {
                return Err(invalid(
                    route,
                    KIND,
                    format!("{field}.sectionName"),
                    format!(
                        "listener {} is {}; an HTTPRoute needs an HTTP or HTTPS listener",
                        listener.name, listener.protocol
                    ),
                ));
            }
        }
        for (r, rule) in route.object.spec.rules.iter().enumerate() {
            let at = format!("spec.rules[{r}]");
            if rule.matches.len() > 1 {
                return Err(invalid(
                    route,
                    KIND,
                    format!("{at}.matches"),
                    "the controller maps one match per rule (LATTICE_NO_SUPPORT_FOR_MULTIPLE_MATCHES); write one rule per match",
                ));
            }
            if let Some(m) = rule.matches.first() {
                let at = format!("{at}.matches[0]");
                if !m.query_params.is_empty() {
                    return Err(invalid(
                        route,
                        KIND,
                        format!("{at}.queryParams"),
                        "Lattice rules cannot match query parameters (the controller refuses them)",
                    ));
                }
                if let Some(path) = &m.path {
                    let kind = path.match_type.as_deref().unwrap_or("PathPrefix");
                    if !matches!(kind, "PathPrefix" | "Exact") {
                        return Err(invalid(
                            route,
                            KIND,
                            format!("{at}.path.type"),
                            format!("{kind} is not mapped (Lattice matches Exact and PathPrefix)"),
                        ));
                    }
                    if path.value.as_deref().is_some_and(|v| !v.starts_with('/')) {
                        return Err(invalid(
                            route,
                            KIND,
                            format!("{at}.path.value"),
                            "a path must start with /",
                        ));
                    }
                }
                if m.headers.len() > MAX_HEADER_MATCHES {
                    return Err(invalid(
                        route,
                        KIND,
                        format!("{at}.headers"),
                        format!(
                            "more than {MAX_HEADER_MATCHES} header matches (the controller refuses them)"
                        ),
                    ));
                }
                for (h, header) in m.headers.iter().enumerate() {
                    if header.match_type.as_deref().is_some_and(|t| t != "Exact") {
                        return Err(invalid(
                            route,
                            KIND,
                            format!("{at}.headers[{h}].type"),
                            "only Exact header matches are mapped (the controller refuses RegularExpression)",
                        ));
                    }
                    if http::HeaderName::from_bytes(header.name.as_bytes()).is_err() {
                        return Err(invalid(
                            route,
                            KIND,
                            format!("{at}.headers[{h}].name"),
                            format!("{:?} is not a header name", header.name),
                        ));
                    }
                }
                if let Some(method) = &m.method
                    && !HTTP_METHODS.contains(&method.as_str())
                {
                    return Err(invalid(
                        route,
                        KIND,
                        format!("{at}.method"),
                        format!("{method:?} is not one of {}", HTTP_METHODS.join(", ")),
                    ));
                }
            }
            if rule.backend_refs.is_empty() || rule.backend_refs.len() > MAX_TARGET_GROUPS {
                return Err(invalid(
                    route,
                    KIND,
                    format!("{at}.backendRefs"),
                    format!(
                        "a Lattice forward action needs 1 to {MAX_TARGET_GROUPS} target groups, this rule has {}",
                        rule.backend_refs.len()
                    ),
                ));
            }
            for (b, backend) in rule.backend_refs.iter().enumerate() {
                let field = format!("{at}.backendRefs[{b}]");
                if backend.weight.is_some_and(|w| w > MAX_WEIGHT) {
                    return Err(invalid(
                        route,
                        KIND,
                        format!("{field}.weight"),
                        format!("Lattice target group weights are 0 to {MAX_WEIGHT}"),
                    ));
                }
                let group = backend.group.as_deref().unwrap_or("");
                match (group, backend.kind()) {
                    ("", "Service") => {
                        let key = backend.key(namespace);
                        let service = self.service(&key).ok_or_else(|| {
                            dangling(route, KIND, format!("{field}.name"), "Service", key.clone())
                        })?;
                        let port = backend.port.ok_or_else(|| {
                            invalid(
                                route,
                                KIND,
                                format!("{field}.port"),
                                "a Service backend needs a port",
                            )
                        })?;
                        if service.object.port(port).is_none() {
                            return Err(invalid(
                                route,
                                KIND,
                                format!("{field}.port"),
                                format!("Service {key} has no port {port}"),
                            ));
                        }
                    }
                    (CONTROLLER_API_GROUP, "ServiceImport") => {}
                    (group, kind) => {
                        return Err(invalid(
                            route,
                            KIND,
                            format!("{field}.kind"),
                            format!(
                                "{kind} ({group:?}) is not a backend the controller maps (Service, ServiceImport)"
                            ),
                        ));
                    }
                }
            }
        }
        Ok(())
    }

    fn check_policies(&self) -> Result<(), ManifestError> {
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
            policy_document(policy, &stand_in_role_arn())?;
        }
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

/// The role the placeholder stands for while checking (any syntactically valid role ARN would do).
fn stand_in_role_arn() -> String {
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
        at: policy.source.clone(),
        object: policy.object.key(),
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

fn duplicates<S>(kind: &'static str, objects: &[Located<Object<S>>]) -> Result<(), ManifestError> {
    let mut seen: BTreeMap<ObjectKey, &Located<Object<S>>> = BTreeMap::new();
    for object in objects {
        if let Some(first) = seen.insert(object.object.key(), object) {
            return Err(ManifestError::Duplicate {
                at: object.source.clone(),
                kind,
                object: object.object.key(),
                first: first.source.clone(),
            });
        }
    }
    Ok(())
}

fn invalid<S>(
    doc: &Located<Object<S>>,
    kind: &'static str,
    field: impl Into<String>,
    message: impl Into<String>,
) -> ManifestError {
    ManifestError::Invalid {
        at: doc.source.clone(),
        kind,
        object: doc.object.key(),
        field: field.into(),
        message: message.into(),
    }
}

fn dangling<S>(
    doc: &Located<Object<S>>,
    kind: &'static str,
    field: impl Into<String>,
    target_kind: &str,
    target: ObjectKey,
) -> ManifestError {
    ManifestError::Dangling {
        at: doc.source.clone(),
        kind,
        object: doc.object.key(),
        field: field.into(),
        target_kind: target_kind.to_owned(),
        target,
    }
}
