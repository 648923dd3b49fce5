//! Reading, checking and mapping manifests: each error names file, document and field; each
//! controller convention is pinned with a manifest shaped like a real one.

use std::path::Path;
use std::time::Duration;

use http::{HeaderName, Method, StatusCode};
use lattice_lambda::AuthType;
use serde_json::json;

use super::*;
use crate::model::{
    Action, HeaderMatch, HeaderMatchKind, HealthCheck, HttpMatch, PathMatch, PathMatchKind,
    ProtocolVersion, WeightedTarget,
};
use crate::template::TargetKind;

const GATEWAY: &str = r#"
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: lattice-lambda-network, namespace: default}
spec:
  gatewayClassName: amazon-vpc-lattice
  listeners:
    - {name: http, protocol: HTTP, port: 80}
    - {name: https, protocol: HTTPS, port: 443}
"#;

const SERVICES: &str = r#"
apiVersion: v1
kind: Service
metadata: {name: inventory-ver1, namespace: shop}
spec:
  selector: {app: inventory, version: v1}
  ports: [{name: http, port: 80, targetPort: 8090}]
---
apiVersion: v1
kind: Service
metadata: {name: inventory-ver2, namespace: shop}
spec:
  selector: {app: inventory, version: v2}
  ports: [{name: http, port: 8080, targetPort: 9090}]
"#;

/// Blue/green with a header override, as in the controller's HTTPRoute examples.
const ROUTE: &str = r#"
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: inventory, namespace: shop}
spec:
  parentRefs:
    - {name: lattice-lambda-network, namespace: default, sectionName: https}
  rules:
    - matches:
        - headers: [{name: X-Canary, value: "true"}]
          method: GET
      backendRefs:
        - {name: inventory-ver2, port: 8080}
    - matches:
        - path: {type: PathPrefix, value: /inventory}
      backendRefs:
        - {name: inventory-ver1, port: 80, weight: 90}
        - {name: inventory-ver2, port: 8080, weight: 10}
"#;

const AUTH_POLICY: &str = r#"
apiVersion: application-networking.k8s.aws/v1alpha1
kind: IAMAuthPolicy
metadata: {name: inventory, namespace: shop}
spec:
  targetRef: {group: gateway.networking.k8s.io, kind: HTTPRoute, name: inventory}
  policy: |
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
      "Principal": {"AWS": "<EksClientFunctionRoleArn>"},
      "Action": "vpc-lattice-svcs:Invoke", "Resource": "*"}]}
"#;

fn read(files: &[(&str, &str)]) -> Result<Manifests, ManifestError> {
    let mut manifests = Manifests::default();
    for (file, text) in files {
        manifests.add_yaml(Path::new(file), text)?;
    }
    Ok(manifests)
}

fn shop(extra: &[(&str, &str)]) -> Manifests {
    let mut manifests = shop_with_route(ROUTE);
    for (file, text) in extra {
        manifests.add_yaml(Path::new(file), text).unwrap();
    }
    manifests
}

/// The gateway and services with `route` in `route.yaml`.
fn shop_with_route(route: &str) -> Manifests {
    read(&[
        ("gateway.yaml", GATEWAY),
        ("services.yaml", SERVICES),
        ("route.yaml", route),
    ])
    .unwrap()
}

fn read_error(text: &str) -> String {
    read(&[("bad.yaml", text)]).unwrap_err().to_string()
}

fn check_error(extra: &[(&str, &str)]) -> String {
    shop(extra)
        .check(&CheckOptions::default())
        .unwrap_err()
        .to_string()
}

// ------------------------------------------------------------------------------------ reading

#[test]
fn an_unknown_field_is_named_with_file_document_and_path() {
    let route = ROUTE.replace("weight: 90", "wieght: 90");
    let error = read(&[("gateway.yaml", GATEWAY), ("route.yaml", &route)]).unwrap_err();
    let ManifestError::Schema {
        at,
        kind,
        field,
        message,
    } = &error
    else {
        panic!("{error:?}");
    };
    assert_eq!(
        (at.file.as_path(), at.document),
        (Path::new("route.yaml"), 1)
    );
    assert_eq!(
        (*kind, field.as_str()),
        ("HTTPRoute", "spec.rules[1].backendRefs[0].wieght")
    );
    assert!(message.contains("unknown field `wieght`"), "{message}");

    // The document index counts `---` separators; the second Service is document 2.
    let services = SERVICES.replace("targetPort: 9090", "targetport: 9090");
    let error = read_error(&services);
    assert!(
        error.starts_with(
            "bad.yaml document 2: Service field spec.ports[0].targetport: unknown field"
        ),
        "{error}"
    );
}

