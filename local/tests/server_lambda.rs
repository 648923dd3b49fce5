//! LAMBDA targets through the data plane, with real function processes:
//! V1 vs V2 event shaping, binary bodies, and the failures that give `502`
//! (crash — then recovery on a fresh instance —, timeout, malformed response).

mod common;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use common::{REGION, fixture_binary, get, reported_header, send, test_function_binary};
use http::StatusCode;
use lattice_local::access_log::AccessLog;
use lattice_local::auth::CredentialStore;
use lattice_local::dataplane::DataPlaneOptions;
use lattice_local::functions::DiscardLogSink;
use lattice_local::template::{LoadOptions, Topology};
use lattice_local::up::{Stack, StackOptions};

const TEMPLATE: &str = r#"
Resources:
  Fixture:
    Type: AWS::Serverless::Function
    Metadata: { BuildMethod: rust-cargolambda, BuildProperties: { Binary: lattice-target-fixture } }
    Properties: { Timeout: 1, Environment: { Variables: { MODE: test } } }
  Echo:
    Type: AWS::Serverless::Function
    Metadata: { BuildMethod: rust-cargolambda, BuildProperties: { Binary: test-function } }
    Properties: { Timeout: 5 }
  Api:
    Type: AWS::VpcLattice::Service
    Properties: { Name: api }
  V2Group:
    Type: AWS::VpcLattice::TargetGroup
    Properties:
      Type: LAMBDA
      Config: { LambdaEventStructureVersion: V2 }
      Targets: [ { Id: !GetAtt Fixture.Arn } ]
  V1Group:
    Type: AWS::VpcLattice::TargetGroup
    Properties:
      Type: LAMBDA
      Targets: [ { Id: !GetAtt Fixture.Arn } ]
  EchoGroup:
    Type: AWS::VpcLattice::TargetGroup
    Properties:
      Type: LAMBDA
      Config: { LambdaEventStructureVersion: V2 }
      Targets: [ { Id: !Ref Echo } ]
  Listener:
    Type: AWS::VpcLattice::Listener
    Properties:
      ServiceIdentifier: !Ref Api
      Protocol: HTTPS
      DefaultAction: { Forward: { TargetGroups: [ { TargetGroupIdentifier: !Ref V2Group } ] } }
  V1Rule:
    Type: AWS::VpcLattice::Rule
    Properties:
      ServiceIdentifier: !Ref Api
      ListenerIdentifier: !Ref Listener
      Priority: 1
      Match: { HttpMatch: { PathMatch: { Match: { Prefix: /v1 } } } }
      Action: { Forward: { TargetGroups: [ { TargetGroupIdentifier: !Ref V1Group } ] } }
  EchoRule:
    Type: AWS::VpcLattice::Rule
    Properties:
      ServiceIdentifier: !Ref Api
      ListenerIdentifier: !Ref Listener
      Priority: 2
      Match: { HttpMatch: { PathMatch: { Match: { Prefix: /echo } } } }
      Action: { Forward: { TargetGroups: [ { TargetGroupIdentifier: !Ref EchoGroup } ] } }
"#;

struct Running {
    stack: Stack,
    addr: SocketAddr,
    topology: Topology,
    log: AccessLog,
}

async fn start() -> Running {
    let fixture = fixture_binary();
    let test_function = test_function_binary();
    let topology = Topology::from_yaml(TEMPLATE, &LoadOptions::new(REGION)).expect("template");
    let store = Arc::new(CredentialStore::from_entries(Vec::new()).unwrap());
    let log = AccessLog::memory();
    let mut data_plane = DataPlaneOptions::new(REGION, store);
    data_plane.access_log = log.clone();
    data_plane.source_vpc_arn = Some("arn:aws:ec2:us-west-2:000000000000:vpc/vpc-0caller".into());
    let mut options = StackOptions::new(data_plane);
    options.max_instances = 2;
    options.log_sink = Arc::new(DiscardLogSink);
    let stack = Stack::start(&topology, options, move |name| -> PathBuf {
        match name {
            "lattice-target-fixture" => fixture.clone(),
            "test-function" => test_function.clone(),
            other => panic!("unexpected binary {other}"),
        }
    })
    .await
    .expect("stack");
    let addr = stack.data_plane.endpoint("api").unwrap().addr;
    Running {
        stack,
        addr,
        topology,
        log,
    }
}

