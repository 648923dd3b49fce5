//! Lattice's own failures, each with the status of the table *Lattice's own failures* in
//! `docs/lattice-local.md` and the `failureReason` its JSON access-log record carries: a
//! function error, a crash, a timeout, a response that is not a Lattice response, one over
//! 6 MB, a body over 6 MB, a group with no target, an upstream that refuses connections.
//! Real function processes; the upstream timeout (`504`) is pinned with paused time in
//! `dataplane_safety.rs`.

mod common;

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;

use bytes::Bytes;
use common::{REGION, fixture_binary, get, json_record, raw_event_target_binary, send};
use http::StatusCode;
use http_body_util::Full;
use lattice_local::access_log::AccessLog;
use lattice_local::auth::CredentialStore;
use lattice_local::dataplane::DataPlaneOptions;
use lattice_local::functions::DiscardLogSink;
use lattice_local::template::{LoadOptions, Topology};
use lattice_local::up::{Stack, StackOptions};

const TEMPLATE: &str = r#"
Resources:
  Raw:
    Type: AWS::Serverless::Function
    Metadata: { BuildMethod: rust-cargolambda, BuildProperties: { Binary: raw-event-target } }
    Properties: { Timeout: 5 }
  Fixture:
    Type: AWS::Serverless::Function
    Metadata: { BuildMethod: rust-cargolambda, BuildProperties: { Binary: lattice-target-fixture } }
    Properties: { Timeout: 1 }
  Api:
    Type: AWS::VpcLattice::Service
    Properties: { Name: api }
  RawGroup:
    Type: AWS::VpcLattice::TargetGroup
    Properties:
      Type: LAMBDA
      Config: { LambdaEventStructureVersion: V2 }
      Targets: [ { Id: !GetAtt Raw.Arn } ]
  FixtureGroup:
    Type: AWS::VpcLattice::TargetGroup
    Properties:
      Type: LAMBDA
      Config: { LambdaEventStructureVersion: V2 }
      Targets: [ { Id: !GetAtt Fixture.Arn } ]
  Nowhere:
    Type: AWS::VpcLattice::TargetGroup
    Properties: { Type: IP, Config: { Port: 80 } }
  Refusing:
    Type: AWS::VpcLattice::TargetGroup
    Properties: { Type: IP, Config: { Port: 80 } }
  Listener:
    Type: AWS::VpcLattice::Listener
    Properties:
      ServiceIdentifier: !Ref Api
      Protocol: HTTPS
      DefaultAction: { Forward: { TargetGroups: [ { TargetGroupIdentifier: !Ref RawGroup } ] } }
  CrashRule:
    Type: AWS::VpcLattice::Rule
    Properties:
      ServiceIdentifier: !Ref Api
      ListenerIdentifier: !Ref Listener
      Priority: 1
      Match: { HttpMatch: { PathMatch: { Match: { Exact: /crash } } } }
      Action: { Forward: { TargetGroups: [ { TargetGroupIdentifier: !Ref FixtureGroup } ] } }
  SleepRule:
    Type: AWS::VpcLattice::Rule
    Properties:
      ServiceIdentifier: !Ref Api
      ListenerIdentifier: !Ref Listener
      Priority: 4
      Match: { HttpMatch: { PathMatch: { Match: { Prefix: /sleep/ } } } }
      Action: { Forward: { TargetGroups: [ { TargetGroupIdentifier: !Ref FixtureGroup } ] } }
  NowhereRule:
    Type: AWS::VpcLattice::Rule
    Properties:
      ServiceIdentifier: !Ref Api
      ListenerIdentifier: !Ref Listener
      Priority: 2
      Match: { HttpMatch: { PathMatch: { Match: { Prefix: /nowhere } } } }
      Action: { Forward: { TargetGroups: [ { TargetGroupIdentifier: !Ref Nowhere } ] } }
  RefusingRule:
    Type: AWS::VpcLattice::Rule
    Properties:
      ServiceIdentifier: !Ref Api
      ListenerIdentifier: !Ref Listener
      Priority: 3
      Match: { HttpMatch: { PathMatch: { Match: { Prefix: /refusing } } } }
      Action: { Forward: { TargetGroups: [ { TargetGroupIdentifier: !Ref Refusing } ] } }
"#;

