//! What the inspector records, through the running data plane with real function processes
//! and an HTTP upstream: each row's rule, caller, auth decision and deciding statement; for a
//! Lambda exchange the headers as forwarded (Lattice's marked), the event, the function's
//! response and its log for that request id; for an HTTP exchange the upstream's response head;
//! credentials redacted and bodies cut before they are kept; the ring keeps the last N.

mod common;

use std::path::PathBuf;
use std::sync::Arc;

use bytes::Bytes;
use common::{REGION, Signer, echo_upstream, fixture_binary, local_principal, send};
use http::{Request, StatusCode};
use http_body_util::Full;
use lattice_local::auth::CredentialStore;
use lattice_local::dataplane::DataPlaneOptions;
use lattice_local::functions::DiscardLogSink;
use lattice_local::inspector::{AuthDecision, Inspector, InspectorOptions};
use lattice_local::template::{LoadOptions, Topology};
use lattice_local::up::{Stack, StackOptions};

const TEMPLATE: &str = r#"
Resources:
  Fixture:
    Type: AWS::Serverless::Function
    Metadata: { BuildMethod: rust-cargolambda, BuildProperties: { Binary: lattice-target-fixture } }
    Properties: { Timeout: 5 }
  Api:
    Type: AWS::VpcLattice::Service
    Properties: { Name: api, AuthType: AWS_IAM }
  Policy:
    Type: AWS::VpcLattice::AuthPolicy
    Properties:
      ResourceIdentifier: !Ref Api
      Policy:
        Statement:
          - Sid: AllowTester
            Effect: Allow
            Principal: { AWS: arn:aws:iam::000000000000:role/tester }
            Action: vpc-lattice-svcs:Invoke
            Resource: "*"
  Functions:
    Type: AWS::VpcLattice::TargetGroup
    Properties:
      Type: LAMBDA
      Config: { LambdaEventStructureVersion: V2 }
      Targets: [ { Id: !GetAtt Fixture.Arn } ]
  Pods:
    Type: AWS::VpcLattice::TargetGroup
    Properties: { Type: IP, Config: { Port: 80, Protocol: HTTP } }
  Listener:
    Type: AWS::VpcLattice::Listener
    Properties:
      ServiceIdentifier: !Ref Api
      Protocol: HTTPS
      DefaultAction: { Forward: { TargetGroups: [ { TargetGroupIdentifier: !Ref Pods } ] } }
  LambdaRule:
    Type: AWS::VpcLattice::Rule
    Properties:
      ServiceIdentifier: !Ref Api
      ListenerIdentifier: !Ref Listener
      Priority: 1
      Match: { HttpMatch: { PathMatch: { Match: { Prefix: /lambda } } } }
      Action: { Forward: { TargetGroups: [ { TargetGroupIdentifier: !Ref Functions } ] } }
"#;

const KEY_ID: &str = "AKIACAPTURETESTER001";
const SECRET: &str = "capture/TesterSecret+NeverKept0000001";
const PRINCIPAL: &str = "arn:aws:iam::000000000000:role/tester";
const BODY_LIMIT: usize = 64;

async fn start(history: usize) -> (Stack, Inspector, std::net::SocketAddr) {
    let fixture = fixture_binary();
    let pod = echo_upstream("pod").await;
    let topology = Topology::from_yaml(TEMPLATE, &LoadOptions::new(REGION)).expect("template");
    let store = CredentialStore::from_entries(vec![local_principal(KEY_ID, SECRET, PRINCIPAL)])
        .expect("credentials");
    let inspector = Inspector::new(InspectorOptions {
        port: 0,
        history,
        body_limit: BODY_LIMIT,
    });
    let mut data_plane = DataPlaneOptions::new(REGION, Arc::new(store));
    data_plane.inspector = Some(inspector.clone());
    let mut options = StackOptions::new(data_plane);
    options
        .upstreams
        .insert("Pods".into(), format!("http://{pod}"));
    options.max_instances = 1;
    options.log_sink = Arc::new(DiscardLogSink);
    let stack = Stack::start(&topology, options, move |_| -> PathBuf { fixture.clone() })
        .await
        .expect("stack");
    let addr = stack.data_plane.endpoint("api").expect("api").addr;
    (stack, inspector, addr)
}

fn signed(
    method: &str,
    addr: std::net::SocketAddr,
    path: &str,
    body: &str,
) -> Request<Full<Bytes>> {
    let mut request = Request::builder()
        .method(method)
        .uri(format!("http://{addr}{path}"))
        .header("host", addr.to_string())
        .header("x-amz-content-sha256", "UNSIGNED-PAYLOAD")
        .header("cookie", "session=CookieNeverKept")
        .body(Full::new(Bytes::from(body.to_owned())))
        .expect("request");
    Signer::lattice(KEY_ID, SECRET, REGION).sign(&mut request);
    request
}

