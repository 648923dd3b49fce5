//! The SigV4 canonical request, shared by SigV4 and SigV4A.
//!
//! ```text
//! METHOD \n canonical path \n canonical query \n (name:value \n)* \n signed;headers \n payload-hash
//! ```
//!
//! Rules, as for every non-S3 service (and as `aws-sigv4` and botocore sign):
//! - path: dot segments and empty segments removed (RFC 3986 5.2.4), then the path *as received*
//!   (already percent-encoded once by the client) is URI-encoded again, so `%3D` becomes `%253D`;
//! - query: pairs split on `&` and the first `=`, decoded, re-encoded (unreserved characters
//!   only), sorted by key then value;
//! - headers: the `SignedHeaders` names in order, each `name:value` with the values of repeated
//!   headers joined by `,`, spaces trimmed at both ends and runs of spaces collapsed.
//!
//! The canonical request is streamed into a [`Sink`] (the SHA-256 hasher when verifying), so no
//! copy of it is built per request.

use http::HeaderMap;
use sha2::{Digest, Sha256};

use super::error::AuthFailure;

/// Where the canonical request is written.
pub(crate) trait Sink {
    /// Appends `bytes`.
    fn put(&mut self, bytes: &[u8]);
}

impl Sink for Sha256 {
    fn put(&mut self, bytes: &[u8]) {
        Digest::update(self, bytes);
    }
}

impl Sink for Vec<u8> {
    fn put(&mut self, bytes: &[u8]) {
        self.extend_from_slice(bytes);
    }
}

/// The request fields that go into the canonical request.
pub(crate) struct CanonicalInput<'a> {
    /// HTTP method, as sent.
    pub(crate) method: &'a str,
    /// Path as received (still percent-encoded), without the query.
    pub(crate) path: &'a str,
    /// Canonical query string, from [`canonical_query`].
    pub(crate) query: &'a str,
    /// Request headers.
    pub(crate) headers: &'a HeaderMap,
    /// URI authority, used for `host` when the request has no `Host` header (HTTP/2).
    pub(crate) authority: Option<&'a str>,
    /// The `SignedHeaders` list from the `Authorization` header.
    pub(crate) signed_headers: &'a str,
    /// Payload hash (the value of `x-amz-content-sha256`).
    pub(crate) payload_hash: &'a str,
}

/// How the query string is canonicalised.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum QueryForm {
    /// Decode each key and value (`+` as space) and re-encode strictly, as `aws-sigv4` does.
    Reencoded,
    /// Keep keys and values exactly as sent, only sorted, as botocore does.
    AsSent,
}

const HEX: &[u8; 16] = b"0123456789ABCDEF";

fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~')
}

/// Writes the canonical request of `input` into `sink`.
///
/// Fails with [`AuthFailure::MissingSignedHeader`] when a signed header is absent.
pub(crate) fn write_canonical_request(
    input: &CanonicalInput<'_>,
    sink: &mut impl Sink,
) -> Result<(), AuthFailure> {
    sink.put(input.method.as_bytes());
    sink.put(b"\n");
    write_canonical_path(input.path, sink);
    sink.put(b"\n");
    sink.put(input.query.as_bytes());
    sink.put(b"\n");
    for name in input.signed_headers.split(';') {
        write_canonical_header(input, name, sink)?;
    }
    sink.put(b"\n");
    sink.put(input.signed_headers.as_bytes());
    sink.put(b"\n");
    sink.put(input.payload_hash.as_bytes());
    Ok(())
}

fn write_canonical_header(
    input: &CanonicalInput<'_>,
    name: &str,
    sink: &mut impl Sink,
) -> Result<(), AuthFailure> {
    let mut values = input.headers.get_all(name).iter().peekable();
    sink.put(name.as_bytes());
    sink.put(b":");
    if values.peek().is_none() {
        // HTTP/2 carries the host in `:authority`, which hyper puts in the URI, not the headers.
        match (name, input.authority) {
            ("host", Some(authority)) => {
                write_trimmed_value(authority.as_bytes(), sink);
                sink.put(b"\n");
                return Ok(());
            }
            _ => return Err(AuthFailure::MissingSignedHeader(name.to_owned())),
        }
    }
    let mut first = true;
    for value in values {
        if !first {
            sink.put(b",");
        }
        first = false;
        write_trimmed_value(value.as_bytes(), sink);
    }
    sink.put(b"\n");
    Ok(())
}

/// Writes `value` without leading/trailing spaces and with runs of spaces collapsed to one.
fn write_trimmed_value(value: &[u8], sink: &mut impl Sink) {
    let start = value.iter().position(|&b| b != b' ').unwrap_or(value.len());
    let end = value
        .iter()
        .rposition(|&b| b != b' ')
        .map_or(start, |i| i + 1);
    let value = &value[start..end];
    let mut run_start = 0;
    let mut i = 0;
    while i < value.len() {
        if value[i] == b' ' && value.get(i + 1) == Some(&b' ') {
            // Emit up to and including the first space, then skip the rest of the run.
            sink.put(&value[run_start..=i]);
            while value.get(i + 1) == Some(&b' ') {
                i += 1;
            }
            run_start = i + 1;
        }
        i += 1;
    }
    sink.put(&value[run_start..]);
}

