//! `ANY /echo` (the request described as JSON) and `ANY /echo/body` (the body sent back).

use std::borrow::Cow;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use http::header::CONTENT_TYPE;
use http::{HeaderMap, StatusCode};
use lattice_lambda::{Body, RequestExt, response};
use serde::Serialize;
use serde::ser::SerializeMap as _;

/// Headers whose values are credentials: `/echo` shows them as [`REDACTED`] so that the
/// echo cannot be used to read a caller's secrets back out (or leak them into a log).
pub const SENSITIVE_HEADERS: [&str; 4] = [
    "authorization",
    "proxy-authorization",
    "x-amz-security-token",
    "cookie",
];

/// Query keys of a presigned (query-string SigV4) request whose values are credentials or
/// signatures; compared case-insensitively, as presigned URLs are written in either case.
pub const SENSITIVE_QUERY_KEYS: [&str; 3] = [
    "X-Amz-Security-Token",
    "X-Amz-Signature",
    "X-Amz-Credential",
];

/// What a sensitive header's value is replaced with.
pub const REDACTED: &str = "<redacted>";

/// The `/echo` document: the request as the function saw it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EchoedRequest<'a> {
    /// HTTP method.
    pub method: &'a str,
    /// Path without the query.
    pub path: &'a str,
    /// Query parameters, every value of every key, keys in order of first appearance.
    pub query: MultiMap<'a>,
    /// Headers, every value of every name (sensitive ones redacted).
    pub headers: MultiMap<'a>,
    /// The body: text when it is UTF-8, base64 otherwise.
    pub body: Cow<'a, str>,
    /// Whether `body` is base64.
    pub is_base64_encoded: bool,
}

/// Keys with all their values, serialised as a JSON object of arrays in insertion order.
#[derive(Debug, Default)]
pub struct MultiMap<'a>(Vec<(&'a str, Vec<Cow<'a, str>>)>);

impl Serialize for MultiMap<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (key, values) in &self.0 {
            map.serialize_entry(key, values)?;
        }
        map.end()
    }
}

impl<'a> EchoedRequest<'a> {
    /// Describes `request`.
    pub fn of(request: &'a http::Request<Body>) -> Self {
        let query = request
            .query_parameters()
            .grouped()
            .into_iter()
            .map(|(key, values)| {
                let sensitive = SENSITIVE_QUERY_KEYS
                    .iter()
                    .any(|k| k.eq_ignore_ascii_case(key));
                let values = values
                    .into_iter()
                    .map(|value| Cow::Borrowed(if sensitive { REDACTED } else { value }))
                    .collect();
                (key, values)
            })
            .collect();
        let bytes = request.body().as_bytes();
        let (body, is_base64_encoded) = match std::str::from_utf8(bytes) {
            Ok(text) => (Cow::Borrowed(text), false),
            Err(_) => (Cow::Owned(BASE64.encode(bytes)), true),
        };
        EchoedRequest {
            method: request.method().as_str(),
            path: request.uri().path(),
            query: MultiMap(query),
            headers: redacted_headers(request.headers()),
            body,
            is_base64_encoded,
        }
    }
}

fn redacted_headers(headers: &HeaderMap) -> MultiMap<'_> {
    let grouped = headers
        .keys()
        .map(|name| {
            let sensitive = SENSITIVE_HEADERS.contains(&name.as_str());
            let values = headers
                .get_all(name)
                .iter()
                .map(|value| match sensitive {
                    true => Cow::Borrowed(REDACTED),
                    // Header values may carry non-ASCII bytes; show them rather than fail.
                    false => String::from_utf8_lossy(value.as_bytes()),
                })
                .collect();
            (name.as_str(), values)
        })
        .collect();
    MultiMap(grouped)
}

/// The `/echo` response.
pub fn echo(request: &http::Request<Body>) -> http::Response<Body> {
    response::json(StatusCode::OK, &EchoedRequest::of(request))
}

/// The `/echo/body` response: the request body, byte for byte, with the request's
/// `content-type` (none when the request had none).
pub fn echo_body(request: http::Request<Body>) -> http::Response<Body> {
    let (parts, body) = request.into_parts();
    let mut response = http::Response::new(body);
    if let Some(content_type) = parts.headers.get(CONTENT_TYPE) {
        response
            .headers_mut()
            .insert(CONTENT_TYPE, content_type.clone());
    }
    response
}

