//! Parsing the `Authorization` header of SigV4 and SigV4A requests.
//!
//! ```text
//! AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/vpc-lattice-svcs/aws4_request, SignedHeaders=host;x-amz-date, Signature=<64 hex>
//! AWS4-ECDSA-P256-SHA256 Credential=AKID/20150830/vpc-lattice-svcs/aws4_request, SignedHeaders=…, Signature=<hex DER>
//! ```

use super::SigningAlgorithm;
use super::error::AuthFailure;

/// Algorithm name of SigV4.
pub(crate) const SIGV4_ALGORITHM: &str = "AWS4-HMAC-SHA256";
/// Algorithm name of SigV4A.
pub(crate) const SIGV4A_ALGORITHM: &str = "AWS4-ECDSA-P256-SHA256";

/// The fields of a parsed `Authorization` header, borrowed from it.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct ParsedAuthorization<'a> {
    pub(crate) algorithm: SigningAlgorithm,
    pub(crate) access_key_id: &'a str,
    /// `YYYYMMDD` of the credential scope.
    pub(crate) scope_date: &'a str,
    /// Region of the credential scope (SigV4 only; SigV4A scopes have none).
    pub(crate) region: Option<&'a str>,
    pub(crate) service: &'a str,
    pub(crate) signed_headers: &'a str,
    /// The signature, hex (not yet decoded).
    pub(crate) signature: &'a str,
}

/// What an `Authorization` header is.
pub(crate) enum AuthorizationKind<'a> {
    /// A SigV4 or SigV4A header.
    Aws(ParsedAuthorization<'a>),
    /// Another scheme (`Bearer`, `Basic`, …): for Lattice the request is unsigned.
    OtherScheme,
}

/// Parses `value`.
pub(crate) fn parse_authorization(value: &str) -> Result<AuthorizationKind<'_>, AuthFailure> {
    let malformed = |what: &str| AuthFailure::MalformedAuthorization(what.to_owned());
    let value = value.trim();
    let (scheme, rest) = value.split_once(' ').unwrap_or((value, ""));
    let algorithm = match scheme {
        SIGV4_ALGORITHM => SigningAlgorithm::SigV4,
        SIGV4A_ALGORITHM => SigningAlgorithm::SigV4A,
        other if other.starts_with("AWS4-") => {
            return Err(AuthFailure::UnsupportedAlgorithm(other.to_owned()));
        }
        _ => return Ok(AuthorizationKind::OtherScheme),
    };

    let (mut credential, mut signed_headers, mut signature) = (None, None, None);
    for component in rest.split(',') {
        let component = component.trim();
        let (key, field_value) = component
            .split_once('=')
            .ok_or_else(|| malformed("expected Credential=…, SignedHeaders=…, Signature=…"))?;
        let slot = match key {
            "Credential" => &mut credential,
            "SignedHeaders" => &mut signed_headers,
            "Signature" => &mut signature,
            _ => {
                return Err(AuthFailure::MalformedAuthorization(format!(
                    "unknown component {key:?}"
                )));
            }
        };
        if slot.replace(field_value).is_some() {
            return Err(AuthFailure::MalformedAuthorization(format!(
                "{key} appears twice"
            )));
        }
    }
    let credential = credential.ok_or_else(|| malformed("Credential is missing"))?;
    let signed_headers = signed_headers.ok_or_else(|| malformed("SignedHeaders is missing"))?;
    let signature = signature.ok_or_else(|| malformed("Signature is missing"))?;

    let mut scope = credential.split('/');
    let access_key_id = scope.next().filter(|s| !s.is_empty());
    let scope_date = scope.next();
    let region = match algorithm {
        SigningAlgorithm::SigV4 => Some(scope.next()),
        SigningAlgorithm::SigV4A => None,
    };
    let (service, terminator, extra) = (scope.next(), scope.next(), scope.next());
    let (Some(access_key_id), Some(scope_date), Some(service), Some("aws4_request"), None) =
        (access_key_id, scope_date, service, terminator, extra)
    else {
        return Err(malformed(match algorithm {
            SigningAlgorithm::SigV4 => {
                "Credential must be <access key>/<date>/<region>/<service>/aws4_request"
            }
            SigningAlgorithm::SigV4A => {
                "Credential must be <access key>/<date>/<service>/aws4_request"
            }
        }));
    };
    let region = match region {
        Some(Some(region)) if !region.is_empty() => Some(region),
        Some(_) => return Err(malformed("Credential scope has an empty region")),
        None => None,
    };
    if scope_date.len() != 8 || !scope_date.bytes().all(|b| b.is_ascii_digit()) {
        return Err(malformed("Credential scope date must be YYYYMMDD"));
    }
    let valid_name = |name: &str| {
        !name.is_empty()
            && name.bytes().all(|b| {
                b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'-' | b'_' | b'.')
            })
    };
    if !signed_headers.split(';').all(valid_name) {
        return Err(malformed(
            "SignedHeaders must be lowercase header names separated by ';'",
        ));
    }
    if signature.is_empty() || !signature.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(malformed("Signature must be hexadecimal"));
    }
    Ok(AuthorizationKind::Aws(ParsedAuthorization {
        algorithm,
        access_key_id,
        scope_date,
        region,
        service,
        signed_headers,
        signature,
    }))
}

