//! The local Lattice data plane: one port per listener of every service (TLS for `HTTPS`
//! listeners), plus the ports that route by `Host` (`<service>.lattice.localhost`): one for
//! plain HTTP, one over TLS ([`ports`]). Every request goes down one stack of `tower` layers,
//! each in its own file with one job:
//!
//! ```text
//! net::serve (accept, TLS handshake, header-read/idle timeout, connection cap)
//!   record   HTTP request -> Exchange; Answer -> HTTP response + one access-log record
//!   resolve  Host check (421), service and listener by port or by Host (404, 421, 503)
//!   path     one canonical path, or 400
//!   admit    signature (any auth type), signed host, auth policy (AWS_IAM) -> 403 | identity
//!   route    listener rules -> fixed response | target group (503 when none)
//!   forward  Lambda event | HTTP proxy, with Lattice's headers -> 413 | 502 | 503 | 504
//! ```
//!
//! Every refusal is a [`Rejection`]: its status, its body and its access-log reason live there
//! and nowhere else. A new request-path behaviour is a new step (a [`step::Step`] and a line in
//! [`BoundDataPlane::serve`]), a new refusal a new `Rejection` variant.

mod admit;
mod canonical;
mod directory;
mod exchange;
mod forward;
mod metered;
mod path;
mod ports;
mod record;
mod rejection;
mod resolve;
mod route;
pub mod router;
mod step;

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio_rustls::TlsAcceptor;
use tower::ServiceBuilder;

pub use canonical::{PathProblem, check_canonical_path};
pub use ports::{ListenerEndpoint, ServiceEndpoint};
pub use rejection::Rejection;

use self::admit::Admit;
use self::directory::Directory;
use self::forward::Forward;
use self::path::CanonicalPath;
use self::ports::{BoundPorts, PortRole};
use self::record::RecordService;
use self::resolve::ResolveService;
use self::route::RouteByRules;
use self::step::StepLayer;
use crate::access_log::AccessLog;
use crate::auth::{AccessSetupError, CredentialStore};
use crate::inspector::Inspector;
use crate::net::limits::{DATA_PLANE_MAX_CONNECTIONS, IDLE_TIMEOUT, UPSTREAM_TIMEOUT};
use crate::net::{
    Connection, ConnectionLimit, ServeOptions, ServerTask, WorkerThreads, serve, serve_spread,
};
use crate::targets::{HealthChecks, HttpTargetGroup, Target, TargetHealth};
use crate::template::Topology;
use crate::tls::{LocalAuthority, TlsError};

/// Why the data plane could not start.
#[derive(Debug, thiserror::Error)]
pub enum DataPlaneError {
    /// A port could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// What the OS said.
        source: std::io::Error,
    },
    /// A service's or service network's auth policy is not understood; lattice-local fails
    /// closed.
    #[error(transparent)]
    Policy(#[from] AccessSetupError),
    /// The worker threads could not start, or a listener could not be handed to them.
    #[error("cannot start the data plane's worker threads: {0}")]
    Threads(std::io::Error),
    /// `--service-port` named a service the template does not create.
    #[error("--service-port names unknown service {0:?}")]
    UnknownService(String),
    /// `--service-port NAME:PORT=…` named a listener port the service does not have.
    #[error(
        "--service-port: service {service} has no listener on port {port} (its listeners: {ports:?})"
    )]
    UnknownListener {
        /// The service.
        service: String,
        /// The Lattice port given.
        port: u16,
        /// The ports of its listeners.
        ports: Vec<u16>,
    },
    /// The certificates of HTTPS listeners could not be made or used.
    #[error(transparent)]
    Tls(#[from] TlsError),
    /// A TLS listener's service has no certificate (a bug: every such service gets one).
    #[error("service {0} has an HTTPS listener but no certificate")]
    NoCertificate(String),
    /// [`BoundDataPlane::serve`] was given another topology than [`BoundDataPlane::bind`].
    #[error("the topology served is not the one whose ports were bound")]
    TopologyChanged,
}

