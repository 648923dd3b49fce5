//! How the network's and the service's policies combine, with templates shaped like real ones.

use std::collections::BTreeMap;

use super::*;
use crate::auth::SigningAlgorithm;
use crate::template::LoadOptions;

const MEMBER: &str = "arn:aws:sts::000000000000:assumed-role/app/member";

/// A network and a service with the given auth types and policy statements (YAML flow lists;
/// `None`: no policy resource).
fn service_access(
    network_auth: &str,
    network_statements: Option<&str>,
    service_auth: &str,
    service_statements: Option<&str>,
) -> ServiceAccess {
    let policy = |id: &str, target: &str, statements: Option<&str>| {
        statements.map_or(String::new(), |statements| {
            format!(
                "  {id}:\n    Type: AWS::VpcLattice::AuthPolicy\n    Properties:\n      ResourceIdentifier: !Ref {target}\n      Policy: {{ Statement: {statements} }}\n"
            )
        })
    };
    let yaml = format!(
        r#"
Resources:
  Net:
    Type: AWS::VpcLattice::ServiceNetwork
    Properties: {{ Name: net, AuthType: {network_auth} }}
  Svc:
    Type: AWS::VpcLattice::Service
    Properties:
      Name: svc
      AuthType: {service_auth}
      Tags: [ {{ Key: Environment, Value: gamma }} ]
  Lis:
    Type: AWS::VpcLattice::Listener
    Properties:
      ServiceIdentifier: !Ref Svc
      Protocol: HTTPS
      Port: 8443
      DefaultAction: {{ FixedResponse: {{ StatusCode: 200 }} }}
  Assoc:
    Type: AWS::VpcLattice::ServiceNetworkServiceAssociation
    Properties: {{ ServiceIdentifier: !Ref Svc, ServiceNetworkIdentifier: !Ref Net }}
{}{}"#,
        policy("NetPolicy", "Net", network_statements),
        policy("SvcPolicy", "Svc", service_statements),
    );
    let topology = Topology::from_yaml(&yaml, &LoadOptions::new("us-west-2")).expect("template");
    let service = topology.service("svc").expect("service");
    ServiceAccess::new(&topology, service).expect("policies parse")
}

const ALLOW_ALL: &str =
    "[ { Sid: Everyone, Effect: Allow, Principal: '*', Action: '*', Resource: '*' } ]";
const DENY_ADMIN: &str = "[ { Sid: Everyone, Effect: Allow, Principal: '*', Action: '*', Resource: '*' }, { Sid: NoAdmin, Effect: Deny, Principal: '*', Action: '*', Resource: '*/admin*' } ]";

fn member() -> Caller {
    Caller {
        principal_arn: MEMBER.to_owned(),
        principal_org_id: Some("o-member".to_owned()),
        principal_org_path: None,
        tags: BTreeMap::from([("team".to_owned(), "blue".to_owned())]),
        session_name: None,
        access_key_id: "AKIA1".to_owned(),
        source_vpc_arn: None,
        algorithm: SigningAlgorithm::SigV4,
    }
}

fn request(path: &str) -> Parts {
    http::Request::get(path)
        .body(())
        .expect("request")
        .into_parts()
        .0
}

fn decide(access: &ServiceAccess, path: &str, caller: Option<&Caller>) -> Authorization {
    access.authorize(&request(path), caller, &RequestOrigin::default())
}

#[test]
fn a_network_deny_beats_a_service_allow() {
    let access = service_access("AWS_IAM", Some(DENY_ADMIN), "AWS_IAM", Some(ALLOW_ALL));
    let denied = decide(&access, "/admin/users", Some(&member()));
    assert!(!denied.is_allowed());
    assert_eq!(denied.label(), "network:NoAdmin");
    assert_eq!(
        denied.service,
        LevelOutcome::Evaluated(PolicyDecision::Allow {
            statement: Some("Everyone".into())
        }),
        "the service alone would allow"
    );
    assert!(denied.to_string().contains("explicit Deny"), "{denied}");
    let allowed = decide(&access, "/app", Some(&member()));
    assert!(allowed.is_allowed());
    assert_eq!(allowed.label(), "service:Everyone");
}

#[test]
fn a_service_deny_beats_a_network_allow() {
    let access = service_access("AWS_IAM", Some(ALLOW_ALL), "AWS_IAM", Some(DENY_ADMIN));
    let denied = decide(&access, "/admin", None);
    assert!(!denied.is_allowed());
    assert_eq!(denied.label(), "service:NoAdmin");
}

#[test]
fn an_explicit_deny_is_named_over_an_earlier_implicit_one() {
    let network_allows_nothing =
        "[ { Effect: Allow, Principal: { AWS: '111122223333' }, Action: '*', Resource: '*' } ]";
    let access = service_access(
        "AWS_IAM",
        Some(network_allows_nothing),
        "AWS_IAM",
        Some(DENY_ADMIN),
    );
    assert_eq!(
        decide(&access, "/admin", Some(&member())).label(),
        "service:NoAdmin"
    );
    assert_eq!(
        decide(&access, "/app", Some(&member())).label(),
        "network:no-statement-allowed"
    );
}

