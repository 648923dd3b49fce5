//! `--access-log json` through the running data plane: a served request and a denied one are
//! each one `VpcLatticeAccessLogs` object, with Lattice's field names and types and the values
//! a query on real logs would read (ARNs, caller, target, timings, bytes, failure fields).

mod common;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;

use common::{REGION, Signer, echo_upstream, get, json_record, local_principal, send};
use http::StatusCode;
use lattice_local::access_log::AccessLog;
use lattice_local::auth::{CredentialStore, LocalPrincipal};
use lattice_local::dataplane::DataPlaneOptions;
use lattice_local::template::{LoadOptions, Topology};
use lattice_local::up::{Stack, StackOptions};
use serde_json::{Map, Value};

const TEMPLATE: &str = r#"
Resources:
  Network:
    Type: AWS::VpcLattice::ServiceNetwork
    Properties: { Name: shop-net }
  Orders:
    Type: AWS::VpcLattice::Service
    Properties: { Name: orders, AuthType: AWS_IAM }
  Association:
    Type: AWS::VpcLattice::ServiceNetworkServiceAssociation
    Properties: { ServiceNetworkIdentifier: !Ref Network, ServiceIdentifier: !Ref Orders }
  Pods:
    Type: AWS::VpcLattice::TargetGroup
    Properties: { Type: IP, Config: { Port: 80 } }
  Listener:
    Type: AWS::VpcLattice::Listener
    Properties:
      ServiceIdentifier: !Ref Orders
      Protocol: HTTPS
      DefaultAction: { Forward: { TargetGroups: [ { TargetGroupIdentifier: !Ref Pods } ] } }
  Policy:
    Type: AWS::VpcLattice::AuthPolicy
    Properties:
      ResourceIdentifier: !Ref Orders
      Policy:
        Statement:
          - Effect: Allow
            Principal: "*"
            Action: vpc-lattice-svcs:Invoke
            Resource: !Sub "${Orders.Arn}/*"
            Condition: { StringEquals: { "aws:PrincipalOrgID": o-shop123456 } }
          - Effect: Deny
            Principal: "*"
            Action: vpc-lattice-svcs:Invoke
            Resource: !Sub "${Orders.Arn}/admin*"
"#;

const KEY: &str = "AKIALOCALCLIENT00001";
const SECRET: &str = "local/Client+Secret/Key00000000000000000";
const PRINCIPAL: &str = "arn:aws:sts::000000000000:assumed-role/client/session-7";
const SOURCE_VPC: &str = "arn:aws:ec2:us-west-2:000000000000:vpc/vpc-0client";

struct Running {
    _stack: Stack,
    addr: SocketAddr,
    upstream: SocketAddr,
    topology: Topology,
    log: AccessLog,
}

async fn start() -> Running {
    let topology = Topology::from_yaml(TEMPLATE, &LoadOptions::new(REGION)).expect("template");
    let store = CredentialStore::from_entries(vec![LocalPrincipal {
        principal_org_id: Some("o-shop123456".into()),
        session_name: Some("session-7".into()),
        source_vpc_arn: Some(SOURCE_VPC.into()),
        ..local_principal(KEY, SECRET, PRINCIPAL)
    }])
    .expect("store");
    let upstream = echo_upstream("pods").await;
    let log = AccessLog::memory();
    let mut data_plane = DataPlaneOptions::new(REGION, Arc::new(store));
    data_plane.access_log = log.clone();
    let mut options = StackOptions::new(data_plane);
    options.upstreams = BTreeMap::from([("Pods".to_owned(), format!("http://{upstream}"))]);
    let stack = Stack::start(&topology, options, |_| unreachable!("no functions"))
        .await
        .expect("stack");
    let addr = stack.data_plane.endpoint("orders").unwrap().addr;
    Running {
        _stack: stack,
        addr,
        upstream,
        topology,
        log,
    }
}

fn signed_get(addr: SocketAddr, path: &str) -> http::Request<http_body_util::Full<bytes::Bytes>> {
    let mut request = get(addr, "orders.lattice.localhost", path);
    request
        .headers_mut()
        .insert("user-agent", "curl/8.5.0".parse().unwrap());
    Signer::lattice(KEY, SECRET, REGION).sign(&mut request);
    request
}

/// The record of the only request to `path`, as JSON.
fn logged(log: &AccessLog, path: &str) -> Map<String, Value> {
    let records: Vec<_> = log
        .records()
        .into_iter()
        .filter(|r| r.path() == path)
        .collect();
    assert_eq!(records.len(), 1, "{records:?}");
    json_record(&records[0])
}

