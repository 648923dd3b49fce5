//! SigV4 / SigV4A signing of outgoing requests for service `vpc-lattice-svcs`.
//!
//! Lattice does not support payload signing, so every signed request carries
//! `x-amz-content-sha256: UNSIGNED-PAYLOAD` and the body is never hashed.
//!
//! Both algorithms go through `aws_sigv4::http_request::sign`, maintained by AWS: a
//! hand-written canonical request saved a few microseconds against Lattice round trips of
//! milliseconds, and was one more place where a SigV4 rule could drift. aws-sigv4 derives the
//! SigV4 signing key on every call; its API takes credentials, not a derived key, so the key
//! cannot be cached per day (four HMACs, about a microsecond, are spent again per request).
//!
//! What is ours: refusing what aws-sigv4 would panic on (no host, a date it cannot write, a
//! header value it cannot set) with a [`SigningError`], and applying its headers ourselves.

use std::borrow::Cow;
use std::fmt;
use std::time::{Duration, SystemTime};

use aws_sigv4::http_request::{
    PayloadChecksumKind, SignableBody, SignableRequest, SigningSettings, sign,
};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;
use http::HeaderValue;
use http::header::HeaderName;

use super::error::ConfigError;
use super::mode::SigningMode;

/// Headers left out of the signature: ones proxies and tracing may add, drop or rewrite on
/// the way (hop-by-hop headers, trace context). This is the list botocore and the AWS CRT
/// leave out, so a verifier built on them reads the same signed-header set.
pub const UNSIGNED_HEADERS: &[&str] = &[
    "authorization",
    "baggage",
    "connection",
    "expect",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "traceparent",
    "tracestate",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "user-agent",
    "x-amzn-trace-id",
];

/// Signing name of VPC Lattice services.
pub const SERVICE_NAME: &str = "vpc-lattice-svcs";

/// Environment variable holding the access key id.
pub const ENV_ACCESS_KEY_ID: &str = "AWS_ACCESS_KEY_ID";
/// Environment variable holding the secret access key.
pub const ENV_SECRET_ACCESS_KEY: &str = "AWS_SECRET_ACCESS_KEY";
/// Environment variable holding the session token (set for Lambda execution roles).
pub const ENV_SESSION_TOKEN: &str = "AWS_SESSION_TOKEN";
/// Environment variable holding the region (set by Lambda).
pub const ENV_REGION: &str = "AWS_REGION";
/// Fallback region variable (set by the AWS CLI/SDK configuration, not by Lambda).
pub const ENV_DEFAULT_REGION: &str = "AWS_DEFAULT_REGION";

/// AWS credentials used for signing. `Debug` never shows the secret key or the token.
#[derive(Clone)]
pub struct Credentials {
    inner: aws_credential_types::Credentials,
}

impl Credentials {
    /// Credentials from explicit values.
    pub fn new(
        access_key_id: impl Into<String>,
        secret_access_key: impl Into<String>,
        session_token: Option<String>,
    ) -> Self {
        Credentials {
            inner: aws_credential_types::Credentials::new(
                access_key_id,
                secret_access_key,
                session_token,
                None,
                "lattice-lambda",
            ),
        }
    }

    /// Credentials from `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`.
    pub fn from_env(signing: SigningMode) -> Result<Self, ConfigError> {
        Self::from_lookup(signing, |name| std::env::var(name).ok())
    }

