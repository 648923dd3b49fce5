//! What flows through the data plane's layers: an [`Exchange`] (the request, the client and
//! what earlier layers learned, typed by stage) going in, an [`Answer`] (the response and what
//! the access log records) coming out.
//!
//! Each stage type is what a layer needs and nothing more, so the compiler checks the order of
//! the layers: routing cannot run before authorisation has produced an identity.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

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

/// Authenticated and authorised: the identity the target will see, and the auth policy
/// statement that decided (`None` when no policy applies).
pub(crate) struct Admitted {
    pub service: Arc<ServicePlane>,
    pub listener: Arc<ListenerPlane>,
    pub identity: Identity,
    pub auth: Option<Arc<str>>,
}

/// Routed to a target group by a rule (or the default action).
pub(crate) struct Routed {
    pub service: Arc<ServicePlane>,
    pub listener: Arc<ListenerPlane>,
    pub identity: Identity,
    pub auth: Option<Arc<str>>,
    pub rule: Arc<str>,
    pub group: Arc<TargetGroupPlane>,
}

/// What the layers learned that the access log records (method, path, status and timings of
/// the exchange itself are the recording layer's own).
#[derive(Clone, Debug, Default)]
pub(crate) struct AccessNote {
    /// The service the request was for.
    pub service: Option<Arc<ServicePlane>>,
    /// The rule that matched (`default` for the default action).
    pub rule: Option<Arc<str>>,
    /// What answered: a target group's target, or `fixed-response`.
    pub target: Option<Arc<str>>,
    /// `host:port` of the HTTP target that was called (`targetIpPort`).
    pub target_addr: Option<Arc<str>>,
    /// The auth policy statement that decided (`service:<Sid>`, `network:<Sid>`, …), kept
    /// only while something reads records.
    pub auth: Option<Arc<str>>,
    /// The target group forwarded to.
    pub group: Option<Arc<TargetGroupPlane>>,
    /// The caller, once authenticated (kept only while the access log is on).
    pub caller: Option<Identity>,
    /// When the target got the request and when it answered.
    pub target_timing: Option<TargetTiming>,
    /// The request body's size, when a layer read it whole.
    pub body_bytes: Option<u64>,
    /// Why the request was refused or failed.
    pub refused: Option<Refused>,
}

/// When the target was called and when it answered.
#[derive(Clone, Copy, Debug)]
pub(crate) struct TargetTiming {
    /// The request was handed to the target.
    pub sent: Instant,
    /// The target's answer (response head, function result or error) came back.
    pub answered: Instant,
}

/// A [`Rejection`]'s access-log facts.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Refused {
    /// The text log's reason.
    pub reason: &'static str,
    /// The JSON log's `failureReason`.
    pub failure_reason: &'static str,
    /// The JSON log's `authDeniedReason`.
    pub auth_denied_reason: Option<&'static str>,
}

impl AccessNote {
    /// A note naming the service.
    pub fn service(service: &Arc<ServicePlane>) -> Self {
        AccessNote {
            service: Some(Arc::clone(service)),
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
        note.refused = Some(Refused {
            reason: rejection.reason(),
            failure_reason: rejection.failure_reason(),
            auth_denied_reason: rejection.auth_denied_reason(),
        });
        Answer {
            response: rejection.into_response(),
            note,
        }
    }
}