#[cfg(test)]
mod tests {
    use lattice_lambda::testing::EventBuilder;
    use serde_json::json;

    use super::*;

    fn echoed(request: &http::Request<Body>) -> serde_json::Value {
        serde_json::to_value(EchoedRequest::of(request)).expect("serialisable")
    }

    #[test]
    fn multi_values_keep_their_order_and_secrets_are_redacted() {
        let request = EventBuilder::get("/echo")
            .query("tag", "b")
            .query("tag", "a")
            .header("x-custom", "one")
            .header("x-custom", "two")
            .header("authorization", "AWS4-HMAC-SHA256 Signature=abc")
            .header("cookie", "a=1")
            .header("cookie", "b=2")
            .header("x-amz-security-token", "token")
            .build_http();
        let document = echoed(&request);
        assert_eq!(document["query"], json!({"tag": ["b", "a"]}));
        assert_eq!(document["headers"]["x-custom"], json!(["one", "two"]));
        assert_eq!(document["headers"]["authorization"], json!([REDACTED]));
        assert_eq!(document["headers"]["cookie"], json!([REDACTED, REDACTED]));
        assert_eq!(
            document["headers"]["x-amz-security-token"],
            json!([REDACTED])
        );
        assert!(!document.to_string().contains("Signature=abc"));
    }

    #[test]
    fn proxy_credentials_and_presigned_query_credentials_are_redacted() {
        let request = EventBuilder::get("/echo")
            .query("X-Amz-Algorithm", "AWS4-HMAC-SHA256")
            .query(
                "X-Amz-Credential",
                "AKIDEXAMPLE/20150830/us-west-2/vpc-lattice-svcs/aws4_request",
            )
            .query(
                "x-amz-signature",
                "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7",
            )
            .query("X-AMZ-SECURITY-TOKEN", "IQoJb3JpZ2luEXAMPLE")
            .query("X-Amz-Security-Token", "second-copy")
            .query("page", "2")
            .header("proxy-authorization", "Basic dXNlcjpodW50ZXIy")
            .build_http();
        let document = echoed(&request);
        let text = document.to_string();
        for secret in [
            "AKIDEXAMPLE",
            "5d672d79c15b",
            "IQoJb3JpZ2luEXAMPLE",
            "second-copy",
            "dXNlcjpodW50ZXIy",
        ] {
            assert!(!text.contains(secret), "{secret} leaked: {text}");
        }
        assert_eq!(document["query"]["X-Amz-Credential"], json!([REDACTED]));
        assert_eq!(document["query"]["x-amz-signature"], json!([REDACTED]));
        assert_eq!(document["query"]["X-AMZ-SECURITY-TOKEN"], json!([REDACTED]));
        assert_eq!(document["query"]["X-Amz-Security-Token"], json!([REDACTED]));
        // Not a secret: the algorithm, and ordinary parameters, stay readable.
        assert_eq!(
            document["query"]["X-Amz-Algorithm"],
            json!(["AWS4-HMAC-SHA256"])
        );
        assert_eq!(document["query"]["page"], json!(["2"]));
        assert_eq!(
            document["headers"]["proxy-authorization"],
            json!([REDACTED])
        );
    }

    #[test]
    fn binary_bodies_are_base64_and_text_is_text() {
        let binary = EventBuilder::post("/echo")
            .body("application/octet-stream", vec![0xff, 0x00, 0x01])
            .build_http();
        let document = echoed(&binary);
        assert_eq!(document["body"], "/wAB");
        assert_eq!(document["isBase64Encoded"], true);

        let text = EventBuilder::post("/echo")
            .body("text/plain", "héllo")
            .build_http();
        let document = echoed(&text);
        assert_eq!(document["body"], "héllo");
        assert_eq!(document["isBase64Encoded"], false);
    }

    #[test]
    fn echo_body_keeps_bytes_and_content_type() {
        let png = vec![0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a, 0x00];
        let request = EventBuilder::post("/echo/body")
            .body("image/png", png.clone())
            .build_http();
        let response = echo_body(request);
        assert_eq!(response.headers()[CONTENT_TYPE], "image/png");
        assert_eq!(response.body().as_bytes(), png);
    }
}
