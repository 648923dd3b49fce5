//! `template.yaml` wires both directions the way the functions need it.
//!
//! cfn-lint and `sam validate --lint` (scripts/validate-template.sh) prove the template is
//! well-formed; they cannot tell that a target group forwards to the wrong function. These tests
//! read the template, evaluate it the way CloudFormation would for several parameter sets
//! (conditions, `Fn::If`, `AWS::NoValue`, `Fn::Sub`, `Fn::Select`...), and check the relations:
//! target group -> function, permission -> target group, listener -> service, rule -> listener,
//! client function -> VPC and environment. Mutated templates prove each check can fail.

use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};

const PROVIDER_FUNCTION: &str = "ProviderFunction";
const CLIENT_FUNCTION: &str = "EksClientFunction";
const PROVIDER_SERVICE: &str = "ProviderService";
const LATTICE_PRINCIPAL: &str = "vpc-lattice.amazonaws.com";

/// Every function in the template: logical id and the cargo binary it is built from.
const FUNCTIONS: [(&str, &str); 2] = [
    (PROVIDER_FUNCTION, "provider"),
    (CLIENT_FUNCTION, "eks-client"),
];

/// Environment the `eks-client` binary reads at init (issue 4); `LATTICE_SERVICE_URL` has no default.
const CLIENT_REQUIRED_ENV: [&str; 1] = ["LATTICE_SERVICE_URL"];
const CLIENT_KNOWN_ENV: [&str; 5] = [
    "LATTICE_SERVICE_URL",
    "LATTICE_SIGNING",
    "LATTICE_TIMEOUT_MS",
    "LATTICE_RETRIES",
    "LATTICE_CA_BUNDLE",
];
/// Environment the `provider` binary understands (issue 3); all optional.
const PROVIDER_KNOWN_ENV: [&str; 3] = ["GREETING", "ALLOWED_PRINCIPALS", "ALLOWED_SOURCE_VPCS"];

/// Values every deployment must supply: parameters without a default, and the URL and target
/// service that the template's `Rules` demand in the default `EksAppMode=gateway-api` with signing.
const REQUIRED_PARAMETERS: [(&str, &str); 5] = [
    ("VpcId", "vpc-0123456789abcdef0"),
    (
        "SubnetIds",
        "subnet-0aaaaaaaaaaaaaaa1,subnet-0bbbbbbbbbbbbbbb2",
    ),
    ("VpcCidr", "10.0.0.0/16"),
    (
        "LatticeServiceUrl",
        "https://eks-app-default-0123456789abcdef.7d67968.vpc-lattice-svcs.us-east-1.on.aws/app",
    ),
    ("TargetServiceArn", TARGET_SERVICE_ARN),
];

/// The controller's `eks-app-default` service, as a deployment passes it.
const TARGET_SERVICE_ARN: &str =
    "arn:aws:vpc-lattice:us-east-1:123456789012:service/svc-0123456789abcdef0";

const PSEUDO_ACCOUNT: &str = "123456789012";
const PSEUDO_REGION: &str = "us-east-1";

// ------------------------------------------------------------------------------------------------
// Loading: YAML with CloudFormation short-form tags -> long-form JSON.
// ------------------------------------------------------------------------------------------------

/// Why a template could not be read or evaluated.
#[derive(Debug)]
enum TemplateError {
    Read(PathBuf, std::io::Error),
    Yaml(serde_yaml_ng::Error),
    UnknownTag(String),
    NonScalarKey(String),
    MissingSection(&'static str),
    UnknownName(String),
    MissingParameterValue(String),
    DisallowedValue { parameter: String, value: String },
    UnknownCondition(String),
    ConditionCycle(Vec<String>),
    AbsentResource { name: String, context: String },
    Malformed { function: String, detail: String },
    Unsupported(String),
}

impl fmt::Display for TemplateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Read(path, e) => write!(f, "cannot read {}: {e}", path.display()),
            Self::Yaml(e) => write!(f, "template is not valid YAML: {e}"),
            Self::UnknownTag(tag) => write!(f, "unknown YAML tag !{tag}"),
            Self::NonScalarKey(key) => write!(f, "mapping key is not a scalar: {key}"),
            Self::MissingSection(s) => write!(f, "template has no {s} section"),
            Self::UnknownName(n) => write!(
                f,
                "Ref to {n}, which is neither a parameter, a resource nor a pseudo parameter"
            ),
            Self::MissingParameterValue(p) => {
                write!(f, "parameter {p} has no default and no value was given")
            }
            Self::DisallowedValue { parameter, value } => {
                write!(
                    f,
                    "value {value:?} is not in AllowedValues of parameter {parameter}"
                )
            }
            Self::UnknownCondition(c) => write!(f, "condition {c} is not defined"),
            Self::ConditionCycle(c) => {
                write!(f, "conditions depend on each other: {}", c.join(", "))
            }
            Self::AbsentResource { name, context } => {
                write!(
                    f,
                    "{context} refers to {name}, which is not created with these parameters"
                )
            }
            Self::Malformed { function, detail } => write!(f, "malformed {function}: {detail}"),
            Self::Unsupported(function) => write!(
                f,
                "intrinsic function {function} is not supported by this test"
            ),
        }
    }
}

/// The template in CloudFormation's long (JSON) form.
struct Template {
    root: Value,
}

impl Template {
    fn path() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../template.yaml")
    }

    fn workspace_root() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
    }

    fn load() -> Result<Self, TemplateError> {
        let path = Self::path();
        let text = std::fs::read_to_string(&path).map_err(|e| TemplateError::Read(path, e))?;
        Self::parse(&text)
    }

    fn parse(text: &str) -> Result<Self, TemplateError> {
        let yaml: serde_yaml_ng::Value =
            serde_yaml_ng::from_str(text).map_err(TemplateError::Yaml)?;
        Ok(Self {
            root: long_form(yaml)?,
        })
    }

    fn section(&self, name: &'static str) -> Result<&Map<String, Value>, TemplateError> {
        self.root
            .get(name)
            .and_then(Value::as_object)
            .ok_or(TemplateError::MissingSection(name))
    }

    fn optional_section(&self, name: &str) -> Map<String, Value> {
        self.root
            .get(name)
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default()
    }

    /// Mutable access for the negative tests.
    fn at_mut(&mut self, pointer: &str) -> &mut Value {
        match self.root.pointer_mut(pointer) {
            Some(v) => v,
            None => panic!("template has no {pointer}"),
        }
    }
}

/// Short-form tags (`!Ref`, `!GetAtt`, `!Sub`...) become the long form (`Ref`, `Fn::GetAtt`, `Fn::Sub`).
fn long_form(value: serde_yaml_ng::Value) -> Result<Value, TemplateError> {
    use serde_yaml_ng::Value as Y;
    Ok(match value {
        Y::Null => Value::Null,
        Y::Bool(b) => Value::Bool(b),
        Y::Number(n) => {
            if let Some(i) = n.as_i64() {
                json!(i)
            } else if let Some(u) = n.as_u64() {
                json!(u)
            } else {
                n.as_f64().map_or(Value::Null, |f| json!(f))
            }
        }
        Y::String(s) => Value::String(s),
        Y::Sequence(items) => {
            Value::Array(items.into_iter().map(long_form).collect::<Result<_, _>>()?)
        }
        Y::Mapping(mapping) => {
            let mut object = Map::new();
            for (key, value) in mapping {
                let key = match key {
                    Y::String(s) => s,
                    Y::Number(n) => n.to_string(),
                    Y::Bool(b) => b.to_string(),
                    other => return Err(TemplateError::NonScalarKey(format!("{other:?}"))),
                };
                object.insert(key, long_form(value)?);
            }
            Value::Object(object)
        }
        Y::Tagged(tagged) => {
            let tag = tagged.tag.to_string();
            let name = tag.trim_start_matches('!');
            let inner = long_form(tagged.value)?;
            match name {
                "Ref" => json!({ "Ref": inner }),
                "Condition" => json!({ "Condition": inner }),
                "GetAtt" => match inner {
                    // `!GetAtt Resource.Attribute.Path`: the resource name ends at the first dot.
                    Value::String(s) => match s.split_once('.') {
                        Some((resource, attribute)) => {
                            json!({ "Fn::GetAtt": [resource, attribute] })
                        }
                        None => {
                            return Err(TemplateError::Malformed {
                                function: "!GetAtt".into(),
                                detail: s,
                            });
                        }
                    },
                    other => json!({ "Fn::GetAtt": other }),
                },
                "Sub" | "If" | "Equals" | "Not" | "And" | "Or" | "Select" | "Split" | "Join"
                | "FindInMap" | "Base64" | "Cidr" | "GetAZs" | "ImportValue" | "Length"
                | "ToJsonString" => {
                    json!({ format!("Fn::{name}"): inner })
                }
                _ => return Err(TemplateError::UnknownTag(name.to_string())),
            }
        }
    })
}

// ------------------------------------------------------------------------------------------------
// Evaluation: the stack CloudFormation would create for one set of parameter values.
// ------------------------------------------------------------------------------------------------

/// One resource as created: its conditions already decided, intrinsics resolved where they can be.
/// References to other resources stay symbolic: `{"Ref": X}`, `{"Fn::GetAtt": [X, attr]}`, and
/// `{"Fn::Sub": "...${X.attr}..."}` with every parameter already substituted.
#[derive(Debug, Clone)]
struct Resource {
    kind: String,
    properties: Value,
    metadata: Value,
}

/// The evaluated template.
struct Stack {
    parameters: BTreeMap<String, Value>,
    resources: BTreeMap<String, Resource>,
    outputs: BTreeMap<String, Value>,
    failed_rules: Vec<String>,
}

struct Resolver<'a> {
    template: &'a Template,
    parameters: &'a BTreeMap<String, Value>,
    conditions: &'a BTreeMap<String, bool>,
    /// Resources created with these parameters; `None` while conditions are evaluated, where
    /// CloudFormation allows no resource references at all.
    present: Option<&'a BTreeSet<String>>,
}

/// SAM creates the execution role `<Function>Role` for an `AWS::Serverless::Function` that names
/// no `Role`; the function's logical id when `name` is such a role.
fn sam_generated_role_of<'t>(template: &'t Template, name: &str) -> Option<&'t str> {
    let function = name.strip_suffix("Role")?;
    let (logical_id, declared) = template
        .root
        .get("Resources")?
        .as_object()?
        .get_key_value(function)?;
    let serverless = declared.get("Type") == Some(&json!("AWS::Serverless::Function"));
    (serverless && declared.pointer("/Properties/Role").is_none()).then_some(logical_id.as_str())
}

fn malformed(function: &str, detail: impl fmt::Display) -> TemplateError {
    TemplateError::Malformed {
        function: function.to_string(),
        detail: detail.to_string(),
    }
}

/// A scalar as CloudFormation compares it (`Fn::Equals` compares strings).
fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

