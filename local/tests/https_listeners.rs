//! HTTPS listeners over TLS and services with two listeners: the local CA (trusted or not),
//! the names the certificates carry, curl with the CA, the CA kept across starts, a port per
//! listener, the `Host`-routed HTTP and HTTPS ports, what targets are told of the scheme, and
//! the handshake bound.

mod common;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use common::{REGION, TempDir, echo_upstream, fixture_binary, get, reported_header, send};
use http::{Request, StatusCode};
use http_body_util::Full;
use lattice_local::auth::CredentialStore;
use lattice_local::dataplane::{DataPlaneOptions, ListenerEndpoint};
use lattice_local::functions::DiscardLogSink;
use lattice_local::template::{LoadOptions, Topology};
use lattice_local::tls::client::{HttpsRequestError, client_config, send_https};
use lattice_local::tls::{LocalAuthority, StateDir};
use lattice_local::up::{Stack, StackOptions};
use rustls::ClientConfig;
use rustls::pki_types::{CertificateDer, ServerName};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

const TEMPLATE: &str = r#"
Resources:
  Fixture:
    Type: AWS::Serverless::Function
    Metadata: { BuildMethod: rust-cargolambda, BuildProperties: { Binary: lattice-target-fixture } }
    Properties: { Timeout: 5 }
  Shop:
    Type: AWS::VpcLattice::Service
    Properties: { Name: shop }
  Pod:
    Type: AWS::VpcLattice::TargetGroup
    Properties: { Type: IP, Config: { Port: 80, Protocol: HTTP } }
  EventsV2:
    Type: AWS::VpcLattice::TargetGroup
    Properties:
      Type: LAMBDA
      Config: { LambdaEventStructureVersion: V2 }
      Targets: [ { Id: !GetAtt Fixture.Arn } ]
  EventsV1:
    Type: AWS::VpcLattice::TargetGroup
    Properties: { Type: LAMBDA, Targets: [ { Id: !GetAtt Fixture.Arn } ] }
  Secure:
    Type: AWS::VpcLattice::Listener
    Properties:
      ServiceIdentifier: !Ref Shop
      Protocol: HTTPS
      DefaultAction: { Forward: { TargetGroups: [ { TargetGroupIdentifier: !Ref Pod } ] } }
  Plain:
    Type: AWS::VpcLattice::Listener
    Properties:
      ServiceIdentifier: !Ref Shop
      Protocol: HTTP
      Port: 80
      DefaultAction: { Forward: { TargetGroups: [ { TargetGroupIdentifier: !Ref Pod } ] } }
  SecureV2:
    Type: AWS::VpcLattice::Rule
    Properties:
      ServiceIdentifier: !Ref Shop
      ListenerIdentifier: !Ref Secure
      Priority: 1
      Match: { HttpMatch: { PathMatch: { Match: { Prefix: /v2 } } } }
      Action: { Forward: { TargetGroups: [ { TargetGroupIdentifier: !Ref EventsV2 } ] } }
  SecureV1:
    Type: AWS::VpcLattice::Rule
    Properties:
      ServiceIdentifier: !Ref Shop
      ListenerIdentifier: !Ref Secure
      Priority: 2
      Match: { HttpMatch: { PathMatch: { Match: { Prefix: /v1 } } } }
      Action: { Forward: { TargetGroups: [ { TargetGroupIdentifier: !Ref EventsV1 } ] } }
  PlainV1:
    Type: AWS::VpcLattice::Rule
    Properties:
      ServiceIdentifier: !Ref Shop
      ListenerIdentifier: !Ref Plain
      Priority: 1
      Match: { HttpMatch: { PathMatch: { Match: { Prefix: /v1 } } } }
      Action: { Forward: { TargetGroups: [ { TargetGroupIdentifier: !Ref EventsV1 } ] } }
  PlainTeapot:
    Type: AWS::VpcLattice::Rule
    Properties:
      ServiceIdentifier: !Ref Shop
      ListenerIdentifier: !Ref Plain
      Priority: 2
      Match: { HttpMatch: { PathMatch: { Match: { Exact: /teapot } } } }
      Action: { FixedResponse: { StatusCode: 418 } }
  Vault:
    Type: AWS::VpcLattice::Service
    Properties: { Name: vault }
  VaultListener:
    Type: AWS::VpcLattice::Listener
    Properties:
      ServiceIdentifier: !Ref Vault
      Protocol: HTTPS
      DefaultAction: { FixedResponse: { StatusCode: 204 } }
"#;

struct Running {
    stack: Stack,
    authority: Arc<LocalAuthority>,
    tls: Arc<ClientConfig>,
}

