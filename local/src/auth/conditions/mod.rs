//! `Condition` blocks: operators, keys, and how a request's values satisfy them.
//!
//! IAM semantics: blocks and keys are ANDed, the values listed for one key are ORed; a negated
//! operator (`StringNotEquals`, …) holds when no listed value matches, including when the key is
//! absent; `…IfExists` holds when the key is absent; `ForAnyValue:`/`ForAllValues:` quantify
//! over multi-valued keys (repeated query parameters, organization paths); `Null` tests
//! presence. `IpAddress`/`NotIpAddress` compare `aws:SourceIp` with CIDR blocks, and are the only
//! operators that key takes (as in IAM).

use std::net::IpAddr;

use ipnet::IpNet;

use super::arn::Arn;
use super::condition_key::ConditionKey;
use super::policy_error::PolicyProblem;
use super::policy_request::PolicyRequest;
use super::wildcard::wildcard_match;

/// One `"Operator": {"key": values}` entry.
#[derive(Debug, Clone)]
pub(crate) struct Condition {
    operator: Operator,
    key: ConditionKey,
    values: Vec<String>,
    /// The values parsed as numbers (numeric operators only).
    numbers: Vec<f64>,
    /// The values parsed as address blocks (`IpAddress`/`NotIpAddress` only).
    networks: Vec<IpNet>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Quantifier {
    /// No set qualifier.
    Single,
    ForAnyValue,
    ForAllValues,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Comparison {
    Equal,
    Less,
    LessOrEqual,
    Greater,
    GreaterOrEqual,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BaseOperator {
    StringEquals,
    StringEqualsIgnoreCase,
    StringLike,
    ArnLike,
    Bool,
    Numeric(Comparison),
    IpAddress,
    Null,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Operator {
    base: BaseOperator,
    negated: bool,
    quantifier: Quantifier,
    if_exists: bool,
}

impl Operator {
    fn parse(name: &str) -> Result<Operator, PolicyProblem> {
        let unsupported = || PolicyProblem::UnsupportedOperator(name.to_owned());
        let (quantifier, rest) = if let Some(rest) = name.strip_prefix("ForAnyValue:") {
            (Quantifier::ForAnyValue, rest)
        } else if let Some(rest) = name.strip_prefix("ForAllValues:") {
            (Quantifier::ForAllValues, rest)
        } else {
            (Quantifier::Single, name)
        };
        let (if_exists, base_name) = match rest.strip_suffix("IfExists") {
            Some(base) => (true, base),
            None => (false, rest),
        };
        use BaseOperator::*;
        use Comparison::*;
        let (base, negated) = match base_name {
            "StringEquals" => (StringEquals, false),
            "StringNotEquals" => (StringEquals, true),
            "StringEqualsIgnoreCase" => (StringEqualsIgnoreCase, false),
            "StringNotEqualsIgnoreCase" => (StringEqualsIgnoreCase, true),
            "StringLike" => (StringLike, false),
            "StringNotLike" => (StringLike, true),
            // IAM treats ArnEquals exactly like ArnLike (wildcards allowed in both).
            "ArnEquals" | "ArnLike" => (ArnLike, false),
            "ArnNotEquals" | "ArnNotLike" => (ArnLike, true),
            "Bool" => (Bool, false),
            "NumericEquals" => (Numeric(Equal), false),
            "NumericNotEquals" => (Numeric(Equal), true),
            "NumericLessThan" => (Numeric(Less), false),
            "NumericLessThanEquals" => (Numeric(LessOrEqual), false),
            "NumericGreaterThan" => (Numeric(Greater), false),
            "NumericGreaterThanEquals" => (Numeric(GreaterOrEqual), false),
            "IpAddress" => (IpAddress, false),
            "NotIpAddress" => (IpAddress, true),
            "Null" if !if_exists && quantifier == Quantifier::Single => (Null, false),
            _ => return Err(unsupported()),
        };
        Ok(Operator {
            base,
            negated,
            quantifier,
            if_exists,
        })
    }
}

impl Condition {
    /// Parses one `operator` / `key` / `values` triple of a `Condition` block.
    pub(crate) fn parse(
        operator: &str,
        key: &str,
        values: &serde_json::Value,
    ) -> Result<Condition, PolicyProblem> {
        let operator_name = operator;
        let operator = Operator::parse(operator)?;
        let parsed_key = ConditionKey::parse(key)?;
        let invalid = |reason: String| PolicyProblem::InvalidValue {
            element: format!("Condition {key}"),
            reason,
        };
        // IAM pairs the address operators with aws:SourceIp only, and that key with them (and
        // Null) only: a string comparison of an address would silently never match.
        let ip_operator = operator.base == BaseOperator::IpAddress;
        let ip_key = parsed_key == ConditionKey::SourceIp;
        if ip_operator != ip_key && operator.base != BaseOperator::Null {
            return Err(invalid(format!(
                "operator {operator_name} cannot be used with this key (aws:SourceIp takes IpAddress or NotIpAddress, and those take only aws:SourceIp)"
            )));
        }
        let scalars: Vec<&serde_json::Value> = match values {
            serde_json::Value::Array(items) => items.iter().collect(),
            other => vec![other],
        };
        if scalars.is_empty() {
            return Err(invalid("has no values".to_owned()));
        }
        let mut strings = Vec::with_capacity(scalars.len());
        for value in scalars {
            let text = match value {
                serde_json::Value::String(s) => s.clone(),
                serde_json::Value::Bool(b) => b.to_string(),
                serde_json::Value::Number(n) => n.to_string(),
                other => {
                    return Err(invalid(format!(
                        "value {other} is not a string, number or boolean"
                    )));
                }
            };
            if text.contains("${") {
                return Err(PolicyProblem::PolicyVariable(text));
            }
            strings.push(text);
        }
        let mut numbers = Vec::new();
        let mut networks = Vec::new();
        match operator.base {
            BaseOperator::Bool | BaseOperator::Null => {
                if let Some(bad) = strings
                    .iter()
                    .find(|s| !s.eq_ignore_ascii_case("true") && !s.eq_ignore_ascii_case("false"))
                {
                    return Err(invalid(format!("{bad:?} is not true or false")));
                }
            }
            BaseOperator::Numeric(_) => {
                for s in &strings {
                    numbers.push(
                        s.parse::<f64>()
                            .map_err(|_| invalid(format!("{s:?} is not a number")))?,
                    );
                }
            }
            BaseOperator::IpAddress => {
                for s in &strings {
                    networks.push(parse_network(s).ok_or_else(|| {
                        invalid(format!(
                            "{s:?} is not an IP address or CIDR block such as 203.0.113.0/24"
                        ))
                    })?);
                }
            }
            _ => {}
        }
        Ok(Condition {
            operator,
            key: parsed_key,
            values: strings,
            numbers,
            networks,
        })
    }

    /// Whether the request satisfies this condition.
    pub(crate) fn holds(&self, facts: &PolicyRequest<'_>) -> bool {
        let values = self.key.values(facts);
        let op = self.operator;
        if op.base == BaseOperator::Null {
            let absent = values.is_empty();
            return self
                .values
                .iter()
                .any(|want| want.eq_ignore_ascii_case("true") == absent);
        }
        if op.if_exists && values.is_empty() {
            return true;
        }
        let matches = |request_value: &str| self.matches_any(request_value);
        match (op.quantifier, op.negated) {
            (Quantifier::Single, false) | (Quantifier::ForAnyValue, false) => values.any(matches),
            (Quantifier::Single, true) => !values.any(matches),
            (Quantifier::ForAnyValue, true) => values.any(|v| !matches(v)),
            (Quantifier::ForAllValues, false) => values.all(matches),
            (Quantifier::ForAllValues, true) => values.all(|v| !matches(v)),
        }
    }

    /// Whether `request_value` matches one of the policy's values (before negation).
    fn matches_any(&self, request_value: &str) -> bool {
        match self.operator.base {
            BaseOperator::StringEquals => self.values.iter().any(|v| v == request_value),
            BaseOperator::StringEqualsIgnoreCase => self
                .values
                .iter()
                .any(|v| equal_ignoring_case(v, request_value)),
            BaseOperator::StringLike => self
                .values
                .iter()
                .any(|v| wildcard_match(v, request_value, false)),
            BaseOperator::ArnLike => self.values.iter().any(|v| arn_like(v, request_value)),
            BaseOperator::Bool => self
                .values
                .iter()
                .any(|v| v.eq_ignore_ascii_case(request_value)),
            BaseOperator::Numeric(comparison) => {
                let Ok(number) = request_value.parse::<f64>() else {
                    return false;
                };
                self.numbers.iter().any(|&limit| match comparison {
                    Comparison::Equal => number == limit,
                    Comparison::Less => number < limit,
                    Comparison::LessOrEqual => number <= limit,
                    Comparison::Greater => number > limit,
                    Comparison::GreaterOrEqual => number >= limit,
                })
            }
            BaseOperator::IpAddress => {
                let Ok(address) = request_value.parse::<IpAddr>() else {
                    return false;
                };
                // An IPv4 client on an IPv6 socket arrives as ::ffff:a.b.c.d.
                let address = address.to_canonical();
                self.networks
                    .iter()
                    .any(|network| network.contains(&address))
            }
            BaseOperator::Null => false,
        }
    }
}

/// A CIDR block, or a single address (IAM reads `203.0.113.5` as `203.0.113.5/32`).
fn parse_network(text: &str) -> Option<IpNet> {
    text.parse::<IpNet>()
        .ok()
        .or_else(|| text.parse::<IpAddr>().ok().map(IpNet::from))
        .map(|network| network.trunc())
}

fn equal_ignoring_case(a: &str, b: &str) -> bool {
    a.chars()
        .flat_map(char::to_lowercase)
        .eq(b.chars().flat_map(char::to_lowercase))
}

/// `ArnLike`: each of the six colon-separated fields is matched on its own, with wildcards.
fn arn_like(pattern: &str, value: &str) -> bool {
    if pattern == "*" {
        return true;
    }
    if Arn::parse(value).is_none() {
        return false;
    }
    let mut pattern_fields = pattern.splitn(6, ':');
    let mut value_fields = value.splitn(6, ':');
    loop {
        match (pattern_fields.next(), value_fields.next()) {
            (None, None) => return true,
            (Some(p), Some(v)) if wildcard_match(p, v, false) => {}
            _ => return false,
        }
    }
}

#[cfg(test)]
mod tests;
