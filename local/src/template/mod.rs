//! `template.yaml` -> [`Topology`]: the Lattice services, listeners, rules,
//! target groups, auth policies and functions the template creates, with
//! parameters (defaults and `--parameter` overrides), conditions and the
//! intrinsic functions evaluated for the local account `000000000000`.
//!
//! Evaluation is lazy: only properties lattice-local uses are evaluated, so a
//! parameter such as `VpcId` may stay unset. Constructs that have no local
//! meaning, or that lattice-local does not support, are listed in
//! [`Topology::notes`] by name rather than ignored silently.
//!
//! ```
//! let yaml = r#"
//! Parameters:
//!   Auth: { Type: String, Default: NONE }
//! Resources:
//!   Svc:
//!     Type: AWS::VpcLattice::Service
//!     Properties: { Name: demo, AuthType: !Ref Auth }
//! "#;
//! let options = lattice_local::template::LoadOptions::new("eu-west-1")
//!     .with_parameter("Auth", "AWS_IAM");
//! let topology = lattice_local::template::Topology::from_yaml(yaml, &options).unwrap();
//! let service = topology.service("demo").unwrap();
//! assert_eq!(service.auth_type.as_str(), "AWS_IAM");
//! assert!(service.arn.starts_with("arn:aws:vpc-lattice:eu-west-1:000000000000:service/svc-"));
//! ```

mod error;
mod ids;
mod intrinsics;
mod model;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::time::Duration;

use http::{HeaderName, Method, StatusCode};
use lattice_lambda::{AuthType, EventVersion};
use serde_json::{Map, Value as Json};

pub use error::{EvalError, TemplateError};
pub use ids::{DEFAULT_REGION, LOCAL_ACCOUNT_ID, LOCAL_DOMAIN, LocalAccount, local_id};
pub use intrinsics::ParamValue;
pub use model::{Function, Listener, Note, Service, TargetGroup, TargetKind, Topology};

use intrinsics::{Evaluator, Sections, json_to_string};

use crate::routing::{
    Action, HeaderMatch, HeaderMatchKind, HttpMatch, PathMatch, PathMatchKind, Rule, WeightedTarget,
};

/// How to read a template: region and parameter overrides.
#[derive(Clone, Debug)]
pub struct LoadOptions {
    /// The local region used in ARNs and given to functions.
    pub region: String,
    /// `--parameter KEY=VALUE` overrides, in order (later wins).
    pub parameters: Vec<(String, String)>,
}

impl LoadOptions {
    /// Options for `region` with no overrides.
    pub fn new(region: impl Into<String>) -> Self {
        LoadOptions {
            region: region.into(),
            parameters: Vec::new(),
        }
    }

    /// Adds a parameter override.
    pub fn with_parameter(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.parameters.push((name.into(), value.into()));
        self
    }
}

impl Topology {
    /// Reads and evaluates a template file.
    pub fn load(path: &Path, options: &LoadOptions) -> Result<Self, TemplateError> {
        let text = std::fs::read_to_string(path).map_err(|source| TemplateError::Read {
            path: path.to_owned(),
            source,
        })?;
        Self::from_yaml(&text, options)
    }

    /// Evaluates a template given as YAML (or JSON) text.
    pub fn from_yaml(text: &str, options: &LoadOptions) -> Result<Self, TemplateError> {
        let yaml: serde_yaml_ng::Value = serde_yaml_ng::from_str(text)?;
        let template = normalise(yaml);
        Builder::new(&template, options)?.build()
    }
}

/// YAML -> JSON with short-form tags (`!Ref x`) turned into long form
/// (`{"Ref": x}`), so evaluation deals with one shape.
fn normalise(value: serde_yaml_ng::Value) -> Json {
    use serde_yaml_ng::Value as Y;
    match value {
        Y::Null => Json::Null,
        Y::Bool(b) => Json::Bool(b),
        Y::Number(n) => {
            if let Some(i) = n.as_i64() {
                Json::from(i)
            } else if let Some(u) = n.as_u64() {
                Json::from(u)
            } else {
                n.as_f64()
                    .and_then(serde_json::Number::from_f64)
                    .map_or(Json::Null, Json::Number)
            }
        }
        Y::String(s) => Json::String(s),
        Y::Sequence(items) => Json::Array(items.into_iter().map(normalise).collect()),
        Y::Mapping(map) => Json::Object(
            map.into_iter()
                .map(|(k, v)| {
                    let key = match normalise(k) {
                        Json::String(s) => s,
                        other => other.to_string(),
                    };
                    (key, normalise(v))
                })
                .collect(),
        ),
        Y::Tagged(tagged) => {
            let tag = tagged.tag.to_string();
            let name = tag.trim_start_matches('!');
            let key = match name {
                "Ref" | "Condition" => name.to_owned(),
                other => format!("Fn::{other}"),
            };
            let mut map = Map::new();
            map.insert(key, normalise(tagged.value));
            Json::Object(map)
        }
    }
}