impl Running {
    /// The own port of `service`'s listener of `protocol`.
    fn listener(&self, service: &str, protocol: &str) -> &ListenerEndpoint {
        self.stack
            .data_plane
            .endpoint(service)
            .and_then(|e| e.listeners.iter().find(|l| l.protocol == protocol))
            .unwrap_or_else(|| panic!("{service} has no {protocol} listener"))
    }

    fn host_tls(&self) -> SocketAddr {
        self.stack
            .data_plane
            .host_tls_addr()
            .expect("the Host-routed HTTPS port")
    }

    /// `GET path` over TLS to `addr`, the certificate checked for `server_name` against the
    /// local CA; `host` overrides the `Host` header.
    async fn https(
        &self,
        addr: SocketAddr,
        server_name: &str,
        host: Option<&str>,
        path: &str,
    ) -> Result<(StatusCode, String), HttpsRequestError> {
        https_get(&self.tls, addr, server_name, host, path).await
    }
}

async fn https_get(
    tls: &Arc<ClientConfig>,
    addr: SocketAddr,
    server_name: &str,
    host: Option<&str>,
    path: &str,
) -> Result<(StatusCode, String), HttpsRequestError> {
    let mut request = Request::get(path);
    if let Some(host) = host {
        request = request.header("host", host);
    }
    let request = request.body(Full::new(Bytes::new())).expect("request");
    let response = send_https(
        Arc::clone(tls),
        addr,
        server_name,
        request,
        Duration::from_secs(30),
    )
    .await?;
    Ok((
        response.status(),
        String::from_utf8_lossy(response.body()).into_owned(),
    ))
}

/// Starts the template with the CA of `state`; every IP group forwards to an echo upstream.
async fn start_with_state(state: PathBuf) -> Running {
    let fixture = fixture_binary();
    let topology = Topology::from_yaml(TEMPLATE, &LoadOptions::new(REGION)).expect("template");
    let authority = Arc::new(LocalAuthority::open(StateDir::open(state).unwrap()).unwrap());
    let store = Arc::new(CredentialStore::from_entries(Vec::new()).unwrap());
    let mut data_plane = DataPlaneOptions::new(REGION, store);
    data_plane.tls = Some(Arc::clone(&authority));
    let mut options = StackOptions::new(data_plane);
    options.log_sink = Arc::new(DiscardLogSink);
    options.max_instances = 1;
    let upstream = echo_upstream("pod").await;
    options
        .upstreams
        .insert("Pod".into(), format!("http://{upstream}"));
    let stack = Stack::start(&topology, options, move |_| fixture.clone())
        .await
        .expect("stack");
    let tls = client_config(authority.ca_certificate()).unwrap();
    Running {
        stack,
        authority,
        tls,
    }
}

/// The certificate the server presents on `addr` for `server_name` (the handshake verified
/// against `tls`).
async fn presented_certificate(
    tls: &Arc<ClientConfig>,
    addr: SocketAddr,
    server_name: &str,
) -> CertificateDer<'static> {
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let name = ServerName::try_from(server_name.to_owned()).unwrap();
    let stream = tokio_rustls::TlsConnector::from(Arc::clone(tls))
        .connect(name, tcp)
        .await
        .expect("handshake");
    stream.get_ref().1.peer_certificates().unwrap()[0].clone()
}

fn handshake_failure(result: Result<(StatusCode, String), HttpsRequestError>) -> String {
    match result {
        Err(HttpsRequestError::Handshake { source, .. }) => source.to_string(),
        other => panic!("expected a failed handshake, got {other:?}"),
    }
}

#[tokio::test]
async fn a_client_without_the_local_ca_is_refused_and_one_with_it_is_served() {
    let dir = TempDir::new("lattice-local-tls-trust");
    let running = start_with_state(dir.0.join("state")).await;
    let secure = running.listener("shop", "HTTPS").addr;

    // A client that trusts another CA (another machine's, or none of lattice-local's).
    let stranger = LocalAuthority::open(StateDir::open(dir.0.join("other")).unwrap()).unwrap();
    let stranger = client_config(stranger.ca_certificate()).unwrap();
    let error = handshake_failure(https_get(&stranger, secure, "127.0.0.1", None, "/").await);
    assert!(error.contains("UnknownIssuer"), "{error}");

    let (status, body) = running
        .https(secure, "127.0.0.1", None, "/")
        .await
        .expect("served with the CA");
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.contains("\"upstream\":\"pod\""), "{body}");
}

