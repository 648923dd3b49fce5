//! Parameters and the template's `Rules`: declared defaults overridden by `--parameter`,
//! checked against `AllowedValues`, and CloudFormation's parameter assertions, which would
//! stop a deployment and so are reported when they fail.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value as Json};

use super::error::TemplateError;
use super::intrinsics::{Evaluator, json_to_string};
use crate::model::{Note, ParamValue};

/// Parameters: declared defaults overridden by `--parameter`, checked against
/// `AllowedValues`. Those with neither are `missing` (an error only if used).
pub(crate) fn resolve_parameters(
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

/// Template `Rules` are CloudFormation's parameter checks; a failing one
/// would stop a deployment, so it is reported.
pub(crate) fn check_rules(rules: &Map<String, Json>, eval: &Evaluator<'_>, notes: &mut Vec<Note>) {
    for (name, rule) in rules {
        let applies = match rule.get("RuleCondition") {
            None => Ok(true),
            Some(condition) => eval.eval(condition).map(|v| v == Some(Json::Bool(true))),
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
                if eval.eval(check)? != Some(Json::Bool(true)) {
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
                    notes.push(rules_note(
                        name,
                        format!("CloudFormation would reject these parameters: {description}"),
                    ));
                }
            }
            Err(error) => notes.push(rules_note(name, format!("not checked: {error}"))),
        }
    }
}

fn rules_note(rule: &str, message: String) -> Note {
    Note {
        resource: rule.to_owned(),
        kind: "Rules".to_owned(),
        message,
    }
}
