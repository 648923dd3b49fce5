//! The data plane's safety rules, each with the request that used to get through: a foreign
//! `Host` (DNS rebinding), a request signed for one service sent to another's port, paths that
//! read differently to the policy and to the upstream, client copies of Lattice's headers, a
//! client that never finishes its request head, an upstream that never answers.

mod common;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use common::{
    REGION, Signer, echo_upstream, get, local_principal, logged, raw_body, raw_request, raw_status,
    send,
};
use http::StatusCode;
use lattice_local::access_log::AccessLog;
use lattice_local::auth::CredentialStore;
use lattice_local::dataplane::DataPlaneOptions;
use lattice_local::template::{LoadOptions, Topology};
use lattice_local::up::{Stack, StackOptions};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const TEMPLATE: &str = r#"
Resources:
  Shop:
    Type: AWS::VpcLattice::Service
    Properties: { Name: shop, AuthType: NONE }
  Vault:
    Type: AWS::VpcLattice::Service
    Properties: { Name: vault, AuthType: AWS_IAM }
  Pods:
    Type: AWS::VpcLattice::TargetGroup
    Properties: { Type: IP, Config: { Port: 80 } }
  ShopListener:
    Type: AWS::VpcLattice::Listener
    Properties:
      ServiceIdentifier: !Ref Shop
      Protocol: HTTPS
      DefaultAction: { Forward: { TargetGroups: [ { TargetGroupIdentifier: !Ref Pods } ] } }
  VaultListener:
    Type: AWS::VpcLattice::Listener
    Properties:
      ServiceIdentifier: !Ref Vault
      Protocol: HTTPS
      DefaultAction: { Forward: { TargetGroups: [ { TargetGroupIdentifier: !Ref Pods } ] } }
  VaultPolicy:
    Type: AWS::VpcLattice::AuthPolicy
    Properties:
      ResourceIdentifier: !Ref Vault
      Policy:
        Statement:
          - Sid: Everyone
            Effect: Allow
            Principal: "*"
            Action: vpc-lattice-svcs:Invoke
            Resource: "*"
          - Sid: NoAdmin
            Effect: Deny
            Principal: "*"
            Action: vpc-lattice-svcs:Invoke
            Resource: !Sub "${Vault.Arn}/admin*"
"#;

const KEY: &str = "AKIALOCALSAFETY00001";
const SECRET: &str = "local/Safety+Secret/Key000000000000000000";
const ARN: &str = "arn:aws:sts::000000000000:assumed-role/app/safety";

struct Running {
    stack: Stack,
    log: AccessLog,
    shop: SocketAddr,
    vault: SocketAddr,
}

async fn start_with(
    configure: impl FnOnce(&mut DataPlaneOptions),
    upstream: SocketAddr,
) -> Running {
    let topology = Topology::from_yaml(TEMPLATE, &LoadOptions::new(REGION)).expect("template");
    let store =
        CredentialStore::from_entries(vec![local_principal(KEY, SECRET, ARN)]).expect("store");
    let log = AccessLog::memory();
    let mut data_plane = DataPlaneOptions::new(REGION, Arc::new(store));
    data_plane.access_log = log.clone();
    configure(&mut data_plane);
    let mut options = StackOptions::new(data_plane);
    options.upstreams = BTreeMap::from([("Pods".to_owned(), format!("http://{upstream}"))]);
    let stack = Stack::start(&topology, options, |_| unreachable!("no functions"))
        .await
        .expect("stack");
    let shop = stack.data_plane.endpoint("shop").expect("shop").addr;
    let vault = stack.data_plane.endpoint("vault").expect("vault").addr;
    Running {
        stack,
        log,
        shop,
        vault,
    }
}

async fn start() -> Running {
    start_with(|_| {}, echo_upstream("pods").await).await
}

fn signed(
    addr: SocketAddr,
    host: &str,
    path: &str,
) -> http::Request<http_body_util::Full<bytes::Bytes>> {
    let mut request = get(addr, host, path);
    Signer::lattice(KEY, SECRET, REGION).sign(&mut request);
    request
}

