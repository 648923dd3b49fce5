//! `lattice-local demo`: the reference scenario end to end, on one machine.
//!
//! 1. build `provider` and `eks-client`, read `template.yaml` with
//!    `EksAppMode=template`, start the provider behind `foo-service` and a
//!    stand-in EKS pod behind `eks-app` (`AWS_IAM`, `/app` prefix rule);
//! 2. EKS -> Lattice -> Lambda: `GET https://foo-service.lattice.localhost:<port>/` (TLS,
//!    verified against the local CA) -> `Hello Foo Lambda!!`;
//! 3. Lambda -> Lattice -> EKS: invoke `eks-client` through the Runtime API, SigV4-signed over
//!    HTTPS (eks-app's listener is `HTTPS`; the function trusts the local CA through
//!    `LATTICE_CA_BUNDLE`) -> `{"statusCode":200,"body":"from EKS: Hello Bar EKS Pod!!"}`;
//! 4. an unsigned request to `eks-app` -> `403`.

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::Full;
use hyper::body::Incoming;
use rustls::ClientConfig;
use tokio::net::TcpListener;

use crate::access_log::AccessLog;
use crate::auth::CredentialStore;
use crate::dataplane::DataPlaneOptions;
use crate::functions::{DiscardLogSink, InvokeOptions, InvokeOutcome};
use crate::net::accept::service_from_fn;
use crate::net::limits::LOCAL_API_MAX_CONNECTIONS;
use crate::net::{ServeOptions, ServerTask, serve};
use crate::template::{DEFAULT_REGION, LOCAL_DOMAIN, LoadOptions, TargetKind, Topology};
use crate::tls::LocalAuthority;
use crate::tls::client::{client_config, send_https};
use crate::up::{Stack, StackOptions, UpError, Workspace, print_ca, print_notes};

/// What the stand-in pod answers on `/app`.
pub const POD_GREETING: &str = "Hello Bar EKS Pod!!";
/// What the provider answers on `/`.
pub const PROVIDER_GREETING: &str = "Hello Foo Lambda!!";

/// A demo step that failed.
#[derive(Debug, thiserror::Error)]
#[error("step {step} ({title}) failed: {reason}")]
pub struct DemoError {
    /// 1-4.
    pub step: u8,
    /// What the step does.
    pub title: &'static str,
    /// Why it failed.
    pub reason: String,
}

const STEP_TITLES: [&str; 4] = [
    "build and start the topology",
    "EKS -> Lattice -> Lambda",
    "Lambda -> Lattice -> EKS",
    "denied call",
];

fn fail(step: u8, reason: impl std::fmt::Display) -> DemoError {
    DemoError {
        step,
        title: STEP_TITLES[usize::from(step - 1)],
        reason: reason.to_string(),
    }
}

/// Options of `lattice-local demo`.
#[derive(Clone, Debug, Default)]
pub struct DemoOptions {
    /// Template path (default: the workspace's `template.yaml`).
    pub template: Option<PathBuf>,
    /// Skip `cargo build` (binaries must exist).
    pub no_build: bool,
    /// Where the local CA is kept (default: as for `up`).
    pub state_dir: Option<PathBuf>,
}

/// A tiny HTTP server standing in for the EKS pod: `Hello Bar EKS Pod!!` on
/// `/app` and below, `404` elsewhere.
#[derive(Debug)]
pub struct StandInPod {
    addr: SocketAddr,
    _server: ServerTask,
}

impl StandInPod {
    /// Listens on a free loopback port.
    pub async fn start() -> std::io::Result<Self> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
        let addr = listener.local_addr()?;
        let server = serve(
            listener,
            ServeOptions::new(LOCAL_API_MAX_CONNECTIONS),
            |_| {
                service_from_fn(|request: Request<Incoming>| async move {
                    pod_response(request.uri().path())
                })
            },
        );
        Ok(StandInPod {
            addr,
            _server: server,
        })
    }

    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

fn pod_response(path: &str) -> Response<Full<Bytes>> {
    let (status, body) = if path == "/app" || path.starts_with("/app/") {
        (StatusCode::OK, POD_GREETING)
    } else {
        (StatusCode::NOT_FOUND, "not found")
    };
    let mut response = Response::new(Full::new(Bytes::from_static(body.as_bytes())));
    *response.status_mut() = status;
    response
}