#[tokio::test]
async fn lambda_and_http_exchanges_are_kept_redacted_and_cut() {
    let (stack, inspector, addr) = start(10).await;
    let long_body = format!("{{\"note\":\"{}\"}}", "x".repeat(3 * BODY_LIMIT));
    let lambda = send(signed("POST", addr, "/lambda/orders?page=2", &long_body)).await;
    assert_eq!(lambda.status, StatusCode::OK, "{}", lambda.text());
    let pod = send(signed("GET", addr, "/pods/list", "")).await;
    assert_eq!(pod.status, StatusCode::OK, "{}", pod.text());
    let unsigned = send(common::get(addr, &addr.to_string(), "/lambda/x")).await;
    assert_eq!(unsigned.status, StatusCode::FORBIDDEN);

    let rows = inspector.rows();
    assert_eq!(rows.len(), 3, "{rows:?}");
    let (lambda_row, pod_row, denied_row) = (&rows[0], &rows[1], &rows[2]);
    assert_eq!(lambda_row.rule.as_deref(), Some("LambdaRule"));
    assert_eq!(lambda_row.principal.as_deref(), Some(PRINCIPAL));
    assert_eq!(lambda_row.decision, AuthDecision::Allow);
    assert_eq!(lambda_row.statement.as_deref(), Some("service:AllowTester"));
    assert_eq!(lambda_row.target.as_deref(), Some("lambda:Fixture"));
    assert_eq!(lambda_row.path, "/lambda/orders");
    assert_eq!(pod_row.rule.as_deref(), Some("default"));
    assert_eq!(denied_row.principal, None);
    assert_eq!(denied_row.decision, AuthDecision::Deny);
    assert_eq!(
        denied_row.statement.as_deref(),
        Some("service:no-statement-allowed")
    );
    assert_eq!(denied_row.status, 403);

    // The Lambda exchange.
    let entry = inspector.exchange(lambda_row.id).expect("kept");
    let detail = &entry.detail;
    assert_eq!(detail.target, "/lambda/orders?page=2");
    let received = |name: &str| {
        detail
            .received
            .iter()
            .find(|h| h.name == name)
            .map(|h| h.value.as_str())
    };
    assert_eq!(
        received("authorization"),
        Some("AWS4-HMAC-SHA256 [redacted]")
    );
    assert_eq!(received("cookie"), Some("[redacted]"));
    let forwarded = detail.forwarded.as_ref().expect("forwarded headers");
    // A V2 event carries the caller in `requestContext.identity` (checked below), not in
    // Lattice's identity headers, as Lattice's V2 events do.
    assert!(
        !forwarded
            .iter()
            .any(|h| h.name.starts_with("x-amzn-lattice-")),
        "{forwarded:?}"
    );
    assert!(
        forwarded
            .iter()
            .any(|h| h.name == "x-forwarded-for" && h.lattice)
    );
    assert!(forwarded.iter().any(|h| h.name == "cookie" && !h.lattice));
    let call = detail.lambda.as_ref().expect("the invocation");
    assert_eq!(call.function, "Fixture");
    assert_eq!(call.event_version, "V2");
    let event: serde_json::Value = serde_json::from_str(&call.event).expect("event JSON");
    assert_eq!(event["requestContext"]["identity"]["principal"], PRINCIPAL);
    assert_eq!(
        event["headers"]["authorization"][0],
        "AWS4-HMAC-SHA256 [redacted]"
    );
    let body = event["body"].as_str().expect("body");
    assert!(
        body.len() <= BODY_LIMIT + "…".len() && body.ends_with('…'),
        "{body}"
    );
    assert!(call.cut);
    let response: serde_json::Value =
        serde_json::from_str(call.response.as_deref().expect("response")).expect("response JSON");
    assert_eq!(response["statusCode"], 200);
    let log = call.log.as_deref().expect("log");
    assert!(
        log.starts_with(&format!("START RequestId: {}", call.request_id)),
        "{log}"
    );
    assert!(
        log.contains(&format!("REPORT RequestId: {}", call.request_id)),
        "{log}"
    );
    assert!(detail.upstream.is_none());

    // The HTTP exchange: the upstream's response head.
    let entry = inspector.exchange(pod_row.id).expect("kept");
    let upstream = entry.detail.upstream.as_ref().expect("upstream response");
    assert_eq!(upstream.status, 200);
    assert!(upstream.headers.iter().any(|h| h.name == "content-type"));
    assert!(entry.detail.lambda.is_none());

    // The denied request was never forwarded.
    let entry = inspector.exchange(denied_row.id).expect("kept");
    assert!(entry.detail.forwarded.is_none() && entry.detail.lambda.is_none());

    // No secret was kept anywhere.
    for id in [lambda_row.id, pod_row.id, denied_row.id] {
        let kept = serde_json::to_string(&inspector.exchange(id).expect("kept").detail).unwrap();
        for secret in [SECRET, "CookieNeverKept", "Signature="] {
            assert!(
                !kept.contains(secret),
                "{secret} kept in exchange {id}: {kept}"
            );
        }
    }
    stack.shutdown().await;
}

#[tokio::test]
async fn the_ring_keeps_the_last_n_exchanges() {
    let (stack, inspector, addr) = start(2).await;
    for n in 0..5 {
        let reply = send(signed("GET", addr, &format!("/pods/{n}"), "")).await;
        assert_eq!(reply.status, StatusCode::OK);
    }
    let paths: Vec<String> = inspector.rows().into_iter().map(|r| r.path).collect();
    assert_eq!(paths, ["/pods/3", "/pods/4"]);
    let first = inspector.rows()[0].id;
    assert!(inspector.exchange(first - 1).is_none());
    stack.shutdown().await;
}
