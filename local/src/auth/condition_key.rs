//! The condition keys lattice-local can supply, and each key's values for one request.
//!
//! The `vpc-lattice-svcs:` keys are the ones the VPC Lattice User Guide lists ("Condition keys
//! that can be used in auth policies"); the global keys are those of the IAM User Guide that a
//! Lattice request has a value for locally (principal, organization, tags, source IP). Any other
//! key is refused by name when the policy is loaded, so a policy never depends on a key
//! lattice-local would silently treat as absent.
//!
//! Key names are matched without regard to case, as IAM does; so is the tag key inside
//! `aws:PrincipalTag/<key>` and `aws:ResourceTag/<key>` (IAM tag keys are unique without regard
//! to case). A query parameter name keeps its case: query parameters are case-sensitive.

use std::borrow::Cow;
use std::collections::BTreeMap;

use super::policy_error::PolicyProblem;
use super::policy_request::PolicyRequest;

/// How Lattice hands a repeated request header to a target: one value, joined with `", "` (the
/// library writes V1 events the same way, `lattice_lambda`'s `event::v1`), so a policy judges the
/// value the target acts on rather than each copy a client chose to send.
const HEADER_JOINER: &str = ", ";

/// A condition key lattice-local supplies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ConditionKey {
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
    PrincipalOrgPaths,
    PrincipalArn,
    PrincipalAccount,
    PrincipalIsAwsService,
    PrincipalType,
    /// Lowercased tag key.
    PrincipalTag(String),
    /// Lowercased tag key.
    ResourceTag(String),
    SourceIp,
}

/// The request's values for one key.
pub(crate) enum Values<'a> {
    Absent,
    One(Cow<'a, str>),
    /// Every value of a repeated query parameter.
    Query(&'a [(String, String)], &'a str),
}

impl Values<'_> {
    /// Whether any value satisfies `predicate`.
    pub(crate) fn any(&self, mut predicate: impl FnMut(&str) -> bool) -> bool {
        match self {
            Values::Absent => false,
            Values::One(value) => predicate(value),
            Values::Query(pairs, name) => pairs
                .iter()
                .filter(|(k, _)| k == name)
                .any(|(_, v)| predicate(v)),
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        !self.any(|_| true)
    }

    pub(crate) fn all(&self, mut predicate: impl FnMut(&str) -> bool) -> bool {
        !self.any(|v| !predicate(v))
    }
}

/// The text after `prefix` (matched without regard to case) in `name`, keeping its case.
fn suffix_after<'n>(name: &'n str, prefix: &str) -> Option<&'n str> {
    let head = name.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &name[prefix.len()..])
}

impl ConditionKey {
    /// Parses a key (`vpc-lattice-svcs:RequestHeader/x-team`, `aws:PrincipalTag/team`, …).
    pub(crate) fn parse(name: &str) -> Result<ConditionKey, PolicyProblem> {
        let unsupported = || PolicyProblem::UnsupportedConditionKey(name.to_owned());
        let non_empty = |suffix: &str| {
            if suffix.is_empty() {
                Err(unsupported())
            } else {
                Ok(suffix.to_owned())
            }
        };
        if let Some(header) = suffix_after(name, "vpc-lattice-svcs:RequestHeader/") {
            let header = header.to_ascii_lowercase();
            if http::HeaderName::from_bytes(header.as_bytes()).is_err() {
                return Err(unsupported());
            }
            return Ok(ConditionKey::RequestHeader(header));
        }
        if let Some(parameter) = suffix_after(name, "vpc-lattice-svcs:RequestQueryString/") {
            return non_empty(parameter).map(ConditionKey::RequestQueryString);
        }
        if let Some(tag) = suffix_after(name, "aws:PrincipalTag/") {
            return non_empty(&tag.to_lowercase()).map(ConditionKey::PrincipalTag);
        }
        if let Some(tag) = suffix_after(name, "aws:ResourceTag/") {
            return non_empty(&tag.to_lowercase()).map(ConditionKey::ResourceTag);
        }
        let key = match name.to_ascii_lowercase().as_str() {
            "vpc-lattice-svcs:sourcevpc" => ConditionKey::SourceVpc,
            "vpc-lattice-svcs:sourcevpcowneraccount" => ConditionKey::SourceVpcOwnerAccount,
            "vpc-lattice-svcs:requestmethod" => ConditionKey::RequestMethod,
            "vpc-lattice-svcs:requestpath" => ConditionKey::RequestPath,
            "vpc-lattice-svcs:servicearn" => ConditionKey::ServiceArn,
            "vpc-lattice-svcs:servicenetworkarn" => ConditionKey::ServiceNetworkArn,
            "vpc-lattice-svcs:port" => ConditionKey::Port,
            "aws:principalorgid" => ConditionKey::PrincipalOrgId,
            "aws:principalorgpaths" => ConditionKey::PrincipalOrgPaths,
            "aws:principalarn" => ConditionKey::PrincipalArn,
            "aws:principalaccount" => ConditionKey::PrincipalAccount,
            "aws:principalisawsservice" => ConditionKey::PrincipalIsAwsService,
            "aws:principaltype" => ConditionKey::PrincipalType,
            "aws:sourceip" => ConditionKey::SourceIp,
            _ => return Err(unsupported()),
        };
        Ok(key)
    }

