//! Optional allow-lists on the caller, checked in the function as defence in depth behind
//! Lattice's own auth policy: `ALLOWED_PRINCIPALS` and `ALLOWED_SOURCE_VPCS`.
//!
//! Each list is comma-separated; an entry ending in `*` matches by prefix, any other entry
//! must match exactly. When both lists are set, a caller must match both.

use std::fmt;

use lattice_lambda::Identity;

/// One allow-list entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pattern {
    /// The value must equal this.
    Exact(String),
    /// The value must start with this (the entry without its trailing `*`).
    Prefix(String),
}

impl Pattern {
    /// Whether `value` matches this entry.
    pub fn matches(&self, value: &str) -> bool {
        match self {
            Pattern::Exact(exact) => value == exact,
            Pattern::Prefix(prefix) => value.starts_with(prefix.as_str()),
        }
    }
}

/// Why an allow-list value could not be parsed. Positions count entries from 1.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AllowListError {
    /// Two commas in a row, or a leading/trailing comma.
    #[error("entry {position} is empty")]
    EmptyEntry {
        /// Which entry.
        position: usize,
    },
    /// ARNs never contain whitespace, so an entry that does is a typo.
    #[error("entry {position} ({entry:?}) contains whitespace")]
    Whitespace {
        /// Which entry.
        position: usize,
        /// The entry as written.
        entry: String,
    },
    /// Only a trailing `*` is supported; anything else would silently match less than intended.
    #[error(
        "entry {position} ({entry:?}) has a `*` before its end; only a trailing `*` (prefix match) is supported"
    )]
    MisplacedWildcard {
        /// Which entry.
        position: usize,
        /// The entry as written.
        entry: String,
    },
}

/// A parsed allow-list: a value is allowed when any entry matches it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowList {
    patterns: Vec<Pattern>,
}

impl AllowList {
    /// Parses a comma-separated list. Spaces around entries are ignored; a value that is
    /// empty or only whitespace means "no list" (`Ok(None)`), which is how templates pass
    /// an unset optional parameter.
    pub fn parse(raw: &str) -> Result<Option<Self>, AllowListError> {
        if raw.trim().is_empty() {
            return Ok(None);
        }
        let patterns = raw
            .split(',')
            .enumerate()
            .map(|(index, entry)| parse_entry(index + 1, entry.trim()))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Some(AllowList { patterns }))
    }

    /// Whether `value` is allowed; an absent value never is.
    pub fn allows(&self, value: Option<&str>) -> bool {
        value.is_some_and(|value| self.patterns.iter().any(|p| p.matches(value)))
    }

    /// The entries, in the order written.
    pub fn patterns(&self) -> &[Pattern] {
        &self.patterns
    }
}

fn parse_entry(position: usize, entry: &str) -> Result<Pattern, AllowListError> {
    if entry.is_empty() {
        return Err(AllowListError::EmptyEntry { position });
    }
    if entry.chars().any(char::is_whitespace) {
        return Err(AllowListError::Whitespace {
            position,
            entry: entry.to_owned(),
        });
    }
    match entry.strip_suffix('*') {
        Some(prefix) if prefix.contains('*') => Err(AllowListError::MisplacedWildcard {
            position,
            entry: entry.to_owned(),
        }),
        Some(prefix) => Ok(Pattern::Prefix(prefix.to_owned())),
        None if entry.contains('*') => Err(AllowListError::MisplacedWildcard {
            position,
            entry: entry.to_owned(),
        }),
        None => Ok(Pattern::Exact(entry.to_owned())),
    }
}

/// Which check a caller failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Denial {
    /// The principal is absent or not in `ALLOWED_PRINCIPALS`.
    Principal,
    /// The source VPC is absent or not in `ALLOWED_SOURCE_VPCS`.
    SourceVpc,
}

impl fmt::Display for Denial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Denial::Principal => "principal not in ALLOWED_PRINCIPALS",
            Denial::SourceVpc => "source VPC not in ALLOWED_SOURCE_VPCS",
        })
    }
}

/// The configured allow-lists; with neither set, every caller is allowed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AccessPolicy {
    /// Allowed principal ARNs (`ALLOWED_PRINCIPALS`).
    pub principals: Option<AllowList>,
    /// Allowed source VPC ARNs (`ALLOWED_SOURCE_VPCS`).
    pub source_vpcs: Option<AllowList>,
}

