//! [`AllowList`]: ARNs a caller value must match, exactly or by a prefix that ends on an
//! ARN separator.

use std::fmt;
use std::str::FromStr;

/// One allow-list entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pattern {
    /// The value must equal this ARN.
    Exact(String),
    /// The value must start with this prefix, which ends in `:` or `/`, and go on after it
    /// (the entry was written with a trailing `*`).
    Prefix(String),
}

impl Pattern {
    /// Whether `value` matches this entry.
    ///
    /// ```
    /// use lattice_lambda::access::Pattern;
    /// let sessions = Pattern::Prefix("arn:aws:sts::123456789012:assumed-role/eks-app/".into());
    /// assert!(sessions.matches("arn:aws:sts::123456789012:assumed-role/eks-app/pod-1"));
    /// assert!(!sessions.matches("arn:aws:sts::123456789012:assumed-role/eks-app-admin/pod-1"));
    /// ```
    pub fn matches(&self, value: &str) -> bool {
        match self {
            Pattern::Exact(exact) => value == exact,
            Pattern::Prefix(prefix) => value
                .strip_prefix(prefix.as_str())
                .is_some_and(|rest| !rest.is_empty()),
        }
    }
}

impl fmt::Display for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Pattern::Exact(exact) => f.write_str(exact),
            Pattern::Prefix(prefix) => write!(f, "{prefix}*"),
        }
    }
}

/// Why an allow-list could not be built. Positions count entries from 1.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AllowListError {
    /// The list has no entries at all: it would allow no one.
    #[error("the allow-list has no entries; it would allow no one")]
    NoEntries,
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
    /// Lattice reports callers and VPCs as ARNs; anything else (a VPC id, an account id)
    /// would never match.
    #[error("entry {position} ({entry:?}) is not an ARN (it must start with \"arn:\")")]
    NotAnArn {
        /// Which entry.
        position: usize,
        /// The entry as written.
        entry: String,
    },
    /// `*` alone would allow every caller, which is what having no list means.
    #[error(
        "entry {position} is a bare `*`, which would allow everyone; leave the list unset instead"
    )]
    BareWildcard {
        /// Which entry.
        position: usize,
    },
    /// Only a trailing `*` is supported; anything else would match less than intended.
    #[error(
        "entry {position} ({entry:?}) has a `*` before its end; only a trailing `*` is supported"
    )]
    MisplacedWildcard {
        /// Which entry.
        position: usize,
        /// The entry as written.
        entry: String,
    },
    /// A trailing `*` must follow `:` or `/`: `arn:aws:iam::1234*` would also match
    /// account `123499999999`, and `…:role/app*` the role `app-admin`.
    #[error(
        "entry {position} ({entry:?}) ends in `*` right after {after:?}; a trailing `*` must follow `:` or `/` (a partial account id, role or VPC name would match others that start the same)"
    )]
    WildcardInsideName {
        /// Which entry.
        position: usize,
        /// The entry as written.
        entry: String,
        /// The character before the `*`.
        after: char,
    },
    /// A prefix must reach past the account id: `arn:aws:iam::*` would allow every AWS
    /// account's principals (organisations are checked by `PrincipalOrgID`, not by ARN).
    #[error(
        "entry {position} ({entry:?}) ends in `*` before the account id; a prefix must name the account (e.g. `arn:aws:iam::123456789012:role/*`)"
    )]
    WildcardAcrossAccounts {
        /// Which entry.
        position: usize,
        /// The entry as written.
        entry: String,
    },
}

/// A parsed allow-list of ARNs: a value is allowed when any entry matches it.
///
/// An entry is either an exact ARN or an ARN prefix ending in `:` or `/` followed by `*`,
/// which matches any value that starts with the prefix and continues after it. Because the
/// prefix must end on a separator, it always covers whole ARN segments:
///
/// | entry | matches | does not match |
/// |---|---|---|
/// | `arn:aws:iam::123456789012:role/app` | that role | `…:role/app2`, `…:role/team/app` |
/// | `arn:aws:sts::123456789012:assumed-role/eks-app/*` | every session of role `eks-app` | sessions of `eks-app-admin` |
/// | `arn:aws:iam::123456789012:role/team/*` | every role under the path `/team/` (`…:role/team/app`, `…:role/team/x/y`) | `…:role/team-b/app` |
/// | `arn:aws:ec2:us-west-2:123456789012:vpc/*` | every VPC of that account in that region | other accounts or regions |
///
/// Refused when building the list, with an [`AllowListError`] naming the entry: a bare
/// `*`, a `*` anywhere but at the end, a trailing `*` after anything but `:` or `/`
/// (`arn:aws:iam::1234*`, `…/eks-app*`), a prefix that stops before the account id
/// (`arn:aws:iam::*`), entries that are not ARNs, whitespace, empty entries and empty lists. ARNs are compared case-sensitively, as IAM policies compare
/// them. A caller that assumed a role is reported by Lattice as
/// `arn:aws:sts::<account>:assumed-role/<role>/<session>`, not as the role's `iam` ARN.
///
/// ```
/// use lattice_lambda::access::{AllowList, AllowListError};
/// let list: AllowList = "arn:aws:sts::123456789012:assumed-role/eks-app/*".parse()?;
/// assert!(list.allows(Some("arn:aws:sts::123456789012:assumed-role/eks-app/pod-1")));
/// assert!(!list.allows(Some("arn:aws:sts::123456789012:assumed-role/eks-app-admin/pod-1")));
/// assert!(!list.allows(None));
///
/// assert!(matches!(
///     "arn:aws:iam::1234*".parse::<AllowList>(),
///     Err(AllowListError::WildcardInsideName { .. })
/// ));
/// assert!(matches!("*".parse::<AllowList>(), Err(AllowListError::BareWildcard { .. })));
/// # Ok::<(), AllowListError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowList {
    patterns: Vec<Pattern>,
}

