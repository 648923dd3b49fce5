//! `x-amzn-lattice-identity-tags`: the caller's principal, organisation and principal tags.
//!
//! The VPC Lattice User Guide ("HTTP targets", caller identity headers) gives the form
//! `principal=<principal>;principalorgid=<org id>;<tag>=<value>;…` and says Lattice escapes
//! any `;` inside a value with a backslash. Values may be empty.
//!
//! Undocumented, chosen here: a backslash is escaped as `\\` when writing, and `\\` reads as
//! one backslash (so every value survives a round trip, including one ending in `\`); a
//! backslash before any other character is kept as it is. IAM tag keys and values cannot
//! contain `\` or `;` at all, so on real Lattice headers this choice never changes a value.
//! Keys are read verbatim (a leading space after `;` is dropped); `principal` and
//! `principalorgid` are matched exactly as Lattice writes them, in lower case.

use super::IdentityHeaderError;

/// Header Lattice adds with the caller's principal and principal tags.
pub const IDENTITY_TAGS_HEADER: &str = "x-amzn-lattice-identity-tags";

const PRINCIPAL: &str = "principal";
const PRINCIPAL_ORG_ID: &str = "principalorgid";

/// The content of `x-amzn-lattice-identity-tags`.
///
/// ```
/// use lattice_lambda::PrincipalTags;
/// let tags = PrincipalTags::parse(
///     r"principal=arn:aws:iam::123456789012:role/app;principalorgid=o-abc;team=pay\;ments;env=",
/// ).unwrap();
/// assert_eq!(tags.principal, "arn:aws:iam::123456789012:role/app");
/// assert_eq!(tags.get("team"), Some("pay;ments"));
/// assert_eq!(tags.get("env"), Some(""));
/// assert_eq!(PrincipalTags::parse(&tags.to_header().unwrap()).unwrap(), tags);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PrincipalTags {
    /// `principal=` (empty when absent).
    pub principal: String,
    /// `principalorgid=` (empty when absent).
    pub principal_org_id: String,
    /// Every other pair: the principal tags, in header order.
    pub tags: Vec<(String, String)>,
}

