//! [`TopologyView`]: what the page draws: each service with its listeners, their rules in
//! priority order (with their matches and actions), the target groups they forward to (type,
//! event version, weights) and each group's targets with their health. Built from the one
//! [`Topology`] type, so a template and Gateway API manifests draw the same way.

use std::collections::BTreeMap;

use lattice_lambda::EventVersion;
use serde::Serialize;

use crate::model::{
    Action, HeaderMatchKind, HttpMatch, PathMatchKind, Service, TargetGroup, TargetKind, Topology,
};
use crate::targets::{TargetHealth, TargetStatus};

/// The whole diagram.
#[derive(Clone, Debug, Serialize)]
pub struct TopologyView {
    /// Where the topology was read from (`template.yaml`, `k8s/`).
    pub source: String,
    /// The region of every ARN.
    pub region: String,
    /// Services, in the topology's order.
    pub services: Vec<ServiceView>,
    /// Target groups, by logical id.
    pub target_groups: Vec<TargetGroupView>,
}

/// A service box.
#[derive(Clone, Debug, Serialize)]
pub struct ServiceView {
    /// Its name.
    pub name: String,
    /// Its ARN.
    pub arn: String,
    /// `NONE` or `AWS_IAM`.
    pub auth_type: String,
    /// The auth policy's statements (`Sid` or `Statement[i]`, with their effect).
    pub policy: Option<Vec<String>>,
    /// Its listeners, in template order (none: every request is `503`).
    pub listeners: Vec<ListenerView>,
    /// Where it is served locally (filled in once its port is bound).
    pub urls: Vec<String>,
}

/// A listener and its rules.
#[derive(Clone, Debug, Serialize)]
pub struct ListenerView {
    /// Logical id.
    pub name: String,
    /// `HTTP` or `HTTPS`.
    pub protocol: String,
    /// Port.
    pub port: u16,
    /// Rules, lowest priority number (evaluated first) first.
    pub rules: Vec<RuleView>,
    /// What happens when no rule matches.
    pub default_action: ActionView,
}

/// A rule.
#[derive(Clone, Debug, Serialize)]
pub struct RuleView {
    /// Logical id (the access log's `rule`).
    pub name: String,
    /// Priority.
    pub priority: u32,
    /// Its conditions, one phrase each (`path prefix /app`, `method GET`, …).
    pub matches: Vec<String>,
    /// What it does.
    pub action: ActionView,
}

/// A forward or a fixed response.
#[derive(Clone, Debug, Serialize)]
pub struct ActionView {
    /// The fixed status, for a fixed response.
    pub fixed_status: Option<u16>,
    /// The weighted target groups, for a forward.
    pub forward: Vec<WeightView>,
}

/// One target group of a forward, with its share.
#[derive(Clone, Debug, Serialize)]
pub struct WeightView {
    /// The target group's logical id.
    pub group: String,
    /// Its weight.
    pub weight: u32,
    /// Its share of requests, in percent of the action's total weight.
    pub percent: f64,
}

/// A target group box.
#[derive(Clone, Debug, Serialize)]
pub struct TargetGroupView {
    /// Logical id.
    pub id: String,
    /// Name.
    pub name: String,
    /// `LAMBDA`, or the HTTP group's protocol (`HTTP`, `HTTPS`).
    pub kind: String,
    /// `V1` or `V2`, for `LAMBDA`.
    pub event_version: Option<&'static str>,
    /// Its targets.
    pub targets: Vec<TargetView>,
}

/// A target and its health.
#[derive(Clone, Debug, Serialize)]
pub struct TargetView {
    /// The function, the upstream URL, or the registered target id.
    pub name: String,
    /// What serves it locally, or why nothing does.
    pub served_by: String,
    /// Its health.
    pub health: Health,
    /// Why its last health check failed, while it fails.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// A target's health, as its target group's health checks last decided.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Health {
    /// Not checked: a Lambda target, health checks off, or no check runnable locally.
    NotChecked,
    /// Registered, no check has decided yet.
    Initial,
    /// Passing its checks.
    Healthy,
    /// Failing its checks.
    Unhealthy,
}

impl From<TargetStatus> for Health {
    fn from(status: TargetStatus) -> Self {
        match status {
            TargetStatus::Initial => Health::Initial,
            TargetStatus::Healthy => Health::Healthy,
            TargetStatus::Unhealthy => Health::Unhealthy,
            TargetStatus::Unavailable => Health::NotChecked,
        }
    }
}

impl TopologyView {
    /// The diagram of `topology` read from `source`; `upstreams` maps HTTP target groups
    /// (logical id or name) to their local URL.
    pub fn new(source: &str, topology: &Topology, upstreams: &BTreeMap<String, String>) -> Self {
        TopologyView {
            source: source.to_owned(),
            region: topology.account.region.clone(),
            services: topology.services.iter().map(service_view).collect(),
            target_groups: topology
                .target_groups
                .values()
                .map(|g| group_view(g, topology, upstreams))
                .collect(),
        }
    }

