//! A SigV4/SigV4A request signer for tests, built on `aws-sigv4`: independent of the verifiers
//! under test (`lattice-local`'s auth) so that a shared mistake cannot make both agree.
//!
//! ```
//! use lattice_test_support::signing::{Algorithm, Signer};
//!
//! let mut request = http::Request::get("http://svc.lattice.localhost/items")
//!     .header("host", "svc.lattice.localhost")
//!     .body(())
//!     .unwrap();
//! Signer {
//!     algorithm: Algorithm::SigV4A,
//!     ..Signer::lattice("AKIDEXAMPLE", "secret", "us-west-2")
//! }
//! .sign(&mut request);
//! assert!(request.headers().contains_key("authorization"));
//! ```

use std::time::SystemTime;

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::{v4, v4a};
use aws_smithy_runtime_api::client::identity::Identity;
use http::Request;

/// Whether and how the payload hash header is sent ([`Signer::checksum`]).
pub use aws_sigv4::http_request::PayloadChecksumKind;

/// VPC Lattice's signing name.
pub const LATTICE_SERVICE: &str = "vpc-lattice-svcs";

/// Which signature to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    /// `AWS4-HMAC-SHA256`, scoped to one region.
    SigV4,
    /// `AWS4-ECDSA-P256-SHA256`, scoped to a region set.
    SigV4A,
}

/// How a test request is signed; build one with [`Signer::lattice`] and change fields with
/// struct update syntax.
#[derive(Debug, Clone, Copy)]
pub struct Signer<'a> {
    /// The access key id.
    pub access_key_id: &'a str,
    /// The secret access key.
    pub secret: &'a str,
    /// The session token, for temporary credentials.
    pub token: Option<&'a str>,
    /// SigV4 or SigV4A.
    pub algorithm: Algorithm,
    /// SigV4: the region; SigV4A: the region set.
    pub scope: &'a str,
    /// The signing name.
    pub service: &'a str,
    /// The signing time.
    pub time: SystemTime,
    /// Whether `x-amz-content-sha256` is sent.
    pub checksum: PayloadChecksumKind,
}

impl<'a> Signer<'a> {
    /// SigV4 for `vpc-lattice-svcs` in `region` with these keys, now, no session token, with
    /// `x-amz-content-sha256: UNSIGNED-PAYLOAD` (as the AWS SDKs send to Lattice).
    pub fn lattice(access_key_id: &'a str, secret: &'a str, region: &'a str) -> Self {
        Signer {
            access_key_id,
            secret,
            token: None,
            algorithm: Algorithm::SigV4,
            scope: region,
            service: LATTICE_SERVICE,
            time: SystemTime::now(),
            checksum: PayloadChecksumKind::XAmzSha256,
        }
    }

    /// Signs `request` (unsigned payload) and adds the signature's headers to it.
    ///
    /// # Panics
    /// When a header value is not visible ASCII or `aws-sigv4` refuses the inputs: test
    /// requests are built to be signable.
    pub fn sign<B>(&self, request: &mut Request<B>) {
        let identity: Identity = Credentials::new(
            self.access_key_id,
            self.secret,
            self.token.map(str::to_owned),
            None,
            "lattice-test-support",
        )
        .into();
        let mut settings = SigningSettings::default();
        settings.payload_checksum_kind = self.checksum;
        let headers: Vec<(&str, &str)> = request
            .headers()
            .iter()
            .map(|(n, v)| (n.as_str(), v.to_str().expect("ascii test header")))
            .collect();
        let uri = request.uri().to_string();
        let signable = SignableRequest::new(
            request.method().as_str(),
            uri,
            headers.into_iter(),
            SignableBody::UnsignedPayload,
        )
        .expect("signable");
        let params = match self.algorithm {
            Algorithm::SigV4 => v4::SigningParams::builder()
                .identity(&identity)
                .region(self.scope)
                .name(self.service)
                .time(self.time)
                .settings(settings)
                .build()
                .expect("v4 params")
                .into(),
            Algorithm::SigV4A => v4a::SigningParams::builder()
                .identity(&identity)
                .region_set(self.scope)
                .name(self.service)
                .time(self.time)
                .settings(settings)
                .build()
                .expect("v4a params")
                .into(),
        };
        let (instructions, _) = sign(signable, &params).expect("signed").into_parts();
        instructions.apply_to_request_http1x(request);
    }
}
