//! `Condition` blocks: operators, keys, and how a request's values satisfy them.
//!
//! IAM semantics: blocks and keys are ANDed, the values listed for one key are ORed; a negated
//! operator (`StringNotEquals`, …) holds when no listed value matches, including when the key is
//! absent; `…IfExists` holds when the key is absent; `ForAnyValue:`/`ForAllValues:` quantify
//! over multi-valued keys (repeated headers or query parameters); `Null` tests presence.

use std::borrow::Cow;

use http::HeaderValue;
use http::header::GetAll;

use super::arn::Arn;
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

/// The condition keys lattice-local can supply.
#[derive(Debug, Clone, PartialEq, Eq)]
enum ConditionKey {
    SourceVpc,
    SourceVpcOwnerAccount,
    RequestMethod,
    RequestPath,
    /// Lowercased header name.
    RequestHeader(String),
    /// Query parameter name (case-sensitive).
    RequestQueryString(String),
    ServiceArn,
    ServiceNetworkArn,
    Port,
    PrincipalOrgId,
    PrincipalArn,
    PrincipalAccount,
    PrincipalIsAwsService,
    PrincipalType,
}

impl ConditionKey {
    /// Parses a key; key names are case-insensitive, as in IAM.
    fn parse(name: &str) -> Result<ConditionKey, PolicyProblem> {
        let unsupported = || PolicyProblem::UnsupportedConditionKey(name.to_owned());
        let lower = name.to_ascii_lowercase();
        let key = if let Some(rest) = lower.strip_prefix("vpc-lattice-svcs:") {
            if let Some(header) = rest.strip_prefix("requestheader/") {
                if header.is_empty() || http::HeaderName::from_bytes(header.as_bytes()).is_err() {
                    return Err(unsupported());
                }
                ConditionKey::RequestHeader(header.to_owned())
            } else if rest.starts_with("requestquerystring/") {
                // Keep the parameter name's case: query parameters are case-sensitive.
                let parameter = &name["vpc-lattice-svcs:requestquerystring/".len()..];
                if parameter.is_empty() {
                    return Err(unsupported());
                }
                ConditionKey::RequestQueryString(parameter.to_owned())
            } else {
                match rest {
                    "sourcevpc" => ConditionKey::SourceVpc,
                    "sourcevpcowneraccount" => ConditionKey::SourceVpcOwnerAccount,
                    "requestmethod" => ConditionKey::RequestMethod,
                    "requestpath" => ConditionKey::RequestPath,
                    "servicearn" => ConditionKey::ServiceArn,
                    "servicenetworkarn" => ConditionKey::ServiceNetworkArn,
                    "port" => ConditionKey::Port,
                    _ => return Err(unsupported()),
                }
            }
        } else {
            match lower.as_str() {
                "aws:principalorgid" => ConditionKey::PrincipalOrgId,
                "aws:principalarn" => ConditionKey::PrincipalArn,
                "aws:principalaccount" => ConditionKey::PrincipalAccount,
                "aws:principalisawsservice" => ConditionKey::PrincipalIsAwsService,
                "aws:principaltype" => ConditionKey::PrincipalType,
                _ => return Err(unsupported()),
            }
        };
        Ok(key)
    }

    fn values<'a>(&'a self, facts: &'a PolicyRequest<'a>) -> Values<'a> {
        let one = |value: Option<&'a str>| {
            value.map_or(Values::Absent, |v| Values::One(Cow::Borrowed(v)))
        };
        let caller = facts.caller;
        match self {
            ConditionKey::SourceVpc => one(facts.source_vpc_id),
            ConditionKey::SourceVpcOwnerAccount => one(facts.source_vpc_owner_account),
            ConditionKey::RequestMethod => one(Some(facts.method)),
            ConditionKey::RequestPath => one(Some(facts.path)),
            ConditionKey::RequestHeader(name) => {
                Values::Header(facts.headers.get_all(name.as_str()))
            }
            ConditionKey::RequestQueryString(name) => Values::Query(facts.query, name),
            ConditionKey::ServiceArn => one(Some(facts.service_arn)),
            ConditionKey::ServiceNetworkArn => one(facts.service_network_arn),
            ConditionKey::Port => Values::One(Cow::Owned(facts.port.to_string())),
            ConditionKey::PrincipalOrgId => one(caller.and_then(|c| c.principal_org_id.as_deref())),
            ConditionKey::PrincipalArn => one(caller.map(|c| c.principal_arn.as_str())),
            ConditionKey::PrincipalAccount => one(caller.map(|c| c.account())),
            // Local callers are never AWS service principals.
            ConditionKey::PrincipalIsAwsService => one(caller.map(|_| "false")),
            ConditionKey::PrincipalType => {
                one(Some(caller.map_or("Anonymous", |c| c.principal_type())))
            }
        }
    }
}

