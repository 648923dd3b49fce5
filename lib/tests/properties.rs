//! Property tests: whatever Lattice could send survives decoding intact, and
//! nothing at all makes the decoder panic.

use http::{HeaderName, HeaderValue, Method};
use lattice_lambda::{Body, EventVersion, LatticeRequest, QueryParameters, RequestExt};
use proptest::prelude::*;
use serde_json::Value;

fn header_name() -> impl Strategy<Value = String> {
    "[a-z][a-z0-9-]{0,20}".prop_filter("not a Lattice-owned header", |n| {
        !n.starts_with("x-amzn-lattice")
    })
}

/// Visible ASCII plus inner spaces, commas and semicolons: what real header values hold.
fn header_value() -> impl Strategy<Value = String> {
    "[!-~]([ -~]{0,40}[!-~])?"
}

fn query_text() -> impl Strategy<Value = String> {
    any::<String>().prop_map(|s| s.chars().take(30).collect())
}

fn request(version: EventVersion) -> impl Strategy<Value = LatticeRequest> {
    let max_values = if version == EventVersion::V1 { 1 } else { 4 };
    (
        proptest::collection::vec(
            (
                header_name(),
                proptest::collection::vec(header_value(), 1..=max_values),
            ),
            0..8,
        ),
        proptest::collection::vec(
            (
                query_text(),
                proptest::collection::vec(query_text(), 1..=max_values),
            ),
            0..8,
        ),
        proptest::collection::vec(any::<u8>(), 0..512),
        "(/[a-zA-Z0-9._~-]{0,12}){1,4}",
    )
        .prop_map(move |(headers, query, body, path)| {
            let mut request = LatticeRequest::new(version, Method::POST, path);
            for (name, values) in headers {
                let name = HeaderName::from_bytes(name.as_bytes()).unwrap();
                request.headers.remove(&name);
                for value in values {
                    request
                        .headers
                        .append(&name, HeaderValue::from_str(&value).unwrap());
                }
            }
            let mut seen = std::collections::HashSet::new();
            for (key, values) in query {
                if seen.insert(key.clone()) {
                    for value in values {
                        request.query.push(key.clone(), value);
                    }
                }
            }
            request.body = Body::from(body);
            request
        })
}

fn check_round_trip(original: LatticeRequest, version: EventVersion) -> Result<(), TestCaseError> {
    let json = original.to_event_json(version);
    let decoded =
        LatticeRequest::from_slice(&json).map_err(|e| TestCaseError::fail(e.to_string()))?;
    prop_assert_eq!(&decoded.headers, &original.headers);
    prop_assert_eq!(&decoded.query, &original.query);
    prop_assert_eq!(&decoded.body, &original.body);
    let http = decoded
        .into_http()
        .map_err(|e| TestCaseError::fail(e.to_string()))?;
    prop_assert_eq!(http.headers(), &original.headers);
    prop_assert_eq!(http.query_parameters(), &original.query);
    prop_assert_eq!(http.body(), &original.body);
    prop_assert_eq!(http.uri().path(), original.path.as_str());
    // The URI's query decodes back to exactly the parameters.
    let from_uri = http
        .uri()
        .query()
        .map(QueryParameters::parse)
        .unwrap_or_default();
    prop_assert_eq!(&from_uri, &original.query);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn v2_headers_query_and_body_survive(request in request(EventVersion::V2)) {
        check_round_trip(request, EventVersion::V2)?;
    }

    #[test]
    fn v1_headers_query_and_body_survive(request in request(EventVersion::V1)) {
        check_round_trip(request, EventVersion::V1)?;
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
        let _ = LatticeRequest::from_slice(&bytes);
    }

    #[test]
    fn arbitrary_json_never_panics(value in arbitrary_json()) {
        let _ = LatticeRequest::from_slice(value.to_string().as_bytes());
    }

    #[test]
    fn mutated_sample_events_never_panic(field in prop::sample::select(FIELDS), value in arbitrary_json(), which in 0usize..8) {
        let mut event: Value = serde_json::from_str(SAMPLES[which % SAMPLES.len()]).unwrap();
        event[field] = value;
        let _ = LatticeRequest::from_slice(event.to_string().as_bytes()).and_then(LatticeRequest::into_http);
    }
}

const FIELDS: &[&str] = &[
    "version",
    "path",
    "raw_path",
    "method",
    "headers",
    "queryStringParameters",
    "query_string_parameters",
    "body",
    "isBase64Encoded",
    "is_base64_encoded",
    "requestContext",
];

const SAMPLES: &[&str] = &[
    include_str!("../../events/v1-get.json"),
    include_str!("../../events/v1-post-iam.json"),
    include_str!("../../events/v2-get.json"),
    include_str!("../../events/v2-post-binary.json"),
    include_str!("../../events/v2-roles-anywhere.json"),
    include_str!("../../events/v2-multi-value.json"),
];

fn arbitrary_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| serde_json::json!(f)),
        any::<i64>().prop_map(|i| serde_json::json!(i)),
        ".{0,20}".prop_map(Value::String),
        Just(Value::String("2.0".into())),
        Just(Value::String("/".into())),
    ];
    leaf.prop_recursive(4, 64, 8, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            proptest::collection::btree_map(
                prop_oneof![
                    ".{0,10}",
                    prop::sample::select(FIELDS).prop_map(String::from)
                ],
                inner,
                0..6
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}