struct Builder<'t> {
    eval: Evaluator<'t>,
    resources: &'t Map<String, Json>,
    globals: Option<&'t Json>,
    rules_section: Option<&'t Map<String, Json>>,
    parameters: BTreeMap<String, ParamValue>,
    notes: Vec<Note>,
}

static EMPTY: std::sync::LazyLock<Map<String, Json>> = std::sync::LazyLock::new(Map::new);

fn section<'t>(
    template: &'t Json,
    name: &'static str,
) -> Result<Option<&'t Map<String, Json>>, TemplateError> {
    match template.get(name) {
        None | Some(Json::Null) => Ok(None),
        Some(Json::Object(map)) => Ok(Some(map)),
        Some(other) => Err(TemplateError::BadSection {
            section: name,
            message: format!("expected a mapping, got {other}"),
        }),
    }
}

impl<'t> Builder<'t> {
    fn new(template: &'t Json, options: &LoadOptions) -> Result<Self, TemplateError> {
        let resources = section(template, "Resources")?.ok_or(TemplateError::BadSection {
            section: "Resources",
            message: "missing".into(),
        })?;
        let declared = section(template, "Parameters")?.unwrap_or(&EMPTY);
        let (parameters, missing) = resolve_parameters(declared, &options.parameters)?;
        let sections = Sections {
            conditions: section(template, "Conditions")?.unwrap_or(&EMPTY),
            mappings: section(template, "Mappings")?.unwrap_or(&EMPTY),
            resources,
        };
        let eval = Evaluator::new(
            parameters.clone(),
            missing,
            sections,
            LocalAccount::new(options.region.clone()),
        );
        Ok(Builder {
            eval,
            resources,
            globals: template.get("Globals").and_then(|g| g.get("Function")),
            rules_section: section(template, "Rules")?,
            parameters,
            notes: Vec::new(),
        })
    }

    fn note(&mut self, resource: &str, kind: &str, message: impl Into<String>) {
        self.notes.push(Note {
            resource: resource.to_owned(),
            kind: kind.to_owned(),
            message: message.into(),
        });
    }

    fn build(mut self) -> Result<Topology, TemplateError> {
        self.check_rules_section();
        let mut services = Vec::new();
        let mut listeners = Vec::new();
        let mut rules = Vec::new();
        let mut policies = Vec::new();
        let mut associations = Vec::new();
        let mut target_groups = BTreeMap::new();
        let mut functions = BTreeMap::new();

        for (logical_id, resource) in self.resources {
            let kind = resource.get("Type").and_then(Json::as_str).unwrap_or("");
            if !self.resource_enabled(logical_id, resource)? {
                continue;
            }
            let r = Resource {
                logical_id,
                kind,
                body: resource,
            };
            match kind {
                "AWS::VpcLattice::Service" => services.push(self.service(&r)?),
                "AWS::VpcLattice::Listener" => listeners.push(self.listener(&r)?),
                "AWS::VpcLattice::Rule" => rules.push(self.rule(&r)?),
                "AWS::VpcLattice::AuthPolicy" => policies.push(self.auth_policy(&r)?),
                "AWS::VpcLattice::TargetGroup" => {
                    if let Some(group) = self.target_group(&r)? {
                        target_groups.insert(logical_id.clone(), group);
                    }
                }
                "AWS::VpcLattice::ServiceNetworkServiceAssociation" => {
                    associations.push(self.association(&r)?);
                }
                "AWS::Serverless::Function" => {
                    if let Some(function) = self.function(&r)? {
                        functions.insert(logical_id.clone(), function);
                    }
                }
                "AWS::VpcLattice::ServiceNetwork" => {
                    // Lattice then requires the network's auth policy to allow as well;
                    // locally only each service's auth type and policy are enforced.
                    if self.prop_string(&r, "AuthType")?.as_deref() == Some("AWS_IAM") {
                        self.note(
                            logical_id,
                            kind,
                            "network-level AuthType AWS_IAM is not enforced locally (service auth types and policies are)",
                        );
                    }
                }
                "AWS::VpcLattice::ServiceNetworkVpcAssociation"
                | "AWS::EC2::SecurityGroup"
                | "AWS::Lambda::Permission"
                | "AWS::IAM::Role"
                | "AWS::Logs::LogGroup" => {
                    self.note(logical_id, kind, "no local effect (not emulated)");
                }
                "AWS::Lambda::Function" => self.note(
                    logical_id,
                    kind,
                    "not run locally: only AWS::Serverless::Function with BuildMethod rust-cargolambda maps to a workspace binary",
                ),
                other => self.note(
                    logical_id,
                    other,
                    "unsupported resource type, ignored by lattice-local",
                ),
            }
        }

        self.link_lambda_targets(&mut target_groups, &functions);
        let mut services = self.link(services, listeners, rules, policies, associations)?;
        for listener in services.iter_mut().filter_map(|s| s.listener.as_mut()) {
            resolve_action(
                &mut listener.default_action,
                &listener.logical_id,
                &target_groups,
            )?;
            for rule in &mut listener.rules {
                resolve_action(&mut rule.action, &rule.name, &target_groups)?;
            }
        }
        Ok(Topology {
            account: self.eval.account().clone(),
            services,
            target_groups,
            functions,
            parameters: self.parameters,
            notes: self.notes,
        })
    }

