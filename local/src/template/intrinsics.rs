//! Evaluates CloudFormation intrinsic functions and conditions against the
//! local parameter values, lazily: only what a property actually uses is
//! evaluated, so a parameter nobody needs locally (a VPC id, say) may stay unset.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};

use base64::Engine as _;
use serde_json::{Map, Value as Json};

use super::error::EvalError;
use super::ids::{LOCAL_DOMAIN, LocalAccount, local_id};

/// A parameter's value: a string, or a list for `CommaDelimitedList` / `List<…>` types.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ParamValue {
    /// A single value (`String`, `Number`, `AWS::EC2::VPC::Id`, …).
    Text(String),
    /// A list value.
    List(Vec<String>),
}

impl ParamValue {
    fn to_json(&self) -> Json {
        match self {
            ParamValue::Text(text) => Json::String(text.clone()),
            ParamValue::List(items) => {
                Json::Array(items.iter().cloned().map(Json::String).collect())
            }
        }
    }
}

/// Evaluates template values. Everything it reads is borrowed from the
/// (normalised) template; results are JSON, `None` standing for `AWS::NoValue`.
pub(crate) struct Evaluator<'t> {
    params: BTreeMap<String, ParamValue>,
    missing: BTreeSet<String>,
    conditions: &'t Map<String, Json>,
    mappings: &'t Map<String, Json>,
    resources: &'t Map<String, Json>,
    account: LocalAccount,
    condition_cache: RefCell<BTreeMap<String, bool>>,
    /// Conditions and resource names being evaluated, to report cycles instead of overflowing.
    in_progress: RefCell<BTreeSet<String>>,
}

impl<'t> Evaluator<'t> {
    pub(crate) fn new(
        params: BTreeMap<String, ParamValue>,
        missing: BTreeSet<String>,
        sections: Sections<'t>,
        account: LocalAccount,
    ) -> Self {
        Evaluator {
            params,
            missing,
            conditions: sections.conditions,
            mappings: sections.mappings,
            resources: sections.resources,
            account,
            condition_cache: RefCell::new(BTreeMap::new()),
            in_progress: RefCell::new(BTreeSet::new()),
        }
    }

    /// The account and region ARNs are minted for.
    pub(crate) fn account(&self) -> &LocalAccount {
        &self.account
    }

    /// Evaluates a value; `None` is `AWS::NoValue` (the property is absent).
    pub(crate) fn eval(&self, value: &Json) -> Result<Option<Json>, EvalError> {
        match value {
            Json::Object(map) => {
                if let Some((name, arg)) = single_intrinsic(map) {
                    return self.intrinsic(name, arg);
                }
                let mut out = Map::with_capacity(map.len());
                for (key, item) in map {
                    if let Some(evaluated) = self.eval(item)? {
                        out.insert(key.clone(), evaluated);
                    }
                }
                Ok(Some(Json::Object(out)))
            }
            Json::Array(items) => {
                let mut out = Vec::with_capacity(items.len());
                for item in items {
                    if let Some(evaluated) = self.eval(item)? {
                        out.push(evaluated);
                    }
                }
                Ok(Some(Json::Array(out)))
            }
            scalar => Ok(Some(scalar.clone())),
        }
    }

    /// Whether the named condition holds.
    pub(crate) fn condition(&self, name: &str) -> Result<bool, EvalError> {
        if let Some(known) = self.condition_cache.borrow().get(name) {
            return Ok(*known);
        }
        let expr = self
            .conditions
            .get(name)
            .ok_or_else(|| EvalError::UnknownCondition(name.to_owned()))?;
        let key = format!("Conditions.{name}");
        if !self.in_progress.borrow_mut().insert(key.clone()) {
            return Err(EvalError::Cycle(name.to_owned()));
        }
        let result = self.condition_expr(expr);
        self.in_progress.borrow_mut().remove(&key);
        let result = result?;
        self.condition_cache
            .borrow_mut()
            .insert(name.to_owned(), result);
        Ok(result)
    }

