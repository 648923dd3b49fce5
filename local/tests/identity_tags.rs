//! `x-amzn-lattice-identity-tags` end to end: a signed caller's principal tags (one value holding
//! `;`) reach an HTTP target in Lattice's `key=value;` form, and V1 and V2 events carry the same
//! header, which the library reads back (`Identity::tags()`); a client's own copy never passes,
//! and an unsigned caller gets none.

mod common;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use common::{
    NETWORK_AUTH_CREDENTIALS, REGION, echo_upstream, fixture_binary, network_auth_request,
    reported_header, send,
};
use http::{HeaderMap, HeaderValue, StatusCode};
use lattice_lambda::{Identity, PrincipalTags};
use lattice_local::auth::CredentialStore;
use lattice_local::dataplane::DataPlaneOptions;
use lattice_local::functions::DiscardLogSink;
use lattice_local::template::{LoadOptions, Topology};
use lattice_local::up::{Stack, StackOptions};
use serde_json::json;

const TEMPLATE: &str = r#"
Resources:
  Fixture:
    Type: AWS::Serverless::Function
    Metadata: { BuildMethod: rust-cargolambda, BuildProperties: { Binary: lattice-target-fixture } }
    Properties: { Timeout: 5 }
  Api:
    Type: AWS::VpcLattice::Service
    Properties: { Name: api }
  Pods:
    Type: AWS::VpcLattice::TargetGroup
    Properties: { Type: IP, Config: { Port: 80 } }
  V1Group:
    Type: AWS::VpcLattice::TargetGroup
    Properties: { Type: LAMBDA, Targets: [ { Id: !GetAtt Fixture.Arn } ] }
  V2Group:
    Type: AWS::VpcLattice::TargetGroup
    Properties:
      Type: LAMBDA
      Config: { LambdaEventStructureVersion: V2 }
      Targets: [ { Id: !GetAtt Fixture.Arn } ]
  Listener:
    Type: AWS::VpcLattice::Listener
    Properties:
      ServiceIdentifier: !Ref Api
      Protocol: HTTPS
      DefaultAction: { Forward: { TargetGroups: [ { TargetGroupIdentifier: !Ref Pods } ] } }
  V1Rule:
    Type: AWS::VpcLattice::Rule
    Properties:
      ServiceIdentifier: !Ref Api
      ListenerIdentifier: !Ref Listener
      Priority: 1
      Match: { HttpMatch: { PathMatch: { Match: { Prefix: /v1 } } } }
      Action: { Forward: { TargetGroups: [ { TargetGroupIdentifier: !Ref V1Group } ] } }
  V2Rule:
    Type: AWS::VpcLattice::Rule
    Properties:
      ServiceIdentifier: !Ref Api
      ListenerIdentifier: !Ref Listener
      Priority: 2
      Match: { HttpMatch: { PathMatch: { Match: { Prefix: /v2 } } } }
      Action: { Forward: { TargetGroups: [ { TargetGroupIdentifier: !Ref V2Group } ] } }
"#;

/// What the fixture's blue principal carries, in Lattice's form: `principal`, `principalorgid`,
/// then the tags (in key order), `;` inside a value escaped.
const BLUE_TAGS: &str = r"principal=arn:aws:sts::000000000000:assumed-role/app/blue;principalorgid=o-exampleorg1;cost-center=pay\;ments;team=blue";

const BLUE: Option<usize> = Some(0);

async fn start() -> (Stack, SocketAddr) {
    let fixture = fixture_binary();
    let topology = Topology::from_yaml(TEMPLATE, &LoadOptions::new(REGION)).expect("template");
    let store = CredentialStore::load(NETWORK_AUTH_CREDENTIALS).expect("credentials");
    let upstream = echo_upstream("pods").await;
    let mut options = StackOptions::new(DataPlaneOptions::new(REGION, Arc::new(store)));
    options.upstreams = [("Pods".to_owned(), format!("http://{upstream}"))].into();
    options.log_sink = Arc::new(DiscardLogSink);
    let stack = Stack::start(&topology, options, move |name| -> PathBuf {
        assert_eq!(name, "lattice-target-fixture");
        fixture.clone()
    })
    .await
    .expect("stack");
    let addr = stack.data_plane.endpoint("api").expect("api").addr;
    (stack, addr)
}

