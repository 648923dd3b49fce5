//! The provider's configuration, read once from the environment at init.
//!
//! | variable | meaning |
//! |---|---|
//! | `GREETING` | body of `GET /` (default [`DEFAULT_GREETING`]); unset or empty keeps the default |
//! | `ALLOWED_PRINCIPALS` | optional allow-list of caller principal ARNs (see [`AllowList`] for the rules); unset or blank = no list |
//! | `ALLOWED_SOURCE_VPCS` | optional allow-list of source VPC ARNs; unset or blank = no list |

use std::ffi::OsString;

use lattice_lambda::access::{AccessPolicy, AllowList, AllowListError};

/// What `GET /` says unless `GREETING` is set.
pub const DEFAULT_GREETING: &str = "Hello Foo Lambda!!";

/// Everything the routes need to know.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// Body of `GET /`.
    pub greeting: String,
    /// Who may call (besides `/health`, which is always open).
    pub access: AccessPolicy,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            greeting: DEFAULT_GREETING.to_owned(),
            access: AccessPolicy::default(),
        }
    }
}

/// A configuration value the provider cannot run with. The function fails its init with
/// this message rather than serve with a policy other than the one intended.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// The variable is set but is not valid UTF-8.
    #[error("{name} is not valid UTF-8")]
    NotUnicode {
        /// The variable.
        name: &'static str,
    },
    /// An allow-list variable is malformed.
    #[error("{name} is malformed: {problem}")]
    AllowList {
        /// The variable.
        name: &'static str,
        /// What is wrong with it.
        problem: AllowListError,
    },
}

impl ConfigError {
    /// The Lambda `errorType` an init failure is reported with.
    pub const ERROR_TYPE: &'static str = "InvalidConfiguration";
}

impl Config {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var_os(name))
    }

    /// Reads configuration through `lookup` (the environment, or a map in tests).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<OsString>) -> Result<Self, ConfigError> {
        let read = |name: &'static str| -> Result<Option<String>, ConfigError> {
            lookup(name)
                .map(|value| {
                    value
                        .into_string()
                        .map_err(|_| ConfigError::NotUnicode { name })
                })
                .transpose()
        };
        // Blank means unset: that is how templates pass an optional parameter left empty.
        let allow_list = |name: &'static str| -> Result<Option<AllowList>, ConfigError> {
            read(name)?
                .filter(|raw| !raw.trim().is_empty())
                .map(|raw| {
                    AllowList::parse(&raw)
                        .map_err(|problem| ConfigError::AllowList { name, problem })
                })
                .transpose()
        };
        let greeting = read("GREETING")?
            .filter(|greeting| !greeting.is_empty())
            .unwrap_or_else(|| DEFAULT_GREETING.to_owned());
        let mut access = AccessPolicy::default();
        if let Some(list) = allow_list("ALLOWED_PRINCIPALS")? {
            access = access.with_principals(list);
        }
        if let Some(list) = allow_list("ALLOWED_SOURCE_VPCS")? {
            access = access.with_source_vpcs(list);
        }
        Ok(Config { greeting, access })
    }
}

#[cfg(test)]
mod tests {
    use std::os::unix::ffi::OsStringExt as _;

    use lattice_lambda::access::Pattern;

    use super::*;

    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        Config::from_lookup(|name| {
            vars.iter()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| OsString::from(value))
        })
    }

    #[test]
    fn nothing_set_gives_the_defaults() {
        assert_eq!(config(&[]), Ok(Config::default()));
        assert_eq!(
            config(&[("GREETING", ""), ("ALLOWED_PRINCIPALS", " ")]),
            Ok(Config::default())
        );
    }

    #[test]
    fn greeting_and_lists_are_read() {
        let read = config(&[
            ("GREETING", "Hi there"),
            ("ALLOWED_PRINCIPALS", "arn:aws:iam::1:role/a"),
            ("ALLOWED_SOURCE_VPCS", "arn:aws:ec2:us-west-2:1:vpc/*"),
        ])
        .expect("valid config");
        assert_eq!(read.greeting, "Hi there");
        let principals = read.access.principals().expect("principals set");
        assert_eq!(
            principals.patterns(),
            [Pattern::Exact("arn:aws:iam::1:role/a".into())]
        );
        let vpcs = read.access.source_vpcs().expect("vpcs set");
        assert_eq!(
            vpcs.patterns(),
            [Pattern::Prefix("arn:aws:ec2:us-west-2:1:vpc/".into())]
        );
    }

    #[test]
    fn malformed_list_names_the_variable() {
        let error = config(&[("ALLOWED_SOURCE_VPCS", "arn:a,,arn:b")]).unwrap_err();
        assert_eq!(
            error.to_string(),
            "ALLOWED_SOURCE_VPCS is malformed: entry 2 is empty"
        );
        let error = config(&[("ALLOWED_PRINCIPALS", "*")]).unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("ALLOWED_PRINCIPALS is malformed: entry 1 is a bare `*`"),
            "{error}"
        );
    }

    #[test]
    fn non_unicode_value_is_an_error_not_a_panic() {
        let error = Config::from_lookup(|name| {
            (name == "ALLOWED_PRINCIPALS").then(|| OsString::from_vec(vec![0xff, 0xfe]))
        })
        .unwrap_err();
        assert_eq!(
            error,
            ConfigError::NotUnicode {
                name: "ALLOWED_PRINCIPALS"
            }
        );
    }
}