#[test]
fn a_wrong_type_or_missing_field_is_named() {
    let error = read_error(&SERVICES.replace("port: 80,", "port: eighty,"));
    assert!(
        error.starts_with("bad.yaml document 1: Service field spec.ports[0].port:"),
        "{error}"
    );
    let error = read_error(&GATEWAY.replace("gatewayClassName: amazon-vpc-lattice", ""));
    assert!(
        error.contains("Gateway field spec: missing field `gatewayClassName`"),
        "{error}"
    );
    let error = read_error("apiVersion: v1\nkind: Service\nspec: {}\n");
    assert!(error.contains("missing field `metadata`"), "{error}");
}

#[test]
fn a_wrong_api_version_or_kind_is_refused() {
    let error = read_error(&ROUTE.replace(
        "gateway.networking.k8s.io/v1",
        "gateway.networking.k8s.io/v1beta1",
    ));
    assert_eq!(
        error,
        "bad.yaml document 1: field apiVersion: HTTPRoute must be gateway.networking.k8s.io/v1, not gateway.networking.k8s.io/v1beta1"
    );
    let error = read_error(&AUTH_POLICY.replace("v1alpha1", "v1"));
    assert!(
        error.contains("IAMAuthPolicy must be application-networking.k8s.aws/v1alpha1"),
        "{error}"
    );
    let error = read_error(&ROUTE.replace("kind: HTTPRoute", "kind: HttpRoute"));
    assert_eq!(
        error,
        "bad.yaml document 1: field kind: gateway.networking.k8s.io/v1 has no kind HttpRoute"
    );
    let error = read_error("apiVersion: v1\nmetadata: {name: x}\n");
    assert_eq!(
        error,
        "bad.yaml document 1: field kind is missing or not a string"
    );
    let error = read_error("---\napiVersion: v1\nkind: [Service]\n");
    assert!(error.contains("field kind is missing"), "{error}");
}

#[test]
fn yaml_syntax_errors_and_non_objects_name_the_document() {
    let error = read_error(&format!("{GATEWAY}---\nkind: Service\n  metadata: : x\n"));
    assert!(
        error.starts_with("bad.yaml document 2: not valid YAML"),
        "{error}"
    );
    let error = read_error("- a\n- b\n");
    assert!(error.contains("not a mapping"), "{error}");
}

#[test]
fn unsupported_kinds_are_reported_by_name_not_ignored() {
    let text = r#"
apiVersion: application-networking.k8s.aws/v1alpha1
kind: ServiceExport
metadata: {name: inventory, namespace: shop}
---
# a comment-only document is skipped
---
apiVersion: application-networking.k8s.aws/v1alpha1
kind: AccessLogPolicy
metadata: {name: logs}
spec: {destinationArn: "arn:aws:s3:::bucket", targetRef: {group: gateway.networking.k8s.io, kind: Gateway, name: g}}
---
apiVersion: cert-manager.io/v1
kind: Certificate
metadata: {name: c}
"#;
    let manifests = read(&[("extras.yaml", text)]).unwrap();
    let notes: Vec<(&str, &str)> = manifests
        .notes
        .iter()
        .map(|n| (n.resource.as_str(), n.kind.as_str()))
        .collect();
    assert_eq!(
        notes,
        [
            (
                "shop/inventory",
                "ServiceExport (application-networking.k8s.aws/v1alpha1)"
            ),
            (
                "default/logs",
                "AccessLogPolicy (application-networking.k8s.aws/v1alpha1)"
            ),
            ("default/c", "Certificate (cert-manager.io/v1)"),
        ]
    );
    assert!(
        manifests.notes[0]
            .message
            .starts_with("extras.yaml document 1: not emulated")
    );
    assert!(
        manifests.notes[1]
            .message
            .starts_with("extras.yaml document 3:")
    );
}

// ------------------------------------------------------------------------------------ checks

#[test]
fn the_shop_example_passes_every_check() {
    shop(&[("policy.yaml", AUTH_POLICY)])
        .check(&CheckOptions {
            service_network_name: Some("lattice-lambda-network".into()),
        })
        .unwrap();
}

