//! Calling services behind Amazon VPC Lattice, optionally SigV4/SigV4A-signed (feature `client`).
//!
//! Build one [`LatticeClient`] at init and reuse it in every invocation: it owns a single
//! connection pool, so warm invocations skip TCP and TLS handshakes.
//!
//! - **Signing**: [`SigningMode::SigV4`] / [`SigningMode::SigV4a`] (feature `sigv4a`) with
//!   service `vpc-lattice-svcs` and `x-amz-content-sha256: UNSIGNED-PAYLOAD`. The request is
//!   signed after every header it will carry is set, and re-signed on each retry.
//! - **Redirects** are not followed: a `3xx` is returned as is, so a signature never travels
//!   to another host.
//! - **Retries**: only idempotent methods (GET, HEAD, OPTIONS, PUT, DELETE), on transport
//!   failures and `502/503/504`, with jittered exponential backoff, bounded by a retry count and
//!   by the invocation deadline ([`CallContext`]) minus a margin. Each attempt's timeout is
//!   clipped to what is left.
//! - **Secrets** never appear in `Debug` output, errors or logs.
//!
//! ```no_run
//! use lattice_lambda::client::{CallContext, LatticeClient, ServiceRequest, SigningMode};
//!
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! // At init (credentials and region come from AWS_* variables when signing):
//! let client = LatticeClient::builder().signing(SigningMode::SigV4).build()?;
//! // Per invocation:
//! let url = "https://svc-0123.7d67968.vpc-lattice-svcs.us-west-2.on.aws/app".parse()?;
//! let response = client
//!     .send(&ServiceRequest::get(url), &CallContext::new())
//!     .await?;
//! println!("{} {}", response.status, response.text());
//! # Ok(())
//! # }
//! ```

mod canonical;
mod config;
mod error;
mod request;
mod retry;
mod signing;

use std::fmt;
use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use bytes::{Bytes, BytesMut};
use reqwest::header::{ACCEPT, CONTENT_LENGTH, HOST};

// The HTTP vocabulary of the API, re-exported so callers need no direct reqwest/url dependency.
pub use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
pub use reqwest::{Method, StatusCode, Url};

pub use config::{
    DEFAULT_CONNECT_TIMEOUT, DEFAULT_MAX_RESPONSE_BYTES, DEFAULT_RETRIES, DEFAULT_TIMEOUT,
    ENV_CA_BUNDLE, ENV_RETRIES, ENV_SERVICE_URL, ENV_SIGNING, ENV_TIMEOUT_MS, EnvConfig,
    MAX_RETRIES, SigningMode, UnknownSigningMode,
};
pub use error::{ClientError, ConfigError, FailureKind};
pub use request::{CallContext, ServiceRequest, ServiceResponse, join_path};
pub use retry::{DEFAULT_DEADLINE_MARGIN, RetryPolicy, is_idempotent, is_retryable_status};
pub use signing::{
    Credentials, ENV_ACCESS_KEY_ID, ENV_DEFAULT_REGION, ENV_REGION, ENV_SECRET_ACCESS_KEY,
    ENV_SESSION_TOKEN, RequestSigner, SERVICE_NAME, SigningError, UNSIGNED_HEADERS,
    region_from_lookup,
};

use error::cause_chain;
use retry::Budget;

/// Header carrying the X-Ray trace id to the upstream.
pub const TRACE_ID_HEADER: &str = "x-amzn-trace-id";

/// Pooled connections idle longer than this are dropped before reuse: below Lattice's 60 s
/// idle timeout, so a warm invocation does not pick a connection Lattice already closed.
const POOL_IDLE_TIMEOUT: Duration = Duration::from_secs(50);

/// A reusable client for Lattice services: one connection pool, optional signing, retries.
pub struct LatticeClient {
    http: reqwest::Client,
    signer: Option<RequestSigner>,
    timeout: Duration,
    retry: RetryPolicy,
    max_response_bytes: usize,
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

/// How one attempt failed.
enum AttemptError {
    /// Connect, reset, closed connection, broken body: worth retrying when idempotent.
    Transport(String),
    /// The attempt's timeout elapsed.
    TimedOut,
    /// Body over the limit: retrying would read the same oversized body again.
    TooLarge,
    /// The request cannot be signed.
    Signing(String),
    /// The request cannot be sent as built.
    Invalid(String),
}

/// The request as it goes on the wire, minus the signature headers added per attempt.
struct PreparedRequest {
    method: Method,
    url: Url,
    uri: http::Uri,
    headers: HeaderMap,
    body: Bytes,
    host: String,
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