    fn condition_expr(&self, expr: &Json) -> Result<bool, EvalError> {
        let Some((name, arg)) = expr.as_object().and_then(single_intrinsic_or_condition) else {
            return match expr {
                Json::Bool(b) => Ok(*b),
                other => Err(EvalError::BadArguments {
                    function: "Conditions",
                    message: format!("expected a condition function, got {other}"),
                }),
            };
        };
        match name {
            "Condition" => self.condition(&self.string(arg, "Condition")?),
            "Fn::Equals" => {
                let [a, b] = fixed_args::<2>(arg, "Fn::Equals")?;
                let a = self.eval(a)?.unwrap_or(Json::Null);
                let b = self.eval(b)?.unwrap_or(Json::Null);
                Ok(loosely_equal(&a, &b))
            }
            "Fn::Not" => {
                let [inner] = fixed_args::<1>(arg, "Fn::Not")?;
                Ok(!self.condition_expr(inner)?)
            }
            "Fn::And" | "Fn::Or" => {
                let function = if name == "Fn::And" {
                    "Fn::And"
                } else {
                    "Fn::Or"
                };
                let items = arg.as_array().ok_or_else(|| EvalError::BadArguments {
                    function,
                    message: "expected a list of conditions".into(),
                })?;
                let mut values = Vec::with_capacity(items.len());
                for item in items {
                    values.push(self.condition_expr(item)?);
                }
                Ok(if name == "Fn::And" {
                    values.iter().all(|v| *v)
                } else {
                    values.iter().any(|v| *v)
                })
            }
            other => Err(EvalError::UnsupportedFunction(other.to_owned())),
        }
    }

    fn intrinsic(&self, name: &str, arg: &Json) -> Result<Option<Json>, EvalError> {
        match name {
            "Ref" => {
                let target = arg.as_str().ok_or_else(|| EvalError::BadArguments {
                    function: "Ref",
                    message: format!("expected a name, got {arg}"),
                })?;
                self.reference(target)
            }
            "Fn::GetAtt" => {
                let (resource, attribute) = match arg {
                    Json::String(s) => s.split_once('.').map(|(r, a)| (r.to_owned(), a.to_owned())),
                    Json::Array(parts) if parts.len() == 2 => {
                        let resource = self.string(&parts[0], "Fn::GetAtt")?;
                        let attribute = self.string(&parts[1], "Fn::GetAtt")?;
                        Some((resource, attribute))
                    }
                    _ => None,
                }
                .ok_or_else(|| EvalError::BadArguments {
                    function: "Fn::GetAtt",
                    message: format!("expected Resource.Attribute, got {arg}"),
                })?;
                self.attribute(&resource, &attribute).map(Some)
            }
            "Fn::Sub" => self.substitute(arg).map(|s| Some(Json::String(s))),
            "Fn::If" => {
                let [condition, then, otherwise] = fixed_args::<3>(arg, "Fn::If")?;
                let condition = condition.as_str().ok_or_else(|| EvalError::BadArguments {
                    function: "Fn::If",
                    message: "the first argument must be a condition name".into(),
                })?;
                if self.condition(condition)? {
                    self.eval(then)
                } else {
                    self.eval(otherwise)
                }
            }
            "Fn::Join" => {
                let [delimiter, items] = fixed_args::<2>(arg, "Fn::Join")?;
                let delimiter = self.string(delimiter, "Fn::Join")?;
                let items = self.list(items, "Fn::Join")?;
                let parts = items
                    .iter()
                    .map(|item| json_to_string(item).ok_or_else(|| not_a_string(item)))
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(Some(Json::String(parts.join(&delimiter))))
            }
            "Fn::Select" => {
                let [index, items] = fixed_args::<2>(arg, "Fn::Select")?;
                let index = self.string(index, "Fn::Select")?;
                let index: usize = index.trim().parse().map_err(|_| EvalError::BadArguments {
                    function: "Fn::Select",
                    message: format!("index {index:?} is not a number"),
                })?;
                let items = self.list(items, "Fn::Select")?;
                let len = items.len();
                items
                    .into_iter()
                    .nth(index)
                    .map(Some)
                    .ok_or_else(|| EvalError::BadArguments {
                        function: "Fn::Select",
                        message: format!("index {index} out of range for a list of {len}"),
                    })
            }
            "Fn::Split" => {
                let [delimiter, source] = fixed_args::<2>(arg, "Fn::Split")?;
                let delimiter = self.string(delimiter, "Fn::Split")?;
                let source = self.string(source, "Fn::Split")?;
                if delimiter.is_empty() {
                    return Err(EvalError::BadArguments {
                        function: "Fn::Split",
                        message: "empty delimiter".into(),
                    });
                }
                Ok(Some(Json::Array(
                    source
                        .split(delimiter.as_str())
                        .map(|s| Json::String(s.to_owned()))
                        .collect(),
                )))
            }
            "Fn::FindInMap" => {
                let [map, top, second] = fixed_args::<3>(arg, "Fn::FindInMap")?;
                let map = self.string(map, "Fn::FindInMap")?;
                let top = self.string(top, "Fn::FindInMap")?;
                let second = self.string(second, "Fn::FindInMap")?;
                self.mappings
                    .get(&map)
                    .and_then(|m| m.get(&top))
                    .and_then(|m| m.get(&second))
                    .cloned()
                    .map(Some)
                    .ok_or_else(|| EvalError::MissingMapping(map, format!("{top}.{second}")))
            }
            "Fn::Base64" => {
                let text = self.string(arg, "Fn::Base64")?;
                Ok(Some(Json::String(
                    base64::engine::general_purpose::STANDARD.encode(text),
                )))
            }
            "Fn::Equals" | "Fn::Not" | "Fn::And" | "Fn::Or" => {
                let mut map = Map::new();
                map.insert(name.to_owned(), arg.clone());
                self.condition_expr(&Json::Object(map))
                    .map(|b| Some(Json::Bool(b)))
            }
            other => Err(EvalError::UnsupportedFunction(other.to_owned())),
        }
    }

