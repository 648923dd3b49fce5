//! Step 1: which service and listener a request is for, and whether its `Host` is one this
//! data plane answers: loopback literals, `localhost`, `<service>.lattice.localhost` and the
//! bare service names (and any IP literal when `--bind` exposes the data plane beyond
//! loopback). Any other `Host` means a misdirected request or DNS rebinding: `421`.
//!
//! On a listener's own port the port decides the service and the listener; on a `Host`-routed
//! port the `Host` names the service (`404` naming the services when it names none) and the
//! port's transport picks its listener: the first served in plain HTTP on the HTTP port, the
//! first served over TLS on the HTTPS port (`421` naming the other when it has none).

use std::ops::ControlFlow;
use std::sync::Arc;

use super::directory::{Directory, ServicePlane, strip_local_domain};
use super::exchange::{AccessNote, Answer, Arrived, Exchange, Resolved};
use super::ports::PortRole;
use super::rejection::Rejection;
use super::step::Step;
use crate::model::LOCAL_DOMAIN;
use crate::net::host::{HostName, parse_host, request_host};

/// Resolves the service and checks the `Host`.
#[derive(Clone, Debug)]
pub(crate) struct ResolveService {
    directory: Arc<Directory>,
}

impl ResolveService {
    pub fn new(directory: Arc<Directory>) -> Self {
        ResolveService { directory }
    }
}

impl Step for ResolveService {
    type In = Arrived;
    type Out = Resolved;

    fn apply(&self, exchange: Exchange<Arrived>) -> ControlFlow<Answer, Exchange<Resolved>> {
        let host = request_host(&exchange.parts.headers, &exchange.parts.uri);
        let refuse =
            |rejection| ControlFlow::Break(Answer::rejected(rejection, AccessNote::default()));
        let named = match host.map(parse_host) {
            None | Some(Some(HostName::Loopback)) => None,
            Some(Some(HostName::OtherAddress(_))) if self.directory.exposed => None,
            Some(Some(HostName::Name(name))) => match self.directory.service_named(name) {
                Some(service) => Some(Arc::clone(service)),
                None if strip_local_domain(name).is_some() => {
                    return refuse(self.no_service(name));
                }
                None => return refuse(foreign(host)),
            },
            Some(_) => return refuse(foreign(host)),
        };
        let (service, listener) = match &exchange.stage.port {
            PortRole::Listener { service, listener } => (Arc::clone(service), Arc::clone(listener)),
            PortRole::NoListener(service) => return self.refuse_listener(service, None),
            PortRole::HostRouted { tls } => {
                let Some(service) = named.as_ref() else {
                    return refuse(self.no_service(host.unwrap_or_default()));
                };
                match service.listener_over(*tls) {
                    Some(listener) => (Arc::clone(service), Arc::clone(listener)),
                    None => return self.refuse_listener(service, Some(*tls)),
                }
            }
        };
        ControlFlow::Continue(exchange.advance(Resolved {
            service,
            listener,
            host_names: named,
        }))
    }
}

impl ResolveService {
    /// The answer for a service with no listener the port can serve: `503` when it has none
    /// at all, `421` naming its listeners when the `Host`-routed port of `tls`'s transport
    /// serves none of them.
    fn refuse_listener(
        &self,
        service: &Arc<ServicePlane>,
        tls: Option<bool>,
    ) -> ControlFlow<Answer, Exchange<Resolved>> {
        let rejection = match tls {
            Some(tls) if !service.listeners.is_empty() => {
                let (http_port, tls_port) = self.directory.host_ports;
                let other_port = if tls { Some(http_port) } else { tls_port };
                let other_scheme = if tls { "http" } else { "https" };
                Rejection::NoListenerForScheme {
                    service: Arc::clone(&service.name),
                    scheme: if tls { "HTTPS" } else { "HTTP" },
                    listeners: service
                        .listeners
                        .iter()
                        .map(|l| format!("{} {}", if l.https { "HTTPS" } else { "HTTP" }, l.port))
                        .collect::<Vec<_>>()
                        .join(", "),
                    instead: other_port.map(|port| {
                        format!("{other_scheme}://{}.{LOCAL_DOMAIN}:{port}", service.name)
                    }),
                }
            }
            _ => Rejection::NoListener {
                service: Arc::clone(&service.name),
            },
        };
        ControlFlow::Break(Answer::rejected(rejection, AccessNote::service(service)))
    }

    fn no_service(&self, host: &str) -> Rejection {
        Rejection::NoServiceForHost {
            host: host.to_owned(),
            known: self.directory.service_names(),
        }
    }
}

fn foreign(host: Option<&str>) -> Rejection {
    Rejection::ForeignHost {
        host: host.unwrap_or_default().to_owned(),
    }
}
