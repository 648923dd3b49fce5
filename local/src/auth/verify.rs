//! [`authenticate`]: is this request unsigned, validly signed (by whom), or badly signed?

use std::collections::BTreeMap;
use std::time::SystemTime;

use http::header::AUTHORIZATION;
use sha2::{Digest, Sha256};

use super::SigningAlgorithm;
use super::amz_date::{check_skew, parse_amz_date};
use super::arn::{Arn, account_of, vpc_id_of};
use super::authorization::{
    AuthorizationKind, ParsedAuthorization, lists_header, parse_authorization,
};
use super::canonical::{CanonicalInput, QueryForm, canonical_query, write_canonical_request};
use super::credentials::{CredentialStore, LocalPrincipal, StoredPrincipal};
use super::error::AuthFailure;
use super::sigv4::{self, StringToSign};
use super::sigv4a::{self, derive_verifying_key, region_set_includes};

/// Signing name of VPC Lattice services; the only service a credential scope may name.
pub const LATTICE_SERVICE: &str = "vpc-lattice-svcs";

/// The only `x-amz-content-sha256` Lattice accepts: it does not sign payloads.
pub const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";

const X_AMZ_DATE: &str = "x-amz-date";
const X_AMZ_CONTENT_SHA256: &str = "x-amz-content-sha256";
const X_AMZ_SECURITY_TOKEN: &str = "x-amz-security-token";
const X_AMZ_REGION_SET: &str = "x-amz-region-set";

/// The principal a valid signature identifies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// ARN of the principal (from the credentials file).
    pub principal_arn: String,
    /// Its organization id, if any (`aws:PrincipalOrgID`).
    pub principal_org_id: Option<String>,
    /// Its account's path in the organization, if known (`aws:PrincipalOrgPaths`).
    pub principal_org_path: Option<String>,
    /// Its principal tags (`aws:PrincipalTag/<key>`, `x-amzn-lattice-identity-tags`).
    pub tags: BTreeMap<String, String>,
    /// Session name for `x-amzn-lattice-identity`, if any.
    pub session_name: Option<String>,
    /// The access key id the request was signed with.
    pub access_key_id: String,
    /// VPC the principal's requests come from (`x-amzn-lattice-network`, `SourceVpc`), if any.
    pub source_vpc_arn: Option<String>,
    /// SigV4 or SigV4A.
    pub algorithm: SigningAlgorithm,
}

impl Caller {
    /// The caller a valid signature by `principal` identifies.
    pub fn from_principal(principal: &LocalPrincipal, algorithm: SigningAlgorithm) -> Caller {
        Caller {
            principal_arn: principal.principal_arn.clone(),
            principal_org_id: principal.principal_org_id.clone(),
            principal_org_path: principal.principal_org_path.clone(),
            tags: principal.tags.clone(),
            session_name: principal.session_name.clone(),
            access_key_id: principal.access_key_id.clone(),
            source_vpc_arn: principal.source_vpc_arn.clone(),
            algorithm,
        }
    }

    /// The 12-digit account of the principal (`aws:PrincipalAccount`); empty if the ARN is invalid.
    pub fn account(&self) -> &str {
        account_of(&self.principal_arn)
    }

    /// The VPC id (`vpc-…`) of [`Caller::source_vpc_arn`].
    pub fn source_vpc_id(&self) -> Option<&str> {
        vpc_id_of(self.source_vpc_arn.as_deref())
    }

    /// `aws:PrincipalType`: `Account`, `User`, `FederatedUser` or `AssumedRole`.
    pub fn principal_type(&self) -> &'static str {
        let resource = Arn::parse(&self.principal_arn).map_or("", |arn| arn.resource);
        if resource == "root" {
            "Account"
        } else if resource.starts_with("user/") {
            "User"
        } else if resource.starts_with("federated-user/") {
            "FederatedUser"
        } else {
            "AssumedRole"
        }
    }
}

