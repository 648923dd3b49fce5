//! The repository's `k8s/` directory, read as `kubectl apply -f k8s/` and `lattice-local up --k8s`
//! read it: every file fits the controller's schema, the set cross-checks against
//! `template.yaml`, and it maps to the EKS side of the reference architecture.

use std::path::{Path, PathBuf};

use http::{HeaderMap, StatusCode};
use lattice_lambda::AuthType;
use lattice_local::auth::{
    AuthPolicy, Caller, CredentialStore, PolicyDecision, PolicyRequest, SigningAlgorithm,
};
use lattice_local::k8s::{
    CLIENT_ROLE_PLACEHOLDER, CheckOptions, ManifestTopology, Manifests, MapOptions, ObjectKey,
    TargetPort,
};
use lattice_local::model::{Action, PathMatchKind};
use lattice_local::template::{LoadOptions, ParamValue, TargetKind, Topology};

const REGION: &str = "us-west-2";

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn k8s_dir() -> PathBuf {
    workspace().join("k8s")
}

/// `ServiceNetworkName`'s default, read from the template (the Gateway must carry it).
fn service_network_name() -> String {
    let template = Topology::load(
        &workspace().join("template.yaml"),
        &LoadOptions::new(REGION),
    )
    .expect("template.yaml loads");
    match template.parameters.get("ServiceNetworkName") {
        Some(ParamValue::Text(name)) => name.clone(),
        other => panic!("ServiceNetworkName has no default: {other:?}"),
    }
}

/// Everything under `k8s/`, the optional files included.
fn all_manifests() -> Manifests {
    let mut manifests = Manifests::load_dir(&k8s_dir()).expect("k8s/ reads");
    manifests
        .add_dir(&k8s_dir().join("optional"))
        .expect("k8s/optional reads");
    manifests
}

fn mapped() -> ManifestTopology {
    Manifests::load_dir(&k8s_dir())
        .expect("k8s/ reads")
        .to_topology(&MapOptions::new(REGION).with_service_network_name(service_network_name()))
        .expect("k8s/ maps")
}

#[test]
fn every_file_in_k8s_fits_the_controllers_schema_on_its_own() {
    let mut files = Vec::new();
    for dir in [k8s_dir(), k8s_dir().join("optional")] {
        for entry in std::fs::read_dir(&dir).expect("directory") {
            let path = entry.expect("entry").path();
            if path.extension().is_some_and(|e| e == "yaml") {
                files.push(path);
            }
        }
    }
    assert!(files.len() >= 6, "{files:?}");
    for file in files {
        let mut manifests = Manifests::default();
        manifests.add_file(&file).unwrap_or_else(|e| panic!("{e}"));
        assert!(
            manifests.notes.is_empty(),
            "{}: {:?}",
            file.display(),
            manifests.notes
        );
    }
}

#[test]
fn the_manifests_cross_check_with_the_templates_service_network() {
    let manifests = all_manifests();
    manifests
        .check(&CheckOptions {
            service_network_name: Some(service_network_name()),
        })
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(manifests.gateways.len(), 1);
    assert_eq!(
        manifests.gateways[0].object.metadata.name,
        service_network_name()
    );
    assert_eq!(manifests.vpc_association_policies.len(), 1);

    // The check really compares with the template: another network name fails.
    let error = manifests
        .check(&CheckOptions {
            service_network_name: Some("some-other-network".into()),
        })
        .unwrap_err();
    assert!(
        error.to_string().contains(
            "gateway.yaml document 1: Gateway default/lattice-lambda-network field metadata.name"
        ),
        "{error}"
    );
}

#[test]
fn kubectl_apply_of_the_directory_leaves_the_optional_vpc_association_out() {
    let top_level = Manifests::load_dir(&k8s_dir()).expect("k8s/ reads");
    assert!(top_level.vpc_association_policies.is_empty());
    assert_eq!(top_level.http_routes.len(), 1);
}

#[test]
fn the_deployment_serves_the_seed_text_on_the_port_the_service_targets() {
    let manifests = all_manifests();
    let service = manifests
        .service(&ObjectKey::new(None, "default", "eks-app"))
        .expect("Service default/eks-app");
    let port = &service.object.spec.ports[0];
    assert_eq!(
        port.target_port,
        Some(TargetPort::Number(8090)),
        "targetPort is numeric"
    );
    let deployment = manifests
        .deployments
        .iter()
        .find(|d| d.object.pods_match(&service.object.spec.selector))
        .expect("a Deployment the Service selects");
    let container = &deployment.object.spec.template.spec.containers[0];
    assert_eq!(container.ports[0].container_port, 8090);
    // http-echo's documented flags: -listen=ADDR and -text=TEXT.
    assert_eq!(
        container.args,
        ["-listen=:8090", "-text=Hello Bar EKS Pod!!"]
    );
    assert!(
        container
            .image
            .as_deref()
            .is_some_and(|i| i.starts_with("hashicorp/http-echo:"))
    );
}

