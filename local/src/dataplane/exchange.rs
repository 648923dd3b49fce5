//! What flows through the data plane's layers: an [`Exchange`] (the request, the client and
//! what earlier layers learned, typed by stage) going in, an [`Answer`] (the response and what
//! the access log records) coming out.
//!
//! Each stage type is what a layer needs and nothing more, so the compiler checks the order of
//! the layers: routing cannot run before authorisation has produced an identity.

use std::net::SocketAddr;
use std::sync::Arc;

use http::request::Parts;
use hyper::body::Incoming;
use lattice_lambda::Identity;

use super::directory::{ListenerPlane, ServicePlane, TargetGroupPlane};
use super::ports::PortRole;
use super::rejection::Rejection;
use crate::targets::ResponseBody;

/// A request on its way down the layers.
pub(crate) struct Exchange<S> {
    /// Method, URI, headers.
    pub parts: Parts,
    /// The body, not yet read.
    pub body: Incoming,
    /// The client's address (`x-forwarded-for`).
    pub client: SocketAddr,
    /// What the layers so far established.
    pub stage: S,
}

impl<S> Exchange<S> {
    /// The same request at the next stage.
    pub fn advance<T>(self, stage: T) -> Exchange<T> {
        Exchange {
            parts: self.parts,
            body: self.body,
            client: self.client,
            stage,
        }
    }
}

/// As received: what the port it arrived on serves.
pub(crate) struct Arrived {
    pub port: PortRole,
}

/// The service and its listener are known, and so is the service the `Host` names, if it
/// names one.
pub(crate) struct Resolved {
    pub service: Arc<ServicePlane>,
    pub listener: Arc<ListenerPlane>,
    pub host_names: Option<Arc<ServicePlane>>,
}

/// Authenticated and authorised: the identity the target will see.
pub(crate) struct Admitted {
    pub service: Arc<ServicePlane>,
    pub listener: Arc<ListenerPlane>,
    pub identity: Identity,
}

/// Routed to a target group by a rule (or the default action).
pub(crate) struct Routed {
    pub service: Arc<ServicePlane>,
    pub listener: Arc<ListenerPlane>,
    pub identity: Identity,
    pub rule: Arc<str>,
    pub group: Arc<TargetGroupPlane>,
}

/// What the access log records besides method, path, status and latency.
#[derive(Clone, Debug, Default)]
pub(crate) struct AccessNote {
    pub service: Option<Arc<str>>,
    pub rule: Option<Arc<str>>,
    pub target: Option<Arc<str>>,
    pub reason: Option<&'static str>,
}

impl AccessNote {
    /// A note naming the service.
    pub fn service(service: &ServicePlane) -> Self {
        AccessNote {
            service: Some(Arc::clone(&service.name)),
            ..AccessNote::default()
        }
    }
}

/// A response on its way up, with its access-log note.
pub(crate) struct Answer {
    pub response: http::Response<ResponseBody>,
    pub note: AccessNote,
}

impl Answer {
    /// The answer to a refused or failed request.
    pub fn rejected(rejection: Rejection, mut note: AccessNote) -> Self {
        note.reason = Some(rejection.reason());
        Answer {
            response: rejection.into_response(),
            note,
        }
    }
}