/// Writes the canonical URI of `raw_path` (see the module docs).
pub(crate) fn write_canonical_path(raw_path: &str, sink: &mut impl Sink) {
    if raw_path.is_empty() || raw_path == "/" {
        sink.put(b"/");
        return;
    }
    let needs_normalising = raw_path.contains("//")
        || raw_path
            .split('/')
            .any(|segment| segment == "." || segment == "..")
        || !raw_path.starts_with('/');
    if !needs_normalising {
        write_uri_encoded(raw_path.as_bytes(), true, sink);
        return;
    }
    // RFC 3986 section 5.2.4 plus removal of empty segments, as aws-sigv4 and botocore do.
    let mut segments: Vec<&str> = Vec::new();
    for segment in raw_path.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            other => segments.push(other),
        }
    }
    let trailing_slash = ["/", "/.", "/.."].iter().any(|end| raw_path.ends_with(end));
    sink.put(b"/");
    for (i, segment) in segments.iter().enumerate() {
        if i > 0 {
            sink.put(b"/");
        }
        write_uri_encoded(segment.as_bytes(), false, sink);
    }
    if trailing_slash && !segments.is_empty() {
        sink.put(b"/");
    }
}

/// URI-encodes `bytes` (unreserved characters, and `/` when `keep_slash`, pass unchanged).
fn write_uri_encoded(bytes: &[u8], keep_slash: bool, sink: &mut impl Sink) {
    let mut run_start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if is_unreserved(b) || (keep_slash && b == b'/') {
            continue;
        }
        sink.put(&bytes[run_start..i]);
        sink.put(&[b'%', HEX[usize::from(b >> 4)], HEX[usize::from(b & 0x0f)]]);
        run_start = i + 1;
    }
    sink.put(&bytes[run_start..]);
}

/// The canonical query string of `raw_query` (the part after `?`, as received).
pub(crate) fn canonical_query(raw_query: &str, form: QueryForm) -> String {
    if raw_query.is_empty() {
        return String::new();
    }
    let mut pairs: Vec<(String, String)> = raw_query
        .split('&')
        .filter(|piece| !piece.is_empty())
        .map(|piece| {
            let (key, value) = piece.split_once('=').unwrap_or((piece, ""));
            match form {
                QueryForm::Reencoded => (reencode(key), reencode(value)),
                QueryForm::AsSent => (key.to_owned(), value.to_owned()),
            }
        })
        .collect();
    pairs.sort_unstable();
    let mut out = String::with_capacity(raw_query.len() + 8);
    for (i, (key, value)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(key);
        out.push('=');
        out.push_str(value);
    }
    out
}

