//! The data plane's ports and what each serves: one per listener of every service (over TLS
//! for an `HTTPS` listener when the data plane has a CA), one per service without a listener,
//! and the `Host`-routed ports: one for plain HTTP and, with a CA, one over TLS. Binding them
//! (with each TLS port's certificates) and the endpoints printed for them.

use std::collections::BTreeSet;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use rustls::ServerConfig;
use rustls::sign::CertifiedKey;
use tokio::net::TcpListener;

use super::directory::{ListenerPlane, ServicePlane};
use super::{DataPlaneError, DataPlaneOptions};
use crate::model::{LOCAL_DOMAIN, Service, Topology};
use crate::tls::{CertificateNames, server_config};

/// Where one listener of a service is served.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListenerEndpoint {
    /// The listener's logical id.
    pub listener: String,
    /// `HTTP` or `HTTPS`, as in the template.
    pub protocol: String,
    /// The port Lattice listens on (443 for the template's HTTPS listeners).
    pub lattice_port: u16,
    /// Served over TLS.
    pub tls: bool,
    /// Its own local port.
    pub addr: SocketAddr,
    /// Its URL on the `Host`-routed port of its transport, if that port serves it (the first
    /// listener of each transport of a service).
    pub host_url: Option<String>,
}

impl ListenerEndpoint {
    /// `https://<addr>` or `http://<addr>` of its own port.
    pub fn url(&self) -> String {
        format!("{}://{}", scheme(self.tls), self.addr)
    }
}

/// Where a service is served.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServiceEndpoint {
    /// Service name.
    pub name: String,
    /// The port of its first listener (or, without listeners, a port that answers `503`).
    pub addr: SocketAddr,
    /// Whether that port speaks TLS.
    pub tls: bool,
    /// The first listener's `Host`-routed URL (`https://<name>.lattice.localhost:<port>`).
    pub host_url: String,
    /// Every listener, in template order.
    pub listeners: Vec<ListenerEndpoint>,
}

impl ServiceEndpoint {
    /// `https://<addr>` or `http://<addr>` of its first listener's port.
    pub fn url(&self) -> String {
        format!("{}://{}", scheme(self.tls), self.addr)
    }

    /// The listener Lattice serves `http(s)://<service>:<lattice_port>` on: the one with that
    /// protocol and port.
    pub fn listener_for(&self, https: bool, lattice_port: u16) -> Option<&ListenerEndpoint> {
        self.listeners.iter().find(|l| {
            l.protocol.eq_ignore_ascii_case(protocol(https)) && l.lattice_port == lattice_port
        })
    }
}

fn scheme(tls: bool) -> &'static str {
    if tls { "https" } else { "http" }
}

fn protocol(https: bool) -> &'static str {
    if https { "HTTPS" } else { "HTTP" }
}

/// What a port serves, once the directory exists.
#[derive(Clone, Debug)]
pub(crate) enum PortRole {
    /// The `Host`-routed port of one transport.
    HostRouted {
        /// Over TLS.
        tls: bool,
    },
    /// One listener of one service.
    Listener {
        service: Arc<ServicePlane>,
        listener: Arc<ListenerPlane>,
    },
    /// A service without listeners: every request is `503`.
    NoListener(Arc<ServicePlane>),
}

/// What a bound port will serve, by position in the topology.
#[derive(Clone, Copy, Debug)]
pub(crate) enum PortTarget {
    HostRouted { tls: bool },
    Listener { service: usize, listener: usize },
    NoListener { service: usize },
}

impl PortTarget {
    /// The role, from the directory built for the same topology.
    pub fn role(self, services: &[Arc<ServicePlane>]) -> Option<PortRole> {
        Some(match self {
            PortTarget::HostRouted { tls } => PortRole::HostRouted { tls },
            PortTarget::Listener { service, listener } => {
                let service = services.get(service)?;
                PortRole::Listener {
                    listener: Arc::clone(service.listeners.get(listener)?),
                    service: Arc::clone(service),
                }
            }
            PortTarget::NoListener { service } => {
                PortRole::NoListener(Arc::clone(services.get(service)?))
            }
        })
    }
}

/// A bound port.
#[derive(Debug)]
pub(crate) struct BoundPort {
    pub listener: TcpListener,
    pub target: PortTarget,
    /// The TLS configuration, on a TLS port.
    pub tls: Option<Arc<ServerConfig>>,
}

/// Every port of a topology, bound, and the endpoints they make.
#[derive(Debug)]
pub(crate) struct BoundPorts {
    pub ports: Vec<BoundPort>,
    pub host_addr: SocketAddr,
    pub host_tls_addr: Option<SocketAddr>,
    pub endpoints: Vec<ServiceEndpoint>,
}