/// An HTTPS GET of `path` from `addr`, the certificate verified for `server_name` against
/// the local CA alone; status and body text.
async fn get(
    tls: &Arc<ClientConfig>,
    addr: SocketAddr,
    server_name: &str,
    path: &str,
) -> Result<(StatusCode, String), String> {
    let request = Request::get(path)
        .body(Full::new(Bytes::new()))
        .map_err(|e| format!("bad request {path}: {e}"))?;
    let response = send_https(
        Arc::clone(tls),
        addr,
        server_name,
        request,
        Duration::from_secs(30),
    )
    .await
    .map_err(|e| format!("GET https://{server_name}:{}{path}: {e}", addr.port()))?;
    let status = response.status();
    Ok((
        status,
        String::from_utf8_lossy(response.body()).into_owned(),
    ))
}

fn print_access(log: &AccessLog, seen: &mut usize) {
    let records = log.records();
    for record in records.iter().skip(*seen) {
        println!("    {record}");
    }
    *seen = records.len();
}

/// Runs the demo, printing each step.
pub async fn run(options: DemoOptions) -> Result<(), DemoError> {
    println!("step 1: {}", STEP_TITLES[0]);
    let workspace = Workspace::locate().map_err(|e| fail(1, e))?;
    if options.no_build {
        println!(
            "    (--no-build: using binaries in {})",
            workspace.bin_dir.display()
        );
    } else {
        workspace
            .build(&["provider", "eks-client"])
            .map_err(|e| fail(1, e))?;
    }
    let template = options
        .template
        .clone()
        .unwrap_or_else(|| workspace.template());
    let region = DEFAULT_REGION;
    let load = LoadOptions::new(region).with_parameter("EksAppMode", "template");
    let topology = Topology::load(&template, &load).map_err(|e| fail(1, e))?;
    println!(
        "    read {} with EksAppMode=template (region {region})",
        template.display()
    );
    print_notes(&topology);
    let eks_service = topology.service("eks-app").ok_or_else(|| {
        fail(
            1,
            "the template has no eks-app service with EksAppMode=template",
        )
    })?;
    println!("    eks-app auth type: {}", eks_service.auth_type.as_str());
    let pod_group = topology
        .target_groups
        .values()
        .find(|g| matches!(g.kind, TargetKind::Http { .. }))
        .ok_or_else(|| fail(1, "the template has no IP target group for the EKS pod"))?
        .logical_id
        .clone();
    let client_function = topology
        .functions
        .values()
        .find(|f| f.binary == "eks-client")
        .ok_or_else(|| fail(1, "the template has no function built from eks-client"))?
        .logical_id
        .clone();

    let credentials_path = workspace.demo_credentials();
    let store = Arc::new(CredentialStore::load(&credentials_path).map_err(|e| fail(1, e))?);
    let principal = store.principals().next().cloned().ok_or_else(|| {
        fail(
            1,
            format!("{} has no principal", credentials_path.display()),
        )
    })?;

    let pod = StandInPod::start()
        .await
        .map_err(|e| fail(1, format!("stand-in pod: {e}")))?;
    let authority =
        Arc::new(LocalAuthority::open_in(options.state_dir.as_deref()).map_err(|e| fail(1, e))?);
    print_ca(&authority);
    let tls = client_config(authority.ca_certificate()).map_err(|e| fail(1, e))?;
    let log = AccessLog::memory();
    let mut data_plane = DataPlaneOptions::new(region, Arc::clone(&store));
    data_plane.access_log = log.clone();
    data_plane.tls = Some(authority);
    let mut stack_options = StackOptions::new(data_plane);
    stack_options.upstreams = BTreeMap::from([(pod_group.clone(), pod.url())]);
    stack_options.log_sink = Arc::new(DiscardLogSink);
    stack_options.max_instances = 2;
    // Only eks-client signs; the provider needs no credentials.
    stack_options.extra_env.insert(
        client_function.clone(),
        vec![
            // Rewritten to eks-app's local URL once its port is bound.
            (
                "LATTICE_SERVICE_URL".into(),
                format!("https://eks-app.{LOCAL_DOMAIN}/app"),
            ),
            ("LATTICE_SIGNING".into(), "sigv4".into()),
            ("AWS_ACCESS_KEY_ID".into(), principal.access_key_id.clone()),
            (
                "AWS_SECRET_ACCESS_KEY".into(),
                principal.secret_access_key.clone(),
            ),
            ("AWS_REGION".into(), region.into()),
        ],
    );
    let stack = Stack::start(&topology, stack_options, |name| workspace.binary(name))
        .await
        .map_err(|e: UpError| fail(1, e))?;
    let outcome = scenario(&stack, &topology, &pod, &log, &tls, &client_function).await;
    stack.shutdown().await;
    outcome?;
    println!("demo finished: both directions work");
    Ok(())
}

