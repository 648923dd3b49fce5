//! The SigV4 canonical request, written straight into one buffer.
//!
//! Why this exists: `aws_sigv4::http_request::sign` spends ~5 µs per request on
//! canonicalisation alone (it re-parses the URI from a string, rebuilds a lowercase `HeaderMap`,
//! formats several intermediate `String`s) against ~1.3 µs of cryptography. The client's goal
//! is signing at least 10x cheaper than botocore's `SigV4Auth.add_auth` (~42 µs on the same
//! request), and that overhead alone used up most of the budget. This module writes the same
//! canonical request byte for byte as aws-sigv4 1.6.4 does with its default settings (RFC 3986
//! dot-segment removal, the path percent-encoded once more, the query decoded, re-encoded and
//! sorted, header values trimmed with runs of spaces collapsed), borrowing from the request
//! wherever the canonical form is the text already there.
//!
//! Only canonicalisation lives here: the signing key and the signature HMAC still come from
//! `aws_sigv4::sign::v4`, and a proptest in `signing.rs` checks every signing header against
//! `aws_sigv4::http_request::sign` on arbitrary requests.

use std::borrow::Cow;
use std::ops::Range;
use std::time::{SystemTime, UNIX_EPOCH};

use http::header::{HOST, HeaderName};
use http::{HeaderMap, Uri};
use percent_encoding::{AsciiSet, percent_decode, utf8_percent_encode};

/// Payload hash of every Lattice request: Lattice does not support payload signing.
pub(super) const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";
/// Header carrying the signing time.
pub(super) const X_AMZ_DATE: &str = "x-amz-date";
/// Header carrying the payload hash.
pub(super) const X_AMZ_CONTENT_SHA256: &str = "x-amz-content-sha256";
/// Header carrying the session token of temporary credentials.
pub(super) const X_AMZ_SECURITY_TOKEN: &str = "x-amz-security-token";

/// Bytes percent-encoded in canonical query keys and values: all but RFC 3986 "unreserved",
/// the same set as aws-smithy-http's `BASE_SET`, and the one the library's query strings use.
const QUERY_ENCODE_SET: &AsciiSet = crate::query::UNRESERVED_COMPLEMENT;

/// Bytes percent-encoded in the canonical path: as in the query, but `/` separates segments.
/// aws-sigv4 encodes the path this way a second time (its default "double" encoding), so a
/// `%` already in the path becomes `%25`.
const PATH_ENCODE_SET: &AsciiSet = &QUERY_ENCODE_SET.remove(b'/');

/// Why a request has no canonical form.
#[derive(Debug, thiserror::Error)]
pub(super) enum CanonicalError {
    /// A header value holds bytes outside visible ASCII, which SigV4 cannot sign.
    #[error("header {0} is not visible ASCII and cannot be signed")]
    HeaderNotVisibleAscii(HeaderName),
    /// Neither a `host` header nor a URI authority names the host to sign for.
    #[error("the request has no host header and its URI no authority: there is no host to sign")]
    NoHost,
    /// The signing time cannot be written as `YYYYMMDD'T'HHMMSS'Z'`.
    #[error("signing time is outside the years 1970 to 9999")]
    TimeOutOfRange,
}

/// A signing time as `YYYYMMDD'T'HHMMSS'Z'` (UTC, seconds truncated), the form of
/// `x-amz-date`; its first eight characters are the date of the credential scope.
#[derive(Clone, Copy)]
pub(super) struct AmzDate([u8; 16]);

impl AmzDate {
    /// Formats `time` in UTC.
    pub(super) fn new(time: SystemTime) -> Result<Self, CanonicalError> {
        let secs = time
            .duration_since(UNIX_EPOCH)
            .map_err(|_| CanonicalError::TimeOutOfRange)?
            .as_secs();
        let days = i64::try_from(secs / 86_400).map_err(|_| CanonicalError::TimeOutOfRange)?;
        let (year, month, day) = civil_from_days(days);
        if year > 9999 {
            return Err(CanonicalError::TimeOutOfRange);
        }
        let second_of_day = secs % 86_400;
        let mut out = *b"00000000T000000Z";
        write_digits(&mut out[0..4], year as u64);
        write_digits(&mut out[4..6], u64::from(month));
        write_digits(&mut out[6..8], u64::from(day));
        write_digits(&mut out[9..11], second_of_day / 3600);
        write_digits(&mut out[11..13], second_of_day / 60 % 60);
        write_digits(&mut out[13..15], second_of_day % 60);
        Ok(AmzDate(out))
    }

    /// `YYYYMMDD'T'HHMMSS'Z'`.
    pub(super) fn date_time(&self) -> &str {
        std::str::from_utf8(&self.0).expect("only ASCII digits, 'T' and 'Z' are written")
    }