#[test]
fn an_iam_network_without_a_policy_denies_every_request() {
    let access = service_access("AWS_IAM", None, "AWS_IAM", Some(ALLOW_ALL));
    for caller in [None, Some(member())] {
        let decision = decide(&access, "/", caller.as_ref());
        assert!(!decision.is_allowed());
        assert_eq!(decision.network, LevelOutcome::NoPolicy);
        assert_eq!(decision.label(), "network:no-policy");
        assert!(
            decision
                .to_string()
                .contains("service network has auth type AWS_IAM and no auth policy"),
            "{decision}"
        );
    }
    let service_without = service_access("NONE", None, "AWS_IAM", None);
    assert_eq!(
        decide(&service_without, "/", None).label(),
        "service:no-policy"
    );
}

#[test]
fn a_none_level_is_not_evaluated_even_with_a_policy() {
    let deny_all = "[ { Sid: Nobody, Effect: Deny, Principal: '*', Action: '*', Resource: '*' } ]";
    let open_network = service_access("NONE", Some(deny_all), "AWS_IAM", Some(ALLOW_ALL));
    let decision = decide(&open_network, "/", None);
    assert!(decision.is_allowed());
    assert_eq!(decision.network, LevelOutcome::NotEnforced);
    assert_eq!(decision.label(), "service:Everyone");

    let network_only = service_access("AWS_IAM", Some(ALLOW_ALL), "NONE", Some(deny_all));
    let decision = decide(&network_only, "/", None);
    assert!(decision.is_allowed());
    assert_eq!(decision.label(), "network:Everyone");

    let neither = service_access("NONE", None, "NONE", None);
    let decision = decide(&neither, "/", None);
    assert!(decision.is_allowed());
    assert_eq!(decision.label(), "-");
    assert!(!neither.is_enforced());
}

#[test]
fn anonymous_implicit_denies_say_the_request_was_not_signed() {
    let members = "[ { Sid: Members, Effect: Allow, Principal: '*', Action: '*', Resource: '*', Condition: { StringNotEqualsIgnoreCase: { 'aws:PrincipalType': anonymous } } } ]";
    let access = service_access("AWS_IAM", Some(members), "NONE", None);
    let anonymous = decide(&access, "/", None);
    assert!(!anonymous.is_allowed());
    assert!(anonymous.to_string().contains("not signed"), "{anonymous}");
    assert!(decide(&access, "/", Some(&member())).is_allowed());
}

#[test]
fn the_service_facts_reach_the_conditions() {
    let facts_policy = "[ { Sid: Facts, Effect: Allow, Principal: '*', Action: '*', Resource: '*', Condition: { StringEquals: { 'aws:ResourceTag/environment': gamma, 'vpc-lattice-svcs:Port': '8443', 'vpc-lattice-svcs:SourceVpcOwnerAccount': '000000000000', 'vpc-lattice-svcs:SourceVpc': vpc-0abc, 'aws:PrincipalTag/team': blue }, IpAddress: { 'aws:SourceIp': 127.0.0.0/8 } } } ]";
    let access = service_access("NONE", None, "AWS_IAM", Some(facts_policy));
    let origin = RequestOrigin {
        source_vpc_arn: Some("arn:aws:ec2:us-west-2:000000000000:vpc/vpc-0abc"),
        source_ip: Some("127.0.0.1".parse().expect("address")),
        listener_port: None,
    };
    let caller = member();
    assert!(
        access
            .authorize(&request("/"), Some(&caller), &origin)
            .is_allowed()
    );
    let elsewhere = RequestOrigin {
        source_ip: Some("192.0.2.1".parse().expect("address")),
        ..origin
    };
    assert!(
        !access
            .authorize(&request("/"), Some(&caller), &elsewhere)
            .is_allowed()
    );
    let mut red = member();
    red.tags.insert("team".into(), "red".into());
    assert!(
        !access
            .authorize(&request("/"), Some(&red), &origin)
            .is_allowed()
    );
}

#[test]
fn a_policy_that_is_not_understood_names_its_level() {
    let bad = "[ { Effect: Allow, Principal: '*', Action: '*', Resource: '*', Condition: { DateGreaterThan: { 'aws:CurrentTime': '2020-01-01T00:00:00Z' } } } ]";
    let yaml = format!(
        r#"
Resources:
  Net:
    Type: AWS::VpcLattice::ServiceNetwork
    Properties: {{ Name: net, AuthType: AWS_IAM }}
  Svc: {{ Type: AWS::VpcLattice::Service, Properties: {{ Name: svc }} }}
  Assoc:
    Type: AWS::VpcLattice::ServiceNetworkServiceAssociation
    Properties: {{ ServiceIdentifier: !Ref Svc, ServiceNetworkIdentifier: !Ref Net }}
  NetPolicy:
    Type: AWS::VpcLattice::AuthPolicy
    Properties: {{ ResourceIdentifier: !Ref Net, Policy: {{ Statement: {bad} }} }}
"#
    );
    let topology = Topology::from_yaml(&yaml, &LoadOptions::new("us-west-2")).expect("template");
    let error = ServiceAccess::new(&topology, topology.service("svc").expect("service"))
        .expect_err("fails closed");
    assert_eq!(error.scope, PolicyScope::Network);
    assert_eq!(error.name, "net");
    assert!(error.to_string().contains("DateGreaterThan"), "{error}");
}