    /// `Condition:` on a resource.
    fn resource_enabled(&self, logical_id: &str, resource: &Json) -> Result<bool, TemplateError> {
        match resource.get("Condition").and_then(Json::as_str) {
            None => Ok(true),
            Some(condition) => {
                self.eval
                    .condition(condition)
                    .map_err(|source| TemplateError::Eval {
                        location: format!("Resources.{logical_id}.Condition"),
                        source,
                    })
            }
        }
    }

    /// Template `Rules` are CloudFormation's parameter checks; a failing one
    /// would stop a deployment, so it is reported.
    fn check_rules_section(&mut self) {
        let Some(rules) = self.rules_section else {
            return;
        };
        for (name, rule) in rules {
            let applies = match rule.get("RuleCondition") {
                None => Ok(true),
                Some(condition) => self
                    .eval
                    .eval(condition)
                    .map(|v| v == Some(Json::Bool(true))),
            };
            let outcome = applies.and_then(|applies| {
                if !applies {
                    return Ok(Vec::new());
                }
                let mut failed = Vec::new();
                for assertion in rule
                    .get("Assertions")
                    .and_then(Json::as_array)
                    .into_iter()
                    .flatten()
                {
                    let Some(check) = assertion.get("Assert") else {
                        continue;
                    };
                    if self.eval.eval(check)? != Some(Json::Bool(true)) {
                        let description = assertion
                            .get("AssertDescription")
                            .and_then(Json::as_str)
                            .unwrap_or("assertion failed");
                        failed.push(description.to_owned());
                    }
                }
                Ok(failed)
            });
            match outcome {
                Ok(failed) => {
                    for description in failed {
                        self.note(
                            name,
                            "Rules",
                            format!("CloudFormation would reject these parameters: {description}"),
                        );
                    }
                }
                Err(error) => self.note(name, "Rules", format!("not checked: {error}")),
            }
        }
    }

    fn prop(&self, r: &Resource<'_>, path: &str) -> Result<Option<Json>, TemplateError> {
        let mut current = r.body.get("Properties");
        for part in path.split('.') {
            current = current.and_then(|c| c.get(part));
        }
        match current {
            None => Ok(None),
            Some(raw) => self.eval.eval(raw).map_err(|source| TemplateError::Eval {
                location: format!("Resources.{}.Properties.{path}", r.logical_id),
                source,
            }),
        }
    }

    fn prop_string(&self, r: &Resource<'_>, path: &str) -> Result<Option<String>, TemplateError> {
        match self.prop(r, path)? {
            None | Some(Json::Null) => Ok(None),
            Some(value) => {
                json_to_string(&value)
                    .map(Some)
                    .ok_or_else(|| TemplateError::InvalidProperty {
                        resource: r.logical_id.clone(),
                        property: path.to_owned(),
                        message: format!("expected a string, got {value}"),
                    })
            }
        }
    }

    fn required_string(&self, r: &Resource<'_>, path: &str) -> Result<String, TemplateError> {
        self.prop_string(r, path)?
            .ok_or_else(|| TemplateError::MissingProperty {
                resource: r.logical_id.clone(),
                property: path.to_owned(),
            })
    }

    fn eval_at<T>(
        &self,
        location: String,
        result: Result<T, EvalError>,
    ) -> Result<T, TemplateError> {
        result.map_err(|source| TemplateError::Eval { location, source })
    }

    fn arn_of(&self, r: &Resource<'_>) -> Result<String, TemplateError> {
        let value = self.eval_at(
            format!("Resources.{}", r.logical_id),
            self.eval
                .eval(&serde_json::json!({"Fn::GetAtt": [r.logical_id, "Arn"]})),
        )?;
        Ok(value.as_ref().and_then(json_to_string).unwrap_or_default())
    }

