//! Parsing Lattice auth policies (IAM policy documents) into a form that is cheap to evaluate.
//!
//! Only what lattice-local can evaluate faithfully is accepted; everything else (`NotPrincipal`,
//! `NotAction`, `NotResource`, service principals, policy variables, unknown condition
//! operators or keys, …) is rejected at load time with an error naming it, so a policy never
//! silently allows more locally than it would on AWS.

use serde_json::{Map, Value};

use super::conditions::Condition;
use super::credentials::is_account_id;
use super::policy_error::{PolicyError, PolicyProblem};
use super::wildcard::wildcard_match;

/// The one action Lattice authorizes.
pub(crate) const INVOKE_ACTION: &str = "vpc-lattice-svcs:Invoke";

/// A parsed auth policy. Build with [`AuthPolicy::from_json`]; evaluate with
/// [`AuthPolicy::evaluate`](crate::auth::AuthPolicy::evaluate).
#[derive(Debug, Clone)]
pub struct AuthPolicy {
    pub(crate) statements: Vec<Statement>,
}

/// Allow or Deny.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Effect {
    Allow,
    Deny,
}

/// Who a statement is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PrincipalSpec {
    /// `"*"` or `{"AWS": "*"}`: everyone, including unauthenticated callers.
    Anyone,
    /// `{"AWS": [...]}`: the listed accounts and IAM/STS principals.
    Aws(Vec<AwsPrincipal>),
}

/// One entry of `{"AWS": …}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum AwsPrincipal {
    /// `123456789012` or `arn:aws:iam::123456789012:root`: every principal of the account.
    Account(String),
    /// `arn:aws:iam::<account>:role/<path>/<name>`: the role and all its sessions.
    Role {
        arn: String,
        partition: String,
        account: String,
        name: String,
    },
    /// Any other IAM/STS ARN (user, assumed-role session): that exact principal.
    Exact(String),
}

/// One statement.
#[derive(Debug, Clone)]
pub(crate) struct Statement {
    /// `Sid`, or `Statement[<index>]` when it has none.
    pub(crate) label: String,
    pub(crate) effect: Effect,
    pub(crate) principal: PrincipalSpec,
    /// Whether an `Action` pattern matches `vpc-lattice-svcs:Invoke` (the only action).
    pub(crate) covers_invoke: bool,
    /// `Resource` patterns (`*` and `?` wildcards).
    pub(crate) resources: Vec<String>,
    pub(crate) conditions: Vec<Condition>,
}

impl AuthPolicy {
    /// Parses a policy document (`{"Version": "2012-10-17", "Statement": [...]}`), given as a
    /// JSON object or as a string holding one (CloudFormation accepts both).
    ///
    /// CloudFormation intrinsic functions must already be resolved; an unresolved one shows up
    /// as an object where a string is expected and is rejected.
    pub fn from_json(document: &Value) -> Result<AuthPolicy, PolicyError> {
        let at_policy = |problem| PolicyError {
            location: "policy".to_owned(),
            problem,
        };
        if let Value::String(text) = document {
            let parsed: Value = serde_json::from_str(text).map_err(|e| {
                at_policy(PolicyProblem::InvalidValue {
                    element: "the policy string".to_owned(),
                    reason: format!("is not JSON: {e}"),
                })
            })?;
            if parsed.is_string() {
                return Err(at_policy(PolicyProblem::WrongType(
                    "the policy".to_owned(),
                    "a JSON object",
                )));
            }
            return AuthPolicy::from_json(&parsed);
        }
        let object = document.as_object().ok_or_else(|| {
            at_policy(PolicyProblem::WrongType(
                "the policy".to_owned(),
                "a JSON object",
            ))
        })?;
        for key in object.keys() {
            if !matches!(key.as_str(), "Version" | "Id" | "Statement") {
                return Err(at_policy(PolicyProblem::UnsupportedElement(key.clone())));
            }
        }
        match object.get("Version") {
            None => {}
            Some(Value::String(v)) if v == "2012-10-17" || v == "2008-10-17" => {}
            Some(other) => {
                return Err(at_policy(PolicyProblem::UnsupportedVersion(
                    other.to_string(),
                )));
            }
        }
        let statements = match object.get("Statement") {
            Some(Value::Array(items)) => items.iter().collect::<Vec<_>>(),
            Some(single @ Value::Object(_)) => vec![single],
            Some(_) => {
                return Err(at_policy(PolicyProblem::WrongType(
                    "Statement".to_owned(),
                    "an object or a list of objects",
                )));
            }
            None => return Err(at_policy(PolicyProblem::MissingElement("Statement"))),
        };
        let statements = statements
            .into_iter()
            .enumerate()
            .map(|(index, statement)| parse_statement(index, statement))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(AuthPolicy { statements })
    }

