//! Shared helpers of lattice-local's integration tests: built fixtures, stub
//! upstreams and a plain HTTP client (binaries and the signer come from
//! `lattice-test-support`).

#![allow(dead_code)] // each test file uses a different subset

use std::convert::Infallible;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioIo};
use lattice_test_support::binaries::{test_function, workspace_binary, workspace_example};
use serde_json::{Map, Value, json};
use tokio::net::TcpListener;

mod processes;
mod temp_dir;
mod up;

// Each test file uses a different subset.
#[allow(unused_imports)]
pub use lattice_test_support::signing::{Algorithm, Signer};
#[allow(unused_imports)]
pub use processes::{alive, gone, written_pid};
#[allow(unused_imports)]
pub use temp_dir::TempDir;
#[allow(unused_imports)]
pub use up::up_options;

pub const REGION: &str = "us-west-2";

/// `examples/lattice-target-fixture.rs`, built.
pub fn fixture_binary() -> PathBuf {
    workspace_example("lattice-local", "lattice-target-fixture")
}

/// `examples/raw-event-target.rs` (answers with the raw event it received), built.
pub fn raw_event_target_binary() -> PathBuf {
    workspace_example("lattice-local", "raw-event-target")
}

/// The workspace's `examples/axum-function` (an `axum::Router` served by `run_concurrent`),
/// built.
pub fn axum_function_binary() -> PathBuf {
    workspace_binary("axum-function", "axum-function")
}

/// An access record as the JSON access log writes it, parsed.
pub fn json_record(record: &lattice_local::access_log::AccessRecord) -> Map<String, Value> {
    match serde_json::from_str(&record.to_json_line()) {
        Ok(Value::Object(map)) => map,
        other => panic!("an access record is not a JSON object: {other:?}"),
    }
}

/// The runtime helper's `test-function` fixture, built.
pub fn test_function_binary() -> PathBuf {
    test_function()
}

