//! The auth gate in front of every service: authenticate the signature (any
//! auth type), then, for `AWS_IAM`, evaluate the service's auth policy.
//! Every refusal is a `403`, as in Lattice.

use std::time::SystemTime;

use http::request::Parts;
use lattice_lambda::{AuthType, Identity};

use crate::auth::{
    AuthPolicy, Caller, CredentialStore, PolicyDecision, PolicyRequest, authenticate,
};

/// Why a request was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Denial {
    /// Who Lattice would name in the message (`anonymous` or the principal).
    pub principal: String,
    /// Why, for the response body and the log; never contains secrets.
    pub reason: String,
}

/// What the gate needs to know about the service.
pub(crate) struct GateService<'a> {
    pub auth_type: &'a AuthType,
    pub policy: Option<&'a AuthPolicy>,
    pub service_arn: &'a str,
    pub service_network_arn: &'a str,
    pub listener_port: u16,
}

/// Authenticates and authorises one request; on success, the caller identity
/// the target will see.
pub(crate) fn check(
    store: &CredentialStore,
    region: &str,
    default_source_vpc_arn: Option<&str>,
    service: &GateService<'_>,
    parts: &Parts,
    now: SystemTime,
) -> Result<Identity, Denial> {
    // A bad signature is refused whatever the auth type.
    let caller = authenticate(store, parts, now, region).map_err(|failure| Denial {
        principal: "anonymous".into(),
        reason: failure.to_string(),
    })?;
    let source_vpc_arn = caller
        .as_ref()
        .and_then(|c| c.source_vpc_arn.clone())
        .or_else(|| default_source_vpc_arn.map(str::to_owned));
    let identity = identity_of(caller.as_ref(), source_vpc_arn.clone());
    if *service.auth_type != AuthType::AwsIam {
        return Ok(identity);
    }
    let principal = caller
        .as_ref()
        .map_or_else(|| "anonymous".to_owned(), |c| c.principal_arn.clone());
    let Some(policy) = service.policy else {
        return Err(Denial {
            principal,
            reason:
                "the service has auth type AWS_IAM and no auth policy, which denies every request"
                    .into(),
        });
    };
    let query: Vec<(String, String)> =
        lattice_lambda::QueryParameters::parse(parts.uri.query().unwrap_or(""))
            .iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
    let source_vpc_id = source_vpc_arn
        .as_deref()
        .and_then(|arn| arn.rsplit_once("vpc/"))
        .map(|(_, id)| id);
    let source_vpc_owner = source_vpc_arn
        .as_deref()
        .and_then(|arn| arn.split(':').nth(4));
    let facts = PolicyRequest {
        caller: caller.as_ref(),
        method: parts.method.as_str(),
        path: parts.uri.path(),
        headers: &parts.headers,
        query: &query,
        source_vpc_id,
        source_vpc_owner_account: source_vpc_owner,
        service_arn: service.service_arn,
        service_network_arn: Some(service.service_network_arn),
        port: service.listener_port,
    };
    match policy.evaluate(&facts) {
        PolicyDecision::Allow { .. } => Ok(identity),
        PolicyDecision::ExplicitDeny { statement } => Err(Denial {
            principal,
            reason: format!(
                "explicitly denied by the auth policy (statement {})",
                statement.as_deref().unwrap_or("?")
            ),
        }),
        PolicyDecision::ImplicitDeny => Err(Denial {
            reason: if caller.is_none() {
                "the request is not signed and the auth policy allows no anonymous access".into()
            } else {
                "no statement of the auth policy allows this request".into()
            },
            principal,
        }),
    }
}

/// The identity Lattice reports for a caller (or an anonymous one).
fn identity_of(caller: Option<&Caller>, source_vpc_arn: Option<String>) -> Identity {
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