    /// Records where `service` is served.
    pub fn set_urls(&mut self, service: &str, urls: Vec<String>) {
        if let Some(view) = self.services.iter_mut().find(|s| s.name == service) {
            view.urls = urls;
        }
    }

    /// The targets of HTTP target group `group` (logical id) as its health checks see them
    /// now: one per target URL, with its health.
    pub fn set_health(&mut self, group: &str, health: &[TargetHealth]) {
        if let Some(view) = self.target_groups.iter_mut().find(|g| g.id == group) {
            view.targets = health
                .iter()
                .map(|target| TargetView {
                    name: target.target.clone(),
                    served_by: "target of the group".to_owned(),
                    health: target.status.into(),
                    reason: target.reason.clone(),
                })
                .collect();
        }
    }
}

fn service_view(service: &Service) -> ServiceView {
    let policy = service.auth_policy.as_ref().map(|policy| {
        let statements = match &policy["Statement"] {
            serde_json::Value::Array(items) => items.iter().collect(),
            single @ serde_json::Value::Object(_) => vec![single],
            _ => Vec::new(),
        };
        statements
            .iter()
            .enumerate()
            .map(|(index, statement)| {
                let effect = statement["Effect"].as_str().unwrap_or("?");
                match statement["Sid"].as_str() {
                    Some(sid) => format!("{effect} {sid}"),
                    None => format!("{effect} Statement[{index}]"),
                }
            })
            .collect()
    });
    ServiceView {
        name: service.name.clone(),
        arn: service.arn.clone(),
        auth_type: service.auth_type.as_str().to_owned(),
        policy,
        listeners: service
            .listeners
            .iter()
            .map(|listener| {
                let mut rules: Vec<RuleView> = listener
                    .rules
                    .iter()
                    .map(|rule| RuleView {
                        name: rule.name.clone(),
                        priority: rule.priority,
                        matches: match_phrases(&rule.matcher),
                        action: action_view(&rule.action),
                    })
                    .collect();
                rules.sort_by_key(|r| r.priority);
                ListenerView {
                    name: listener.logical_id.clone(),
                    protocol: listener.protocol.clone(),
                    port: listener.port,
                    rules,
                    default_action: action_view(&listener.default_action),
                }
            })
            .collect(),
        urls: Vec::new(),
    }
}

/// One phrase per condition of a rule; none means the rule matches every request.
fn match_phrases(matcher: &HttpMatch) -> Vec<String> {
    let case = |sensitive: bool| if sensitive { "" } else { " (any case)" };
    let mut phrases = Vec::new();
    if let Some(method) = &matcher.method {
        phrases.push(format!("method {method}"));
    }
    if let Some(path) = &matcher.path {
        let kind = match path.kind {
            PathMatchKind::Exact => "exact",
            PathMatchKind::Prefix => "prefix",
        };
        phrases.push(format!(
            "path {kind} {}{}",
            path.value,
            case(path.case_sensitive)
        ));
    }
    for header in &matcher.headers {
        let kind = match header.kind {
            HeaderMatchKind::Exact => "is",
            HeaderMatchKind::Prefix => "starts with",
            HeaderMatchKind::Contains => "contains",
        };
        phrases.push(format!(
            "header {} {kind} {:?}{}",
            header.name,
            header.value,
            case(header.case_sensitive)
        ));
    }
    phrases
}

fn action_view(action: &Action) -> ActionView {
    match action {
        Action::FixedResponse(status) => ActionView {
            fixed_status: Some(status.as_u16()),
            forward: Vec::new(),
        },
        Action::Forward(targets) => {
            let total: u32 = targets.iter().map(|t| t.weight).sum();
            ActionView {
                fixed_status: None,
                forward: targets
                    .iter()
                    .map(|t| WeightView {
                        group: t.target_group.clone(),
                        weight: t.weight,
                        percent: if total == 0 {
                            0.0
                        } else {
                            f64::from(t.weight) * 100.0 / f64::from(total)
                        },
                    })
                    .collect(),
            }
        }
    }
}