/// An upstream that answers every request with JSON: its `name`, the method,
/// path and the headers it received.
pub async fn echo_upstream(name: &'static str) -> SocketAddr {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .await
        .expect("bind upstream");
    let addr = listener.local_addr().expect("upstream addr");
    tokio::spawn(async move {
        while let Ok((stream, peer)) = listener.accept().await {
            tokio::spawn(async move {
                let service = service_fn(move |request: Request<Incoming>| async move {
                    if let Some((_, size)) = request.uri().path().rsplit_once("/big/") {
                        let remaining: usize = size.parse().unwrap_or(0);
                        let body = ChunkedBody { remaining };
                        return Ok::<_, Infallible>(Response::new(http_body_util::Either::Right(
                            body,
                        )));
                    }
                    if request.uri().path().ends_with("/close") {
                        let body = json!({"upstream": name, "peer": peer.to_string()}).to_string();
                        let mut response = Response::new(http_body_util::Either::Left(Full::new(
                            Bytes::from(body),
                        )));
                        response
                            .headers_mut()
                            .insert("connection", "close".parse().expect("static"));
                        return Ok(response);
                    }
                    let mut headers = Map::new();
                    for key in request.headers().keys() {
                        let values: Vec<Value> = request
                            .headers()
                            .get_all(key)
                            .iter()
                            .map(|v| Value::String(String::from_utf8_lossy(v.as_bytes()).into()))
                            .collect();
                        headers.insert(key.as_str().to_owned(), Value::Array(values));
                    }
                    let body = json!({
                        "upstream": name,
                        "peer": peer.to_string(),
                        "method": request.method().as_str(),
                        "path": request.uri().path_and_query().map(|p| p.as_str()),
                        "headers": headers,
                    });
                    let mut response = Response::new(http_body_util::Either::Left(Full::new(
                        Bytes::from(body.to_string()),
                    )));
                    response
                        .headers_mut()
                        .insert("content-type", "application/json".parse().expect("static"));
                    Ok(response)
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    addr
}

/// A body of `remaining` bytes in 64 KiB frames, with no length announced
/// (so HTTP/1.1 sends it chunked).
struct ChunkedBody {
    remaining: usize,
}

impl hyper::body::Body for ChunkedBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        _cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<hyper::body::Frame<Bytes>, Infallible>>> {
        if self.remaining == 0 {
            return std::task::Poll::Ready(None);
        }
        let len = self.remaining.min(65_536);
        self.remaining -= len;
        std::task::Poll::Ready(Some(Ok(hyper::body::Frame::data(Bytes::from(vec![
            b'x';
            len
        ])))))
    }
}

/// What came back.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Reply {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }
}

/// Sends a request (with a 30 s guard so a test never hangs).
pub async fn send(request: Request<Full<Bytes>>) -> Reply {
    static CLIENT: OnceLock<Client<HttpConnector, Full<Bytes>>> = OnceLock::new();
    let client = CLIENT
        .get_or_init(|| Client::builder(TokioExecutor::new()).build(HttpConnector::new()))
        .clone();
    let response = tokio::time::timeout(Duration::from_secs(30), client.request(request))
        .await
        .expect("request timed out")
        .expect("request failed");
    let status = response.status();
    let headers = response.headers().clone();
    let body = response
        .into_body()
        .collect()
        .await
        .expect("read body")
        .to_bytes();
    Reply {
        status,
        headers,
        body,
    }
}

/// [`send`] over TLS to `addr` (an HTTPS listener's port), trusting only the CA in `ca_file`
/// and checking the certificate for `127.0.0.1`; the request keeps its `Host` (and signature).
pub async fn send_tls(ca_file: &std::path::Path, request: Request<Full<Bytes>>) -> Reply {
    use lattice_local::tls::client::{client_config, send_https};
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject as _;
    let ca = CertificateDer::from_pem_file(ca_file)
        .unwrap_or_else(|e| panic!("the CA {}: {e}", ca_file.display()));
    let (mut parts, body) = request.into_parts();
    let authority = parts.uri.authority().expect("an absolute URI").to_string();
    let addr: SocketAddr = authority.parse().expect("an address");
    parts.uri = parts
        .uri
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .parse()
        .expect("origin form");
    let request = Request::from_parts(parts, body);
    let config = client_config(&ca).expect("client config");
    let response = send_https(
        config,
        addr,
        &addr.ip().to_string(),
        request,
        Duration::from_secs(30),
    )
    .await
    .expect("HTTPS request");
    let (parts, body) = response.into_parts();
    Reply {
        status: parts.status,
        headers: parts.headers,
        body,
    }
}

/// `GET http://<addr><path>` with `Host: <host>`.
pub fn get(addr: SocketAddr, host: &str, path: &str) -> Request<Full<Bytes>> {
    Request::get(format!("http://{addr}{path}"))
        .header("host", host)
        .body(Full::new(Bytes::new()))
        .expect("valid request")
}

/// A local principal with these keys and ARN and nothing else (no token, org, tags, session
/// name or VPC); tests add what they need with struct update syntax.
pub fn local_principal(key: &str, secret: &str, arn: &str) -> lattice_local::auth::LocalPrincipal {
    lattice_local::auth::LocalPrincipal {
        access_key_id: key.into(),
        secret_access_key: secret.into(),
        session_token: None,
        principal_arn: arn.into(),
        principal_org_id: None,
        principal_org_path: None,
        tags: Default::default(),
        session_name: None,
        source_vpc_arn: None,
    }
}

/// The first value of a header as the echo upstream (or the fixture) reports it.
pub fn reported_header<'a>(report: &'a Value, name: &str) -> Option<&'a str> {
    report["headers"][name][0].as_str()
}

/// An access-log field as the log line writes it (`-` when absent).
pub fn logged(value: &Option<std::sync::Arc<str>>) -> String {
    value.as_deref().unwrap_or("-").to_owned()
}

/// Sends `request` (a whole HTTP/1.1 request, `Connection: close`) over a fresh connection and
/// returns the raw response: for requests a client library would normalise (header case,
/// repeated headers, paths).
pub async fn raw_request(addr: SocketAddr, request: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    stream.write_all(request.as_bytes()).await.expect("write");
    let mut response = Vec::new();
    tokio::time::timeout(Duration::from_secs(30), stream.read_to_end(&mut response))
        .await
        .expect("response within 30 s")
        .expect("read");
    String::from_utf8_lossy(&response).into_owned()
}

/// The status code of a raw response.
pub fn raw_status(response: &str) -> u16 {
    response
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP response: {response:?}"))
}

/// The body of a raw response (everything after the head).
pub fn raw_body(response: &str) -> &str {
    response.split_once("\r\n\r\n").map_or("", |(_, body)| body)
}

/// `fixtures/network-auth.yaml`: two networks (one `AWS_IAM` with a policy, one without) and
/// services whose policies use tags, source IPs, joined headers and queries.
pub const NETWORK_AUTH_TEMPLATE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/network-auth.yaml"
);

/// `fixtures/network-auth-credentials.json`: a blue-team principal (org, org path, tags, VPC) and
/// a red-team one.
pub const NETWORK_AUTH_CREDENTIALS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/network-auth-credentials.json"
);

/// The fixture's principals as `(access key id, secret, principal ARN)`, blue first.
pub fn network_auth_principals() -> Vec<(String, String, String)> {
    let store = lattice_local::auth::CredentialStore::load(NETWORK_AUTH_CREDENTIALS)
        .expect("fixture credentials");
    let mut principals: Vec<_> = store
        .principals()
        .map(|p| {
            (
                p.access_key_id.clone(),
                p.secret_access_key.clone(),
                p.principal_arn.clone(),
            )
        })
        .collect();
    principals.sort_by(|a, b| a.2.cmp(&b.2));
    principals
}

/// The fixture template served by a data plane in front of an echo upstream.
pub async fn network_auth_stack(
    access_log: lattice_local::access_log::AccessLog,
) -> lattice_local::up::Stack {
    use lattice_local::template::{LoadOptions, Topology};
    let topology = Topology::load(
        std::path::Path::new(NETWORK_AUTH_TEMPLATE),
        &LoadOptions::new(REGION),
    )
    .expect("fixture template");
    let store = lattice_local::auth::CredentialStore::load(NETWORK_AUTH_CREDENTIALS)
        .expect("fixture credentials");
    let upstream = echo_upstream("pods").await;
    let mut server =
        lattice_local::dataplane::DataPlaneOptions::new(REGION, std::sync::Arc::new(store));
    server.access_log = access_log;
    let mut options = lattice_local::up::StackOptions::new(server);
    options.upstreams =
        std::collections::BTreeMap::from([("Pods".to_owned(), format!("http://{upstream}"))]);
    lattice_local::up::Stack::start(&topology, options, |_| unreachable!("no functions"))
        .await
        .expect("fixture stack")
}

/// `method path_and_query` to `addr`, signed by the fixture's principal `who` (0 blue, 1 red)
/// when given, then with each of `teams` appended as an `x-team` copy. The copies come after
/// signing: the signer needs text, and a header Lattice does not find in `SignedHeaders` need
/// not be signed, so any bytes may be sent.
pub fn network_auth_request(
    addr: SocketAddr,
    method: &str,
    path_and_query: &str,
    who: Option<usize>,
    teams: &[&[u8]],
) -> Request<Full<Bytes>> {
    let mut request = get(addr, &addr.to_string(), path_and_query);
    *request.method_mut() = method.parse().expect("method");
    if let Some(index) = who {
        let (key, secret, _) = &network_auth_principals()[index];
        Signer::lattice(key, secret, REGION).sign(&mut request);
    }
    for team in teams {
        request.headers_mut().append(
            "x-team",
            http::HeaderValue::from_bytes(team).expect("header bytes"),
        );
    }
    request
}

/// A template with one function (binary `binary`, `FunctionName` `function_name` if any, 5 s
/// timeout) behind two `AWS_IAM` services that allow every caller, `<prefix>-v1` and
/// `<prefix>-v2`, through the target groups `GroupV1` and `GroupV2` (V1 and V2 events).
pub fn v1_and_v2_services(binary: &str, function_name: Option<&str>, prefix: &str) -> String {
    let name = function_name.map_or_else(String::new, |name| format!("FunctionName: {name}, "));
    let mut yaml = format!(
        "Resources:\n  Fn:\n    Type: AWS::Serverless::Function\n    Metadata: {{ BuildMethod: \
         rust-cargolambda, BuildProperties: {{ Binary: {binary} }} }}\n    Properties: {{ \
         {name}Timeout: 5 }}\n"
    );
    for version in ["V1", "V2"] {
        let service = format!("{prefix}-{}", version.to_lowercase());
        yaml.push_str(&format!(
            r#"  Service{version}:
    Type: AWS::VpcLattice::Service
    Properties: {{ Name: {service}, AuthType: AWS_IAM }}
  Group{version}:
    Type: AWS::VpcLattice::TargetGroup
    Properties:
      Type: LAMBDA
      Config: {{ LambdaEventStructureVersion: {version} }}
      Targets: [ {{ Id: !GetAtt Fn.Arn }} ]
  Listener{version}:
    Type: AWS::VpcLattice::Listener
    Properties:
      ServiceIdentifier: !Ref Service{version}
      Protocol: HTTPS
      DefaultAction: {{ Forward: {{ TargetGroups: [ {{ TargetGroupIdentifier: !Ref Group{version} }} ] }} }}
  Policy{version}:
    Type: AWS::VpcLattice::AuthPolicy
    Properties:
      ResourceIdentifier: !Ref Service{version}
      Policy:
        Statement:
          - {{ Effect: Allow, Principal: "*", Action: vpc-lattice-svcs:Invoke, Resource: "*" }}
"#
        ));
    }
    yaml
}