impl BoundPorts {
    /// Binds the `Host`-routed ports and the ports of every listener (and every service without
    /// one), issuing the certificates of services with TLS listeners.
    pub async fn bind(
        topology: &Topology,
        options: &DataPlaneOptions,
    ) -> Result<Self, DataPlaneError> {
        check_port_options(topology, options)?;
        let certificates = certificates(topology, options)?;
        let mut ports = Vec::new();
        let host = bind(SocketAddr::new(options.bind, options.host_port)).await?;
        let host_addr = host.1;
        ports.push(BoundPort {
            listener: host.0,
            target: PortTarget::HostRouted { tls: false },
            tls: None,
        });
        let mut host_tls_addr = None;
        if options.tls.is_some() {
            let (listener, addr) =
                bind(SocketAddr::new(options.bind, options.host_tls_port)).await?;
            host_tls_addr = Some(addr);
            ports.push(BoundPort {
                listener,
                target: PortTarget::HostRouted { tls: true },
                tls: Some(server_config::by_server_name(&certificates)?),
            });
        }
        let host_url = |name: &str, tls: bool| {
            let port = if tls { host_tls_addr } else { Some(host_addr) };
            port.map(|addr| format!("{}://{name}.{LOCAL_DOMAIN}:{}", scheme(tls), addr.port()))
        };
        let mut endpoints = Vec::with_capacity(topology.services.len());
        for (index, service) in topology.services.iter().enumerate() {
            let mut listeners = Vec::with_capacity(service.listeners.len());
            let mut transports_seen = BTreeSet::new();
            for (position, listener) in service.listeners.iter().enumerate() {
                let tls = listener.is_https() && options.tls.is_some();
                let port = listener_port(options, service, position, listener.port);
                let (bound, addr) = bind(SocketAddr::new(options.bind, port)).await?;
                let config = match tls {
                    false => None,
                    true => Some(service_config(&certificates, &service.name)?),
                };
                ports.push(BoundPort {
                    listener: bound,
                    target: PortTarget::Listener {
                        service: index,
                        listener: position,
                    },
                    tls: config,
                });
                // The Host-routed port of a transport serves a service's first listener of it.
                let first_of_transport = transports_seen.insert(tls);
                listeners.push(ListenerEndpoint {
                    listener: listener.logical_id.clone(),
                    protocol: listener.protocol.clone(),
                    lattice_port: listener.port,
                    tls,
                    addr,
                    host_url: first_of_transport
                        .then(|| host_url(&service.name, tls))
                        .flatten(),
                });
            }
            let endpoint = match listeners.first() {
                Some(first) => ServiceEndpoint {
                    name: service.name.clone(),
                    addr: first.addr,
                    tls: first.tls,
                    host_url: first.host_url.clone().unwrap_or_default(),
                    listeners,
                },
                None => {
                    let port = options
                        .service_ports
                        .get(&service.name)
                        .copied()
                        .unwrap_or(0);
                    let (bound, addr) = bind(SocketAddr::new(options.bind, port)).await?;
                    ports.push(BoundPort {
                        listener: bound,
                        target: PortTarget::NoListener { service: index },
                        tls: None,
                    });
                    ServiceEndpoint {
                        name: service.name.clone(),
                        addr,
                        tls: false,
                        host_url: host_url(&service.name, false).unwrap_or_default(),
                        listeners,
                    }
                }
            };
            endpoints.push(endpoint);
        }
        Ok(BoundPorts {
            ports,
            host_addr,
            host_tls_addr,
            endpoints,
        })
    }
}

/// Every `--service-port` names a service, and every listener form names one of its listeners.
fn check_port_options(
    topology: &Topology,
    options: &DataPlaneOptions,
) -> Result<(), DataPlaneError> {
    for name in options.service_ports.keys() {
        if topology.service(name).is_none() {
            return Err(DataPlaneError::UnknownService(name.clone()));
        }
    }
    for (name, lattice_port) in options.listener_ports.keys() {
        let service = topology
            .service(name)
            .ok_or_else(|| DataPlaneError::UnknownService(name.clone()))?;
        if !service.listeners.iter().any(|l| l.port == *lattice_port) {
            return Err(DataPlaneError::UnknownListener {
                service: name.clone(),
                port: *lattice_port,
                ports: service.listeners.iter().map(|l| l.port).collect(),
            });
        }
    }
    Ok(())
}

/// The local port asked for a listener: by its Lattice port, or (the first listener) by the
/// service's name; 0 (any) otherwise.
fn listener_port(
    options: &DataPlaneOptions,
    service: &Service,
    position: usize,
    lattice_port: u16,
) -> u16 {
    let by_listener = options
        .listener_ports
        .iter()
        .find(|((name, port), _)| *port == lattice_port && topology_name_matches(service, name))
        .map(|(_, local)| *local);
    let by_service = (position == 0)
        .then(|| {
            options
                .service_ports
                .iter()
                .find(|(name, _)| topology_name_matches(service, name))
                .map(|(_, local)| *local)
        })
        .flatten();
    by_listener.or(by_service).unwrap_or(0)
}

/// Options name a service by name or logical id (as `Topology::service` finds it).
fn topology_name_matches(service: &Service, name: &str) -> bool {
    service.name == name || service.logical_id == name
}

/// The certificate of every service with a TLS listener, in template order (none without a CA).
fn certificates(
    topology: &Topology,
    options: &DataPlaneOptions,
) -> Result<Vec<(String, Arc<CertifiedKey>)>, DataPlaneError> {
    let Some(authority) = &options.tls else {
        return Ok(Vec::new());
    };
    // A specific --bind address is named too, so clients elsewhere can verify it.
    let addresses: Vec<IpAddr> = [options.bind]
        .into_iter()
        .filter(|ip| !ip.is_loopback() && !ip.is_unspecified())
        .collect();
    let mut certificates = Vec::new();
    for service in &topology.services {
        if !service.listeners.iter().any(|l| l.is_https()) {
            continue;
        }
        let names = CertificateNames::for_service(&service.name, &addresses);
        let certificate = authority.service_certificate(&service.name, &names)?;
        if certificate.issued {
            tracing::info!(service = %service.name, file = %certificate.cert_file.display(), "issued a certificate");
        }
        certificates.push((service.name.clone(), certificate.certified_key));
    }
    Ok(certificates)
}

fn service_config(
    certificates: &[(String, Arc<CertifiedKey>)],
    service: &str,
) -> Result<Arc<ServerConfig>, DataPlaneError> {
    let (_, certificate) = certificates
        .iter()
        .find(|(name, _)| name == service)
        .ok_or_else(|| DataPlaneError::NoCertificate(service.to_owned()))?;
    Ok(server_config::for_service(Arc::clone(certificate))?)
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
