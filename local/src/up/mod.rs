//! `lattice-local up`: build the template's functions, start them behind the data plane and
//! the Lambda Invoke API, print the URLs, serve until Ctrl-C.
//!
//! Only the data plane follows `--bind`: the Invoke API and every Runtime API listen on
//! loopback whatever is asked, since they check no signature.

mod error;
mod exposure;
mod service_urls;
mod stack;
mod workspace;

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;

use tokio::signal::unix::{SignalKind, signal};

pub use error::UpError;
pub use exposure::{check_exposure, function_principal};
pub use service_urls::rewrite_service_urls;
pub use stack::{CA_BUNDLE_ENV, SSL_CERT_FILE_ENV, Stack, StackOptions};
pub use workspace::Workspace;

use crate::access_log::{AccessLog, AccessLogWriter};
use crate::auth::CredentialStore;
use crate::dataplane::DataPlaneOptions;
use crate::dataplane::ServiceEndpoint;
use crate::invoke_api::InvokeApi;
use crate::template::{LoadOptions, Topology};
use crate::tls::LocalAuthority;

/// Options of `lattice-local up`.
#[derive(Clone, Debug)]
pub struct UpOptions {
    /// Path of the template.
    pub template: Option<PathBuf>,
    /// `--parameter KEY=VALUE`.
    pub parameters: Vec<(String, String)>,
    /// Region.
    pub region: String,
    /// Credentials file (default: the demo credentials).
    pub credentials: Option<PathBuf>,
    /// `--function-principal ARN`: the principal functions sign as (default: the first of the
    /// credentials file).
    pub function_principal: Option<String>,
    /// `--upstream GROUP=URL`.
    pub upstreams: BTreeMap<String, String>,
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
    /// Source VPC ARN for callers whose credentials name none.
    pub source_vpc_arn: Option<String>,
    /// Skip `cargo build`.
    pub no_build: bool,
}

/// `lattice-local up`, started: the stack, the Invoke API and the access-log writer.
#[derive(Debug)]
pub struct Up {
    /// The data plane and the function pools.
    pub stack: Stack,
    /// The Lambda Invoke API (on loopback).
    pub invoke_api: InvokeApi,
    access_log: AccessLogWriter,
}

impl Up {
    /// Stops serving, writes every access-log line still queued, stops every function.
    pub async fn shutdown(self) {
        let Up {
            stack,
            invoke_api,
            access_log,
        } = self;
        drop(invoke_api);
        let pools = stack.stop_serving();
        access_log.finish();
        for pool in pools.values() {
            pool.shutdown().await;
        }
    }
}

/// Starts `lattice-local up` (builds the functions unless `no_build`) and prints where each
/// service is served.
pub async fn start(options: UpOptions) -> Result<Up, UpError> {
    let workspace = Workspace::locate()?;
    let template = options
        .template
        .clone()
        .unwrap_or_else(|| PathBuf::from("template.yaml"));
    let mut load = LoadOptions::new(options.region.clone());
    load.parameters = options.parameters.clone();
    let topology = Topology::load(&template, &load)?;
    print_notes(&topology);

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

    let binaries: Vec<&str> = topology
        .functions
        .values()
        .map(|f| f.binary.as_str())
        .collect();
    if !options.no_build && !binaries.is_empty() {
        println!("building the template's functions:");
        workspace.build(&binaries)?;
    }

    let authority = Arc::new(LocalAuthority::open_in(options.state_dir.as_deref())?);
    let (access_log, writer) = AccessLog::stdout().map_err(UpError::AccessLog)?;
    let mut data_plane = DataPlaneOptions::new(options.region.clone(), Arc::clone(&store));
    data_plane.bind = options.bind;
    data_plane.host_port = options.port;
    data_plane.host_tls_port = options.https_port;
    data_plane.service_ports = options.service_ports.clone();
    data_plane.listener_ports = options.listener_ports.clone();
    data_plane.tls = Some(Arc::clone(&authority));
    data_plane.source_vpc_arn = options.source_vpc_arn.clone();
    data_plane.access_log = access_log;
    // One single-threaded runtime per core for the data plane (see `net::workers`).
    data_plane.threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut stack_options = StackOptions::new(data_plane);
    stack_options.upstreams = options.upstreams.clone();
    stack_options.max_instances = options.max_instances;
    stack_options.function_principal = function_principal.clone();
    let stack = Stack::start(&topology, stack_options, |name| workspace.binary(name)).await?;

    let invoke_addr = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), options.invoke_port);
    let invoke_api = InvokeApi::bind(invoke_addr, stack.pools.values().cloned())
        .await
        .map_err(|source| UpError::InvokeApi {
            addr: invoke_addr,
            source,
        })?;

    println!(
        "lattice-local is serving {} (region {}):",
        template.display(),
        options.region
    );
    for endpoint in stack.data_plane.endpoints() {
        let auth = topology
            .service(&endpoint.name)
            .map_or("", |s| s.auth_type.as_str());
        print_endpoint(endpoint, auth);
    }
    println!(
        "  Lambda Invoke API: {} (functions: {})",
        invoke_api.endpoint_url(),
        stack
            .pools
            .values()
            .map(|p| p.name().to_owned())
            .collect::<Vec<_>>()
            .join(", ")
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
    Ok(Up {
        stack,
        invoke_api,
        access_log: writer,
    })
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
    let mut interrupt = match signal(SignalKind::interrupt()) {
        Ok(interrupt) => interrupt,
        Err(source) => {
            up.shutdown().await;
            return Err(UpError::Signal(source));
        }
    };
    println!("press Ctrl-C to stop");
    interrupt.recv().await;
    println!("stopping");
    up.shutdown().await;
    Ok(())
}

/// Prints what the template contains that lattice-local does not emulate.
pub fn print_notes(topology: &Topology) {
    if topology.notes.is_empty() {
        return;
    }
    println!("not emulated (from the template):");
    for note in &topology.notes {
        println!("  - {note}");
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