async fn scenario(
    stack: &Stack,
    topology: &Topology,
    pod: &StandInPod,
    log: &AccessLog,
    tls: &Arc<ClientConfig>,
    client_function: &str,
) -> Result<(), DemoError> {
    let provider_service = stack
        .data_plane
        .endpoint("foo-service")
        .ok_or_else(|| fail(1, "foo-service is not served"))?;
    let eks = stack
        .data_plane
        .endpoint("eks-app")
        .ok_or_else(|| fail(1, "eks-app is not served"))?;
    println!(
        "    foo-service: {}  or  {}",
        provider_service.url(),
        provider_service.host_url
    );
    println!(
        "    eks-app:     {}  or  {}  -> stand-in pod {}",
        eks.url(),
        eks.host_url,
        pod.url()
    );
    let mut seen = 0;

    let host_tls = stack
        .data_plane
        .host_tls_addr()
        .ok_or_else(|| fail(1, "the Host-routed HTTPS port is not served"))?;
    let provider_name = format!("foo-service.{LOCAL_DOMAIN}");
    println!(
        "step 2: {}: GET https://{provider_name}:{}/ (TLS to {host_tls}, certificate checked against the local CA)",
        STEP_TITLES[1],
        host_tls.port()
    );
    let (status, body) = get(tls, host_tls, &provider_name, "/")
        .await
        .map_err(|e| fail(2, e))?;
    println!("    {} {body}", status.as_u16());
    print_access(log, &mut seen);
    if status != StatusCode::OK || body.trim() != super::demo::PROVIDER_GREETING {
        return Err(fail(
            2,
            format!(
                "expected 200 {PROVIDER_GREETING:?}, got {} {body:?}",
                status.as_u16()
            ),
        ));
    }

    let pool = stack
        .pool(client_function)
        .ok_or_else(|| fail(3, "the eks-client function is not running"))?;
    let url = pool
        .config()
        .env
        .iter()
        .rev()
        .find(|(k, _)| k == "LATTICE_SERVICE_URL")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    println!(
        "step 3: {}: invoke {} via the Runtime API (LATTICE_SERVICE_URL={url}, LATTICE_SIGNING=sigv4)",
        STEP_TITLES[2],
        pool.name()
    );
    let outcome = pool
        .invoke(Bytes::from_static(b"{}"), InvokeOptions::default())
        .await
        .map_err(|e| fail(3, e))?;
    let payload = match outcome {
        InvokeOutcome::Response(payload) => payload,
        InvokeOutcome::FunctionError(error) => {
            print_access(log, &mut seen);
            return Err(fail(
                3,
                format!(
                    "eks-client failed: {}: {}",
                    error.error_type, error.error_message
                ),
            ));
        }
    };
    let text = String::from_utf8_lossy(&payload).into_owned();
    let result: serde_json::Value = serde_json::from_slice(&payload)
        .map_err(|e| fail(3, format!("result is not JSON: {e}: {text}")))?;
    // The status and body the function got from the pod, then its whole result.
    // Written by hand so the keys keep this order whatever serde_json's map is.
    let field = |name: &str| {
        result
            .get(name)
            .map_or_else(|| "null".to_owned(), |v| v.to_string())
    };
    println!(
        "    {{\"statusCode\":{},\"body\":{}}}",
        field("statusCode"),
        field("body")
    );
    println!("    (full result: {text})");
    print_access(log, &mut seen);
    let expected_body = format!("from EKS: {POD_GREETING}");
    if result.get("statusCode") != Some(&serde_json::json!(200))
        || result.get("body").and_then(|b| b.as_str()) != Some(expected_body.as_str())
    {
        return Err(fail(
            3,
            format!("expected statusCode 200 and body {expected_body:?}, got {text}"),
        ));
    }

    let unsigned = format!("{}/app", eks.url());
    println!(
        "step 4: {}: unsigned GET {unsigned} (eks-app has auth type {})",
        STEP_TITLES[3],
        topology
            .service("eks-app")
            .map_or("?", |s| s.auth_type.as_str())
    );
    let (status, body) = get(tls, eks.addr, &eks.addr.ip().to_string(), "/app")
        .await
        .map_err(|e| fail(4, e))?;
    println!("    {} {}", status.as_u16(), body.trim_end());
    print_access(log, &mut seen);
    if status != StatusCode::FORBIDDEN {
        return Err(fail(
            4,
            format!("expected 403, got {} {body:?}", status.as_u16()),
        ));
    }
    Ok(())
}
