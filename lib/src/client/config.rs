//! Client settings and how they are read from `LATTICE_*` environment variables.

use std::path::PathBuf;
use std::time::Duration;

use reqwest::Url;

use super::builder::LatticeClientBuilder;
use super::defaults::{DEFAULT_RETRIES, DEFAULT_TIMEOUT, MAX_RETRIES};
use super::error::ConfigError;
use super::mode::{SigningMode, UnknownSigningMode};
use super::retry::RetryPolicy;

/// Service URL to call (required).
pub const ENV_SERVICE_URL: &str = "LATTICE_SERVICE_URL";
/// Signing mode: `none` | `sigv4` | `sigv4a` (default `none`).
pub const ENV_SIGNING: &str = "LATTICE_SIGNING";
/// Per-attempt timeout in milliseconds (default 5000).
pub const ENV_TIMEOUT_MS: &str = "LATTICE_TIMEOUT_MS";
/// Retries after the first attempt (default 2).
pub const ENV_RETRIES: &str = "LATTICE_RETRIES";
/// Optional path of an extra PEM CA bundle.
pub const ENV_CA_BUNDLE: &str = "LATTICE_CA_BUNDLE";

/// Settings of the `eks-client` function, read from `LATTICE_*` variables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvConfig {
    /// `LATTICE_SERVICE_URL`: base URL of the Lattice service (http or https).
    pub service_url: Url,
    /// `LATTICE_SIGNING`.
    pub signing: SigningMode,
    /// `LATTICE_TIMEOUT_MS`: per-attempt timeout.
    pub timeout: Duration,
    /// `LATTICE_RETRIES`: retries after the first attempt.
    pub retries: u32,
    /// `LATTICE_CA_BUNDLE`: extra PEM CA bundle trusted besides the system roots.
    pub ca_bundle: Option<PathBuf>,
}

impl EnvConfig {
    /// Reads the settings from the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the settings through `lookup` (variable name -> value), e.g. a map in tests.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        // An empty variable is what a template leaves behind for "not set"; treat it so.
        let get = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());

        let raw_url = get(ENV_SERVICE_URL).ok_or(ConfigError::MissingVariable {
            variable: ENV_SERVICE_URL,
        })?;
        let service_url = parse_service_url(&raw_url)?;

        let signing = match get(ENV_SIGNING) {
            None => SigningMode::None,
            Some(raw) => raw
                .parse()
                .map_err(|e: UnknownSigningMode| invalid(ENV_SIGNING, &raw, e))?,
        };

        let timeout = match get(ENV_TIMEOUT_MS) {
            None => DEFAULT_TIMEOUT,
            Some(raw) => match raw.trim().parse::<u64>() {
                Ok(ms) if ms > 0 => Duration::from_millis(ms),
                _ => {
                    return Err(invalid(
                        ENV_TIMEOUT_MS,
                        &raw,
                        "expected a positive number of milliseconds",
                    ));
                }
            },
        };

        let retries = match get(ENV_RETRIES) {
            None => DEFAULT_RETRIES,
            Some(raw) => match raw.trim().parse::<u32>() {
                Ok(n) if n <= MAX_RETRIES => n,
                _ => {
                    return Err(invalid(
                        ENV_RETRIES,
                        &raw,
                        format!("expected a whole number from 0 to {MAX_RETRIES}"),
                    ));
                }
            },
        };

        let ca_bundle = get(ENV_CA_BUNDLE).map(PathBuf::from);

        Ok(EnvConfig {
            service_url,
            signing,
            timeout,
            retries,
            ca_bundle,
        })
    }

    /// A client builder carrying these settings (credentials and region still come from `AWS_*`).
    pub fn client_builder(&self) -> LatticeClientBuilder {
        let mut builder = LatticeClientBuilder::default()
            .signing(self.signing)
            .timeout(self.timeout)
            .retry_policy(RetryPolicy::default().with_max_retries(self.retries));
        if let Some(path) = &self.ca_bundle {
            builder = builder.ca_bundle(path.clone());
        }
        builder
    }
}

fn invalid(variable: &'static str, value: &str, reason: impl ToString) -> ConfigError {
    ConfigError::InvalidVariable {
        variable,
        value: value.to_owned(),
        reason: reason.to_string(),
    }
}