    fn service(&mut self, r: &Resource<'_>) -> Result<Service, TemplateError> {
        let name = self.eval_at(
            format!("Resources.{}.Properties.Name", r.logical_id),
            self.eval.lattice_name(r.logical_id),
        )?;
        let auth_type = match self.prop_string(r, "AuthType")?.as_deref() {
            None => AuthType::None,
            Some(value) => match AuthType::from_wire(value) {
                AuthType::Other(other) => {
                    return Err(TemplateError::InvalidProperty {
                        resource: r.logical_id.clone(),
                        property: "AuthType".into(),
                        message: format!("{other:?} is neither NONE nor AWS_IAM"),
                    });
                }
                known => known,
            },
        };
        for unsupported in ["CustomDomainName", "CertificateArn"] {
            if r.has_property(unsupported) {
                self.note(
                    r.logical_id,
                    r.kind,
                    format!(
                        "{unsupported} is not emulated: the service is reached by its local name"
                    ),
                );
            }
        }
        Ok(Service {
            logical_id: r.logical_id.clone(),
            arn: self.arn_of(r)?,
            name,
            service_network_arn: String::new(),
            auth_type,
            auth_policy: None,
            listener: None,
        })
    }

    fn listener(&mut self, r: &Resource<'_>) -> Result<(String, Listener), TemplateError> {
        let service = self.required_string(r, "ServiceIdentifier")?;
        let protocol = self.required_string(r, "Protocol")?;
        if !matches!(protocol.as_str(), "HTTP" | "HTTPS") {
            return Err(TemplateError::InvalidProperty {
                resource: r.logical_id.clone(),
                property: "Protocol".into(),
                message: format!(
                    "{protocol} listeners are not supported locally (HTTP and HTTPS are)"
                ),
            });
        }
        let default_port = if protocol == "HTTPS" { 443 } else { 80 };
        let port = match self.prop_string(r, "Port")? {
            None => default_port,
            Some(port) => port.parse().map_err(|_| TemplateError::InvalidProperty {
                resource: r.logical_id.clone(),
                property: "Port".into(),
                message: format!("{port:?} is not a port number"),
            })?,
        };
        let action =
            self.prop(r, "DefaultAction")?
                .ok_or_else(|| TemplateError::MissingProperty {
                    resource: r.logical_id.clone(),
                    property: "DefaultAction".into(),
                })?;
        let default_action = parse_action(r.logical_id, "DefaultAction", &action)?;
        Ok((
            service,
            Listener {
                logical_id: r.logical_id.clone(),
                arn: self.arn_of(r)?,
                protocol,
                port,
                default_action,
                rules: Vec::new(),
            },
        ))
    }

    fn rule(&mut self, r: &Resource<'_>) -> Result<(String, String, Rule), TemplateError> {
        let service = self.required_string(r, "ServiceIdentifier")?;
        let listener = self.required_string(r, "ListenerIdentifier")?;
        let priority = self.required_string(r, "Priority")?;
        let priority = priority
            .parse()
            .map_err(|_| TemplateError::InvalidProperty {
                resource: r.logical_id.clone(),
                property: "Priority".into(),
                message: format!("{priority:?} is not a number"),
            })?;
        let http =
            self.prop(r, "Match.HttpMatch")?
                .ok_or_else(|| TemplateError::MissingProperty {
                    resource: r.logical_id.clone(),
                    property: "Match.HttpMatch".into(),
                })?;
        let matcher = parse_http_match(r.logical_id, &http)?;
        let action = self
            .prop(r, "Action")?
            .ok_or_else(|| TemplateError::MissingProperty {
                resource: r.logical_id.clone(),
                property: "Action".into(),
            })?;
        let action = parse_action(r.logical_id, "Action", &action)?;
        Ok((
            service,
            listener,
            Rule {
                name: r.logical_id.clone(),
                arn: self.arn_of(r)?,
                priority,
                matcher,
                action,
            },
        ))
    }

    fn auth_policy(&mut self, r: &Resource<'_>) -> Result<(String, Json), TemplateError> {
        let target = self.required_string(r, "ResourceIdentifier")?;
        let policy = match self.prop(r, "Policy")? {
            Some(Json::String(text)) => {
                serde_json::from_str(&text).map_err(|e| TemplateError::InvalidProperty {
                    resource: r.logical_id.clone(),
                    property: "Policy".into(),
                    message: format!("not a JSON policy document: {e}"),
                })?
            }
            Some(policy @ Json::Object(_)) => policy,
            _ => {
                return Err(TemplateError::MissingProperty {
                    resource: r.logical_id.clone(),
                    property: "Policy".into(),
                });
            }
        };
        Ok((target, policy))
    }