    /// `Ref`: a parameter, a pseudo parameter or a resource.
    fn reference(&self, name: &str) -> Result<Option<Json>, EvalError> {
        if let Some(value) = self.params.get(name) {
            return Ok(Some(value.to_json()));
        }
        if self.missing.contains(name) {
            return Err(EvalError::MissingParameter(name.to_owned()));
        }
        let pseudo = match name {
            "AWS::NoValue" => return Ok(None),
            "AWS::AccountId" => self.account.account_id.clone(),
            "AWS::Region" => self.account.region.clone(),
            "AWS::Partition" => "aws".to_owned(),
            "AWS::URLSuffix" => "amazonaws.com".to_owned(),
            "AWS::StackName" => "lattice-local".to_owned(),
            "AWS::StackId" => format!(
                "arn:aws:cloudformation:{}:{}:stack/lattice-local/{}",
                self.account.region,
                self.account.account_id,
                local_id("stack", "lattice-local")
            ),
            "AWS::NotificationARNs" => return Ok(Some(Json::Array(Vec::new()))),
            _ => return self.resource_ref(name).map(Some),
        };
        Ok(Some(Json::String(pseudo)))
    }

    fn resource_type(&self, logical_id: &str) -> Option<&'t str> {
        self.resources
            .get(logical_id)
            .and_then(|r| r.get("Type"))
            .and_then(Json::as_str)
    }

    fn resource_ref(&self, logical_id: &str) -> Result<Json, EvalError> {
        let kind = self
            .resource_type(logical_id)
            .ok_or_else(|| EvalError::UnknownRef(logical_id.to_owned()))?;
        let value = match kind {
            "AWS::Serverless::Function" | "AWS::Lambda::Function" => {
                self.function_name(logical_id)?
            }
            "AWS::EC2::SecurityGroup" => local_id("sg", logical_id),
            "AWS::VpcLattice::Service"
            | "AWS::VpcLattice::ServiceNetwork"
            | "AWS::VpcLattice::Listener"
            | "AWS::VpcLattice::Rule"
            | "AWS::VpcLattice::TargetGroup"
            | "AWS::VpcLattice::ServiceNetworkServiceAssociation"
            | "AWS::VpcLattice::ServiceNetworkVpcAssociation" => {
                lattice_arn_of(self, logical_id, kind)?
            }
            // Anything else: a placeholder that is obviously local.
            _ => format!("{logical_id}-local"),
        };
        Ok(Json::String(value))
    }

    fn attribute(&self, logical_id: &str, attribute: &str) -> Result<Json, EvalError> {
        let kind = self
            .resource_type(logical_id)
            .ok_or_else(|| EvalError::UnknownRef(logical_id.to_owned()))?;
        let unsupported = || EvalError::UnsupportedAttribute {
            resource: logical_id.to_owned(),
            attribute: attribute.to_owned(),
            kind: kind.to_owned(),
        };
        let value = match (kind, attribute) {
            ("AWS::Serverless::Function" | "AWS::Lambda::Function", "Arn") => {
                self.account.function_arn(&self.function_name(logical_id)?)
            }
            ("AWS::EC2::SecurityGroup", "GroupId") => local_id("sg", logical_id),
            (k, "Arn") if k.starts_with("AWS::VpcLattice::") => {
                lattice_arn_of(self, logical_id, k)?
            }
            (k, "Id") if k.starts_with("AWS::VpcLattice::") => lattice_id_prefix(k)
                .map(|p| local_id(p, logical_id))
                .ok_or_else(unsupported)?,
            ("AWS::VpcLattice::Service", "DnsEntry.DomainName") => {
                format!("{}.{LOCAL_DOMAIN}", self.lattice_name(logical_id)?)
            }
            ("AWS::VpcLattice::Service", "DnsEntry.HostedZoneId") => "ZLOCALLATTICE".to_owned(),
            ("AWS::VpcLattice::Service" | "AWS::VpcLattice::ServiceNetwork", "Name") => {
                self.lattice_name(logical_id)?
            }
            ("AWS::VpcLattice::Listener", "ServiceArn") => {
                let service = self.resource_property(logical_id, "ServiceIdentifier")?;
                self.string(&service, "Fn::GetAtt")?
            }
            _ => return Err(unsupported()),
        };
        Ok(Json::String(value))
    }

    fn resource_property(&self, logical_id: &str, property: &str) -> Result<Json, EvalError> {
        let raw = self
            .resources
            .get(logical_id)
            .and_then(|r| r.get("Properties"))
            .and_then(|p| p.get(property));
        let Some(raw) = raw else {
            return Ok(Json::Null);
        };
        let key = format!("{logical_id}.{property}");
        if !self.in_progress.borrow_mut().insert(key.clone()) {
            return Err(EvalError::Cycle(key));
        }
        let value = self.eval(raw);
        self.in_progress.borrow_mut().remove(&key);
        Ok(value?.unwrap_or(Json::Null))
    }

    /// A function's name: `FunctionName`, else its logical id (SAM would add
    /// the stack name and a suffix; locally the logical id is clearer).
    pub(crate) fn function_name(&self, logical_id: &str) -> Result<String, EvalError> {
        match self.resource_property(logical_id, "FunctionName")? {
            Json::Null => Ok(logical_id.to_owned()),
            name => self.string(&name, "FunctionName"),
        }
    }

    /// A Lattice resource's `Name`, else its logical id in lower case.
    pub(crate) fn lattice_name(&self, logical_id: &str) -> Result<String, EvalError> {
        match self.resource_property(logical_id, "Name")? {
            Json::Null => Ok(logical_id.to_ascii_lowercase()),
            name => self.string(&name, "Name"),
        }
    }

    /// `Fn::Sub` with the string form or the `[string, variables]` form.
    fn substitute(&self, arg: &Json) -> Result<String, EvalError> {
        let (template, variables) = match arg {
            Json::String(s) => (s.as_str(), None),
            Json::Array(parts) if parts.len() == 2 => {
                let template = parts[0].as_str().ok_or_else(|| EvalError::BadArguments {
                    function: "Fn::Sub",
                    message: "the first argument must be a string".into(),
                })?;
                (template, parts[1].as_object())
            }
            other => {
                return Err(EvalError::BadArguments {
                    function: "Fn::Sub",
                    message: format!("expected a string or [string, variables], got {other}"),
                });
            }
        };
        let mut out = String::with_capacity(template.len());
        let mut rest = template;
        while let Some(start) = rest.find("${") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            let end = after.find('}').ok_or_else(|| EvalError::BadArguments {
                function: "Fn::Sub",
                message: format!("unclosed ${{ in {template:?}"),
            })?;
            let name = &after[..end];
            if let Some(literal) = name.strip_prefix('!') {
                // `${!Literal}` stands for the text `${Literal}`.
                out.push_str("${");
                out.push_str(literal);
                out.push('}');
            } else if let Some(value) = variables.and_then(|v| v.get(name)) {
                let value = self.eval(value)?.unwrap_or(Json::Null);
                out.push_str(&json_to_string(&value).ok_or_else(|| not_a_string(&value))?);
            } else {
                let value = match name.split_once('.') {
                    Some((resource, attribute)) if !name.starts_with("AWS::") => {
                        self.attribute(resource, attribute)?
                    }
                    _ => self.reference(name)?.unwrap_or(Json::Null),
                };
                out.push_str(&json_to_string(&value).ok_or_else(|| not_a_string(&value))?);
            }
            rest = &after[end + 1..];
        }
        out.push_str(rest);
        Ok(out)
    }

    /// Evaluates to a string (numbers and booleans are written out).
    pub(crate) fn string(&self, value: &Json, function: &'static str) -> Result<String, EvalError> {
        let evaluated = self.eval(value)?.ok_or_else(|| EvalError::BadArguments {
            function,
            message: "AWS::NoValue where a value is required".into(),
        })?;
        json_to_string(&evaluated).ok_or_else(|| not_a_string(&evaluated))
    }

    fn list(&self, value: &Json, function: &'static str) -> Result<Vec<Json>, EvalError> {
        match self.eval(value)? {
            Some(Json::Array(items)) => Ok(items),
            other => Err(EvalError::BadArguments {
                function,
                message: format!("expected a list, got {}", other.unwrap_or(Json::Null)),
            }),
        }
    }
}

