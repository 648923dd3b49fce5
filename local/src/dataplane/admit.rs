//! Step 3: authenticate, then authorise. A signature is verified whatever the auth type (a bad
//! one is `403` even on `NONE`, as in Lattice); a request signed for another service's host is
//! refused on this service's port; for `AWS_IAM` the service's auth policy decides. The result
//! is the identity the target will see.

use std::ops::ControlFlow;
use std::sync::Arc;
use std::time::SystemTime;

use lattice_lambda::{AuthType, Identity, QueryParameters};

use super::directory::{Directory, ListenerPlane, ServicePlane};
use super::exchange::{AccessNote, Admitted, Answer, Exchange, Resolved};
use super::rejection::Rejection;
use super::step::Step;
use crate::auth::{Caller, PolicyDecision, PolicyRequest, authenticate};
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
        match self.admit(&exchange.parts, service, listener, host_names.as_deref()) {
            Ok(identity) => {
                let service = Arc::clone(service);
                let listener = Arc::clone(listener);
                ControlFlow::Continue(exchange.advance(Admitted {
                    service,
                    listener,
                    identity,
                }))
            }
            Err(rejection) => {
                tracing::info!(service = %service.name, %rejection, "request denied");
                ControlFlow::Break(Answer::rejected(rejection, AccessNote::service(service)))
            }
        }
    }
}

impl Admit {
    fn admit(
        &self,
        parts: &http::request::Parts,
        service: &ServicePlane,
        listener: &ListenerPlane,
        host_names: Option<&ServicePlane>,
    ) -> Result<Identity, Rejection> {
        let directory = &self.directory;
        let resource = || format!("{}{}", service.arn, parts.uri.path());
        let caller = authenticate(
            &directory.credentials,
            parts,
            SystemTime::now(),
            &directory.region,
        )
        .map_err(|failure| Rejection::BadSignature {
            resource: resource(),
            failure,
        })?;
        // `host` is always signed: the signature names the service the caller meant.
        if let (Some(caller), Some(named)) = (&caller, host_names)
            && !std::ptr::eq(named, service)
        {
            return Err(Rejection::SignedForOtherService {
                principal: caller.principal_arn.clone(),
                resource: resource(),
                signed_host: request_host(&parts.headers, &parts.uri)
                    .unwrap_or_default()
                    .to_owned(),
                named: Arc::clone(&named.name),
                service: Arc::clone(&service.name),
            });
        }
        let source_vpc_arn = caller
            .as_ref()
            .and_then(|c| c.source_vpc_arn.as_deref())
            .or(directory.source_vpc_arn.as_deref());
        if service.auth_type != AuthType::AwsIam {
            return Ok(identity_of(caller.as_ref(), source_vpc_arn));
        }
        let principal = caller
            .as_ref()
            .map_or_else(|| "anonymous".to_owned(), |c| c.principal_arn.clone());
        let denied = |why: String| Rejection::Denied {
            principal: principal.clone(),
            resource: resource(),
            why,
        };
        let Some(policy) = &service.policy else {
            return Err(denied(
                "the service has auth type AWS_IAM and no auth policy, which denies every request"
                    .into(),
            ));
        };
        let query: Vec<(String, String)> = QueryParameters::parse(parts.uri.query().unwrap_or(""))
            .iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        let facts = PolicyRequest {
            caller: caller.as_ref(),
            method: parts.method.as_str(),
            path: parts.uri.path(),
            headers: &parts.headers,
            query: &query,
            source_vpc_id: source_vpc_arn
                .and_then(|arn| arn.rsplit_once("vpc/"))
                .map(|(_, id)| id),
            source_vpc_owner_account: source_vpc_arn.and_then(|arn| arn.split(':').nth(4)),
            service_arn: &service.arn,
            service_network_arn: Some(&service.service_network_arn),
            port: listener.port,
        };
        match policy.evaluate(&facts) {
            PolicyDecision::Allow { .. } => Ok(identity_of(caller.as_ref(), source_vpc_arn)),
            PolicyDecision::ExplicitDeny { statement } => Err(denied(format!(
                "explicitly denied by the auth policy (statement {})",
                statement.as_deref().unwrap_or("?")
            ))),
            PolicyDecision::ImplicitDeny if caller.is_none() => Err(denied(
                "the request is not signed and the auth policy allows no anonymous access".into(),
            )),
            PolicyDecision::ImplicitDeny => Err(denied(
                "no statement of the auth policy allows this request".into(),
            )),
        }
    }
}

/// The identity Lattice reports for a caller (or an anonymous one).
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
            session_name: caller.session_name.clone(),
            ..Identity::default()
        },
    }
}