    fn association(&mut self, r: &Resource<'_>) -> Result<(String, String), TemplateError> {
        let service = self.required_string(r, "ServiceIdentifier")?;
        let network = self.required_string(r, "ServiceNetworkIdentifier")?;
        let network = if network.starts_with("arn:") {
            network
        } else {
            self.eval
                .account()
                .lattice_arn(&format!("servicenetwork/{network}"))
        };
        Ok((service, network))
    }

    fn target_group(&mut self, r: &Resource<'_>) -> Result<Option<TargetGroup>, TemplateError> {
        let kind = self.required_string(r, "Type")?;
        let name = self.eval_at(
            format!("Resources.{}.Properties.Name", r.logical_id),
            self.eval.lattice_name(r.logical_id),
        )?;
        let targets: Vec<Json> = match self.prop(r, "Targets")? {
            Some(Json::Array(items)) => items,
            _ => Vec::new(),
        };
        let target_ids: Vec<String> = targets
            .iter()
            .filter_map(|t| t.get("Id").and_then(json_to_string))
            .collect();
        let kind = match kind.as_str() {
            "LAMBDA" => {
                let event_version =
                    match self.prop_string(r, "Config.LambdaEventStructureVersion")? {
                        None => EventVersion::V1,
                        Some(v) => v
                            .parse()
                            .map_err(|message| TemplateError::InvalidProperty {
                                resource: r.logical_id.clone(),
                                property: "Config.LambdaEventStructureVersion".into(),
                                message,
                            })?,
                    };
                if target_ids.len() > 1 {
                    self.note(
                        r.logical_id,
                        r.kind,
                        "only the first LAMBDA target is used (Lattice allows one)",
                    );
                }
                let target_id = target_ids.into_iter().next().unwrap_or_default();
                if target_id.is_empty() {
                    self.note(
                        r.logical_id,
                        r.kind,
                        "LAMBDA target group without a target: requests get 503",
                    );
                }
                TargetKind::Lambda {
                    event_version,
                    function: None,
                    target_id,
                }
            }
            "IP" | "INSTANCE" | "ALB" => {
                let port = match self.prop_string(r, "Config.Port")? {
                    None => None,
                    Some(port) => {
                        Some(port.parse().map_err(|_| TemplateError::InvalidProperty {
                            resource: r.logical_id.clone(),
                            property: "Config.Port".into(),
                            message: format!("{port:?} is not a port number"),
                        })?)
                    }
                };
                if r.has_property_path("Config.HealthCheck") {
                    self.note(r.logical_id, r.kind, "health checks are not run locally");
                }
                TargetKind::Http {
                    protocol: self
                        .prop_string(r, "Config.Protocol")?
                        .unwrap_or_else(|| "HTTP".to_owned()),
                    port,
                    targets: target_ids,
                }
            }
            other => {
                self.note(
                    r.logical_id,
                    r.kind,
                    format!("target group Type {other} is not supported; ignored"),
                );
                return Ok(None);
            }
        };
        Ok(Some(TargetGroup {
            logical_id: r.logical_id.clone(),
            name,
            arn: self.arn_of(r)?,
            kind,
        }))
    }