/// Whether `signed_headers` (`a;b;c`) lists `name`.
pub(crate) fn lists_header(signed_headers: &str, name: &str) -> bool {
    signed_headers.split(';').any(|listed| listed == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(value: &str) -> Result<ParsedAuthorization<'_>, AuthFailure> {
        match parse_authorization(value)? {
            AuthorizationKind::Aws(parsed) => Ok(parsed),
            AuthorizationKind::OtherScheme => panic!("expected an AWS scheme: {value}"),
        }
    }

    #[test]
    fn parses_sigv4_and_sigv4a() {
        let v4 = parse("AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/vpc-lattice-svcs/aws4_request, SignedHeaders=host;x-amz-date, Signature=abcd")
            .expect("valid");
        assert_eq!(v4.algorithm, SigningAlgorithm::SigV4);
        assert_eq!(
            (v4.access_key_id, v4.scope_date, v4.region, v4.service),
            ("AKID", "20150830", Some("us-east-1"), "vpc-lattice-svcs")
        );
        assert_eq!(
            (v4.signed_headers, v4.signature),
            ("host;x-amz-date", "abcd")
        );

        let v4a = parse("AWS4-ECDSA-P256-SHA256 Credential=AKID/20150830/vpc-lattice-svcs/aws4_request,SignedHeaders=host,Signature=3045")
            .expect("valid");
        assert_eq!(v4a.algorithm, SigningAlgorithm::SigV4A);
        assert_eq!(v4a.region, None);
        assert_eq!(v4a.service, "vpc-lattice-svcs");
    }

    #[test]
    fn other_schemes_are_not_aws_signatures() {
        assert!(matches!(
            parse_authorization("Bearer abc"),
            Ok(AuthorizationKind::OtherScheme)
        ));
        assert!(matches!(
            parse_authorization("AWS4-HMAC-SHA512 Credential=x"),
            Err(AuthFailure::UnsupportedAlgorithm(a)) if a == "AWS4-HMAC-SHA512"
        ));
    }

    #[test]
    fn malformed_headers_name_the_problem() {
        for (value, needle) in [
            (
                "AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/svc/aws4_request, SignedHeaders=host",
                "Signature is missing",
            ),
            (
                "AWS4-HMAC-SHA256 Credential=AKID/20150830/svc/aws4_request, SignedHeaders=host, Signature=ab",
                "Credential must be",
            ),
            (
                "AWS4-HMAC-SHA256 Credential=AKID/2015083/r/svc/aws4_request, SignedHeaders=host, Signature=ab",
                "YYYYMMDD",
            ),
            (
                "AWS4-HMAC-SHA256 Credential=AKID/20150830/r/svc/aws4_request, SignedHeaders=Host, Signature=ab",
                "lowercase",
            ),
            (
                "AWS4-HMAC-SHA256 Credential=AKID/20150830/r/svc/aws4_request, SignedHeaders=host, Signature=zz",
                "hexadecimal",
            ),
            (
                "AWS4-HMAC-SHA256 Credential=AKID/20150830/r/svc/aws4_request, Credential=x, SignedHeaders=host, Signature=ab",
                "twice",
            ),
        ] {
            let err = parse(value).expect_err(value);
            assert!(err.to_string().contains(needle), "{value}: {err}");
        }
    }
}