#[tokio::test]
async fn a_foreign_host_is_refused_and_local_names_are_served() {
    let running = start().await;
    let host_port = running.stack.data_plane.host_addr();
    for (addr, host) in [
        (running.shop, "attacker.example"),
        (running.shop, "attacker.example:8080"),
        (running.shop, "10.1.2.3"),
        (running.shop, "shop.localhost"),
        (host_port, "rebound.attacker.example"),
    ] {
        let reply = send(get(addr, host, "/app")).await;
        assert_eq!(reply.status, StatusCode::MISDIRECTED_REQUEST, "{host}");
        assert!(reply.text().contains(host), "{host}: {}", reply.text());
    }
    for host in [
        running.shop.to_string(),
        format!("localhost:{}", running.shop.port()),
        "shop".into(),
        "SHOP.lattice.localhost".into(),
        "[::1]".into(),
    ] {
        let reply = send(get(running.shop, &host, "/app")).await;
        assert_eq!(reply.status, StatusCode::OK, "{host}: {}", reply.text());
    }
    let reasons: Vec<String> = running
        .log
        .records()
        .iter()
        .map(|r| format!("{}:{}", logged(&r.service), r.reason.unwrap_or("-")))
        .collect();
    assert_eq!(reasons[..5], ["-:foreign-host"; 5]);
    assert!(reasons[5..].iter().all(|r| r == "shop:-"), "{reasons:?}");
}

#[tokio::test]
async fn a_request_signed_for_one_service_is_refused_on_another_services_port() {
    let running = start().await;
    // Signed for vault, sent to shop's own port: shop must not judge vault's request.
    let reply = send(signed(running.shop, "vault.lattice.localhost", "/app")).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN, "{}", reply.text());
    let text = reply.text();
    assert!(
        text.contains("signed for host \"vault.lattice.localhost\""),
        "{text}"
    );
    assert!(text.contains("names service vault, not shop"), "{text}");
    assert!(text.contains(ARN), "{text}");
    // The same signed request reaches vault on its own port and through the Host port.
    let own = send(signed(running.vault, "vault.lattice.localhost", "/app")).await;
    assert_eq!(own.status, StatusCode::OK, "{}", own.text());
    let host_port = running.stack.data_plane.host_addr();
    let routed = send(signed(host_port, "vault.lattice.localhost", "/app")).await;
    assert_eq!(routed.status, StatusCode::OK, "{}", routed.text());
    let reasons: Vec<&str> = running
        .log
        .records()
        .iter()
        .map(|r| r.reason.unwrap_or("-"))
        .collect();
    assert_eq!(reasons, ["signed-for-other-service", "-", "-"]);
}

#[tokio::test]
async fn paths_that_read_as_admin_elsewhere_cannot_pass_a_deny_on_admin() {
    let running = start().await;
    let vault = running.vault;
    // The deny works on the plain path, and other paths are allowed.
    assert_eq!(
        send(get(vault, "vault", "/admin")).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        send(get(vault, "vault", "/app")).await.status,
        StatusCode::OK
    );
    for path in [
        "/x/../admin",
        "//admin",
        "/%61dmin",
        "/./admin",
        "/x%2F..%2Fadmin",
    ] {
        // Sent byte for byte, so no client library normalises the path first.
        let response = raw_request(
            vault,
            &format!("GET {path} HTTP/1.1\r\nHost: vault\r\nConnection: close\r\n\r\n"),
        )
        .await;
        assert_eq!(raw_status(&response), 400, "{path}: {response}");
        assert!(raw_body(&response).contains(path), "{path}: {response}");
        // Signed (aws-sigv4 signs the normalised path): refused before the signature matters.
        let reply = send(signed(vault, "vault", path)).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "signed {path}");
    }
    // None of them reached the upstream: every one was refused as non-canonical.
    let refused = running
        .log
        .records()
        .iter()
        .filter(|r| r.reason == Some("non-canonical-path"))
        .inspect(|r| assert!(r.target.is_none(), "{r}"))
        .count();
    assert_eq!(refused, 10);
}

