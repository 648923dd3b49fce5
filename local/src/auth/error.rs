//! Why a signed request was rejected.
//!
//! Messages name the part of the request that was wrong; they never contain a secret key, a
//! session token or a signature (the access key id is an identifier, not a secret, and is shown).

/// A request carried a SigV4/SigV4A signature that does not authenticate it.
///
/// Lattice answers every one of these with `403`, whatever the service's auth type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthFailure {
    /// The `Authorization` header is not a well-formed SigV4/SigV4A header.
    #[error("malformed Authorization header: {0}")]
    MalformedAuthorization(String),
    /// `Authorization` starts with `AWS4-` but names an algorithm other than SigV4/SigV4A.
    #[error(
        "unsupported signing algorithm {0} (expected AWS4-HMAC-SHA256 or AWS4-ECDSA-P256-SHA256)"
    )]
    UnsupportedAlgorithm(String),
    /// The signature is in the query string (a presigned URL), which lattice-local does not accept.
    #[error(
        "presigned (query-string) signatures are not supported; sign with the Authorization header"
    )]
    PresignedUnsupported,
    /// The credential's access key id is not in the local credentials file.
    #[error("access key id {0} is not in the local credentials file")]
    UnknownAccessKey(String),
    /// The credential scope names a service other than `vpc-lattice-svcs`.
    #[error("credential scope names service {found:?}; Lattice expects {expected:?}")]
    WrongService {
        /// The service Lattice requires.
        expected: String,
        /// The service in the credential scope.
        found: String,
    },
    /// The SigV4 credential scope names another region.
    #[error("credential scope names region {found:?}; this Lattice runs in {expected:?}")]
    WrongRegion {
        /// The local region.
        expected: String,
        /// The region in the credential scope.
        found: String,
    },
    /// The SigV4A `x-amz-region-set` does not include the local region.
    #[error("x-amz-region-set {region_set:?} does not include region {region:?}")]
    RegionNotInRegionSet {
        /// The local region.
        region: String,
        /// The region set the request was signed for.
        region_set: String,
    },
    /// `x-amz-date` is missing or not `YYYYMMDDTHHMMSSZ`.
    #[error("x-amz-date: {0}")]
    InvalidDate(String),
    /// The credential scope date differs from the date of `x-amz-date`.
    #[error("credential scope date {scope_date} does not match x-amz-date {amz_date}")]
    ScopeDateMismatch {
        /// Date in the credential scope.
        scope_date: String,
        /// Value of `x-amz-date`.
        amz_date: String,
    },
    /// `x-amz-date` is more than 15 minutes before or after the server clock.
    #[error(
        "request date {amz_date} is {skew_seconds} s {direction} server time (at most 900 s allowed)"
    )]
    ExpiredOrFutureDate {
        /// Value of `x-amz-date`.
        amz_date: String,
        /// Absolute difference to the server clock, in seconds.
        skew_seconds: u64,
        /// `"before"` (expired) or `"after"` (from the future).
        direction: &'static str,
    },
    /// A header named in `SignedHeaders` is absent from the request.
    #[error("signed header {0} is missing from the request")]
    MissingSignedHeader(String),
    /// A header that must be covered by the signature is not in `SignedHeaders`.
    #[error("header {0} must be listed in SignedHeaders")]
    UnsignedRequiredHeader(String),
    /// `x-amz-content-sha256` is absent.
    #[error(
        "x-amz-content-sha256 is missing; Lattice requires x-amz-content-sha256: UNSIGNED-PAYLOAD"
    )]
    MissingContentSha256,
    /// `x-amz-content-sha256` is present but is not `UNSIGNED-PAYLOAD`.
    #[error(
        "Lattice does not support payload signing; x-amz-content-sha256 must be UNSIGNED-PAYLOAD"
    )]
    PayloadSigningUnsupported,
    /// The signature does not match the request (wrong secret, altered request, flipped byte).
    #[error("the request signature does not match the signature computed from the request")]
    SignatureMismatch,
    /// `x-amz-security-token` is absent, unexpected, or differs from the stored session token.
    #[error("the security token included in the request is invalid")]
    InvalidSessionToken,
}
