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
use crate::auth::{Caller, RequestOrigin, authenticate};
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
            host_names,
        } = &exchange.stage;
        let client = exchange.client;
        match self.admit(&exchange.parts, client, service, host_names.as_deref()) {
            Ok((identity, auth)) => {
                let service = Arc::clone(service);
                ControlFlow::Continue(exchange.advance(Admitted {
                    service,
                    identity,
                    auth,
                }))
            }
            Err((rejection, auth)) => {
                tracing::info!(service = %service.name, %rejection, "request denied");
                let note = AccessNote {
                    auth,
                    ..AccessNote::service(service)
                };
                ControlFlow::Break(Answer::rejected(rejection, note))
            }
        }
    }
}

/// The statement that decided, for the access log (`None` when no policy applies).
type Decided = Option<Arc<str>>;

impl Admit {
    fn admit(
        &self,
        parts: &http::request::Parts,
        client: std::net::SocketAddr,
        service: &ServicePlane,
        host_names: Option<&ServicePlane>,
    ) -> Result<(Identity, Decided), (Rejection, Decided)> {
        let directory = &self.directory;
        let resource = || format!("{}{}", service.arn, parts.uri.path());
        let caller = authenticate(
            &directory.credentials,
            parts,
            SystemTime::now(),
            &directory.region,
        )
        .map_err(|failure| {
            let rejection = Rejection::BadSignature {
                resource: resource(),
                failure,
            };
            (rejection, None)
        })?;
        // `host` is always signed: the signature names the service the caller meant.
        if let (Some(caller), Some(named)) = (&caller, host_names)
            && !std::ptr::eq(named, service)
        {
            let rejection = Rejection::SignedForOtherService {
                principal: caller.principal_arn.clone(),
                resource: resource(),
                signed_host: request_host(&parts.headers, &parts.uri)
                    .unwrap_or_default()
                    .to_owned(),
                named: Arc::clone(&named.name),
                service: Arc::clone(&service.name),
            };
            return Err((rejection, None));
        }
        let source_vpc_arn = caller
            .as_ref()
            .and_then(|c| c.source_vpc_arn.as_deref())
            .or(directory.source_vpc_arn.as_deref());
        if !service.access.is_enforced() {
            return Ok((identity_of(caller.as_ref(), source_vpc_arn), None));
        }
        let origin = RequestOrigin {
            source_vpc_arn,
            source_ip: Some(client.ip()),
        };
        let authorization = service.access.authorize(parts, caller.as_ref(), &origin);
        let decided = Some(Arc::from(authorization.label()));
        if authorization.is_allowed() {
            return Ok((identity_of(caller.as_ref(), source_vpc_arn), decided));
        }
        let rejection = Rejection::Denied {
            principal: caller
                .as_ref()
                .map_or_else(|| "anonymous".to_owned(), |c| c.principal_arn.clone()),
            resource: resource(),
            why: authorization.to_string(),
        };
        Err((rejection, decided))
    }
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
