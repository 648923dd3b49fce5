//! Which content types travel as text in Lattice JSON.

/// Whether a body of this content type is text: `text/*`, `application/json`,
/// `application/xml`, `application/javascript`, and any `+json` / `+xml`
/// suffix type. Parameters (`; charset=…`) and case are ignored. `None` (no
/// content type) is not textual here; callers decide what a missing type means.
pub(crate) fn is_textual(content_type: Option<&str>) -> bool {
    let Some(content_type) = content_type else {
        return false;
    };
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    essence.starts_with("text/")
        || matches!(
            essence.as_str(),
            "application/json" | "application/xml" | "application/javascript"
        )
        || essence.ends_with("+json")
        || essence.ends_with("+xml")
}

#[cfg(test)]
mod tests {
    use super::is_textual;

    #[test]
    fn textual_types_ignore_case_parameters_and_suffixes() {
        assert!(is_textual(Some("application/problem+json; charset=utf-8")));
        assert!(is_textual(Some("Text/HTML")));
        assert!(is_textual(Some("application/atom+xml")));
        assert!(!is_textual(Some("image/png")));
        assert!(!is_textual(None));
    }
}