    /// The request's values for this key.
    pub(crate) fn values<'a>(&'a self, facts: &'a PolicyRequest<'a>) -> Values<'a> {
        let one = |value: Option<&'a str>| {
            value.map_or(Values::Absent, |v| Values::One(Cow::Borrowed(v)))
        };
        let caller = facts.caller;
        match self {
            ConditionKey::SourceVpc => one(facts.source_vpc_id),
            ConditionKey::SourceVpcOwnerAccount => one(facts.source_vpc_owner_account),
            ConditionKey::RequestMethod => one(Some(facts.method)),
            ConditionKey::RequestPath => one(Some(facts.path)),
            ConditionKey::RequestHeader(name) => joined_header(facts.headers, name),
            ConditionKey::RequestQueryString(name) => Values::Query(facts.query, name),
            ConditionKey::ServiceArn => one(Some(facts.service_arn)),
            ConditionKey::ServiceNetworkArn => one(facts.service_network_arn),
            ConditionKey::Port => Values::One(Cow::Owned(facts.port.to_string())),
            ConditionKey::PrincipalOrgId => one(caller.and_then(|c| c.principal_org_id.as_deref())),
            ConditionKey::PrincipalOrgPaths => {
                one(caller.and_then(|c| c.principal_org_path.as_deref()))
            }
            ConditionKey::PrincipalArn => one(caller.map(|c| c.principal_arn.as_str())),
            ConditionKey::PrincipalAccount => one(caller.map(|c| c.account())),
            // Local callers are never AWS service principals.
            ConditionKey::PrincipalIsAwsService => one(caller.map(|_| "false")),
            ConditionKey::PrincipalType => {
                one(Some(caller.map_or("Anonymous", |c| c.principal_type())))
            }
            ConditionKey::PrincipalTag(tag) => one(caller.and_then(|c| tag_value(&c.tags, tag))),
            ConditionKey::ResourceTag(tag) => one(tag_value(facts.resource_tags, tag)),
            ConditionKey::SourceIp => facts
                .source_ip
                .map_or(Values::Absent, |ip| Values::One(Cow::Owned(ip.to_string()))),
        }
    }
}

/// The value of tag `folded_key` (already lower case), whatever the case of the stored key.
fn tag_value<'a>(tags: &'a BTreeMap<String, String>, folded_key: &str) -> Option<&'a str> {
    tags.iter()
        .find(|(key, _)| key.to_lowercase() == folded_key)
        .map(|(_, value)| value.as_str())
}

/// A header as the target sees it: every value in order, joined; bytes that are not UTF-8 are
/// replaced (as in the event the library writes) rather than making the header look absent.
fn joined_header<'a>(headers: &'a http::HeaderMap, name: &str) -> Values<'a> {
    let mut values = headers.get_all(name).iter();
    let Some(first) = values.next() else {
        return Values::Absent;
    };
    let mut joined = String::from_utf8_lossy(first.as_bytes());
    for value in values {
        let joined = joined.to_mut();
        joined.push_str(HEADER_JOINER);
        joined.push_str(&String::from_utf8_lossy(value.as_bytes()));
    }
    Values::One(joined)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_names_ignore_case_but_query_names_and_tag_values_do_not() {
        assert_eq!(
            ConditionKey::parse("VPC-LATTICE-SVCS:requestHeader/X-Team"),
            Ok(ConditionKey::RequestHeader("x-team".into()))
        );
        assert_eq!(
            ConditionKey::parse("vpc-lattice-svcs:RequestQueryString/PageSize"),
            Ok(ConditionKey::RequestQueryString("PageSize".into()))
        );
        assert_eq!(
            ConditionKey::parse("AWS:principaltag/Team"),
            Ok(ConditionKey::PrincipalTag("team".into()))
        );
        assert_eq!(
            ConditionKey::parse("aws:ResourceTag/Environment"),
            Ok(ConditionKey::ResourceTag("environment".into()))
        );
        assert_eq!(
            ConditionKey::parse("aws:SourceIP"),
            Ok(ConditionKey::SourceIp)
        );
    }

    #[test]
    fn unknown_and_empty_keys_are_named() {
        for key in [
            "vpc-lattice-svcs:RequestHeader/",
            "vpc-lattice-svcs:RequestHeader/bad header",
            "vpc-lattice-svcs:RequestQueryString/",
            "aws:PrincipalTag/",
            "aws:ResourceTag/",
            "aws:CurrentTime",
            "aws:SecureTransport",
            "aws:userid",
            "vpc-lattice-svcs:Unknown",
        ] {
            assert_eq!(
                ConditionKey::parse(key),
                Err(PolicyProblem::UnsupportedConditionKey(key.to_owned())),
                "{key}"
            );
        }
    }

    #[test]
    fn repeated_headers_are_one_joined_value_and_non_ascii_bytes_are_kept() {
        let mut headers = http::HeaderMap::new();
        headers.append("x-team", http::HeaderValue::from_static("blue"));
        headers.append("x-team", http::HeaderValue::from_static("green"));
        let non_ascii = http::HeaderValue::from_bytes("équipe".as_bytes()).expect("obs-text");
        headers.append("x-name", non_ascii);
        let invalid = http::HeaderValue::from_bytes(b"a\xffb").expect("obs-text");
        headers.append("x-raw", invalid);
        let text = |name: &str| match joined_header(&headers, name) {
            Values::One(value) => Some(value.into_owned()),
            _ => None,
        };
        assert_eq!(text("x-team").as_deref(), Some("blue, green"));
        assert_eq!(text("x-name").as_deref(), Some("équipe"));
        assert_eq!(text("x-raw").as_deref(), Some("a\u{fffd}b"));
        assert_eq!(text("x-absent"), None);
    }
}