    fn function(&mut self, r: &Resource<'_>) -> Result<Option<Function>, TemplateError> {
        let metadata = r.body.get("Metadata");
        let build_method = metadata
            .and_then(|m| m.get("BuildMethod"))
            .and_then(Json::as_str);
        if build_method != Some("rust-cargolambda") {
            self.note(
                r.logical_id,
                r.kind,
                format!(
                    "not run locally: BuildMethod is {}, not rust-cargolambda",
                    build_method.unwrap_or("unset")
                ),
            );
            return Ok(None);
        }
        let binary = metadata
            .and_then(|m| m.get("BuildProperties"))
            .and_then(|p| p.get("Binary"))
            .and_then(Json::as_str)
            .map(str::to_owned)
            .unwrap_or_else(|| r.logical_id.to_owned());
        let name = self.eval_at(
            format!("Resources.{}.Properties.FunctionName", r.logical_id),
            self.eval.function_name(r.logical_id),
        )?;
        let mut env = Vec::new();
        let global_env = self
            .globals
            .and_then(|g| g.get("Environment"))
            .and_then(|e| e.get("Variables"));
        if let Some(raw) = global_env {
            let evaluated =
                self.eval_at("Globals.Function.Environment".into(), self.eval.eval(raw))?;
            collect_env(&mut env, evaluated);
        }
        collect_env(&mut env, self.prop(r, "Environment.Variables")?);
        let number = |this: &Self, key: &str, default: u64| -> Result<u64, TemplateError> {
            let from_globals = this.globals.and_then(|g| g.get(key));
            let value = match this.prop_string(r, key)? {
                Some(v) => Some(v),
                None => match from_globals {
                    Some(raw) => this
                        .eval_at(format!("Globals.Function.{key}"), this.eval.eval(raw))?
                        .as_ref()
                        .and_then(json_to_string),
                    None => None,
                },
            };
            match value {
                None => Ok(default),
                Some(v) => v.parse().map_err(|_| TemplateError::InvalidProperty {
                    resource: r.logical_id.clone(),
                    property: key.to_owned(),
                    message: format!("{v:?} is not a number"),
                }),
            }
        };
        let timeout = number(self, "Timeout", 3)?;
        let memory = number(self, "MemorySize", 128)?;
        if r.has_property("VpcConfig") {
            self.note(r.logical_id, r.kind, "VpcConfig has no local effect");
        }
        Ok(Some(Function {
            logical_id: r.logical_id.clone(),
            arn: self.eval.account().function_arn(&name),
            name,
            binary,
            env,
            timeout: Duration::from_secs(timeout),
            memory_mb: u32::try_from(memory).unwrap_or(u32::MAX),
        }))
    }

    fn link_lambda_targets(
        &mut self,
        groups: &mut BTreeMap<String, TargetGroup>,
        functions: &BTreeMap<String, Function>,
    ) {
        for group in groups.values_mut() {
            let TargetKind::Lambda {
                function,
                target_id,
                ..
            } = &mut group.kind
            else {
                continue;
            };
            if target_id.is_empty() {
                continue;
            }
            // A qualified ARN (`…:function:name:alias`) still names the function.
            let found = functions.values().find(|f| {
                *target_id == f.arn
                    || *target_id == f.name
                    || target_id.starts_with(&format!("{}:", f.arn))
            });
            match found {
                Some(f) => *function = Some(f.logical_id.clone()),
                None => self.notes.push(Note {
                    resource: group.logical_id.clone(),
                    kind: "AWS::VpcLattice::TargetGroup".into(),
                    message: format!(
                        "target {target_id} is not a function of this template: requests to it get 503"
                    ),
                }),
            }
        }
    }

    fn link(
        &mut self,
        mut services: Vec<Service>,
        listeners: Vec<(String, Listener)>,
        rules: Vec<(String, String, Rule)>,
        policies: Vec<(String, Json)>,
        associations: Vec<(String, String)>,
    ) -> Result<Vec<Service>, TemplateError> {
        let find_service = |services: &[Service], identifier: &str| {
            services
                .iter()
                .position(|s| identifies(identifier, &s.arn) || s.name == identifier)
        };
        for (service_id, network) in associations {
            if let Some(i) = find_service(&services, &service_id) {
                services[i].service_network_arn = network;
            }
        }
        let default_network = self.eval.account().lattice_arn(&format!(
            "servicenetwork/{}",
            local_id("sn", "lattice-local")
        ));
        for service in &mut services {
            if service.service_network_arn.is_empty() {
                service.service_network_arn = default_network.clone();
            }
        }
        for (service_id, listener) in listeners {
            let i = find_service(&services, &service_id).ok_or_else(|| {
                TemplateError::DanglingReference {
                    resource: listener.logical_id.clone(),
                    property: "ServiceIdentifier".into(),
                    value: service_id.clone(),
                    expected: "AWS::VpcLattice::Service",
                }
            })?;
            match &services[i].listener {
                Some(existing) => {
                    let message = format!(
                        "a second listener on {} is not served; {} is",
                        services[i].name, existing.logical_id
                    );
                    self.note(&listener.logical_id, "AWS::VpcLattice::Listener", message);
                }
                None => services[i].listener = Some(listener),
            }
        }
        for (service_id, listener_id, rule) in rules {
            let i = find_service(&services, &service_id).ok_or_else(|| {
                TemplateError::DanglingReference {
                    resource: rule.name.clone(),
                    property: "ServiceIdentifier".into(),
                    value: service_id.clone(),
                    expected: "AWS::VpcLattice::Service",
                }
            })?;
            match &mut services[i].listener {
                Some(listener) if identifies(&listener_id, &listener.arn) => {
                    listener.rules.push(rule);
                }
                _ => {
                    return Err(TemplateError::DanglingReference {
                        resource: rule.name.clone(),
                        property: "ListenerIdentifier".into(),
                        value: listener_id,
                        expected: "served AWS::VpcLattice::Listener",
                    });
                }
            }
        }
        for (target, policy) in policies {
            match find_service(&services, &target) {
                Some(i) => services[i].auth_policy = Some(policy),
                None => self.note(
                    &target,
                    "AWS::VpcLattice::AuthPolicy",
                    "auth policies on service networks are not evaluated locally",
                ),
            }
        }
        Ok(services)
    }
}

