//! The auth gate in front of every service: authenticate the signature (any auth type), then
//! authorize with [`ServiceAccess::authorize`] (the service network's and the service's auth
//! policies, as Lattice combines them). Every refusal is a `403`, as in Lattice.

use std::net::SocketAddr;
use std::time::SystemTime;

use http::request::Parts;
use lattice_lambda::{AuthType, Identity};

use crate::auth::{Caller, CredentialStore, RequestOrigin, ServiceAccess, authenticate};

/// Why a request was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Denial {
    /// Who Lattice would name in the message (`anonymous` or the principal).
    pub principal: String,
    /// Why, for the response body and the log; never contains secrets.
    pub reason: String,
    /// The policy and statement that decided (`-` for a bad signature), for the access log.
    pub decided_by: String,
}

/// A request the gate let through.
#[derive(Clone, Debug)]
pub(crate) struct Admission {
    /// The caller identity the target will see.
    pub identity: Identity,
    /// The policy and statement that allowed it (`-` when no policy applies).
    pub decided_by: String,
}

/// Authenticates and authorizes one request from `peer`.
pub(crate) fn check(
    store: &CredentialStore,
    region: &str,
    default_source_vpc_arn: Option<&str>,
    access: &ServiceAccess,
    parts: &Parts,
    peer: SocketAddr,
    now: SystemTime,
) -> Result<Admission, Denial> {
    // A bad signature is refused whatever the auth type.
    let caller = authenticate(store, parts, now, region).map_err(|failure| Denial {
        principal: "anonymous".into(),
        reason: failure.to_string(),
        decided_by: "-".into(),
    })?;
    let source_vpc_arn = caller
        .as_ref()
        .and_then(|c| c.source_vpc_arn.as_deref())
        .or(default_source_vpc_arn);
    let origin = RequestOrigin {
        source_vpc_arn,
        source_ip: Some(peer.ip()),
    };
    let authorization = access.authorize(parts, caller.as_ref(), &origin);
    let decided_by = authorization.label();
    if authorization.is_allowed() {
        return Ok(Admission {
            identity: identity_of(caller.as_ref(), source_vpc_arn),
            decided_by,
        });
    }
    Err(Denial {
        principal: caller
            .as_ref()
            .map_or_else(|| "anonymous".to_owned(), |c| c.principal_arn.clone()),
        reason: authorization.to_string(),
        decided_by,
    })
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