    /// Like [`Credentials::from_env`], reading variables through `lookup`.
    ///
    /// `signing` only serves the error message (which mode needed the credentials).
    pub fn from_lookup(
        signing: SigningMode,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, ConfigError> {
        let get = |name: &str| lookup(name).filter(|v| !v.is_empty());
        let missing = |variable| ConfigError::MissingCredentials { signing, variable };
        let access_key_id = get(ENV_ACCESS_KEY_ID).ok_or_else(|| missing(ENV_ACCESS_KEY_ID))?;
        let secret = get(ENV_SECRET_ACCESS_KEY).ok_or_else(|| missing(ENV_SECRET_ACCESS_KEY))?;
        Ok(Self::new(access_key_id, secret, get(ENV_SESSION_TOKEN)))
    }

    /// The access key id (not a secret, but identifies the principal).
    pub fn access_key_id(&self) -> &str {
        self.inner.access_key_id()
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key_id", &"<redacted>")
            .field("secret_access_key", &"<redacted>")
            .field(
                "session_token",
                &self.inner.session_token().map(|_| "<redacted>"),
            )
            .finish()
    }
}

/// Reads the region from `AWS_REGION`, then `AWS_DEFAULT_REGION`.
pub fn region_from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Option<String> {
    [ENV_REGION, ENV_DEFAULT_REGION]
        .into_iter()
        .find_map(|name| lookup(name).filter(|v| !v.trim().is_empty()))
        .map(|v| v.trim().to_owned())
}

/// Why a request could not be signed. Never carries key material.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SigningError {
    /// A header value is not visible ASCII: SigV4 canonicalises text only.
    #[error("header {name} is not visible ASCII and cannot be signed")]
    HeaderNotText {
        /// The header.
        name: String,
    },
    /// Neither a `host` header nor a host in the URI: there is nothing to sign the host with.
    #[error("the request has no host (no host header and no host in the URI) to sign")]
    NoHost,
    /// The signing time cannot be written as `YYYYMMDD'T'HHMMSS'Z'` (before 1970 or after 9999).
    #[error("the signing time is before 1970 or after 9999")]
    TimeOutOfRange,
    /// A value the signature adds cannot be an HTTP header value (the value is not shown: it
    /// may be the session token).
    #[error("{header} cannot be sent: its value is not a valid header value")]
    InvalidSignatureHeader {
        /// The header aws-sigv4 produced (`authorization`, `x-amz-security-token`, …).
        header: String,
    },
    /// aws-sigv4 refused the request (for example a URI it cannot parse).
    #[error("aws-sigv4 refused the request: {0}")]
    Refused(String),
}

/// The last instant whose date has four digits: 9999-12-31T23:59:59Z.
const LAST_SIGNABLE_SECOND: u64 = 253_402_300_799;

/// Signs requests with fixed credentials, region and algorithm. Built once, used per request.
#[derive(Clone)]
pub struct RequestSigner {
    algorithm: Algorithm,
    /// The credentials as aws-sigv4 takes them.
    identity: Identity,
    /// SigV4: the region; SigV4A: the region set (e.g. `us-west-2` or `*`).
    scope: String,
    /// The session token cannot be a header value (a line break, say): every signature
    /// would fail, so it is found once, here, and reported by name.
    token_unsendable: bool,
    /// Lattice's settings (unsigned payload, [`UNSIGNED_HEADERS`]), built once.
    settings: SigningSettings,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Algorithm {
    V4,
    #[cfg(feature = "sigv4a")]
    V4a,
}

impl RequestSigner {
    /// A SigV4 signer for `region`.
    pub fn sigv4(credentials: Credentials, region: impl Into<String>) -> Self {
        Self::new(Algorithm::V4, credentials, region.into())
    }

    /// A SigV4A signer for `region_set` (a region, a comma-separated list, or `*`).
    #[cfg(feature = "sigv4a")]
    pub fn sigv4a(credentials: Credentials, region_set: impl Into<String>) -> Self {
        Self::new(Algorithm::V4a, credentials, region_set.into())
    }

    fn new(algorithm: Algorithm, credentials: Credentials, scope: String) -> Self {
        let token_unsendable = credentials
            .inner
            .session_token()
            .is_some_and(|token| HeaderValue::from_str(token).is_err());
        let mut settings = SigningSettings::default();
        settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
        settings.excluded_headers =
            Some(UNSIGNED_HEADERS.iter().map(|h| Cow::Borrowed(*h)).collect());
        RequestSigner {
            algorithm,
            identity: credentials.inner.into(),
            scope,
            token_unsendable,
            settings,
        }
    }

    /// A signer for `mode` (`None` for [`SigningMode::None`]).
    pub fn for_mode(
        mode: SigningMode,
        credentials: Credentials,
        region: impl Into<String>,
    ) -> Result<Option<Self>, ConfigError> {
        match mode {
            SigningMode::None => Ok(None),
            SigningMode::SigV4 => Ok(Some(Self::sigv4(credentials, region))),
            #[cfg(feature = "sigv4a")]
            SigningMode::SigV4a => Ok(Some(Self::sigv4a(credentials, region))),
            #[cfg(not(feature = "sigv4a"))]
            SigningMode::SigV4a => {
                let _ = (credentials, region.into());
                Err(ConfigError::SigV4aUnavailable)
            }
        }
    }