#[test]
fn the_route_maps_to_the_eks_side_of_the_reference_architecture() {
    let mapped = mapped();
    let service = mapped
        .topology
        .service("eks-app-default")
        .expect("the controller names the service <route>-<namespace>");
    assert_eq!(service.auth_type, AuthType::AwsIam);
    assert_eq!(mapped.service_networks[0].name, service_network_name());
    assert_eq!(service.service_network_arn, mapped.service_networks[0].arn);

    let listener = service.listeners.first().expect("listener");
    assert_eq!((listener.protocol.as_str(), listener.port), ("HTTPS", 443));
    assert_eq!(
        listener.default_action,
        Action::FixedResponse(StatusCode::NOT_FOUND)
    );
    assert_eq!(listener.rules.len(), 1);
    let rule = &listener.rules[0];
    let path = rule.matcher.path.as_ref().expect("path match");
    assert_eq!(
        (path.kind, path.value.as_str()),
        (PathMatchKind::Prefix, "/app")
    );

    let groups = mapped.target_groups_of(&ObjectKey::new(None, "default", "eks-app"));
    assert_eq!(groups.len(), 1);
    let Action::Forward(targets) = &rule.action else {
        panic!("{:?}", rule.action);
    };
    assert_eq!(targets[0].target_group, groups[0]);
    let group = &mapped.topology.target_groups[groups[0]];
    let TargetKind::Http {
        protocol,
        health_check,
        ..
    } = &group.kind
    else {
        panic!("an IP target group: {:?}", group.kind);
    };
    assert_eq!(protocol, "HTTP");
    assert_eq!(mapped.backends[groups[0]].target_port, Some(8090));
    assert_eq!(
        (health_check.path.as_str(), health_check.enabled),
        ("/health", true)
    );

    let notes: Vec<&str> = mapped
        .topology
        .notes
        .iter()
        .map(|n| n.kind.as_str())
        .collect();
    assert_eq!(notes, ["Deployment"], "{:?}", mapped.topology.notes);
}

#[test]
fn only_the_client_functions_role_may_call_and_only_under_app() {
    let mapped = mapped();
    let service = mapped.topology.service("eks-app-default").expect("service");
    let policy = AuthPolicy::from_json(service.auth_policy.as_ref().expect("policy"))
        .expect("the data plane's parser takes it");
    let store = CredentialStore::load(workspace().join("local/demo/credentials.json"))
        .expect("demo credentials");
    let client = store
        .principals()
        .next()
        .expect("the demo's client principal");
    let caller = Caller::from_principal(client, SigningAlgorithm::SigV4);
    let mut stranger = caller.clone();
    stranger.principal_arn = "arn:aws:sts::000000000000:assumed-role/developer/laptop".into();

    let headers = HeaderMap::new();
    let decide = |caller: Option<&Caller>, path: &str| {
        policy.evaluate(&PolicyRequest {
            caller,
            method: "GET",
            path,
            headers: &headers,
            query: &[],
            source_vpc_id: None,
            source_vpc_owner_account: None,
            service_arn: &service.arn,
            service_network_arn: Some(&service.service_network_arn),
            port: 443,
            source_ip: None,
            resource_tags: &service.tags,
        })
    };
    assert!(matches!(
        decide(Some(&caller), "/app"),
        PolicyDecision::Allow { .. }
    ));
    assert!(matches!(
        decide(Some(&caller), "/app/orders"),
        PolicyDecision::Allow { .. }
    ));
    assert_eq!(
        decide(Some(&caller), "/admin"),
        PolicyDecision::ImplicitDeny
    );
    assert_eq!(
        decide(Some(&stranger), "/app"),
        PolicyDecision::ImplicitDeny
    );
    assert_eq!(
        decide(None, "/app"),
        PolicyDecision::ImplicitDeny,
        "unsigned callers get 403"
    );
}

#[test]
fn the_auth_policy_placeholder_is_the_stack_output_it_is_filled_from() {
    let text = std::fs::read_to_string(k8s_dir().join("eks-app-iam-auth-policy.yaml"))
        .expect("policy file");
    assert!(text.contains(&format!("\"AWS\": \"{CLIENT_ROLE_PLACEHOLDER}\"")));
    let output = CLIENT_ROLE_PLACEHOLDER.trim_matches(['<', '>']);
    let template: serde_yaml_ng::Value = serde_yaml_ng::from_str(
        &std::fs::read_to_string(workspace().join("template.yaml")).expect("template"),
    )
    .expect("template YAML");
    assert!(
        template["Outputs"].get(output).is_some(),
        "template.yaml has no output {output}"
    );
}

#[test]
fn served_beside_the_template_the_route_joins_the_stacks_network() {
    let template_file = workspace().join("template.yaml");
    let template = Topology::load(&template_file, &LoadOptions::new(REGION)).expect("template");
    let provider_network = template
        .service("foo-service")
        .expect("foo-service")
        .service_network_arn
        .clone();
    let joined = mapped()
        .join_into(template, &template_file)
        .unwrap_or_else(|e| panic!("{e}"));
    let eks = joined.service("eks-app-default").expect("eks-app-default");
    // One network, as in AWS: the Gateway names the stack's.
    assert_eq!(eks.service_network_arn, provider_network);
    let network = joined
        .service_network(&provider_network)
        .expect("the stack's network");
    assert_eq!(network.name, service_network_name());
    assert_eq!(joined.service_networks.len(), 1);
}