    /// Sends `request`, retrying where safe, and reads the whole response.
    ///
    /// Any HTTP status is a response; only transport failures, timeouts and the deadline are
    /// errors.
    pub async fn send(
        &self,
        request: &ServiceRequest,
        context: &CallContext,
    ) -> Result<ServiceResponse, ClientError> {
        let prepared = prepare(request, context)?;
        let host = prepared.host.as_str();
        let budget = Budget::new(context.deadline, self.retry.deadline_margin);
        let max_attempts = if is_idempotent(&prepared.method) {
            self.retry.max_retries.saturating_add(1)
        } else {
            1
        };

        let mut attempt: u32 = 0;
        loop {
            attempt += 1;
            if budget.is_spent() {
                return Err(ClientError::DeadlineExceeded {
                    host: host.to_owned(),
                    next_attempt: attempt,
                });
            }
            let attempt_timeout = budget.attempt_timeout(self.timeout);
            let outcome = self.attempt(&prepared, attempt_timeout).await;

            let retryable = match &outcome {
                Ok(response) => is_retryable_status(response.status),
                Err(AttemptError::Transport(_) | AttemptError::TimedOut) => true,
                Err(
                    AttemptError::TooLarge | AttemptError::Signing(_) | AttemptError::Invalid(_),
                ) => false,
            };
            if retryable && attempt < max_attempts {
                let delay = self.retry.backoff(attempt);
                if budget.allows_wait(delay) {
                    match &outcome {
                        Ok(response) => tracing::warn!(
                            host,
                            attempt,
                            status = response.status.as_u16(),
                            ?delay,
                            "upstream answered with a gateway error; retrying"
                        ),
                        Err(AttemptError::Transport(cause)) => tracing::warn!(
                            host,
                            attempt,
                            cause = cause.as_str(),
                            ?delay,
                            "upstream transport failure; retrying"
                        ),
                        Err(_) => tracing::warn!(
                            host, attempt, timeout = ?attempt_timeout, ?delay,
                            "upstream attempt timed out; retrying"
                        ),
                    }
                    tokio::time::sleep(delay).await;
                    continue;
                }
            }

            return match outcome {
                Ok(mut response) => {
                    response.attempts = attempt;
                    Ok(response)
                }
                Err(AttemptError::Transport(cause)) => Err(ClientError::Unavailable {
                    host: host.to_owned(),
                    attempts: attempt,
                    cause,
                }),
                Err(AttemptError::TimedOut) => Err(ClientError::Timeout {
                    host: host.to_owned(),
                    attempts: attempt,
                    waited: attempt_timeout,
                    cause: if attempt_timeout < self.timeout {
                        "the invocation deadline (minus its margin) was reached".to_owned()
                    } else {
                        format!(
                            "the attempt timeout of {} ms elapsed",
                            self.timeout.as_millis()
                        )
                    },
                }),
                Err(AttemptError::TooLarge) => Err(ClientError::ResponseTooLarge {
                    host: host.to_owned(),
                    limit: self.max_response_bytes,
                }),
                Err(AttemptError::Signing(reason)) => Err(ClientError::Signing {
                    host: host.to_owned(),
                    reason,
                }),
                Err(AttemptError::Invalid(reason)) => Err(ClientError::InvalidRequest(format!(
                    "request to {host}: {reason}"
                ))),
            };
        }
    }

