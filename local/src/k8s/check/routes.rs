//! Route checks: parents and backends exist, and each rule uses only what the controller maps
//! onto a Lattice rule.

use super::{dangling, invalid};
use crate::k8s::Manifests;
use crate::k8s::error::ManifestError;
use crate::k8s::gateway_api::HttpRoute;
use crate::k8s::meta::Located;
use crate::k8s::policies::CONTROLLER_API_GROUP;

/// Lattice's limits on a rule (VPC Lattice API Reference: `WeightedTargetGroup.weight` is 0–999,
/// a forward action has 1–10 target groups); the controller refuses more than 5 header matches.
const MAX_WEIGHT: u32 = 999;
const MAX_TARGET_GROUPS: usize = 10;
const MAX_HEADER_MATCHES: usize = 5;

/// The methods a Gateway API `HTTPRouteMatch.method` may name.
const HTTP_METHODS: [&str; 9] = [
    "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH",
];

impl Manifests {
    pub(super) fn check_route(&self, route: &Located<HttpRoute>) -> Result<(), ManifestError> {
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
}