/// The template sections an [`Evaluator`] reads.
pub(crate) struct Sections<'t> {
    /// `Conditions`.
    pub conditions: &'t Map<String, Json>,
    /// `Mappings`.
    pub mappings: &'t Map<String, Json>,
    /// `Resources`.
    pub resources: &'t Map<String, Json>,
}

/// The id prefix Lattice uses for a resource type.
pub(crate) fn lattice_id_prefix(kind: &str) -> Option<&'static str> {
    Some(match kind {
        "AWS::VpcLattice::Service" => "svc",
        "AWS::VpcLattice::ServiceNetwork" => "sn",
        "AWS::VpcLattice::Listener" => "listener",
        "AWS::VpcLattice::Rule" => "rule",
        "AWS::VpcLattice::TargetGroup" => "tg",
        "AWS::VpcLattice::ServiceNetworkServiceAssociation" => "snsa",
        "AWS::VpcLattice::ServiceNetworkVpcAssociation" => "snva",
        _ => return None,
    })
}

/// The ARN of a Lattice resource. Listeners and rules nest under their
/// service (and listener), as in Lattice.
fn lattice_arn_of(eval: &Evaluator<'_>, logical_id: &str, kind: &str) -> Result<String, EvalError> {
    let id = |prefix| local_id(prefix, logical_id);
    let parent = |property: &str| -> Result<String, EvalError> {
        let value = eval.resource_property(logical_id, property)?;
        let value = eval.string(&value, "Fn::GetAtt")?;
        // The identifier may be an ARN or an id; the ARN's last segment is the id.
        Ok(value.rsplit('/').next().unwrap_or_default().to_owned())
    };
    let resource = match kind {
        "AWS::VpcLattice::Service" => format!("service/{}", id("svc")),
        "AWS::VpcLattice::ServiceNetwork" => format!("servicenetwork/{}", id("sn")),
        "AWS::VpcLattice::TargetGroup" => format!("targetgroup/{}", id("tg")),
        "AWS::VpcLattice::Listener" => {
            format!(
                "service/{}/listener/{}",
                parent("ServiceIdentifier")?,
                id("listener")
            )
        }
        "AWS::VpcLattice::Rule" => format!(
            "service/{}/listener/{}/rule/{}",
            parent("ServiceIdentifier")?,
            parent("ListenerIdentifier")?,
            id("rule")
        ),
        "AWS::VpcLattice::ServiceNetworkServiceAssociation" => {
            format!("servicenetworkserviceassociation/{}", id("snsa"))
        }
        "AWS::VpcLattice::ServiceNetworkVpcAssociation" => {
            format!("servicenetworkvpcassociation/{}", id("snva"))
        }
        _ => format!("{}/{logical_id}", kind.to_ascii_lowercase()),
    };
    Ok(eval.account().lattice_arn(&resource))
}

