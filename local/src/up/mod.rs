//! `lattice-local up`: read the template and/or the Gateway API manifests of `--k8s DIR`, build
//! the template's functions, start the `--run` backends, serve it all behind the data plane and
//! the Lambda Invoke API, print the URLs, serve until Ctrl-C, then stop everything it started.
//!
//! Only the data plane follows `--bind`: the Invoke API and every Runtime API listen on
//! loopback whatever is asked, since they check no signature.

mod backend_process;
mod backends;
mod banner;
mod error;
mod exposure;
mod service_urls;
mod sources;
mod stack;
mod workspace;

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;

use tokio::signal::unix::{Signal, SignalKind, signal};

pub use backend_process::{BackendProcess, RunBounds, RunError};
pub use backends::{check_http_groups, target_group_keys};
pub use error::UpError;
pub use exposure::{check_exposure, function_principal};
pub use service_urls::rewrite_service_urls;
pub use sources::{Sources, map_manifests, print_notes};
pub use stack::{CA_BUNDLE_ENV, SSL_CERT_FILE_ENV, Stack, StackOptions};
pub use workspace::Workspace;

use crate::access_log::{AccessLog, AccessLogFormat, AccessLogWriter};
use crate::auth::CredentialStore;
use crate::dataplane::DataPlaneOptions;
use crate::dataplane::ServiceEndpoint;
use crate::inspector::{Inspector, InspectorOptions, InspectorServer, TopologyView};
use crate::invoke_api::InvokeApi;
use crate::model::Topology;
use crate::template::LoadOptions;
use crate::tls::LocalAuthority;
use banner::print_manifest_backends;

/// Options of `lattice-local up`.
#[derive(Clone, Debug)]
pub struct UpOptions {
    /// Path of the template; `None` serves the manifests of `k8s` alone.
    pub template: Option<PathBuf>,
    /// `--k8s DIR`: Gateway API manifests served beside (or without) the template.
    pub k8s: Option<PathBuf>,
    /// `--parameter KEY=VALUE`.
    pub parameters: Vec<(String, String)>,
    /// Region.
    pub region: String,
    /// Credentials file (default: the demo credentials).
    pub credentials: Option<PathBuf>,
    /// `--function-principal ARN`: the principal functions sign as (default: the first of the
    /// credentials file).
    pub function_principal: Option<String>,
    /// `--upstream KEY=URL[,URL…]`: KEY is a target group, or a Service `namespace/name` of the
    /// manifests (see [`target_group_keys`]); the value is its comma-separated target URLs.
    pub upstreams: BTreeMap<String, String>,
    /// `--run KEY=COMMAND`: the backend KEY (as for `upstreams`) as a local process.
    pub runs: BTreeMap<String, String>,
    /// Address the data plane listens on.
    pub bind: IpAddr,
    /// Port of the `Host`-routed plain HTTP listener.
    pub port: u16,
    /// Port of the `Host`-routed HTTPS listener.
    pub https_port: u16,
    /// `--service-port NAME=PORT`: a service's first listener.
    pub service_ports: BTreeMap<String, u16>,
    /// `--service-port NAME:LISTENER_PORT=PORT`: one listener of a service.
    pub listener_ports: BTreeMap<(String, u16), u16>,
    /// `--state-dir DIR`: where the local CA and the certificates are kept (default:
    /// `$XDG_STATE_HOME/lattice-local` or `~/.local/state/lattice-local`).
    pub state_dir: Option<PathBuf>,
    /// Port of the Lambda Invoke API (0: any), always on loopback.
    pub invoke_port: u16,
    /// Most concurrent instances per function.
    pub max_instances: usize,
    /// `--max-concurrency NAME=N`: invocations one instance of function NAME runs at once.
    pub max_concurrency: BTreeMap<String, usize>,
    /// Source VPC ARN for callers whose credentials name none.
    pub source_vpc_arn: Option<String>,
    /// Skip `cargo build`.
    pub no_build: bool,
    /// `--access-log`: how access-log lines are written to stdout, `None` for not at all.
    pub access_log: Option<AccessLogFormat>,
    /// The request inspector (`None`: `--no-inspector`).
    pub inspector: Option<InspectorOptions>,
}