    /// `YYYYMMDD`.
    pub(super) fn date(&self) -> &str {
        &self.date_time()[..8]
    }

    /// `YYYYMMDD` as bytes, the key of the signing-key cache.
    pub(super) fn date_bytes(&self) -> [u8; 8] {
        let mut date = [0; 8];
        date.copy_from_slice(&self.0[..8]);
        date
    }
}

/// Writes `value` as zero-padded decimal digits filling `out`.
fn write_digits(out: &mut [u8], mut value: u64) {
    for byte in out.iter_mut().rev() {
        *byte = b'0' + (value % 10) as u8;
        value /= 10;
    }
}

/// Year, month and day of the proleptic Gregorian calendar `days` after 1970-01-01
/// (Howard Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * shifted_month + 2) / 5 + 1) as u32;
    let month = if shifted_month < 10 {
        shifted_month + 3
    } else {
        shifted_month - 9
    } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// The headers signing adds, as they enter the canonical request.
pub(super) struct AddedHeaders<'a> {
    /// `x-amz-date`.
    pub(super) amz_date: &'a str,
    /// `x-amz-security-token`, when the credentials are temporary.
    pub(super) security_token: Option<&'a str>,
}

/// One `name:value` contribution to the canonical headers.
struct HeaderLine<'a> {
    name: &'a str,
    value: &'a str,
    /// Values from the request are trimmed; values signing adds enter as they are.
    from_request: bool,
}

/// Writes the canonical request of `method`, `uri` and `headers` plus the `added` headers into
/// `out` (cleared first), leaving out the headers named in `unsigned`, and returns where in
/// `out` the signed-header list (`host;x-amz-content-sha256;…`) is, for the `authorization`
/// header.
pub(super) fn write_canonical_request(
    out: &mut String,
    method: &str,
    uri: &Uri,
    headers: &HeaderMap,
    added: &AddedHeaders<'_>,
    unsigned: &[&str],
) -> Result<Range<usize>, CanonicalError> {
    out.clear();
    out.push_str(method);
    out.push('\n');
    write_path(out, uri.path());
    out.push('\n');
    if let Some(query) = uri.query() {
        write_query(out, query);
    }
    out.push('\n');

    let is_signed = |name: &str| !unsigned.contains(&name);
    // Four more than the request's values: host, x-amz-date, the token, the payload hash.
    let mut lines: Vec<HeaderLine<'_>> = Vec::with_capacity(headers.len() + 4);
    let mut has_host = false;
    for (name, value) in headers {
        // Every value is checked, signed or not, as aws-sigv4 is handed them all.
        let value = value
            .to_str()
            .map_err(|_| CanonicalError::HeaderNotVisibleAscii(name.clone()))?;
        has_host |= name == HOST;
        let name = name.as_str();
        // Signing replaces these with its own values.
        let replaced = name == X_AMZ_DATE
            || name == X_AMZ_CONTENT_SHA256
            || (name == X_AMZ_SECURITY_TOKEN && added.security_token.is_some());
        if !replaced && is_signed(name) {
            lines.push(HeaderLine {
                name,
                value,
                from_request: true,
            });
        }
    }
    let mut add = |name: &'static str, value| {
        if is_signed(name) {
            lines.push(HeaderLine {
                name,
                value,
                from_request: false,
            });
        }
    };
    if !has_host {
        add(HOST.as_str(), host_from_uri(uri)?);
    }
    add(X_AMZ_DATE, added.amz_date);
    if let Some(token) = added.security_token {
        add(X_AMZ_SECURITY_TOKEN, token);
    }
    add(X_AMZ_CONTENT_SHA256, UNSIGNED_PAYLOAD);
    // Stable: the values of a repeated header keep their order, as SigV4 requires.
    lines.sort_by(|a, b| a.name.cmp(b.name));

    let mut previous: Option<&str> = None;
    for line in &lines {
        if previous == Some(line.name) {
            out.push(',');
        } else {
            if previous.is_some() {
                out.push('\n');
            }
            out.push_str(line.name);
            out.push(':');
        }
        if line.from_request {
            push_trimmed(out, line.value);
        } else {
            out.push_str(line.value);
        }
        previous = Some(line.name);
    }
    out.push_str("\n\n");

    let start = out.len();
    let mut previous: Option<&str> = None;
    for line in &lines {
        if previous != Some(line.name) {
            if previous.is_some() {
                out.push(';');
            }
            out.push_str(line.name);
        }
        previous = Some(line.name);
    }
    let signed_headers = start..out.len();
    out.push('\n');
    out.push_str(UNSIGNED_PAYLOAD);
    Ok(signed_headers)
}