    /// The signing mode of this signer.
    pub fn mode(&self) -> SigningMode {
        match self.algorithm {
            Algorithm::V4 => SigningMode::SigV4,
            #[cfg(feature = "sigv4a")]
            Algorithm::V4a => SigningMode::SigV4a,
        }
    }

    /// Signs `request` as of `time` through `aws_sigv4::http_request::sign`, adding
    /// `authorization`, `x-amz-date`, `x-amz-content-sha256: UNSIGNED-PAYLOAD`,
    /// `x-amz-security-token` (with a session token, marked sensitive) and, for SigV4A,
    /// `x-amz-region-set`.
    ///
    /// Every header present is signed except [`UNSIGNED_HEADERS`], so the caller must set all
    /// headers it sends — including `host` — before calling this. On error the request is
    /// left unchanged.
    pub fn sign<B>(
        &self,
        request: &mut http::Request<B>,
        time: SystemTime,
    ) -> Result<(), SigningError> {
        signable_time(time)?;
        if self.token_unsendable {
            return Err(SigningError::InvalidSignatureHeader {
                header: "x-amz-security-token".to_owned(),
            });
        }
        if request.uri().host().is_none() && !request.headers().contains_key(http::header::HOST) {
            return Err(SigningError::NoHost);
        }

        let settings = self.settings.clone();

        // Unsigned headers are not handed over at all: aws-sigv4 would only drop them, and
        // its TRACE log prints the request it was given.
        let mut headers = Vec::with_capacity(request.headers().len());
        for (name, value) in request.headers() {
            if UNSIGNED_HEADERS.contains(&name.as_str()) {
                continue;
            }
            let value = value.to_str().map_err(|_| SigningError::HeaderNotText {
                name: name.to_string(),
            })?;
            headers.push((name.as_str(), value));
        }
        let uri = request.uri().to_string();
        let signable = SignableRequest::new(
            request.method().as_str(),
            uri,
            headers.into_iter(),
            SignableBody::UnsignedPayload,
        )
        .map_err(|e| SigningError::Refused(e.to_string()))?;

        let params = match self.algorithm {
            Algorithm::V4 => v4::SigningParams::builder()
                .identity(&self.identity)
                .region(&self.scope)
                .name(SERVICE_NAME)
                .time(time)
                .settings(settings)
                .build()
                .map_err(|e| SigningError::Refused(e.to_string()))?
                .into(),
            #[cfg(feature = "sigv4a")]
            Algorithm::V4a => aws_sigv4::sign::v4a::SigningParams::builder()
                .identity(&self.identity)
                .region_set(&self.scope)
                .name(SERVICE_NAME)
                .time(time)
                .settings(settings)
                .build()
                .map_err(|e| SigningError::Refused(e.to_string()))?
                .into(),
        };
        let (instructions, _signature) = sign(signable, &params)
            .map_err(|e| SigningError::Refused(e.to_string()))?
            .into_parts();

        // Not `apply_to_request_http1x`: it panics on a value HTTP cannot carry (a session
        // token with a line break); every value is checked before any is applied.
        let (signature_headers, _query) = instructions.into_parts();
        let mut apply = Vec::with_capacity(signature_headers.len());
        for header in signature_headers {
            let invalid = || SigningError::InvalidSignatureHeader {
                header: header.name().to_owned(),
            };
            let name = HeaderName::from_bytes(header.name().as_bytes()).map_err(|_| invalid())?;
            let mut value = HeaderValue::from_str(header.value()).map_err(|_| invalid())?;
            value.set_sensitive(header.sensitive());
            apply.push((name, value));
        }
        let target = request.headers_mut();
        for (name, value) in apply {
            target.insert(name, value);
        }
        Ok(())
    }
}

/// Refuses a time whose date aws-sigv4 cannot write in four digits (it would panic past
/// 9999) or that precedes 1970 (no Lattice request is signed then: a broken clock).
fn signable_time(time: SystemTime) -> Result<(), SigningError> {
    match time.duration_since(SystemTime::UNIX_EPOCH) {
        Ok(since) if since < Duration::from_secs(LAST_SIGNABLE_SECOND + 1) => Ok(()),
        _ => Err(SigningError::TimeOutOfRange),
    }
}

impl fmt::Debug for RequestSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequestSigner")
            .field("mode", &self.mode())
            .field("scope", &self.scope)
            .field("credentials", &"<redacted>")
            .finish()
    }
}

#[cfg(test)]
mod tests;