fn group_view(
    group: &TargetGroup,
    topology: &Topology,
    upstreams: &BTreeMap<String, String>,
) -> TargetGroupView {
    let (kind, event_version, targets) = match &group.kind {
        TargetKind::Lambda {
            event_version,
            function,
            target_id,
        } => {
            let function = function.as_ref().and_then(|f| topology.functions.get(f));
            let target = TargetView {
                name: function.map_or_else(|| target_id.clone(), |f| f.name.clone()),
                served_by: match function {
                    Some(f) => format!("local process of binary {}", f.binary),
                    None => "nothing: not a function of the template".to_owned(),
                },
                health: Health::NotChecked,
                reason: None,
            };
            let version = match event_version {
                EventVersion::V1 => "V1",
                EventVersion::V2 => "V2",
            };
            ("LAMBDA".to_owned(), Some(version), vec![target])
        }
        TargetKind::Http {
            protocol, targets, ..
        } => {
            let upstream = upstreams
                .get(&group.logical_id)
                .or_else(|| upstreams.get(&group.name));
            let served_by = upstream.map_or_else(
                || format!("nothing: pass --upstream {}=http://…", group.logical_id),
                |url| format!("upstream {url}"),
            );
            let mut views: Vec<TargetView> = targets
                .iter()
                .map(|target| TargetView {
                    name: match target.port {
                        Some(port) => format!("{}:{port}", target.id),
                        None => target.id.clone(),
                    },
                    served_by: served_by.clone(),
                    health: Health::NotChecked,
                    reason: None,
                })
                .collect();
            if views.is_empty() {
                views.push(TargetView {
                    name: upstream
                        .cloned()
                        .unwrap_or_else(|| "(no targets)".to_owned()),
                    served_by,
                    health: Health::NotChecked,
                    reason: None,
                });
            }
            (protocol.clone(), None, views)
        }
    };
    TargetGroupView {
        id: group.logical_id.clone(),
        name: group.name.clone(),
        kind,
        event_version,
        targets,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::template::LoadOptions;

    #[test]
    fn the_project_template_draws_both_services_rules_in_order_and_groups() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../template.yaml");
        let yaml = std::fs::read_to_string(path).unwrap();
        let load = LoadOptions::new("us-west-2").with_parameter("EksAppMode", "template");
        let topology = Topology::from_yaml(&yaml, &load).unwrap();
        let upstreams = BTreeMap::from([(
            "EksAppTargetGroup".to_owned(),
            "http://127.0.0.1:8090".to_owned(),
        )]);
        let view = TopologyView::new("template.yaml", &topology, &upstreams);
        let names: Vec<&str> = view.services.iter().map(|s| s.name.as_str()).collect();
        assert!(
            names.contains(&"foo-service") && names.contains(&"eks-app"),
            "{names:?}"
        );
        let eks = view.services.iter().find(|s| s.name == "eks-app").unwrap();
        assert_eq!(eks.auth_type, "AWS_IAM");
        assert!(eks.policy.as_ref().is_some_and(|p| !p.is_empty()));
        let listener = &eks.listeners[0];
        let priorities: Vec<u32> = listener.rules.iter().map(|r| r.priority).collect();
        assert!(
            priorities.windows(2).all(|w| w[0] <= w[1]),
            "{priorities:?}"
        );
        let rule = listener
            .rules
            .iter()
            .find(|r| r.name == "EksAppRule")
            .unwrap();
        assert!(
            rule.matches
                .iter()
                .any(|m| m.starts_with("path prefix /app")),
            "{:?}",
            rule.matches
        );
        assert_eq!(listener.default_action.fixed_status, Some(404));
        let lambda = view
            .target_groups
            .iter()
            .find(|g| g.kind == "LAMBDA")
            .unwrap();
        assert!(lambda.event_version.is_some());
        assert_eq!(lambda.targets[0].health, Health::NotChecked);
        let http = view
            .target_groups
            .iter()
            .find(|g| g.id == "EksAppTargetGroup")
            .unwrap();
        assert!(
            http.targets
                .iter()
                .all(|t| t.served_by == "upstream http://127.0.0.1:8090")
        );
        let json = serde_json::to_value(&view).unwrap();
        assert_eq!(
            json["target_groups"][0]["targets"][0]["health"],
            "not-checked"
        );
    }

    #[test]
    fn the_inspector_shows_each_targets_health_as_its_checks_publish_it() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../template.yaml");
        let yaml = std::fs::read_to_string(path).unwrap();
        let load = LoadOptions::new("us-west-2").with_parameter("EksAppMode", "template");
        let topology = Topology::from_yaml(&yaml, &load).unwrap();
        let view = TopologyView::new("template.yaml", &topology, &BTreeMap::new());
        let inspector = crate::inspector::Inspector::new(Default::default());
        inspector.set_topology(&view);
        let target = |status, reason: Option<&str>| TargetHealth {
            target: "http://127.0.0.1:8090".to_owned(),
            status,
            reason: reason.map(str::to_owned),
        };
        let (publish, health) =
            tokio::sync::watch::channel(vec![target(TargetStatus::Initial, None)]);
        inspector.watch_health("EksAppTargetGroup", health);
        let targets = |inspector: &crate::inspector::Inspector| {
            let json: serde_json::Value =
                serde_json::from_str(&inspector.topology_json().unwrap()).unwrap();
            let group = json["target_groups"]
                .as_array()
                .unwrap()
                .iter()
                .find(|g| g["id"] == "EksAppTargetGroup")
                .unwrap()
                .clone();
            group["targets"].clone()
        };
        let now = targets(&inspector);
        assert_eq!(now[0]["name"], "http://127.0.0.1:8090");
        assert_eq!(now[0]["health"], "initial");
        publish
            .send(vec![target(TargetStatus::Unhealthy, Some("status 503"))])
            .unwrap();
        let now = targets(&inspector);
        assert_eq!(now[0]["health"], "unhealthy");
        assert_eq!(now[0]["reason"], "status 503");
        publish
            .send(vec![target(TargetStatus::Healthy, None)])
            .unwrap();
        assert_eq!(targets(&inspector)[0]["health"], "healthy");
    }
}
