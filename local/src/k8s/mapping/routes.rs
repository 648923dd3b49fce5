//! `HTTPRoute` -> Lattice service: name, listeners from the parent Gateway, rules with the
//! controller's priorities and match semantics.

use http::{HeaderName, Method, StatusCode};
use lattice_lambda::AuthType;

use super::{Mapper, controller_service_name, truncate, valid_service_name};
use crate::k8s::Manifests;
use crate::k8s::check::invalid;
use crate::k8s::error::ManifestError;
use crate::k8s::gateway_api::{
    Gateway, GatewayListener, HttpRoute, HttpRouteRule, LATTICE_GATEWAY_CLASS,
};
use crate::k8s::meta::Located;
use crate::model::{
    Action, HeaderMatch, HeaderMatchKind, HttpMatch, PathMatch, PathMatchKind, Rule, WeightedTarget,
};
use crate::template::{Listener, Service, local_id};

/// The controller's annotation that replaces the generated service name.
const SERVICE_NAME_OVERRIDE: &str = "application-networking.k8s.aws/service-name-override";
/// The controller's annotation giving rule `i` an explicit priority: `rule-{i}-priority`.
const RULE_PRIORITY_PREFIX: &str = "application-networking.k8s.aws/rule-";
/// The controller's listener default action (`DefaultActionFixedResponseStatusCode`).
const DEFAULT_ACTION_STATUS: StatusCode = StatusCode::NOT_FOUND;

impl Mapper<'_> {
    pub(super) fn service(
        &mut self,
        route: &Located<HttpRoute>,
    ) -> Result<Option<Service>, ManifestError> {
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
            return Err(invalid(
                route,
                "HTTPRoute",
                format!("metadata.annotations.{SERVICE_NAME_OVERRIDE}"),
                format!(
                    "{name:?} is not a Lattice service name (3-40 of a-z, 0-9, -; not starting svc-)"
                ),
            ));
        }
        self.route_notes(route);
        let seed = format!("HTTPRoute/{key}");
        let service_id = local_id("svc", &seed);
        let account = &self.options.account;
        let network_arn = account.lattice_arn(&format!(
            "servicenetwork/{}",
            local_id("sn", &gateway.object.metadata.name)
        ));
        let mut served = Vec::new();
        for listener in listeners {
            let listener_seed = format!("{seed}/{}", listener.name);
            let listener_id = local_id("listener", &listener_seed);
            let mut rules = Vec::new();
            for (index, rule, priority) in self.prioritised_rules(route) {
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
            served.push(Listener {
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
            tags: Default::default(),
            listeners: served,
        }))
    }

    /// Rules (with their index) and the controller's priorities: `rule-{i}-priority` annotations
    /// first, then the others in order after the highest annotated one (1, 2, … without
    /// annotations).
    fn prioritised_rules<'r>(
        &mut self,
        route: &'r Located<HttpRoute>,
    ) -> Vec<(usize, &'r HttpRouteRule, u32)> {
        let annotations = &route.object.metadata.annotations;
        let mut annotated = Vec::new();
        let mut plain = Vec::new();
        for (i, rule) in route.object.spec.rules.iter().enumerate() {
            let annotation = format!("{RULE_PRIORITY_PREFIX}{i}-priority");
            match annotations.get(&annotation).map(|v| v.parse::<u32>()) {
                Some(Ok(priority)) => annotated.push((i, rule, priority)),
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
                    annotated.push((i, rule, u32::try_from(i + 1).unwrap_or(u32::MAX)));
                }
                None => plain.push((i, rule)),
            }
        }
        let mut next = annotated.iter().map(|(_, _, p)| *p).max().unwrap_or(0);
        for (i, rule) in plain {
            next = next.saturating_add(1);
            annotated.push((i, rule, next));
        }
        annotated.sort_by_key(|(i, _, _)| *i);
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