/// `{"Ref": x}` / `{"Fn::…": x}`: the function name and its argument.
fn single_intrinsic(map: &Map<String, Json>) -> Option<(&str, &Json)> {
    if map.len() != 1 {
        return None;
    }
    let (key, value) = map.iter().next()?;
    (key == "Ref" || key.starts_with("Fn::")).then_some((key.as_str(), value))
}

/// Like [`single_intrinsic`], and also `{"Condition": name}` (only meaningful
/// inside conditions, where it cannot be confused with a policy statement's key).
fn single_intrinsic_or_condition(map: &Map<String, Json>) -> Option<(&str, &Json)> {
    if map.len() != 1 {
        return None;
    }
    let (key, value) = map.iter().next()?;
    (key == "Condition" || key == "Ref" || key.starts_with("Fn::")).then_some((key.as_str(), value))
}

fn fixed_args<'a, const N: usize>(
    arg: &'a Json,
    function: &'static str,
) -> Result<[&'a Json; N], EvalError> {
    let wrong = || EvalError::BadArguments {
        function,
        message: format!("expected a list of {N} arguments, got {arg}"),
    };
    let items = arg.as_array().ok_or_else(wrong)?;
    let refs: Vec<&Json> = items.iter().collect();
    refs.try_into().map_err(|_| wrong())
}

