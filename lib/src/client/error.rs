//! Typed errors of the Lattice client: configuration (at construction) and calls (per request).
//!
//! Messages name the host, the variable or the condition, and never contain credentials,
//! signatures or security tokens: they end up in Lambda function errors and logs.

use std::path::PathBuf;
use std::time::Duration;

/// Why a [`LatticeClient`](super::LatticeClient) (or its configuration) could not be built.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// A required environment variable is not set (or is empty).
    #[error("{variable} is required but not set")]
    MissingVariable {
        /// Name of the variable.
        variable: &'static str,
    },
    /// An environment variable holds a value that cannot be used.
    #[error("{variable} is invalid ({value:?}): {reason}")]
    InvalidVariable {
        /// Name of the variable.
        variable: &'static str,
        /// The rejected value (only ever a non-secret `LATTICE_*` setting).
        value: String,
        /// What was expected instead.
        reason: String,
    },
    /// Signing was asked for but a credential variable is missing.
    #[error("{signing} signing is enabled but {variable} is not set")]
    MissingCredentials {
        /// The signing mode that needs credentials.
        signing: super::mode::SigningMode,
        /// The missing variable.
        variable: &'static str,
    },
    /// Signing was asked for but no region is known.
    #[error("{signing} signing is enabled but neither AWS_REGION nor AWS_DEFAULT_REGION is set")]
    MissingRegion {
        /// The signing mode that needs a region.
        signing: super::mode::SigningMode,
    },
    /// SigV4A was asked for but this build lacks the `sigv4a` feature.
    #[error("sigv4a signing needs lattice-lambda's `sigv4a` cargo feature")]
    SigV4aUnavailable,
    /// The extra CA bundle could not be read.
    #[error("cannot read CA bundle {path}: {source}")]
    CaBundleRead {
        /// Path of the bundle.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The extra CA bundle holds no usable PEM certificate.
    #[error("CA bundle {path} holds no usable PEM certificate{detail}")]
    CaBundleInvalid {
        /// Path of the bundle.
        path: PathBuf,
        /// Parser detail, prefixed with ": " when present.
        detail: String,
    },
    /// The HTTP client (TLS roots, connector) could not be created.
    #[error("cannot build the HTTP client: {0}")]
    HttpClient(String),
}

/// How a failed call should be reported, e.g. as a Lambda `errorType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    /// The upstream could not be reached or broke the connection (after retries).
    Unavailable,
    /// The upstream did not answer within the attempt timeout or the invocation deadline.
    Timeout,
    /// The request itself was unusable (bad header, URL, signing input): retrying cannot help.
    InvalidRequest,
}

/// Why a call through [`LatticeClient`](super::LatticeClient) failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// Every attempt failed to connect or lost the connection (refused, reset, closed mid-body).
    #[error("upstream {host} unavailable after {attempts} attempt(s): {cause}")]
    Unavailable {
        /// `host[:port]` of the upstream.
        host: String,
        /// Attempts made.
        attempts: u32,
        /// Transport cause of the last attempt (no credentials).
        cause: String,
    },
    /// The last attempt ran out of time (its timeout, or what was left of the deadline).
    #[error(
        "upstream {host} did not answer within {} ms (attempt {attempts}): {cause}",
        waited.as_millis()
    )]
    Timeout {
        /// `host[:port]` of the upstream.
        host: String,
        /// Attempts made.
        attempts: u32,
        /// How long the last attempt waited.
        waited: Duration,
        /// What ran out: the attempt timeout or the invocation deadline.
        cause: String,
    },
    /// The invocation deadline (minus its margin) had passed before an attempt could start.
    #[error(
        "upstream {host}: invocation deadline reached before attempt {next_attempt} could start"
    )]
    DeadlineExceeded {
        /// `host[:port]` of the upstream.
        host: String,
        /// Number of the attempt that could not start (1 = the first).
        next_attempt: u32,
    },
    /// The upstream response body exceeded the configured limit.
    #[error("upstream {host} sent a response body larger than {limit} bytes")]
    ResponseTooLarge {
        /// `host[:port]` of the upstream.
        host: String,
        /// The configured limit.
        limit: usize,
    },
    /// The request could not be built (URL, header or body problem).
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    /// A caller-given path was refused because it could reach outside the service URL's path.
    #[error("path {path:?} refused: {reason}")]
    InvalidPath {
        /// The path as given.
        path: String,
        /// Which rule refused it.
        reason: super::PathRefusal,
    },
    /// A signed request to an `http://` URL would go through an HTTP proxy, which would read
    /// the signature and the session token in clear.
    #[error(
        "refusing to send a signed request to http://{host} through the HTTP proxy set in \
         HTTP_PROXY/ALL_PROXY: the proxy would see the signature and session token in clear; \
         use an https:// URL or add the host to NO_PROXY"
    )]
    SignedPlainHttpThroughProxy {
        /// `host[:port]` of the upstream.
        host: String,
    },
    /// The request could not be signed.
    #[error("cannot sign the request to {host}: {reason}")]
    Signing {
        /// `host[:port]` of the upstream.
        host: String,
        /// Reason reported by the signer (never key material).
        reason: String,
    },
}

impl ClientError {
    /// How this failure should be reported (maps to `UpstreamUnavailable` / `UpstreamTimeout`).
    pub fn kind(&self) -> FailureKind {
        match self {
            ClientError::Unavailable { .. } | ClientError::ResponseTooLarge { .. } => {
                FailureKind::Unavailable
            }
            ClientError::Timeout { .. } | ClientError::DeadlineExceeded { .. } => {
                FailureKind::Timeout
            }
            ClientError::InvalidRequest(_)
            | ClientError::InvalidPath { .. }
            | ClientError::SignedPlainHttpThroughProxy { .. }
            | ClientError::Signing { .. } => FailureKind::InvalidRequest,
        }
    }
}

/// Renders an error and its sources as `outer: inner: innermost`, skipping repeats.
///
/// reqwest's own `Display` names only the outermost layer ("error sending request"), which
/// says nothing about refused vs reset; the cause chain does.
pub(crate) fn cause_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut current: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(err) = current {
        let text = err.to_string();
        if !text.is_empty() && !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        current = err.source();
    }
    parts.join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("outer")]
    struct Outer(#[source] std::io::Error);

    #[test]
    fn cause_chain_joins_sources() {
        let err = Outer(std::io::Error::new(
            std::io::ErrorKind::ConnectionRefused,
            "refused",
        ));
        assert_eq!(cause_chain(&err), "outer: refused");
    }

    #[test]
    fn kinds_map_to_lambda_error_types() {
        let timeout = ClientError::DeadlineExceeded {
            host: "h".into(),
            next_attempt: 2,
        };
        assert_eq!(timeout.kind(), FailureKind::Timeout);
        let unavailable = ClientError::Unavailable {
            host: "h:1".into(),
            attempts: 3,
            cause: "connection refused".into(),
        };
        assert_eq!(unavailable.kind(), FailureKind::Unavailable);
        assert!(unavailable.to_string().contains("h:1"));
        assert!(unavailable.to_string().contains("connection refused"));
    }
}