impl AllowList {
    /// Builds a list from entries, each checked as described on [`AllowList`].
    pub fn new<I>(entries: I) -> Result<Self, AllowListError>
    where
        I: IntoIterator,
        I::Item: AsRef<str>,
    {
        let patterns = entries
            .into_iter()
            .enumerate()
            .map(|(index, entry)| parse_entry(index + 1, entry.as_ref()))
            .collect::<Result<Vec<_>, _>>()?;
        if patterns.is_empty() {
            return Err(AllowListError::NoEntries);
        }
        Ok(AllowList { patterns })
    }

    /// Parses a comma-separated list (spaces around entries are ignored), as it comes from
    /// an environment variable or a template parameter.
    pub fn parse(raw: &str) -> Result<Self, AllowListError> {
        if raw.trim().is_empty() {
            return Err(AllowListError::NoEntries);
        }
        Self::new(raw.split(',').map(str::trim))
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

impl FromStr for AllowList {
    type Err = AllowListError;

    /// Same as [`AllowList::parse`].
    fn from_str(raw: &str) -> Result<Self, AllowListError> {
        Self::parse(raw)
    }
}

fn parse_entry(position: usize, entry: &str) -> Result<Pattern, AllowListError> {
    let owned = || entry.to_owned();
    if entry.is_empty() {
        return Err(AllowListError::EmptyEntry { position });
    }
    if entry == "*" {
        return Err(AllowListError::BareWildcard { position });
    }
    if entry.chars().any(char::is_whitespace) {
        return Err(AllowListError::Whitespace {
            position,
            entry: owned(),
        });
    }
    if !entry.starts_with("arn:") {
        return Err(AllowListError::NotAnArn {
            position,
            entry: owned(),
        });
    }
    let Some(prefix) = entry.strip_suffix('*') else {
        return match entry.contains('*') {
            true => Err(AllowListError::MisplacedWildcard {
                position,
                entry: owned(),
            }),
            false => Ok(Pattern::Exact(owned())),
        };
    };
    if prefix.contains('*') {
        return Err(AllowListError::MisplacedWildcard {
            position,
            entry: owned(),
        });
    }
    match prefix.chars().next_back() {
        Some(':' | '/') if names_an_account(prefix) => Ok(Pattern::Prefix(prefix.to_owned())),
        Some(':' | '/') => Err(AllowListError::WildcardAcrossAccounts {
            position,
            entry: owned(),
        }),
        Some(after) => Err(AllowListError::WildcardInsideName {
            position,
            entry: owned(),
            after,
        }),
        // `arn:` is a prefix, so `prefix` is never empty.
        None => Err(AllowListError::BareWildcard { position }),
    }
}

/// Whether an ARN prefix fixes the account: `arn:partition:service:region:account:` with a
/// non-empty account, and the colon that ends it.
fn names_an_account(prefix: &str) -> bool {
    prefix.matches(':').count() >= 5
        && prefix
            .split(':')
            .nth(4)
            .is_some_and(|account| !account.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROLE: &str = "arn:aws:iam::123456789012:role/app";

    fn list(raw: &str) -> AllowList {
        AllowList::parse(raw).expect("valid list")
    }

    #[test]
    fn exact_and_prefix_entries_are_parsed_and_trimmed() {
        let parsed =
            list(" arn:a:b , arn:aws:iam::123456789012:role/* ,arn:aws:iam::123456789012:*");
        assert_eq!(
            parsed.patterns(),
            [
                Pattern::Exact("arn:a:b".into()),
                Pattern::Prefix("arn:aws:iam::123456789012:role/".into()),
                Pattern::Prefix("arn:aws:iam::123456789012:".into()),
            ]
        );
        assert_eq!(
            parsed.patterns()[1].to_string(),
            "arn:aws:iam::123456789012:role/*"
        );
    }

    #[test]
    fn exact_entries_do_not_match_prefixes_or_extensions() {
        let parsed = list(ROLE);
        assert!(parsed.allows(Some(ROLE)));
        assert!(!parsed.allows(Some("arn:aws:iam::123456789012:role/app2")));
        assert!(!parsed.allows(Some("arn:aws:iam::123456789012:role/ap")));
        assert!(!parsed.allows(Some("arn:aws:iam::123456789012:role/team/app")));
        assert!(!parsed.allows(Some("ARN:AWS:IAM::123456789012:ROLE/APP")));
        assert!(!parsed.allows(None));
    }

    #[test]
    fn a_prefix_after_a_slash_covers_whole_segments_only() {
        let sessions = list("arn:aws:sts::123456789012:assumed-role/eks-app/*");
        assert!(sessions.allows(Some(
            "arn:aws:sts::123456789012:assumed-role/eks-app/session-1"
        )));
        // The issue's trap: a role whose name starts with the allowed role's name.
        assert!(!sessions.allows(Some(
            "arn:aws:sts::123456789012:assumed-role/eks-app-admin/session-1"
        )));
        // The prefix alone is not a principal.
        assert!(!sessions.allows(Some("arn:aws:sts::123456789012:assumed-role/eks-app/")));

        let team = list("arn:aws:iam::123456789012:role/team/*");
        assert!(team.allows(Some("arn:aws:iam::123456789012:role/team/app")));
        assert!(team.allows(Some("arn:aws:iam::123456789012:role/team/x/app")));
        assert!(!team.allows(Some("arn:aws:iam::123456789012:role/team-b/app")));
    }

    #[test]
    fn a_prefix_after_a_colon_covers_the_rest_of_the_arn() {
        let account = list("arn:aws:iam::123456789012:*");
        assert!(account.allows(Some(ROLE)));
        assert!(account.allows(Some("arn:aws:iam::123456789012:user/alice")));
        assert!(!account.allows(Some("arn:aws:iam::123456789013:role/app")));
        assert!(!account.allows(Some("arn:aws:sts::123456789012:assumed-role/app/s")));

        let vpcs = list("arn:aws:ec2:us-west-2:123456789012:vpc/*");
        assert!(vpcs.allows(Some("arn:aws:ec2:us-west-2:123456789012:vpc/vpc-0abc")));
        assert!(!vpcs.allows(Some("arn:aws:ec2:eu-west-1:123456789012:vpc/vpc-0abc")));
    }

    #[test]
    fn a_star_inside_a_name_is_refused_at_init() {
        // `arn:aws:iam::1234*` would match account 123499999999.
        assert_eq!(
            AllowList::parse("arn:aws:iam::1234*"),
            Err(AllowListError::WildcardInsideName {
                position: 1,
                entry: "arn:aws:iam::1234*".into(),
                after: '4',
            })
        );
        // `…/eks-app*` would match role eks-app-admin.
        let entry = "arn:aws:sts::123456789012:assumed-role/eks-app*";
        assert_eq!(
            AllowList::parse(&format!("{ROLE},{entry}")),
            Err(AllowListError::WildcardInsideName {
                position: 2,
                entry: entry.into(),
                after: 'p',
            })
        );
        let vpc = "arn:aws:ec2:us-west-2:123456789012:vpc/vpc-0ab*";
        assert!(matches!(
            AllowList::parse(vpc),
            Err(AllowListError::WildcardInsideName { after: 'b', .. })
        ));
    }

    #[test]
    fn a_prefix_that_spans_accounts_is_refused_at_init() {
        for entry in [
            "arn:*",
            "arn:aws:*",
            "arn:aws:iam::*",
            "arn:aws:ec2:us-west-2:*",
        ] {
            assert_eq!(
                AllowList::parse(entry),
                Err(AllowListError::WildcardAcrossAccounts {
                    position: 1,
                    entry: entry.into()
                }),
                "{entry}"
            );
        }
    }

    #[test]
    fn a_bare_star_is_refused_at_init() {
        assert_eq!(
            AllowList::parse("*"),
            Err(AllowListError::BareWildcard { position: 1 })
        );
        assert_eq!(
            AllowList::parse(&format!("{ROLE}, *")),
            Err(AllowListError::BareWildcard { position: 2 })
        );
        let message = AllowList::parse("*").unwrap_err().to_string();
        assert!(message.contains("allow everyone"), "{message}");
    }

    #[test]
    fn malformed_values_name_the_entry() {
        assert_eq!(AllowList::parse(""), Err(AllowListError::NoEntries));
        assert_eq!(AllowList::parse("  "), Err(AllowListError::NoEntries));
        assert_eq!(
            AllowList::new(Vec::<String>::new()),
            Err(AllowListError::NoEntries)
        );
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
            AllowList::parse("arn:a,arn:x/**"),
            Err(AllowListError::MisplacedWildcard {
                position: 2,
                entry: "arn:x/**".into()
            })
        );
        assert_eq!(
            AllowList::new(["arn:a b"]),
            Err(AllowListError::Whitespace {
                position: 1,
                entry: "arn:a b".into()
            })
        );
        assert_eq!(
            AllowList::parse("vpc-0abc"),
            Err(AllowListError::NotAnArn {
                position: 1,
                entry: "vpc-0abc".into()
            })
        );
    }
}