#[tokio::test]
async fn client_copies_of_lattice_headers_never_reach_the_upstream_in_any_case_or_count() {
    let running = start().await;
    let response = raw_request(
        running.shop,
        "GET /app HTTP/1.1\r\nHost: shop\r\n\
         X-Amzn-Lattice-Identity-Tags: team=admin\r\n\
         x-amzn-lattice-identity-tags: principal=arn:aws:iam::999999999999:root\r\n\
         X-AMZN-LATTICE-IDENTITY-TAGS: spoofed=3\r\n\
         X-Amzn-Lattice-Identity: Principal=arn:aws:iam::999999999999:root\r\n\
         x-amzn-lattice-something-new: spoofed\r\n\
         X-App: kept\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert_eq!(raw_status(&response), 200, "{response}");
    let report: Value = serde_json::from_str(raw_body(&response)).expect("echo JSON");
    let headers = report["headers"].as_object().expect("headers");
    let lattice: Vec<&String> = headers
        .keys()
        .filter(|name| name.starts_with("x-amzn-lattice-"))
        .collect();
    // Only Lattice's own: the target (an unsigned caller has no identity header, and no source
    // VPC is known here, so no network).
    assert_eq!(lattice, ["x-amzn-lattice-target"]);
    let text = report.to_string();
    assert!(!text.contains("999999999999"), "{text}");
    assert!(!text.contains("spoofed"), "{text}");
    assert!(!text.contains("team=admin"), "{text}");
    assert_eq!(headers["x-app"], serde_json::json!(["kept"]));
}

#[tokio::test(start_paused = true)]
async fn a_client_that_sends_half_a_request_line_is_disconnected_after_the_timeout() {
    let running = start().await;
    let timeout = DataPlaneOptions::new(REGION, Arc::default()).header_read_timeout;
    let began = tokio::time::Instant::now();
    let mut stream = tokio::net::TcpStream::connect(running.shop).await.unwrap();
    stream.write_all(b"GET /ap").await.unwrap();
    let mut rest = Vec::new();
    // Paused time: the runtime skips ahead to the server's timer once nothing else can run.
    let read = stream.read_to_end(&mut rest).await;
    let waited = began.elapsed();
    assert!(
        matches!(read, Ok(0)) || read.is_err(),
        "the server closed the connection: {read:?} {rest:?}"
    );
    assert!(
        waited >= timeout,
        "closed after {waited:?}, before {timeout:?}"
    );
    assert!(
        waited < timeout + Duration::from_secs(5),
        "closed after {waited:?}"
    );
    // A complete request on a new connection is still served.
    assert_eq!(
        send(get(running.shop, "shop", "/app")).await.status,
        StatusCode::OK
    );
}

/// An upstream that accepts connections, reads requests and never answers.
async fn hanging_upstream() -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((mut stream, _)) = listener.accept().await {
            let mut buffer = [0u8; 1024];
            let _ = stream.read(&mut buffer).await;
            held.push(stream);
        }
    });
    addr
}

#[tokio::test(start_paused = true)]
async fn a_hanging_upstream_ends_in_lattices_timeout_status() {
    let upstream_timeout = Duration::from_secs(5);
    let running = start_with(
        |options| options.upstream_timeout = upstream_timeout,
        hanging_upstream().await,
    )
    .await;
    let began = tokio::time::Instant::now();
    let reply = send(get(running.shop, "shop", "/app")).await;
    assert_eq!(
        reply.status,
        StatusCode::GATEWAY_TIMEOUT,
        "{}",
        reply.text()
    );
    assert!(reply.text().contains("within 5 s"), "{}", reply.text());
    assert!(began.elapsed() >= upstream_timeout);
    let record = &running.log.records()[0];
    assert_eq!(record.reason, Some("target-timeout"));
    assert!(
        logged(&record.target).starts_with("http:http://127.0.0.1:"),
        "{record}"
    );
}