/// The request's values for one key.
enum Values<'a> {
    Absent,
    One(Cow<'a, str>),
    Header(GetAll<'a, HeaderValue>),
    Query(&'a [(String, String)], &'a str),
}

impl Values<'_> {
    /// Whether any value satisfies `predicate`.
    fn any(&self, mut predicate: impl FnMut(&str) -> bool) -> bool {
        match self {
            Values::Absent => false,
            Values::One(value) => predicate(value),
            Values::Header(values) => values
                .iter()
                .filter_map(|v| v.to_str().ok())
                .any(|v| predicate(v.trim())),
            Values::Query(pairs, name) => pairs
                .iter()
                .filter(|(k, _)| k == name)
                .any(|(_, v)| predicate(v)),
        }
    }

    fn is_empty(&self) -> bool {
        !self.any(|_| true)
    }

    fn all(&self, mut predicate: impl FnMut(&str) -> bool) -> bool {
        !self.any(|v| !predicate(v))
    }
}

impl Condition {
    /// Parses one `operator` / `key` / `values` triple of a `Condition` block.
    pub(crate) fn parse(
        operator: &str,
        key: &str,
        values: &serde_json::Value,
    ) -> Result<Condition, PolicyProblem> {
        let operator = Operator::parse(operator)?;
        let parsed_key = ConditionKey::parse(key)?;
        let invalid = |reason: String| PolicyProblem::InvalidValue {
            element: format!("Condition {key}"),
            reason,
        };
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
            _ => {}
        }
        Ok(Condition {
            operator,
            key: parsed_key,
            values: strings,
            numbers,
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
            BaseOperator::Null => false,
        }
    }
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
mod tests {
    use super::*;
    use crate::auth::{Caller, SigningAlgorithm};
    use http::HeaderMap;
    use serde_json::json;

    fn caller() -> Caller {
        Caller {
            principal_arn: "arn:aws:sts::111122223333:assumed-role/app/s".to_owned(),
            principal_org_id: Some("o-org1".to_owned()),
            session_name: None,
            access_key_id: "AKIA1".to_owned(),
            source_vpc_arn: None,
            algorithm: SigningAlgorithm::SigV4,
        }
    }

    fn holds(
        operator: &str,
        key: &str,
        values: serde_json::Value,
        facts: &PolicyRequest<'_>,
    ) -> bool {
        Condition::parse(operator, key, &values)
            .expect("valid condition")
            .holds(facts)
    }