impl AccessPolicy {
    /// Checks a caller. A request that carries no identity at all fails every configured list.
    pub fn check(&self, identity: Option<&Identity>) -> Result<(), Denial> {
        if let Some(principals) = &self.principals
            && !principals.allows(identity.and_then(Identity::principal))
        {
            return Err(Denial::Principal);
        }
        if let Some(vpcs) = &self.source_vpcs
            && !vpcs.allows(identity.and_then(Identity::source_vpc_arn))
        {
            return Err(Denial::SourceVpc);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROLE: &str = "arn:aws:iam::123456789012:role/app";
    const VPC: &str = "arn:aws:ec2:us-west-2:123456789012:vpc/vpc-1";

    fn list(raw: &str) -> AllowList {
        AllowList::parse(raw)
            .expect("valid list")
            .expect("non-empty list")
    }

    fn caller(principal: Option<&str>, vpc: Option<&str>) -> Identity {
        Identity {
            principal: principal.map(str::to_owned),
            source_vpc_arn: vpc.map(str::to_owned),
            ..Identity::default()
        }
    }

    #[test]
    fn exact_and_prefix_entries_are_parsed_and_trimmed() {
        let parsed = list(" arn:a , arn:b/* ,*");
        assert_eq!(
            parsed.patterns(),
            [
                Pattern::Exact("arn:a".into()),
                Pattern::Prefix("arn:b/".into()),
                Pattern::Prefix(String::new()),
            ]
        );
    }

    #[test]
    fn exact_entries_do_not_match_prefixes_or_extensions() {
        let parsed = list(ROLE);
        assert!(parsed.allows(Some(ROLE)));
        assert!(!parsed.allows(Some("arn:aws:iam::123456789012:role/app2")));
        assert!(!parsed.allows(Some("arn:aws:iam::123456789012:role/ap")));
        assert!(!parsed.allows(None));
    }

    #[test]
    fn trailing_star_matches_by_prefix() {
        let parsed = list("arn:aws:sts::123456789012:assumed-role/eks-app-role/*");
        assert!(parsed.allows(Some(
            "arn:aws:sts::123456789012:assumed-role/eks-app-role/session-1"
        )));
        assert!(!parsed.allows(Some(
            "arn:aws:sts::123456789012:assumed-role/other-role/session-1"
        )));
    }

    #[test]
    fn blank_values_mean_no_list() {
        assert_eq!(AllowList::parse(""), Ok(None));
        assert_eq!(AllowList::parse("  "), Ok(None));
    }

    #[test]
    fn malformed_values_name_the_entry() {
        assert_eq!(
            AllowList::parse("arn:a,,arn:b"),
            Err(AllowListError::EmptyEntry { position: 2 })
        );
        assert_eq!(
            AllowList::parse("arn:a,"),
            Err(AllowListError::EmptyEntry { position: 2 })
        );
        assert_eq!(
            AllowList::parse("arn:*:x"),
            Err(AllowListError::MisplacedWildcard {
                position: 1,
                entry: "arn:*:x".into()
            })
        );
        assert_eq!(
            AllowList::parse("arn:a,arn:**"),
            Err(AllowListError::MisplacedWildcard {
                position: 2,
                entry: "arn:**".into()
            })
        );
        assert_eq!(
            AllowList::parse("arn:a b"),
            Err(AllowListError::Whitespace {
                position: 1,
                entry: "arn:a b".into()
            })
        );
    }

    #[test]
    fn no_lists_allow_everyone_even_without_identity() {
        let policy = AccessPolicy::default();
        assert_eq!(policy.check(None), Ok(()));
    }

    #[test]
    fn both_lists_must_match() {
        let policy = AccessPolicy {
            principals: Some(list(ROLE)),
            source_vpcs: Some(list("arn:aws:ec2:us-west-2:123456789012:vpc/*")),
        };
        assert_eq!(policy.check(Some(&caller(Some(ROLE), Some(VPC)))), Ok(()));
        assert_eq!(
            policy.check(Some(&caller(
                Some(ROLE),
                Some("arn:aws:ec2:eu-west-1:1:vpc/vpc-9")
            ))),
            Err(Denial::SourceVpc)
        );
        assert_eq!(
            policy.check(Some(&caller(None, Some(VPC)))),
            Err(Denial::Principal)
        );
        assert_eq!(policy.check(None), Err(Denial::Principal));
    }
}
