//! What a principal of the credentials file may carry besides its keys: principal tags and an
//! organization path, checked when the file is loaded so a condition or a header never meets a
//! value IAM could not have produced or Lattice's `key=value;` header could not carry.
//!
//! Tag rules are IAM's (IAM User Guide, "Tagging IAM resources"): keys of 1–128 characters from
//! letters, digits, white space and `_ . : / = + - @`, not starting with `aws:`, unique without
//! regard to case; at most 50 tags. Two narrower rules come from the identity-tags header: a key
//! holding `=` or named `principal`/`principalorgid` could not be told apart there, so it is
//! refused by name. Values may hold any printable character (the header escapes `;`).

use std::collections::BTreeMap;

/// IAM's limit on tags per principal.
const MAX_TAGS: usize = 50;
/// IAM's limit on a tag key's length, in characters.
const MAX_KEY_CHARS: usize = 128;
/// IAM's limit on a tag value's length, in characters.
const MAX_VALUE_CHARS: usize = 256;

/// Checks a principal's tags; the error says which tag and why.
pub(crate) fn check_tags(tags: &BTreeMap<String, String>) -> Result<(), String> {
    if tags.len() > MAX_TAGS {
        return Err(format!("has {} tags; IAM allows {MAX_TAGS}", tags.len()));
    }
    let mut seen: Vec<String> = Vec::with_capacity(tags.len());
    for (key, value) in tags {
        check_key(key).map_err(|reason| format!("key {key:?} {reason}"))?;
        let folded = key.to_lowercase();
        if seen.contains(&folded) {
            return Err(format!(
                "key {key:?} differs from another key only in case (IAM tag keys are case-insensitive)"
            ));
        }
        seen.push(folded);
        if value.chars().count() > MAX_VALUE_CHARS {
            return Err(format!(
                "value of {key:?} is longer than {MAX_VALUE_CHARS} characters"
            ));
        }
        if value.chars().any(char::is_control) {
            return Err(format!("value of {key:?} holds a control character"));
        }
    }
    Ok(())
}

fn check_key(key: &str) -> Result<(), &'static str> {
    let length = key.chars().count();
    if length == 0 || length > MAX_KEY_CHARS {
        return Err("must have 1 to 128 characters");
    }
    if key
        .get(..4)
        .is_some_and(|prefix| prefix.eq_ignore_ascii_case("aws:"))
    {
        return Err("starts with the reserved prefix aws:");
    }
    let iam_character = |c: char| {
        c.is_alphanumeric()
            || c == ' '
            || matches!(c, '_' | '.' | ':' | '/' | '=' | '+' | '-' | '@')
    };
    if !key.chars().all(iam_character) {
        return Err("holds a character IAM tag keys cannot have");
    }
    if key.contains('=') {
        return Err("holds `=`, which x-amzn-lattice-identity-tags cannot carry in a key");
    }
    if key != key.trim() {
        return Err("starts or ends with white space");
    }
    if key == "principal" || key == "principalorgid" {
        return Err("is a field name of x-amzn-lattice-identity-tags");
    }
    Ok(())
}

/// Checks an organization path (`o-…/r-…/ou-…/…/`) against the principal's org id.
pub(crate) fn check_org_path(path: &str, org_id: Option<&str>) -> Result<(), String> {
    let Some(org_id) = org_id else {
        return Err("needs principal_org_id (the path starts with it)".to_owned());
    };
    let shape = || format!("{path:?} must look like {org_id}/r-ab12/ou-ab12-11111111/");
    let Some(rest) = path.strip_prefix(org_id).and_then(|r| r.strip_prefix('/')) else {
        return Err(shape());
    };
    let Some(rest) = rest.strip_suffix('/') else {
        return Err(shape());
    };
    let mut segments = rest.split('/');
    let root_ok = segments
        .next()
        .is_some_and(|root| root.len() > 2 && root.starts_with("r-"));
    let units_ok = segments.all(|unit| unit.len() > 3 && unit.starts_with("ou-"));
    let characters_ok = rest
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'/');
    if root_ok && units_ok && characters_ok {
        Ok(())
    } else {
        Err(shape())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn iam_shaped_tags_pass() {
        let ok = tags(&[
            ("team", "blue"),
            ("cost-center", ""),
            ("Project:Name/x@y", "a;b=c é"),
            ("équipe", "bleue"),
        ]);
        assert_eq!(check_tags(&ok), Ok(()));
    }

    #[test]
    fn each_refused_tag_is_named_with_its_reason() {
        let cases: [(&[(&str, &str)], &str); 8] = [
            (&[("", "v")], "1 to 128"),
            (&[("aws:team", "v")], "reserved prefix"),
            (&[("a;b", "v")], "cannot have"),
            (&[("a=b", "v")], "`=`"),
            (&[(" team", "v")], "white space"),
            (&[("principal", "v")], "field name"),
            (&[("Team", "a"), ("team", "b")], "only in case"),
            (&[("team", "line\nbreak")], "control character"),
        ];
        for (pairs, reason) in cases {
            let error = check_tags(&tags(pairs)).expect_err("refused");
            assert!(error.contains(reason), "{pairs:?}: {error}");
        }
        let long_key = "k".repeat(129);
        assert!(check_tags(&tags(&[(&long_key, "v")])).is_err());
        let long_value = "v".repeat(257);
        assert!(check_tags(&tags(&[("k", &long_value)])).is_err());
        let many: BTreeMap<String, String> =
            (0..51).map(|i| (format!("k{i}"), String::new())).collect();
        assert!(check_tags(&many).expect_err("too many").contains("50"));
    }

    #[test]
    fn org_paths_start_with_the_org_and_name_a_root_then_units() {
        let org = Some("o-exampleorg");
        assert_eq!(check_org_path("o-exampleorg/r-ab12/", org), Ok(()));
        assert_eq!(
            check_org_path(
                "o-exampleorg/r-ab12/ou-ab12-11111111/ou-ab12-22222222/",
                org
            ),
            Ok(())
        );
        for bad in [
            "o-other/r-ab12/",
            "o-exampleorg/r-ab12",
            "o-exampleorg/ou-ab12-1/",
            "o-exampleorg/r-ab12/x/",
            "o-exampleorg/r-AB12/",
        ] {
            assert!(check_org_path(bad, org).is_err(), "{bad}");
        }
        assert!(
            check_org_path("o-exampleorg/r-ab12/", None)
                .expect_err("needs the org")
                .contains("principal_org_id")
        );
    }
}
