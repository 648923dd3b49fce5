//! Reading real-shaped templates: the project's own `template.yaml` and small ones that pin
//! each construct (rules, parameters, unsupported resources).

use std::path::Path;
use std::time::Duration;

use http::{Method, StatusCode};
use lattice_lambda::{AuthType, EventVersion};

use super::*;
use crate::dataplane::router::{Destination, MatchInput, Router};
use crate::model::{Action, PathMatchKind, WeightedTarget};

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
    let listener = foo.listeners.first().expect("provider listener");
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
    let listener = eks.listeners.first().expect("eks listener");
    assert_eq!(
        listener.default_action,
        Action::FixedResponse(StatusCode::NOT_FOUND)
    );
    let router = Router::new(listener.rules.clone(), listener.default_action.clone());
    let headers = http::HeaderMap::new();
    let route = router.route(&MatchInput {
        method: &Method::GET,
        path: "/app/x",
        headers: &headers,
    });
    let Destination::Forward(group) = route.decision else {
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
        .listeners
        .first()
        .cloned()
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
    let listener = topology.services[0].listeners.first().unwrap();
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
fn service_networks_carry_their_auth_type_and_policy_and_services_their_tags() {
    let yaml = r#"
Resources:
  Network:
    Type: AWS::VpcLattice::ServiceNetwork
    Properties: { Name: net, AuthType: AWS_IAM }
  OpenNetwork:
    Type: AWS::VpcLattice::ServiceNetwork
    Properties: { Name: open, AuthType: NONE }
  Svc:
    Type: AWS::VpcLattice::Service
    Properties:
      Name: tagged
      Tags: [ { Key: Environment, Value: gamma }, { Key: owner, Value: "" } ]
  Association:
    Type: AWS::VpcLattice::ServiceNetworkServiceAssociation
    Properties: { ServiceIdentifier: !Ref Svc, ServiceNetworkIdentifier: !Ref Network }
  NetworkPolicy:
    Type: AWS::VpcLattice::AuthPolicy
    Properties:
      ResourceIdentifier: !GetAtt Network.Arn
      Policy: { Statement: [ { Effect: Allow, Principal: "*", Action: "*", Resource: "*" } ] }
  OpenPolicy:
    Type: AWS::VpcLattice::AuthPolicy
    Properties:
      ResourceIdentifier: !Ref OpenNetwork
      Policy: { Statement: [ { Effect: Deny, Principal: "*", Action: "*", Resource: "*" } ] }
"#;
    let topology = Topology::from_yaml(yaml, &LoadOptions::new("us-west-2")).unwrap();
    let service = topology.service("tagged").unwrap();
    let network = topology
        .service_network(&service.service_network_arn)
        .expect("the service's network is the template's");
    assert_eq!(network.name, "net");
    assert_eq!(network.auth_type, lattice_lambda::AuthType::AwsIam);
    assert!(network.auth_policy.is_some());
    assert_eq!(
        service.tags,
        std::collections::BTreeMap::from([
            ("Environment".to_owned(), "gamma".to_owned()),
            ("owner".to_owned(), String::new()),
        ])
    );
    // A policy on a NONE network is kept but noted as not enforced, as in Lattice.
    let notes: Vec<_> = topology.notes.iter().map(|n| n.resource.as_str()).collect();
    assert_eq!(notes, ["OpenNetwork"], "{:?}", topology.notes);
    assert!(topology.notes[0].message.contains("not enforced"));
}

#[test]
fn a_network_the_template_does_not_create_is_noted_and_bad_policy_targets_are_errors() {
    let yaml = r#"
Resources:
  Svc: { Type: AWS::VpcLattice::Service, Properties: { Name: s } }
  Association:
    Type: AWS::VpcLattice::ServiceNetworkServiceAssociation
    Properties: { ServiceIdentifier: !Ref Svc, ServiceNetworkIdentifier: sn-0123456789abcdef0 }
"#;
    let topology = Topology::from_yaml(yaml, &LoadOptions::new("us-west-2")).unwrap();
    assert_eq!(topology.notes.len(), 1, "{:?}", topology.notes);
    assert!(topology.notes[0].message.contains("unknown locally"));

    let dangling = r#"
Resources:
  Svc: { Type: AWS::VpcLattice::Service, Properties: { Name: s } }
  Policy:
    Type: AWS::VpcLattice::AuthPolicy
    Properties:
      ResourceIdentifier: no-such-thing
      Policy: { Statement: [] }
"#;
    let error = Topology::from_yaml(dangling, &LoadOptions::new("us-west-2")).unwrap_err();
    assert!(error.to_string().contains("no-such-thing"), "{error}");

    let duplicate_tag = r#"
Resources:
  Svc:
    Type: AWS::VpcLattice::Service
    Properties: { Name: s, Tags: [ { Key: Team, Value: a }, { Key: team, Value: b } ] }
"#;
    let error = Topology::from_yaml(duplicate_tag, &LoadOptions::new("us-west-2")).unwrap_err();
    assert!(error.to_string().contains("Tags"), "{error}");
}

/// A service with one HTTP listener whose default action is `default_action`, plus `extra`
/// resources (YAML indented by two spaces under `Resources:`).
fn one_listener(listener_properties: &str, extra: &str) -> String {
    format!(
        r#"
Parameters:
  Port: {{ Type: String, Default: "8090" }}
  VpcId: {{ Type: String }}
Conditions:
  Never: !Equals [a, b]
Resources:
  Svc: {{ Type: AWS::VpcLattice::Service, Properties: {{ Name: s }} }}
  Group:
    Type: AWS::VpcLattice::TargetGroup
    Properties:
      Type: IP
      Config: {{ Port: !Ref Port, Protocol: HTTP, VpcIdentifier: !Ref VpcId }}
  Lis:
    Type: AWS::VpcLattice::Listener
    Properties:
      ServiceIdentifier: !Ref Svc
{listener_properties}
{extra}"#
    )
}

fn load(yaml: &str) -> Result<Topology, TemplateError> {
    Topology::from_yaml(yaml, &LoadOptions::new("us-east-1"))
}

#[test]
fn unread_properties_may_use_parameters_that_were_not_given_and_numbers_may_be_text() {
    let yaml = one_listener(
        "      Protocol: HTTP\n      Port: !Ref Port\n      DefaultAction: { FixedResponse: { StatusCode: \"404\" } }",
        "",
    );
    // `VpcIdentifier: !Ref VpcId` is never read, so the missing VpcId does not matter.
    let topology = load(&yaml).unwrap();
    let listener = topology.services[0].listeners.first().unwrap();
    assert_eq!(listener.port, 8090);
    assert_eq!(
        listener.default_action,
        Action::FixedResponse(StatusCode::NOT_FOUND)
    );
    assert!(matches!(
        topology.target_group("Group").unwrap().kind,
        TargetKind::Http {
            port: Some(8090),
            ..
        }
    ));
}

#[test]
fn bad_values_name_the_property_path() {
    let cases = [
        (
            "      Protocol: HTTP\n      Port: eighty\n      DefaultAction: { FixedResponse: { StatusCode: 404 } }",
            "Port",
        ),
        (
            "      Protocol: HTTP\n      DefaultAction: { FixedResponse: { StatusCode: 1000 } }",
            "DefaultAction.FixedResponse.StatusCode",
        ),
        (
            "      Protocol: HTTP\n      DefaultAction: { Forward: { TargetGroups: [ { TargetGroupIdentifier: !Ref Group, Weight: [1] } ] } }",
            "DefaultAction.Forward.TargetGroups[0].Weight",
        ),
    ];
    for (properties, expected) in cases {
        let error = load(&one_listener(properties, "")).unwrap_err();
        assert!(
            matches!(&error, TemplateError::InvalidProperty { resource, property, .. }
                if resource == "Lis" && property == expected),
            "{expected}: {error}"
        );
    }
    let rule = r#"
  Bad:
    Type: AWS::VpcLattice::Rule
    Properties:
      ServiceIdentifier: !Ref Svc
      ListenerIdentifier: !Ref Lis
      Priority: 1
      Match: { HttpMatch: { HeaderMatches: [ { Name: "bad header", Match: { Exact: x } } ] } }
      Action: { FixedResponse: { StatusCode: 403 } }"#;
    let listener =
        "      Protocol: HTTP\n      DefaultAction: { FixedResponse: { StatusCode: 404 } }";
    let error = load(&one_listener(listener, rule)).unwrap_err();
    assert!(
        matches!(&error, TemplateError::InvalidProperty { resource, property, message }
            if resource == "Bad"
                && property == "Match.HttpMatch.HeaderMatches[0].Name"
                && message.contains("bad header")),
        "{error}"
    );
}

#[test]
fn missing_properties_and_failed_evaluations_are_named_where_they_are() {
    let listener =
        "      Protocol: HTTP\n      DefaultAction: { FixedResponse: { StatusCode: 404 } }";
    let no_http_match = r#"
  Bare:
    Type: AWS::VpcLattice::Rule
    Properties:
      ServiceIdentifier: !Ref Svc
      ListenerIdentifier: !Ref Lis
      Priority: 1
      Match: {}
      Action: { FixedResponse: { StatusCode: 403 } }"#;
    let error = load(&one_listener(listener, no_http_match)).unwrap_err();
    assert!(
        matches!(&error, TemplateError::MissingProperty { resource, property }
            if resource == "Bare" && property == "Match.HttpMatch"),
        "{error}"
    );
    let error = load(&one_listener("      Protocol: HTTP", "")).unwrap_err();
    assert!(
        matches!(&error, TemplateError::MissingProperty { property, .. } if property == "DefaultAction"),
        "{error}"
    );
    let unset_priority = no_http_match
        .replace("Priority: 1", "Priority: !Ref VpcId")
        .replace("Match: {}", "Match: { HttpMatch: {} }");
    let error = load(&one_listener(listener, &unset_priority)).unwrap_err();
    assert!(
        matches!(&error, TemplateError::Eval { location, source: EvalError::MissingParameter(p) }
            if location == "Resources.Bare.Properties.Priority" && p == "VpcId"),
        "{error}"
    );
}

#[test]
fn no_value_leaves_out_list_items_and_properties() {
    let listener = r#"      Protocol: HTTP
      DefaultAction:
        Forward:
          TargetGroups:
            - { TargetGroupIdentifier: !Ref Group, Weight: !Ref AWS::NoValue }
            - !If [Never, { TargetGroupIdentifier: !Ref Group, Weight: 5 }, !Ref AWS::NoValue]"#;
    let topology = load(&one_listener(listener, "")).unwrap();
    assert_eq!(
        topology.services[0]
            .listeners
            .first()
            .unwrap()
            .default_action,
        Action::Forward(vec![WeightedTarget {
            target_group: "Group".into(),
            weight: 100,
        }])
    );
}

#[test]
fn an_action_is_exactly_one_of_forward_or_fixed_response() {
    let both = "      Protocol: HTTP\n      DefaultAction: { FixedResponse: { StatusCode: 404 }, Forward: { TargetGroups: [] } }";
    let error = load(&one_listener(both, "")).unwrap_err();
    assert!(
        matches!(&error, TemplateError::InvalidProperty { property, message, .. }
            if property == "DefaultAction" && message.contains("Forward, FixedResponse")),
        "{error}"
    );
    let neither = "      Protocol: HTTP\n      DefaultAction: { Redirect: { Url: x } }";
    let error = load(&one_listener(neither, "")).unwrap_err();
    assert!(error.to_string().contains("Redirect"), "{error}");
}

#[test]
fn globals_give_functions_defaults_that_their_own_properties_override() {
    let yaml = r#"
Globals:
  Function:
    Timeout: 7
    MemorySize: 256
    Runtime: !Ref NotAParameter
    Environment: { Variables: { SHARED: global, LEVEL: global } }
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Metadata: { BuildMethod: rust-cargolambda, BuildProperties: { Binary: fn-bin } }
    Properties:
      Timeout: "9"
      Environment: { Variables: { LEVEL: own, REGION: !Ref AWS::Region } }
  Other:
    Type: AWS::Serverless::Function
    Metadata: { BuildMethod: go1.x }
"#;
    let topology = load(yaml).unwrap();
    let function = &topology.functions["Fn"];
    assert_eq!(function.binary, "fn-bin");
    assert_eq!(function.timeout, Duration::from_secs(9));
    assert_eq!(function.memory_mb, 256);
    let env: std::collections::BTreeMap<_, _> = function.env.iter().cloned().collect();
    assert_eq!(env["SHARED"], "global");
    assert_eq!(env["LEVEL"], "own");
    assert_eq!(env["REGION"], "us-east-1");
    assert!(!topology.functions.contains_key("Other"));
    assert!(
        topology
            .notes
            .iter()
            .any(|n| n.resource == "Other" && n.message.contains("go1.x"))
    );
}

#[test]
fn every_listener_of_a_service_is_kept_with_its_own_rules() {
    let listener = |name: &str, protocol: &str, port: u16| {
        format!(
            "  {name}:\n    Type: AWS::VpcLattice::Listener\n    Properties:\n      \
             ServiceIdentifier: !Ref Svc\n      Protocol: {protocol}\n      Port: {port}\n      \
             DefaultAction: {{ FixedResponse: {{ StatusCode: 404 }} }}\n"
        )
    };
    let rule = r#"
  OnPlain:
    Type: AWS::VpcLattice::Rule
    Properties:
      ServiceIdentifier: !Ref Svc
      ListenerIdentifier: !GetAtt Plain.Arn
      Priority: 1
      Match: { HttpMatch: { PathMatch: { Match: { Exact: /teapot } } } }
      Action: { FixedResponse: { StatusCode: 418 } }
"#;
    let head = "Resources:\n  Svc: { Type: AWS::VpcLattice::Service, Properties: { Name: s } }\n";
    let two = format!(
        "{head}{}{}{rule}",
        listener("Secure", "HTTPS", 443),
        listener("Plain", "HTTP", 80)
    );
    let topology = load(&two).unwrap();
    let listeners = &topology.services[0].listeners;
    let summary: Vec<_> = listeners
        .iter()
        .map(|l| (l.logical_id.as_str(), l.is_https(), l.port, l.rules.len()))
        .collect();
    assert_eq!(
        summary,
        [("Plain", false, 80, 1), ("Secure", true, 443, 0)],
        "in logical-id order; the rule belongs to the listener it names"
    );
    assert!(topology.notes.iter().all(|n| n.resource != "Svc"));

    // A third is served, with a note on Lattice's default quota of two.
    let three = format!("{two}{}", listener("Extra", "HTTP", 8080));
    let topology = load(&three).unwrap();
    assert_eq!(topology.services[0].listeners.len(), 3);
    let note = topology
        .notes
        .iter()
        .find(|n| n.resource == "Svc")
        .expect("quota note");
    assert!(note.message.contains("quota"), "{note}");

    // Two listeners on one port: Lattice refuses the second.
    let clash = format!("{two}{}", listener("Second", "HTTPS", 80));
    let error = load(&clash).unwrap_err();
    assert!(
        matches!(&error, TemplateError::InvalidProperty { resource, property, message }
            if resource == "Second" && property == "Port" && message.contains("Plain")),
        "{error}"
    );
}