#[test]
fn the_gateway_must_carry_the_service_networks_name() {
    let error = shop(&[])
        .check(&CheckOptions {
            service_network_name: Some("other-network".into()),
        })
        .unwrap_err();
    assert!(
        error.to_string().starts_with(
            "gateway.yaml document 1: Gateway default/lattice-lambda-network field metadata.name: must be the service network's name \"other-network\""
        ),
        "{error}"
    );
}

#[test]
fn dangling_references_are_named() {
    let missing_service = ROUTE.replace(
        "{name: inventory-ver1, port: 80",
        "{name: inventory-v1, port: 80",
    );
    let error = shop_with_route(&missing_service)
        .check(&CheckOptions::default())
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "route.yaml document 1: HTTPRoute shop/inventory field spec.rules[1].backendRefs[0].name: Service shop/inventory-v1 is not in the manifests"
    );

    let policy = AUTH_POLICY.replace("name: inventory}", "name: inventry}");
    let error = check_error(&[("policy.yaml", &policy)]);
    assert_eq!(
        error,
        "policy.yaml document 1: IAMAuthPolicy shop/inventory field spec.targetRef: HTTPRoute shop/inventry is not in the manifests"
    );

    let tgp = r#"
apiVersion: application-networking.k8s.aws/v1alpha1
kind: TargetGroupPolicy
metadata: {name: p, namespace: shop}
spec: {targetRef: {group: "", kind: Service, name: nowhere}}
"#;
    assert!(
        check_error(&[("tgp.yaml", tgp)])
            .contains("spec.targetRef: Service shop/nowhere is not in the manifests")
    );

    let route = ROUTE.replace("sectionName: https", "sectionName: grpc");
    let error = shop_with_route(&route)
        .check(&CheckOptions::default())
        .unwrap_err();
    assert!(error.to_string().contains("spec.parentRefs[0].sectionName: Gateway default/lattice-lambda-network has no listener \"grpc\""), "{error}");
}

#[test]
fn what_the_controller_or_lattice_refuses_is_refused() {
    let cases = [
        (
            "weight: 90",
            "weight: 1000",
            "spec.rules[1].backendRefs[0].weight: Lattice target group weights are 0 to 999",
        ),
        (
            "type: PathPrefix",
            "type: RegularExpression",
            "spec.rules[1].matches[0].path.type: RegularExpression is not mapped",
        ),
        (
            "headers: [{name: X-Canary, value: \"true\"}]",
            "headers: [{name: X-Canary, value: \"true\", type: RegularExpression}]",
            "spec.rules[0].matches[0].headers[0].type: only Exact header matches",
        ),
        (
            "method: GET",
            "method: FETCH",
            "spec.rules[0].matches[0].method: \"FETCH\" is not one of",
        ),
        (
            "method: GET",
            "queryParams: [{name: a, value: b}]",
            "spec.rules[0].matches[0].queryParams: Lattice rules cannot match query parameters",
        ),
        (
            "{name: inventory-ver2, port: 8080}\n",
            "{name: inventory-ver2, port: 8081}\n",
            "spec.rules[0].backendRefs[0].port: Service shop/inventory-ver2 has no port 8081",
        ),
        (
            "{name: inventory-ver2, port: 8080}\n",
            "{name: inventory-ver2}\n",
            "spec.rules[0].backendRefs[0].port: a Service backend needs a port",
        ),
        (
            "value: /inventory}",
            "value: inventory}",
            "spec.rules[1].matches[0].path.value: a path must start with /",
        ),
    ];
    for (from, to, expected) in cases {
        let route = ROUTE.replace(from, to);
        assert_ne!(route, ROUTE, "{from}");
        let error = shop_with_route(&route)
            .check(&CheckOptions::default())
            .unwrap_err()
            .to_string();
        assert!(
            error.starts_with("route.yaml document 1: HTTPRoute shop/inventory field ")
                && error.contains(expected),
            "{to}: {error}"
        );
    }
    // One match per rule: the controller refuses more (LATTICE_NO_SUPPORT_FOR_MULTIPLE_MATCHES).
    let route = ROUTE.replace(
        "        - path: {type: PathPrefix, value: /inventory}",
        "        - path: {type: PathPrefix, value: /inventory}\n        - path: {type: Exact, value: /stock}",
    );
    let error = shop_with_route(&route)
        .check(&CheckOptions::default())
        .unwrap_err();
    assert!(
        error
            .to_string()
            .contains("spec.rules[1].matches: the controller maps one match per rule"),
        "{error}"
    );
}