fn expected_tags() -> Vec<(String, String)> {
    vec![
        ("cost-center".to_owned(), "pay;ments".to_owned()),
        ("team".to_owned(), "blue".to_owned()),
    ]
}

#[tokio::test]
async fn an_http_target_receives_the_callers_tags_in_lattices_form() {
    let (_stack, addr) = start().await;
    let mut request = network_auth_request(addr, "GET", "/pods", BLUE, &[]);
    request.headers_mut().append(
        "x-amzn-lattice-identity-tags",
        HeaderValue::from_static("principal=arn:aws:iam::999999999999:root;team=admins"),
    );
    let reply = send(request).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    let report = reply.json();
    assert_eq!(
        report["headers"]["x-amzn-lattice-identity-tags"],
        json!([BLUE_TAGS]),
        "exactly one copy, Lattice's"
    );
    // The library reads it back as it was in the credentials file.
    let parsed = PrincipalTags::parse(BLUE_TAGS).expect("parses");
    assert_eq!(
        parsed.principal,
        "arn:aws:sts::000000000000:assumed-role/app/blue"
    );
    assert_eq!(parsed.principal_org_id, "o-exampleorg1");
    assert_eq!(parsed.tags, expected_tags());
    let mut headers = HeaderMap::new();
    headers.insert(
        "x-amzn-lattice-identity-tags",
        HeaderValue::from_static(BLUE_TAGS),
    );
    assert_eq!(
        Identity::tags_from_header_map(&headers).expect("tags"),
        expected_tags()
    );
    // The org path travels in the identity header.
    let identity = reported_header(&report, "x-amzn-lattice-identity").expect("identity");
    assert!(
        identity.contains("PrincipalOrgPath=o-exampleorg1/r-ab12/ou-ab12-11111111/"),
        "{identity}"
    );
}

#[tokio::test]
async fn v1_and_v2_events_carry_the_tags_and_the_library_reads_them() {
    let (_stack, addr) = start().await;
    for (path, version) in [("/v1/items", "V1"), ("/v2/items", "V2")] {
        let reply = send(network_auth_request(addr, "GET", path, BLUE, &[])).await;
        assert_eq!(reply.status, StatusCode::OK, "{version}: {}", reply.text());
        let report = reply.json();
        assert_eq!(report["version"], version);
        assert_eq!(
            report["headers"]["x-amzn-lattice-identity-tags"],
            json!([BLUE_TAGS]),
            "{version}"
        );
        // `Identity::tags()` in the function, as the fixture reports it.
        assert_eq!(
            report["context"]["tags"],
            json!([["cost-center", "pay;ments"], ["team", "blue"]]),
            "{version}"
        );
        assert_eq!(
            report["context"]["principal_org_path"], "o-exampleorg1/r-ab12/ou-ab12-11111111/",
            "{version}"
        );
    }
}

#[tokio::test]
async fn an_unsigned_caller_has_no_tags_and_cannot_send_its_own() {
    let (_stack, addr) = start().await;
    for path in ["/pods", "/v1/items", "/v2/items"] {
        let mut request = network_auth_request(addr, "GET", path, None, &[]);
        request.headers_mut().append(
            "x-amzn-lattice-identity-tags",
            HeaderValue::from_static("principal=arn:aws:iam::999999999999:root;team=admins"),
        );
        let reply = send(request).await;
        assert_eq!(reply.status, StatusCode::OK, "{path}: {}", reply.text());
        let report = reply.json();
        assert!(
            report["headers"]
                .get("x-amzn-lattice-identity-tags")
                .is_none(),
            "{path}: {report}"
        );
    }
}