/// `lattice-local up`, started: the stack, the Invoke API, the `--run` processes and the
/// access-log writer.
#[derive(Debug)]
pub struct Up {
    /// The data plane and the function pools.
    pub stack: Stack,
    /// The Lambda Invoke API (on loopback).
    pub invoke_api: InvokeApi,
    /// The `--run` processes.
    pub backends: Vec<BackendProcess>,
    /// The inspector's page (on loopback), unless turned off.
    pub inspector: Option<InspectorServer>,
    access_log: Option<AccessLogWriter>,
}

impl Up {
    /// Stops serving, writes every access-log line still queued, stops every function and
    /// every `--run` process group.
    pub async fn shutdown(self) {
        let Up {
            stack,
            invoke_api,
            backends,
            inspector,
            access_log,
        } = self;
        drop(inspector);
        drop(invoke_api);
        let pools = stack.stop_serving();
        if let Some(writer) = access_log {
            writer.finish();
        }
        // All at once, so the whole shutdown takes one grace period.
        let functions = futures_util::future::join_all(pools.values().map(|p| p.shutdown()));
        let processes = futures_util::future::join_all(backends.into_iter().map(|b| b.stop()));
        futures_util::future::join(functions, processes).await;
    }
}

/// Starts `lattice-local up` (builds the functions unless `no_build`, starts the `--run`
/// commands) and prints where each service is served.
pub async fn start(options: UpOptions) -> Result<Up, UpError> {
    let workspace = Workspace::locate()?;
    let credentials_path = options
        .credentials
        .clone()
        .unwrap_or_else(|| workspace.demo_credentials());
    let store = Arc::new(CredentialStore::load(&credentials_path)?);
    check_exposure(options.bind, &store, &credentials_path)?;
    let function_principal = function_principal(
        &store,
        options.function_principal.as_deref(),
        &credentials_path,
    )?;

    let mut load = LoadOptions::new(options.region.clone());
    load.parameters = options.parameters.clone();
    let sources = Sources::load(
        options.template.as_deref(),
        options.k8s.as_deref(),
        &load,
        function_principal
            .as_ref()
            .map(|p| p.principal_arn.as_str()),
    )?;
    let topology = &sources.topology;
    let manifests = sources.manifests.as_ref().map(|(_, mapped)| mapped);
    let mut upstreams = target_group_keys("--upstream", options.upstreams.clone(), manifests)?;
    // Checked before anything is started.
    let run_groups = target_group_keys("--run", options.runs.clone(), manifests)?;
    check_http_groups("--upstream", &upstreams, topology)?;
    check_http_groups("--run", &run_groups, topology)?;
    if let Some(group) = run_groups.keys().find(|g| upstreams.contains_key(*g)) {
        return Err(UpError::BackendGivenTwice {
            group: group.clone(),
            first: "--upstream".into(),
            second: "--run".into(),
        });
    }

    let binaries: Vec<&str> = topology
        .functions
        .values()
        .map(|f| f.binary.as_str())
        .collect();
    if !options.no_build && !binaries.is_empty() {
        println!("building the template's functions:");
        workspace.build(&binaries)?;
    }

    let backends = start_backends(&options.runs).await?;
    let run_urls = backends
        .iter()
        .map(|b| (b.key().to_owned(), b.url()))
        .collect();
    upstreams.extend(target_group_keys("--run", run_urls, manifests)?);

    let (access_log, writer) = match options.access_log {
        Some(format) => {
            let (log, writer) = AccessLog::stdout(format).map_err(UpError::AccessLog)?;
            (log, Some(writer))
        }
        None => (AccessLog::Off, None),
    };

    let authority = Arc::new(LocalAuthority::open_in(options.state_dir.as_deref())?);
    let mut data_plane = DataPlaneOptions::new(options.region.clone(), Arc::clone(&store));
    data_plane.bind = options.bind;
    data_plane.host_port = options.port;
    data_plane.host_tls_port = options.https_port;
    data_plane.service_ports = options.service_ports.clone();
    data_plane.listener_ports = options.listener_ports.clone();
    data_plane.tls = Some(Arc::clone(&authority));
    data_plane.source_vpc_arn = options.source_vpc_arn.clone();
    data_plane.access_log = access_log;
    let inspector = options.inspector.clone().map(Inspector::new);
    data_plane.inspector = inspector.clone();
    // One single-threaded runtime per core for the data plane (see `net::workers`).
    data_plane.threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut stack_options = StackOptions::new(data_plane);
    stack_options.upstreams = upstreams.clone();
    stack_options.max_instances = options.max_instances;
    stack_options.max_concurrency = options.max_concurrency.clone();
    stack_options.function_principal = function_principal.clone();
    let stack = Stack::start(topology, stack_options, |name| workspace.binary(name)).await?;

    let invoke_addr = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), options.invoke_port);
    let invoke_api = InvokeApi::bind(
        invoke_addr,
        options.region.clone(),
        stack.pools.values().cloned(),
    )
    .await
    .map_err(|source| UpError::InvokeApi {
        addr: invoke_addr,
        source,
    })?;

    let inspector = match inspector {
        Some(inspector) => {
            let view = topology_view(&sources.describe(), topology, &upstreams, &stack);
            Some(serve_inspector(inspector, &view, &stack).await?)
        }
        None => None,
    };

    println!(
        "lattice-local is serving {} (region {}):",
        sources.describe(),
        options.region
    );
    for endpoint in stack.data_plane.endpoints() {
        let auth = topology
            .service(&endpoint.name)
            .map_or("", |s| s.auth_type.as_str());
        print_endpoint(endpoint, auth);
    }
    if let Some(mapped) = manifests {
        print_manifest_backends(mapped, &upstreams, &backends);
    }
    let functions: Vec<&str> = stack.pools.values().map(|p| p.name()).collect();
    println!(
        "  Lambda Invoke API: {} ({})",
        invoke_api.endpoint_url(),
        if functions.is_empty() {
            "no functions".to_owned()
        } else {
            format!("functions: {}", functions.join(", "))
        }
    );
    println!(
        "  credentials: {} ({} principal(s)){}",
        credentials_path.display(),
        store.len(),
        function_principal
            .map(|p| format!("; functions sign as {}", p.principal_arn))
            .unwrap_or_default()
    );
    print_ca(&authority);
    if let Some(inspector) = &inspector {
        println!("  Inspector: {}", inspector.url());
    }
    Ok(Up {
        stack,
        invoke_api,
        backends,
        inspector,
        access_log: writer,
    })
}

