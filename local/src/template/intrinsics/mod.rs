//! Evaluates CloudFormation intrinsic functions and conditions against the
//! local parameter values, lazily: only what a property actually uses is
//! evaluated, so a parameter nobody needs locally (a VPC id, say) may stay unset.
//!
//! This file holds the evaluator and the value-building functions (`Fn::Sub`, `Fn::Join`,
//! …); [`conditions`] decides conditions, [`references`] answers `Ref` and `Fn::GetAtt`
//! with local names and ARNs.

mod conditions;
mod references;

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};

use base64::Engine as _;
use serde_json::{Map, Value as Json};

use super::error::EvalError;
use crate::model::{LocalAccount, ParamValue};

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

/// Whether `value` is one intrinsic function call (`{"Ref": x}`, `{"Fn::…": x}`).
pub(crate) fn is_intrinsic(value: &Json) -> bool {
    value.as_object().and_then(single_intrinsic).is_some()
}

/// `{"Ref": x}` / `{"Fn::…": x}`: the function name and its argument.
fn single_intrinsic(map: &Map<String, Json>) -> Option<(&str, &Json)> {
    if map.len() != 1 {
        return None;
    }
    let (key, value) = map.iter().next()?;
    (key == "Ref" || key.starts_with("Fn::")).then_some((key.as_str(), value))
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

#[cfg(test)]
mod tests;