impl PrincipalTags {
    /// The value of tag `key` (exact match).
    pub fn get(&self, key: &str) -> Option<&str> {
        self.tags
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// Reads the header value. A key that appears twice refuses the header (Lattice writes
    /// each once, and escaping means no value can forge one). Pairs without `=` are skipped.
    pub fn parse(value: &str) -> Result<Self, IdentityHeaderError> {
        let mut out = PrincipalTags::default();
        let mut seen: Vec<String> = Vec::new();
        for (key, value) in split_escaped(value) {
            if seen.contains(&key) {
                return Err(IdentityHeaderError::RepeatedKey {
                    header: IDENTITY_TAGS_HEADER,
                    key,
                });
            }
            seen.push(key.clone());
            match key.as_str() {
                PRINCIPAL => out.principal = value,
                PRINCIPAL_ORG_ID => out.principal_org_id = value,
                _ => out.tags.push((key, value)),
            }
        }
        Ok(out)
    }

    /// Writes the header value as Lattice does: `principal=…;principalorgid=…;<tag>=<value>…`
    /// with `;` (and `\`) in values escaped by a backslash.
    ///
    /// Refuses tag keys the format cannot carry unambiguously (empty, surrounded by spaces,
    /// holding `=`, `;`, `\` or a control character, or named `principal`/`principalorgid`)
    /// and values holding a control character.
    pub fn to_header(&self) -> Result<String, IdentityHeaderError> {
        let mut out = String::with_capacity(64);
        write_pair(&mut out, PRINCIPAL, &self.principal);
        out.push(';');
        write_pair(&mut out, PRINCIPAL_ORG_ID, &self.principal_org_id);
        for (key, value) in &self.tags {
            check_tag(key, value)?;
            out.push(';');
            write_pair(&mut out, key, value);
        }
        if has_control(&self.principal) || has_control(&self.principal_org_id) {
            return Err(IdentityHeaderError::InvalidTagValue {
                key: PRINCIPAL.to_owned(),
            });
        }
        Ok(out)
    }
}

fn has_control(text: &str) -> bool {
    text.chars().any(|c| c.is_control() && c != '\t')
}

fn check_tag(key: &str, value: &str) -> Result<(), IdentityHeaderError> {
    let reason = if key.is_empty() {
        Some("it is empty")
    } else if key.trim() != key {
        Some("it starts or ends with white space")
    } else if key.contains(['=', ';', '\\']) {
        Some("it holds `=`, `;` or `\\`")
    } else if has_control(key) {
        Some("it holds a control character")
    } else if key == PRINCIPAL || key == PRINCIPAL_ORG_ID {
        Some("the name is the header's own principal field")
    } else {
        None
    };
    if let Some(reason) = reason {
        return Err(IdentityHeaderError::InvalidTagKey {
            key: key.to_owned(),
            reason,
        });
    }
    if has_control(value) {
        return Err(IdentityHeaderError::InvalidTagValue {
            key: key.to_owned(),
        });
    }
    Ok(())
}

fn write_pair(out: &mut String, key: &str, value: &str) {
    out.push_str(key);
    out.push('=');
    for c in value.chars() {
        if matches!(c, ';' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
}

/// Splits on unescaped `;`, then each pair at its first `=`; unescapes `\;` and `\\`.
fn split_escaped(value: &str) -> Vec<(String, String)> {
    let mut pairs = Vec::new();
    let mut key = String::new();
    let mut current = String::new();
    let mut in_value = false;
    let mut chars = value.chars().peekable();
    let mut finish = |key: &mut String, current: &mut String, in_value: &mut bool| {
        let name = key.trim_start().to_owned();
        if *in_value && !name.is_empty() {
            pairs.push((name, std::mem::take(current)));
        }
        key.clear();
        current.clear();
        *in_value = false;
    };
    while let Some(c) = chars.next() {
        match c {
            '\\' if matches!(chars.peek(), Some(';' | '\\')) => {
                if let Some(escaped) = chars.next() {
                    current.push(escaped);
                }
            }
            ';' => {
                if !in_value {
                    std::mem::swap(&mut key, &mut current);
                }
                finish(&mut key, &mut current, &mut in_value);
            }
            '=' if !in_value => {
                std::mem::swap(&mut key, &mut current);
                in_value = true;
            }
            other => current.push(other),
        }
    }
    if !in_value {
        std::mem::swap(&mut key, &mut current);
    }
    finish(&mut key, &mut current, &mut in_value);
    pairs
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_documented_form_is_read() {
        let tags =
            PrincipalTags::parse("principal=arn:aws:iam::1:role/r;principalorgid=o-1;team=a;cost=")
                .unwrap();
        assert_eq!(tags.principal, "arn:aws:iam::1:role/r");
        assert_eq!(tags.principal_org_id, "o-1");
        assert_eq!(
            tags.tags,
            [
                ("team".to_owned(), "a".to_owned()),
                ("cost".to_owned(), String::new())
            ]
        );
    }

    #[test]
    fn an_escaped_semicolon_cannot_forge_a_tag() {
        let tags = PrincipalTags::parse(r"principal=p;principalorgid=;team=x\;admin=true").unwrap();
        assert_eq!(tags.get("team"), Some("x;admin=true"));
        assert_eq!(tags.get("admin"), None);
    }

    #[test]
    fn a_repeated_key_refuses_the_header() {
        let err = PrincipalTags::parse("principal=a;principalorgid=o;principal=b").unwrap_err();
        assert!(
            matches!(err, IdentityHeaderError::RepeatedKey { ref key, .. } if key == "principal")
        );
    }

    #[test]
    fn backslashes_round_trip_and_lone_ones_stay() {
        assert_eq!(
            PrincipalTags::parse(r"principal=;principalorgid=;k=a\b\\")
                .unwrap()
                .get("k"),
            Some(r"a\b\")
        );
        let tags = PrincipalTags {
            tags: vec![("k".into(), r"ends\".into()), ("j".into(), r"\;".into())],
            ..PrincipalTags::default()
        };
        assert_eq!(
            PrincipalTags::parse(&tags.to_header().unwrap()).unwrap(),
            tags
        );
    }

    #[test]
    fn keys_the_format_cannot_carry_are_refused() {
        for key in [
            "",
            " k",
            "a=b",
            "a;b",
            r"a\b",
            "principal",
            "principalorgid",
            "a\nb",
        ] {
            let tags = PrincipalTags {
                tags: vec![(key.into(), "v".into())],
                ..PrincipalTags::default()
            };
            let err = tags.to_header().unwrap_err();
            assert!(
                matches!(err, IdentityHeaderError::InvalidTagKey { .. }),
                "{key:?}: {err}"
            );
        }
        let tags = PrincipalTags {
            tags: vec![("k".into(), "line\nbreak".into())],
            ..PrincipalTags::default()
        };
        let err = tags.to_header().unwrap_err();
        assert!(!err.to_string().contains("line"), "{err}");
    }

    fn tag_key() -> impl Strategy<Value = String> {
        // IAM tag key characters minus `=` (the key/value separator): letters, digits,
        // spaces inside, `_ . : / + - @`, and some non-ASCII letters.
        "[a-zA-Z0-9_.:/+@é-]([a-zA-Z0-9 _.:/+@é-]{0,10}[a-zA-Z0-9_.:/+@é-])?"
            .prop_filter("reserved", |k| k != PRINCIPAL && k != PRINCIPAL_ORG_ID)
    }

    fn tag_value() -> impl Strategy<Value = String> {
        // Anything printable, including the characters the format must escape.
        "[a-zA-Z0-9 ;=\\\\_.:/+@é中-]{0,16}"
    }

    proptest! {
        #[test]
        fn formatting_then_parsing_gives_back_the_same_tags(
            principal in "[a-zA-Z0-9:/_+=,.@-]{0,40}",
            org in "(o-[a-z0-9]{10})?",
            tags in proptest::collection::vec((tag_key(), tag_value()), 0..8),
        ) {
            let mut unique: Vec<(String, String)> = Vec::new();
            for (k, v) in tags {
                if !unique.iter().any(|(seen, _)| *seen == k) {
                    unique.push((k, v));
                }
            }
            let original = PrincipalTags { principal, principal_org_id: org, tags: unique };
            let header = original.to_header().map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert!(http::HeaderValue::from_str(&header).is_ok(), "{}", header);
            prop_assert_eq!(PrincipalTags::parse(&header).map_err(|e| TestCaseError::fail(e.to_string()))?, original);
        }

        #[test]
        fn parsing_anything_never_panics(text in ".{0,64}") {
            let _ = PrincipalTags::parse(&text);
        }
    }
}
