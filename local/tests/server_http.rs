//! The data plane with HTTP targets: rule priority, match types, case
//! sensitivity, fixed responses, weighted forwarding, Host routing, and the
//! Lattice headers (client copies stripped).

mod common;

use std::collections::BTreeMap;
use std::sync::Arc;

use common::{REGION, echo_upstream, get, logged, reported_header, send};
use http::StatusCode;
use lattice_local::access_log::AccessLog;
use lattice_local::auth::CredentialStore;
use lattice_local::dataplane::DataPlaneOptions;
use lattice_local::template::{LoadOptions, Topology};
use lattice_local::up::{Stack, StackOptions};

const TEMPLATE: &str = r#"
Parameters:
  CanaryWeight: { Type: Number, Default: 10 }
Resources:
  Shop:
    Type: AWS::VpcLattice::Service
    Properties: { Name: shop, AuthType: NONE }
  Main:
    Type: AWS::VpcLattice::TargetGroup
    Properties: { Type: IP, Config: { Port: 80, Protocol: HTTP } }
  Canary:
    Type: AWS::VpcLattice::TargetGroup
    Properties: { Type: IP, Config: { Port: 80, Protocol: HTTP } }
  Listener:
    Type: AWS::VpcLattice::Listener
    Properties:
      ServiceIdentifier: !Ref Shop
      Protocol: HTTPS
      DefaultAction:
        Forward:
          TargetGroups:
            - { TargetGroupIdentifier: !Ref Main, Weight: 90 }
            - { TargetGroupIdentifier: !Ref Canary, Weight: !Ref CanaryWeight }
  CanaryHeader:
    Type: AWS::VpcLattice::Rule
    Properties:
      ServiceIdentifier: !Ref Shop
      ListenerIdentifier: !Ref Listener
      Priority: 1
      Match:
        HttpMatch:
          HeaderMatches:
            - { Name: x-track, Match: { Prefix: canary }, CaseSensitive: false }
      Action: { Forward: { TargetGroups: [ { TargetGroupIdentifier: !Ref Canary } ] } }
  Api:
    Type: AWS::VpcLattice::Rule
    Properties:
      ServiceIdentifier: !Ref Shop
      ListenerIdentifier: !Ref Listener
      Priority: 5
      Match:
        HttpMatch:
          Method: GET
          PathMatch: { Match: { Prefix: /api }, CaseSensitive: true }
      Action: { Forward: { TargetGroups: [ { TargetGroupIdentifier: !Ref Main } ] } }
  Teapot:
    Type: AWS::VpcLattice::Rule
    Properties:
      ServiceIdentifier: !Ref Shop
      ListenerIdentifier: !Ref Listener
      Priority: 7
      Match:
        HttpMatch:
          PathMatch: { Match: { Exact: /teapot } }
      Action: { FixedResponse: { StatusCode: 418 } }
  Blocked:
    Type: AWS::VpcLattice::Rule
    Properties:
      ServiceIdentifier: !Ref Shop
      ListenerIdentifier: !Ref Listener
      Priority: 6
      Match:
        HttpMatch:
          Method: POST
          PathMatch: { Match: { Prefix: /api } }
      Action: { FixedResponse: { StatusCode: 405 } }
  Other:
    Type: AWS::VpcLattice::Service
    Properties: { Name: other }
  OtherListener:
    Type: AWS::VpcLattice::Listener
    Properties:
      ServiceIdentifier: !Ref Other
      Protocol: HTTP
      Port: 80
      DefaultAction: { FixedResponse: { StatusCode: 404 } }
"#;

struct Running {
    stack: Stack,
    log: AccessLog,
    topology: Topology,
}

impl Running {
    fn shop(&self) -> std::net::SocketAddr {
        self.stack
            .data_plane
            .endpoint("shop")
            .expect("shop endpoint")
            .addr
    }
}

async fn start(parameters: &[(&str, &str)]) -> Running {
    start_on_threads(parameters, 0).await
}

