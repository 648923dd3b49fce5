//! What the encoder writes is what Lattice sends: `to_event_json` of each real-shaped sample in
//! `events/` gives back that sample (same keys, types and values, identity headers byte for
//! byte), and every encoder output — same version or across versions — is read by
//! `aws_lambda_events`' own types as an independent decoder, with the same facts.
//!
//! The samples vary where real events vary; only these differences are normalised away:
//! a missing or null `body` is written as `""` (as Lattice's own samples show), V1's
//! `is_base64_encoded` as a boolean where a sample has the string `"false"` (the AWS V1 template
//! shows a string; every reader takes both), and V2 header/query values given as a plain
//! string are written as a one-element list.

use aws_lambda_events::vpc_lattice::{VpcLatticeRequestV1, VpcLatticeRequestV2};
use lattice_lambda::{EventVersion, Identity, LatticeRequest, RequestContext};
use serde_json::{Map, Value};

const SAMPLES: &[(&str, &str)] = &[
    ("v1-get.json", include_str!("../../events/v1-get.json")),
    (
        "v1-post-iam.json",
        include_str!("../../events/v1-post-iam.json"),
    ),
    ("v2-get.json", include_str!("../../events/v2-get.json")),
    (
        "v2-iam-identity.json",
        include_str!("../../events/v2-iam-identity.json"),
    ),
    (
        "v2-multi-value.json",
        include_str!("../../events/v2-multi-value.json"),
    ),
    (
        "v2-post-binary.json",
        include_str!("../../events/v2-post-binary.json"),
    ),
    (
        "v2-post-json.json",
        include_str!("../../events/v2-post-json.json"),
    ),
    (
        "v2-roles-anywhere.json",
        include_str!("../../events/v2-roles-anywhere.json"),
    ),
];

fn version_of(name: &str) -> EventVersion {
    if name.starts_with("v1") {
        EventVersion::V1
    } else {
        EventVersion::V2
    }
}

/// The sample with the differences the module docs list normalised away.
fn normalised(sample: &str, version: EventVersion) -> Value {
    let mut event: Value = serde_json::from_str(sample).expect("sample is JSON");
    let object = event.as_object_mut().expect("sample is an object");
    if object.get("body").is_none_or(Value::is_null) {
        object.insert("body".into(), Value::String(String::new()));
    }
    match version {
        EventVersion::V1 => {
            if let Some(Value::String(flag)) = object.get("is_base64_encoded") {
                let flag = flag == "true";
                object.insert("is_base64_encoded".into(), Value::Bool(flag));
            }
        }
        EventVersion::V2 => {
            for key in ["headers", "queryStringParameters"] {
                if let Some(Value::Object(map)) = object.get_mut(key) {
                    for value in map.values_mut() {
                        if let Value::String(text) = value {
                            *value = Value::Array(vec![Value::String(std::mem::take(text))]);
                        }
                    }
                }
            }
        }
    }
    event
}

#[test]
fn each_sample_is_written_back_as_lattice_wrote_it() {
    for (name, sample) in SAMPLES {
        let version = version_of(name);
        let request =
            LatticeRequest::from_slice(sample.as_bytes()).unwrap_or_else(|e| panic!("{name}: {e}"));
        let written: Value = serde_json::from_slice(&request.to_event_json(version))
            .unwrap_or_else(|e| panic!("{name}: our output is not JSON: {e}"));
        let expected = normalised(sample, version);
        if written != expected {
            panic!(
                "{name}: written back differently\n  differences: {}\n  expected: {expected}\n  written:  {written}",
                differences(&expected, &written, "").join("; ")
            );
        }
    }
}

/// Paths at which two JSON documents differ (missing key, other type, other value).
fn differences(expected: &Value, written: &Value, at: &str) -> Vec<String> {
    match (expected, written) {
        (Value::Object(a), Value::Object(b)) => {
            let mut out = Vec::new();
            for (key, value) in a {
                match b.get(key) {
                    None => out.push(format!("{at}.{key} missing")),
                    Some(other) => out.extend(differences(value, other, &format!("{at}.{key}"))),
                }
            }
            out.extend(
                b.keys()
                    .filter(|key| !a.contains_key(*key))
                    .map(|key| format!("{at}.{key} added")),
            );
            out
        }
        (a, b) if a == b => Vec::new(),
        (a, b) => vec![format!("{at}: {a} != {b}")],
    }
}

/// Reads our V1 output with `aws_lambda_events` and checks it says what we meant.
fn check_v1_with_aws_lambda_events(name: &str, request: &LatticeRequest) {
    let json = request.to_event_json(EventVersion::V1);
    let theirs: VpcLatticeRequestV1 =
        serde_json::from_slice(&json).unwrap_or_else(|e| panic!("{name} as V1: {e}"));
    assert_eq!(theirs.method.as_ref(), Some(&request.method), "{name}");
    let raw_path = theirs.raw_path.as_deref().expect("raw_path");
    assert_eq!(
        raw_path.split('?').next(),
        Some(request.path.as_str()),
        "{name}"
    );
    // V1 has one value per query key (the encoder keeps the last one).
    for (key, values) in request.query.grouped() {
        assert_eq!(
            theirs.query_string_parameters.first(key),
            values.last().copied(),
            "{name}: query {key}"
        );
    }
    // aws_lambda_events splits V1 header values on commas; the identity headers hold none,
    // so it reads them whole: both decoders must derive the same caller from them.
    let header = |n: &str| theirs.headers.get(n).and_then(|v| v.to_str().ok());
    let context = RequestContext::from_headers(
        header(lattice_lambda::TARGET_HEADER),
        header(lattice_lambda::IDENTITY_HEADER),
        header(lattice_lambda::NETWORK_HEADER),
    );
    let ours = request.context.clone().unwrap_or_default();
    assert_eq!(
        context.identity,
        Identity {
            tags: Vec::new(),
            ..ours.identity.clone()
        },
        "{name}"
    );
    assert_eq!(context.service_arn, ours.service_arn, "{name}");
    assert_eq!(context.target_group_arn, ours.target_group_arn, "{name}");
    let written: Value = serde_json::from_slice(&json).expect("our output is JSON");
    assert_eq!(
        Some(theirs.is_base64_encoded),
        written["is_base64_encoded"].as_bool(),
        "{name}"
    );
}

