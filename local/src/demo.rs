//! `lattice-local demo`: the reference scenario end to end, on one machine.
//!
//! 1. build `provider` and `eks-client`; read the EKS side from `k8s/` as the AWS Gateway API
//!    Controller maps it (`HTTPRoute` `eks-app` -> service `eks-app-default`, `AWS_IAM` with the
//!    `IAMAuthPolicy`, `/app` prefix rule) and `template.yaml` in `EksAppMode=gateway-api` for
//!    the Lambda side and the network, the client pointed at that service (`LatticeServiceUrl`,
//!    `TargetServiceArn`) — the split of the reference architecture. With
//!    [`EksSide::Template`] the template's `EksAppMode=template` resources make the EKS side
//!    (`eks-app`) instead. A stand-in pod serves the Service; the provider serves `foo-service`;
//! 2. EKS -> Lattice -> Lambda: `GET` `foo-service` -> `Hello Foo Lambda!!`;
//! 3. Lambda -> Lattice -> EKS: invoke `eks-client` through the Runtime API,
//!    SigV4-signed, -> `{"statusCode":200,"body":"from EKS: Hello Bar EKS Pod!!"}`;
//! 4. an unsigned request to the EKS-side service -> `403`.

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use tokio::net::TcpListener;

use crate::access_log::AccessLog;
use crate::auth::CredentialStore;
use crate::dataplane::DataPlaneOptions;
use crate::functions::{DiscardLogSink, InvokeOptions, InvokeOutcome};
use crate::k8s::controller_service_name;
use crate::net::accept::service_from_fn;
use crate::net::limits::LOCAL_API_MAX_CONNECTIONS;
use crate::net::{ServeOptions, ServerTask, serve};
use crate::template::{DEFAULT_REGION, LOCAL_DOMAIN, LoadOptions, TargetKind, Topology};
use crate::up::{Sources, Stack, StackOptions, UpError, Workspace, map_manifests, print_notes};

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

/// Where the demo's EKS side comes from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum EksSide {
    /// The Gateway API manifests of the workspace's `k8s/`, mapped as the AWS Gateway API
    /// Controller maps them, beside the template in `EksAppMode=gateway-api`.
    #[default]
    K8s,
    /// The template's own `EksAppMode=template` resources.
    Template,
}

/// The route of `k8s/` the client calls: `default/eks-app`, served as `eks-app-default`.
const EKS_ROUTE: (&str, &str) = ("default", "eks-app");

/// Options of `lattice-local demo`.
#[derive(Clone, Debug, Default)]
pub struct DemoOptions {
    /// Template path (default: the workspace's `template.yaml`).
    pub template: Option<PathBuf>,
    /// Where the EKS side comes from.
    pub eks_side: EksSide,
    /// Skip `cargo build` (binaries must exist).
    pub no_build: bool,
}

/// A tiny HTTP server standing in for the EKS pod: `Hello Bar EKS Pod!!` on
/// `/app` and below, `200` on `/health` (the path `k8s/`'s `TargetGroupPolicy` health-checks,
/// which `http-echo` serves itself), `404` elsewhere.
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
    } else if path == "/health" {
        (StatusCode::OK, "ok")
    } else {
        (StatusCode::NOT_FOUND, "not found")
    };
    let mut response = Response::new(Full::new(Bytes::from_static(body.as_bytes())));
    *response.status_mut() = status;
    response
}

/// A plain HTTP GET, returning status and body text.
async fn get(url: &str, host: Option<&str>) -> Result<(StatusCode, String), String> {
    let client: Client<HttpConnector, Full<Bytes>> =
        Client::builder(TokioExecutor::new()).build(HttpConnector::new());
    let mut request = Request::get(url);
    if let Some(host) = host {
        request = request.header(http::header::HOST, host);
    }
    let request = request
        .body(Full::new(Bytes::new()))
        .map_err(|e| format!("bad request {url}: {e}"))?;
    let response = tokio::time::timeout(Duration::from_secs(30), client.request(request))
        .await
        .map_err(|_| format!("GET {url} timed out"))?
        .map_err(|e| format!("GET {url}: {e}"))?;
    let status = response.status();
    let body = response
        .into_body()
        .collect()
        .await
        .map_err(|e| format!("reading the body of {url}: {e}"))?
        .to_bytes();
    Ok((status, String::from_utf8_lossy(&body).into_owned()))
}

fn print_access(log: &AccessLog, seen: &mut usize) {
    let records = log.records();
    for record in records.iter().skip(*seen) {
        println!("    {record}");
    }
    *seen = records.len();
}

/// The topology the demo serves and what in it plays which part.
struct Scenario {
    topology: Topology,
    /// The EKS-side Lattice service's name.
    eks_service: String,
    /// Target group -> the stand-in pod, for every group of the EKS side.
    upstreams: BTreeMap<String, String>,
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
    let scenario = match options.eks_side {
        EksSide::K8s => {
            let k8s = workspace.root.join("k8s");
            eks_side_from_manifests(&template, &k8s, &principal.principal_arn, &pod)
        }
        EksSide::Template => eks_side_from_template(&template, &pod),
    }?;
    let topology = &scenario.topology;
    let eks_service = topology
        .service(&scenario.eks_service)
        .ok_or_else(|| fail(1, format!("{} is not served", scenario.eks_service)))?;
    println!(
        "    {} auth type: {}",
        eks_service.name,
        eks_service.auth_type.as_str()
    );
    let client_function = topology
        .functions
        .values()
        .find(|f| f.binary == "eks-client")
        .ok_or_else(|| fail(1, "the template has no function built from eks-client"))?
        .logical_id
        .clone();

