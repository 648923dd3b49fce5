//! SigV4 / SigV4A signing of outgoing requests for service `vpc-lattice-svcs` (via `aws-sigv4`).
//!
//! Lattice does not support payload signing, so every signed request carries
//! `x-amz-content-sha256: UNSIGNED-PAYLOAD` and the body is never hashed.

use std::borrow::Cow;
use std::fmt;
use std::time::SystemTime;

use aws_sigv4::http_request::{
    PayloadChecksumKind, SignableBody, SignableRequest, SigningSettings, sign,
};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;

use super::config::SigningMode;
use super::error::ConfigError;

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

/// Why a request could not be signed.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct SigningError(String);

/// Signs requests with fixed credentials, region and algorithm. Built once, used per request.
#[derive(Clone)]
pub struct RequestSigner {
    algorithm: Algorithm,
    identity: Identity,
    /// SigV4: the region; SigV4A: the region set (e.g. `us-west-2` or `*`).
    scope: String,
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
        RequestSigner {
            algorithm: Algorithm::V4,
            identity: credentials.inner.into(),
            scope: region.into(),
        }
    }

    /// A SigV4A signer for `region_set` (a region, a comma-separated list, or `*`).
    #[cfg(feature = "sigv4a")]
    pub fn sigv4a(credentials: Credentials, region_set: impl Into<String>) -> Self {
        RequestSigner {
            algorithm: Algorithm::V4a,
            identity: credentials.inner.into(),
            scope: region_set.into(),
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

    /// Signs `request` as of `time`, adding `authorization`, `x-amz-date`,
    /// `x-amz-content-sha256: UNSIGNED-PAYLOAD`, `x-amz-security-token` (with a session token)
    /// and, for SigV4A, `x-amz-region-set`.
    ///
    /// Every header present is signed except [`UNSIGNED_HEADERS`], so the caller must set all
    /// headers it sends — including `host` — before calling this.
    pub fn sign<B>(
        &self,
        request: &mut http::Request<B>,
        time: SystemTime,
    ) -> Result<(), SigningError> {
        let mut settings = SigningSettings::default();
        settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
        settings.excluded_headers =
            Some(UNSIGNED_HEADERS.iter().map(|h| Cow::Borrowed(*h)).collect());

        let uri = request.uri().to_string();
        let mut headers = Vec::with_capacity(request.headers().len());
        for (name, value) in request.headers() {
            let value = value.to_str().map_err(|_| {
                SigningError(format!(
                    "header {name} is not visible ASCII and cannot be signed"
                ))
            })?;
            headers.push((name.as_str(), value));
        }
        let signable = SignableRequest::new(
            request.method().as_str(),
            uri,
            headers.into_iter(),
            SignableBody::UnsignedPayload,
        )
        .map_err(|e| SigningError(e.to_string()))?;

        let params = match self.algorithm {
            Algorithm::V4 => v4::SigningParams::builder()
                .identity(&self.identity)
                .region(&self.scope)
                .name(SERVICE_NAME)
                .time(time)
                .settings(settings)
                .build()
                .map_err(|e| SigningError(e.to_string()))?
                .into(),
            #[cfg(feature = "sigv4a")]
            Algorithm::V4a => aws_sigv4::sign::v4a::SigningParams::builder()
                .identity(&self.identity)
                .region_set(&self.scope)
                .name(SERVICE_NAME)
                .time(time)
                .settings(settings)
                .build()
                .map_err(|e| SigningError(e.to_string()))?
                .into(),
        };
        let (instructions, _signature) = sign(signable, &params)
            .map_err(|e| SigningError(e.to_string()))?
            .into_parts();
        instructions.apply_to_request_http1x(request);
        Ok(())
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
mod tests {
    use super::*;
    use std::time::Duration;

    const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
    const TOKEN: &str = "SESSIONTOKENEXAMPLEVALUE";

    fn creds() -> Credentials {
        Credentials::new("AKIDEXAMPLE", SECRET, Some(TOKEN.into()))
    }

    fn request() -> http::Request<()> {
        http::Request::get("https://svc.example.on.aws/app?b=2&a=1")
            .header("host", "svc.example.on.aws")
            .body(())
            .unwrap()
    }

    fn time() -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_440_938_160)
    }

    #[test]
    fn sigv4_adds_the_lattice_headers() {
        let signer = RequestSigner::sigv4(creds(), "us-west-2");
        let mut req = request();
        signer.sign(&mut req, time()).unwrap();
        let h = req.headers();
        assert_eq!(h["x-amz-content-sha256"], "UNSIGNED-PAYLOAD");
        assert_eq!(h["x-amz-date"], "20150830T123600Z");
        assert_eq!(h["x-amz-security-token"], TOKEN);
        let auth = h["authorization"].to_str().unwrap();
        assert!(auth.starts_with(
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-west-2/vpc-lattice-svcs/aws4_request"
        ), "{auth}");
        assert!(
            auth.contains(
                "SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-amz-security-token"
            ),
            "{auth}"
        );
        assert!(!auth.contains(SECRET));
    }

    #[test]
    fn signing_is_deterministic_for_a_fixed_time_and_changes_with_it() {
        let signer = RequestSigner::sigv4(creds(), "us-west-2");
        let sign_at = |t| {
            let mut req = request();
            signer.sign(&mut req, t).unwrap();
            req.headers()["authorization"].clone()
        };
        assert_eq!(sign_at(time()), sign_at(time()));
        assert_ne!(sign_at(time()), sign_at(time() + Duration::from_secs(1)));
    }

    #[test]
    fn trace_id_and_user_agent_are_not_signed() {
        let signer = RequestSigner::sigv4(creds(), "us-west-2");
        let mut req = request();
        req.headers_mut().insert(
            "x-amzn-trace-id",
            "Root=1-5759e988-bd862e3fe1be46a994272793".parse().unwrap(),
        );
        req.headers_mut()
            .insert("user-agent", "test".parse().unwrap());
        signer.sign(&mut req, time()).unwrap();
        let auth = req.headers()["authorization"].to_str().unwrap();
        assert!(
            !auth.contains("x-amzn-trace-id") && !auth.contains("user-agent"),
            "{auth}"
        );
    }

    #[cfg(feature = "sigv4a")]
    #[test]
    fn sigv4a_adds_region_set_and_ecdsa_algorithm() {
        let signer = RequestSigner::sigv4a(creds(), "*");
        let mut req = request();
        signer.sign(&mut req, time()).unwrap();
        assert_eq!(req.headers()["x-amz-region-set"], "*");
        let auth = req.headers()["authorization"].to_str().unwrap();
        assert!(auth.starts_with("AWS4-ECDSA-P256-SHA256 Credential=AKIDEXAMPLE/20150830/vpc-lattice-svcs/aws4_request"), "{auth}");
        assert_eq!(signer.mode(), SigningMode::SigV4a);
    }

    #[test]
    fn missing_credentials_name_the_variable() {
        let err = Credentials::from_lookup(SigningMode::SigV4, |_| None).unwrap_err();
        assert!(err.to_string().contains(ENV_ACCESS_KEY_ID), "{err}");
        let err = Credentials::from_lookup(SigningMode::SigV4, |name| {
            (name == ENV_ACCESS_KEY_ID).then(|| "AKID".to_owned())
        })
        .unwrap_err();
        assert!(err.to_string().contains(ENV_SECRET_ACCESS_KEY), "{err}");
    }

    #[test]
    fn debug_output_hides_secrets() {
        let text = format!(
            "{:?} {:?}",
            creds(),
            RequestSigner::sigv4(creds(), "us-west-2")
        );
        assert!(
            !text.contains(SECRET) && !text.contains(TOKEN) && !text.contains("AKIDEXAMPLE"),
            "{text}"
        );
    }

    #[test]
    fn region_prefers_aws_region() {
        let both = |name: &str| match name {
            ENV_REGION => Some("eu-west-1".to_owned()),
            ENV_DEFAULT_REGION => Some("us-east-1".to_owned()),
            _ => None,
        };
        assert_eq!(region_from_lookup(both).as_deref(), Some("eu-west-1"));
        let fallback = |name: &str| (name == ENV_DEFAULT_REGION).then(|| "us-east-1".to_owned());
        assert_eq!(region_from_lookup(fallback).as_deref(), Some("us-east-1"));
        assert_eq!(region_from_lookup(|_| None), None);
    }
}