/// The `host` value signed when the request has no `host` header: the URI's host, with the
/// port only when it is not the scheme's default (hyper sends no default port either).
fn host_from_uri(uri: &Uri) -> Result<&str, CanonicalError> {
    let authority = uri.authority().ok_or(CanonicalError::NoHost)?;
    let default_port = matches!(
        (uri.scheme_str(), uri.port().as_ref().map(|p| p.as_str())),
        (Some("http"), Some("80")) | (Some("https"), Some("443"))
    );
    Ok(if default_port {
        authority.host()
    } else {
        authority.as_str()
    })
}

/// Appends `value` without leading and trailing spaces and with each run of spaces collapsed
/// to one. Only spaces: tabs and other whitespace stay, as in aws-sigv4 (and as S3 expects).
fn push_trimmed(out: &mut String, value: &str) {
    let value = value.trim_matches(' ');
    let mut copied_to = 0;
    let mut after_space = false;
    for (i, byte) in value.bytes().enumerate() {
        let space = byte == b' ';
        if space && after_space {
            out.push_str(&value[copied_to..i]);
            copied_to = i + 1;
        }
        after_space = space;
    }
    out.push_str(&value[copied_to..]);
}

/// Appends the canonical URI: the path with dot segments and empty segments removed
/// (RFC 3986 §5.2.4, as aws-sigv4 normalises it), then percent-encoded once more.
fn write_path(out: &mut String, path: &str) {
    if path.is_empty() {
        out.push('/');
        return;
    }
    let path: Cow<'_, str> = if path.starts_with('/') {
        Cow::Borrowed(path)
    } else {
        Cow::Owned(format!("/{path}"))
    };
    if !(path.contains('.') || path.contains("//")) {
        out.extend(utf8_percent_encode(&path, PATH_ENCODE_SET));
        return;
    }

    let mut segments: Vec<&str> = Vec::with_capacity(path.matches('/').count());
    for segment in path.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            segment => segments.push(segment),
        }
    }
    out.push('/');
    for (i, segment) in segments.iter().enumerate() {
        if i > 0 {
            out.push('/');
        }
        out.extend(utf8_percent_encode(segment, PATH_ENCODE_SET));
    }
    // A path ending in a slash or a dot segment keeps its trailing slash.
    let trailing_slash = ["/", "/.", "/./", "/..", "/../"]
        .iter()
        .any(|suffix| path.ends_with(suffix));
    if trailing_slash && !segments.is_empty() {
        out.push('/');
    }
}

/// Appends the canonical query: every `key=value` pair form-decoded (`+` is a space), encoded
/// again with [`QUERY_ENCODE_SET`], sorted by encoded key then value, joined with `&`.
fn write_query(out: &mut String, query: &str) {
    let mut pairs: Vec<(Cow<'_, str>, Cow<'_, str>)> = query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            (
                canonical_query_component(key),
                canonical_query_component(value),
            )
        })
        .collect();
    pairs.sort_unstable();
    for (i, (key, value)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(key);
        out.push('=');
        out.push_str(value);
    }
}

/// The canonical form of one query key or value, borrowed when the text is canonical already
/// (always so for the queries [`super::ServiceRequest`] builds).
fn canonical_query_component(text: &str) -> Cow<'_, str> {
    if is_canonical_query_component(text.as_bytes()) {
        return Cow::Borrowed(text);
    }
    let spaced: Cow<'_, str> = if text.contains('+') {
        Cow::Owned(text.replace('+', " "))
    } else {
        Cow::Borrowed(text)
    };
    let decoded: Cow<'_, [u8]> = percent_decode(spaced.as_bytes()).into();
    let decoded = String::from_utf8_lossy(&decoded);
    Cow::Owned(utf8_percent_encode(&decoded, QUERY_ENCODE_SET).to_string())
}

/// Whether decoding and re-encoding `text` gives `text` back: it holds only unreserved
/// characters and upper-case `%XX` escapes of ASCII bytes that must be escaped.
fn is_canonical_query_component(text: &[u8]) -> bool {
    let mut i = 0;
    while i < text.len() {
        let byte = text[i];
        if is_unreserved(byte) {
            i += 1;
            continue;
        }
        if byte != b'%' || i + 2 >= text.len() {
            return false;
        }
        match (upper_hex_value(text[i + 1]), upper_hex_value(text[i + 2])) {
            (Some(high), Some(low)) => {
                let escaped = high << 4 | low;
                if escaped >= 0x80 || is_unreserved(escaped) {
                    return false;
                }
            }
            _ => return false,
        }
        i += 3;
    }
    true
}

/// RFC 3986 "unreserved": the bytes that stay as they are in canonical URIs.
fn is_unreserved(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~')
}