/// Writes a scalar as CloudFormation would substitute it.
pub(crate) fn json_to_string(value: &Json) -> Option<String> {
    match value {
        Json::String(s) => Some(s.clone()),
        Json::Number(n) => Some(n.to_string()),
        Json::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn not_a_string(value: &Json) -> EvalError {
    EvalError::NotAString(value.to_string())
}

/// `Fn::Equals` compares scalars by their text (`8090` equals `"8090"`).
fn loosely_equal(a: &Json, b: &Json) -> bool {
    match (json_to_string(a), json_to_string(b)) {
        (Some(a), Some(b)) => a == b,
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn with_template(template: Json, check: impl FnOnce(&Evaluator<'_>)) {
        let empty = Map::new();
        let conditions = template
            .get("Conditions")
            .and_then(Json::as_object)
            .unwrap_or(&empty);
        let mappings = template
            .get("Mappings")
            .and_then(Json::as_object)
            .unwrap_or(&empty);
        let resources = template
            .get("Resources")
            .and_then(Json::as_object)
            .unwrap_or(&empty);
        let params = BTreeMap::from([
            ("Mode".to_owned(), ParamValue::Text("template".into())),
            ("Empty".to_owned(), ParamValue::Text(String::new())),
            ("Port".to_owned(), ParamValue::Text("8090".into())),
            (
                "Ips".to_owned(),
                ParamValue::List(vec!["10.0.0.1".into(), "10.0.0.2".into()]),
            ),
        ]);
        let missing = BTreeSet::from(["VpcId".to_owned()]);
        let eval = Evaluator::new(
            params,
            missing,
            Sections {
                conditions,
                mappings,
                resources,
            },
            LocalAccount::new("eu-west-1"),
        );
        check(&eval);
    }

    #[test]
    fn conditions_combine_equals_not_and_or_and_condition() {
        let template = json!({"Conditions": {
            "IsTemplate": {"Fn::Equals": [{"Ref": "Mode"}, "template"]},
            "HasEmpty": {"Fn::Not": [{"Fn::Equals": [{"Ref": "Empty"}, ""]}]},
            "Both": {"Fn::And": [{"Condition": "IsTemplate"}, {"Condition": "HasEmpty"}]},
            "Either": {"Fn::Or": [{"Condition": "IsTemplate"}, {"Condition": "HasEmpty"}]},
            "PortIsNumber": {"Fn::Equals": [{"Ref": "Port"}, 8090]},
            "Loop": {"Condition": "Loop"}
        }});
        with_template(template, |eval| {
            assert!(eval.condition("IsTemplate").unwrap());
            assert!(!eval.condition("HasEmpty").unwrap());
            assert!(!eval.condition("Both").unwrap());
            assert!(eval.condition("Either").unwrap());
            assert!(eval.condition("PortIsNumber").unwrap());
            assert_eq!(
                eval.condition("Nope"),
                Err(EvalError::UnknownCondition("Nope".into()))
            );
            assert_eq!(eval.condition("Loop"), Err(EvalError::Cycle("Loop".into())));
        });
    }

    #[test]
    fn if_drops_no_value_and_only_evaluates_the_chosen_branch() {
        let template =
            json!({"Conditions": {"IsTemplate": {"Fn::Equals": [{"Ref": "Mode"}, "template"]}}});
        with_template(template, |eval| {
            let value = json!({
                "A": {"Fn::If": ["IsTemplate", "yes", {"Ref": "VpcId"}]},
                "B": {"Fn::If": ["IsTemplate", {"Ref": "AWS::NoValue"}, "no"]},
                "C": [1, {"Ref": "AWS::NoValue"}, 2]
            });
            assert_eq!(
                eval.eval(&value).unwrap(),
                Some(json!({"A": "yes", "C": [1, 2]}))
            );
            assert_eq!(
                eval.eval(&json!({"Ref": "VpcId"})),
                Err(EvalError::MissingParameter("VpcId".into()))
            );
        });
    }

    #[test]
    fn sub_join_select_split_and_find_in_map() {
        let template = json!({
            "Mappings": {"Traffic": {"10": {"Stable": 90}}},
            "Resources": {"Svc": {"Type": "AWS::VpcLattice::Service", "Properties": {"Name": {"Ref": "Mode"}}}}
        });
        with_template(template, |eval| {
            let sub = json!({"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root ${!Literal} ${Svc.DnsEntry.DomainName}"});
            assert_eq!(
                eval.eval(&sub).unwrap(),
                Some(json!(
                    "arn:aws:iam::000000000000:root ${Literal} template.lattice.localhost"
                ))
            );
            let sub_vars = json!({"Fn::Sub": ["${X}-${AWS::Region}", {"X": {"Ref": "Port"}}]});
            assert_eq!(eval.eval(&sub_vars).unwrap(), Some(json!("8090-eu-west-1")));
            let padded = json!({"Fn::Select": [2, {"Fn::Split": [",", {"Fn::Join": ["", [{"Fn::Join": [",", {"Ref": "Ips"}]}, ",,,"]]}]}]});
            assert_eq!(eval.eval(&padded).unwrap(), Some(json!("")));
            let first = json!({"Fn::Select": ["1", {"Ref": "Ips"}]});
            assert_eq!(eval.eval(&first).unwrap(), Some(json!("10.0.0.2")));
            let weight = json!({"Fn::FindInMap": ["Traffic", "10", "Stable"]});
            assert_eq!(eval.eval(&weight).unwrap(), Some(json!(90)));
            let missing = json!({"Fn::FindInMap": ["Traffic", "99", "Stable"]});
            assert!(matches!(
                eval.eval(&missing),
                Err(EvalError::MissingMapping(..))
            ));
        });
    }

    #[test]
    fn refs_and_attributes_of_lattice_resources_are_local_arns() {
        let template = json!({"Resources": {
            "Svc": {"Type": "AWS::VpcLattice::Service", "Properties": {"Name": "foo"}},
            "Lis": {"Type": "AWS::VpcLattice::Listener", "Properties": {"ServiceIdentifier": {"Ref": "Svc"}}},
            "Fn": {"Type": "AWS::Serverless::Function", "Properties": {}},
            "Odd": {"Type": "AWS::SQS::Queue"}
        }});
        with_template(template, |eval| {
            let svc = eval.eval(&json!({"Ref": "Svc"})).unwrap().unwrap();
            let svc = svc.as_str().unwrap();
            assert!(svc.starts_with("arn:aws:vpc-lattice:eu-west-1:000000000000:service/svc-"));
            let listener = eval
                .eval(&json!({"Fn::GetAtt": "Lis.Arn"}))
                .unwrap()
                .unwrap();
            assert!(
                listener
                    .as_str()
                    .unwrap()
                    .starts_with(&format!("{svc}/listener/listener-"))
            );
            assert_eq!(
                eval.eval(&json!({"Fn::GetAtt": ["Fn", "Arn"]})).unwrap(),
                Some(json!("arn:aws:lambda:eu-west-1:000000000000:function:Fn"))
            );
            assert!(matches!(
                eval.eval(&json!({"Fn::GetAtt": "Odd.QueueName"})),
                Err(EvalError::UnsupportedAttribute { .. })
            ));
            assert_eq!(
                eval.eval(&json!({"Fn::GetAZs": ""})),
                Err(EvalError::UnsupportedFunction("Fn::GetAZs".into()))
            );
            assert_eq!(
                eval.eval(&json!({"Ref": "Ghost"})),
                Err(EvalError::UnknownRef("Ghost".into()))
            );
        });
    }
}
