//! What makes a path canonical: one reading of it for every component (the signature, the auth
//! policy's resource, the listener rules, the forwarded request). A path another component could
//! read differently is refused instead of being normalised: dot segments (`/x/../admin`), empty
//! segments (`//admin`), percent-encoded unreserved characters (`/%61dmin`), encoded `/` or `\`
//! (`%2F`, `%5C`), a raw `\`, and malformed escapes. Lattice documents no normalisation; see
//! `docs/local-auth.md` for why refusing is the safe reading.

/// Why a path is not canonical.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PathProblem {
    /// Not an absolute path (`*`, `x`).
    #[error("does not start with /")]
    NotAbsolute,
    /// A `.` or `..` segment.
    #[error("has a dot segment (. or ..)")]
    DotSegment,
    /// An empty segment (`//`).
    #[error("has an empty segment (//)")]
    EmptySegment,
    /// A percent-encoded letter, digit, `-`, `.`, `_` or `~`.
    #[error("percent-encodes an unreserved character (%{0:02X})")]
    EncodedUnreserved(u8),
    /// A percent-encoded `/` or `\`.
    #[error("percent-encodes a path separator (%{0:02X})")]
    EncodedSeparator(u8),
    /// A raw `\`.
    #[error("contains a backslash")]
    Backslash,
    /// `%` not followed by two hex digits.
    #[error("has a malformed percent escape")]
    MalformedEscape,
}

/// Checks that `path` is canonical (see the module docs).
///
/// ```
/// use lattice_local::dataplane::{PathProblem, check_canonical_path};
/// assert_eq!(check_canonical_path("/app/items/"), Ok(()));
/// assert_eq!(check_canonical_path("/a%20b"), Ok(()));
/// assert_eq!(check_canonical_path("/x/../admin"), Err(PathProblem::DotSegment));
/// assert_eq!(check_canonical_path("//admin"), Err(PathProblem::EmptySegment));
/// assert_eq!(check_canonical_path("/%61dmin"), Err(PathProblem::EncodedUnreserved(b'a')));
/// ```
pub fn check_canonical_path(path: &str) -> Result<(), PathProblem> {
    let rest = path.strip_prefix('/').ok_or(PathProblem::NotAbsolute)?;
    let mut segments = rest.split('/').peekable();
    while let Some(segment) = segments.next() {
        // A trailing slash leaves one empty last segment, which is fine.
        if segment.is_empty() && segments.peek().is_some() {
            return Err(PathProblem::EmptySegment);
        }
        if segment == "." || segment == ".." {
            return Err(PathProblem::DotSegment);
        }
    }
    let bytes = path.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            b'\\' => return Err(PathProblem::Backslash),
            b'%' => {
                let digit = |at: usize| bytes.get(at).and_then(|d| (*d as char).to_digit(16));
                let (Some(hi), Some(lo)) = (digit(i + 1), digit(i + 2)) else {
                    return Err(PathProblem::MalformedEscape);
                };
                // Both digits are below 16, so the byte fits.
                let decoded = u8::try_from(hi * 16 + lo).unwrap_or(b'%');
                if decoded.is_ascii_alphanumeric() || matches!(decoded, b'-' | b'.' | b'_' | b'~') {
                    return Err(PathProblem::EncodedUnreserved(decoded));
                }
                if matches!(decoded, b'/' | b'\\') {
                    return Err(PathProblem::EncodedSeparator(decoded));
                }
            }
            _ => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_paths_pass_and_every_ambiguous_form_is_named() {
        for ok in [
            "/",
            "/app",
            "/app/",
            "/a.b/c..d/.e",
            "/a%20b",
            "/%E2%82%AC",
            "/a;b",
        ] {
            assert_eq!(check_canonical_path(ok), Ok(()), "{ok}");
        }
        let cases = [
            ("*", PathProblem::NotAbsolute),
            ("/x/../admin", PathProblem::DotSegment),
            ("/./admin", PathProblem::DotSegment),
            ("/admin/..", PathProblem::DotSegment),
            ("//admin", PathProblem::EmptySegment),
            ("/x//admin", PathProblem::EmptySegment),
            ("/%61dmin", PathProblem::EncodedUnreserved(b'a')),
            ("/%2e%2e/admin", PathProblem::EncodedUnreserved(b'.')),
            ("/x%2Fadmin", PathProblem::EncodedSeparator(b'/')),
            ("/x%5cadmin", PathProblem::EncodedSeparator(b'\\')),
            ("/x\\admin", PathProblem::Backslash),
            ("/x%zz", PathProblem::MalformedEscape),
            ("/x%4", PathProblem::MalformedEscape),
        ];
        for (path, problem) in cases {
            assert_eq!(check_canonical_path(path), Err(problem), "{path}");
        }
    }
}
