//! Authorization as Lattice does it for one request to one service: the service network's auth
//! policy and the service's, each when its auth type is `AWS_IAM`.
//!
//! The VPC Lattice User Guide ("Control access to VPC Lattice services using auth policies",
//! section "How authorization works"): with auth type `AWS_IAM` every request is implicitly
//! denied; the network's policy is checked, then the service's, and each must have an explicit
//! Allow (a level with auth type `NONE` passes); an explicit Deny in any policy overrides every
//! Allow. The same page says an `AWS_IAM` network or service without an auth policy answers
//! every request with access denied.
//!
//! [`ServiceAccess::authorize`] is the one function that decides: the data plane's auth gate and
//! `lattice-local policy check` both call it with the request facts, so they cannot disagree.

use std::collections::BTreeMap;
use std::fmt;
use std::net::IpAddr;

use http::request::Parts;
use lattice_lambda::{AuthType, QueryParameters};

use super::arn::{account_of, vpc_id_of};
use super::evaluate::PolicyDecision;
use super::policy::AuthPolicy;
use super::policy_error::PolicyError;
use super::policy_request::PolicyRequest;
use super::verify::Caller;
use crate::model::{Service, Topology};

/// Which of the two auth policies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PolicyScope {
    /// The service network's.
    Network,
    /// The service's.
    Service,
}

impl PolicyScope {
    /// `network` or `service`.
    pub fn as_str(self) -> &'static str {
        match self {
            PolicyScope::Network => "network",
            PolicyScope::Service => "service",
        }
    }
}

impl fmt::Display for PolicyScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One level's access settings.
#[derive(Debug, Clone)]
pub enum AccessControl {
    /// Auth type `NONE`: this level does not authorize (an attached policy is not enforced).
    Open,
    /// Auth type `AWS_IAM` with its parsed policy; `None` (no policy) denies every request.
    Iam(Option<AuthPolicy>),
}

impl AccessControl {
    fn from_model(
        auth_type: &AuthType,
        policy: Option<&serde_json::Value>,
    ) -> Result<Self, PolicyError> {
        if *auth_type != AuthType::AwsIam {
            return Ok(AccessControl::Open);
        }
        policy
            .map(AuthPolicy::from_json)
            .transpose()
            .map(AccessControl::Iam)
    }

    fn decide(&self, facts: &PolicyRequest<'_>) -> LevelOutcome {
        match self {
            AccessControl::Open => LevelOutcome::NotEnforced,
            AccessControl::Iam(None) => LevelOutcome::NoPolicy,
            AccessControl::Iam(Some(policy)) => LevelOutcome::Evaluated(policy.evaluate(facts)),
        }
    }
}

/// A policy that cannot be enforced; lattice-local refuses to serve rather than guess.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("auth policy of {scope} {name}: {source}")]
pub struct AccessSetupError {
    /// Network or service.
    pub scope: PolicyScope,
    /// Its name.
    pub name: String,
    /// What is wrong with the policy.
    pub source: PolicyError,
}

/// Everything about a service that authorizing a request to it needs: both levels' access
/// control and the values its condition keys read.
#[derive(Debug, Clone)]
pub struct ServiceAccess {
    /// Service name.
    pub service_name: String,
    /// Service ARN (the policies' resource, `vpc-lattice-svcs:ServiceArn`).
    pub service_arn: String,
    /// The network's name, or its ARN when the topology does not create it.
    pub network_name: String,
    /// `vpc-lattice-svcs:ServiceNetworkArn`.
    pub service_network_arn: String,
    /// The first listener's port (`vpc-lattice-svcs:Port` when the request names no listener).
    pub port: u16,
    /// The service's tags (`aws:ResourceTag/<key>`).
    pub tags: BTreeMap<String, String>,
    /// The network's access control (`Open` for a network the topology does not create).
    pub network: AccessControl,
    /// The service's access control.
    pub service: AccessControl,
}

/// Where a request comes from, as far as conditions care.
#[derive(Debug, Clone, Copy, Default)]
pub struct RequestOrigin<'a> {
    /// The source VPC (`arn:aws:ec2:<region>:<account>:vpc/vpc-…`), if known.
    pub source_vpc_arn: Option<&'a str>,
    /// The client's address (`aws:SourceIp`).
    pub source_ip: Option<IpAddr>,
    /// The port of the listener the request reached (`vpc-lattice-svcs:Port`); `None`: the
    /// service's first listener's.
    pub listener_port: Option<u16>,
}