    fn with_facts<R>(caller: Option<&Caller>, f: impl FnOnce(&PolicyRequest<'_>) -> R) -> R {
        let mut headers = HeaderMap::new();
        headers.append("x-team", HeaderValue::from_static("blue"));
        headers.append("x-team", HeaderValue::from_static("green"));
        let query = vec![("id".to_owned(), "7".to_owned())];
        let facts = PolicyRequest {
            caller,
            method: "GET",
            path: "/app/items",
            headers: &headers,
            query: &query,
            source_vpc_id: Some("vpc-0abc"),
            source_vpc_owner_account: Some("111122223333"),
            service_arn: "arn:aws:vpc-lattice:us-west-2:111122223333:service/svc-1",
            service_network_arn: None,
            port: 443,
        };
        f(&facts)
    }

    #[test]
    fn string_operators_and_negation() {
        let c = caller();
        with_facts(Some(&c), |f| {
            assert!(holds(
                "StringEquals",
                "vpc-lattice-svcs:RequestMethod",
                json!("GET"),
                f
            ));
            assert!(!holds(
                "StringEquals",
                "vpc-lattice-svcs:RequestMethod",
                json!("get"),
                f
            ));
            assert!(holds(
                "StringEqualsIgnoreCase",
                "vpc-lattice-svcs:RequestMethod",
                json!("get"),
                f
            ));
            assert!(holds(
                "StringNotEquals",
                "vpc-lattice-svcs:RequestMethod",
                json!(["POST", "PUT"]),
                f
            ));
            assert!(!holds(
                "StringNotEquals",
                "vpc-lattice-svcs:RequestMethod",
                json!(["POST", "GET"]),
                f
            ));
            assert!(holds(
                "StringLike",
                "vpc-lattice-svcs:RequestPath",
                json!("/app/*"),
                f
            ));
            assert!(holds(
                "StringNotLike",
                "vpc-lattice-svcs:RequestPath",
                json!("/admin/*"),
                f
            ));
            assert!(holds(
                "StringEquals",
                "aws:PrincipalOrgID",
                json!("o-org1"),
                f
            ));
            assert!(holds(
                "StringEquals",
                "aws:PrincipalAccount",
                json!("111122223333"),
                f
            ));
            assert!(holds(
                "StringEquals",
                "aws:PrincipalType",
                json!("AssumedRole"),
                f
            ));
            assert!(holds(
                "NumericEquals",
                "vpc-lattice-svcs:Port",
                json!(443),
                f
            ));
            assert!(holds(
                "NumericLessThan",
                "vpc-lattice-svcs:Port",
                json!("1024"),
                f
            ));
            assert!(holds("Bool", "aws:PrincipalIsAWSService", json!(false), f));
            assert!(holds(
                "ArnLike",
                "aws:PrincipalArn",
                json!("arn:aws:sts::*:assumed-role/app/*"),
                f
            ));
            assert!(!holds(
                "ArnLike",
                "aws:PrincipalArn",
                json!("arn:aws:iam::*:role/app"),
                f
            ));
            assert!(holds(
                "StringEquals",
                "vpc-lattice-svcs:RequestQueryString/id",
                json!("7"),
                f
            ));
            assert!(holds(
                "StringEquals",
                "vpc-lattice-svcs:SourceVpc",
                json!("vpc-0abc"),
                f
            ));
        });
    }

    #[test]
    fn absent_keys_if_exists_and_null() {
        with_facts(None, |f| {
            assert!(!holds(
                "StringEquals",
                "aws:PrincipalOrgID",
                json!("o-org1"),
                f
            ));
            // A negated operator holds when the key is absent.
            assert!(holds(
                "StringNotEquals",
                "aws:PrincipalOrgID",
                json!("o-org1"),
                f
            ));
            assert!(holds(
                "StringEqualsIfExists",
                "aws:PrincipalOrgID",
                json!("o-org1"),
                f
            ));
            assert!(holds("Null", "aws:PrincipalOrgID", json!("true"), f));
            assert!(!holds(
                "Null",
                "vpc-lattice-svcs:SourceVpc",
                json!("true"),
                f
            ));
            assert!(holds(
                "StringEqualsIgnoreCase",
                "aws:PrincipalType",
                json!("anonymous"),
                f
            ));
        });
    }

    #[test]
    fn multi_valued_headers_and_quantifiers() {
        with_facts(None, |f| {
            assert!(holds(
                "StringEquals",
                "vpc-lattice-svcs:RequestHeader/X-Team",
                json!("green"),
                f
            ));
            assert!(holds(
                "ForAnyValue:StringEquals",
                "vpc-lattice-svcs:RequestHeader/x-team",
                json!("blue"),
                f
            ));
            assert!(!holds(
                "ForAllValues:StringEquals",
                "vpc-lattice-svcs:RequestHeader/x-team",
                json!("blue"),
                f
            ));
            assert!(holds(
                "ForAllValues:StringEquals",
                "vpc-lattice-svcs:RequestHeader/x-team",
                json!(["blue", "green"]),
                f
            ));
            assert!(holds(
                "ForAnyValue:StringNotEquals",
                "vpc-lattice-svcs:RequestHeader/x-team",
                json!("blue"),
                f
            ));
            // ForAllValues holds vacuously for an absent key; ForAnyValue does not.
            assert!(holds(
                "ForAllValues:StringEquals",
                "vpc-lattice-svcs:RequestHeader/x-absent",
                json!("a"),
                f
            ));
            assert!(!holds(
                "ForAnyValue:StringEquals",
                "vpc-lattice-svcs:RequestHeader/x-absent",
                json!("a"),
                f
            ));
        });
    }

    #[test]
    fn unsupported_operators_keys_and_values_are_named() {
        let err = |op: &str, key: &str, v: serde_json::Value| {
            Condition::parse(op, key, &v)
                .expect_err("rejected")
                .to_string()
        };
        assert!(
            err("DateGreaterThan", "aws:CurrentTime", json!("2020-01-01"))
                .contains("DateGreaterThan")
        );
        assert!(err("IpAddress", "aws:SourceIp", json!("10.0.0.0/8")).contains("IpAddress"));
        assert!(err("StringEquals", "aws:SourceIp", json!("x")).contains("aws:SourceIp"));
        assert!(
            err("StringEquals", "vpc-lattice-svcs:Unknown", json!("x"))
                .contains("vpc-lattice-svcs:Unknown")
        );
        assert!(err("NullIfExists", "aws:PrincipalArn", json!("true")).contains("NullIfExists"));
        assert!(
            err("NumericEquals", "vpc-lattice-svcs:Port", json!("http")).contains("not a number")
        );
        assert!(err("Bool", "aws:PrincipalIsAWSService", json!("yes")).contains("true or false"));
        assert!(
            err("StringEquals", "aws:PrincipalArn", json!("${aws:username}"))
                .contains("policy variables")
        );
        assert!(err("StringEquals", "aws:PrincipalArn", json!([])).contains("no values"));
    }
}
