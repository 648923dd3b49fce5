//! [`AccessPolicy`]: which callers the function serves, and [`Denial`]: why one is refused.

use std::fmt;

use super::AllowList;
use crate::Identity;

/// Allow-lists on the caller's principal and source VPC; with neither set, every caller is
/// allowed. When both are set, a caller must match both.
///
/// ```
/// use lattice_lambda::Identity;
/// use lattice_lambda::access::{AccessPolicy, AllowList, Denial};
/// let policy = AccessPolicy::default()
///     .with_principals(AllowList::parse("arn:aws:sts::123456789012:assumed-role/eks-app/*")?);
/// let caller = Identity {
///     principal: Some("arn:aws:sts::123456789012:assumed-role/eks-app-admin/s".into()),
///     ..Identity::default()
/// };
/// assert_eq!(policy.check(Some(&caller)), Err(Denial::PrincipalNotAllowed));
/// assert_eq!(policy.check(None), Err(Denial::NoPrincipal));
/// # Ok::<(), lattice_lambda::access::AllowListError>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AccessPolicy {
    principals: Option<AllowList>,
    source_vpcs: Option<AllowList>,
}

impl AccessPolicy {
    /// Only callers whose principal ARN is in `list`.
    pub fn with_principals(mut self, list: AllowList) -> Self {
        self.principals = Some(list);
        self
    }

    /// Only callers from a VPC whose ARN is in `list`.
    pub fn with_source_vpcs(mut self, list: AllowList) -> Self {
        self.source_vpcs = Some(list);
        self
    }

    /// The principal allow-list, if set.
    pub fn principals(&self) -> Option<&AllowList> {
        self.principals.as_ref()
    }

    /// The source VPC allow-list, if set.
    pub fn source_vpcs(&self) -> Option<&AllowList> {
        self.source_vpcs.as_ref()
    }

    /// Whether no list is set (every caller is allowed).
    pub fn is_open(&self) -> bool {
        self.principals.is_none() && self.source_vpcs.is_none()
    }

    /// Checks a caller, principal first. A request without identity fails every set list.
    pub fn check(&self, identity: Option<&Identity>) -> Result<(), Denial> {
        if let Some(principals) = &self.principals {
            match identity.and_then(Identity::principal) {
                None => return Err(Denial::NoPrincipal),
                Some(principal) if !principals.allows(Some(principal)) => {
                    return Err(Denial::PrincipalNotAllowed);
                }
                Some(_) => {}
            }
        }
        if let Some(vpcs) = &self.source_vpcs {
            match identity.and_then(Identity::source_vpc_arn) {
                None => return Err(Denial::NoSourceVpc),
                Some(vpc) if !vpcs.allows(Some(vpc)) => return Err(Denial::SourceVpcNotAllowed),
                Some(_) => {}
            }
        }
        Ok(())
    }
}

/// Why a caller was refused. Its text is what the `403` body says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Denial {
    /// A principal allow-list is set and the request carries no principal (the caller did
    /// not sign it, or the service's auth type is `NONE`).
    NoPrincipal,
    /// The caller's principal is not in the allow-list.
    PrincipalNotAllowed,
    /// A source VPC allow-list is set and the request names no source VPC.
    NoSourceVpc,
    /// The caller's source VPC is not in the allow-list.
    SourceVpcNotAllowed,
}

impl Denial {
    /// A short machine-readable code (`"no_principal"`, `"principal_not_allowed"`, …).
    pub fn code(self) -> &'static str {
        match self {
            Denial::NoPrincipal => "no_principal",
            Denial::PrincipalNotAllowed => "principal_not_allowed",
            Denial::NoSourceVpc => "no_source_vpc",
            Denial::SourceVpcNotAllowed => "source_vpc_not_allowed",
        }
    }
}

impl fmt::Display for Denial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Denial::NoPrincipal => "the request has no authenticated principal",
            Denial::PrincipalNotAllowed => "the caller's principal is not in the allow-list",
            Denial::NoSourceVpc => "the request has no source VPC",
            Denial::SourceVpcNotAllowed => "the caller's source VPC is not in the allow-list",
        })
    }
}

impl std::error::Error for Denial {}

#[cfg(test)]
mod tests {
    use super::*;

    const ROLE: &str = "arn:aws:iam::123456789012:role/app";
    const VPC: &str = "arn:aws:ec2:us-west-2:123456789012:vpc/vpc-1";

    fn caller(principal: Option<&str>, vpc: Option<&str>) -> Identity {
        Identity {
            principal: principal.map(str::to_owned),
            source_vpc_arn: vpc.map(str::to_owned),
            ..Identity::default()
        }
    }

    fn both() -> AccessPolicy {
        AccessPolicy::default()
            .with_principals(AllowList::parse(ROLE).expect("valid"))
            .with_source_vpcs(
                AllowList::parse("arn:aws:ec2:us-west-2:123456789012:vpc/*").expect("valid"),
            )
    }

    #[test]
    fn no_lists_allow_everyone_even_without_identity() {
        let policy = AccessPolicy::default();
        assert!(policy.is_open());
        assert_eq!(policy.check(None), Ok(()));
    }

    #[test]
    fn both_lists_must_match() {
        let policy = both();
        assert!(!policy.is_open());
        assert_eq!(policy.check(Some(&caller(Some(ROLE), Some(VPC)))), Ok(()));
        assert_eq!(
            policy.check(Some(&caller(
                Some(ROLE),
                Some("arn:aws:ec2:eu-west-1:123456789012:vpc/vpc-9")
            ))),
            Err(Denial::SourceVpcNotAllowed)
        );
        assert_eq!(
            policy.check(Some(&caller(Some(ROLE), None))),
            Err(Denial::NoSourceVpc)
        );
        assert_eq!(
            policy.check(Some(&caller(None, Some(VPC)))),
            Err(Denial::NoPrincipal)
        );
        assert_eq!(
            policy.check(Some(&caller(
                Some("arn:aws:iam::123456789012:role/x"),
                Some(VPC)
            ))),
            Err(Denial::PrincipalNotAllowed)
        );
        assert_eq!(policy.check(None), Err(Denial::NoPrincipal));
    }

    #[test]
    fn denials_say_why_in_words_and_codes() {
        assert_eq!(
            Denial::PrincipalNotAllowed.to_string(),
            "the caller's principal is not in the allow-list"
        );
        assert_eq!(Denial::NoSourceVpc.code(), "no_source_vpc");
    }
}
