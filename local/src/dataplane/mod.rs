//! The local Lattice data plane: one port per service, plus one port that routes by `Host`
//! (`<service>.lattice.localhost`). Every request goes down one stack of `tower` layers, each in
//! its own file with one job:
//!
//! ```text
//! net::serve (accept, header-read/idle timeout, connection cap)
//!   record   HTTP request -> Exchange; Answer -> HTTP response + one access-log record
//!   resolve  Host check (421), service by port or by Host (404)
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
mod directory;
mod exchange;
mod forward;
mod metered;
mod path;
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

use tokio::net::TcpListener;
use tokio::sync::watch;
use tower::ServiceBuilder;

pub use path::{PathProblem, check_canonical_path};
pub use rejection::Rejection;

use self::admit::Admit;
use self::directory::{Directory, ServicePlane};
use self::forward::Forward;
use self::path::CanonicalPath;
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
use crate::template::{LOCAL_DOMAIN, Topology};

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
}

/// How to serve a topology.
#[derive(Clone, Debug)]
pub struct DataPlaneOptions {
    /// Address to listen on (loopback unless told otherwise).
    pub bind: IpAddr,
    /// Port of the `Host`-routed listener (0: any free port).
    pub host_port: u16,
    /// Port per service name (missing or 0: any free port).
    pub service_ports: BTreeMap<String, u16>,
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
            service_ports: BTreeMap::new(),
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

/// Where a service is served.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServiceEndpoint {
    /// Service name.
    pub name: String,
    /// Its own port.
    pub addr: SocketAddr,
    /// The `Host`-routed URL (`http://<name>.lattice.localhost:<port>`).
    pub host_url: String,
}

impl ServiceEndpoint {
    /// `http://<addr>` of the service's own port.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

/// A running data plane. Dropping it stops accepting, closes every connection and stops the
/// health checks.
#[derive(Debug)]
pub struct DataPlane {
    host_addr: SocketAddr,
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

    /// The `Host`-routed listener.
    pub fn host_addr(&self) -> SocketAddr {
        self.host_addr
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
    host: (TcpListener, SocketAddr),
    services: Vec<(TcpListener, ServiceEndpoint)>,
}

impl BoundDataPlane {
    /// Binds the `Host`-routed port and one port per service.
    pub async fn bind(
        topology: &Topology,
        options: &DataPlaneOptions,
    ) -> Result<Self, DataPlaneError> {
        for name in options.service_ports.keys() {
            if topology.service(name).is_none() {
                return Err(DataPlaneError::UnknownService(name.clone()));
            }
        }
        let host = bind(SocketAddr::new(options.bind, options.host_port)).await?;
        let mut services = Vec::new();
        for service in &topology.services {
            let port = options
                .service_ports
                .get(&service.name)
                .copied()
                .unwrap_or(0);
            let (listener, addr) = bind(SocketAddr::new(options.bind, port)).await?;
            let endpoint = ServiceEndpoint {
                name: service.name.clone(),
                addr,
                host_url: format!("http://{}.{LOCAL_DOMAIN}:{}", service.name, host.1.port()),
            };
            services.push((listener, endpoint));
        }
        Ok(BoundDataPlane { host, services })
    }

    /// The endpoints that [`BoundDataPlane::serve`] will serve.
    pub fn endpoints(&self) -> impl Iterator<Item = &ServiceEndpoint> {
        self.services.iter().map(|(_, e)| e)
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
        let directory = Arc::new(Directory::build(topology, targets, &options)?);
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
        let serve_options = ServeOptions {
            header_read_timeout: options.header_read_timeout,
            connections: ConnectionLimit::new(options.max_connections),
        };
        // What each accept loop serves: the stack, as one connection on one port sees it.
        let make_service = |port_service: Option<Arc<ServicePlane>>| {
            let stack = stack.clone();
            let log = options.access_log.clone();
            let inspector = options.inspector.clone();
            move |connection: Connection| {
                RecordService::new(
                    stack.clone(),
                    port_service.clone(),
                    connection.peer,
                    log.clone(),
                    inspector.clone(),
                )
            }
        };
        let (host_listener, host_addr) = self.host;
        let mut listeners = vec![(host_listener, None)];
        let mut endpoints = Vec::new();
        for ((listener, endpoint), service) in self.services.into_iter().zip(&directory.services) {
            listeners.push((listener, Some(Arc::clone(service))));
            endpoints.push(endpoint);
        }
        let threads = match options.threads {
            0 => None,
            count => {
                Some(WorkerThreads::start("data-plane", count).map_err(DataPlaneError::Threads)?)
            }
        };
        let servers = listeners
            .into_iter()
            .map(|(listener, port_service)| {
                let make_service = make_service(port_service);
                match &threads {
                    None => serve(listener, serve_options.clone(), make_service),
                    Some(threads) => {
                        serve_spread(listener, serve_options.clone(), threads, make_service)
                    }
                }
            })
            .collect();
        Ok(DataPlane {
            host_addr,
            endpoints,
            directory,
            _servers: servers,
            _threads: threads,
            _health_checks: health_checks,
        })
    }
}

async fn bind(addr: SocketAddr) -> Result<(TcpListener, SocketAddr), DataPlaneError> {
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|source| DataPlaneError::Bind { addr, source })?;
    let local = listener
        .local_addr()
        .map_err(|source| DataPlaneError::Bind { addr, source })?;
    Ok((listener, local))
}
