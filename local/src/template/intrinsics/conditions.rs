//! Conditions: the `Conditions` section, `Condition:` on resources and `Fn::If`, decided with
//! `Fn::Equals`, `Fn::Not`, `Fn::And`, `Fn::Or` and `Condition` references.

use serde_json::{Map, Value as Json};

use super::{Evaluator, fixed_args, json_to_string};
use crate::template::error::EvalError;

impl Evaluator<'_> {
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

    pub(super) fn condition_expr(&self, expr: &Json) -> Result<bool, EvalError> {
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
}

/// Like [`single_intrinsic`](super::single_intrinsic), and also `{"Condition": name}` (only meaningful
/// inside conditions, where it cannot be confused with a policy statement's key).
fn single_intrinsic_or_condition(map: &Map<String, Json>) -> Option<(&str, &Json)> {
    if map.len() != 1 {
        return None;
    }
    let (key, value) = map.iter().next()?;
    (key == "Condition" || key == "Ref" || key.starts_with("Fn::")).then_some((key.as_str(), value))
}

/// `Fn::Equals` compares scalars by their text (`8090` equals `"8090"`).
fn loosely_equal(a: &Json, b: &Json) -> bool {
    match (json_to_string(a), json_to_string(b)) {
        (Some(a), Some(b)) => a == b,
        _ => a == b,
    }
}
