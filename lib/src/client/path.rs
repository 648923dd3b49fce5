//! [`join_path`]: a caller-given path below the service URL's path, and never anywhere else.
//!
//! The path often comes from an invocation payload, i.e. from whoever may invoke the
//! function; the service URL comes from its configuration. A signed request to
//! `https://svc/app/../admin` is a request to `/admin` with the function's identity, so
//! every way out is refused with a [`PathRefusal`] rather than normalised: `..` segments
//! (also percent-encoded, at any depth a server might decode), absolute URLs, `//host`
//! and backslashes (which WHATWG URL parsing and some servers read as `/`).

use percent_encoding::percent_decode_str;
use reqwest::Url;

use super::error::ClientError;
use super::request::set_canonical_query;

/// How many times a path is percent-decoded while looking for `..`: more than any server
/// decodes, fewer than any legitimate path needs.
const MAX_DECODING_ROUNDS: usize = 4;

/// Why [`join_path`] refused a path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PathRefusal {
    /// A `..` segment, plain or percent-encoded (`%2e%2e`, `.%2E`, `..%2f`, `%252e%252e`).
    #[error(
        "it has a `..` segment (also when percent-encoded), which would leave the service URL's path"
    )]
    DotDotSegment,
    /// An absolute URL (`http://evil/`, `mailto:x`): the service URL fixes scheme and host.
    #[error("it is an absolute URL; only a path below the service URL is allowed")]
    AbsoluteUrl,
    /// A scheme-relative URL (`//evil/x`), naming another host.
    #[error("it starts with `//`, which names another host")]
    OtherHost,
    /// A backslash, plain or encoded: URL parsers and some servers read it as `/`.
    #[error("it holds a backslash, which URL parsers and servers may read as `/`")]
    Backslash,
    /// A `#`: fragments are never sent to servers, so it can only be a mistake.
    #[error("it holds `#`: fragments are not sent to servers")]
    Fragment,
    /// Still percent-encoded after several decodings: no real path is.
    #[error("it is percent-encoded too many times over to check")]
    EncodedTooDeeply,
    /// The joined URL is not below the service URL's path (a rule above missed a way out).
    #[error("the joined URL is not below the service URL's path")]
    LeavesBasePath,
}

/// Joins `path` to the path of `base`: `https://h/app` + `/health` = `https://h/app/health`.
///
/// An empty `path` keeps `base` as it is. A `?query` in `path` is appended to the base's
/// query. A path that could reach outside `base`'s path is refused
/// ([`ClientError::InvalidPath`] naming a [`PathRefusal`]).
///
/// ```
/// use lattice_lambda::client::{ClientError, PathRefusal, Url, join_path};
/// let base = Url::parse("https://svc.example/app").unwrap();
/// assert_eq!(join_path(&base, "/orders/7").unwrap().as_str(), "https://svc.example/app/orders/7");
/// for escape in ["../admin", "/%2e%2e/admin", "http://evil/", "//evil/x"] {
///     assert!(matches!(join_path(&base, escape), Err(ClientError::InvalidPath { .. })), "{escape}");
/// }
/// ```
pub fn join_path(base: &Url, path: &str) -> Result<Url, ClientError> {
    let refuse = |reason| ClientError::InvalidPath {
        path: path.to_owned(),
        reason,
    };
    let (path_part, query) = match path.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (path, None),
    };
    check_path(path, path_part).map_err(refuse)?;

    let mut url = base.clone();
    let base_path = base.path().trim_end_matches('/');
    if !path_part.is_empty() {
        url.set_path(&format!(
            "{base_path}/{}",
            path_part.trim_start_matches('/')
        ));
        let stays_below = url
            .path()
            .strip_prefix(base_path)
            .is_some_and(|rest| rest.starts_with('/'));
        if !stays_below || url.origin() != base.origin() {
            return Err(refuse(PathRefusal::LeavesBasePath));
        }
    }
    if let Some(extra) = query {
        let mut pairs: Vec<(String, String)> = url.query_pairs().into_owned().collect();
        pairs.extend(decode_query_pairs(extra));
        set_canonical_query(&mut url, &pairs);
    }
    Ok(url)
}

fn check_path(whole: &str, path: &str) -> Result<(), PathRefusal> {
    if whole.contains('#') {
        return Err(PathRefusal::Fragment);
    }
    if has_scheme(path) {
        return Err(PathRefusal::AbsoluteUrl);
    }
    if path.starts_with("//") {
        return Err(PathRefusal::OtherHost);
    }
    let mut text = path.to_owned();
    for _ in 0..MAX_DECODING_ROUNDS {
        if text.contains('\\') {
            return Err(PathRefusal::Backslash);
        }
        if text.split('/').any(|segment| segment == "..") {
            return Err(PathRefusal::DotDotSegment);
        }
        let decoded = percent_decode_str(&text).decode_utf8_lossy().into_owned();
        if decoded == text {
            return Ok(());
        }
        text = decoded;
    }
    Err(PathRefusal::EncodedTooDeeply)
}

/// `scheme:` at the start (RFC 3986: a letter, then letters, digits, `+`, `-`, `.`).
fn has_scheme(path: &str) -> bool {
    let Some((scheme, _)) = path.split_once(':') else {
        return false;
    };
    let mut chars = scheme.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
}