/// How to serve a topology.
#[derive(Clone, Debug)]
pub struct DataPlaneOptions {
    /// Address to listen on (loopback unless told otherwise).
    pub bind: IpAddr,
    /// Port of the `Host`-routed plain HTTP listener (0: any free port).
    pub host_port: u16,
    /// Port of the `Host`-routed HTTPS listener, served when `tls` is set (0: any free port).
    pub host_tls_port: u16,
    /// Port of each service's first listener, by service name (missing or 0: any free port).
    pub service_ports: BTreeMap<String, u16>,
    /// Port of a listener, by service name and the listener's Lattice port (`foo`, 443).
    pub listener_ports: BTreeMap<(String, u16), u16>,
    /// The CA that issues the certificates of `HTTPS` listeners, which are then served over
    /// TLS. `None` serves them as plain HTTP (their requests still say `https` in
    /// `x-forwarded-proto`): what tests that speak plain HTTP use; `up` and `demo` always
    /// give one.
    pub tls: Option<Arc<LocalAuthority>>,
    /// Region for signature verification and request contexts.
    pub region: String,
    /// Source VPC reported for callers whose credentials do not name one.
    pub source_vpc_arn: Option<String>,
    /// Principals that may sign requests.
    pub credentials: Arc<CredentialStore>,
    /// Where access-log lines go.
    pub access_log: AccessLog,
    /// The request inspector, if on: each exchange is captured for it (nothing is when off).
    pub inspector: Option<Inspector>,
    /// Time a connection has to send a request head (also its idle timeout).
    pub header_read_timeout: Duration,
    /// Time an HTTP target has to answer before the client gets `504`.
    pub upstream_timeout: Duration,
    /// Connections open at once, over every port.
    pub max_connections: usize,
    /// Threads of its own, each serving every port with a single-threaded runtime (see
    /// [`WorkerThreads`]); 0 serves on the runtime that calls [`BoundDataPlane::serve`].
    pub threads: usize,
}

impl DataPlaneOptions {
    /// Loopback, free ports, no access log, the limits of [`crate::net::limits`], served on the
    /// caller's runtime.
    pub fn new(region: impl Into<String>, credentials: Arc<CredentialStore>) -> Self {
        DataPlaneOptions {
            bind: IpAddr::V4(Ipv4Addr::LOCALHOST),
            host_port: 0,
            host_tls_port: 0,
            service_ports: BTreeMap::new(),
            listener_ports: BTreeMap::new(),
            tls: None,
            region: region.into(),
            source_vpc_arn: None,
            credentials,
            access_log: AccessLog::Off,
            inspector: None,
            header_read_timeout: IDLE_TIMEOUT,
            upstream_timeout: UPSTREAM_TIMEOUT,
            max_connections: DATA_PLANE_MAX_CONNECTIONS,
            threads: 0,
        }
    }
}

/// A running data plane. Dropping it stops accepting, closes every connection and stops the
/// health checks.
#[derive(Debug)]
pub struct DataPlane {
    host_addr: SocketAddr,
    host_tls_addr: Option<SocketAddr>,
    endpoints: Vec<ServiceEndpoint>,
    directory: Arc<Directory>,
    // Dropped in this order: the accept loops, then the threads that ran them.
    _servers: Vec<ServerTask>,
    _threads: Option<WorkerThreads>,
    _health_checks: HealthChecks,
}

impl DataPlane {
    /// Binds every port and starts serving `topology`. `targets` maps target group logical
    /// ids to what serves them; a group without an entry answers `503`.
    pub async fn start(
        topology: &Topology,
        targets: BTreeMap<String, Target>,
        options: DataPlaneOptions,
    ) -> Result<Self, DataPlaneError> {
        BoundDataPlane::bind(topology, &options)
            .await?
            .serve(topology, targets, options)
    }

    /// The `Host`-routed plain HTTP listener.
    pub fn host_addr(&self) -> SocketAddr {
        self.host_addr
    }

    /// The `Host`-routed HTTPS listener, when the data plane has a CA.
    pub fn host_tls_addr(&self) -> Option<SocketAddr> {
        self.host_tls_addr
    }

    /// Every service's endpoint, in template order.
    pub fn endpoints(&self) -> &[ServiceEndpoint] {
        &self.endpoints
    }

    /// The endpoint of one service.
    pub fn endpoint(&self, service: &str) -> Option<&ServiceEndpoint> {
        self.endpoints.iter().find(|e| e.name == service)
    }

    /// The HTTP target group with this logical id (`None` for Lambda groups and groups without
    /// targets).
    pub fn http_target_group(&self, group: &str) -> Option<&Arc<HttpTargetGroup>> {
        match &self.directory.groups.get(group)?.target {
            Target::Http(group) => Some(group),
            _ => None,
        }
    }

