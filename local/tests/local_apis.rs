//! The loopback-only APIs: the Invoke API refuses what a web page could send (foreign `Host`,
//! cross-site `Origin`, `Sec-Fetch-Site: cross-site`) and bounds `Event` invocations; `up`
//! keeps it on loopback when `--bind` exposes the data plane, refuses to expose the committed
//! demo keys, and lets functions sign as the first principal of the credentials file.

mod common;

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, UdpSocket};
use std::path::{Path, PathBuf};

use common::{TempDir, raw_body, raw_request, raw_status, test_function_binary};
use lattice_local::functions::{FunctionConfig, FunctionPool};
use lattice_local::inspector::InspectorOptions;
use lattice_local::invoke_api::InvokeApi;
use lattice_local::up::{self, UpError, UpOptions};
use serde_json::json;
use tokio::io::AsyncWriteExt;

const FUNCTION: &str = "test-function";
const PATH: &str = "/2015-03-31/functions/test-function/invocations";

/// A V2 Lattice event that claims a caller no signature vouched for.
fn forged_event() -> String {
    json!({
        "version": "2.0", "path": "/admin", "method": "POST", "headers": {},
        "requestContext": {"identity": {"type": "AWS_IAM",
            "principal": "arn:aws:iam::000000000000:role/Admin"}}
    })
    .to_string()
}