/// Starts every `--run` command (key -> command line), each once whatever number of target
/// groups its key stands for.
async fn start_backends(runs: &BTreeMap<String, String>) -> Result<Vec<BackendProcess>, UpError> {
    let mut backends = Vec::new();
    for (key, command) in runs {
        // An error drops (and so kills) the ones already started.
        let process = BackendProcess::start(key, command, RunBounds::default()).await?;
        println!(
            "started --run {key}: `{command}` on {} (process group {})",
            process.url(),
            process.pid().map_or_else(|| "?".into(), |p| p.to_string())
        );
        backends.push(process);
    }
    Ok(backends)
}

/// The diagram the inspector draws of `topology` as `stack` serves it.
pub fn topology_view(
    source: &str,
    topology: &Topology,
    upstreams: &BTreeMap<String, String>,
    stack: &Stack,
) -> TopologyView {
    let mut view = TopologyView::new(source, topology, upstreams);
    for endpoint in stack.data_plane.endpoints() {
        let urls = endpoint
            .listeners
            .iter()
            .flat_map(|listener| std::iter::once(listener.url()).chain(listener.host_url.clone()))
            .collect();
        view.set_urls(&endpoint.name, urls);
    }
    view
}

/// Serves `inspector`'s page, drawing `view` with the health of `stack`'s HTTP targets as their
/// health checks decide it, on its port on `127.0.0.1`.
pub async fn serve_inspector(
    inspector: Inspector,
    view: &TopologyView,
    stack: &Stack,
) -> Result<InspectorServer, UpError> {
    inspector.set_topology(view);
    for group in &view.target_groups {
        if let Some(health) = stack.data_plane.watch_target_health(&group.id) {
            inspector.watch_health(&group.id, health);
        }
    }
    let port = inspector.options().port;
    InspectorServer::bind(port, inspector)
        .await
        .map_err(|source| UpError::Inspector { port, source })
}

/// Prints a service's URLs: one line per listener, its own port and its `Host`-routed URL.
pub fn print_endpoint(endpoint: &ServiceEndpoint, auth: &str) {
    if endpoint.listeners.is_empty() {
        println!(
            "  {:<16} {}  (no listener: every request gets 503; auth {auth})",
            endpoint.name,
            endpoint.url()
        );
    }
    for (index, listener) in endpoint.listeners.iter().enumerate() {
        let name = if index == 0 {
            endpoint.name.as_str()
        } else {
            ""
        };
        let host = listener.host_url.as_deref().map_or_else(
            || "(its own port only)".to_owned(),
            |url| format!("or  {url}"),
        );
        let auth = if index == 0 {
            format!(", auth {auth}")
        } else {
            String::new()
        };
        println!(
            "  {name:<16} {}  {host}  ({} {}{auth})",
            listener.url(),
            listener.protocol,
            listener.lattice_port
        );
    }
}