impl Resolver<'_> {
    /// Resolves `value`; `None` is `AWS::NoValue`, which removes the surrounding key or item.
    fn resolve(&self, value: &Value, context: &str) -> Result<Option<Value>, TemplateError> {
        match value {
            Value::Array(items) => {
                let mut out = Vec::with_capacity(items.len());
                for item in items {
                    if let Some(v) = self.resolve(item, context)? {
                        out.push(v);
                    }
                }
                Ok(Some(Value::Array(out)))
            }
            Value::Object(object) => {
                if object.len() == 1 {
                    let (key, argument) = object.iter().next().expect("one entry");
                    if key == "Ref" || key == "Condition" || key.starts_with("Fn::") {
                        return self.intrinsic(key, argument, context);
                    }
                }
                let mut out = Map::new();
                for (key, item) in object {
                    if let Some(v) = self.resolve(item, &format!("{context}.{key}"))? {
                        out.insert(key.clone(), v);
                    }
                }
                Ok(Some(Value::Object(out)))
            }
            other => Ok(Some(other.clone())),
        }
    }

    fn resolve_value(
        &self,
        value: &Value,
        function: &str,
        context: &str,
    ) -> Result<Value, TemplateError> {
        self.resolve(value, context)?
            .ok_or_else(|| malformed(function, "argument is AWS::NoValue"))
    }

    fn resolve_text(
        &self,
        value: &Value,
        function: &str,
        context: &str,
    ) -> Result<String, TemplateError> {
        let resolved = self.resolve_value(value, function, context)?;
        scalar_text(&resolved)
            .ok_or_else(|| malformed(function, format!("expected a string, got {resolved}")))
    }

    fn resolve_bool(
        &self,
        value: &Value,
        function: &str,
        context: &str,
    ) -> Result<bool, TemplateError> {
        match self.resolve_value(value, function, context)? {
            Value::Bool(b) => Ok(b),
            other => Err(malformed(
                function,
                format!("expected a condition, got {other}"),
            )),
        }
    }

    fn arguments<'v>(
        function: &str,
        argument: &'v Value,
        count: usize,
    ) -> Result<&'v [Value], TemplateError> {
        match argument.as_array() {
            Some(items) if items.len() == count => Ok(items),
            _ => Err(malformed(
                function,
                format!("expected {count} arguments, got {argument}"),
            )),
        }
    }

    fn require_present(&self, name: &str, context: &str) -> Result<(), TemplateError> {
        match self.present {
            Some(present) if present.contains(name) => Ok(()),
            _ => Err(TemplateError::AbsentResource {
                name: name.to_string(),
                context: context.to_string(),
            }),
        }
    }

    fn is_resource(&self, name: &str) -> bool {
        self.template
            .root
            .pointer(&format!("/Resources/{name}"))
            .is_some()
    }

    fn reference(&self, name: &str, context: &str) -> Result<Option<Value>, TemplateError> {
        if let Some(value) = self.parameters.get(name) {
            return Ok(Some(value.clone()));
        }
        let pseudo = match name {
            "AWS::NoValue" => return Ok(None),
            "AWS::AccountId" => json!(PSEUDO_ACCOUNT),
            "AWS::Region" => json!(PSEUDO_REGION),
            "AWS::Partition" => json!("aws"),
            "AWS::URLSuffix" => json!("amazonaws.com"),
            "AWS::StackName" => json!("lattice-lambda"),
            "AWS::NotificationARNs" => json!([]),
            _ if self.is_resource(name) => {
                self.require_present(name, context)?;
                return Ok(Some(json!({ "Ref": name })));
            }
            _ => return Err(TemplateError::UnknownName(name.to_string())),
        };
        Ok(Some(pseudo))
    }

    fn intrinsic(
        &self,
        function: &str,
        argument: &Value,
        context: &str,
    ) -> Result<Option<Value>, TemplateError> {
        fn text_of<'v>(function: &str, v: &'v Value) -> Result<&'v str, TemplateError> {
            v.as_str()
                .ok_or_else(|| malformed(function, format!("expected a name, got {v}")))
        }
        match function {
            "Ref" => self.reference(text_of(function, argument)?, context),
            "Condition" => {
                let name = text_of(function, argument)?;
                let value = self
                    .conditions
                    .get(name)
                    .ok_or_else(|| TemplateError::UnknownCondition(name.to_string()))?;
                Ok(Some(Value::Bool(*value)))
            }
            "Fn::GetAtt" => {
                let items = Self::arguments(function, argument, 2)?;
                let resource = text_of(function, &items[0])?;
                match sam_generated_role_of(self.template, resource) {
                    Some(owner) => self.require_present(owner, context)?,
                    None if self.is_resource(resource) => {
                        self.require_present(resource, context)?;
                    }
                    None => return Err(TemplateError::UnknownName(resource.to_string())),
                }
                Ok(Some(json!({ "Fn::GetAtt": items })))
            }
            "Fn::If" => {
                let items = Self::arguments(function, argument, 3)?;
                let name = text_of(function, &items[0])?;
                let chosen = *self
                    .conditions
                    .get(name)
                    .ok_or_else(|| TemplateError::UnknownCondition(name.to_string()))?;
                self.resolve(if chosen { &items[1] } else { &items[2] }, context)
            }
            "Fn::Equals" => {
                let items = Self::arguments(function, argument, 2)?;
                let left = self.resolve_text(&items[0], function, context)?;
                let right = self.resolve_text(&items[1], function, context)?;
                Ok(Some(Value::Bool(left == right)))
            }
            "Fn::Not" => {
                let items = Self::arguments(function, argument, 1)?;
                Ok(Some(Value::Bool(
                    !self.resolve_bool(&items[0], function, context)?,
                )))
            }
            "Fn::And" | "Fn::Or" => {
                let items = argument
                    .as_array()
                    .ok_or_else(|| malformed(function, "expected a list"))?;
                let mut values = Vec::with_capacity(items.len());
                for item in items {
                    values.push(self.resolve_bool(item, function, context)?);
                }
                let result = if function == "Fn::And" {
                    values.iter().all(|b| *b)
                } else {
                    values.iter().any(|b| *b)
                };
                Ok(Some(Value::Bool(result)))
            }
            "Fn::Select" => {
                let items = Self::arguments(function, argument, 2)?;
                let index: usize = self
                    .resolve_text(&items[0], function, context)?
                    .parse()
                    .map_err(|e| malformed(function, format!("index: {e}")))?;
                match self.resolve_value(&items[1], function, context)? {
                    Value::Array(list) => list.get(index).cloned().map(Some).ok_or_else(|| {
                        malformed(
                            function,
                            format!("index {index} out of range of {} items", list.len()),
                        )
                    }),
                    other => Err(malformed(function, format!("expected a list, got {other}"))),
                }
            }
            "Fn::Split" => {
                let items = Self::arguments(function, argument, 2)?;
                let delimiter = self.resolve_text(&items[0], function, context)?;
                let text = self.resolve_text(&items[1], function, context)?;
                Ok(Some(Value::Array(
                    text.split(delimiter.as_str()).map(|s| json!(s)).collect(),
                )))
            }
            "Fn::Join" => {
                let items = Self::arguments(function, argument, 2)?;
                let delimiter = self.resolve_text(&items[0], function, context)?;
                let parts = match self.resolve_value(&items[1], function, context)? {
                    Value::Array(parts) => parts,
                    other => {
                        return Err(malformed(function, format!("expected a list, got {other}")));
                    }
                };
                let texts = parts
                    .iter()
                    .map(|p| {
                        scalar_text(p)
                            .ok_or_else(|| malformed(function, format!("cannot join {p}")))
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(Some(json!(texts.join(&delimiter))))
            }
            "Fn::FindInMap" => {
                let items = Self::arguments(function, argument, 3)?;
                let map = self.resolve_text(&items[0], function, context)?;
                let first = self.resolve_text(&items[1], function, context)?;
                let second = self.resolve_text(&items[2], function, context)?;
                let pointer = format!("/Mappings/{map}/{first}/{second}");
                self.template
                    .root
                    .pointer(&pointer)
                    .cloned()
                    .map(Some)
                    .ok_or_else(|| malformed(function, format!("no entry {map}.{first}.{second}")))
            }
            "Fn::Sub" => self.substitute(argument, context).map(Some),
            other => Err(TemplateError::Unsupported(other.to_string())),
        }
    }

    /// `Fn::Sub`: parameters and pseudo parameters are substituted; resource references stay
    /// as `${Name}` / `${Name.Attribute}` inside a remaining `{"Fn::Sub": ...}`.
    fn substitute(&self, argument: &Value, context: &str) -> Result<Value, TemplateError> {
        let (text, variables) = match argument {
            Value::String(s) => (s.as_str(), Map::new()),
            Value::Array(items) if items.len() == 2 => {
                let text = items[0]
                    .as_str()
                    .ok_or_else(|| malformed("Fn::Sub", "template is not a string"))?;
                let variables = items[1]
                    .as_object()
                    .cloned()
                    .ok_or_else(|| malformed("Fn::Sub", "variables are not a map"))?;
                (text, variables)
            }
            other => return Err(malformed("Fn::Sub", other)),
        };
        let mut out = String::new();
        let mut symbolic = false;
        let mut rest = text;
        while let Some(start) = rest.find("${") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            let end = after
                .find('}')
                .ok_or_else(|| malformed("Fn::Sub", format!("unclosed ${{ in {text:?}")))?;
            let name = &after[..end];
            rest = &after[end + 1..];
            if let Some(literal) = name.strip_prefix('!') {
                out.push_str("${");
                out.push_str(literal);
                out.push('}');
                continue;
            }
            if let Some(variable) = variables.get(name) {
                out.push_str(&self.resolve_text(variable, "Fn::Sub", context)?);
                continue;
            }
            let resource = name.split('.').next().unwrap_or(name);
            if self.is_resource(resource) {
                self.require_present(resource, context)?;
                symbolic = true;
                out.push_str("${");
                out.push_str(name);
                out.push('}');
                continue;
            }
            match self.reference(name, context)? {
                Some(value) => {
                    out.push_str(&scalar_text(&value).ok_or_else(|| {
                        malformed("Fn::Sub", format!("${{{name}}} is not a string"))
                    })?)
                }
                None => return Err(malformed("Fn::Sub", "AWS::NoValue inside a string")),
            }
        }
        out.push_str(rest);
        Ok(if symbolic {
            json!({ "Fn::Sub": out })
        } else {
            json!(out)
        })
    }
}