/// Lattice's types (which field has which is pinned in `access_log/json.rs`'s unit tests):
/// unsigned integers, or strings that are never empty (absent is `-`); 33 fields in all.
fn assert_lattice_types(map: &Map<String, Value>) {
    for (field, value) in map {
        let typed = value.is_u64() || value.as_str().is_some_and(|text| !text.is_empty());
        assert!(typed, "{field}: {value}");
    }
    let integers = map.values().filter(|v| v.is_u64()).count();
    assert_eq!((integers, map.len()), (6, 33), "{map:?}");
}

#[tokio::test]
async fn a_served_request_is_one_lattice_object_with_every_field() {
    let running = start().await;
    let reply = send(signed_get(running.addr, "/orders/7?token=secret")).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    let map = logged(&running.log, "/orders/7");
    assert_lattice_types(&map);
    let service = running.topology.service("orders").unwrap();
    let group = running.topology.target_group("Pods").unwrap();
    let text = |field: &str| map[field].as_str().unwrap().to_owned();
    assert_eq!(text("serviceArn"), service.arn);
    assert_eq!(text("serviceNetworkArn"), service.service_network_arn);
    assert!(
        text("serviceNetworkArn").contains(":servicenetwork/sn-"),
        "{map:?}"
    );
    assert_eq!(text("targetGroupArn"), group.arn);
    assert_eq!(text("targetIpPort"), running.upstream.to_string());
    assert!(text("sourceIpPort").starts_with("127.0.0.1:"), "{map:?}");
    assert_eq!(text("requestMethod"), "GET");
    assert_eq!(text("requestPath"), "/orders/7");
    assert_eq!(text("protocol"), "HTTP/1.1");
    assert_eq!(text("hostHeader"), "orders.lattice.localhost");
    assert_eq!(text("userAgent"), "curl/8.5.0");
    assert_eq!(text("callerPrincipal"), PRINCIPAL);
    assert_eq!(text("resolvedUser"), PRINCIPAL);
    assert_eq!(text("callerPrincipalOrgID"), "o-shop123456");
    assert_eq!(text("sourceVpcArn"), SOURCE_VPC);
    assert_eq!(text("sourceVpcId"), "vpc-0client");
    assert_eq!(text("authDeniedReason"), "-");
    assert_eq!(text("failureReason"), "-");
    // Plain HTTP listener locally: no TLS facts.
    assert_eq!(text("tlsVersion"), "-");
    assert_eq!(map["responseCode"], 200);
    // `yyyy-mm-ddThh:mm:ssZ`, like Lattice's.
    let start = text("startTime");
    assert_eq!(start.len(), 20, "{start}");
    assert!(
        start.ends_with('Z') && start.as_bytes()[10] == b'T',
        "{start}"
    );
    // Heads count: at least the upstream's JSON body went out, and the signed head came in.
    let sent = map["bytesSent"].as_u64().unwrap();
    assert!(
        sent > reply.body.len() as u64,
        "{sent} vs {}",
        reply.body.len()
    );
    assert!(map["bytesReceived"].as_u64().unwrap() > 300, "{map:?}");
    let duration = map["duration"].as_u64().unwrap();
    let to_target = map["requestToTargetDuration"].as_u64().unwrap();
    assert!(to_target <= duration, "{map:?}");
    // The query (which may hold presigned credentials) is never written.
    assert!(!format!("{map:?}").contains("secret"), "{map:?}");
}

#[tokio::test]
async fn a_denied_request_names_the_caller_the_policy_and_no_target() {
    let running = start().await;
    let reply = send(signed_get(running.addr, "/admin/users")).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN, "{}", reply.text());
    let map = logged(&running.log, "/admin/users");
    assert_lattice_types(&map);
    assert_eq!(map["responseCode"], 403);
    assert_eq!(map["authDeniedReason"], "Service");
    assert_eq!(map["failureReason"], "ClientAccessDenied");
    // Lattice logs who was denied, and that no target was reached.
    assert_eq!(map["callerPrincipal"], PRINCIPAL);
    assert_eq!(map["resolvedUser"], PRINCIPAL);
    assert_eq!(map["targetIpPort"], "-");
    assert_eq!(map["targetGroupArn"], "-");
    assert_eq!(map["requestToTargetDuration"], 0);
    assert_eq!(map["responseFromTargetDuration"], 0);

    // An unsigned request is denied too, with no caller to name.
    let reply = send(get(running.addr, "orders.lattice.localhost", "/anonymous")).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    let map = logged(&running.log, "/anonymous");
    assert_eq!(map["authDeniedReason"], "Service");
    assert_eq!(map["callerPrincipal"], "-");
    assert_eq!(map["resolvedUser"], "-");
}