#[test]
fn the_same_object_twice_is_refused() {
    let error = check_error(&[("again.yaml", SERVICES)]);
    assert_eq!(
        error,
        "again.yaml document 1: Service shop/inventory-ver1 is already defined at services.yaml document 1"
    );
}

#[test]
fn auth_policies_parse_with_the_data_planes_parser() {
    let not_an_arn = AUTH_POLICY.replace("<EksClientFunctionRoleArn>", "<SomeOtherRole>");
    let error = check_error(&[("policy.yaml", &not_an_arn)]);
    assert!(
        error.starts_with("policy.yaml document 1: IAMAuthPolicy shop/inventory field spec.policy: auth policy Statement[0]: Principal.AWS: \"<SomeOtherRole>\" is neither"),
        "{error}"
    );
    let not_json = AUTH_POLICY.replace("\"Version\":", "Version:");
    assert!(
        check_error(&[("policy.yaml", &not_json)])
            .contains("field spec.policy: auth policy policy: the policy string: is not JSON")
    );
    let unsupported = AUTH_POLICY.replace("\"Principal\"", "\"NotPrincipal\"");
    assert!(
        check_error(&[("policy.yaml", &unsupported)])
            .contains("element NotPrincipal is not supported")
    );
}

// ------------------------------------------------------------------------------------ mapping

#[test]
fn a_route_with_weighted_backends_a_header_match_and_an_auth_policy_maps_to_a_lattice_service() {
    let manifests = shop(&[("policy.yaml", AUTH_POLICY)]);
    let role = "arn:aws:iam::000000000000:role/EksClientFunctionRole";
    let mapped = manifests
        .to_topology(
            &MapOptions::new("eu-west-1").with_service_network_name("lattice-lambda-network"),
        )
        .unwrap();
    let service = mapped
        .topology
        .service("inventory-shop")
        .expect("named <route>-<namespace>");
    assert_eq!(service.logical_id, "shop/inventory");
    assert!(
        service
            .arn
            .starts_with("arn:aws:vpc-lattice:eu-west-1:000000000000:service/svc-")
    );
    assert_eq!(service.service_network_arn, mapped.service_networks[0].arn);
    assert_eq!(mapped.service_networks[0].name, "lattice-lambda-network");

    // IAMAuthPolicy: AWS_IAM and the policy, the placeholder replaced by the local client role.
    assert_eq!(service.auth_type, AuthType::AwsIam);
    assert_eq!(
        service.auth_policy,
        Some(
            json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
            "Principal": {"AWS": role}, "Action": "vpc-lattice-svcs:Invoke", "Resource": "*"}]})
        )
    );

    // The listener is the Gateway's https listener (sectionName), 404 by default.
    let listener = service.listeners.first().expect("listener");
    assert_eq!((listener.protocol.as_str(), listener.port), ("HTTPS", 443));
    assert_eq!(
        listener.default_action,
        Action::FixedResponse(StatusCode::NOT_FOUND)
    );

    let ver1 = mapped.target_groups_of(&ObjectKey::new(None, "shop", "inventory-ver1"));
    let ver2 = mapped.target_groups_of(&ObjectKey::new(None, "shop", "inventory-ver2"));
    assert_eq!(
        (ver1.len(), ver2.len()),
        (1, 1),
        "one target group per route and Service"
    );
    assert!(
        ver1[0].starts_with("k8s-shop-inventory-ver1-"),
        "{}",
        ver1[0]
    );

    // Rules in route order with priorities 1, 2; path case-sensitive, header values not (as the
    // controller creates Lattice rules); weights as written, 1 when absent.
    let rules: Vec<_> = listener
        .rules
        .iter()
        .map(|r| (r.name.as_str(), r.priority, &r.matcher, &r.action))
        .collect();
    assert_eq!(
        rules,
        [
            (
                "shop/inventory/rules[0]",
                1,
                &HttpMatch {
                    method: Some(Method::GET),
                    path: Some(PathMatch {
                        kind: PathMatchKind::Prefix,
                        value: "/".into(),
                        case_sensitive: true
                    }),
                    headers: vec![HeaderMatch {
                        name: HeaderName::from_static("x-canary"),
                        kind: HeaderMatchKind::Exact,
                        value: "true".into(),
                        case_sensitive: false,
                    }],
                },
                &Action::Forward(vec![WeightedTarget {
                    target_group: ver2[0].to_owned(),
                    weight: 1
                }]),
            ),
            (
                "shop/inventory/rules[1]",
                2,
                &HttpMatch {
                    method: None,
                    path: Some(PathMatch {
                        kind: PathMatchKind::Prefix,
                        value: "/inventory".into(),
                        case_sensitive: true
                    }),
                    headers: vec![],
                },
                &Action::Forward(vec![
                    WeightedTarget {
                        target_group: ver1[0].to_owned(),
                        weight: 90
                    },
                    WeightedTarget {
                        target_group: ver2[0].to_owned(),
                        weight: 10
                    },
                ]),
            ),
        ]
    );
    for rule in &listener.rules {
        assert!(
            rule.arn
                .starts_with(&format!("{}/listener/listener-", service.arn)),
            "{}",
            rule.arn
        );
    }

    // Target groups: IP/HTTP, port 80 as the controller sets it; the backend keeps targetPort.
    let group = &mapped.topology.target_groups[ver1[0]];
    assert_eq!(
        group.kind,
        TargetKind::Http {
            target_type: "IP".into(),
            protocol: "HTTP".into(),
            protocol_version: ProtocolVersion::Http1,
            port: Some(80),
            targets: vec![],
            health_check: HealthCheck::lattice_default(ProtocolVersion::Http1),
        }
    );
    assert_eq!(mapped.backends[ver1[0]].target_port, Some(8090));
    assert_eq!(mapped.backends[ver2[0]].target_port, Some(9090));
    assert!(
        mapped.topology.notes.is_empty(),
        "{:?}",
        mapped.topology.notes
    );
}

