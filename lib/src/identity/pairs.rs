//! The `Key=value; Key=value` form of `x-amzn-lattice-identity`, `-network` and `-target`:
//! read so that no value can forge another key, and written as Lattice writes it.
//!
//! These headers escape nothing (unlike `x-amzn-lattice-identity-tags`), and some values come
//! from the caller's certificate (IAM Roles Anywhere `X509*` fields), so a subject CN of
//! `x; Principal=arn:aws:iam::1:role/admin` reaches us as an extra `Principal` pair. Reading
//! is therefore strict: a key seen twice refuses the whole header (first-wins would trust
//! Lattice's field order, last-wins trusts the forger), and in the identity header a key that
//! names the principal must not follow an X.509 field (Lattice writes those last; the User
//! Guide lists them last). What stays possible is a forged *X.509* field that Lattice did not
//! write at all, after the certificate's own: do not authorise on X.509 fields of V1 events.

use super::IdentityHeaderError;

/// Keys that say who the principal is; they never follow an X.509 field.
const PRINCIPAL_KEYS: [&str; 4] = [
    "principal",
    "principalorgid",
    "principalorgpath",
    "sessionname",
];

/// One spelling for every key: lower case, without `/`, so that `PrincipalOrgID`,
/// `principalOrgId` and `X509Subject/CN`, `X509SubjectCn` are one key each.
pub(super) fn canonical_key(key: &str) -> String {
    key.chars()
        .filter(|c| *c != '/')
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// How strictly a header is read.
#[derive(Clone, Copy)]
pub(super) enum Rules {
    /// Each key once.
    UniqueKeys,
    /// Each key once, and principal keys before every X.509 field.
    Identity,
}

/// Splits `Key=value; Key2=value2` into `(canonical key, value)` pairs; values may contain
/// `=`. Pairs without `=` or without a key are skipped (they say nothing); a repeated key, or a principal key
/// after an X.509 field under [`Rules::Identity`], refuses the header.
pub(super) fn read_pairs<'a>(
    header: &'static str,
    value: &'a str,
    rules: Rules,
) -> Result<Vec<(String, &'a str)>, IdentityHeaderError> {
    let mut pairs: Vec<(String, &'a str)> = Vec::new();
    let mut seen_x509 = false;
    for pair in value.split(';') {
        let Some((key, value)) = pair.trim().split_once('=') else {
            continue;
        };
        let key = key.trim();
        if key.is_empty() {
            continue;
        }
        let canonical = canonical_key(key);
        if pairs.iter().any(|(seen, _)| *seen == canonical) {
            return Err(IdentityHeaderError::RepeatedKey {
                header,
                key: key.to_owned(),
            });
        }
        if let Rules::Identity = rules {
            if seen_x509 && PRINCIPAL_KEYS.contains(&canonical.as_str()) {
                return Err(IdentityHeaderError::KeyAfterX509 {
                    header,
                    key: key.to_owned(),
                });
            }
            seen_x509 |= canonical.starts_with("x509");
        }
        pairs.push((canonical, value.trim()));
    }
    Ok(pairs)
}

/// Writes the present pairs as `Key=value; Key=value`, or `None` when none is present.
pub(super) fn join_pairs(pairs: &[(&str, Option<&str>)]) -> Option<String> {
    let parts: Vec<String> = pairs
        .iter()
        .filter_map(|(key, value)| value.map(|v| format!("{key}={v}")))
        .collect();
    (!parts.is_empty()).then(|| parts.join("; "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings_share_one_canonical_key() {
        for (a, b) in [
            ("PrincipalOrgID", "principalOrgId"),
            ("X509Subject/CN", "X509SubjectCn"),
            ("X509SAN/NameCN", "x509SanNameCn"),
        ] {
            assert_eq!(canonical_key(a), canonical_key(b));
        }
    }

    #[test]
    fn a_key_spelled_twice_differently_is_still_repeated() {
        let err = read_pairs(
            "x-amzn-lattice-identity",
            "PrincipalOrgID=o-1; principalOrgId=o-2",
            Rules::UniqueKeys,
        )
        .unwrap_err();
        assert!(
            matches!(err, IdentityHeaderError::RepeatedKey { ref key, .. } if key == "principalOrgId")
        );
    }

    #[test]
    fn values_keep_their_equals_signs_and_empty_pairs_are_skipped() {
        let pairs = read_pairs("h", " ; a=b=c;;=;=x;x", Rules::UniqueKeys).unwrap();
        assert_eq!(pairs, [("a".to_owned(), "b=c")]);
    }
}