/// Decodes `a=1&b=x+y` the way servers read a query.
fn decode_query_pairs(query: &str) -> Vec<(String, String)> {
    // Parse through a scratch URL so that decoding matches `Url::query_pairs` exactly.
    let Ok(mut scratch) = Url::parse("http://scratch.invalid/") else {
        return Vec::new();
    };
    scratch.set_query(Some(query));
    scratch.query_pairs().into_owned().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    fn refusal(base: &str, path: &str) -> Option<PathRefusal> {
        match join_path(&url(base), path) {
            Err(ClientError::InvalidPath { reason, .. }) => Some(reason),
            Err(other) => panic!("{path:?}: unexpected {other}"),
            Ok(_) => None,
        }
    }

    #[test]
    fn join_appends_to_the_base_path() {
        let base = url("https://svc.example/app");
        assert_eq!(
            join_path(&base, "/health").unwrap().as_str(),
            "https://svc.example/app/health"
        );
        assert_eq!(
            join_path(&base, "health").unwrap().as_str(),
            "https://svc.example/app/health"
        );
        assert_eq!(
            join_path(&base, "").unwrap().as_str(),
            "https://svc.example/app"
        );
        let slash = url("https://svc.example/app/");
        assert_eq!(
            join_path(&slash, "/x").unwrap().as_str(),
            "https://svc.example/app/x"
        );
        let root = url("https://svc.example");
        assert_eq!(
            join_path(&root, "/app").unwrap().as_str(),
            "https://svc.example/app"
        );
    }

    #[test]
    fn join_encodes_unsafe_path_characters() {
        let base = url("http://127.0.0.1:8080/");
        assert_eq!(
            join_path(&base, "/a b/ü").unwrap().as_str(),
            "http://127.0.0.1:8080/a%20b/%C3%BC"
        );
    }

    #[test]
    fn join_moves_a_query_into_the_query_and_rejects_fragments() {
        let base = url("https://svc.example/app?x=1");
        assert_eq!(
            join_path(&base, "/p?y=a+b").unwrap().as_str(),
            "https://svc.example/app/p?x=1&y=a%20b"
        );
        assert_eq!(
            refusal("https://svc.example/app", "/p#frag"),
            Some(PathRefusal::Fragment)
        );
    }

    #[test]
    fn every_way_out_of_the_base_path_is_refused_by_name() {
        let base = "https://svc.example/app";
        for (path, expected) in [
            ("../admin", PathRefusal::DotDotSegment),
            ("/../admin", PathRefusal::DotDotSegment),
            ("/a/../../admin", PathRefusal::DotDotSegment),
            ("..", PathRefusal::DotDotSegment),
            ("%2e%2e/admin", PathRefusal::DotDotSegment),
            ("/%2E%2E/admin", PathRefusal::DotDotSegment),
            ("/.%2e/admin", PathRefusal::DotDotSegment),
            ("/..%2fadmin", PathRefusal::DotDotSegment),
            ("/%252e%252e/admin", PathRefusal::DotDotSegment),
            ("/x?y=1#frag", PathRefusal::Fragment),
            ("http://evil/", PathRefusal::AbsoluteUrl),
            ("HTTPS://evil/x", PathRefusal::AbsoluteUrl),
            ("javascript:alert(1)", PathRefusal::AbsoluteUrl),
            ("//evil/x", PathRefusal::OtherHost),
            ("\\\\evil\\x", PathRefusal::Backslash),
            ("/..\\admin", PathRefusal::Backslash),
            ("/%5c..%5cadmin", PathRefusal::Backslash),
            ("/%25252525252e", PathRefusal::EncodedTooDeeply),
        ] {
            assert_eq!(refusal(base, path), Some(expected), "{path:?}");
        }
        let err = join_path(&url(base), "../admin").unwrap_err();
        assert!(err.to_string().contains("../admin"), "{err}");
        assert_eq!(err.kind(), super::super::FailureKind::InvalidRequest);
    }

    #[test]
    fn dots_that_do_not_climb_are_ordinary_paths() {
        let base = url("https://svc.example/app/");
        for (path, expected) in [
            ("/v1.2/items", "https://svc.example/app/v1.2/items"),
            ("/...", "https://svc.example/app/..."),
            ("/a..b/c", "https://svc.example/app/a..b/c"),
            ("/users/a:b", "https://svc.example/app/users/a:b"),
            ("/q?next=../x", "https://svc.example/app/q?next=..%2Fx"),
        ] {
            assert_eq!(join_path(&base, path).unwrap().as_str(), expected, "{path}");
        }
    }

    proptest! {
        /// Whatever the path, the result is below the base path on the base's origin, or a
        /// refusal: never a panic, never another place.
        #[test]
        fn a_joined_url_never_leaves_the_base(
            segments in proptest::collection::vec(
                prop_oneof![
                    Just("..".to_owned()), Just(".".to_owned()), Just("%2e%2E".to_owned()),
                    Just("%2f".to_owned()), Just("\\\\".to_owned()), Just("//".to_owned()),
                    "[a-zA-Z0-9%.:@;=!$&'()*+,~ _-]{0,6}",
                ],
                0..6,
            ),
            lead in prop_oneof![Just(""), Just("/"), Just("//"), Just("http:"), Just("x:")],
        ) {
            let base = url("https://svc.example:8443/app/v1");
            let path = format!("{lead}{}", segments.join("/"));
            if let Ok(joined) = join_path(&base, &path) {
                prop_assert_eq!(joined.origin(), base.origin());
                prop_assert!(
                    joined.path() == "/app/v1" || joined.path().starts_with("/app/v1/"),
                    "{} -> {}", path, joined
                );
                let decoded = percent_decode_str(joined.path()).decode_utf8_lossy().into_owned();
                prop_assert!(!decoded.split('/').any(|s| s == ".."), "{} -> {}", path, joined);
            }
        }
    }
}
