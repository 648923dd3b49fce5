//! Step 3: authenticate, then authorise. A signature is verified whatever the auth type (a bad
//! one is `403` even on `NONE`, as in Lattice); a request signed for another service's host is
//! refused on this service's port; for `AWS_IAM` the service's auth policy decides. The result
//! is the identity the target will see.

use std::ops::ControlFlow;
use std::sync::Arc;
use std::time::SystemTime;

use lattice_lambda::{AuthType, Identity, QueryParameters};

use super::directory::{Directory, ServicePlane};
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
            host_names,
        } = &exchange.stage;
        match self.admit(&exchange.parts, service, host_names.as_deref()) {
            Ok(Admission { identity, auth }) => {
                let service = Arc::clone(service);
                ControlFlow::Continue(exchange.advance(Admitted {
                    service,
                    identity,
                    auth,
                }))
            }
            Err(refusal) => {
                let Refusal {
                    rejection,
                    caller,
                    auth,
                } = *refusal;
                tracing::info!(service = %service.name, %rejection, "request denied");
                // Records name a caller that was authenticated and then denied, as Lattice's
                // access logs do.
                let note = AccessNote {
                    caller: caller.filter(|_| self.directory.recording),
                    auth,
                    ..AccessNote::service(service)
                };
                ControlFlow::Break(Answer::rejected(rejection, note))
            }
        }
    }
}

/// A request let through: the identity the target sees, the statement that decided.
struct Admission {
    identity: Identity,
    auth: Option<Arc<str>>,
}

/// A request refused, with what the records say about it.
struct Refusal {
    rejection: Rejection,
    /// The verified caller, if the signature was good.
    caller: Option<Identity>,
    auth: Option<Arc<str>>,
}

impl From<Rejection> for Box<Refusal> {
    fn from(rejection: Rejection) -> Self {
        Box::new(Refusal {
            rejection,
            caller: None,
            auth: None,
        })
    }
}

/// The record's name for the service policy's decision, `service:<statement>`, when something
/// reads records (otherwise nothing is allocated for it).
fn decided_by(recording: bool, statement: &str) -> Option<Arc<str>> {
    recording.then(|| Arc::from(format!("service:{statement}")))
}

impl Admit {
    fn admit(
        &self,
        parts: &http::request::Parts,
        service: &ServicePlane,
        host_names: Option<&ServicePlane>,
    ) -> Result<Admission, Box<Refusal>> {
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
        let source_vpc_arn = caller
            .as_ref()
            .and_then(|c| c.source_vpc_arn.as_deref())
            .or(directory.source_vpc_arn.as_deref());
        let identity = identity_of(caller.as_ref(), source_vpc_arn);
        let refused = |rejection, auth| {
            Box::new(Refusal {
                rejection,
                caller: caller.as_ref().map(|_| identity.clone()),
                auth,
            })
        };
        // `host` is always signed: the signature names the service the caller meant.
        if let (Some(caller), Some(named)) = (&caller, host_names)
            && !std::ptr::eq(named, service)
        {
            return Err(refused(
                Rejection::SignedForOtherService {
                    principal: caller.principal_arn.clone(),
                    resource: resource(),
                    signed_host: request_host(&parts.headers, &parts.uri)
                        .unwrap_or_default()
                        .to_owned(),
                    named: Arc::clone(&named.name),
                    service: Arc::clone(&service.name),
                },
                None,
            ));
        }
        if service.auth_type != AuthType::AwsIam {
            return Ok(Admission {
                identity,
                auth: None,
            });
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
            return Err(refused(
                denied(
                    "the service has auth type AWS_IAM and no auth policy, which denies every \
                     request"
                        .into(),
                ),
                decided_by(directory.recording, "no-policy"),
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
            port: service.listener.as_ref().map_or(443, |l| l.port),
        };
        let no_statement = || decided_by(directory.recording, "no-statement-allowed");
        match policy.evaluate(&facts) {
            PolicyDecision::Allow { statement } => Ok(Admission {
                identity: identity.clone(),
                auth: decided_by(directory.recording, statement.as_deref().unwrap_or("?")),
            }),
            PolicyDecision::ExplicitDeny { statement } => {
                let statement = statement.as_deref().unwrap_or("?");
                Err(refused(
                    denied(format!(
                        "explicitly denied by the auth policy (statement {statement})"
                    )),
                    decided_by(directory.recording, statement),
                ))
            }
            PolicyDecision::ImplicitDeny if caller.is_none() => Err(refused(
                denied(
                    "the request is not signed and the auth policy allows no anonymous access"
                        .into(),
                ),
                no_statement(),
            )),
            PolicyDecision::ImplicitDeny => Err(refused(
                denied("no statement of the auth policy allows this request".into()),
                no_statement(),
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
