//! [`LatticeClient`] and how it is built ([`LatticeClientBuilder`]): the connection pool,
//! the signer, timeouts, retries and the proxy rules it is made of.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use super::defaults::{
    DEFAULT_CONNECT_TIMEOUT, DEFAULT_MAX_RESPONSE_BYTES, DEFAULT_TIMEOUT, POOL_IDLE_TIMEOUT,
};
use super::error::{ConfigError, cause_chain};
use super::mode::SigningMode;
use super::proxy::ProxyRules;
use super::retry::RetryPolicy;
use super::signing::{Credentials, RequestSigner, region_from_lookup};

/// A reusable client for Lattice services: one connection pool, optional signing, retries.
pub struct LatticeClient {
    pub(super) http: reqwest::Client,
    pub(super) signer: Option<RequestSigner>,
    pub(super) timeout: Duration,
    pub(super) retry: RetryPolicy,
    pub(super) max_response_bytes: usize,
    /// The proxy routing reqwest will apply, to refuse signed plain-HTTP through a proxy.
    pub(super) proxy: ProxyRules,
}

impl fmt::Debug for LatticeClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LatticeClient")
            .field("signer", &self.signer)
            .field("timeout", &self.timeout)
            .field("retry", &self.retry)
            .field("max_response_bytes", &self.max_response_bytes)
            .finish_non_exhaustive()
    }
}

/// Settings for a [`LatticeClient`]; unset values take the documented defaults.
#[derive(Debug, Default, Clone)]
pub struct LatticeClientBuilder {
    signing: SigningMode,
    credentials: Option<Credentials>,
    region: Option<String>,
    timeout: Option<Duration>,
    connect_timeout: Option<Duration>,
    retry: RetryPolicy,
    ca_bundle: Option<PathBuf>,
    max_response_bytes: Option<usize>,
}

impl LatticeClientBuilder {
    /// Signing mode (default [`SigningMode::None`]).
    pub fn signing(mut self, mode: SigningMode) -> Self {
        self.signing = mode;
        self
    }

    /// Credentials for signing (default: read from `AWS_*` variables at [`build`](Self::build)).
    pub fn credentials(mut self, credentials: Credentials) -> Self {
        self.credentials = Some(credentials);
        self
    }

    /// SigV4 region, or SigV4A region set such as `*` (default: `AWS_REGION`).
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.region = Some(region.into());
        self
    }

    /// Timeout of one attempt, from connecting to the last body byte (default 5 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Connect timeout (default 2 s, never more than the attempt timeout).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = Some(timeout);
        self
    }

    /// Retry policy (default: 2 retries, 50 ms base backoff, 250 ms deadline margin).
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// Extra PEM CA bundle trusted besides the system roots (services on a private CA).
    pub fn ca_bundle(mut self, path: impl Into<PathBuf>) -> Self {
        self.ca_bundle = Some(path.into());
        self
    }

    /// Largest response body accepted (default 6 MiB, the Lambda payload limit).
    pub fn max_response_bytes(mut self, limit: usize) -> Self {
        self.max_response_bytes = Some(limit);
        self
    }

    /// Builds the client; fails when signing lacks credentials or a region, or the CA bundle is
    /// unusable.
    pub fn build(self) -> Result<LatticeClient, ConfigError> {
        self.build_with_lookup(|name| std::env::var(name).ok())
    }

    /// Like [`build`](Self::build), reading `AWS_*` variables through `lookup`.
    pub fn build_with_lookup(
        self,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<LatticeClient, ConfigError> {
        let proxy = ProxyRules::from_lookup(&lookup);
        let signer = match self.signing {
            SigningMode::None => None,
            mode => {
                let credentials = match self.credentials {
                    Some(c) => c,
                    None => Credentials::from_lookup(mode, &lookup)?,
                };
                let region = self
                    .region
                    .or_else(|| region_from_lookup(&lookup))
                    .ok_or(ConfigError::MissingRegion { signing: mode })?;
                RequestSigner::for_mode(mode, credentials, region)?
            }
        };

        let timeout = self.timeout.unwrap_or(DEFAULT_TIMEOUT);
        let connect_timeout = self
            .connect_timeout
            .unwrap_or(DEFAULT_CONNECT_TIMEOUT)
            .min(timeout);

        let mut http = reqwest::Client::builder()
            .connect_timeout(connect_timeout)
            .pool_idle_timeout(POOL_IDLE_TIMEOUT)
            // Following a redirect would replay the signed headers to wherever it points.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("lattice-lambda/", env!("CARGO_PKG_VERSION")));
        if let Some(path) = &self.ca_bundle {
            http = http.tls_certs_merge(read_ca_bundle(path)?);
        }
        let http = http
            .build()
            .map_err(|e| ConfigError::HttpClient(cause_chain(&e)))?;

        Ok(LatticeClient {
            http,
            signer,
            timeout,
            retry: self.retry,
            max_response_bytes: self
                .max_response_bytes
                .unwrap_or(DEFAULT_MAX_RESPONSE_BYTES),
            proxy,
        })
    }
}

fn read_ca_bundle(path: &std::path::Path) -> Result<Vec<reqwest::Certificate>, ConfigError> {
    let pem = std::fs::read(path).map_err(|source| ConfigError::CaBundleRead {
        path: path.to_owned(),
        source,
    })?;
    let certs =
        reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| ConfigError::CaBundleInvalid {
            path: path.to_owned(),
            detail: format!(": {}", cause_chain(&e)),
        })?;
    if certs.is_empty() {
        return Err(ConfigError::CaBundleInvalid {
            path: path.to_owned(),
            detail: String::new(),
        });
    }
    Ok(certs)
}

impl LatticeClient {
    /// Starts a [`LatticeClientBuilder`].
    pub fn builder() -> LatticeClientBuilder {
        LatticeClientBuilder::default()
    }

    /// The signing mode in use.
    pub fn signing(&self) -> SigningMode {
        self.signer
            .as_ref()
            .map_or(SigningMode::None, RequestSigner::mode)
    }

    /// The retry policy in use.
    pub fn retry_policy(&self) -> &RetryPolicy {
        &self.retry
    }

    /// The per-attempt timeout in use.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }
}
