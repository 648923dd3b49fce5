//! Step 3: authenticate, then authorise. A signature is verified whatever the auth type (a bad
//! one is `403` even on `NONE`, as in Lattice); a request signed for another service's host is
//! refused on this service's port; then [`ServiceAccess::authorize`](crate::auth::ServiceAccess)
//! decides with the service network's and the service's auth policies (the function
//! `lattice-local policy check` calls too). The result is the identity the target will see and
//! the statement that decided, for the access log.

use std::ops::ControlFlow;
use std::sync::Arc;
use std::time::SystemTime;

use lattice_lambda::{AuthType, Identity};

use super::directory::{Directory, ServicePlane};
use super::exchange::{AccessNote, Admitted, Answer, Exchange, Resolved};
use super::rejection::Rejection;
use super::step::Step;
use crate::auth::{Caller, PolicyScope, RequestOrigin, authenticate};
use crate::net::host::request_host;

/// The auth gate in front of every service.
#[derive(Clone, Debug)]
pub(crate) struct Admit {
    directory: Arc<Directory>,
}

impl Admit {
    pub fn new(directory: Arc<Directory>) -> Self {
        Admit { directory }
    }
}

impl Step for Admit {
    type In = Resolved;
    type Out = Admitted;

    fn apply(&self, exchange: Exchange<Resolved>) -> ControlFlow<Answer, Exchange<Admitted>> {
        let Resolved {
            service,
            listener,
            host_names,
        } = &exchange.stage;
        let recording = self.directory.recording;
        let refuse = |rejection: Rejection, caller: Option<Identity>, auth: Decided| {
            tracing::info!(service = %service.name, %rejection, "request denied");
            // Records name a caller that was authenticated and then denied, as Lattice's access
            // logs do.
            let note = AccessNote {
                caller: caller.filter(|_| recording),
                auth,
                ..AccessNote::service(service)
            };
            ControlFlow::Break(Answer::rejected(rejection, note))
        };
        let caller = match self.authenticate(&exchange.parts, service) {
            Ok(caller) => caller,
            Err(rejection) => return refuse(rejection, None, None),
        };
        let source_vpc_arn = caller
            .as_ref()
            .and_then(|c| c.source_vpc_arn.as_deref())
            .or(self.directory.source_vpc_arn.as_deref());
        let identity = identity_of(caller.as_ref(), source_vpc_arn);
        let origin = RequestOrigin {
            source_vpc_arn,
            source_ip: Some(exchange.client.ip()),
            listener_port: Some(listener.port),
        };
        let checked = self.authorize(
            &exchange.parts,
            service,
            host_names.as_deref(),
            caller.as_ref(),
            &origin,
        );
        match checked {
            Ok(auth) => {
                let service = Arc::clone(service);
                let listener = Arc::clone(listener);
                ControlFlow::Continue(exchange.advance(Admitted {
                    service,
                    listener,
                    identity,
                    auth,
                }))
            }
            Err((rejection, auth)) => refuse(rejection, Some(identity), auth),
        }
    }
}

/// The statement that decided, for records (`None` when no policy applies, or when nothing
/// reads records: then nothing is allocated for it).
type Decided = Option<Arc<str>>;

impl Admit {
    /// The verified signer, `None` for an unsigned request; a signature that fails is `403`
    /// whatever the auth type.
    fn authenticate(
        &self,
        parts: &http::request::Parts,
        service: &ServicePlane,
    ) -> Result<Option<Caller>, Rejection> {
        let directory = &self.directory;
        authenticate(
            &directory.credentials,
            parts,
            SystemTime::now(),
            &directory.region,
        )
        .map_err(|failure| Rejection::BadSignature {
            resource: resource(service, parts),
            failure,
        })
    }

    /// Whether `caller` may call `service` with this request: the signed host names this
    /// service, and the service network's and the service's auth policies allow it.
    fn authorize(
        &self,
        parts: &http::request::Parts,
        service: &ServicePlane,
        host_names: Option<&ServicePlane>,
        caller: Option<&Caller>,
        origin: &RequestOrigin<'_>,
    ) -> Result<Decided, (Rejection, Decided)> {
        // `host` is always signed: the signature names the service the caller meant.
        if let (Some(caller), Some(named)) = (caller, host_names)
            && !std::ptr::eq(named, service)
        {
            let rejection = Rejection::SignedForOtherService {
                principal: caller.principal_arn.clone(),
                resource: resource(service, parts),
                signed_host: request_host(&parts.headers, &parts.uri)
                    .unwrap_or_default()
                    .to_owned(),
                named: Arc::clone(&named.name),
                service: Arc::clone(&service.name),
            };
            return Err((rejection, None));
        }
        if !service.access.is_enforced() {
            return Ok(None);
        }
        let authorization = service.access.authorize(parts, caller, origin);
        let decided = self
            .directory
            .recording
            .then(|| Arc::from(authorization.label()));
        if authorization.is_allowed() {
            return Ok(decided);
        }
        let rejection = Rejection::Denied {
            principal: caller.map_or_else(|| "anonymous".to_owned(), |c| c.principal_arn.clone()),
            resource: resource(service, parts),
            why: authorization.to_string(),
            scope: authorization
                .decided_by()
                .map_or(PolicyScope::Service, |(scope, _)| scope),
        };
        Err((rejection, decided))
    }
}

/// `<service ARN><path>`: the resource an auth policy and a refusal name.
fn resource(service: &ServicePlane, parts: &http::request::Parts) -> String {
    format!("{}{}", service.arn, parts.uri.path())
}

/// The identity Lattice reports for a caller (or an anonymous one). Its principal tags and org
/// path become `x-amzn-lattice-identity-tags` and `PrincipalOrgPath=` through the library's
/// formatters, for HTTP targets and V1/V2 events alike.
fn identity_of(caller: Option<&Caller>, source_vpc_arn: Option<&str>) -> Identity {
    let source_vpc_arn = source_vpc_arn.map(str::to_owned);
    match caller {
        None => Identity {
            source_vpc_arn,
            auth_type: Some(AuthType::None),
            ..Identity::default()
        },
        Some(caller) => Identity {
            source_vpc_arn,
            auth_type: Some(AuthType::AwsIam),
            principal: Some(caller.principal_arn.clone()),
            principal_org_id: caller.principal_org_id.clone(),
            principal_org_path: caller.principal_org_path.clone(),
            session_name: caller.session_name.clone(),
            tags: caller
                .tags
                .iter()
                .map(|(key, value)| (key.clone(), value.clone()))
                .collect(),
            ..Identity::default()
        },
    }
}
