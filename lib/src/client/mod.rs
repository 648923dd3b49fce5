//! Calling services behind Amazon VPC Lattice, optionally SigV4/SigV4A-signed (feature `client`).
//!
//! Build one [`LatticeClient`] at init and reuse it in every invocation: it owns a single
//! connection pool, so warm invocations skip TCP and TLS handshakes.
//!
//! - **Signing**: [`SigningMode::SigV4`] / [`SigningMode::SigV4a`] (feature `sigv4a`) with
//!   service `vpc-lattice-svcs` and `x-amz-content-sha256: UNSIGNED-PAYLOAD`. The request is
//!   signed after every header it will carry is set, and re-signed on each retry.
//!   Signing is `aws_sigv4::http_request::sign`'s ([`RequestSigner`]).
//! - **Redirects** are not followed: a `3xx` is returned as is, so a signature never travels
//!   to another host. Nor is a signed `http://` request sent through an HTTP proxy
//!   (`HTTP_PROXY`/`ALL_PROXY` minus `NO_PROXY`), which would read it in clear
//!   ([`LatticeClient::check_destination`]).
//! - **Paths** given by callers ([`join_path`]) stay below the service URL's path: `..`
//!   (also encoded), absolute URLs and `//host` are refused ([`PathRefusal`]).
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

mod builder;
mod config;
mod defaults;
mod error;
mod mode;
mod path;
mod proxy;
mod request;
mod retry;
mod send;
mod signing;

// The HTTP vocabulary of the API, re-exported so callers need no direct reqwest/url dependency.
pub use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
pub use reqwest::{Method, StatusCode, Url};

pub use builder::{LatticeClient, LatticeClientBuilder};
pub use config::{
    ENV_CA_BUNDLE, ENV_RETRIES, ENV_SERVICE_URL, ENV_SIGNING, ENV_TIMEOUT_MS, EnvConfig,
};
pub use defaults::{
    DEFAULT_CONNECT_TIMEOUT, DEFAULT_DEADLINE_MARGIN, DEFAULT_MAX_RESPONSE_BYTES, DEFAULT_RETRIES,
    DEFAULT_TIMEOUT, MAX_RETRIES,
};
pub use error::{ClientError, ConfigError, FailureKind};
pub use mode::{SigningMode, UnknownSigningMode};
pub use path::{PathRefusal, join_path};
pub use request::{CallContext, ServiceRequest, ServiceResponse, TRACE_ID_HEADER};
pub use retry::{RetryPolicy, is_idempotent, is_retryable_status};
pub use signing::{
    Credentials, ENV_ACCESS_KEY_ID, ENV_DEFAULT_REGION, ENV_REGION, ENV_SECRET_ACCESS_KEY,
    ENV_SESSION_TOKEN, RequestSigner, SERVICE_NAME, SigningError, UNSIGNED_HEADERS,
    region_from_lookup,
};

#[cfg(test)]
mod tests;
