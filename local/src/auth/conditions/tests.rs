//! Condition operators and keys against real-shaped request facts.

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

fn holds(operator: &str, key: &str, values: serde_json::Value, facts: &PolicyRequest<'_>) -> bool {
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
        err("DateGreaterThan", "aws:CurrentTime", json!("2020-01-01")).contains("DateGreaterThan")
    );
    assert!(err("IpAddress", "aws:PrincipalArn", json!("10.0.0.0/8")).contains("IpAddress"));
    assert!(err("StringEquals", "aws:SourceIp", json!("x")).contains("aws:SourceIp"));
    assert!(err("IpAddress", "aws:SourceIp", json!("10.0.0/8")).contains("CIDR"));
    assert!(
        err("StringEquals", "aws:SecureTransport", json!("true")).contains("aws:SecureTransport")
    );
    assert!(
        err("StringEquals", "vpc-lattice-svcs:Unknown", json!("x"))
            .contains("vpc-lattice-svcs:Unknown")
    );
    assert!(err("NullIfExists", "aws:PrincipalArn", json!("true")).contains("NullIfExists"));
    assert!(err("NumericEquals", "vpc-lattice-svcs:Port", json!("http")).contains("not a number"));
    assert!(err("Bool", "aws:PrincipalIsAWSService", json!("yes")).contains("true or false"));
    assert!(
        err("StringEquals", "aws:PrincipalArn", json!("${aws:username}"))
            .contains("policy variables")
    );
    assert!(err("StringEquals", "aws:PrincipalArn", json!([])).contains("no values"));
}