impl Stack {
    /// Evaluates `template` with `overrides` on top of the parameter defaults.
    fn evaluate(template: &Template, overrides: &[(&str, &str)]) -> Result<Self, TemplateError> {
        let parameters = Self::parameter_values(template, overrides)?;
        let conditions = Self::condition_values(template, &parameters)?;

        let declared = template.section("Resources")?;
        let mut present = BTreeSet::new();
        for (name, resource) in declared {
            let created = match resource.get("Condition").and_then(Value::as_str) {
                Some(condition) => *conditions
                    .get(condition)
                    .ok_or_else(|| TemplateError::UnknownCondition(condition.to_string()))?,
                None => true,
            };
            if created {
                present.insert(name.clone());
            }
        }
        let resolver = Resolver {
            template,
            parameters: &parameters,
            conditions: &conditions,
            present: Some(&present),
        };

        let mut resources = BTreeMap::new();
        for name in &present {
            let declared = &declared[name];
            let kind = declared
                .get("Type")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string();
            let properties = match declared.get("Properties") {
                Some(p) => resolver.resolve(p, name)?.unwrap_or_else(|| json!({})),
                None => json!({}),
            };
            let metadata = declared.get("Metadata").cloned().unwrap_or(Value::Null);
            resources.insert(
                name.clone(),
                Resource {
                    kind,
                    properties,
                    metadata,
                },
            );
        }

        let mut outputs = BTreeMap::new();
        for (name, output) in template.optional_section("Outputs") {
            let created = match output.get("Condition").and_then(Value::as_str) {
                Some(condition) => *conditions
                    .get(condition)
                    .ok_or_else(|| TemplateError::UnknownCondition(condition.to_string()))?,
                None => true,
            };
            if created {
                let value = output.get("Value").cloned().unwrap_or(Value::Null);
                if let Some(v) = resolver.resolve(&value, &format!("output {name}"))? {
                    outputs.insert(name, v);
                }
            }
        }

        let failed_rules = Self::failed_rules(template, &resolver)?;
        Ok(Self {
            parameters,
            resources,
            outputs,
            failed_rules,
        })
    }

    fn parameter_values(
        template: &Template,
        overrides: &[(&str, &str)],
    ) -> Result<BTreeMap<String, Value>, TemplateError> {
        let mut values = BTreeMap::new();
        for (name, declaration) in template.section("Parameters")? {
            let given = overrides
                .iter()
                .find(|(n, _)| *n == name.as_str())
                .map(|(_, v)| (*v).to_string());
            let text = match given.or_else(|| declaration.get("Default").and_then(scalar_text)) {
                Some(text) => text,
                None => return Err(TemplateError::MissingParameterValue(name.clone())),
            };
            if let Some(allowed) = declaration.get("AllowedValues").and_then(Value::as_array)
                && !allowed.iter().filter_map(scalar_text).any(|a| a == text)
            {
                return Err(TemplateError::DisallowedValue {
                    parameter: name.clone(),
                    value: text,
                });
            }
            let kind = declaration
                .get("Type")
                .and_then(Value::as_str)
                .unwrap_or("String");
            let value = if kind == "CommaDelimitedList" || kind.starts_with("List<") {
                Value::Array(text.split(',').map(|s| json!(s.trim())).collect())
            } else {
                json!(text)
            };
            values.insert(name.clone(), value);
        }
        for (name, _) in overrides {
            if !values.contains_key(*name) {
                return Err(TemplateError::UnknownName((*name).to_string()));
            }
        }
        Ok(values)
    }

    /// Conditions may use each other; evaluate until every one is known.
    fn condition_values(
        template: &Template,
        parameters: &BTreeMap<String, Value>,
    ) -> Result<BTreeMap<String, bool>, TemplateError> {
        let declared = template.optional_section("Conditions");
        let mut known = BTreeMap::new();
        loop {
            let mut progressed = false;
            for (name, expression) in &declared {
                if known.contains_key(name) {
                    continue;
                }
                let resolver = Resolver {
                    template,
                    parameters,
                    conditions: &known,
                    present: None,
                };
                match resolver.resolve(expression, &format!("condition {name}")) {
                    Ok(Some(Value::Bool(b))) => {
                        known.insert(name.clone(), b);
                        progressed = true;
                    }
                    Err(TemplateError::UnknownCondition(other))
                        if declared.contains_key(&other) => {}
                    Ok(other) => {
                        return Err(malformed(
                            "condition",
                            format!("{name} is not a boolean: {other:?}"),
                        ));
                    }
                    Err(e) => return Err(e),
                }
            }
            if known.len() == declared.len() {
                return Ok(known);
            }
            if !progressed {
                let pending = declared
                    .keys()
                    .filter(|k| !known.contains_key(*k))
                    .cloned()
                    .collect();
                return Err(TemplateError::ConditionCycle(pending));
            }
        }
    }

    /// Descriptions of the template `Rules` assertions these parameters violate.
    fn failed_rules(
        template: &Template,
        resolver: &Resolver<'_>,
    ) -> Result<Vec<String>, TemplateError> {
        let mut failed = Vec::new();
        for (name, rule) in template.optional_section("Rules") {
            let applies = match rule.get("RuleCondition") {
                Some(condition) => resolver.resolve_bool(condition, "RuleCondition", &name)?,
                None => true,
            };
            if !applies {
                continue;
            }
            for assertion in rule
                .get("Assertions")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let assert = assertion.get("Assert").ok_or_else(|| {
                    malformed("Rules", format!("{name} has an assertion without Assert"))
                })?;
                if !resolver.resolve_bool(assert, "Assert", &name)? {
                    let description = assertion
                        .get("AssertDescription")
                        .and_then(Value::as_str)
                        .unwrap_or("(no description)");
                    failed.push(format!("{name}: {description}"));
                }
            }
        }
        Ok(failed)
    }

    fn parameter(&self, name: &str) -> &Value {
        self.parameters.get(name).unwrap_or(&Value::Null)
    }

    fn resource(&self, name: &str) -> Option<&Resource> {
        self.resources.get(name)
    }

    fn of_kind<'s>(
        &'s self,
        kind: &'s str,
    ) -> impl Iterator<Item = (&'s String, &'s Resource)> + 's {
        self.resources.iter().filter(move |(_, r)| r.kind == kind)
    }

    /// The auth policies whose `ResourceIdentifier` refers to `target` (a service or network).
    fn auth_policies_of(&self, target: &str) -> Vec<(&String, &Resource)> {
        self.of_kind("AWS::VpcLattice::AuthPolicy")
            .filter(|(_, p)| {
                p.properties.get("ResourceIdentifier").and_then(refers_to) == Some(target)
            })
            .collect()
    }
}

// ------------------------------------------------------------------------------------------------
// Wiring checks on an evaluated stack. Each returns human-readable problems; none means wired.
// ------------------------------------------------------------------------------------------------

/// The logical id a `{"Ref": X}` or `{"Fn::GetAtt": [X, ...]}` points at.
fn refers_to(value: &Value) -> Option<&str> {
    let object = value.as_object()?;
    if object.len() != 1 {
        return None;
    }
    if let Some(Value::String(name)) = object.get("Ref") {
        return Some(name);
    }
    object.get("Fn::GetAtt")?.as_array()?.first()?.as_str()
}

/// Whether `value` is the ARN of resource `name` (`Ref` returns the ARN for Lattice resources).
fn is_arn_of(value: &Value, name: &str) -> bool {
    match value
        .as_object()
        .and_then(|o| o.get("Fn::GetAtt"))
        .and_then(Value::as_array)
    {
        Some(items) => {
            items.first().and_then(Value::as_str) == Some(name)
                && items.get(1).and_then(Value::as_str) == Some("Arn")
        }
        None => refers_to(value) == Some(name),
    }
}

fn describe(value: &Value) -> String {
    match refers_to(value) {
        Some(name) => name.to_string(),
        None => value.to_string(),
    }
}

