//! Lattice authentication and authorization, locally.
//!
//! - [`authenticate`] verifies a request's SigV4 (`AWS4-HMAC-SHA256`) or SigV4A
//!   (`AWS4-ECDSA-P256-SHA256`) signature against a local credentials file
//!   ([`CredentialStore`]), as Lattice does for service `vpc-lattice-svcs`.
//! - [`AuthPolicy`] parses a Lattice auth policy and [`AuthPolicy::evaluate`]s it for a request
//!   ([`PolicyRequest`]) to a [`PolicyDecision`].
//! - [`ServiceAccess::authorize`] decides a request the way Lattice does, with the service
//!   network's policy and the service's ([`Authorization`]); the data plane and
//!   `lattice-local policy check` both call it.
//!
//! ```
//! use std::time::SystemTime;
//! use lattice_local::auth::{authenticate, AuthPolicy, CredentialStore, PolicyDecision, PolicyRequest};
//!
//! let store = CredentialStore::from_entries(vec![]).unwrap();
//! let request = http::Request::get("http://foo.lattice.localhost/app").body(()).unwrap();
//! let (parts, ()) = request.into_parts();
//! // No Authorization header: an unsigned (anonymous) request.
//! let caller = authenticate(&store, &parts, SystemTime::now(), "us-west-2").unwrap();
//! assert!(caller.is_none());
//!
//! let policy = AuthPolicy::from_json(&serde_json::json!({
//!     "Version": "2012-10-17",
//!     "Statement": [{"Effect": "Allow", "Principal": "*",
//!                    "Action": "vpc-lattice-svcs:Invoke", "Resource": "*"}]
//! })).unwrap();
//! let facts = PolicyRequest {
//!     caller: caller.as_ref(),
//!     method: parts.method.as_str(),
//!     path: parts.uri.path(),
//!     headers: &parts.headers,
//!     query: &[],
//!     source_vpc_id: None,
//!     source_vpc_owner_account: None,
//!     service_arn: "arn:aws:vpc-lattice:us-west-2:000000000000:service/svc-0123456789abcdef0",
//!     service_network_arn: None,
//!     port: 80,
//!     source_ip: None,
//!     resource_tags: &lattice_local::auth::NO_TAGS,
//! };
//! assert_eq!(policy.evaluate(&facts), PolicyDecision::Allow { statement: Some("Statement[0]".into()) });
//! ```

mod amz_date;
mod arn;
mod authorization;
mod authorize;
mod canonical;
mod condition_key;
mod conditions;
mod credentials;
mod error;
mod evaluate;
mod policy;
mod policy_error;
mod policy_request;
mod principal_tags;
mod sigv4;
mod sigv4a;
mod verify;
mod wildcard;

#[cfg(test)]
mod tests;

pub use authorize::{
    AccessControl, AccessSetupError, Authorization, LevelOutcome, PolicyScope, RequestOrigin,
    ServiceAccess,
};
pub use credentials::{AuthConfigError, CredentialStore, LocalPrincipal};
pub use error::AuthFailure;
pub use evaluate::PolicyDecision;
pub use policy::AuthPolicy;
pub use policy_error::{PolicyError, PolicyProblem};
pub use policy_request::{NO_TAGS, PolicyRequest};
pub use verify::{Caller, LATTICE_SERVICE, UNSIGNED_PAYLOAD, authenticate};

/// How a request was signed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SigningAlgorithm {
    /// SigV4, `AWS4-HMAC-SHA256` (one region).
    SigV4,
    /// SigV4A, `AWS4-ECDSA-P256-SHA256` (a region set).
    SigV4A,
}

impl SigningAlgorithm {
    /// The algorithm name as it appears in the `Authorization` header.
    pub fn as_str(self) -> &'static str {
        match self {
            SigningAlgorithm::SigV4 => authorization::SIGV4_ALGORITHM,
            SigningAlgorithm::SigV4A => authorization::SIGV4A_ALGORITHM,
        }
    }
}