impl ServiceAccess {
    /// The access settings of `service` in `topology`; a policy that cannot be parsed is an
    /// error naming the network or service.
    pub fn new(topology: &Topology, service: &Service) -> Result<Self, AccessSetupError> {
        let network = topology.service_network(&service.service_network_arn);
        let network_control = match network {
            Some(network) => {
                AccessControl::from_model(&network.auth_type, network.auth_policy.as_ref())
                    .map_err(|source| AccessSetupError {
                        scope: PolicyScope::Network,
                        name: network.name.clone(),
                        source,
                    })?
            }
            None => AccessControl::Open,
        };
        let service_control =
            AccessControl::from_model(&service.auth_type, service.auth_policy.as_ref()).map_err(
                |source| AccessSetupError {
                    scope: PolicyScope::Service,
                    name: service.name.clone(),
                    source,
                },
            )?;
        Ok(ServiceAccess {
            service_name: service.name.clone(),
            service_arn: service.arn.clone(),
            network_name: network
                .map_or_else(|| service.service_network_arn.clone(), |n| n.name.clone()),
            service_network_arn: service.service_network_arn.clone(),
            port: service.listeners.first().map_or(443, |l| l.port),
            tags: service.tags.clone(),
            network: network_control,
            service: service_control,
        })
    }

    /// Whether either level authorizes requests (auth type `AWS_IAM`).
    pub fn is_enforced(&self) -> bool {
        !matches!(
            (&self.network, &self.service),
            (AccessControl::Open, AccessControl::Open)
        )
    }

    /// Decides one request: `parts` as received (method, path, query, headers), the
    /// authenticated caller (`None`: unsigned) and where it comes from.
    pub fn authorize(
        &self,
        parts: &Parts,
        caller: Option<&Caller>,
        origin: &RequestOrigin<'_>,
    ) -> Authorization {
        let anonymous = caller.is_none();
        if !self.is_enforced() {
            return Authorization {
                network: LevelOutcome::NotEnforced,
                service: LevelOutcome::NotEnforced,
                anonymous,
            };
        }
        let query: Vec<(String, String)> = QueryParameters::parse(parts.uri.query().unwrap_or(""))
            .iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        let owner = origin
            .source_vpc_arn
            .map(account_of)
            .filter(|a| !a.is_empty());
        let facts = PolicyRequest {
            caller,
            method: parts.method.as_str(),
            path: parts.uri.path(),
            headers: &parts.headers,
            query: &query,
            source_vpc_id: vpc_id_of(origin.source_vpc_arn),
            source_vpc_owner_account: owner,
            service_arn: &self.service_arn,
            service_network_arn: Some(&self.service_network_arn),
            port: origin.listener_port.unwrap_or(self.port),
            source_ip: origin.source_ip,
            resource_tags: &self.tags,
        };
        // Both levels are evaluated, so the record shows each one's answer.
        Authorization {
            network: self.network.decide(&facts),
            service: self.service.decide(&facts),
            anonymous,
        }
    }
}

/// What one level said about a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LevelOutcome {
    /// Auth type `NONE`: nothing evaluated, the request passes this level.
    NotEnforced,
    /// Auth type `AWS_IAM` and no auth policy: denied.
    NoPolicy,
    /// The policy's decision.
    Evaluated(PolicyDecision),
}

impl LevelOutcome {
    /// Whether the request passes this level.
    pub fn allows(&self) -> bool {
        match self {
            LevelOutcome::NotEnforced => true,
            LevelOutcome::NoPolicy => false,
            LevelOutcome::Evaluated(decision) => decision.is_allowed(),
        }
    }

    /// The statement that allowed or explicitly denied, if one did.
    pub fn statement(&self) -> Option<&str> {
        match self {
            LevelOutcome::Evaluated(
                PolicyDecision::Allow { statement } | PolicyDecision::ExplicitDeny { statement },
            ) => statement.as_deref(),
            _ => None,
        }
    }