#[tokio::test]
async fn v2_and_v1_events_carry_the_request_and_the_context() {
    let running = start().await;
    let service = running.topology.service("api").unwrap();
    let group_arn = |id: &str| running.topology.target_group(id).unwrap().arn.clone();

    let mut request = get(running.addr, "api", "/items?tag=a&tag=b");
    request
        .headers_mut()
        .append("x-multi", "1".parse().unwrap());
    request
        .headers_mut()
        .append("x-multi", "2".parse().unwrap());
    request.headers_mut().insert(
        "x-amzn-lattice-identity",
        "Principal=spoofed".parse().unwrap(),
    );
    let v2 = send(request).await;
    assert_eq!(v2.status, StatusCode::OK, "{}", v2.text());
    let v2 = v2.json();
    assert_eq!(v2["version"], "V2");
    assert_eq!(v2["path"], "/items");
    assert_eq!(v2["query"], serde_json::json!([["tag", "a"], ["tag", "b"]]));
    assert_eq!(v2["headers"]["x-multi"], serde_json::json!(["1", "2"]));
    assert_eq!(v2["context"]["service_arn"], service.arn.as_str());
    assert_eq!(
        v2["context"]["service_network_arn"],
        service.service_network_arn.as_str()
    );
    assert_eq!(
        v2["context"]["target_group_arn"],
        group_arn("V2Group").as_str()
    );
    assert_eq!(v2["context"]["region"], REGION);
    assert_eq!(v2["context"]["auth_type"], "NONE");
    assert_eq!(v2["context"]["principal"], serde_json::Value::Null);
    assert_eq!(
        v2["context"]["source_vpc_arn"],
        "arn:aws:ec2:us-west-2:000000000000:vpc/vpc-0caller"
    );
    assert_eq!(reported_header(&v2, "x-forwarded-for"), Some("127.0.0.1"));
    assert!(!v2.to_string().contains("spoofed"));

    let mut request = get(running.addr, "api", "/v1/items?tag=a&tag=b");
    request
        .headers_mut()
        .append("x-multi", "1".parse().unwrap());
    request
        .headers_mut()
        .append("x-multi", "2".parse().unwrap());
    let v1 = send(request).await;
    assert_eq!(v1.status, StatusCode::OK, "{}", v1.text());
    let v1 = v1.json();
    assert_eq!(v1["version"], "V1");
    assert_eq!(v1["path"], "/v1/items");
    // V1 joins repeated headers into one value; the context travels in headers.
    assert_eq!(v1["headers"]["x-multi"], serde_json::json!(["1, 2"]));
    assert_eq!(v1["context"]["service_arn"], service.arn.as_str());
    assert_eq!(
        v1["context"]["target_group_arn"],
        group_arn("V1Group").as_str()
    );
    assert!(reported_header(&v1, "x-amzn-lattice-target").is_some());
}

#[tokio::test]
async fn binary_bodies_are_base64_decoded() {
    let running = start().await;
    let reply = send(get(running.addr, "api", "/binary")).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(&reply.body[..], [0xff, 0x00]);
    assert_eq!(reply.headers["content-type"], "application/octet-stream");
}

#[tokio::test]
async fn a_crash_gives_502_and_the_next_request_gets_a_fresh_instance() {
    let running = start().await;
    let crash = send(get(running.addr, "api", "/crash")).await;
    assert_eq!(crash.status, StatusCode::BAD_GATEWAY);
    assert!(crash.text().contains("exited"), "{}", crash.text());
    let after = send(get(running.addr, "api", "/after")).await;
    assert_eq!(after.status, StatusCode::OK, "{}", after.text());
    assert_eq!(after.json()["path"], "/after");
    let statuses: Vec<u16> = running
        .log
        .records()
        .iter()
        .map(|r| r.status.as_u16())
        .collect();
    assert_eq!(statuses, [502, 200]);
}

#[tokio::test]
async fn a_function_slower_than_its_timeout_gives_502() {
    let running = start().await;
    // The template gives the fixture a 1 s timeout.
    let slow = send(get(running.addr, "api", "/sleep/3000")).await;
    assert_eq!(slow.status, StatusCode::BAD_GATEWAY);
    assert!(slow.text().contains("timed out"), "{}", slow.text());
    let fast = send(get(running.addr, "api", "/sleep/1")).await;
    assert_eq!(fast.status, StatusCode::OK);
    assert_eq!(fast.text(), "slept");
}

#[tokio::test]
async fn a_response_that_is_not_a_lattice_response_gives_502() {
    let running = start().await;
    // test-function echoes its payload (the event), which has no statusCode.
    let reply = send(get(running.addr, "api", "/echo")).await;
    assert_eq!(reply.status, StatusCode::BAD_GATEWAY);
    assert!(
        reply.text().contains("malformed Lattice response"),
        "{}",
        reply.text()
    );
    drop(running.stack);
}

#[tokio::test]
async fn an_event_over_the_lambda_limit_is_refused_with_413_naming_the_limit() {
    let running = start().await;
    let upload = |body: Vec<u8>| {
        http::Request::post(format!("http://{}/upload", running.addr))
            .header("host", "api")
            .header("content-type", "application/octet-stream")
            .body(http_body_util::Full::new(bytes::Bytes::from(body)))
            .unwrap()
    };
    // 5 MB of binary: under the 6 MB body limit, but base64 in the event makes it 6.7 MB.
    let reply = send(upload(vec![0xff; 5_000_000])).await;
    assert_eq!(
        reply.status,
        StatusCode::PAYLOAD_TOO_LARGE,
        "{}",
        reply.text()
    );
    let text = reply.text();
    assert!(text.contains("6291456-byte Lambda invoke limit"), "{text}");
    assert!(text.contains("base64"), "{text}");
    // A body over the limit itself is refused before any event is built.
    let reply = send(upload(vec![b'x'; 6 * 1024 * 1024 + 1])).await;
    assert_eq!(
        reply.status,
        StatusCode::PAYLOAD_TOO_LARGE,
        "{}",
        reply.text()
    );
    let reasons: Vec<&str> = running
        .log
        .records()
        .iter()
        .map(|r| r.reason.unwrap_or("-"))
        .collect();
    assert_eq!(reasons, ["event-too-large", "body-too-large"]);
    // The function never ran: no instance was started for a refused event.
    let pool = running.stack.pool("Fixture").expect("fixture pool");
    assert!(pool.instances().is_empty(), "{:?}", pool.instances());
}