/// `threads`: the data plane's own worker threads (0: the test's runtime).
async fn start_on_threads(parameters: &[(&str, &str)], threads: usize) -> Running {
    let mut load = LoadOptions::new(REGION);
    for (k, v) in parameters {
        load = load.with_parameter(*k, *v);
    }
    let topology = Topology::from_yaml(TEMPLATE, &load).expect("template");
    let main = echo_upstream("main").await;
    let canary = echo_upstream("canary").await;
    let store = Arc::new(CredentialStore::from_entries(Vec::new()).expect("empty store"));
    let log = AccessLog::memory();
    let mut data_plane = DataPlaneOptions::new(REGION, store);
    data_plane.access_log = log.clone();
    data_plane.threads = threads;
    data_plane.source_vpc_arn = Some("arn:aws:ec2:us-west-2:000000000000:vpc/vpc-0test".into());
    let mut options = StackOptions::new(data_plane);
    options.upstreams = BTreeMap::from([
        ("Main".to_owned(), format!("http://{main}")),
        ("canary".to_owned(), format!("http://{canary}")),
    ]);
    let stack = Stack::start(&topology, options, |name| {
        panic!("no functions, asked for {name}")
    })
    .await
    .expect("stack starts");
    Running {
        stack,
        log,
        topology,
    }
}

async fn upstream_of(
    request: http::Request<http_body_util::Full<bytes::Bytes>>,
) -> (StatusCode, Option<String>) {
    let reply = send(request).await;
    let name = (reply.status == StatusCode::OK)
        .then(|| reply.json()["upstream"].as_str().map(str::to_owned))
        .flatten();
    (reply.status, name)
}

#[tokio::test]
async fn rules_apply_in_priority_order_with_every_match_type() {
    let running = start(&[("CanaryWeight", "0")]).await;
    let shop = running.shop();
    // Prefix rule, case-sensitive, GET only.
    assert_eq!(
        upstream_of(get(shop, "shop", "/api/items")).await,
        (StatusCode::OK, Some("main".into()))
    );
    // Case differs: the Api rule does not match; default goes to main (canary weight 0).
    assert_eq!(
        upstream_of(get(shop, "shop", "/API/items")).await,
        (StatusCode::OK, Some("main".into()))
    );
    // Method: POST /api is caught by the lower-priority Blocked rule.
    let mut post = get(shop, "shop", "/api/items");
    *post.method_mut() = http::Method::POST;
    assert_eq!(send(post).await.status, StatusCode::METHOD_NOT_ALLOWED);
    // Header prefix, case-insensitive, priority 1 beats the Api rule.
    let mut tracked = get(shop, "shop", "/api/items");
    tracked
        .headers_mut()
        .insert("x-track", "CANARY-blue".parse().unwrap());
    assert_eq!(
        upstream_of(tracked).await,
        (StatusCode::OK, Some("canary".into()))
    );
    // Fixed response, exact path only.
    let teapot = send(get(shop, "shop", "/teapot")).await;
    assert_eq!(teapot.status, StatusCode::IM_A_TEAPOT);
    assert!(teapot.body.is_empty());
    assert_eq!(
        upstream_of(get(shop, "shop", "/teapot/x")).await,
        (StatusCode::OK, Some("main".into()))
    );

    let rules: Vec<String> = running
        .log
        .records()
        .iter()
        .map(|r| logged(&r.rule))
        .collect();
    assert_eq!(
        rules,
        [
            "Api",
            "default",
            "Blocked",
            "CanaryHeader",
            "Teapot",
            "default"
        ]
    );
    let targets: Vec<String> = running
        .log
        .records()
        .iter()
        .map(|r| logged(&r.target))
        .collect();
    assert_eq!(targets[4], "fixed-response");
    assert!(
        targets[0].starts_with("http:http://127.0.0.1:"),
        "{targets:?}"
    );
}

#[tokio::test]
async fn weighted_forwarding_splits_ninety_ten() {
    let running = start(&[]).await;
    let shop = running.shop();
    let mut canary = 0;
    for _ in 0..200 {
        let (status, upstream) = upstream_of(get(shop, "shop", "/")).await;
        assert_eq!(status, StatusCode::OK);
        if upstream.as_deref() == Some("canary") {
            canary += 1;
        }
    }
    // Deterministic interleaving: exactly 10 of every 100.
    assert_eq!(canary, 20);
}

