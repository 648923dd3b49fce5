//! Step 1: which service a request is for, and whether its `Host` is one this data plane
//! answers: loopback literals, `localhost`, `<service>.lattice.localhost` and the bare service
//! names (and any IP literal when `--bind` exposes the data plane beyond loopback). Any other
//! `Host` means a misdirected request or DNS rebinding: `421`.
//!
//! On a service's own port the port decides the service; on the `Host`-routed port the `Host`
//! does (`404` naming the services when it names none).

use std::ops::ControlFlow;
use std::sync::Arc;

use super::directory::{Directory, strip_local_domain};
use super::exchange::{AccessNote, Answer, Arrived, Exchange, Resolved};
use super::rejection::Rejection;
use super::step::Step;
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
        let service = match (exchange.stage.port_service.as_ref(), named.as_ref()) {
            (Some(service), _) | (None, Some(service)) => Arc::clone(service),
            (None, None) => return refuse(self.no_service(host.unwrap_or_default())),
        };
        ControlFlow::Continue(exchange.advance(Resolved {
            service,
            host_names: named,
        }))
    }
}

impl ResolveService {
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
