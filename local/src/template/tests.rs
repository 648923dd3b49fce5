//! Reading real-shaped templates: the project's own `template.yaml` and small ones that pin
//! each construct (rules, parameters, unsupported resources).

use std::path::Path;
use std::time::Duration;

use http::{Method, StatusCode};
use lattice_lambda::{AuthType, EventVersion};

use super::*;
use crate::model::{Action, PathMatchKind, WeightedTarget};
use crate::routing::{Decision, RequestFacts, Router};

fn project_template() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../template.yaml");
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

fn template_mode() -> LoadOptions {
    LoadOptions::new("us-west-2").with_parameter("EksAppMode", "template")
}

#[test]
fn project_template_yields_both_services_with_their_rules() {
    let topology = Topology::from_yaml(&project_template(), &template_mode()).unwrap();
    let foo = topology.service("foo-service").expect("foo-service");
    assert_eq!(foo.auth_type, AuthType::None);
    let listener = foo.listener.as_ref().expect("provider listener");
    assert_eq!(listener.protocol, "HTTPS");
    let health = listener
        .rules
        .iter()
        .find(|r| r.name == "ProviderHealthRule")
        .expect("health rule");
    assert_eq!(health.priority, 10);
    assert_eq!(health.matcher.method, Some(Method::GET));

    let eks = topology
        .service("eks-app")
        .expect("eks-app with EksAppMode=template");
    assert_eq!(eks.auth_type, AuthType::AwsIam);
    assert!(eks.auth_policy.is_some(), "EksAppAuthPolicy attached");
    let listener = eks.listener.as_ref().expect("eks listener");
    assert_eq!(
        listener.default_action,
        Action::FixedResponse(StatusCode::NOT_FOUND)
    );
    let router = Router::new(listener.rules.clone(), listener.default_action.clone());
    let headers = http::HeaderMap::new();
    let route = router.route(&RequestFacts {
        method: &Method::GET,
        path: "/app/x",
        headers: &headers,
    });
    let Decision::Forward(group) = route.decision else {
        panic!("expected forward, got {route:?}");
    };
    let group = topology.target_group(group).expect("group");
    assert!(matches!(
        group.kind,
        TargetKind::Http {
            port: Some(8090),
            ..
        }
    ));

    let provider_group = topology.target_group("ProviderTargetGroup").unwrap();
    assert_eq!(
        provider_group.kind,
        TargetKind::Lambda {
            event_version: EventVersion::V2,
            function: Some("ProviderFunction".into()),
            target_id: "arn:aws:lambda:us-west-2:000000000000:function:ProviderFunction".into(),
        }
    );
    let provider = &topology.functions["ProviderFunction"];
    assert_eq!(provider.binary, "provider");
    assert_eq!(provider.timeout, Duration::from_secs(10));
    assert_eq!(topology.functions["EksClientFunction"].binary, "eks-client");
    // Constructs without local meaning are reported by name.
    assert!(
        topology
            .notes
            .iter()
            .any(|n| n.resource == "EksClientSecurityGroup")
    );
}

#[test]
fn default_parameters_leave_out_the_optional_eks_service() {
    let topology =
        Topology::from_yaml(&project_template(), &LoadOptions::new("us-west-2")).unwrap();
    assert!(topology.service("foo-service").is_some());
    assert!(topology.service("eks-app").is_none());
    // The template's own Rules section complains about the missing URL.
    assert!(
        topology
            .notes
            .iter()
            .any(|n| n.kind == "Rules" && n.resource == "ClientNeedsServiceUrl"),
        "{:?}",
        topology.notes
    );
}

#[test]
fn parameter_overrides_change_auth_version_and_are_checked() {
    let options = template_mode()
        .with_parameter("AuthType", "AWS_IAM")
        .with_parameter("EventStructureVersion", "V1");
    let topology = Topology::from_yaml(&project_template(), &options).unwrap();
    let foo = topology.service("foo-service").unwrap();
    assert_eq!(foo.auth_type, AuthType::AwsIam);
    assert!(foo.auth_policy.is_some());
    assert!(matches!(
        topology.target_group("ProviderTargetGroup").unwrap().kind,
        TargetKind::Lambda {
            event_version: EventVersion::V1,
            ..
        }
    ));

    let bad = template_mode().with_parameter("AuthType", "MAYBE");
    assert!(matches!(
        Topology::from_yaml(&project_template(), &bad),
        Err(TemplateError::DisallowedValue { name, .. }) if name == "AuthType"
    ));
    let unknown = template_mode().with_parameter("Nope", "1");
    assert!(matches!(
        Topology::from_yaml(&project_template(), &unknown),
        Err(TemplateError::UnknownParameter { name, .. }) if name == "Nope"
    ));
}

#[test]
fn canary_parameters_give_weighted_forwarding() {
    let options = template_mode()
        .with_parameter(
            "CanaryFunctionArn",
            "arn:aws:lambda:us-west-2:000000000000:function:ProviderFunction:canary",
        )
        .with_parameter("CanaryPercent", "10");
    let topology = Topology::from_yaml(&project_template(), &options).unwrap();
    let listener = topology
        .service("foo-service")
        .unwrap()
        .listener
        .clone()
        .unwrap();
    let Action::Forward(targets) = &listener.default_action else {
        panic!("forward expected");
    };
    let weights: Vec<_> = targets
        .iter()
        .map(|t| (t.target_group.as_str(), t.weight))
        .collect();
    assert_eq!(
        weights,
        [
            ("ProviderTargetGroup", 90),
            ("ProviderCanaryTargetGroup", 10)
        ]
    );
}