/// Authenticates a request the way Lattice does, against the local credentials.
///
/// - `Ok(None)`: the request is unsigned (no `Authorization` header, or a non-AWS scheme such
///   as `Bearer`, which Lattice passes through to the target);
/// - `Ok(Some(caller))`: a valid SigV4 or SigV4A signature by a principal of `store`;
/// - `Err(failure)`: a SigV4/SigV4A signature that does not authenticate the request (Lattice
///   answers `403` even on services with auth type `NONE`).
///
/// `parts` is the request as received (the path and query exactly as sent); `now` is the
/// server clock (a parameter so tests are deterministic); `region` is the local Lattice region.
/// The body is never read: Lattice requires `x-amz-content-sha256: UNSIGNED-PAYLOAD`.
pub fn authenticate(
    store: &CredentialStore,
    parts: &http::request::Parts,
    now: SystemTime,
    region: &str,
) -> Result<Option<Caller>, AuthFailure> {
    let malformed = |what: &str| AuthFailure::MalformedAuthorization(what.to_owned());
    let mut authorizations = parts.headers.get_all(AUTHORIZATION).iter();
    let Some(authorization) = authorizations.next() else {
        return if is_presigned(parts.uri.query().unwrap_or("")) {
            Err(AuthFailure::PresignedUnsupported)
        } else {
            Ok(None)
        };
    };
    if authorizations.next().is_some() {
        return Err(malformed("more than one Authorization header"));
    }
    let authorization = authorization
        .to_str()
        .map_err(|_| malformed("not visible ASCII"))?;
    let parsed = match parse_authorization(authorization)? {
        AuthorizationKind::Aws(parsed) => parsed,
        AuthorizationKind::OtherScheme => return Ok(None),
    };

    let stored = store
        .stored(parsed.access_key_id)
        .ok_or_else(|| AuthFailure::UnknownAccessKey(parsed.access_key_id.to_owned()))?;
    if parsed.service != LATTICE_SERVICE {
        return Err(AuthFailure::WrongService {
            expected: LATTICE_SERVICE.to_owned(),
            found: parsed.service.to_owned(),
        });
    }
    check_region(&parsed, parts, region)?;
    let amz_date = check_date(&parsed, parts, now)?;
    for required in required_signed_headers(parsed.algorithm) {
        if !lists_header(parsed.signed_headers, required) {
            return Err(AuthFailure::UnsignedRequiredHeader((*required).to_owned()));
        }
    }
    let payload_hash =
        single_header(parts, X_AMZ_CONTENT_SHA256)?.ok_or(AuthFailure::MissingContentSha256)?;
    if payload_hash != UNSIGNED_PAYLOAD {
        return Err(AuthFailure::PayloadSigningUnsupported);
    }
    check_session_token(&stored.principal, parts)?;

    let raw_query = parts.uri.query().unwrap_or("");
    let query = canonical_query(raw_query, QueryForm::Reencoded);
    let check = |query: &str| {
        verify_signature(
            stored,
            &parsed,
            parts,
            amz_date,
            payload_hash,
            query,
            region,
        )
    };
    match check(&query) {
        Err(AuthFailure::SignatureMismatch) if !raw_query.is_empty() => {
            // botocore signs the query as sent (e.g. `+` stays `+`), aws-sigv4 re-encodes it;
            // both describe the same request, so either canonical form is accepted.
            let as_sent = canonical_query(raw_query, QueryForm::AsSent);
            if as_sent == query {
                return Err(AuthFailure::SignatureMismatch);
            }
            check(&as_sent)?;
        }
        other => other?,
    }
    Ok(Some(Caller::from_principal(
        &stored.principal,
        parsed.algorithm,
    )))
}

fn required_signed_headers(algorithm: SigningAlgorithm) -> &'static [&'static str] {
    match algorithm {
        SigningAlgorithm::SigV4 => &["host", X_AMZ_DATE],
        // The region set is not in the SigV4A scope: only signing the header binds it.
        SigningAlgorithm::SigV4A => &["host", X_AMZ_DATE, X_AMZ_REGION_SET],
    }
}

fn is_presigned(query: &str) -> bool {
    query.split('&').any(|pair| {
        let key = pair.split_once('=').map_or(pair, |(key, _)| key);
        key.eq_ignore_ascii_case("X-Amz-Signature") || key.eq_ignore_ascii_case("X-Amz-Algorithm")
    })
}

/// The value of a header that may appear at most once.
fn single_header<'a>(
    parts: &'a http::request::Parts,
    name: &str,
) -> Result<Option<&'a str>, AuthFailure> {
    let mut values = parts.headers.get_all(name).iter();
    let Some(value) = values.next() else {
        return Ok(None);
    };
    if values.next().is_some() {
        return Err(AuthFailure::MalformedAuthorization(format!(
            "{name} appears more than once"
        )));
    }
    value
        .to_str()
        .map(|v| Some(v.trim()))
        .map_err(|_| AuthFailure::MalformedAuthorization(format!("{name} is not visible ASCII")))
}

