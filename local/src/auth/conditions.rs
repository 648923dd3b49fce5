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
mod tests {
    use super::*;
    use crate::auth::{Caller, SigningAlgorithm};
    use http::{HeaderMap, HeaderValue};
    use serde_json::json;
    use std::collections::BTreeMap;

    fn caller() -> Caller {
        Caller {
            principal_arn: "arn:aws:sts::111122223333:assumed-role/app/s".to_owned(),
            principal_org_id: Some("o-org1".to_owned()),
            principal_org_path: Some("o-org1/r-ab12/ou-ab12-11111111/".to_owned()),
            tags: BTreeMap::from([("Team".to_owned(), "blue".to_owned())]),
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
        headers.append(
            "x-name",
            HeaderValue::from_bytes("équipe".as_bytes()).expect("obs-text"),
        );
        let query = vec![
            ("id".to_owned(), "7".to_owned()),
            ("tag".to_owned(), "a".to_owned()),
            ("tag".to_owned(), "b".to_owned()),
        ];
        let resource_tags = BTreeMap::from([("Environment".to_owned(), "gamma".to_owned())]);
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
            source_ip: Some("10.1.2.3".parse().expect("address")),
            resource_tags: &resource_tags,
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
    fn repeated_headers_are_judged_as_one_joined_value() {
        with_facts(None, |f| {
            let header = "vpc-lattice-svcs:RequestHeader/x-team";
            // The target sees "blue, green": neither copy alone decides.
            assert!(holds("StringEquals", header, json!("blue, green"), f));
            assert!(!holds("StringEquals", header, json!("blue"), f));
            assert!(!holds("StringEquals", header, json!("green"), f));
            assert!(holds("StringNotEquals", header, json!("blue"), f));
            assert!(holds("StringLike", header, json!("*green"), f));
            assert!(holds(
                "ForAllValues:StringEquals",
                header,
                json!(["blue, green"]),
                f
            ));
            assert!(!holds(
                "ForAnyValue:StringEquals",
                header,
                json!(["blue"]),
                f
            ));
        });
    }

    #[test]
    fn a_non_ascii_header_value_is_compared_not_absent() {
        with_facts(None, |f| {
            let header = "vpc-lattice-svcs:RequestHeader/x-name";
            assert!(holds("StringEquals", header, json!("équipe"), f));
            assert!(!holds("StringEquals", header, json!("equipe"), f));
            assert!(!holds("Null", header, json!("true"), f));
            // A Deny on "anything but équipe" must not be dodged by non-ASCII bytes.
            assert!(!holds("StringNotEquals", header, json!("équipe"), f));
        });
    }

    #[test]
    fn repeated_query_parameters_stay_several_values() {
        with_facts(None, |f| {
            let key = "vpc-lattice-svcs:RequestQueryString/tag";
            assert!(holds("StringEquals", key, json!("b"), f));
            assert!(holds("ForAnyValue:StringEquals", key, json!("a"), f));
            assert!(!holds("ForAllValues:StringEquals", key, json!("a"), f));
            assert!(holds(
                "ForAllValues:StringEquals",
                key,
                json!(["a", "b"]),
                f
            ));
            assert!(holds("ForAnyValue:StringNotEquals", key, json!("a"), f));
            // ForAllValues holds vacuously for an absent key; ForAnyValue does not.
            let absent = "vpc-lattice-svcs:RequestQueryString/absent";
            assert!(holds("ForAllValues:StringEquals", absent, json!("a"), f));
            assert!(!holds("ForAnyValue:StringEquals", absent, json!("a"), f));
        });
    }

    #[test]
    fn principal_tags_both_ways_and_absent_for_anonymous() {
        let c = caller();
        with_facts(Some(&c), |f| {
            assert!(holds(
                "StringEquals",
                "aws:PrincipalTag/team",
                json!("blue"),
                f
            ));
            assert!(holds(
                "StringEquals",
                "aws:PrincipalTag/TEAM",
                json!("blue"),
                f
            ));
            assert!(!holds(
                "StringEquals",
                "aws:PrincipalTag/team",
                json!("red"),
                f
            ));
            assert!(!holds(
                "StringEquals",
                "aws:PrincipalTag/team",
                json!("Blue"),
                f
            ));
            assert!(!holds(
                "StringEquals",
                "aws:PrincipalTag/cost",
                json!("x"),
                f
            ));
            assert!(holds("Null", "aws:PrincipalTag/cost", json!("true"), f));
        });
        with_facts(None, |f| {
            assert!(!holds(
                "StringEquals",
                "aws:PrincipalTag/team",
                json!("blue"),
                f
            ));
            assert!(holds("Null", "aws:PrincipalTag/team", json!("true"), f));
        });
    }

    #[test]
    fn resource_tags_both_ways() {
        with_facts(None, |f| {
            assert!(holds(
                "StringEquals",
                "aws:ResourceTag/environment",
                json!("gamma"),
                f
            ));
            assert!(!holds(
                "StringEquals",
                "aws:ResourceTag/Environment",
                json!("prod"),
                f
            ));
            assert!(!holds(
                "StringEquals",
                "aws:ResourceTag/owner",
                json!("gamma"),
                f
            ));
        });
    }

    #[test]
    fn source_ip_in_and_out_of_cidr_blocks() {
        with_facts(None, |f| {
            assert!(holds("IpAddress", "aws:SourceIp", json!("10.0.0.0/8"), f));
            assert!(holds(
                "IpAddress",
                "aws:SourceIp",
                json!(["192.0.2.0/24", "10.1.2.3"]),
                f
            ));
            assert!(!holds(
                "IpAddress",
                "aws:SourceIp",
                json!("192.0.2.0/24"),
                f
            ));
            assert!(!holds(
                "IpAddress",
                "aws:SourceIp",
                json!("2001:db8::/32"),
                f
            ));
            assert!(holds(
                "NotIpAddress",
                "aws:SourceIp",
                json!("192.0.2.0/24"),
                f
            ));
            assert!(!holds(
                "NotIpAddress",
                "aws:SourceIp",
                json!("10.1.0.0/16"),
                f
            ));
        });
        let mapped =
            Condition::parse("IpAddress", "aws:SourceIp", &json!("127.0.0.0/8")).expect("valid");
        let headers = HeaderMap::new();
        let facts = PolicyRequest {
            caller: None,
            method: "GET",
            path: "/",
            headers: &headers,
            query: &[],
            source_vpc_id: None,
            source_vpc_owner_account: None,
            service_arn: "arn:aws:vpc-lattice:us-west-2:111122223333:service/svc-1",
            service_network_arn: None,
            port: 80,
            source_ip: Some("::ffff:127.0.0.1".parse().expect("mapped address")),
            resource_tags: &crate::auth::NO_TAGS,
        };
        assert!(
            mapped.holds(&facts),
            "an IPv4-mapped client is its IPv4 address"
        );
        let unknown = PolicyRequest {
            source_ip: None,
            ..facts
        };
        assert!(!mapped.holds(&unknown));
    }

    #[test]
    fn organization_paths() {
        let c = caller();
        with_facts(Some(&c), |f| {
            let key = "aws:PrincipalOrgPaths";
            assert!(holds(
                "ForAnyValue:StringLike",
                key,
                json!("o-org1/r-ab12/*"),
                f
            ));
            assert!(holds(
                "ForAnyValue:StringEquals",
                key,
                json!("o-org1/r-ab12/ou-ab12-11111111/"),
                f
            ));
            assert!(!holds(
                "ForAnyValue:StringLike",
                key,
                json!("o-org1/r-ab12/ou-other/*"),
                f
            ));
        });
        with_facts(None, |f| {
            assert!(!holds(
                "ForAnyValue:StringLike",
                "aws:PrincipalOrgPaths",
                json!("*"),
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
        assert!(err("IpAddress", "aws:PrincipalArn", json!("10.0.0.0/8")).contains("IpAddress"));
        assert!(err("StringEquals", "aws:SourceIp", json!("x")).contains("aws:SourceIp"));
        assert!(err("IpAddress", "aws:SourceIp", json!("10.0.0/8")).contains("CIDR"));
        assert!(
            err("StringEquals", "aws:SecureTransport", json!("true"))
                .contains("aws:SecureTransport")
        );
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