    /// Number of statements.
    pub fn statement_count(&self) -> usize {
        self.statements.len()
    }
}

fn parse_statement(index: usize, value: &Value) -> Result<Statement, PolicyError> {
    let mut label = format!("Statement[{index}]");
    let fail = |label: &str, problem| PolicyError {
        location: label.to_owned(),
        problem,
    };
    let object = value.as_object().ok_or_else(|| {
        fail(
            &label,
            PolicyProblem::WrongType(label.clone(), "a JSON object"),
        )
    })?;
    match object.get("Sid") {
        Some(Value::String(sid)) => label = sid.clone(),
        Some(_) => {
            return Err(fail(
                &label,
                PolicyProblem::WrongType("Sid".to_owned(), "a string"),
            ));
        }
        None => {}
    }
    let problem = |problem| fail(&label, problem);
    for key in object.keys() {
        if !matches!(
            key.as_str(),
            "Sid" | "Effect" | "Principal" | "Action" | "Resource" | "Condition"
        ) {
            return Err(problem(PolicyProblem::UnsupportedElement(key.clone())));
        }
    }
    let effect = match object.get("Effect") {
        Some(Value::String(e)) if e == "Allow" => Effect::Allow,
        Some(Value::String(e)) if e == "Deny" => Effect::Deny,
        Some(other) => {
            return Err(problem(PolicyProblem::InvalidValue {
                element: "Effect".to_owned(),
                reason: format!("{other} is neither \"Allow\" nor \"Deny\""),
            }));
        }
        None => return Err(problem(PolicyProblem::MissingElement("Effect"))),
    };
    let principal = parse_principal(object.get("Principal")).map_err(problem)?;
    let covers_invoke = parse_actions(object.get("Action")).map_err(problem)?;
    let resources = parse_resources(object.get("Resource")).map_err(problem)?;
    let conditions = match object.get("Condition") {
        None => Vec::new(),
        Some(block) => parse_conditions(block).map_err(problem)?,
    };
    Ok(Statement {
        label,
        effect,
        principal,
        covers_invoke,
        resources,
        conditions,
    })
}

/// A string or a non-empty list of strings.
fn strings<'a>(element: &str, value: &'a Value) -> Result<Vec<&'a str>, PolicyProblem> {
    let wrong = || PolicyProblem::WrongType(element.to_owned(), "a string or a list of strings");
    let list: Vec<&str> = match value {
        Value::String(s) => vec![s.as_str()],
        Value::Array(items) => items
            .iter()
            .map(|v| v.as_str().ok_or_else(wrong))
            .collect::<Result<_, _>>()?,
        _ => return Err(wrong()),
    };
    if list.is_empty() {
        return Err(PolicyProblem::InvalidValue {
            element: element.to_owned(),
            reason: "is an empty list".to_owned(),
        });
    }
    if let Some(variable) = list.iter().find(|s| s.contains("${")) {
        return Err(PolicyProblem::PolicyVariable((*variable).to_owned()));
    }
    Ok(list)
}

fn parse_principal(value: Option<&Value>) -> Result<PrincipalSpec, PolicyProblem> {
    let value = value.ok_or(PolicyProblem::MissingElement("Principal"))?;
    let map: &Map<String, Value> = match value {
        Value::String(s) if s == "*" => return Ok(PrincipalSpec::Anyone),
        Value::Object(map) => map,
        _ => {
            return Err(PolicyProblem::WrongType(
                "Principal".to_owned(),
                "\"*\" or an object such as {\"AWS\": …}",
            ));
        }
    };
    if let Some(other) = map.keys().find(|k| k.as_str() != "AWS") {
        return Err(PolicyProblem::UnsupportedPrincipalType(other.clone()));
    }
    let aws = map
        .get("AWS")
        .ok_or(PolicyProblem::MissingElement("Principal.AWS"))?;
    let entries = strings("Principal.AWS", aws)?;
    // IAM: {"AWS": "*"} is the same as "*" (it includes anonymous callers).
    if entries.contains(&"*") {
        return Ok(PrincipalSpec::Anyone);
    }
    entries
        .into_iter()
        .map(parse_aws_principal)
        .collect::<Result<Vec<_>, _>>()
        .map(PrincipalSpec::Aws)
}