#[test]
fn missing_parameters_fail_only_when_used_and_name_the_parameter() {
    let yaml = r#"
Parameters:
  Needed: { Type: String }
Resources:
  Svc:
    Type: AWS::VpcLattice::Service
    Properties: { Name: !Ref Needed }
"#;
    let error = Topology::from_yaml(yaml, &LoadOptions::new("us-east-1")).unwrap_err();
    assert!(
        error.to_string().contains("--parameter Needed=VALUE"),
        "{error}"
    );
    let topology = Topology::from_yaml(
        yaml,
        &LoadOptions::new("us-east-1").with_parameter("Needed", "svc-name"),
    )
    .unwrap();
    assert_eq!(topology.services[0].name, "svc-name");
}

#[test]
fn rules_with_header_exact_match_and_unsupported_things_are_reported() {
    let yaml = r#"
Resources:
  Svc:
    Type: AWS::VpcLattice::Service
    Properties: { Name: s }
  Group:
    Type: AWS::VpcLattice::TargetGroup
    Properties: { Type: IP, Config: { Port: 80, Protocol: HTTP } }
  Lis:
    Type: AWS::VpcLattice::Listener
    Properties:
      ServiceIdentifier: !GetAtt Svc.Id
      Protocol: HTTP
      DefaultAction: { FixedResponse: { StatusCode: 404 } }
  ByHeader:
    Type: AWS::VpcLattice::Rule
    Properties:
      ServiceIdentifier: !Ref Svc
      ListenerIdentifier: !Ref Lis
      Priority: 3
      Match:
        HttpMatch:
          HeaderMatches:
            - Name: X-Env
              CaseSensitive: true
              Match: { Exact: blue }
          PathMatch: { Match: { Exact: /only } }
      Action: { Forward: { TargetGroups: [ { TargetGroupIdentifier: !GetAtt Group.Arn, Weight: 7 } ] } }
  Queue:
    Type: AWS::SQS::Queue
"#;
    let topology = Topology::from_yaml(yaml, &LoadOptions::new("us-east-1")).unwrap();
    let listener = topology.services[0].listener.as_ref().unwrap();
    assert_eq!(listener.port, 80);
    let rule = &listener.rules[0];
    assert_eq!(rule.matcher.headers[0].name.as_str(), "x-env");
    assert!(rule.matcher.headers[0].case_sensitive);
    assert_eq!(
        rule.matcher.path.as_ref().unwrap().kind,
        PathMatchKind::Exact
    );
    assert!(!rule.matcher.path.as_ref().unwrap().case_sensitive);
    assert_eq!(
        rule.action,
        Action::Forward(vec![WeightedTarget {
            target_group: "Group".into(),
            weight: 7
        }])
    );
    let queue = topology
        .notes
        .iter()
        .find(|n| n.resource == "Queue")
        .unwrap();
    assert_eq!(queue.kind, "AWS::SQS::Queue");
}

#[test]
fn a_rule_pointing_at_an_unknown_target_group_is_an_error() {
    let yaml = r#"
Resources:
  Svc: { Type: AWS::VpcLattice::Service, Properties: { Name: s } }
  Lis:
    Type: AWS::VpcLattice::Listener
    Properties:
      ServiceIdentifier: !Ref Svc
      Protocol: HTTPS
      DefaultAction: { Forward: { TargetGroups: [ { TargetGroupIdentifier: tg-00000000000000000 } ] } }
"#;
    let error = Topology::from_yaml(yaml, &LoadOptions::new("us-east-1")).unwrap_err();
    assert!(
        matches!(&error, TemplateError::DanglingReference { value, .. } if value == "tg-00000000000000000"),
        "{error}"
    );
}

#[test]
fn tls_passthrough_listeners_are_refused_by_name() {
    let yaml = r#"
Resources:
  Svc: { Type: AWS::VpcLattice::Service, Properties: { Name: s } }
  Lis:
    Type: AWS::VpcLattice::Listener
    Properties:
      ServiceIdentifier: !Ref Svc
      Protocol: TLS_PASSTHROUGH
      DefaultAction: { FixedResponse: { StatusCode: 404 } }
"#;
    let error = Topology::from_yaml(yaml, &LoadOptions::new("us-east-1")).unwrap_err();
    assert!(error.to_string().contains("TLS_PASSTHROUGH"), "{error}");
    assert!(error.to_string().contains("Lis"), "{error}");
}

#[test]
fn a_service_network_with_iam_auth_is_reported_not_ignored() {
    let yaml = r#"
Resources:
  Network:
    Type: AWS::VpcLattice::ServiceNetwork
    Properties: { Name: net, AuthType: AWS_IAM }
  OpenNetwork:
    Type: AWS::VpcLattice::ServiceNetwork
    Properties: { Name: open, AuthType: NONE }
"#;
    let topology = Topology::from_yaml(yaml, &LoadOptions::new("us-west-2")).unwrap();
    let notes: Vec<_> = topology.notes.iter().map(|n| n.resource.as_str()).collect();
    assert_eq!(notes, ["Network"]);
    assert!(topology.notes[0].message.contains("AWS_IAM"));
}