/// A resource being read.
struct Resource<'t> {
    logical_id: &'t String,
    kind: &'t str,
    body: &'t Json,
}

impl Resource<'_> {
    fn has_property(&self, name: &str) -> bool {
        self.body
            .get("Properties")
            .and_then(|p| p.get(name))
            .is_some()
    }

    fn has_property_path(&self, path: &str) -> bool {
        let mut current = self.body.get("Properties");
        for part in path.split('.') {
            current = current.and_then(|c| c.get(part));
        }
        current.is_some()
    }
}

/// Whether an identifier (ARN, or id such as `svc-…`) names the resource with `arn`.
fn identifies(identifier: &str, arn: &str) -> bool {
    identifier == arn || arn.rsplit('/').next() == Some(identifier)
}

fn collect_env(env: &mut Vec<(String, String)>, variables: Option<Json>) {
    let Some(Json::Object(variables)) = variables else {
        return;
    };
    for (name, value) in variables {
        if let Some(value) = json_to_string(&value) {
            env.retain(|(n, _)| *n != name);
            env.push((name, value));
        }
    }
}

/// Parameters: declared defaults overridden by `--parameter`, checked against
/// `AllowedValues`. Those with neither are `missing` (an error only if used).
fn resolve_parameters(
    declared: &Map<String, Json>,
    overrides: &[(String, String)],
) -> Result<(BTreeMap<String, ParamValue>, BTreeSet<String>), TemplateError> {
    let mut given: BTreeMap<&str, &str> = BTreeMap::new();
    for (name, value) in overrides {
        if !declared.contains_key(name) {
            return Err(TemplateError::UnknownParameter {
                name: name.clone(),
                declared: declared.keys().cloned().collect::<Vec<_>>().join(", "),
            });
        }
        given.insert(name, value);
    }
    let mut values = BTreeMap::new();
    let mut missing = BTreeSet::new();
    for (name, spec) in declared {
        let raw = match given.get(name.as_str()) {
            Some(value) => Some((*value).to_owned()),
            None => spec.get("Default").and_then(json_to_string),
        };
        let Some(raw) = raw else {
            missing.insert(name.clone());
            continue;
        };
        let allowed: Vec<String> = spec
            .get("AllowedValues")
            .and_then(Json::as_array)
            .map(|a| a.iter().filter_map(json_to_string).collect())
            .unwrap_or_default();
        if !allowed.is_empty() && !allowed.contains(&raw) {
            return Err(TemplateError::DisallowedValue {
                name: name.clone(),
                value: raw,
                allowed,
            });
        }
        let kind = spec.get("Type").and_then(Json::as_str).unwrap_or("String");
        let value = if kind == "CommaDelimitedList" || kind.starts_with("List<") {
            let items = if raw.is_empty() {
                Vec::new()
            } else {
                raw.split(',').map(|s| s.trim().to_owned()).collect()
            };
            ParamValue::List(items)
        } else {
            ParamValue::Text(raw)
        };
        values.insert(name.clone(), value);
    }
    Ok((values, missing))
}

fn invalid(resource: &str, property: &str, message: impl Into<String>) -> TemplateError {
    TemplateError::InvalidProperty {
        resource: resource.to_owned(),
        property: property.to_owned(),
        message: message.into(),
    }
}

/// `Forward: {TargetGroups: [...]}` or `FixedResponse: {StatusCode: n}`.
fn parse_action(resource: &str, property: &str, action: &Json) -> Result<Action, TemplateError> {
    if let Some(fixed) = action.get("FixedResponse") {
        let code = fixed
            .get("StatusCode")
            .and_then(json_to_string)
            .ok_or_else(|| invalid(resource, property, "FixedResponse needs a StatusCode"))?;
        let status = code
            .parse::<u16>()
            .ok()
            .and_then(|c| StatusCode::from_u16(c).ok())
            .ok_or_else(|| {
                invalid(
                    resource,
                    property,
                    format!("{code:?} is not an HTTP status"),
                )
            })?;
        return Ok(Action::FixedResponse(status));
    }
    let Some(forward) = action.get("Forward") else {
        return Err(invalid(
            resource,
            property,
            "expected Forward or FixedResponse",
        ));
    };
    let groups = forward
        .get("TargetGroups")
        .and_then(Json::as_array)
        .ok_or_else(|| invalid(resource, property, "Forward needs TargetGroups"))?;
    let mut targets = Vec::with_capacity(groups.len());
    for group in groups {
        let identifier = group
            .get("TargetGroupIdentifier")
            .and_then(json_to_string)
            .ok_or_else(|| {
                invalid(
                    resource,
                    property,
                    "a target group entry lacks TargetGroupIdentifier",
                )
            })?;
        let weight = match group.get("Weight").and_then(json_to_string) {
            None => 100,
            Some(w) => w.parse().map_err(|_| {
                invalid(resource, property, format!("weight {w:?} is not a number"))
            })?,
        };
        targets.push(WeightedTarget {
            target_group: identifier,
            weight,
        });
    }
    Ok(Action::Forward(targets))
}