/// An address nothing listens on (bound, then released).
fn closed_port() -> SocketAddr {
    let listener = std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind");
    listener.local_addr().expect("addr")
}

/// One request and what Lattice answers to it.
struct Case {
    path: &'static str,
    body: Option<Vec<u8>>,
    status: StatusCode,
    failure_reason: &'static str,
    /// A fragment of the body saying why.
    says: &'static str,
}

fn case(
    path: &'static str,
    status: StatusCode,
    failure_reason: &'static str,
    says: &'static str,
) -> Case {
    Case {
        path,
        body: None,
        status,
        failure_reason,
        says,
    }
}

#[tokio::test]
async fn each_failure_answers_lattices_status_and_logs_its_failure_reason() {
    let raw = raw_event_target_binary();
    let fixture = fixture_binary();
    let topology = Topology::from_yaml(TEMPLATE, &LoadOptions::new(REGION)).expect("template");
    let store = Arc::new(CredentialStore::from_entries(Vec::new()).unwrap());
    let log = AccessLog::memory();
    let mut data_plane = DataPlaneOptions::new(REGION, store);
    data_plane.access_log = log.clone();
    let mut options = StackOptions::new(data_plane);
    options.max_instances = 1;
    options.log_sink = Arc::new(DiscardLogSink);
    options.upstreams =
        BTreeMap::from([("Refusing".to_owned(), format!("http://{}", closed_port()))]);
    let stack = Stack::start(&topology, options, move |name| -> PathBuf {
        match name {
            "raw-event-target" => raw.clone(),
            "lattice-target-fixture" => fixture.clone(),
            other => panic!("unexpected binary {other}"),
        }
    })
    .await
    .expect("stack");
    let addr = stack.data_plane.endpoint("api").unwrap().addr;

    let cases = [
        case("/served", StatusCode::OK, "-", "\"path\":\"/served\""),
        case(
            "/fail",
            StatusCode::BAD_GATEWAY,
            "LambdaUnhandled",
            "Fixture.Failure",
        ),
        case(
            "/crash",
            StatusCode::BAD_GATEWAY,
            "LambdaUnhandled",
            "exited",
        ),
        // The fixture's Timeout is 1 s.
        case(
            "/sleep/3000",
            StatusCode::BAD_GATEWAY,
            "LambdaUnhandled",
            "timed out",
        ),
        case(
            "/not-lattice",
            StatusCode::BAD_GATEWAY,
            "LambdaInvalidResponse",
            "malformed",
        ),
        case(
            "/too-large",
            StatusCode::BAD_GATEWAY,
            "LambdaResponseTooLarge",
            "6291456 bytes",
        ),
        Case {
            body: Some(vec![b'x'; 6 * 1024 * 1024 + 1]),
            ..case(
                "/upload",
                StatusCode::PAYLOAD_TOO_LARGE,
                "LambdaRequestTooLarge",
                "6291456 bytes",
            )
        },
        case(
            "/nowhere",
            StatusCode::SERVICE_UNAVAILABLE,
            "NoTarget",
            "--upstream Nowhere=",
        ),
        case(
            "/refusing",
            StatusCode::BAD_GATEWAY,
            "TargetConnectionError",
            "upstream",
        ),
    ];
    for case in &cases {
        let mut request = get(addr, "api", case.path);
        if let Some(body) = &case.body {
            *request.method_mut() = http::Method::POST;
            *request.body_mut() = Full::new(Bytes::from(body.clone()));
        }
        let reply = send(request).await;
        assert_eq!(reply.status, case.status, "{}: {}", case.path, reply.text());
        assert!(
            reply.text().contains(case.says),
            "{}: {}",
            case.path,
            reply.text()
        );
        let records = log.records();
        let record = records
            .iter()
            .rfind(|r| r.path() == case.path)
            .unwrap_or_else(|| panic!("{}: no record", case.path));
        let map = json_record(record);
        assert_eq!(map["responseCode"], case.status.as_u16(), "{}", case.path);
        assert_eq!(map["failureReason"], case.failure_reason, "{}", case.path);
    }
    // A Lambda target has no IP and port; its group's ARN is logged.
    let served = json_record(&log.records()[0]);
    assert_eq!(served["targetIpPort"], "-");
    let group = topology.target_group("RawGroup").unwrap();
    assert_eq!(served["targetGroupArn"], group.arn.as_str());
    stack.shutdown().await;
}