#[test]
fn the_policy_placeholder_stands_for_the_given_role() {
    let role = "arn:aws:iam::123456789012:role/lattice-lambda-EksClientFunctionRole-ABC";
    let mapped = shop(&[("policy.yaml", AUTH_POLICY)])
        .to_topology(&MapOptions::new("us-west-2").with_client_role(role))
        .unwrap();
    let policy = mapped
        .topology
        .service("inventory-shop")
        .unwrap()
        .auth_policy
        .clone()
        .unwrap();
    assert_eq!(policy["Statement"][0]["Principal"]["AWS"], json!(role));
}

#[test]
fn target_group_policies_set_protocol_and_health_check() {
    let tgp = r#"
apiVersion: application-networking.k8s.aws/v1alpha1
kind: TargetGroupPolicy
metadata: {name: ver1, namespace: shop}
spec:
  targetRef: {group: "", kind: Service, name: inventory-ver1}
  protocol: HTTPS
  protocolVersion: HTTP2
  healthCheck: {enabled: true, path: /healthz, intervalSeconds: 10, statusMatch: "200-299"}
"#;
    let mapped = shop(&[("tgp.yaml", tgp)])
        .to_topology(&MapOptions::new("us-west-2"))
        .unwrap();
    let key = ObjectKey::new(None, "shop", "inventory-ver1");
    let id = mapped.target_groups_of(&key)[0].to_owned();
    let TargetKind::Http {
        protocol,
        protocol_version,
        health_check,
        ..
    } = &mapped.topology.target_groups[&id].kind
    else {
        panic!("an IP target group");
    };
    assert_eq!(
        (protocol.as_str(), *protocol_version),
        ("HTTPS", ProtocolVersion::Http2)
    );
    // Set fields as written, the others at Lattice's defaults.
    assert!(health_check.enabled);
    assert_eq!(
        (
            health_check.path.as_str(),
            health_check.interval,
            health_check.timeout,
            health_check.matcher.to_string()
        ),
        (
            "/healthz",
            Duration::from_secs(10),
            Duration::from_secs(5),
            "200-299".to_owned()
        )
    );
    let other = mapped.target_groups_of(&ObjectKey::new(None, "shop", "inventory-ver2"))[0];
    let TargetKind::Http { health_check, .. } = &mapped.topology.target_groups[other].kind else {
        panic!("an IP target group");
    };
    assert_eq!(
        *health_check,
        HealthCheck::lattice_default(ProtocolVersion::Http1),
        "the policy is per Service"
    );

    let bad_matcher = tgp.replace("\"200-299\"", "\"2xx\"");
    let error = shop(&[("tgp.yaml", &bad_matcher)])
        .to_topology(&MapOptions::new("us-west-2"))
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("spec.healthCheck") && error.contains("Matcher.HttpCode \"2xx\""),
        "{error}"
    );

    let out_of_range = tgp.replace("intervalSeconds: 10", "intervalSeconds: 1");
    assert!(
        check_error(&[("tgp.yaml", &out_of_range)])
            .contains("spec.healthCheck.intervalSeconds: 1 is outside 5..=300")
    );
}