/// Reads our V2 output with `aws_lambda_events` and checks it says what we meant.
fn check_v2_with_aws_lambda_events(name: &str, request: &LatticeRequest) {
    let json = request.to_event_json(EventVersion::V2);
    let theirs: VpcLatticeRequestV2 =
        serde_json::from_slice(&json).unwrap_or_else(|e| panic!("{name} as V2: {e}"));
    assert_eq!(theirs.version, "2.0", "{name}");
    assert_eq!(theirs.method.as_ref(), Some(&request.method), "{name}");
    let path = theirs.path.as_deref().expect("path");
    assert_eq!(
        path.split('?').next(),
        Some(request.path.as_str()),
        "{name}"
    );
    for (header, value) in &request.headers {
        assert!(
            theirs.headers.get_all(header).iter().any(|v| v == value),
            "{name}: header {header}"
        );
    }
    let ours = request.context.clone().unwrap_or_default();
    let context = &theirs.request_context;
    assert_eq!(
        Some(context.service_arn.as_str()),
        ours.service_arn(),
        "{name}"
    );
    assert_eq!(
        Some(context.target_group_arn.as_str()),
        ours.target_group_arn(),
        "{name}"
    );
    assert!(
        context.time_epoch.bytes().all(|b| b.is_ascii_digit()),
        "{name}: timeEpoch"
    );
    let identity = context.identity.clone().unwrap_or_default();
    let mine = &ours.identity;
    assert_eq!(identity.principal.as_deref(), mine.principal(), "{name}");
    assert_eq!(
        identity.principal_org_id.as_deref(),
        mine.principal_org_id(),
        "{name}"
    );
    assert_eq!(
        identity.session_name.as_deref(),
        mine.session_name(),
        "{name}"
    );
    assert_eq!(
        identity.source_vpc_arn.as_deref(),
        mine.source_vpc_arn(),
        "{name}"
    );
    assert_eq!(
        identity.identity_type.as_deref(),
        mine.auth_type().map(|t| t.as_str()),
        "{name}"
    );
    assert_eq!(identity.x509_subject_cn, mine.x509.subject_cn, "{name}");
    assert_eq!(identity.x509_san_uri, mine.x509.san_uri, "{name}");
    assert_eq!(identity.x509_issuer_ou, mine.x509.issuer_ou, "{name}");
}

#[test]
fn aws_lambda_events_reads_every_output_the_same_way() {
    for (name, sample) in SAMPLES {
        let request =
            LatticeRequest::from_slice(sample.as_bytes()).unwrap_or_else(|e| panic!("{name}: {e}"));
        check_v1_with_aws_lambda_events(name, &request);
        check_v2_with_aws_lambda_events(name, &request);
    }
}

#[test]
fn identity_headers_written_from_v2_have_the_v1_samples_format() {
    // v2-roles-anywhere has every identity field; its V1 form must use the keys, order and
    // separators of the V1 sample's headers, so a V1 reader of real events reads ours.
    let v1_sample: Value =
        serde_json::from_str(include_str!("../../events/v1-post-iam.json")).unwrap();
    let request =
        LatticeRequest::from_slice(include_str!("../../events/v2-roles-anywhere.json").as_bytes())
            .unwrap();
    let written: Value = serde_json::from_slice(&request.to_event_json(EventVersion::V1)).unwrap();
    let keys = |header: &Value| -> Vec<String> {
        header
            .as_str()
            .expect("a V1 header is a string")
            .split("; ")
            .map(|pair| pair.split_once('=').expect("Key=value").0.to_owned())
            .collect()
    };
    let sample_headers: &Map<String, Value> = v1_sample["headers"].as_object().unwrap();
    for name in [
        "x-amzn-lattice-identity",
        "x-amzn-lattice-network",
        "x-amzn-lattice-target",
    ] {
        let ours = keys(&written["headers"][name]);
        let theirs = keys(&sample_headers[name]);
        // Ours may carry more keys (X.509 fields), but the sample's come first, in order.
        assert_eq!(&ours[..theirs.len()], &theirs[..], "{name}: {ours:?}");
    }
    let identity_keys = keys(&written["headers"]["x-amzn-lattice-identity"]);
    let sample_count = keys(&sample_headers["x-amzn-lattice-identity"]).len();
    // The X.509 fields, spelled and ordered as the User Guide lists them, come last (the
    // fail-closed reader refuses a principal key after them).
    assert_eq!(
        identity_keys[sample_count..],
        [
            "X509Issuer/OU",
            "X509SAN/DNS",
            "X509SAN/NameCN",
            "X509SAN/URI",
            "X509Subject/CN"
        ]
    );
}
