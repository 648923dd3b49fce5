//! SigV4 (`AWS4-HMAC-SHA256`): signing-key derivation, its per-principal cache, verification.

use std::sync::RwLock;

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use zeroize::Zeroizing;

use super::authorization::SIGV4_ALGORITHM;
use super::error::AuthFailure;

type HmacSha256 = Hmac<Sha256>;

/// A SigV4 signing key (`kSigning`).
pub(crate) type SigningKey = Zeroizing<[u8; 32]>;

fn keyed(key: &[u8]) -> HmacSha256 {
    // HMAC takes keys of any length (long keys are hashed), so this cannot fail.
    HmacSha256::new_from_slice(key).expect("HMAC-SHA256 accepts keys of any length")
}

fn hmac(key: &[u8], data: &[u8]) -> SigningKey {
    let mut mac = keyed(key);
    mac.update(data);
    Zeroizing::new(mac.finalize().into_bytes().into())
}

/// `kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request")`.
pub(crate) fn derive_signing_key(
    secret: &str,
    date: &str,
    region: &str,
    service: &str,
) -> SigningKey {
    let mut seed = Zeroizing::new(Vec::with_capacity(secret.len() + 4));
    seed.extend_from_slice(b"AWS4");
    seed.extend_from_slice(secret.as_bytes());
    let k_date = hmac(&seed, date.as_bytes());
    let k_region = hmac(k_date.as_ref(), region.as_bytes());
    let k_service = hmac(k_region.as_ref(), service.as_bytes());
    hmac(k_service.as_ref(), b"aws4_request")
}

struct CachedKey {
    date: [u8; 8],
    region: String,
    service: String,
    key: SigningKey,
}

/// The last signing key derived for one principal, keyed by (date, region, service).
///
/// The key changes once a day, so one slot serves nearly every request; the read lock keeps
/// concurrent requests from serialising on it.
#[derive(Default)]
pub(crate) struct SigningKeyCache {
    slot: RwLock<Option<CachedKey>>,
}

impl SigningKeyCache {
    /// The signing key of `secret` for the scope, derived at most once per scope change.
    pub(crate) fn get(&self, secret: &str, date: &str, region: &str, service: &str) -> SigningKey {
        let matches = |cached: &CachedKey| {
            cached.date.as_slice() == date.as_bytes()
                && cached.region == region
                && cached.service == service
        };
        if let Ok(slot) = self.slot.read()
            && let Some(cached) = slot.as_ref().filter(|c| matches(c))
        {
            return cached.key.clone();
        }
        let key = derive_signing_key(secret, date, region, service);
        if let (Ok(mut slot), Ok(date)) = (self.slot.write(), <[u8; 8]>::try_from(date.as_bytes()))
        {
            *slot = Some(CachedKey {
                date,
                region: region.to_owned(),
                service: service.to_owned(),
                key: key.clone(),
            });
        }
        key
    }
}

/// The scope and hashed canonical request a SigV4/SigV4A signature covers.
pub(crate) struct StringToSign<'a> {
    pub(crate) amz_date: &'a str,
    pub(crate) scope_date: &'a str,
    /// SigV4 only: SigV4A scopes have no region.
    pub(crate) region: Option<&'a str>,
    pub(crate) service: &'a str,
    /// Lowercase hex SHA-256 of the canonical request.
    pub(crate) canonical_request_hash: &'a [u8; 64],
}

impl StringToSign<'_> {
    /// Feeds `ALGORITHM \n date \n scope \n hash` to `put`, piece by piece.
    pub(crate) fn write(&self, algorithm: &str, mut put: impl FnMut(&[u8])) {
        put(algorithm.as_bytes());
        put(b"\n");
        put(self.amz_date.as_bytes());
        put(b"\n");
        put(self.scope_date.as_bytes());
        put(b"/");
        if let Some(region) = self.region {
            put(region.as_bytes());
            put(b"/");
        }
        put(self.service.as_bytes());
        put(b"/aws4_request\n");
        put(self.canonical_request_hash);
    }
}

/// Checks a SigV4 `signature_hex` over `string_to_sign`, in constant time.
pub(crate) fn verify(
    key: &SigningKey,
    string_to_sign: &StringToSign<'_>,
    signature_hex: &str,
) -> Result<(), AuthFailure> {
    let mut signature = [0u8; 32];
    hex::decode_to_slice(signature_hex, &mut signature).map_err(|_| {
        AuthFailure::MalformedAuthorization("a SigV4 Signature is 64 hexadecimal digits".to_owned())
    })?;
    let mut mac = keyed(key.as_ref());
    string_to_sign.write(SIGV4_ALGORITHM, |bytes| mac.update(bytes));
    mac.verify_slice(&signature)
        .map_err(|_| AuthFailure::SignatureMismatch)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signing_key_matches_the_aws_documentation_example() {
        // "Examples of how to derive a signing key for Signature Version 4" (AWS General Reference).
        let key = derive_signing_key(
            "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            "20120215",
            "us-east-1",
            "iam",
        );
        assert_eq!(
            hex::encode(key.as_ref()),
            "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d"
        );
    }

    #[test]
    fn cache_returns_the_key_of_the_requested_scope() {
        let cache = SigningKeyCache::default();
        let a = cache.get("secret", "20240101", "us-west-2", "vpc-lattice-svcs");
        let again = cache.get("secret", "20240101", "us-west-2", "vpc-lattice-svcs");
        let next_day = cache.get("secret", "20240102", "us-west-2", "vpc-lattice-svcs");
        assert_eq!(a, again);
        assert_ne!(a, next_day);
        assert_eq!(
            next_day,
            derive_signing_key("secret", "20240102", "us-west-2", "vpc-lattice-svcs")
        );
    }

    #[test]
    fn suite_signature_verifies_and_a_flipped_one_does_not() {
        // aws-signing-test-suite/v4/get-vanilla-query-order-encoded (header-string-to-sign.txt).
        let key = derive_signing_key(
            "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            "20150830",
            "us-east-1",
            "service",
        );
        let hash = *b"868294f5c38bd141c4972a373a76654f1418a8e4fc18b2e7903ae45e8ae0ec71";
        let sts = StringToSign {
            amz_date: "20150830T123600Z",
            scope_date: "20150830",
            region: Some("us-east-1"),
            service: "service",
            canonical_request_hash: &hash,
        };
        let good = "371d3713e185cc334048618a97f809c9ffe339c62934c032af5a0e595648fcac";
        assert_eq!(verify(&key, &sts, good), Ok(()));
        let flipped = "371d3713e185cc334048618a97f809c9ffe339c62934c032af5a0e595648fcad";
        assert_eq!(
            verify(&key, &sts, flipped),
            Err(AuthFailure::SignatureMismatch)
        );
        assert!(matches!(
            verify(&key, &sts, "abcd"),
            Err(AuthFailure::MalformedAuthorization(_))
        ));
    }
}