/// The value of an upper-case hex digit (what percent-encoding writes).
fn upper_hex_value(byte: u8) -> Option<u8> {
    match byte {
        b'0'..=b'9' => Some(byte - b'0'),
        b'A'..=b'F' => Some(byte - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn at(secs: u64) -> String {
        let time = UNIX_EPOCH + Duration::from_secs(secs);
        AmzDate::new(time).unwrap().date_time().to_owned()
    }

    #[test]
    fn amz_date_is_utc_with_seconds_truncated() {
        assert_eq!(at(0), "19700101T000000Z");
        assert_eq!(at(1_440_938_160), "20150830T123600Z");
        assert_eq!(at(951_782_400), "20000229T000000Z");
        assert_eq!(at(1_709_251_199), "20240229T235959Z");
        assert_eq!(at(253_402_300_799), "99991231T235959Z");
        let stamp = AmzDate::new(UNIX_EPOCH + Duration::new(1_440_938_160, 999_999_999)).unwrap();
        assert_eq!(stamp.date_time(), "20150830T123600Z");
        assert_eq!(stamp.date(), "20150830");
        assert_eq!(&stamp.date_bytes(), b"20150830");
        assert!(matches!(
            AmzDate::new(UNIX_EPOCH + Duration::from_secs(253_402_300_800)),
            Err(CanonicalError::TimeOutOfRange)
        ));
    }

    fn path(raw: &str) -> String {
        let mut out = String::new();
        write_path(&mut out, raw);
        out
    }

    #[test]
    fn paths_lose_dot_and_empty_segments_and_are_encoded_again() {
        assert_eq!(path(""), "/");
        assert_eq!(path("/"), "/");
        assert_eq!(path("/app/orders"), "/app/orders");
        assert_eq!(path("/foo/bar/."), "/foo/bar/");
        assert_eq!(path("/foo/./bar/../baz"), "/foo/baz");
        assert_eq!(path("/../foo"), "/foo");
        assert_eq!(path("//a//b//"), "/a/b/");
        assert_eq!(path("/.."), "/");
        assert_eq!(path("/a%20b/c:d"), "/a%2520b/c%3Ad");
        assert_eq!(path("relative"), "/relative");
    }

    fn query(raw: &str) -> String {
        let mut out = String::new();
        write_query(&mut out, raw);
        out
    }

    #[test]
    fn queries_are_decoded_reencoded_and_sorted() {
        assert_eq!(query("status=open&page=2"), "page=2&status=open");
        assert_eq!(query("b=2&a=1&a=0"), "a=0&a=1&b=2");
        assert_eq!(query("q=a+b&r=%7e%41&&bare"), "bare=&q=a%20b&r=~A");
        assert_eq!(query("x=%zz&y=%C3"), "x=%25zz&y=%EF%BF%BD");
        assert_eq!(query("k=%2F%20"), "k=%2F%20");
    }

    #[test]
    fn only_strictly_encoded_components_are_borrowed() {
        assert!(is_canonical_query_component(b"abc-._~%20%2F"));
        assert!(!is_canonical_query_component(b"%2f"));
        assert!(!is_canonical_query_component(b"%41"));
        assert!(!is_canonical_query_component(b"%C3%A9"));
        assert!(!is_canonical_query_component(b"a+b"));
        assert!(!is_canonical_query_component(b"%2"));
    }

    #[test]
    fn header_values_lose_outer_spaces_and_runs_of_spaces_only() {
        let trimmed = |value: &str| {
            let mut out = String::new();
            push_trimmed(&mut out, value);
            out
        };
        assert_eq!(trimmed("  a   b  c "), "a b c");
        assert_eq!(trimmed("\ta  b\t"), "\ta b\t");
        assert_eq!(trimmed("   "), "");
    }

    #[test]
    fn the_canonical_request_lists_signed_headers_sorted_and_joined() {
        let uri: Uri = "https://svc.example.on.aws:443/app?b=2&a=1"
            .parse()
            .unwrap();
        let mut headers = HeaderMap::new();
        headers.append("x-multi", "  one  ".parse().unwrap());
        headers.append("x-multi", "two   words".parse().unwrap());
        headers.insert("user-agent", "left out".parse().unwrap());
        let mut out = String::new();
        let signed = write_canonical_request(
            &mut out,
            "GET",
            &uri,
            &headers,
            &AddedHeaders {
                amz_date: "20150830T123600Z",
                security_token: Some("TOKEN"),
            },
            &["user-agent"],
        )
        .unwrap();
        assert_eq!(
            out,
            "GET\n/app\na=1&b=2\n\
             host:svc.example.on.aws\n\
             x-amz-content-sha256:UNSIGNED-PAYLOAD\n\
             x-amz-date:20150830T123600Z\n\
             x-amz-security-token:TOKEN\n\
             x-multi:one,two words\n\n\
             host;x-amz-content-sha256;x-amz-date;x-amz-security-token;x-multi\n\
             UNSIGNED-PAYLOAD"
        );
        assert_eq!(
            &out[signed],
            "host;x-amz-content-sha256;x-amz-date;x-amz-security-token;x-multi"
        );
    }
}
