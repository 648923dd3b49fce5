//! SigV4A (`AWS4-ECDSA-P256-SHA256`): the P-256 key derived from the secret, and verification.
//!
//! The key pair is derived from the access key and secret as the SigV4A specification (and
//! `aws-sigv4`'s `sign::v4a`) does: NIST SP 800-108 HMAC-SHA256 KDF in counter mode, keyed with
//! `"AWS4A" + secret`, over `be32(1) || "AWS4-ECDSA-P256-SHA256" || 0x00 || access key ||
//! counter || be32(256)`, retrying with the next counter until the candidate `c <= n - 2`;
//! the private key is `c + 1`. Only the public half is kept (per principal, derived once).

use std::sync::OnceLock;

use p256::ecdsa::signature::hazmat::PrehashVerifier;
use p256::ecdsa::{Signature, SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use super::authorization::SIGV4A_ALGORITHM;
use super::error::AuthFailure;
use super::sigv4::StringToSign;
use super::wildcard::wildcard_match;

/// A principal's SigV4A public key, derived on first use (`None` if derivation failed).
pub(crate) type VerifyingKeyCell = OnceLock<Option<VerifyingKey>>;

/// Order of the P-256 group minus two, big-endian.
const N_MINUS_2: [u8; 32] = [
    0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x4f,
];

/// Longest DER encoding of a P-256 ECDSA signature.
const MAX_DER_LEN: usize = 72;

/// The private scalar for `access_key_id`/`secret` (big-endian), or `None` if every counter
/// value gave an out-of-range candidate (probability about 2^-8000).
pub(crate) fn derive_private_key(access_key_id: &str, secret: &str) -> Option<Zeroizing<[u8; 32]>> {
    use hmac::{Hmac, KeyInit, Mac};
    let mut input_key = Zeroizing::new(Vec::with_capacity(secret.len() + 5));
    input_key.extend_from_slice(b"AWS4A");
    input_key.extend_from_slice(secret.as_bytes());
    for counter in 1u8..=254 {
        // HMAC takes keys of any length, so this cannot fail.
        let mut mac =
            Hmac::<Sha256>::new_from_slice(&input_key).expect("HMAC accepts any key length");
        mac.update(&1u32.to_be_bytes());
        mac.update(SIGV4A_ALGORITHM.as_bytes());
        mac.update(&[0]);
        mac.update(access_key_id.as_bytes());
        mac.update(&[counter]);
        mac.update(&256u32.to_be_bytes());
        let mut candidate = Zeroizing::new(<[u8; 32]>::from(mac.finalize().into_bytes()));
        // Equal-length big-endian byte strings compare like the numbers they encode.
        if *candidate <= N_MINUS_2 {
            add_one(&mut candidate);
            return Some(candidate);
        }
    }
    None
}

/// Adds one to a big-endian number that is below the maximum (`<= n - 2` here).
fn add_one(number: &mut [u8; 32]) {
    for byte in number.iter_mut().rev() {
        let (sum, overflow) = byte.overflowing_add(1);
        *byte = sum;
        if !overflow {
            return;
        }
    }
}

/// The public key of the pair derived from `access_key_id`/`secret`.
pub(crate) fn derive_verifying_key(access_key_id: &str, secret: &str) -> Option<VerifyingKey> {
    let private = derive_private_key(access_key_id, secret)?;
    let signing = SigningKey::from_slice(private.as_ref()).ok()?;
    Some(*signing.verifying_key())
}

/// Checks a SigV4A DER `signature_hex` over `string_to_sign`.
pub(crate) fn verify(
    key: &VerifyingKey,
    string_to_sign: &StringToSign<'_>,
    signature_hex: &str,
) -> Result<(), AuthFailure> {
    let malformed = || {
        AuthFailure::MalformedAuthorization(
            "a SigV4A Signature is a hex-encoded DER ECDSA signature".to_owned(),
        )
    };
    let mut der = [0u8; MAX_DER_LEN];
    let len = signature_hex.len() / 2;
    if !signature_hex.len().is_multiple_of(2) || len > MAX_DER_LEN {
        return Err(malformed());
    }
    hex::decode_to_slice(signature_hex, &mut der[..len]).map_err(|_| malformed())?;
    let signature = Signature::from_der(&der[..len]).map_err(|_| malformed())?;
    let mut digest = Sha256::new();
    string_to_sign.write(SIGV4A_ALGORITHM, |bytes| digest.update(bytes));
    key.verify_prehash(&digest.finalize(), &signature)
        .map_err(|_| AuthFailure::SignatureMismatch)
}

/// Whether `region_set` (`us-west-2`, `us-west-2,eu-west-1`, `us-*`, `*`) includes `region`.
pub(crate) fn region_set_includes(region_set: &str, region: &str) -> bool {
    region_set
        .split(',')
        .map(str::trim)
        .any(|entry| wildcard_match(entry, region, true))
}

#[cfg(test)]
mod tests {
    use super::*;
    use p256::elliptic_curve::sec1::ToSec1Point;

    const AKID: &str = "AKIDEXAMPLE";
    const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

    #[test]
    fn derived_key_matches_the_published_test_suite_key() {
        // aws-signing-test-suite/v4a/*/public-key.json.
        let key = derive_verifying_key(AKID, SECRET).expect("derivable");
        let point = key.as_affine().to_sec1_point(false);
        assert_eq!(
            point.x().map(hex::encode).as_deref(),
            Some("b6618f6a65740a99e650b33b6b4b5bd0d43b176d721a3edfea7e7d2d56d936b1")
        );
        assert_eq!(
            point.y().map(hex::encode).as_deref(),
            Some("865ed22a7eadc9c5cb9d2cbaca1b3699139fedc5043dc6661864218330c8e518")
        );
    }

    #[test]
    fn suite_signature_verifies_with_the_derived_key() {
        // aws-signing-test-suite/v4a/get-vanilla: header-string-to-sign.txt, header-signature.txt
        // (signed by aws-c-auth, the CRT, with a random nonce).
        let key = derive_verifying_key(AKID, SECRET).expect("derivable");
        let hash = *b"cf59db423e841c8b7e3444158185aa261b724a5c27cbe762676f3eed19f4dc02";
        let sts = StringToSign {
            amz_date: "20150830T123600Z",
            scope_date: "20150830",
            region: None,
            service: "service",
            canonical_request_hash: &hash,
        };
        let signature = "3045022018b4e277d0281864beb51d3600e23f88510ea5031d68ddfbb68614b82a5eb7d2022100effb9c5f22ed9ef3ae0ab243d21f06bce82365bbb79529a07b6888c343ae5f8c";
        assert_eq!(verify(&key, &sts, signature), Ok(()));

        let other = derive_verifying_key(AKID, "another secret").expect("derivable");
        assert_eq!(
            verify(&other, &sts, signature),
            Err(AuthFailure::SignatureMismatch)
        );
        let mut flipped = signature.to_owned();
        flipped.replace_range(20..21, "0");
        assert!(verify(&key, &sts, &flipped).is_err());
        assert!(matches!(
            verify(&key, &sts, "30"),
            Err(AuthFailure::MalformedAuthorization(_))
        ));
    }

    #[test]
    fn add_one_carries() {
        let mut n = [0u8; 32];
        n[31] = 0xff;
        n[30] = 0xff;
        add_one(&mut n);
        assert_eq!(n[29..], [1, 0, 0]);
    }

    #[test]
    fn region_sets() {
        assert!(region_set_includes("*", "us-west-2"));
        assert!(region_set_includes("eu-west-1, us-west-2", "us-west-2"));
        assert!(region_set_includes("us-*", "us-west-2"));
        assert!(!region_set_includes("eu-*", "us-west-2"));
        assert!(!region_set_includes("us-west-1", "us-west-2"));
    }
}