    /// What happened, in one word: `not-enforced`, `no-policy`, `allow`, `explicit-deny` or
    /// `no-statement-allowed`.
    pub fn kind(&self) -> &'static str {
        match self {
            LevelOutcome::NotEnforced => "not-enforced",
            LevelOutcome::NoPolicy => "no-policy",
            LevelOutcome::Evaluated(PolicyDecision::Allow { .. }) => "allow",
            LevelOutcome::Evaluated(PolicyDecision::ExplicitDeny { .. }) => "explicit-deny",
            LevelOutcome::Evaluated(PolicyDecision::ImplicitDeny) => "no-statement-allowed",
        }
    }

    fn is_explicit_deny(&self) -> bool {
        matches!(
            self,
            LevelOutcome::Evaluated(PolicyDecision::ExplicitDeny { .. })
        )
    }
}

/// The decision for one request, with each level's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authorization {
    /// The service network's answer.
    pub network: LevelOutcome,
    /// The service's answer.
    pub service: LevelOutcome,
    /// Whether the request was unsigned.
    pub anonymous: bool,
}

impl Authorization {
    /// Whether the request may proceed: both levels pass.
    pub fn is_allowed(&self) -> bool {
        self.network.allows() && self.service.allows()
    }

    /// The level that decided, with its answer; `None` when neither level enforces anything.
    ///
    /// A deny is decided by an explicit Deny wherever it is (it overrides every Allow), else by
    /// the first level, network then service, that did not allow. An allow is decided by the
    /// service's policy when the service is `AWS_IAM`, else by the network's.
    pub fn decided_by(&self) -> Option<(PolicyScope, &LevelOutcome)> {
        let levels = [
            (PolicyScope::Network, &self.network),
            (PolicyScope::Service, &self.service),
        ];
        if self.is_allowed() {
            return levels
                .into_iter()
                .rev()
                .find(|(_, outcome)| **outcome != LevelOutcome::NotEnforced);
        }
        levels
            .into_iter()
            .find(|(_, outcome)| outcome.is_explicit_deny())
            .or_else(|| levels.into_iter().find(|(_, outcome)| !outcome.allows()))
    }

    /// A short label for logs: `<scope>:<statement>` when a statement decided, else
    /// `<scope>:<kind>` (`no-statement-allowed`, `no-policy`), or `-` when no policy applies.
    pub fn label(&self) -> String {
        match self.decided_by() {
            None => "-".to_owned(),
            Some((scope, outcome)) => match outcome.statement() {
                Some(statement) => format!("{scope}:{statement}"),
                None => format!("{scope}:{}", outcome.kind()),
            },
        }
    }
}

impl fmt::Display for Authorization {
    /// One sentence saying what decided, for refusals and `policy check`; never a secret.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let verdict = if self.is_allowed() {
            "allowed"
        } else {
            "denied"
        };
        let Some((scope, outcome)) = self.decided_by() else {
            return write!(
                f,
                "{verdict}: neither the service network nor the service has auth type AWS_IAM"
            );
        };
        let level = match scope {
            PolicyScope::Network => "service network",
            PolicyScope::Service => "service",
        };
        match outcome {
            LevelOutcome::NotEnforced => write!(f, "{verdict}"),
            LevelOutcome::NoPolicy => write!(
                f,
                "{verdict}: the {level} has auth type AWS_IAM and no auth policy, which denies every request"
            ),
            LevelOutcome::Evaluated(PolicyDecision::Allow { statement }) => write!(
                f,
                "{verdict} by the {scope} policy, statement {}",
                statement.as_deref().unwrap_or("?")
            ),
            LevelOutcome::Evaluated(PolicyDecision::ExplicitDeny { statement }) => write!(
                f,
                "{verdict} by the {scope} policy, statement {} (explicit Deny)",
                statement.as_deref().unwrap_or("?")
            ),
            LevelOutcome::Evaluated(PolicyDecision::ImplicitDeny) if self.anonymous => write!(
                f,
                "{verdict} by the {scope} policy: the request is not signed and no statement allows anonymous access"
            ),
            LevelOutcome::Evaluated(PolicyDecision::ImplicitDeny) => write!(
                f,
                "{verdict} by the {scope} policy: no statement allows this request"
            ),
        }
    }
}

#[cfg(test)]
mod tests;