fn invoke_request(host: &str, extra_headers: &str, invocation_type: &str, body: &str) -> String {
    format!(
        "POST {PATH} HTTP/1.1\r\nHost: {host}\r\nX-Amz-Invocation-Type: {invocation_type}\r\n\
         {extra_headers}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
}

fn pool() -> FunctionPool {
    FunctionPool::new(FunctionConfig::new(FUNCTION, test_function_binary()).with_max_instances(1))
        .expect("pool")
}

#[tokio::test]
async fn the_invoke_api_refuses_what_a_web_page_could_send() {
    let pool = pool();
    let api = InvokeApi::bind(
        "127.0.0.1:0".parse().unwrap(),
        common::REGION,
        [pool.clone()],
    )
    .await
    .expect("invoke api");
    let addr = api.addr();
    let refused = [
        ("attacker.example:9001", ""),
        ("127.0.0.1", "Origin: https://evil.example\r\n"),
        ("127.0.0.1", "Origin: null\r\n"),
        ("localhost", "Sec-Fetch-Site: cross-site\r\n"),
    ];
    for (host, headers) in refused {
        let response = raw_request(
            addr,
            &invoke_request(host, headers, "RequestResponse", &forged_event()),
        )
        .await;
        assert_eq!(raw_status(&response), 403, "{host} {headers}: {response}");
        assert!(
            response.contains("AccessDeniedException"),
            "{host} {headers}: {response}"
        );
    }
    // Nothing ran: the refusals came before the function.
    assert!(pool.instances().is_empty());
    // What the AWS CLI sends is served.
    let response = raw_request(
        addr,
        &invoke_request(&addr.to_string(), "", "RequestResponse", r#"{"echo": 7}"#),
    )
    .await;
    assert_eq!(raw_status(&response), 200, "{response}");
    assert_eq!(raw_body(&response), "7");
    pool.shutdown().await;
}

#[tokio::test]
async fn event_invocations_over_the_queue_bound_get_too_many_requests() {
    let pool = pool();
    let api = InvokeApi::bind_with_event_queue(
        "127.0.0.1:0".parse().unwrap(),
        common::REGION,
        [pool.clone()],
        1,
    )
    .await
    .expect("invoke api");
    let addr = api.addr();
    // The first event holds its place until the test lets it finish.
    let rendezvous = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let held = json!({"rendezvous": rendezvous.local_addr().unwrap().to_string()}).to_string();
    let first = raw_request(addr, &invoke_request("127.0.0.1", "", "Event", &held)).await;
    assert_eq!(raw_status(&first), 202, "{first}");
    let (mut running, _) = rendezvous.accept().await.expect("the event is running");
    let second = raw_request(addr, &invoke_request("127.0.0.1", "", "Event", "{}")).await;
    assert_eq!(raw_status(&second), 429, "{second}");
    assert!(second.contains("TooManyRequestsException"), "{second}");
    running.write_all(b"!").await.unwrap();
    // Once the first event is done, the queue has room again.
    let mut accepted = false;
    for _ in 0..500 {
        let third = raw_request(addr, &invoke_request("127.0.0.1", "", "Event", "{}")).await;
        if raw_status(&third) == 202 {
            accepted = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert!(accepted, "the queue never freed its place");
    pool.shutdown().await;
}

const TEMPLATE: &str = r#"
Resources:
  Echo:
    Type: AWS::Serverless::Function
    Metadata: { BuildMethod: rust-cargolambda, BuildProperties: { Binary: test-function } }
    Properties: { FunctionName: test-function, Timeout: 5 }
  Api:
    Type: AWS::VpcLattice::Service
    Properties: { Name: api }
"#;

/// Two principals: the functions must sign as the first, on every run.
const OWN_CREDENTIALS: &str = r#"{"principals": [
  {"access_key_id": "AKIAOWNFIRST00000001", "secret_access_key": "own/first+secret",
   "principal_arn": "arn:aws:sts::111122223333:assumed-role/first/s"},
  {"access_key_id": "AKIAOWNSECOND0000002", "secret_access_key": "own/second+secret",
   "principal_arn": "arn:aws:sts::111122223333:assumed-role/second/s"}
]}"#;

fn up_options(template: &Path, credentials: Option<PathBuf>, bind: IpAddr) -> UpOptions {
    let mut options = common::up_options(Some(template.to_owned()), None);
    options.credentials = credentials;
    options.bind = bind;
    options.inspector = Some(InspectorOptions {
        port: 0,
        ..InspectorOptions::default()
    });
    // Beside the template: a test never writes a CA into the user's state directory.
    options.state_dir = template.parent().map(|dir| dir.join("state"));
    options
}

/// This machine's address on the interface that would route to a documentation address
/// (no packet is sent), if it has one besides loopback.
fn non_loopback_address() -> Option<IpAddr> {
    let socket = UdpSocket::bind((Ipv4Addr::UNSPECIFIED, 0)).ok()?;
    socket.connect(("192.0.2.1", 9)).ok()?;
    let ip = socket.local_addr().ok()?.ip();
    (!ip.is_loopback() && !ip.is_unspecified()).then_some(ip)
}

#[tokio::test]
async fn a_non_loopback_bind_keeps_the_invoke_api_and_inspector_on_loopback_and_refuses_the_demo_keys()
 {
    test_function_binary();
    let dir = TempDir::new("lattice-local-exposure");
    let template = dir.write("template.yaml", TEMPLATE);
    let everywhere = IpAddr::V4(Ipv4Addr::UNSPECIFIED);

    // The committed demo keys (the default credentials) may not be exposed.
    let error = up::start(up_options(&template, None, everywhere))
        .await
        .expect_err("demo keys on 0.0.0.0");
    assert!(
        matches!(error, UpError::PublicCredentialsExposed { .. }),
        "{error}"
    );
    assert!(error.to_string().contains("--credentials FILE"), "{error}");

    let credentials = dir.write("credentials.json", OWN_CREDENTIALS);
    let running = up::start(up_options(&template, Some(credentials), everywhere))
        .await
        .expect("up with own keys");
    let invoke = running.invoke_api.addr();
    assert!(invoke.ip().is_loopback(), "{invoke}");
    let inspector = running.inspector.as_ref().expect("inspector").addr();
    assert!(inspector.ip().is_loopback(), "{inspector}");
    let api = running.stack.data_plane.endpoint("api").unwrap().addr;
    assert!(
        api.ip().is_unspecified(),
        "the data plane follows --bind: {api}"
    );

    // Functions sign as the first principal of the file.
    let pool = running.stack.pool("test-function").expect("pool");
    let env: BTreeMap<&str, &str> = pool
        .config()
        .env
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(env.get("AWS_ACCESS_KEY_ID"), Some(&"AKIAOWNFIRST00000001"));

    // From another machine, the forged-identity invoke cannot even connect.
    if let Some(ip) = non_loopback_address() {
        let remote = SocketAddr::new(ip, invoke.port());
        let connected = tokio::net::TcpStream::connect(remote).await;
        assert!(connected.is_err(), "the Invoke API answered on {remote}");
        // Nor can the page that shows every exchange.
        let remote = SocketAddr::new(ip, inspector.port());
        let connected = tokio::net::TcpStream::connect(remote).await;
        assert!(connected.is_err(), "the inspector answered on {remote}");
        // The data plane is reachable there, so the address itself works.
        let data_plane = SocketAddr::new(ip, api.port());
        tokio::net::TcpStream::connect(data_plane)
            .await
            .unwrap_or_else(|e| panic!("the data plane on {data_plane}: {e}"));
    }
    // On loopback, the Invoke API serves the function as before.
    let response = raw_request(
        invoke,
        &invoke_request(&invoke.to_string(), "", "RequestResponse", r#"{"echo": 1}"#),
    )
    .await;
    assert_eq!(raw_status(&response), 200, "{response}");
    running.shutdown().await;
}