/// Prints where the local CA is and how to trust it.
pub fn print_ca(authority: &LocalAuthority) {
    let made = if authority.was_created() {
        "made now; "
    } else {
        ""
    };
    println!(
        "  TLS: local CA {} ({made}kept in {} across runs); trust it with `curl --cacert {}`; \
         functions get it as LATTICE_CA_BUNDLE and, with the system's roots, SSL_CERT_FILE",
        authority.ca_file().display(),
        authority.state_dir().path().display(),
        authority.ca_file().display()
    );
}

/// Runs `lattice-local up` until Ctrl-C.
pub async fn run(options: UpOptions) -> Result<(), UpError> {
    let up = start(options).await?;
    // Installed before "press Ctrl-C" is printed: a SIGINT sent as soon as that line is read
    // (by a script or a test) must stop lattice-local cleanly, not kill it with the default
    // action (`tokio::signal::ctrl_c` only installs its handler when first polled).
    let mut stop = match StopSignals::install() {
        Ok(stop) => stop,
        Err(source) => {
            up.shutdown().await;
            return Err(UpError::Signal(source));
        }
    };
    println!("press Ctrl-C to stop");
    stop.received().await;
    println!("stopping");
    up.shutdown().await;
    Ok(())
}

/// Ctrl-C (SIGINT), SIGTERM (`kill`, a process manager) or SIGHUP (the terminal closed): each
/// stops `up` in order, so that no function or `--run` process outlives it. Left to their
/// default action, they would end lattice-local at once and orphan them.
struct StopSignals {
    interrupt: Signal,
    terminate: Signal,
    hangup: Signal,
}

impl StopSignals {
    /// Takes over the three signals from now on.
    fn install() -> std::io::Result<Self> {
        Ok(StopSignals {
            interrupt: signal(SignalKind::interrupt())?,
            terminate: signal(SignalKind::terminate())?,
            hangup: signal(SignalKind::hangup())?,
        })
    }

    /// Waits for any of them.
    async fn received(&mut self) {
        tokio::select! {
            _ = self.interrupt.recv() => {}
            _ = self.terminate.recv() => {}
            _ = self.hangup.recv() => {}
        }
    }
}

/// A `--service-port` entry: `NAME=PORT` (the service's first listener) or
/// `NAME:LISTENER_PORT=PORT` (its listener on that Lattice port).
pub fn service_port(entry: &str) -> Result<(String, Option<u16>, u16), UpError> {
    let invalid = || UpError::KeyValue {
        option: "--service-port",
        value: entry.to_owned(),
    };
    let (key, port) = key_value("--service-port", entry)?;
    let port = port.parse().map_err(|_| invalid())?;
    match key.split_once(':') {
        None => Ok((key, None, port)),
        Some((name, listener)) => {
            let listener = listener.parse().map_err(|_| invalid())?;
            Ok((name.to_owned(), Some(listener), port))
        }
    }
}

/// Splits `KEY=VALUE`.
pub fn key_value(option: &'static str, value: &str) -> Result<(String, String), UpError> {
    value
        .split_once('=')
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .filter(|(k, _)| !k.is_empty())
        .ok_or_else(|| UpError::KeyValue {
            option,
            value: value.to_owned(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_values_split_on_the_first_equals_sign() {
        assert_eq!(
            key_value("--parameter", "A=b=c").unwrap(),
            ("A".to_owned(), "b=c".to_owned())
        );
        assert!(matches!(
            key_value("--parameter", "novalue"),
            Err(UpError::KeyValue {
                option: "--parameter",
                ..
            })
        ));
        assert!(key_value("--upstream", "=x").is_err());
    }

    #[test]
    fn service_ports_name_a_service_or_one_of_its_listeners() {
        assert_eq!(
            service_port("foo-service=9000").unwrap(),
            ("foo-service".to_owned(), None, 9000)
        );
        assert_eq!(
            service_port("foo-service:443=9443").unwrap(),
            ("foo-service".to_owned(), Some(443), 9443)
        );
        for bad in ["foo=x", "foo:https=1", "foo", "foo:443=70000"] {
            assert!(service_port(bad).is_err(), "{bad}");
        }
    }
}