    /// One attempt: sign (fresh `x-amz-date`), send, read the body, all within `timeout`.
    async fn attempt(
        &self,
        prepared: &PreparedRequest,
        timeout: Duration,
    ) -> Result<ServiceResponse, AttemptError> {
        let mut headers = prepared.headers.clone();
        if let Some(signer) = &self.signer {
            let mut signable = http::Request::new(());
            *signable.method_mut() = prepared.method.clone();
            *signable.uri_mut() = prepared.uri.clone();
            *signable.headers_mut() = headers;
            signer
                .sign(&mut signable, SystemTime::now())
                .map_err(|e| AttemptError::Signing(e.to_string()))?;
            headers = signable.into_parts().0.headers;
        }

        let mut request = reqwest::Request::new(prepared.method.clone(), prepared.url.clone());
        *request.headers_mut() = headers;
        if !prepared.body.is_empty() {
            *request.body_mut() = Some(prepared.body.clone().into());
        }

        let exchange = async {
            let mut response = self.http.execute(request).await.map_err(transport_error)?;
            let status = response.status();
            let headers = std::mem::take(response.headers_mut());
            let body = read_body(&mut response, self.max_response_bytes).await?;
            Ok(ServiceResponse {
                status,
                headers,
                body,
                attempts: 0,
            })
        };
        match tokio::time::timeout(timeout, exchange).await {
            Ok(result) => result,
            Err(_elapsed) => Err(AttemptError::TimedOut),
        }
    }
}

fn transport_error(error: reqwest::Error) -> AttemptError {
    // The URL is dropped from the message: the host is named by the caller's error already.
    let error = error.without_url();
    if error.is_builder() {
        return AttemptError::Invalid(cause_chain(&error));
    }
    if error.is_timeout() {
        // reqwest's connect timeout: the host did not complete a handshake in time.
        return AttemptError::TimedOut;
    }
    AttemptError::Transport(cause_chain(&error))
}

/// Reads the body up to `limit` bytes.
async fn read_body(response: &mut reqwest::Response, limit: usize) -> Result<Bytes, AttemptError> {
    if response
        .content_length()
        .is_some_and(|len| len > limit as u64)
    {
        return Err(AttemptError::TooLarge);
    }
    let mut body = BytesMut::new();
    while let Some(chunk) = response.chunk().await.map_err(transport_error)? {
        if body.len() + chunk.len() > limit {
            return Err(AttemptError::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

/// Builds the final header set of a request, so that what is signed is what is sent.
fn prepare(
    request: &ServiceRequest,
    context: &CallContext,
) -> Result<PreparedRequest, ClientError> {
    let mut url = request.url().clone();
    request::canonicalize_query(&mut url);
    if !matches!(url.scheme(), "http" | "https") {
        return Err(ClientError::InvalidRequest(format!(
            "unsupported URL scheme {:?}: expected http or https",
            url.scheme()
        )));
    }
    let host = host_label(&url)?;
    let uri: http::Uri = url.as_str().parse().map_err(|e| {
        ClientError::InvalidRequest(format!("URL for {host} is not a valid URI: {e}"))
    })?;

    let mut headers = request.headers().clone();
    // Set what reqwest/hyper would otherwise add after signing, so the signature covers it.
    headers.insert(
        HOST,
        HeaderValue::from_str(&host).map_err(|_| {
            ClientError::InvalidRequest(format!("host {host:?} is not a valid header value"))
        })?,
    );
    if !headers.contains_key(ACCEPT) {
        headers.insert(ACCEPT, HeaderValue::from_static("*/*"));
    }
    let body = request.body().clone();
    if !body.is_empty()
        || matches!(
            *request.method(),
            Method::POST | Method::PUT | Method::PATCH
        )
    {
        headers.insert(CONTENT_LENGTH, HeaderValue::from(body.len()));
    } else {
        headers.remove(CONTENT_LENGTH);
    }
    if let Some(trace_id) = &context.trace_id {
        match HeaderValue::from_str(trace_id) {
            Ok(value) => {
                headers.insert(HeaderName::from_static(TRACE_ID_HEADER), value);
            }
            Err(_) => tracing::warn!("X-Ray trace id is not a valid header value; not forwarded"),
        }
    }

    Ok(PreparedRequest {
        method: request.method().clone(),
        url,
        uri,
        headers,
        body,
        host,
    })
}

/// `host[:port]` as the `Host` header carries it (port only when not the scheme's default).
fn host_label(url: &Url) -> Result<String, ClientError> {
    let host = url
        .host_str()
        .filter(|h| !h.is_empty())
        .ok_or_else(|| ClientError::InvalidRequest(format!("URL {url} has no host")))?;
    Ok(match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    })
}

#[cfg(test)]
mod tests;