#[test]
fn rule_priorities_follow_the_controllers_annotations() {
    let route = ROUTE.replace(
        "metadata: {name: inventory, namespace: shop}",
        "metadata:\n  name: inventory\n  namespace: shop\n  annotations: {application-networking.k8s.aws/rule-1-priority: \"20\"}",
    );
    let mapped = shop_with_route(&route)
        .to_topology(&MapOptions::new("us-west-2"))
        .unwrap();
    let listener = mapped.topology.services[0].listeners.first().unwrap();
    let priorities: Vec<_> = listener
        .rules
        .iter()
        .map(|r| (r.name.as_str(), r.priority))
        .collect();
    assert_eq!(
        priorities,
        [
            ("shop/inventory/rules[0]", 21),
            ("shop/inventory/rules[1]", 20)
        ]
    );
}

#[test]
fn service_names_follow_the_controller() {
    assert_eq!(
        controller_service_name("eks-app", "default", None),
        "eks-app-default"
    );
    // utils.Truncate: route cut to 20, namespace to 18, hyphens trimmed at the cut.
    assert_eq!(
        controller_service_name("a-very-long-route-na-me", "a-namespace-that-is-long", None),
        "a-very-long-route-na-a-namespace-that-i"
    );
    assert_eq!(
        controller_service_name("r", "ns", Some("custom-name")),
        "custom-name"
    );

    let route = ROUTE.replace(
        "metadata: {name: inventory, namespace: shop}",
        "metadata: {name: inventory, namespace: shop, annotations: {application-networking.k8s.aws/service-name-override: svc-bad}}",
    );
    let error = shop_with_route(&route)
        .to_topology(&MapOptions::new("us-west-2"))
        .unwrap_err();
    assert!(
        error
            .to_string()
            .contains("\"svc-bad\" is not a Lattice service name"),
        "{error}"
    );
}

#[test]
fn what_is_not_emulated_is_noted() {
    let route = ROUTE.replace(
        "  parentRefs:",
        "  hostnames: [inventory.example.com]\n  parentRefs:",
    );
    let gateway_policy = r#"
apiVersion: application-networking.k8s.aws/v1alpha1
kind: IAMAuthPolicy
metadata: {name: network, namespace: default}
spec:
  targetRef: {group: gateway.networking.k8s.io, kind: Gateway, name: lattice-lambda-network}
  policy: '{"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}]}'
"#;
    let other_class = r#"
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: istio}
spec: {gatewayClassName: istio, listeners: [{name: http, protocol: HTTP, port: 80}]}
"#;
    let mapped = read(&[
        ("gateway.yaml", GATEWAY),
        ("services.yaml", SERVICES),
        ("route.yaml", &route),
        ("network-policy.yaml", gateway_policy),
        ("istio.yaml", other_class),
    ])
    .unwrap()
    .to_topology(&MapOptions::new("us-west-2"))
    .unwrap();
    let notes: Vec<String> = mapped
        .topology
        .notes
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(notes.len(), 2, "{notes:#?}");
    assert!(notes[0].starts_with(
        "default/istio (Gateway): istio.yaml document 1: class istio is not amazon-vpc-lattice"
    ));
    assert!(notes[1].starts_with("shop/inventory (HTTPRoute): hostnames"));
    assert!(mapped.service_networks[0].auth_policy.is_some());
    // The Gateway's policy makes its network AWS_IAM, as the controller does, and is enforced.
    let network = &mapped.topology.service_networks[0];
    assert_eq!(network.auth_type, lattice_lambda::AuthType::AwsIam);
    assert_eq!(network.arn, mapped.service_networks[0].arn);
    assert!(network.auth_policy.is_some());
}

#[test]
fn a_route_on_every_listener_of_its_gateway_gets_a_lattice_listener_for_each() {
    // No sectionName: the route attaches to both of the Gateway's listeners, as the controller
    // creates a Lattice listener per matched Gateway listener.
    let route = ROUTE.replace(", sectionName: https", "");
    let mapped = shop_with_route(&route)
        .to_topology(&MapOptions::new("us-west-2"))
        .unwrap();
    let listeners = &mapped.topology.services[0].listeners;
    let served: Vec<_> = listeners
        .iter()
        .map(|l| (l.protocol.as_str(), l.port, l.rules.len()))
        .collect();
    assert_eq!(served, [("HTTP", 80, 2), ("HTTPS", 443, 2)]);
    assert_ne!(listeners[0].arn, listeners[1].arn);
}