    let log = AccessLog::memory();
    let mut data_plane = DataPlaneOptions::new(DEFAULT_REGION, Arc::clone(&store));
    data_plane.access_log = log.clone();
    let mut stack_options = StackOptions::new(data_plane);
    stack_options.upstreams = scenario.upstreams.clone();
    stack_options.log_sink = Arc::new(DiscardLogSink);
    stack_options.max_instances = 2;
    // The functions' "execution role", as in `up`: eks-client signs with it.
    stack_options.function_principal = Some(principal);
    let stack = Stack::start(topology, stack_options, |name| workspace.binary(name))
        .await
        .map_err(|e: UpError| fail(1, e))?;
    let outcome = self::scenario(&stack, &scenario, &pod, &log, &client_function).await;
    stack.shutdown().await;
    outcome?;
    println!("demo finished: both directions work");
    Ok(())
}

/// The EKS side from the template's `EksAppMode=template` resources: `eks-app`, its IP target
/// group on the pod.
fn eks_side_from_template(template: &Path, pod: &StandInPod) -> Result<Scenario, DemoError> {
    let load = LoadOptions::new(DEFAULT_REGION).with_parameter("EksAppMode", "template");
    let topology = Topology::load(template, &load).map_err(|e| fail(1, e))?;
    println!(
        "    read {} with EksAppMode=template (region {DEFAULT_REGION}): the template makes both sides",
        template.display()
    );
    print_notes("the template", &topology.notes);
    let upstreams = topology
        .target_groups
        .values()
        .filter(|g| matches!(g.kind, TargetKind::Http { .. }))
        .map(|g| (g.logical_id.clone(), pod.url()))
        .collect();
    Ok(Scenario {
        topology,
        eks_service: "eks-app".into(),
        upstreams,
    })
}

/// The EKS side from the manifests of `k8s`, the Lambda side and the network from the template
/// in `EksAppMode=gateway-api`, the client pointed at the route's service as `README.md`'s
/// deploy steps point it (`LatticeServiceUrl`, `TargetServiceArn`); every backend Service is
/// the pod.
fn eks_side_from_manifests(
    template: &Path,
    k8s: &Path,
    client_principal: &str,
    pod: &StandInPod,
) -> Result<Scenario, DemoError> {
    let mapped =
        map_manifests(k8s, DEFAULT_REGION, Some(client_principal)).map_err(|e| fail(1, e))?;
    let (namespace, route) = EKS_ROUTE;
    let name = controller_service_name(route, namespace, None);
    let service = mapped.topology.service(&name).ok_or_else(|| {
        fail(
            1,
            format!(
                "{} has no HTTPRoute {namespace}/{route} (Lattice service {name})",
                k8s.display()
            ),
        )
    })?;
    let load = LoadOptions::new(DEFAULT_REGION)
        .with_parameter("EksAppMode", "gateway-api")
        .with_parameter(
            "LatticeServiceUrl",
            format!("https://{name}.{LOCAL_DOMAIN}/app"),
        )
        .with_parameter("TargetServiceArn", service.arn.clone());
    let topology = Topology::load(template, &load).map_err(|e| fail(1, e))?;
    println!(
        "    read {} with EksAppMode=gateway-api (the Lambda side and the network) and {} (the \
         EKS side, as the AWS Gateway API Controller maps it; region {DEFAULT_REGION})",
        template.display(),
        k8s.display()
    );
    println!(
        "    HTTPRoute {namespace}/{route} -> Lattice service {name} ({})",
        service.arn
    );
    let upstreams = mapped
        .backends
        .keys()
        .map(|group| (group.clone(), pod.url()))
        .collect();
    let sources = Sources::join(
        Some((template.to_owned(), topology)),
        Some((k8s.to_owned(), mapped)),
    )
    .map_err(|e| fail(1, e))?;
    Ok(Scenario {
        topology: sources.topology,
        eks_service: name,
        upstreams,
    })
}

async fn scenario(
    stack: &Stack,
    scenario: &Scenario,
    pod: &StandInPod,
    log: &AccessLog,
    client_function: &str,
) -> Result<(), DemoError> {
    let eks_name = scenario.eks_service.as_str();
    let provider_service = stack
        .data_plane
        .endpoint("foo-service")
        .ok_or_else(|| fail(1, "foo-service is not served"))?;
    let eks = stack
        .data_plane
        .endpoint(eks_name)
        .ok_or_else(|| fail(1, format!("{eks_name} is not served")))?;
    println!(
        "    foo-service: {}  or  {}",
        provider_service.url(),
        provider_service.host_url
    );
    println!(
        "    {eks_name}: {}  or  {}  -> stand-in pod {}",
        eks.url(),
        eks.host_url,
        pod.url()
    );
    let mut seen = 0;

    println!(
        "step 2: {}: GET {}/ (Host: foo-service.lattice.localhost)",
        STEP_TITLES[1],
        stack.data_plane.host_addr()
    );
    let host_url = format!("http://{}/", stack.data_plane.host_addr());
    let host = format!(
        "foo-service.lattice.localhost:{}",
        stack.data_plane.host_addr().port()
    );
    let (status, body) = get(&host_url, Some(&host)).await.map_err(|e| fail(2, e))?;
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
        "step 4: {}: unsigned GET {unsigned} ({eks_name} has auth type {})",
        STEP_TITLES[3],
        scenario
            .topology
            .service(eks_name)
            .map_or("?", |s| s.auth_type.as_str())
    );
    let (status, body) = get(&unsigned, None).await.map_err(|e| fail(4, e))?;
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