fn parse_aws_principal(entry: &str) -> Result<AwsPrincipal, PolicyProblem> {
    let invalid = |reason: &str| PolicyProblem::InvalidValue {
        element: "Principal.AWS".to_owned(),
        reason: format!("{entry:?} {reason}"),
    };
    if is_account_id(entry) {
        return Ok(AwsPrincipal::Account(entry.to_owned()));
    }
    let arn = super::arn::Arn::parse(entry)
        .ok_or_else(|| invalid("is neither a 12-digit account id, an ARN nor \"*\""))?;
    if entry.contains('*') || entry.contains('?') {
        return Err(invalid(
            "has a wildcard; IAM allows wildcards in Principal only as \"*\"",
        ));
    }
    if !matches!(arn.service, "iam" | "sts") || !is_account_id(arn.account) {
        return Err(invalid("is not an iam or sts ARN with a 12-digit account"));
    }
    if arn.service == "iam" && arn.resource == "root" {
        return Ok(AwsPrincipal::Account(arn.account.to_owned()));
    }
    if arn.service == "iam"
        && let Some(role_path) = arn.resource.strip_prefix("role/")
    {
        let name = role_path.rsplit('/').next().unwrap_or(role_path);
        return Ok(AwsPrincipal::Role {
            arn: entry.to_owned(),
            partition: arn.partition.to_owned(),
            account: arn.account.to_owned(),
            name: name.to_owned(),
        });
    }
    Ok(AwsPrincipal::Exact(entry.to_owned()))
}

/// Validates `Action` and says whether it covers `vpc-lattice-svcs:Invoke`.
fn parse_actions(value: Option<&Value>) -> Result<bool, PolicyProblem> {
    if value.is_none() {
        return Err(PolicyProblem::MissingElement("Action"));
    }
    let actions = strings("Action", value.unwrap_or(&Value::Null))?;
    let mut covers_invoke = false;
    for action in actions {
        let in_namespace = action == "*"
            || action
                .get(..17)
                .is_some_and(|prefix| prefix.eq_ignore_ascii_case("vpc-lattice-svcs:"));
        if !in_namespace {
            return Err(PolicyProblem::InvalidValue {
                element: "Action".to_owned(),
                reason: format!(
                    "{action:?} is not a vpc-lattice-svcs action (only {INVOKE_ACTION} applies)"
                ),
            });
        }
        let matches = wildcard_match(action, INVOKE_ACTION, true);
        if !matches && !action.contains(['*', '?']) {
            return Err(PolicyProblem::InvalidValue {
                element: "Action".to_owned(),
                reason: format!("{action:?} is not a Lattice action (only {INVOKE_ACTION})"),
            });
        }
        covers_invoke |= matches;
    }
    Ok(covers_invoke)
}

fn parse_resources(value: Option<&Value>) -> Result<Vec<String>, PolicyProblem> {
    let value = value.ok_or(PolicyProblem::MissingElement("Resource"))?;
    strings("Resource", value)?
        .into_iter()
        .map(|resource| {
            // The User Guide ("Resource format for auth policies") also shows `*/rates` and
            // `*/*`: a wildcard standing for the service ARN, matched like any pattern.
            if resource.starts_with('*') || resource.starts_with("arn:") {
                Ok(resource.to_owned())
            } else {
                Err(PolicyProblem::InvalidValue {
                    element: "Resource".to_owned(),
                    reason: format!(
                        "{resource:?} is neither \"*\", a pattern such as \"*/path\" nor an ARN"
                    ),
                })
            }
        })
        .collect()
}

fn parse_conditions(block: &Value) -> Result<Vec<Condition>, PolicyProblem> {
    let operators = block.as_object().ok_or_else(|| {
        PolicyProblem::WrongType("Condition".to_owned(), "an object of operators")
    })?;
    let mut conditions = Vec::new();
    for (operator, keys) in operators {
        let keys = keys.as_object().ok_or_else(|| {
            PolicyProblem::WrongType(
                format!("Condition {operator}"),
                "an object of condition keys",
            )
        })?;
        if keys.is_empty() {
            return Err(PolicyProblem::InvalidValue {
                element: format!("Condition {operator}"),
                reason: "has no condition keys".to_owned(),
            });
        }
        for (key, values) in keys {
            conditions.push(Condition::parse(operator, key, values)?);
        }
    }
    Ok(conditions)
}
