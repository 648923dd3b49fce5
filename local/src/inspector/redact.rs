//! Credentials out, before anything is stored: the inspector keeps no value of a header that
//! carries a credential (`authorization`, `proxy-authorization`, `x-amz-security-token`,
//! `cookie`, `set-cookie`) and no value of a presigned URL's `X-Amz-Signature`,
//! `X-Amz-Credential` or `X-Amz-Security-Token`, wherever it appears: in header maps, query
//! strings, request targets and the JSON of Lambda events and responses.
//!
//! Why on the server: a page only shows what it was sent, so what the server never stores can
//! leak through no page, screenshot or saved HTML.

use std::borrow::Cow;

use http::HeaderMap;
use serde_json::Value;

/// What a redacted value is replaced with.
pub const REDACTED: &str = "[redacted]";

/// Headers whose values are credentials (compared case-insensitively).
const SECRET_HEADERS: [&str; 5] = [
    "authorization",
    "proxy-authorization",
    "x-amz-security-token",
    "cookie",
    "set-cookie",
];

/// Query parameters of presigned requests whose values are credentials (any case).
const SECRET_QUERY_KEYS: [&str; 3] = [
    "x-amz-signature",
    "x-amz-credential",
    "x-amz-security-token",
];

/// Whether a header (or JSON key naming one) carries a credential.
pub fn is_secret_header(name: &str) -> bool {
    SECRET_HEADERS.iter().any(|h| h.eq_ignore_ascii_case(name))
}

fn is_secret_key(name: &str) -> bool {
    is_secret_header(name)
        || SECRET_QUERY_KEYS
            .iter()
            .any(|k| k.eq_ignore_ascii_case(name))
}

/// A credential header's value without the credential: its scheme stays when it has one
/// (`AWS4-HMAC-SHA256 [redacted]`, `Bearer [redacted]`), so the page still tells a signed
/// request from an unsigned one.
fn redacted_value(value: &str) -> String {
    let scheme = value
        .split_once(' ')
        .map(|(scheme, _)| scheme)
        .filter(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'));
    match scheme {
        Some(scheme) => format!("{scheme} {REDACTED}"),
        None => REDACTED.to_owned(),
    }
}

/// The headers as `(name, value)` pairs, in order, credentials redacted and any presigned
/// parameter inside a value too; bytes that are not UTF-8 are replaced.
///
/// ```
/// use http::HeaderMap;
/// use lattice_local::inspector::redact::redact_headers;
/// let mut headers = HeaderMap::new();
/// headers.insert("authorization", "AWS4-HMAC-SHA256 Credential=AKIA/x, Signature=abc".parse().unwrap());
/// headers.insert("accept", "*/*".parse().unwrap());
/// assert_eq!(
///     redact_headers(&headers),
///     [("authorization".to_owned(), "AWS4-HMAC-SHA256 [redacted]".to_owned()),
///      ("accept".to_owned(), "*/*".to_owned())]
/// );
/// ```
pub fn redact_headers(headers: &HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(name, value)| {
            let text = String::from_utf8_lossy(value.as_bytes());
            let shown = if is_secret_header(name.as_str()) {
                redacted_value(&text)
            } else {
                redact_query_values(&text).into_owned()
            };
            (name.as_str().to_owned(), shown)
        })
        .collect()
}

/// `text` with the value of every `X-Amz-Signature=`, `X-Amz-Credential=` and
/// `X-Amz-Security-Token=` (any case, in a query string, a URL or a path) redacted up to the
/// next `&`, `#`, quote or whitespace.
///
/// ```
/// use lattice_local::inspector::redact::redact_query_values;
/// assert_eq!(
///     redact_query_values("/app?a=1&X-Amz-Signature=f00d&x-amz-credential=AKIA%2F1"),
///     "/app?a=1&X-Amz-Signature=[redacted]&x-amz-credential=[redacted]"
/// );
/// assert_eq!(redact_query_values("/plain?a=1"), "/plain?a=1");
/// ```
pub fn redact_query_values(text: &str) -> Cow<'_, str> {
    let lower = text.to_ascii_lowercase();
    let mut cuts: Vec<(usize, usize)> = Vec::new();
    for key in SECRET_QUERY_KEYS {
        let needle = format!("{key}=");
        let mut from = 0;
        while let Some(found) = lower[from..].find(&needle) {
            let start = from + found + needle.len();
            let end = text[start..]
                .find(|c: char| matches!(c, '&' | '#' | '"' | '\'') || c.is_whitespace())
                .map_or(text.len(), |n| start + n);
            cuts.push((start, end));
            from = end;
        }
    }
    if cuts.is_empty() {
        return Cow::Borrowed(text);
    }
    cuts.sort_unstable();
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for (start, end) in cuts {
        if start < at {
            continue;
        }
        out.push_str(&text[at..start]);
        out.push_str(REDACTED);
        at = end;
    }
    out.push_str(&text[at..]);
    Cow::Owned(out)
}

/// What redacting and cutting a JSON document changed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Trimmed {
    /// Some string (a body) was longer than the limit and was cut.
    pub cut: bool,
}