    /// The health of each target of an HTTP target group, as its checks last found it.
    pub fn target_health(&self, group: &str) -> Option<Vec<TargetHealth>> {
        self.http_target_group(group).map(|g| g.health())
    }

    /// A receiver that sees every change of the health of an HTTP target group's targets.
    pub fn watch_target_health(&self, group: &str) -> Option<watch::Receiver<Vec<TargetHealth>>> {
        self.http_target_group(group).map(|g| g.watch_health())
    }
}

/// Ports bound but not yet serving: the endpoints are known, so functions can be configured
/// with service URLs before the targets are built.
#[derive(Debug)]
pub struct BoundDataPlane {
    ports: BoundPorts,
}

impl BoundDataPlane {
    /// Binds the `Host`-routed ports and one port per listener (issuing the certificates of
    /// `HTTPS` listeners when `options.tls` is set).
    pub async fn bind(
        topology: &Topology,
        options: &DataPlaneOptions,
    ) -> Result<Self, DataPlaneError> {
        Ok(BoundDataPlane {
            ports: BoundPorts::bind(topology, options).await?,
        })
    }

    /// The endpoints that [`BoundDataPlane::serve`] will serve.
    pub fn endpoints(&self) -> impl Iterator<Item = &ServiceEndpoint> {
        self.ports.endpoints.iter()
    }

    /// The endpoint of one service.
    pub fn endpoint(&self, service: &str) -> Option<&ServiceEndpoint> {
        self.endpoints().find(|e| e.name == service)
    }

    /// Starts serving (inside a Tokio runtime). `topology` must be the one given to
    /// [`BoundDataPlane::bind`].
    pub fn serve(
        self,
        topology: &Topology,
        targets: BTreeMap<String, Target>,
        options: DataPlaneOptions,
    ) -> Result<DataPlane, DataPlaneError> {
        let BoundPorts {
            ports,
            host_addr,
            host_tls_addr,
            endpoints,
        } = self.ports;
        let mut directory = Directory::build(topology, targets, &options)?;
        directory.host_ports = (host_addr.port(), host_tls_addr.map(|a| a.port()));
        let directory = Arc::new(directory);
        // On the caller's runtime: checks wait on timers, not on the request path's threads.
        let health_checks =
            HealthChecks::start(directory.groups.values().filter_map(
                |plane| match &plane.target {
                    Target::Http(group) => Some(group),
                    _ => None,
                },
            ));
        let stack = ServiceBuilder::new()
            .layer(StepLayer(ResolveService::new(Arc::clone(&directory))))
            .layer(StepLayer(CanonicalPath))
            .layer(StepLayer(Admit::new(Arc::clone(&directory))))
            .layer(StepLayer(RouteByRules::new(Arc::clone(&directory))))
            .service(Forward::new(Arc::clone(&directory)));
        let connections = ConnectionLimit::new(options.max_connections);
        // What each accept loop serves: the stack, as one connection on one port sees it.
        let make_service = |port: PortRole| {
            let stack = stack.clone();
            let log = options.access_log.clone();
            let inspector = options.inspector.clone();
            move |connection: Connection| {
                RecordService::new(
                    stack.clone(),
                    port.clone(),
                    &connection,
                    log.clone(),
                    inspector.clone(),
                )
            }
        };
        let threads = match options.threads {
            0 => None,
            count => {
                Some(WorkerThreads::start("data-plane", count).map_err(DataPlaneError::Threads)?)
            }
        };
        let mut servers = Vec::with_capacity(ports.len());
        for port in ports {
            let role = port
                .target
                .role(&directory.services)
                .ok_or_else(|| DataPlaneError::TopologyChanged)?;
            let serve_options = ServeOptions {
                header_read_timeout: options.header_read_timeout,
                connections: connections.clone(),
                tls: port.tls.map(TlsAcceptor::from),
            };
            let make_service = make_service(role);
            servers.push(match &threads {
                None => serve(port.listener, serve_options, make_service),
                Some(threads) => serve_spread(port.listener, serve_options, threads, make_service),
            });
        }
        Ok(DataPlane {
            host_addr,
            host_tls_addr,
            endpoints,
            directory,
            _servers: servers,
            _threads: threads,
            _health_checks: health_checks,
        })
    }
}