/// Target group identifiers (and weights) of a listener default action or rule action.
fn forwarded_groups(action: &Value) -> Vec<(&Value, Option<i64>)> {
    action
        .pointer("/Forward/TargetGroups")
        .and_then(Value::as_array)
        .map(|groups| {
            groups
                .iter()
                .filter_map(|g| {
                    let weight = g.get("Weight").and_then(|w| {
                        w.as_i64()
                            .or_else(|| w.as_str().and_then(|s| s.parse().ok()))
                    });
                    g.get("TargetGroupIdentifier").map(|id| (id, weight))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Targets of a `LAMBDA` target group: the function each one invokes.
fn lambda_targets(group: &Resource) -> Vec<&Value> {
    group
        .properties
        .get("Targets")
        .and_then(Value::as_array)
        .map(|t| t.iter().filter_map(|t| t.get("Id")).collect())
        .unwrap_or_default()
}

/// Whether two function references name the same function (same resource, or the same literal ARN).
fn same_function(a: &Value, b: &Value) -> bool {
    match (refers_to(a), refers_to(b)) {
        (Some(x), Some(y)) => x == y,
        (None, None) => a == b,
        _ => false,
    }
}

fn wiring_problems(stack: &Stack) -> Vec<String> {
    let mut problems = Vec::new();
    check_functions(stack, &mut problems);
    check_services(stack, &mut problems);
    check_networks(stack, &mut problems);
    check_listeners_and_rules(stack, &mut problems);
    check_target_groups(stack, &mut problems);
    check_permissions(stack, &mut problems);
    check_client(stack, &mut problems);
    check_least_privilege(stack, &mut problems);
    check_outputs(stack, &mut problems);
    problems
}

/// The client may invoke one service, never `service/*`; the VPC association's security group
/// admits only the ports Lattice listens on for the network's services (the template's listeners
/// and the Gateway listeners of `k8s/`).
fn check_least_privilege(stack: &Stack, problems: &mut Vec<String>) {
    let invoke_resources = stack
        .resource(CLIENT_FUNCTION)
        .and_then(|client| client.properties.get("Policies"))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|policy| policy.get("Statement").and_then(Value::as_array))
        .flatten()
        .filter(|s| s.get("Action") == Some(&json!("vpc-lattice-svcs:Invoke")))
        .filter_map(|s| s.get("Resource"));
    for resource in invoke_resources {
        let one_service = match resource {
            // The stack's own service: `${EksAppService.Arn}/*`.
            Value::Object(sub) => sub
                .get("Fn::Sub")
                .and_then(Value::as_str)
                .and_then(|text| text.strip_suffix(".Arn}/*")?.strip_prefix("${"))
                .and_then(|service| stack.resource(service))
                .is_some_and(|r| r.kind == "AWS::VpcLattice::Service"),
            // A given service: `arn:…:service/svc-<17>/*`.
            Value::String(arn) => arn
                .strip_suffix("/*")
                .and_then(|a| a.split_once(":service/"))
                .is_some_and(|(_, id)| {
                    id.len() == 21
                        && id.starts_with("svc-")
                        && id[4..].bytes().all(|b| b.is_ascii_alphanumeric())
                }),
            _ => false,
        };
        if !one_service {
            problems.push(format!(
                "{CLIENT_FUNCTION} may invoke {resource}, not one service"
            ));
        }
    }

    let mut listener_ports: BTreeSet<i64> = stack
        .of_kind("AWS::VpcLattice::Listener")
        .map(|(_, l)| {
            let protocol = l.properties.get("Protocol").and_then(scalar_text);
            l.properties
                .get("Port")
                .and_then(scalar_text)
                .and_then(|p| p.parse().ok())
                .unwrap_or(if protocol.as_deref() == Some("HTTP") {
                    80
                } else {
                    443
                })
        })
        .collect();
    listener_ports.extend(gateway_listener_ports());
    for (association, a) in stack.of_kind("AWS::VpcLattice::ServiceNetworkVpcAssociation") {
        let groups = a
            .properties
            .get("SecurityGroupIds")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(refers_to)
            .filter_map(|g| stack.resource(g).map(|r| (g, r)));
        for (group, sg) in groups {
            let rules = sg
                .properties
                .get("SecurityGroupIngress")
                .and_then(Value::as_array)
                .into_iter()
                .flatten();
            for rule in rules {
                let port = |key: &str| {
                    rule.get(key)
                        .and_then(scalar_text)
                        .and_then(|p| p.parse::<i64>().ok())
                };
                let tcp = rule.get("IpProtocol").and_then(scalar_text).as_deref() == Some("tcp");
                let admitted = match (port("FromPort"), port("ToPort")) {
                    (Some(from), Some(to)) if tcp && from <= to && to - from < 65536 => {
                        (from..=to).all(|p| listener_ports.contains(&p))
                    }
                    _ => false,
                };
                if !admitted {
                    problems.push(format!(
                        "{group} (security group of {association}) admits {} {}-{}, not only listener ports {listener_ports:?}",
                        describe(rule.get("IpProtocol").unwrap_or(&Value::Null)),
                        describe(rule.get("FromPort").unwrap_or(&Value::Null)),
                        describe(rule.get("ToPort").unwrap_or(&Value::Null)),
                    ));
                }
            }
        }
    }
}

/// Ports of the `amazon-vpc-lattice` Gateway listeners in `k8s/` (the EKS-side services' listeners).
fn gateway_listener_ports() -> Vec<i64> {
    let manifests =
        lattice_local::k8s::Manifests::load_dir(&Template::workspace_root().join("k8s"))
            .unwrap_or_else(|e| panic!("{e}"));
    manifests
        .gateways
        .iter()
        .filter(|g| g.object.spec.gateway_class_name == lattice_local::k8s::LATTICE_GATEWAY_CLASS)
        .flat_map(|g| g.object.spec.listeners.iter().map(|l| i64::from(l.port)))
        .collect()
}

fn check_functions(stack: &Stack, problems: &mut Vec<String>) {
    for (name, binary) in FUNCTIONS {
        let Some(function) = stack.resource(name) else {
            problems.push(format!("function {name} is missing"));
            continue;
        };
        let p = &function.properties;
        let expect = [
            (
                "Type",
                json!(function.kind),
                json!("AWS::Serverless::Function"),
            ),
            (
                "Runtime",
                p.get("Runtime").cloned().unwrap_or_default(),
                json!("provided.al2023"),
            ),
            (
                "Architectures",
                p.get("Architectures").cloned().unwrap_or_default(),
                json!(["arm64"]),
            ),
            (
                "Handler",
                p.get("Handler").cloned().unwrap_or_default(),
                json!("bootstrap"),
            ),
            (
                "Metadata.BuildMethod",
                function
                    .metadata
                    .get("BuildMethod")
                    .cloned()
                    .unwrap_or_default(),
                json!("rust-cargolambda"),
            ),
            (
                "Metadata.BuildProperties.Binary",
                function
                    .metadata
                    .pointer("/BuildProperties/Binary")
                    .cloned()
                    .unwrap_or_default(),
                json!(binary),
            ),
        ];
        for (field, actual, wanted) in expect {
            if actual != wanted {
                problems.push(format!("{name}.{field} is {actual}, expected {wanted}"));
            }
        }
        // sam build runs `cargo lambda build --bin <Binary>` in CodeUri. It must be the package
        // that declares the binary: run from the workspace root, cargo selects every member and
        // unifies lattice-lambda's features, so `provider` would carry the client's code.
        let code_uri = p.get("CodeUri").and_then(Value::as_str).unwrap_or_default();
        let manifest = Template::workspace_root().join(code_uri).join("Cargo.toml");
        let declares_binary = std::fs::read_to_string(&manifest).is_ok_and(|text| {
            text.contains("[[bin]]") && text.contains(&format!("name = \"{binary}\""))
        });
        if !declares_binary {
            problems.push(format!(
                "{name}.CodeUri {code_uri:?} is not the package that declares binary {binary}"
            ));
        }
    }
    if let Some(provider) = stack.resource(PROVIDER_FUNCTION) {
        let variables = provider
            .properties
            .pointer("/Environment/Variables")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        for (key, value) in variables {
            if !PROVIDER_KNOWN_ENV.contains(&key.as_str()) {
                problems.push(format!(
                    "{PROVIDER_FUNCTION} sets {key}, which the provider binary does not read"
                ));
            }
            // An empty value would switch a feature on with nothing allowed; "off" means unset.
            if value == json!("") {
                problems.push(format!(
                    "{PROVIDER_FUNCTION} sets {key} to an empty string instead of leaving it unset"
                ));
            }
        }
    }
}

fn check_services(stack: &Stack, problems: &mut Vec<String>) {
    for (service, resource) in stack.of_kind("AWS::VpcLattice::Service") {
        let listeners = stack
            .of_kind("AWS::VpcLattice::Listener")
            .filter(|(_, l)| {
                l.properties.get("ServiceIdentifier").and_then(refers_to) == Some(service.as_str())
            })
            .count();
        if listeners == 0 {
            problems.push(format!("service {service} has no listener"));
        }
        let associated = stack
            .of_kind("AWS::VpcLattice::ServiceNetworkServiceAssociation")
            .any(|(_, a)| {
                a.properties.get("ServiceIdentifier").and_then(refers_to) == Some(service.as_str())
            });
        if !associated {
            problems.push(format!(
                "service {service} is not associated with a service network"
            ));
        }
        let iam = resource.properties.get("AuthType") == Some(&json!("AWS_IAM"));
        let policies = stack.auth_policies_of(service);
        match (iam, policies.len()) {
            (true, 0) => problems.push(format!(
                "service {service} uses AWS_IAM but has no auth policy"
            )),
            (false, n) if n > 0 => problems.push(format!(
                "service {service} has an auth policy but AuthType is not AWS_IAM"
            )),
            _ => {}
        }
        for (policy, p) in policies {
            let statements = policy_statements(p);
            if statements.is_empty() {
                problems.push(format!("auth policy {policy} has no statement"));
            }
            let own_arn = format!("${{{service}.Arn}}/");
            for statement in statements {
                let resource = statement
                    .get("Resource")
                    .and_then(|r| r.get("Fn::Sub"))
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                if !resource.starts_with(&own_arn) {
                    problems.push(format!(
                        "auth policy {policy} grants {} instead of {service}'s ARN",
                        statement.get("Resource").unwrap_or(&Value::Null)
                    ));
                }
                if statement.get("Action") != Some(&json!("vpc-lattice-svcs:Invoke")) {
                    problems.push(format!(
                        "auth policy {policy} does not grant vpc-lattice-svcs:Invoke"
                    ));
                }
            }
        }
    }
    for (association, a) in stack.of_kind("AWS::VpcLattice::ServiceNetworkServiceAssociation") {
        check_network_reference(stack, association, &a.properties, problems);
    }
    for (association, a) in stack.of_kind("AWS::VpcLattice::ServiceNetworkVpcAssociation") {
        check_network_reference(stack, association, &a.properties, problems);
    }
}

/// The statements of an auth policy resource (none when it has no list).
fn policy_statements(policy: &Resource) -> Vec<Value> {
    policy
        .properties
        .pointer("/Policy/Statement")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
}

/// A network with auth type `AWS_IAM` has exactly one auth policy (without one Lattice denies
/// every request), granting `vpc-lattice-svcs:Invoke`; a `NONE` network has none (it would not be
/// enforced).
fn check_networks(stack: &Stack, problems: &mut Vec<String>) {
    for (network, resource) in stack.of_kind("AWS::VpcLattice::ServiceNetwork") {
        let iam = resource.properties.get("AuthType") == Some(&json!("AWS_IAM"));
        let policies = stack.auth_policies_of(network);
        match (iam, policies.len()) {
            (true, 1) | (false, 0) => {}
            (true, n) => problems.push(format!(
                "service network {network} uses AWS_IAM and has {n} auth policies (needs one)"
            )),
            (false, _) => problems.push(format!(
                "service network {network} has an auth policy but AuthType is not AWS_IAM"
            )),
        }
        for (policy, p) in policies {
            let statements = policy_statements(p);
            if statements.is_empty()
                || statements
                    .iter()
                    .any(|s| s.get("Action") != Some(&json!("vpc-lattice-svcs:Invoke")))
            {
                problems.push(format!(
                    "auth policy {policy} must grant vpc-lattice-svcs:Invoke in every statement"
                ));
            }
        }
    }
}

/// An association joins either the stack's own network or the one named by the parameter.
fn check_network_reference(
    stack: &Stack,
    association: &str,
    properties: &Value,
    problems: &mut Vec<String>,
) {
    let network = properties
        .get("ServiceNetworkIdentifier")
        .unwrap_or(&Value::Null);
    let own = stack
        .of_kind("AWS::VpcLattice::ServiceNetwork")
        .any(|(n, _)| refers_to(network) == Some(n.as_str()));
    let given = *network == *stack.parameter("ServiceNetworkIdentifier") && network != &json!("");
    if !own && !given {
        problems.push(format!("{association} joins {}, neither the stack's service network nor ServiceNetworkIdentifier", describe(network)));
    }
}

fn listener_service(stack: &Stack, listener: &str) -> Option<String> {
    stack
        .resource(listener)?
        .properties
        .get("ServiceIdentifier")
        .and_then(refers_to)
        .map(str::to_string)
}

fn check_forward(stack: &Stack, owner: &str, action: &Value, problems: &mut Vec<String>) {
    let groups = forwarded_groups(action);
    if groups.is_empty() && action.get("FixedResponse").is_none() {
        problems.push(format!(
            "{owner} neither forwards nor answers with a fixed response"
        ));
    }
    for (group, _) in groups {
        match refers_to(group).and_then(|g| stack.resource(g)) {
            Some(r) if r.kind == "AWS::VpcLattice::TargetGroup" => {}
            _ => problems.push(format!(
                "{owner} forwards to {}, which is not a target group of this stack",
                describe(group)
            )),
        }
    }
}

fn check_listeners_and_rules(stack: &Stack, problems: &mut Vec<String>) {
    for (listener, l) in stack.of_kind("AWS::VpcLattice::Listener") {
        let service = l.properties.get("ServiceIdentifier").and_then(refers_to);
        if service
            .and_then(|s| stack.resource(s))
            .is_none_or(|r| r.kind != "AWS::VpcLattice::Service")
        {
            problems.push(format!(
                "listener {listener} does not belong to a Lattice service of this stack"
            ));
        }
        check_forward(
            stack,
            &format!("listener {listener}"),
            l.properties.get("DefaultAction").unwrap_or(&Value::Null),
            problems,
        );
    }
    let mut priorities: BTreeMap<String, BTreeSet<i64>> = BTreeMap::new();
    for (rule, r) in stack.of_kind("AWS::VpcLattice::Rule") {
        let Some(listener) = r.properties.get("ListenerIdentifier").and_then(refers_to) else {
            problems.push(format!("rule {rule} names no listener of this stack"));
            continue;
        };
        let owner = listener_service(stack, listener);
        let declared = r.properties.get("ServiceIdentifier").and_then(refers_to);
        if declared.is_some() && declared.map(str::to_string) != owner {
            problems.push(format!(
                "rule {rule} names service {} but its listener {listener} belongs to {}",
                declared.unwrap_or("?"),
                owner.as_deref().unwrap_or("?")
            ));
        }
        if let Some(priority) = r.properties.get("Priority").and_then(Value::as_i64)
            && !priorities
                .entry(listener.to_string())
                .or_default()
                .insert(priority)
        {
            problems.push(format!(
                "rule {rule} repeats priority {priority} on listener {listener}"
            ));
        }
        check_forward(
            stack,
            &format!("rule {rule}"),
            r.properties.get("Action").unwrap_or(&Value::Null),
            problems,
        );
    }
}

/// Target groups forwarded to by the listeners and rules of `service`.
fn groups_of_service(stack: &Stack, service: &str) -> Vec<(String, Option<i64>, String)> {
    let mut out = Vec::new();
    for (listener, l) in stack.of_kind("AWS::VpcLattice::Listener") {
        if l.properties.get("ServiceIdentifier").and_then(refers_to) != Some(service) {
            continue;
        }
        for (group, weight) in
            forwarded_groups(l.properties.get("DefaultAction").unwrap_or(&Value::Null))
        {
            if let Some(g) = refers_to(group) {
                out.push((g.to_string(), weight, format!("listener {listener}")));
            }
        }
        for (rule, r) in stack.of_kind("AWS::VpcLattice::Rule") {
            if r.properties.get("ListenerIdentifier").and_then(refers_to) == Some(listener.as_str())
            {
                for (group, weight) in
                    forwarded_groups(r.properties.get("Action").unwrap_or(&Value::Null))
                {
                    if let Some(g) = refers_to(group) {
                        out.push((g.to_string(), weight, format!("rule {rule}")));
                    }
                }
            }
        }
    }
    out
}

fn check_target_groups(stack: &Stack, problems: &mut Vec<String>) {
    let version = stack.parameter("EventStructureVersion");
    for (group, g) in stack.of_kind("AWS::VpcLattice::TargetGroup") {
        match g.properties.get("Type").and_then(Value::as_str) {
            Some("LAMBDA") => {
                let actual = g
                    .properties
                    .pointer("/Config/LambdaEventStructureVersion")
                    .unwrap_or(&Value::Null);
                if actual != version {
                    problems.push(format!("LAMBDA target group {group} uses event structure {actual}, parameter EventStructureVersion is {version}"));
                }
                let targets = lambda_targets(g);
                if targets.is_empty() {
                    problems.push(format!("LAMBDA target group {group} has no target"));
                }
                // Only the provider may sit behind Lattice; another template function there is miswired.
                for target in targets {
                    if let Some(function) = refers_to(target)
                        && function != PROVIDER_FUNCTION
                    {
                        problems.push(format!("LAMBDA target group {group} targets {function}, expected {PROVIDER_FUNCTION}"));
                    }
                }
            }
            Some("IP") => {
                let port = g.properties.pointer("/Config/Port").and_then(scalar_text);
                if port.is_none() || g.properties.pointer("/Config/VpcIdentifier").is_none() {
                    problems.push(format!(
                        "IP target group {group} needs Config.Port and Config.VpcIdentifier"
                    ));
                }
                for target in g
                    .properties
                    .get("Targets")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    let id = target.get("Id").and_then(Value::as_str).unwrap_or_default();
                    if id.is_empty() || target.get("Port").and_then(scalar_text) != port {
                        problems.push(format!("IP target group {group} has target {target} (empty id or port other than {port:?})"));
                    }
                }
            }
            other => problems.push(format!(
                "target group {group} has unexpected type {other:?}"
            )),
        }
    }

    // The provider service must actually reach ProviderFunction, through a template-built group.
    let provider_groups = groups_of_service(stack, PROVIDER_SERVICE);
    let reaches_provider = provider_groups.iter().any(|(g, _, _)| {
        stack.resource(g).is_some_and(|r| {
            lambda_targets(r)
                .iter()
                .any(|t| refers_to(t) == Some(PROVIDER_FUNCTION))
        })
    });
    if !reaches_provider {
        problems.push(format!(
            "{PROVIDER_SERVICE} forwards to no target group whose target is {PROVIDER_FUNCTION}"
        ));
    }
    for (group, weight, via) in &provider_groups {
        if weight.is_none_or(|w| !(0..=999).contains(&w)) {
            problems.push(format!(
                "{via} forwards to {group} with weight {weight:?}, expected 0..=999"
            ));
        }
    }
}

fn check_permissions(stack: &Stack, problems: &mut Vec<String>) {
    let permissions: Vec<_> = stack
        .of_kind("AWS::Lambda::Permission")
        .filter(|(_, p)| p.properties.get("Principal") == Some(&json!(LATTICE_PRINCIPAL)))
        .collect();
    for (group, g) in stack.of_kind("AWS::VpcLattice::TargetGroup") {
        if g.properties.get("Type") != Some(&json!("LAMBDA")) {
            continue;
        }
        for target in lambda_targets(g) {
            let granted = permissions.iter().any(|(_, p)| {
                let props = &p.properties;
                props.get("Action") == Some(&json!("lambda:InvokeFunction"))
                    && props.get("SourceArn").is_some_and(|s| is_arn_of(s, group))
                    && props
                        .get("FunctionName")
                        .is_some_and(|f| same_function(f, target))
            });
            if !granted {
                problems.push(format!(
                    "no lambda:InvokeFunction permission for {LATTICE_PRINCIPAL} on {} scoped to target group {group}",
                    describe(target)
                ));
            }
        }
    }
    for (permission, p) in permissions {
        let source = p.properties.get("SourceArn").unwrap_or(&Value::Null);
        let function = p.properties.get("FunctionName").unwrap_or(&Value::Null);
        let group = refers_to(source).and_then(|g| stack.resource(g).map(|r| (g, r)));
        match group {
            Some((name, r))
                if r.kind == "AWS::VpcLattice::TargetGroup" && is_arn_of(source, name) =>
            {
                if !lambda_targets(r).iter().any(|t| same_function(t, function)) {
                    problems.push(format!("permission {permission} lets {name} invoke {}, which is not that group's target", describe(function)));
                }
            }
            _ => problems.push(format!(
                "permission {permission} has SourceArn {}, not a target group ARN",
                describe(source)
            )),
        }
    }
}

fn check_client(stack: &Stack, problems: &mut Vec<String>) {
    let Some(client) = stack.resource(CLIENT_FUNCTION) else {
        return; // reported by check_functions
    };
    let p = &client.properties;
    match p.get("VpcConfig") {
        None => problems.push(format!("{CLIENT_FUNCTION} has no VpcConfig")),
        Some(vpc) => {
            let subnets = vpc.get("SubnetIds").and_then(Value::as_array);
            if subnets.is_none_or(|s| s.is_empty())
                || vpc.get("SubnetIds") != Some(stack.parameter("SubnetIds"))
            {
                problems.push(format!(
                    "{CLIENT_FUNCTION}.VpcConfig.SubnetIds is not the SubnetIds parameter"
                ));
            }
            let groups = vpc
                .get("SecurityGroupIds")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            if groups.is_empty() {
                problems.push(format!("{CLIENT_FUNCTION}.VpcConfig has no security group"));
            }
            for group in &groups {
                let sg = refers_to(group)
                    .and_then(|g| stack.resource(g))
                    .filter(|r| r.kind == "AWS::EC2::SecurityGroup");
                let Some(sg) = sg else {
                    problems.push(format!(
                        "{CLIENT_FUNCTION} uses security group {}, not one of this stack",
                        describe(group)
                    ));
                    continue;
                };
                if sg.properties.get("VpcId") != Some(stack.parameter("VpcId")) {
                    problems.push(format!(
                        "security group {} is not in the VpcId parameter's VPC",
                        describe(group)
                    ));
                }
                let https_out = sg
                    .properties
                    .get("SecurityGroupEgress")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .any(|rule| {
                        rule.get("FromPort").and_then(scalar_text).as_deref() == Some("443")
                            && rule.get("ToPort").and_then(scalar_text).as_deref() == Some("443")
                    });
                if !https_out {
                    problems.push(format!(
                        "security group {} does not allow HTTPS out",
                        describe(group)
                    ));
                }
            }
        }
    }

    let variables = p
        .pointer("/Environment/Variables")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    for required in CLIENT_REQUIRED_ENV {
        match variables.get(required) {
            None => problems.push(format!(
                "{CLIENT_FUNCTION} lacks {required}, which its binary requires"
            )),
            Some(Value::String(url))
                if !url.starts_with("https://") && !url.starts_with("http://") =>
            {
                problems.push(format!(
                    "{CLIENT_FUNCTION}.{required} is {url:?}, not an http(s) URL"
                ))
            }
            Some(value)
                if value
                    .get("Fn::Sub")
                    .and_then(Value::as_str)
                    .is_some_and(|s| !s.starts_with("https://")) =>
            {
                problems.push(format!(
                    "{CLIENT_FUNCTION}.{required} is {value}, not an https URL"
                ))
            }
            Some(_) => {}
        }
    }
    for (key, value) in &variables {
        if key.starts_with("LATTICE_") && !CLIENT_KNOWN_ENV.contains(&key.as_str()) {
            problems.push(format!(
                "{CLIENT_FUNCTION} sets {key}, which the eks-client binary does not read"
            ));
        }
        let text = scalar_text(value).unwrap_or_default();
        let valid = match key.as_str() {
            "LATTICE_SIGNING" => ["none", "sigv4", "sigv4a"].contains(&text.as_str()),
            "LATTICE_TIMEOUT_MS" | "LATTICE_RETRIES" => text.parse::<u64>().is_ok(),
            _ => true,
        };
        if !valid {
            problems.push(format!(
                "{CLIENT_FUNCTION}.{key} = {value} is not a value the binary accepts"
            ));
        }
    }

    // Signing needs vpc-lattice-svcs:Invoke; without signing the grant would be dead weight.
    let signing = variables
        .get("LATTICE_SIGNING")
        .and_then(Value::as_str)
        .unwrap_or("none")
        != "none";
    let grants_invoke = p
        .get("Policies")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|policy| policy.get("Statement").and_then(Value::as_array))
        .flatten()
        .any(|s| {
            s.get("Effect") == Some(&json!("Allow"))
                && s.get("Action") == Some(&json!("vpc-lattice-svcs:Invoke"))
        });
    if signing != grants_invoke {
        problems.push(format!("{CLIENT_FUNCTION} signs: {signing}, but is granted vpc-lattice-svcs:Invoke: {grants_invoke}"));
    }

    for (association, a) in stack.of_kind("AWS::VpcLattice::ServiceNetworkVpcAssociation") {
        if a.properties.get("VpcIdentifier") != Some(stack.parameter("VpcId")) {
            problems.push(format!(
                "{association} associates {}, not the client's VpcId",
                describe(a.properties.get("VpcIdentifier").unwrap_or(&Value::Null))
            ));
        }
        if a.properties
            .get("SecurityGroupIds")
            .and_then(Value::as_array)
            .is_none_or(|g| g.is_empty())
        {
            problems.push(format!("{association} has no security group"));
        }
    }
}

fn check_outputs(stack: &Stack, problems: &mut Vec<String>) {
    let expected = [
        (
            "ProviderServiceDnsName",
            json!({ "Fn::GetAtt": [PROVIDER_SERVICE, "DnsEntry.DomainName"] }),
        ),
        (
            "ProviderFunctionArn",
            json!({ "Fn::GetAtt": [PROVIDER_FUNCTION, "Arn"] }),
        ),
        (
            "EksClientFunctionArn",
            json!({ "Fn::GetAtt": [CLIENT_FUNCTION, "Arn"] }),
        ),
        // What k8s/eks-app-iam-auth-policy.yaml's principal placeholder is filled from.
        (
            "EksClientFunctionRoleArn",
            json!({ "Fn::GetAtt": [format!("{CLIENT_FUNCTION}Role"), "Arn"] }),
        ),
    ];
    for (name, value) in expected {
        if stack.outputs.get(name) != Some(&value) {
            problems.push(format!(
                "output {name} is {:?}, expected {value}",
                stack.outputs.get(name)
            ));
        }
    }
    let group = stack
        .outputs
        .get("ProviderTargetGroupArn")
        .and_then(|v| refers_to(v).map(|g| (g, v)));
    let targets_provider = group
        .and_then(|(g, v)| stack.resource(g).filter(|_| is_arn_of(v, g)))
        .is_some_and(|r| {
            lambda_targets(r)
                .iter()
                .any(|t| refers_to(t) == Some(PROVIDER_FUNCTION))
        });
    if !targets_provider {
        problems.push(
            "output ProviderTargetGroupArn is not the ARN of the group targeting ProviderFunction"
                .to_string(),
        );
    }
}

// ------------------------------------------------------------------------------------------------
// Checks on the template text itself (independent of parameter values).
// ------------------------------------------------------------------------------------------------

/// Names a `${...}` placeholder of `Fn::Sub` refers to (`X` of `${X}` and `${X.Attr}`).
fn sub_names(text: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else { break };
        let name = &after[..end];
        if !name.starts_with('!') {
            names.push(name.split('.').next().unwrap_or(name).to_string());
        }
        rest = &after[end + 1..];
    }
    names
}

/// Every name referenced with `Ref` or inside `Fn::Sub`, and every condition used by `Fn::If` or `Condition`.
fn collect_references(
    value: &Value,
    names: &mut BTreeSet<String>,
    conditions: &mut BTreeSet<String>,
) {
    match value {
        Value::Array(items) => items
            .iter()
            .for_each(|v| collect_references(v, names, conditions)),
        Value::Object(object) => {
            for (key, item) in object {
                match (key.as_str(), item) {
                    ("Ref", Value::String(name)) => {
                        names.insert(name.clone());
                    }
                    ("Condition", Value::String(name)) => {
                        conditions.insert(name.clone());
                    }
                    ("Fn::Sub", Value::String(text)) => names.extend(sub_names(text)),
                    ("Fn::Sub", Value::Array(items)) => {
                        let own: BTreeSet<String> = items
                            .get(1)
                            .and_then(Value::as_object)
                            .map(|m| m.keys().cloned().collect())
                            .unwrap_or_default();
                        if let Some(text) = items.first().and_then(Value::as_str) {
                            names.extend(sub_names(text).into_iter().filter(|n| !own.contains(n)));
                        }
                        items
                            .iter()
                            .skip(1)
                            .for_each(|v| collect_references(v, names, conditions));
                    }
                    ("Fn::If", Value::Array(items)) => {
                        if let Some(name) = items.first().and_then(Value::as_str) {
                            conditions.insert(name.to_string());
                        }
                        items
                            .iter()
                            .skip(1)
                            .for_each(|v| collect_references(v, names, conditions));
                    }
                    _ => collect_references(item, names, conditions),
                }
            }
        }
        _ => {}
    }
}

fn static_problems(template: &Template) -> Vec<String> {
    let mut problems = Vec::new();
    let mut names = BTreeSet::new();
    let mut conditions = BTreeSet::new();
    // Metadata (parameter groups) is documentation, not use.
    for section in ["Resources", "Outputs", "Conditions", "Rules"] {
        if let Some(v) = template.root.get(section) {
            collect_references(v, &mut names, &mut conditions);
        }
    }
    let parameters = template.optional_section("Parameters");
    let declared_conditions = template.optional_section("Conditions");
    let resources = template.optional_section("Resources");
    // A parameter only used by a Rules assertion still configures nothing.
    let mut used_outside_rules = BTreeSet::new();
    for section in ["Resources", "Outputs", "Conditions"] {
        if let Some(v) = template.root.get(section) {
            collect_references(v, &mut used_outside_rules, &mut BTreeSet::new());
        }
    }
    for parameter in parameters.keys() {
        if !used_outside_rules.contains(parameter) {
            problems.push(format!("parameter {parameter} is never used"));
        }
    }
    for condition in declared_conditions.keys() {
        if !conditions.contains(condition) {
            problems.push(format!("condition {condition} is never referenced"));
        }
    }
    for condition in &conditions {
        if !declared_conditions.contains_key(condition) {
            problems.push(format!(
                "condition {condition} is referenced but not defined"
            ));
        }
    }
    for name in &names {
        if !name.starts_with("AWS::")
            && !parameters.contains_key(name)
            && !resources.contains_key(name)
        {
            problems.push(format!(
                "{name} is referenced but is neither a parameter nor a resource"
            ));
        }
    }
    // The event structure is a deployment choice: it must come from the parameter, not be hard-coded.
    for (name, resource) in &resources {
        if resource.get("Type") == Some(&json!("AWS::VpcLattice::TargetGroup"))
            && resource.pointer("/Properties/Type") == Some(&json!("LAMBDA"))
            && resource.pointer("/Properties/Config/LambdaEventStructureVersion")
                != Some(&json!({ "Ref": "EventStructureVersion" }))
        {
            problems.push(format!("{name}.Config.LambdaEventStructureVersion does not come from parameter EventStructureVersion"));
        }
    }
    problems
}

// ------------------------------------------------------------------------------------------------
// Scenarios and tests.
// ------------------------------------------------------------------------------------------------

const CANARY_ARN: &str = "arn:aws:lambda:us-east-1:123456789012:function:provider-canary:7";

/// Parameter sets a deployment may use, on top of [`REQUIRED_PARAMETERS`].
const SCENARIOS: &[(&str, &[(&str, &str)])] = &[
    ("defaults", &[]),
    ("iam auth", &[("AuthType", "AWS_IAM")]),
    (
        "iam network and service for an organisation",
        &[
            ("ServiceNetworkAuthType", "AWS_IAM"),
            ("AuthType", "AWS_IAM"),
            ("AllowedPrincipalOrgId", "o-abcdefghij"),
        ],
    ),
    ("iam network only", &[("ServiceNetworkAuthType", "AWS_IAM")]),
    (
        "iam auth for an organisation from one VPC",
        &[
            ("AuthType", "AWS_IAM"),
            ("AllowedPrincipalOrgId", "o-abcdefghij"),
            ("AllowedSourceVpcId", "vpc-0fedcba9876543210"),
        ],
    ),
    ("event structure V1", &[("EventStructureVersion", "V1")]),
    (
        "existing service network",
        &[
            ("ServiceNetworkIdentifier", "sn-0123456789abcdef0"),
            ("AssociateVpcWithServiceNetwork", "false"),
        ],
    ),
    ("unsigned client", &[("LatticeSigning", "none")]),
    (
        "sigv4a to a named service",
        &[
            ("LatticeSigning", "sigv4a"),
            (
                "TargetServiceArn",
                "arn:aws:vpc-lattice:us-east-1:123456789012:service/svc-0123456789abcdef0",
            ),
        ],
    ),
    (
        "canary",
        &[("CanaryFunctionArn", CANARY_ARN), ("CanaryPercent", "25")],
    ),
    (
        "provider options",
        &[
            ("Greeting", "Hi"),
            (
                "ProviderAllowedPrincipals",
                "arn:aws:iam::123456789012:role/*",
            ),
            (
                "ProviderAllowedSourceVpcs",
                "arn:aws:ec2:us-east-1:123456789012:vpc/vpc-1",
            ),
        ],
    ),
    (
        "prefix-list egress",
        &[("LatticePrefixListId", "pl-0123456789abcdef0")],
    ),
    (
        "eks side from the template",
        &[
            ("EksAppMode", "template"),
            ("LatticeServiceUrl", ""),
            ("EksPodIps", "10.0.1.10,10.0.2.20"),
        ],
    ),
    (
        "eks side from the template, open, own VPC",
        &[
            ("EksAppMode", "template"),
            ("EksAppAuthType", "NONE"),
            ("LatticeSigning", "none"),
            ("EksVpcId", "vpc-0eeeeeeeeeeeeeee1"),
            ("EksPodIps", "10.0.1.10,10.0.2.20,10.0.3.30"),
        ],
    ),
];

fn load() -> Template {
    match Template::load() {
        Ok(t) => t,
        Err(e) => panic!("{e}"),
    }
}

fn evaluate(template: &Template, overrides: &[(&str, &str)]) -> Stack {
    let mut all: Vec<(&str, &str)> = REQUIRED_PARAMETERS.to_vec();
    for (name, value) in overrides {
        all.retain(|(n, _)| n != name);
        all.push((*name, *value));
    }
    match Stack::evaluate(template, &all) {
        Ok(stack) => stack,
        Err(e) => panic!("evaluating template.yaml with {overrides:?}: {e}"),
    }
}

#[test]
fn template_is_wired_for_every_scenario() {
    let template = load();
    let problems = static_problems(&template);
    assert!(
        problems.is_empty(),
        "template.yaml:\n  {}",
        problems.join("\n  ")
    );
    for (name, overrides) in SCENARIOS {
        let stack = evaluate(&template, overrides);
        let problems = wiring_problems(&stack);
        assert!(
            problems.is_empty(),
            "scenario {name}:\n  {}",
            problems.join("\n  ")
        );
        assert!(
            stack.failed_rules.is_empty(),
            "scenario {name} violates {:?}",
            stack.failed_rules
        );
    }
}

#[test]
fn provider_target_group_invokes_provider_function_with_the_chosen_event_version() {
    let template = load();
    for version in ["V1", "V2"] {
        let stack = evaluate(&template, &[("EventStructureVersion", version)]);
        let group = stack
            .resource("ProviderTargetGroup")
            .expect("ProviderTargetGroup");
        assert_eq!(group.properties["Type"], json!("LAMBDA"));
        assert_eq!(
            group.properties["Config"]["LambdaEventStructureVersion"],
            json!(version)
        );
        assert_eq!(
            group.properties["Targets"],
            json!([{ "Id": { "Fn::GetAtt": ["ProviderFunction", "Arn"] } }])
        );
        let permission = &stack
            .resource("ProviderInvokePermission")
            .expect("ProviderInvokePermission")
            .properties;
        assert_eq!(permission["Principal"], json!(LATTICE_PRINCIPAL));
        assert_eq!(
            permission["SourceArn"],
            json!({ "Fn::GetAtt": ["ProviderTargetGroup", "Arn"] })
        );
        assert_eq!(
            permission["FunctionName"],
            json!({ "Fn::GetAtt": ["ProviderFunction", "Arn"] })
        );
    }
    assert_eq!(
        evaluate(&template, &[]).parameter("EventStructureVersion"),
        &json!("V2"),
        "V2 is the default"
    );
}

#[test]
fn provider_service_routes_health_and_splits_default_traffic_for_a_canary() {
    let template = load();
    let stack = evaluate(&template, &[]);
    let service = &stack
        .resource(PROVIDER_SERVICE)
        .expect("ProviderService")
        .properties;
    assert_eq!(service["Name"], json!("foo-service"));
    assert_eq!(service["AuthType"], json!("NONE"));
    let listener = &stack
        .resource("ProviderListener")
        .expect("ProviderListener")
        .properties;
    assert_eq!(
        (listener["Protocol"].clone(), listener["Port"].clone()),
        (json!("HTTPS"), json!(443))
    );
    assert_eq!(
        forwarded_groups(&listener["DefaultAction"]),
        vec![(&json!({ "Ref": "ProviderTargetGroup" }), Some(100))]
    );
    let rule = &stack
        .resource("ProviderHealthRule")
        .expect("ProviderHealthRule")
        .properties;
    assert_eq!(
        rule["Match"]["HttpMatch"]["PathMatch"]["Match"]["Prefix"],
        json!("/health")
    );
    assert!(
        stack.resource("ProviderCanaryTargetGroup").is_none(),
        "no canary unless asked for"
    );

    let stack = evaluate(
        &template,
        &[("CanaryFunctionArn", CANARY_ARN), ("CanaryPercent", "25")],
    );
    let listener = &stack
        .resource("ProviderListener")
        .expect("ProviderListener")
        .properties;
    assert_eq!(
        forwarded_groups(&listener["DefaultAction"]),
        vec![
            (&json!({ "Ref": "ProviderTargetGroup" }), Some(75)),
            (&json!({ "Ref": "ProviderCanaryTargetGroup" }), Some(25))
        ]
    );
    let canary = stack
        .resource("ProviderCanaryTargetGroup")
        .expect("canary group");
    assert_eq!(canary.properties["Targets"], json!([{ "Id": CANARY_ARN }]));
    // Health checks keep hitting the stable group only.
    let rule = &stack
        .resource("ProviderHealthRule")
        .expect("ProviderHealthRule")
        .properties;
    assert_eq!(
        forwarded_groups(&rule["Action"]),
        vec![(&json!({ "Ref": "ProviderTargetGroup" }), Some(100))]
    );
}

#[test]
fn auth_policies_follow_the_auth_type_organisation_and_source_vpc() {
    let template = load();
    assert!(
        evaluate(&template, &[])
            .resource("ProviderAuthPolicy")
            .is_none()
    );

    let stack = evaluate(&template, &[("AuthType", "AWS_IAM")]);
    let statement = &stack
        .resource("ProviderAuthPolicy")
        .expect("policy")
        .properties["Policy"]["Statement"][0];
    assert_eq!(
        statement["Principal"],
        json!({ "AWS": format!("arn:aws:iam::{PSEUDO_ACCOUNT}:root") })
    );
    assert_eq!(
        statement["Resource"],
        json!({ "Fn::Sub": "${ProviderService.Arn}/*" })
    );
    assert!(statement.get("Condition").is_none());

    let stack = evaluate(
        &template,
        &[
            ("AuthType", "AWS_IAM"),
            ("AllowedPrincipalOrgId", "o-abcdefghij"),
            ("AllowedSourceVpcId", "vpc-0fedcba9876543210"),
        ],
    );
    let statement = &stack
        .resource("ProviderAuthPolicy")
        .expect("policy")
        .properties["Policy"]["Statement"][0];
    assert_eq!(statement["Principal"], json!("*"));
    assert_eq!(
        statement["Condition"],
        json!({ "StringEquals": { "aws:PrincipalOrgID": "o-abcdefghij", "vpc-lattice-svcs:SourceVpc": "vpc-0fedcba9876543210" } })
    );
}

#[test]
fn client_runs_in_the_vpc_with_its_environment_and_invoke_grant() {
    let template = load();
    let stack = evaluate(&template, &[]);
    let client = &stack.resource(CLIENT_FUNCTION).expect("client").properties;
    assert_eq!(
        client["VpcConfig"]["SubnetIds"],
        json!(["subnet-0aaaaaaaaaaaaaaa1", "subnet-0bbbbbbbbbbbbbbb2"])
    );
    assert_eq!(
        client["Environment"]["Variables"],
        json!({
            "LATTICE_SERVICE_URL": REQUIRED_PARAMETERS[3].1,
            "LATTICE_SIGNING": "sigv4",
            "LATTICE_TIMEOUT_MS": "5000",
            "LATTICE_RETRIES": "2",
        })
    );
    let statement = &client["Policies"][0]["Statement"][0];
    assert_eq!(
        statement["Resource"],
        json!(format!("{TARGET_SERVICE_ARN}/*")),
        "the one service the controller created, never service/*"
    );
    assert!(stack.resource("VpcServiceNetworkAssociation").is_some());
    assert!(
        stack.resource("ServiceNetwork").is_some(),
        "a new network when none is given"
    );

    let stack = evaluate(&template, &[("LatticeSigning", "none")]);
    assert_eq!(
        stack.resource(CLIENT_FUNCTION).expect("client").properties["Policies"],
        json!([])
    );

    let stack = evaluate(
        &template,
        &[
            ("ServiceNetworkIdentifier", "sn-0123456789abcdef0"),
            ("AssociateVpcWithServiceNetwork", "false"),
        ],
    );
    assert!(stack.resource("ServiceNetwork").is_none());
    assert!(stack.resource("VpcServiceNetworkAssociation").is_none());
    let association = &stack
        .resource("ProviderServiceNetworkAssociation")
        .expect("association")
        .properties;
    assert_eq!(
        association["ServiceNetworkIdentifier"],
        json!("sn-0123456789abcdef0")
    );
}

#[test]
fn eks_side_exists_only_in_template_mode_with_pod_ip_targets() {
    let template = load();
    let stack = evaluate(&template, &[]);
    assert!(
        stack
            .resources
            .keys()
            .all(|name| !name.starts_with("EksApp")),
        "gateway-api mode creates no EKS side"
    );
    assert!(!stack.outputs.contains_key("EksAppServiceDnsName"));

    let stack = evaluate(
        &template,
        &[
            ("EksAppMode", "template"),
            ("LatticeServiceUrl", ""),
            ("EksPodIps", "10.0.1.10,10.0.2.20"),
        ],
    );
    let service = &stack
        .resource("EksAppService")
        .expect("EksAppService")
        .properties;
    assert_eq!(
        (service["Name"].clone(), service["AuthType"].clone()),
        (json!("eks-app"), json!("AWS_IAM"))
    );
    let listener = &stack
        .resource("EksAppListener")
        .expect("EksAppListener")
        .properties;
    assert_eq!(
        listener["DefaultAction"],
        json!({ "FixedResponse": { "StatusCode": 404 } })
    );
    let rule = &stack.resource("EksAppRule").expect("EksAppRule").properties;
    assert_eq!(
        rule["Match"]["HttpMatch"]["PathMatch"]["Match"]["Prefix"],
        json!("/app")
    );
    assert_eq!(
        forwarded_groups(&rule["Action"]),
        vec![(&json!({ "Ref": "EksAppTargetGroup" }), Some(100))]
    );
    let group = &stack
        .resource("EksAppTargetGroup")
        .expect("EksAppTargetGroup")
        .properties;
    assert_eq!(group["Type"], json!("IP"));
    assert_eq!(
        group["Config"]["VpcIdentifier"],
        json!("vpc-0123456789abcdef0")
    );
    assert_eq!(
        group["Targets"],
        json!([{ "Id": "10.0.1.10", "Port": "8090" }, { "Id": "10.0.2.20", "Port": "8090" }])
    );
    assert!(stack.resource("EksAppAuthPolicy").is_some());
    assert!(stack.resource("EksAppServiceNetworkAssociation").is_some());
    // The client is pointed at the service this stack created, and may invoke exactly it.
    let client = &stack.resource(CLIENT_FUNCTION).expect("client").properties;
    assert_eq!(
        client["Environment"]["Variables"]["LATTICE_SERVICE_URL"],
        json!({ "Fn::Sub": "https://${EksAppService.DnsEntry.DomainName}/app" })
    );
    assert_eq!(
        client["Policies"][0]["Statement"][0]["Resource"],
        json!({ "Fn::Sub": "${EksAppService.Arn}/*" })
    );
    assert_eq!(
        stack.outputs["EksAppServiceDnsName"],
        json!({ "Fn::GetAtt": ["EksAppService", "DnsEntry.DomainName"] })
    );

    let stack = evaluate(&template, &[("EksAppMode", "template"), ("EksPodIps", "")]);
    assert_eq!(
        stack
            .resource("EksAppTargetGroup")
            .expect("group")
            .properties["Targets"],
        json!([])
    );
}

#[test]
fn gateway_api_mode_requires_a_service_url() {
    let template = load();
    let stack = evaluate(&template, &[("LatticeServiceUrl", "")]);
    assert_eq!(stack.failed_rules.len(), 1, "{:?}", stack.failed_rules);
    assert!(
        stack.failed_rules[0].contains("LatticeServiceUrl"),
        "{:?}",
        stack.failed_rules
    );
}

#[test]
fn gateway_api_mode_with_signing_requires_the_target_service() {
    let template = load();
    let stack = evaluate(&template, &[("TargetServiceArn", "")]);
    assert_eq!(stack.failed_rules.len(), 1, "{:?}", stack.failed_rules);
    assert!(
        stack.failed_rules[0].starts_with("ClientNeedsTargetService: TargetServiceArn is required"),
        "{:?}",
        stack.failed_rules
    );

    // Unsigned, the client is granted nothing, so no service is needed.
    let stack = evaluate(
        &template,
        &[("TargetServiceArn", ""), ("LatticeSigning", "none")],
    );
    assert!(stack.failed_rules.is_empty(), "{:?}", stack.failed_rules);
    assert_eq!(
        stack.resource(CLIENT_FUNCTION).expect("client").properties["Policies"],
        json!([])
    );

    // In template mode the grant is the stack's own eks-app service.
    let stack = evaluate(
        &template,
        &[
            ("TargetServiceArn", ""),
            ("EksAppMode", "template"),
            ("LatticeServiceUrl", ""),
        ],
    );
    assert!(stack.failed_rules.is_empty(), "{:?}", stack.failed_rules);
    assert!(
        wiring_problems(&stack).is_empty(),
        "{:?}",
        wiring_problems(&stack)
    );
}

#[test]
fn the_vpc_association_admits_https_only_like_every_listener() {
    let stack = evaluate(&load(), &[]);
    let ingress = &stack
        .resource("VpcAssociationSecurityGroup")
        .expect("security group")
        .properties["SecurityGroupIngress"];
    let ports: Vec<_> = ingress
        .as_array()
        .expect("rules")
        .iter()
        .map(|r| (r["FromPort"].clone(), r["ToPort"].clone()))
        .collect();
    assert_eq!(ports, [(json!(443), json!(443))]);
    assert_eq!(
        gateway_listener_ports(),
        [443],
        "k8s/gateway.yaml listens on 443 only"
    );
}

// ---------------------------------------------------------------- negative: each check can fail

/// Evaluates a mutated template and returns the wiring problems found.
fn problems_after(mutate: impl FnOnce(&mut Template), overrides: &[(&str, &str)]) -> Vec<String> {
    let mut template = load();
    mutate(&mut template);
    wiring_problems(&evaluate(&template, overrides))
}

fn assert_reported(problems: &[String], needle: &str) {
    assert!(
        problems.iter().any(|p| p.contains(needle)),
        "expected a problem mentioning {needle:?}, got {problems:#?}"
    );
}

#[test]
fn target_group_wired_to_the_client_function_is_reported() {
    let problems = problems_after(
        |t| {
            *t.at_mut("/Resources/ProviderTargetGroup/Properties/Targets/0/Id") =
                json!({ "Fn::GetAtt": [CLIENT_FUNCTION, "Arn"] })
        },
        &[],
    );
    assert_reported(
        &problems,
        "ProviderTargetGroup targets EksClientFunction, expected ProviderFunction",
    );
    assert_reported(
        &problems,
        "ProviderService forwards to no target group whose target is ProviderFunction",
    );
    // The permission still names ProviderFunction, so it no longer matches the group's target.
    assert_reported(
        &problems,
        "permission ProviderInvokePermission lets ProviderTargetGroup invoke ProviderFunction",
    );
}

#[test]
fn permission_scoped_to_the_wrong_source_or_function_is_reported() {
    let problems = problems_after(
        |t| {
            *t.at_mut("/Resources/ProviderInvokePermission/Properties/SourceArn") =
                json!({ "Fn::GetAtt": ["ProviderService", "Arn"] })
        },
        &[],
    );
    assert_reported(
        &problems,
        "permission ProviderInvokePermission has SourceArn ProviderService",
    );
    assert_reported(&problems, "no lambda:InvokeFunction permission");

    let problems = problems_after(
        |t| {
            *t.at_mut("/Resources/ProviderInvokePermission/Properties/FunctionName") =
                json!({ "Ref": CLIENT_FUNCTION })
        },
        &[],
    );
    assert_reported(
        &problems,
        "invoke EksClientFunction, which is not that group's target",
    );
}

#[test]
fn listener_or_rule_on_the_wrong_service_is_reported() {
    let eks = [("EksAppMode", "template")];
    let problems = problems_after(
        |t| {
            *t.at_mut("/Resources/ProviderListener/Properties/ServiceIdentifier") =
                json!({ "Ref": "EksAppService" })
        },
        &eks,
    );
    assert_reported(&problems, "service ProviderService has no listener");
    assert_reported(
        &problems,
        "rule ProviderHealthRule names service ProviderService but its listener ProviderListener belongs to EksAppService",
    );

    let problems = problems_after(
        |t| {
            *t.at_mut("/Resources/EksAppRule/Properties/ListenerIdentifier") =
                json!({ "Ref": "ProviderListener" })
        },
        &eks,
    );
    assert_reported(
        &problems,
        "rule EksAppRule names service EksAppService but its listener ProviderListener belongs to ProviderService",
    );
    assert_reported(
        &problems,
        "repeats priority 10 on listener ProviderListener",
    );
}

#[test]
fn client_without_vpc_or_required_environment_is_reported() {
    let problems = problems_after(
        |t| {
            let properties = t
                .at_mut("/Resources/EksClientFunction/Properties")
                .as_object_mut()
                .expect("properties");
            properties.remove("VpcConfig");
        },
        &[],
    );
    assert_reported(&problems, "EksClientFunction has no VpcConfig");

    let problems = problems_after(
        |t| {
            let variables = t
                .at_mut("/Resources/EksClientFunction/Properties/Environment/Variables")
                .as_object_mut()
                .expect("variables");
            variables.remove("LATTICE_SERVICE_URL");
            variables.insert("LATTICE_SIGNNG".into(), json!("sigv4"));
        },
        &[],
    );
    assert_reported(&problems, "EksClientFunction lacks LATTICE_SERVICE_URL");
    assert_reported(
        &problems,
        "sets LATTICE_SIGNNG, which the eks-client binary does not read",
    );

    let problems = problems_after(
        |t| {
            t.at_mut("/Resources/EksClientFunction/Properties/Policies")
                .as_array_mut()
                .expect("policies")
                .clear()
        },
        &[],
    );
    assert_reported(
        &problems,
        "EksClientFunction signs: true, but is granted vpc-lattice-svcs:Invoke: false",
    );
}

#[test]
fn unused_parameter_unreferenced_condition_and_fixed_event_version_are_reported() {
    let mut template = load();
    template
        .at_mut("/Parameters")
        .as_object_mut()
        .expect("parameters")
        .insert(
            "Forgotten".into(),
            json!({ "Type": "String", "Default": "" }),
        );
    template
        .at_mut("/Conditions")
        .as_object_mut()
        .expect("conditions")
        .insert("Orphan".into(), json!({ "Fn::Equals": ["a", "b"] }));
    *template
        .at_mut("/Resources/ProviderTargetGroup/Properties/Config/LambdaEventStructureVersion") =
        json!("V2");
    let problems = static_problems(&template);
    assert_reported(&problems, "parameter Forgotten is never used");
    assert_reported(&problems, "condition Orphan is never referenced");
    assert_reported(
        &problems,
        "ProviderTargetGroup.Config.LambdaEventStructureVersion does not come from parameter EventStructureVersion",
    );

    // Hard-coded, the version also disagrees with the parameter once someone picks V1.
    let stack = evaluate(&template, &[("EventStructureVersion", "V1")]);
    assert_reported(
        &wiring_problems(&stack),
        "ProviderTargetGroup uses event structure \"V2\", parameter EventStructureVersion is \"V1\"",
    );
}

#[test]
fn reference_to_a_resource_that_is_not_created_is_an_error() {
    let mut template = load();
    // The provider's listener must not depend on the optional EKS side.
    *template.at_mut("/Resources/ProviderHealthRule/Properties/Action/Forward/TargetGroups/0/TargetGroupIdentifier") = json!({ "Ref": "EksAppTargetGroup" });
    let mut all: Vec<(&str, &str)> = REQUIRED_PARAMETERS.to_vec();
    all.push(("EksAppMode", "gateway-api"));
    match Stack::evaluate(&template, &all) {
        Err(TemplateError::AbsentResource { name, .. }) => assert_eq!(name, "EksAppTargetGroup"),
        Err(e) => panic!("unexpected error {e}"),
        Ok(_) => panic!("a reference to an absent resource was accepted"),
    }
}

#[test]
fn short_form_tags_and_padded_lists_resolve_like_cloudformation() {
    let text = r#"
Parameters:
  Ips: { Type: CommaDelimitedList, Default: "" }
  Name: { Type: String, Default: svc }
Conditions:
  Second: !Not [!Equals [!Select [1, !Split [",", !Join ["", [!Join [",", !Ref Ips], ",,,"]]]], ""]]
Resources:
  Thing:
    Type: AWS::SNS::Topic
    Properties:
      TopicName: !Sub "${Name}-${AWS::Region}-${!Literal}"
      Arn: !Sub "${Thing.TopicArn}/x"
      Att: !GetAtt Thing.DnsEntry.DomainName
      Second: !If [Second, !Select [1, !Ref Ips], !Ref AWS::NoValue]
      List: [a, !Ref AWS::NoValue, b]
"#;
    let template = match Template::parse(text) {
        Ok(t) => t,
        Err(e) => panic!("{e}"),
    };
    let one = Stack::evaluate(&template, &[("Ips", "10.0.0.1")]).expect("one ip");
    let p = &one.resources["Thing"].properties;
    assert_eq!(p["TopicName"], json!("svc-us-east-1-${Literal}"));
    assert_eq!(p["Arn"], json!({ "Fn::Sub": "${Thing.TopicArn}/x" }));
    assert_eq!(
        p["Att"],
        json!({ "Fn::GetAtt": ["Thing", "DnsEntry.DomainName"] })
    );
    assert!(p.get("Second").is_none(), "NoValue removes the key");
    assert_eq!(p["List"], json!(["a", "b"]));
    let two = Stack::evaluate(&template, &[("Ips", "10.0.0.1,10.0.0.2")]).expect("two ips");
    assert_eq!(
        two.resources["Thing"].properties["Second"],
        json!("10.0.0.2")
    );
    assert!(matches!(
        Stack::evaluate(&template, &[("Nope", "x")]),
        Err(TemplateError::UnknownName(_))
    ));
}

#[test]
fn an_invoke_grant_on_every_service_is_reported() {
    let problems = problems_after(
        |t| {
            *t.at_mut(
                "/Resources/EksClientFunction/Properties/Policies/0/Fn::If/1/Statement/0/Resource/Fn::If/2",
            ) = json!({ "Fn::Sub": "arn:${AWS::Partition}:vpc-lattice:${AWS::Region}:${AWS::AccountId}:service/*" });
        },
        &[],
    );
    assert_reported(
        &problems,
        "EksClientFunction may invoke \"arn:aws:vpc-lattice:us-east-1:123456789012:service/*\", not one service",
    );
    let problems = problems_after(
        |t| {
            *t.at_mut(
                "/Resources/EksClientFunction/Properties/Policies/0/Fn::If/1/Statement/0/Resource/Fn::If/2",
            ) = json!("*");
        },
        &[],
    );
    assert_reported(
        &problems,
        "EksClientFunction may invoke \"*\", not one service",
    );
}

#[test]
fn a_vpc_association_port_no_listener_uses_is_reported() {
    let add_ingress = |rule: Value| {
        move |t: &mut Template| {
            t.at_mut("/Resources/VpcAssociationSecurityGroup/Properties/SecurityGroupIngress")
                .as_array_mut()
                .expect("ingress rules")
                .push(rule);
        }
    };
    let http = json!({ "IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "CidrIp": { "Ref": "VpcCidr" } });
    assert_reported(
        &problems_after(add_ingress(http), &[]),
        "VpcAssociationSecurityGroup (security group of VpcServiceNetworkAssociation) admits \"tcp\" 80-80, not only listener ports {443}",
    );
    let everything = json!({ "IpProtocol": "-1", "CidrIp": { "Ref": "VpcCidr" } });
    assert_reported(
        &problems_after(add_ingress(everything), &[]),
        "admits \"-1\" null-null",
    );
}

#[test]
fn the_role_output_needs_the_role_sam_generates() {
    // With its own Role, SAM creates no EksClientFunctionRole and the output refers to nothing.
    let mut template = load();
    template
        .at_mut("/Resources/EksClientFunction/Properties")
        .as_object_mut()
        .expect("properties")
        .insert("Role".into(), json!("arn:aws:iam::123456789012:role/own"));
    match Stack::evaluate(&template, &REQUIRED_PARAMETERS) {
        Err(TemplateError::UnknownName(name)) => assert_eq!(name, "EksClientFunctionRole"),
        Err(e) => panic!("unexpected error {e}"),
        Ok(_) => panic!("a GetAtt to a role SAM does not create was accepted"),
    }
}