fn check_region(
    parsed: &ParsedAuthorization<'_>,
    parts: &http::request::Parts,
    region: &str,
) -> Result<(), AuthFailure> {
    match parsed.algorithm {
        SigningAlgorithm::SigV4 => match parsed.region {
            Some(found) if found == region => Ok(()),
            found => Err(AuthFailure::WrongRegion {
                expected: region.to_owned(),
                found: found.unwrap_or("").to_owned(),
            }),
        },
        SigningAlgorithm::SigV4A => {
            let region_set = single_header(parts, X_AMZ_REGION_SET)?
                .ok_or_else(|| AuthFailure::MissingSignedHeader(X_AMZ_REGION_SET.to_owned()))?;
            if region_set_includes(region_set, region) {
                Ok(())
            } else {
                Err(AuthFailure::RegionNotInRegionSet {
                    region: region.to_owned(),
                    region_set: region_set.to_owned(),
                })
            }
        }
    }
}

/// Checks `x-amz-date` (present, well-formed, same day as the scope, within ±15 min of `now`).
fn check_date<'a>(
    parsed: &ParsedAuthorization<'_>,
    parts: &'a http::request::Parts,
    now: SystemTime,
) -> Result<&'a str, AuthFailure> {
    // Only `x-amz-date` is accepted (not `Date`): aws-sigv4 and botocore always send it.
    let amz_date = single_header(parts, X_AMZ_DATE)?
        .ok_or_else(|| AuthFailure::InvalidDate("the x-amz-date header is missing".to_owned()))?;
    let date = parse_amz_date(amz_date)?;
    if !amz_date.starts_with(parsed.scope_date) {
        return Err(AuthFailure::ScopeDateMismatch {
            scope_date: parsed.scope_date.to_owned(),
            amz_date: amz_date.to_owned(),
        });
    }
    check_skew(amz_date, date, now)?;
    Ok(amz_date)
}

fn check_session_token(
    principal: &LocalPrincipal,
    parts: &http::request::Parts,
) -> Result<(), AuthFailure> {
    use subtle::ConstantTimeEq;
    let sent =
        single_header(parts, X_AMZ_SECURITY_TOKEN).map_err(|_| AuthFailure::InvalidSessionToken)?;
    match (principal.session_token.as_deref(), sent) {
        (None, None) => Ok(()),
        (Some(expected), Some(sent)) if bool::from(expected.as_bytes().ct_eq(sent.as_bytes())) => {
            Ok(())
        }
        _ => Err(AuthFailure::InvalidSessionToken),
    }
}

fn verify_signature(
    stored: &StoredPrincipal,
    parsed: &ParsedAuthorization<'_>,
    parts: &http::request::Parts,
    amz_date: &str,
    payload_hash: &str,
    query: &str,
    region: &str,
) -> Result<(), AuthFailure> {
    let input = CanonicalInput {
        method: parts.method.as_str(),
        path: parts.uri.path(),
        query,
        headers: &parts.headers,
        authority: parts.uri.authority().map(|a| a.as_str()),
        signed_headers: parsed.signed_headers,
        payload_hash,
    };
    let mut hasher = Sha256::new();
    write_canonical_request(&input, &mut hasher)?;
    let mut hash_hex = [0u8; 64];
    hex::encode_to_slice(hasher.finalize(), &mut hash_hex)
        .map_err(|_| AuthFailure::SignatureMismatch)?;
    let string_to_sign = StringToSign {
        amz_date,
        scope_date: parsed.scope_date,
        region: parsed.region,
        service: parsed.service,
        canonical_request_hash: &hash_hex,
    };
    let principal = &stored.principal;
    match parsed.algorithm {
        SigningAlgorithm::SigV4 => {
            let key = stored.sigv4_keys.get(
                &principal.secret_access_key,
                parsed.scope_date,
                region,
                parsed.service,
            );
            sigv4::verify(&key, &string_to_sign, parsed.signature)
        }
        SigningAlgorithm::SigV4A => {
            let key = stored
                .sigv4a_key
                .get_or_init(|| {
                    derive_verifying_key(&principal.access_key_id, &principal.secret_access_key)
                })
                .as_ref()
                .ok_or(AuthFailure::SignatureMismatch)?;
            sigv4a::verify(key, &string_to_sign, parsed.signature)
        }
    }
}