/// Percent-decodes `s` (`+` as space; malformed escapes kept literally), then URI-encodes it.
fn reencode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let digit = |at: usize| bytes.get(at).copied().and_then(hex_value);
                match (digit(i + 1), digit(i + 2)) {
                    (Some(hi), Some(lo)) => {
                        decoded.push((hi << 4) | lo);
                        i += 3;
                        continue;
                    }
                    _ => decoded.push(b'%'),
                }
            }
            b'+' => decoded.push(b' '),
            other => decoded.push(other),
        }
        i += 1;
    }
    let mut encoded = Vec::with_capacity(decoded.len() * 3);
    write_uri_encoded(&decoded, false, &mut encoded);
    // Only ASCII was written.
    String::from_utf8_lossy(&encoded).into_owned()
}

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    //! Expected canonical requests are from the AWS SigV4 test suite (aws-c-auth, as shipped in
    //! the `aws-sigv4` crate's `aws-signing-test-suite/v4/*/header-canonical-request.txt`).
    use super::*;
    use http::HeaderValue;

    const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    fn canonical(method: &str, target: &str, headers: &[(&str, &str)]) -> String {
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        let mut map = HeaderMap::new();
        for (name, value) in headers {
            map.append(
                http::HeaderName::from_bytes(name.as_bytes()).expect("name"),
                HeaderValue::from_str(value).expect("value"),
            );
        }
        map.insert("x-amz-date", HeaderValue::from_static("20150830T123600Z"));
        let mut names: Vec<String> = map.keys().map(|k| k.as_str().to_owned()).collect();
        names.sort();
        let signed = names.join(";");
        let query = canonical_query(query, QueryForm::Reencoded);
        let input = CanonicalInput {
            method,
            path,
            query: &query,
            headers: &map,
            authority: None,
            signed_headers: &signed,
            payload_hash: EMPTY_SHA256,
        };
        let mut out = Vec::new();
        write_canonical_request(&input, &mut out).expect("all headers present");
        String::from_utf8(out).expect("ascii")
    }

    fn expected(method: &str, path: &str, query: &str, headers: &str, signed: &str) -> String {
        format!("{method}\n{path}\n{query}\n{headers}\n{signed}\n{EMPTY_SHA256}")
    }

    const HOST: (&str, &str) = ("host", "example.amazonaws.com");
    const HOST_DATE: &str = "host:example.amazonaws.com\nx-amz-date:20150830T123600Z\n";

    #[test]
    fn suite_get_vanilla_query_order_encoded() {
        assert_eq!(
            canonical(
                "GET",
                "/?Param-3=Value3&Param=Value2&%E1%88%B4=Value1",
                &[HOST]
            ),
            expected(
                "GET",
                "/",
                "%E1%88%B4=Value1&Param=Value2&Param-3=Value3",
                HOST_DATE,
                "host;x-amz-date"
            )
        );
    }

    #[test]
    fn suite_get_vanilla_query_unreserved() {
        let unreserved = "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
        assert_eq!(
            canonical("GET", &format!("/?{unreserved}={unreserved}"), &[HOST]),
            expected(
                "GET",
                "/",
                &format!("{unreserved}={unreserved}"),
                HOST_DATE,
                "host;x-amz-date"
            )
        );
    }

    #[test]
    fn suite_header_value_trim_and_duplicate_keys() {
        assert_eq!(
            canonical(
                "GET",
                "/",
                &[
                    HOST,
                    ("My-Header1", " value1"),
                    ("My-Header2", " \"a   b   c\"")
                ]
            ),
            expected(
                "GET",
                "/",
                "",
                "host:example.amazonaws.com\nmy-header1:value1\nmy-header2:\"a b c\"\nx-amz-date:20150830T123600Z\n",
                "host;my-header1;my-header2;x-amz-date"
            )
        );
        assert_eq!(
            canonical(
                "GET",
                "/",
                &[
                    HOST,
                    ("My-Header1", "value2"),
                    ("My-Header1", "value2"),
                    ("My-Header1", "value1")
                ]
            ),
            expected(
                "GET",
                "/",
                "",
                "host:example.amazonaws.com\nmy-header1:value2,value2,value1\nx-amz-date:20150830T123600Z\n",
                "host;my-header1;x-amz-date"
            )
        );
    }

    #[test]
    fn suite_path_normalisation() {
        for (raw, canonical_path) in [
            ("//example//", "/example/"),
            ("/example1/example2/../..", "/"),
            ("/example/..", "/"),
            ("/./", "/"),
            ("/example/.", "/example/"),
            ("/./example", "/example"),
            ("/example1/../example2", "/example2"),
        ] {
            assert_eq!(
                canonical("GET", raw, &[HOST]),
                expected("GET", canonical_path, "", HOST_DATE, "host;x-amz-date"),
                "path {raw}"
            );
        }
    }

    #[test]
    fn suite_double_encode_path() {
        // aws-signing-test-suite/v4/double-encode-path.
        let mut out = Vec::new();
        write_canonical_path("/test/@connections/JBDvjfGEIAMCERw%3D", &mut out);
        assert_eq!(out, b"/test/%40connections/JBDvjfGEIAMCERw%253D");
    }

    #[test]
    fn query_forms_differ_only_for_non_canonical_encodings() {
        assert_eq!(
            canonical_query("b=2&a=1&a=0", QueryForm::Reencoded),
            "a=0&a=1&b=2"
        );
        assert_eq!(
            canonical_query("b=2&a=1&a=0", QueryForm::AsSent),
            "a=0&a=1&b=2"
        );
        assert_eq!(
            canonical_query("q=a+b&k", QueryForm::Reencoded),
            "k=&q=a%20b"
        );
        assert_eq!(canonical_query("q=a+b&k", QueryForm::AsSent), "k=&q=a+b");
        assert_eq!(
            canonical_query("q=%2f%zz", QueryForm::Reencoded),
            "q=%2F%25zz"
        );
    }

    #[test]
    fn missing_signed_header_is_named_and_host_falls_back_to_authority() {
        let map = HeaderMap::new();
        let mut input = CanonicalInput {
            method: "GET",
            path: "/",
            query: "",
            headers: &map,
            authority: Some("svc.local:8080"),
            signed_headers: "host",
            payload_hash: "UNSIGNED-PAYLOAD",
        };
        let mut out = Vec::new();
        write_canonical_request(&input, &mut out).expect("host from authority");
        assert!(String::from_utf8_lossy(&out).contains("host:svc.local:8080\n"));
        input.signed_headers = "host;x-custom";
        assert_eq!(
            write_canonical_request(&input, &mut Vec::new()),
            Err(AuthFailure::MissingSignedHeader("x-custom".to_owned()))
        );
    }
}