#[tokio::test]
async fn the_certificate_names_the_loopback_addresses_and_the_local_names() {
    let dir = TempDir::new("lattice-local-tls-names");
    let running = start_with_state(dir.0.join("state")).await;
    let secure = running.listener("shop", "HTTPS").addr;
    for name in [
        "127.0.0.1",
        "::1",
        "localhost",
        "shop.lattice.localhost",
        "shop",
    ] {
        let (status, _) = running
            .https(secure, name, None, "/")
            .await
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(status, StatusCode::OK, "{name}");
    }
    // Another service's name is not on shop's certificate.
    let error = handshake_failure(
        running
            .https(secure, "vault.lattice.localhost", None, "/")
            .await,
    );
    assert!(error.contains("not valid for name"), "{error}");
    // The Host-routed HTTPS port presents the certificate of the service named by SNI.
    let (status, _) = running
        .https(running.host_tls(), "vault.lattice.localhost", None, "/")
        .await
        .expect("vault by SNI");
    assert_eq!(status, StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn curl_with_the_ca_file_reaches_a_service_by_its_local_name() {
    let dir = TempDir::new("lattice-local-tls-curl");
    let running = start_with_state(dir.0.join("state")).await;
    let url = format!(
        "https://shop.lattice.localhost:{}/items",
        running.host_tls().port()
    );
    // Not std's Command: the data plane runs on this test's runtime and must keep answering.
    let curl = |with_ca: bool| {
        let mut command = tokio::process::Command::new("curl");
        command.args(["-sS", "--max-time", "20", "-o", "-", "-w", "\n%{http_code}"]);
        if with_ca {
            command.arg("--cacert").arg(running.authority.ca_file());
        }
        command.arg(&url);
        command.output()
    };
    let output = match curl(true).await {
        Ok(output) => output,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            eprintln!("curl is not installed: skipped");
            return;
        }
        Err(error) => panic!("cannot run curl: {error}"),
    };
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.ends_with("\n200"), "{stdout}");
    assert!(stdout.contains("\"path\":\"/items\""), "{stdout}");
    // Without the CA, curl (OpenSSL and the system's roots) refuses the certificate: exit 60.
    let refused = curl(false).await.expect("curl");
    assert_eq!(refused.status.code(), Some(60), "{refused:?}");
}

#[tokio::test]
async fn the_state_directory_keeps_the_ca_and_the_certificates_across_starts() {
    let dir = TempDir::new("lattice-local-tls-restart");
    let state = dir.0.join("state");
    let first = start_with_state(state.clone()).await;
    assert!(first.authority.was_created());
    let ca_pem = std::fs::read(first.authority.ca_file()).unwrap();
    let presented = presented_certificate(
        &first.tls,
        first.listener("shop", "HTTPS").addr,
        "shop.lattice.localhost",
    )
    .await;
    let first_tls = Arc::clone(&first.tls);
    first.stack.shutdown().await;

    let second = start_with_state(state).await;
    assert!(!second.authority.was_created(), "a second CA was made");
    assert_eq!(std::fs::read(second.authority.ca_file()).unwrap(), ca_pem);
    // A client configured during the first run still verifies the second: same CA, and the
    // same certificate (still right, so kept).
    let again = presented_certificate(
        &first_tls,
        second.listener("shop", "HTTPS").addr,
        "shop.lattice.localhost",
    )
    .await;
    assert_eq!(again, presented);
}