fn case_sensitive(value: &Json) -> bool {
    // CloudFormation's documented default for CaseSensitive is false.
    value
        .get("CaseSensitive")
        .map(|v| matches!(v, Json::Bool(true)) || v.as_str() == Some("true"))
        .unwrap_or(false)
}

fn parse_http_match(resource: &str, http: &Json) -> Result<HttpMatch, TemplateError> {
    let mut matcher = HttpMatch::default();
    if let Some(method) = http.get("Method").and_then(json_to_string) {
        matcher.method = Some(Method::from_bytes(method.as_bytes()).map_err(|_| {
            invalid(
                resource,
                "Match.HttpMatch.Method",
                format!("{method:?} is not a method"),
            )
        })?);
    }
    if let Some(path) = http.get("PathMatch") {
        let kind = path.get("Match").ok_or_else(|| {
            invalid(
                resource,
                "Match.HttpMatch.PathMatch",
                "PathMatch needs Match",
            )
        })?;
        let (kind, value) = if let Some(v) = kind.get("Exact").and_then(json_to_string) {
            (PathMatchKind::Exact, v)
        } else if let Some(v) = kind.get("Prefix").and_then(json_to_string) {
            (PathMatchKind::Prefix, v)
        } else {
            return Err(invalid(
                resource,
                "Match.HttpMatch.PathMatch.Match",
                "expected Exact or Prefix",
            ));
        };
        matcher.path = Some(PathMatch {
            kind,
            value,
            case_sensitive: case_sensitive(path),
        });
    }
    for header in http
        .get("HeaderMatches")
        .and_then(Json::as_array)
        .into_iter()
        .flatten()
    {
        let property = "Match.HttpMatch.HeaderMatches";
        let name = header
            .get("Name")
            .and_then(json_to_string)
            .ok_or_else(|| invalid(resource, property, "a header match lacks Name"))?;
        let name = HeaderName::from_bytes(name.to_ascii_lowercase().as_bytes())
            .map_err(|_| invalid(resource, property, format!("{name:?} is not a header name")))?;
        if header.get("Match").is_none() {
            return Err(invalid(resource, property, "a header match lacks Match"));
        }
        let (kind, value) = [
            ("Exact", HeaderMatchKind::Exact),
            ("Prefix", HeaderMatchKind::Prefix),
            ("Contains", HeaderMatchKind::Contains),
        ]
        .into_iter()
        .find_map(|(key, kind)| kind_value(kind, key, header))
        .ok_or_else(|| invalid(resource, property, "expected Exact, Prefix or Contains"))?;
        matcher.headers.push(HeaderMatch {
            name,
            kind,
            value,
            case_sensitive: case_sensitive(header),
        });
    }
    Ok(matcher)
}

fn kind_value(
    kind: HeaderMatchKind,
    key: &str,
    header: &Json,
) -> Option<(HeaderMatchKind, String)> {
    header
        .get("Match")?
        .get(key)
        .and_then(json_to_string)
        .map(|v| (kind, v))
}

/// Rewrites target group identifiers in actions (ARNs or ids) to logical ids.
fn resolve_action(
    action: &mut Action,
    owner: &str,
    groups: &BTreeMap<String, TargetGroup>,
) -> Result<(), TemplateError> {
    let Action::Forward(targets) = action else {
        return Ok(());
    };
    for target in targets {
        let identifier = &target.target_group;
        let group = groups
            .values()
            .find(|g| identifies(identifier, &g.arn) || g.logical_id == *identifier)
            .ok_or_else(|| TemplateError::DanglingReference {
                resource: owner.to_owned(),
                property: "TargetGroupIdentifier".into(),
                value: identifier.clone(),
                expected: "supported AWS::VpcLattice::TargetGroup",
            })?;
        target.target_group = group.logical_id.clone();
    }
    Ok(())
}

#[cfg(test)]
mod tests;