#[tokio::test]
async fn client_copies_of_lattice_headers_are_stripped_and_lattice_values_added() {
    let running = start(&[]).await;
    let shop = running.shop();
    let mut request = get(shop, "shop", "/api/x");
    for name in [
        "x-amzn-lattice-identity",
        "x-amzn-lattice-network",
        "x-amzn-lattice-target",
        "x-forwarded-for",
        "x-forwarded-port",
        "x-forwarded-proto",
    ] {
        request.headers_mut().insert(
            name,
            "Principal=arn:aws:iam::999999999999:root; spoofed"
                .parse()
                .unwrap(),
        );
    }
    request
        .headers_mut()
        .insert("x-app", "kept".parse().unwrap());
    let reply = send(request).await;
    let report = reply.json();
    let text = report.to_string();
    assert!(!text.contains("spoofed"), "{text}");
    assert!(!text.contains("999999999999"), "{text}");
    let service = running.topology.service("shop").unwrap();
    let target = reported_header(&report, "x-amzn-lattice-target").unwrap();
    assert!(
        target.contains(&format!("ServiceArn={}", service.arn)),
        "{target}"
    );
    assert!(
        target
            .contains("TargetGroupArn=arn:aws:vpc-lattice:us-west-2:000000000000:targetgroup/tg-")
    );
    // An unsigned caller: Lattice sends no identity header.
    assert_eq!(reported_header(&report, "x-amzn-lattice-identity"), None);
    assert_eq!(
        reported_header(&report, "x-amzn-lattice-network"),
        Some("SourceVpcArn=arn:aws:ec2:us-west-2:000000000000:vpc/vpc-0test")
    );
    assert_eq!(
        reported_header(&report, "x-forwarded-for"),
        Some("127.0.0.1")
    );
    assert_eq!(reported_header(&report, "x-forwarded-port"), Some("443"));
    assert_eq!(reported_header(&report, "x-forwarded-proto"), Some("https"));
    assert_eq!(reported_header(&report, "x-app"), Some("kept"));
    // Each Lattice header arrives exactly once.
    assert_eq!(
        report["headers"]["x-forwarded-for"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn the_host_port_routes_by_service_name() {
    let running = start(&[]).await;
    let host = running.stack.data_plane.host_addr();
    let port = host.port();
    let reply = send(get(
        host,
        &format!("shop.lattice.localhost:{port}"),
        "/api/x",
    ))
    .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.json()["upstream"], "main");
    let other = send(get(host, "OTHER.lattice.localhost", "/")).await;
    assert_eq!(other.status, StatusCode::NOT_FOUND);
    let unknown = send(get(host, "nobody.lattice.localhost", "/")).await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert!(unknown.text().contains("shop"), "{}", unknown.text());
    let services: Vec<String> = running
        .log
        .records()
        .iter()
        .map(|r| logged(&r.service))
        .collect();
    assert_eq!(services, ["shop", "other", "-"]);
}

#[tokio::test]
async fn a_group_without_upstream_answers_503_and_a_dead_upstream_502() {
    let topology = Topology::from_yaml(TEMPLATE, &LoadOptions::new(REGION)).unwrap();
    let store = Arc::new(CredentialStore::from_entries(Vec::new()).unwrap());
    let mut options = StackOptions::new(DataPlaneOptions::new(REGION, store));
    // Main points at a port nobody listens on; Canary has no upstream at all.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    options.upstreams = BTreeMap::from([("Main".to_owned(), format!("http://{closed}"))]);
    let stack = Stack::start(&topology, options, |_| unreachable!())
        .await
        .unwrap();
    let shop = stack.data_plane.endpoint("shop").unwrap().addr;
    assert_eq!(
        send(get(shop, "shop", "/api/x")).await.status,
        StatusCode::BAD_GATEWAY
    );
    let mut tracked = get(shop, "shop", "/");
    tracked
        .headers_mut()
        .insert("x-track", "canary".parse().unwrap());
    let reply = send(tracked).await;
    assert_eq!(reply.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(
        reply.text().contains("--upstream Canary="),
        "{}",
        reply.text()
    );
}

#[tokio::test]
async fn upstream_connections_are_reused_and_large_bodies_stream_through() {
    // On worker threads: a client connection stays on one thread, and so does its upstream pool.
    let running = start_on_threads(&[], 2).await;
    let shop = running.shop();
    let mut peers = Vec::new();
    for _ in 0..5 {
        let reply = send(get(shop, "shop", "/api/x")).await;
        assert_eq!(reply.status, StatusCode::OK);
        peers.push(reply.json()["peer"].as_str().unwrap().to_owned());
    }
    peers.dedup();
    assert_eq!(peers.len(), 1, "one keep-alive connection: {peers:?}");

    // 1 MiB, chunked: the whole body arrives, and the connection is reused afterwards.
    let big = send(get(shop, "shop", "/api/big/1048576")).await;
    assert_eq!(big.status, StatusCode::OK);
    assert_eq!(big.body.len(), 1_048_576);
    let after = send(get(shop, "shop", "/api/x")).await;
    assert_eq!(after.json()["peer"].as_str(), Some(peers[0].as_str()));

    // An upstream that closes its connections: each request still succeeds.
    for _ in 0..3 {
        let reply = send(get(shop, "shop", "/api/close")).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    }
    assert_eq!(
        send(get(shop, "shop", "/api/x")).await.status,
        StatusCode::OK
    );
}