#[tokio::test]
async fn each_listener_has_its_port_and_the_host_routed_ports_pick_by_protocol() {
    let dir = TempDir::new("lattice-local-tls-listeners");
    let running = start_with_state(dir.0.join("state")).await;
    let secure = running.listener("shop", "HTTPS");
    let plain = running.listener("shop", "HTTP");
    assert!(secure.tls && !plain.tls);
    assert_ne!(secure.addr, plain.addr);
    assert_eq!(
        secure.host_url.as_deref(),
        Some(
            format!(
                "https://shop.lattice.localhost:{}",
                running.host_tls().port()
            )
            .as_str()
        )
    );
    let host_http = running.stack.data_plane.host_addr();
    assert_eq!(
        plain.host_url.as_deref(),
        Some(format!("http://shop.lattice.localhost:{}", host_http.port()).as_str())
    );

    // The HTTPS listener over TLS: its own port and the Host-routed HTTPS port.
    for (addr, name, host) in [
        (secure.addr, "127.0.0.1", None),
        (running.host_tls(), "shop.lattice.localhost", None),
        // No SNI (an IP address): the Host header picks the service.
        (
            running.host_tls(),
            "127.0.0.1",
            Some("shop.lattice.localhost"),
        ),
    ] {
        let (status, body) = running.https(addr, name, host, "/").await.unwrap();
        assert_eq!(status, StatusCode::OK, "{body}");
        let report: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(reported_header(&report, "x-forwarded-proto"), Some("https"));
        assert_eq!(reported_header(&report, "x-forwarded-port"), Some("443"));
        // The HTTP listener's rule does not apply here.
        let (status, _) = running.https(addr, name, host, "/teapot").await.unwrap();
        assert_eq!(
            status,
            StatusCode::OK,
            "{addr} {name}: /teapot is the HTTP listener's"
        );
    }

    // The HTTP listener in plain HTTP: its own port and the Host-routed HTTP port.
    for addr in [plain.addr, host_http] {
        let reply = send(get(addr, "shop.lattice.localhost", "/")).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
        let report = reply.json();
        assert_eq!(reported_header(&report, "x-forwarded-proto"), Some("http"));
        assert_eq!(reported_header(&report, "x-forwarded-port"), Some("80"));
        let teapot = send(get(addr, "shop.lattice.localhost", "/teapot")).await;
        assert_eq!(teapot.status, StatusCode::IM_A_TEAPOT);
    }

    // Plain HTTP to a TLS port is not served.
    let mut stream = tokio::net::TcpStream::connect(secure.addr).await.unwrap();
    stream
        .write_all(b"GET / HTTP/1.1\r\nHost: shop\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer).await;
    assert!(
        !String::from_utf8_lossy(&answer).contains("HTTP/1.1 200"),
        "{answer:?}"
    );

    // vault has no HTTP listener: the Host-routed HTTP port says where it is served.
    let misdirected = send(get(host_http, "vault.lattice.localhost", "/")).await;
    assert_eq!(misdirected.status, StatusCode::MISDIRECTED_REQUEST);
    let expected = format!(
        "use https://vault.lattice.localhost:{}",
        running.host_tls().port()
    );
    assert!(
        misdirected.text().contains(&expected),
        "{}",
        misdirected.text()
    );
    assert!(
        misdirected.text().contains("HTTPS 443"),
        "{}",
        misdirected.text()
    );
}

#[tokio::test]
async fn lambda_events_carry_the_scheme_and_port_of_the_listener() {
    let dir = TempDir::new("lattice-local-tls-events");
    let running = start_with_state(dir.0.join("state")).await;
    let secure = running.listener("shop", "HTTPS").addr;
    for path in ["/v2/x", "/v1/x"] {
        let (status, body) = running
            .https(secure, "127.0.0.1", None, path)
            .await
            .unwrap();
        assert_eq!(status, StatusCode::OK, "{body}");
        let report: serde_json::Value = serde_json::from_str(&body).unwrap();
        let version = if path.starts_with("/v2") { "V2" } else { "V1" };
        assert_eq!(report["version"], version, "{body}");
        assert_eq!(reported_header(&report, "x-forwarded-proto"), Some("https"));
        assert_eq!(reported_header(&report, "x-forwarded-port"), Some("443"));
    }
    let plain = running.listener("shop", "HTTP").addr;
    let reply = send(get(plain, "shop", "/v1/x")).await;
    let report = reply.json();
    assert_eq!(report["version"], "V1");
    assert_eq!(reported_header(&report, "x-forwarded-proto"), Some("http"));
    assert_eq!(reported_header(&report, "x-forwarded-port"), Some("80"));
}

#[tokio::test(start_paused = true)]
async fn a_client_that_never_completes_the_handshake_is_disconnected() {
    let dir = TempDir::new("lattice-local-tls-silent");
    let running = start_with_state(dir.0.join("state")).await;
    let secure = running.listener("shop", "HTTPS").addr;
    let began = tokio::time::Instant::now();
    let mut stream = tokio::net::TcpStream::connect(secure).await.unwrap();
    // Half a ClientHello record header, then silence.
    stream.write_all(&[0x16, 0x03]).await.unwrap();
    let mut rest = Vec::new();
    let read = stream.read_to_end(&mut rest).await;
    let waited = began.elapsed();
    assert!(matches!(read, Ok(0)) || read.is_err(), "{read:?} {rest:?}");
    let bound = lattice_local::net::limits::TLS_HANDSHAKE_TIMEOUT;
    assert!(waited >= bound, "closed after {waited:?}, before {bound:?}");
    assert!(
        waited < bound + Duration::from_secs(5),
        "closed after {waited:?}"
    );
    // A real client is still served.
    let (status, _) = running.https(secure, "127.0.0.1", None, "/").await.unwrap();
    assert_eq!(status, StatusCode::OK);
}