/// Parses and checks a service URL: absolute, http(s), with a host and no user info.
pub(crate) fn parse_service_url(raw: &str) -> Result<Url, ConfigError> {
    let url = Url::parse(raw.trim()).map_err(|e| invalid(ENV_SERVICE_URL, raw, e))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(invalid(
            ENV_SERVICE_URL,
            raw,
            "expected an http:// or https:// URL",
        ));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(invalid(ENV_SERVICE_URL, raw, "the URL has no host"));
    }
    // Basic-auth user info in the URL would be a credential riding along in logs and messages.
    if !url.username().is_empty() || url.password().is_some() {
        return Err(ConfigError::InvalidVariable {
            variable: ENV_SERVICE_URL,
            value: "<redacted: contains user info>".to_owned(),
            reason: "user info (user:password@) is not allowed in the URL".to_owned(),
        });
    }
    if url.fragment().is_some() {
        return Err(invalid(
            ENV_SERVICE_URL,
            raw,
            "a URL fragment (#...) is not allowed",
        ));
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn lookup(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |name| map.get(name).cloned()
    }

    #[test]
    fn defaults_apply_when_only_the_url_is_set() {
        let cfg = EnvConfig::from_lookup(lookup(&[(ENV_SERVICE_URL, "https://svc.example/app")]))
            .unwrap();
        assert_eq!(cfg.service_url.as_str(), "https://svc.example/app");
        assert_eq!(cfg.signing, SigningMode::None);
        assert_eq!(cfg.timeout, Duration::from_millis(5000));
        assert_eq!(cfg.retries, 2);
        assert_eq!(cfg.ca_bundle, None);
    }

    #[test]
    fn all_variables_are_read() {
        let cfg = EnvConfig::from_lookup(lookup(&[
            (ENV_SERVICE_URL, "http://127.0.0.1:8080"),
            (ENV_SIGNING, "SigV4A"),
            (ENV_TIMEOUT_MS, "250"),
            (ENV_RETRIES, "0"),
            (ENV_CA_BUNDLE, "/tmp/ca.pem"),
        ]))
        .unwrap();
        assert_eq!(cfg.signing, SigningMode::SigV4a);
        assert_eq!(cfg.timeout, Duration::from_millis(250));
        assert_eq!(cfg.retries, 0);
        assert_eq!(cfg.ca_bundle, Some(PathBuf::from("/tmp/ca.pem")));
    }

    #[test]
    fn missing_url_names_the_variable() {
        let err = EnvConfig::from_lookup(lookup(&[(ENV_SIGNING, "sigv4")])).unwrap_err();
        assert!(err.to_string().contains("LATTICE_SERVICE_URL"), "{err}");
        let err = EnvConfig::from_lookup(lookup(&[(ENV_SERVICE_URL, "  ")])).unwrap_err();
        assert!(matches!(
            err,
            ConfigError::MissingVariable {
                variable: ENV_SERVICE_URL
            }
        ));
    }

    #[test]
    fn invalid_values_name_their_variable() {
        let base = (ENV_SERVICE_URL, "https://svc.example");
        for (var, value) in [
            (ENV_SIGNING, "sigv5"),
            (ENV_TIMEOUT_MS, "0"),
            (ENV_TIMEOUT_MS, "5s"),
            (ENV_RETRIES, "-1"),
            (ENV_RETRIES, "11"),
            (ENV_SERVICE_URL, "ftp://svc.example"),
            (ENV_SERVICE_URL, "not a url"),
        ] {
            let vars = if var == ENV_SERVICE_URL {
                vec![(var, value)]
            } else {
                vec![base, (var, value)]
            };
            let err = EnvConfig::from_lookup(lookup(&vars)).unwrap_err();
            assert!(err.to_string().contains(var), "{var}={value}: {err}");
        }
    }

    #[test]
    fn user_info_in_url_is_rejected_without_echoing_it() {
        let err = EnvConfig::from_lookup(lookup(&[(
            ENV_SERVICE_URL,
            "https://user:hunter2@svc.example/",
        )]))
        .unwrap_err();
        let text = err.to_string();
        assert!(text.contains(ENV_SERVICE_URL));
        assert!(!text.contains("hunter2"), "{text}");
    }

    #[test]
    fn signing_mode_round_trips() {
        for mode in [SigningMode::None, SigningMode::SigV4, SigningMode::SigV4a] {
            assert_eq!(mode.as_str().parse::<SigningMode>().unwrap(), mode);
        }
    }
}