/// Redacts `value` in place: under any key that names a credential header or presigned
/// parameter (`headers.authorization`, `multiValueHeaders.cookie`,
/// `queryStringParameters.X-Amz-Signature`, …) every string becomes [`REDACTED`]; every other
/// string has its presigned parameters redacted and is cut to `limit` bytes.
///
/// ```
/// use lattice_local::inspector::redact::redact_json;
/// let mut event = serde_json::json!({
///     "headers": {"Authorization": ["AWS4-HMAC-SHA256 Signature=abc"], "accept": ["*/*"]},
///     "body": "0123456789",
/// });
/// let trimmed = redact_json(&mut event, 4);
/// assert_eq!(event["headers"]["Authorization"][0], "AWS4-HMAC-SHA256 [redacted]");
/// assert_eq!(event["body"], "0123…");
/// assert!(trimmed.cut);
/// ```
pub fn redact_json(value: &mut Value, limit: usize) -> Trimmed {
    let mut trimmed = Trimmed::default();
    walk(value, limit, &mut trimmed);
    trimmed
}

fn walk(value: &mut Value, limit: usize, trimmed: &mut Trimmed) {
    match value {
        Value::Object(map) => {
            for (key, inner) in map.iter_mut() {
                if is_secret_key(key) {
                    redact_all(inner);
                } else {
                    walk(inner, limit, trimmed);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| walk(v, limit, trimmed)),
        Value::String(text) => {
            if let Cow::Owned(clean) = redact_query_values(text) {
                *text = clean;
            }
            if text.len() > limit {
                *text = format!("{}…", cut_to(text, limit));
                trimmed.cut = true;
            }
        }
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
}

/// Every string inside `value` redacted (a header's value, or its list of values).
fn redact_all(value: &mut Value) {
    match value {
        Value::String(text) => *text = redacted_value(text),
        Value::Array(items) => items.iter_mut().for_each(redact_all),
        Value::Object(map) => map.values_mut().for_each(redact_all),
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
}

/// The longest prefix of `text` within `limit` bytes that ends on a character boundary.
pub fn cut_to(text: &str, limit: usize) -> &str {
    &text[..text.floor_char_boundary(limit)]
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_credential_header_is_redacted_in_any_case_and_count() {
        let mut headers = HeaderMap::new();
        for (name, value) in [
            (
                "Authorization",
                "AWS4-HMAC-SHA256 Credential=AKIAX/1, Signature=deadbeef",
            ),
            ("proxy-authorization", "Basic dXNlcjpwYXNz"),
            ("X-Amz-Security-Token", "FwoGZXIvYXdzEJr//SessionValue"),
            ("cookie", "session=s3cr3t"),
            ("cookie", "other=s3cr3t2"),
            ("set-cookie", "id=s3cr3t3; HttpOnly"),
            ("x-amz-date", "20260101T000000Z"),
        ] {
            headers.append(
                http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
                value.parse().unwrap(),
            );
        }
        let shown = redact_headers(&headers);
        let text = format!("{shown:?}");
        for secret in [
            "deadbeef",
            "AKIAX",
            "dXNlcjpwYXNz",
            "SessionValue",
            "s3cr3t",
        ] {
            assert!(!text.contains(secret), "{secret} in {text}");
        }
        assert!(shown.contains(&("x-amz-date".into(), "20260101T000000Z".into())));
        assert!(shown.contains(&("proxy-authorization".into(), "Basic [redacted]".into())));
        assert_eq!(shown.iter().filter(|(n, _)| n == "cookie").count(), 2);
    }

    #[test]
    fn presigned_parameters_are_redacted_wherever_they_appear() {
        let target = "/x?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIA%2F20260101&X-AMZ-SECURITY-TOKEN=tok&X-Amz-Signature=abc#frag";
        assert_eq!(
            redact_query_values(target),
            "/x?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=[redacted]&X-AMZ-SECURITY-TOKEN=[redacted]&X-Amz-Signature=[redacted]#frag"
        );
        // A parameter without a value, or at the very end.
        assert_eq!(
            redact_query_values("?x-amz-signature="),
            "?x-amz-signature=[redacted]"
        );
        assert_eq!(
            redact_query_values("é?X-Amz-Signature=é"),
            "é?X-Amz-Signature=[redacted]"
        );
    }

    #[test]
    fn lambda_events_and_responses_lose_their_credentials_and_long_bodies() {
        let mut v1 = json!({
            "raw_path": "/app?X-Amz-Signature=abc",
            "method": "GET",
            "headers": {"authorization": "AWS4-HMAC-SHA256 Signature=abc", "x-amz-security-token": "SessionValue"},
            "query_string_parameters": {"X-Amz-Credential": "AKIA/1", "page": "2"},
            "body": "x".repeat(100),
        });
        let trimmed = redact_json(&mut v1, 40);
        let text = v1.to_string();
        assert_eq!(v1["raw_path"], "/app?X-Amz-Signature=[redacted]");
        for secret in ["abc", "SessionValue", "AKIA"] {
            assert!(!text.contains(secret), "{secret} in {text}");
        }
        assert_eq!(v1["query_string_parameters"]["page"], "2");
        assert_eq!(v1["body"], format!("{}…", "x".repeat(40)));
        assert!(trimmed.cut);
        let mut response =
            json!({"statusCode": 200, "headers": {"Set-Cookie": "id=1"}, "body": "ok"});
        assert!(!redact_json(&mut response, 10).cut);
        assert_eq!(response["headers"]["Set-Cookie"], REDACTED);
        assert_eq!(response["body"], "ok");
    }
}
