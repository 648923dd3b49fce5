use std::time::{Duration, UNIX_EPOCH};

use super::*;
use crate::AuthType;

fn decode(json: &str) -> Result<LatticeRequest, EventError> {
    LatticeRequest::from_slice(json.as_bytes())
}

const CONTEXT: &str = r#""requestContext":{"serviceNetworkArn":"arn:sn","serviceArn":"arn:svc","targetGroupArn":"arn:tg","region":"us-west-2","timeEpoch":"1690497599177430"}"#;

fn v2(fields: &str) -> String {
    format!(
        r#"{{"version":"2.0","path":"/p","method":"GET",{fields}{sep}{CONTEXT}}}"#,
        sep = if fields.is_empty() { "" } else { "," }
    )
}

#[test]
fn v1_header_with_commas_stays_one_value() {
    let agent = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko)";
    let request = decode(&format!(
        r#"{{"raw_path":"/","method":"GET","headers":{{"User-Agent":"{agent}"}}}}"#
    ))
    .unwrap();
    let values: Vec<_> = request.headers.get_all("user-agent").iter().collect();
    assert_eq!(values, [agent]);
}

#[test]
fn v2_multi_value_headers_and_query_keep_order() {
    let request = decode(&v2(r#""headers":{"x-a":["3","1","2"],"x-b":"plain"},"queryStringParameters":{"k":["z","a"],"s":"one"}"#)).unwrap();
    let values: Vec<_> = request
        .headers
        .get_all("x-a")
        .iter()
        .map(|v| v.to_str().unwrap())
        .collect();
    assert_eq!(values, ["3", "1", "2"]);
    assert_eq!(request.headers["x-b"], "plain");
    assert_eq!(request.query.all("k").collect::<Vec<_>>(), ["z", "a"]);
    assert_eq!(request.query.first("s"), Some("one"));
    assert_eq!(request.uri().unwrap(), "/p?k=z&k=a&s=one");
}

#[test]
fn body_absent_null_or_empty_is_empty() {
    for body in ["", r#""body":null"#, r#""body":"""#] {
        let request = decode(&v2(body)).unwrap();
        assert!(request.body.is_empty(), "{body}");
    }
}

#[test]
fn base64_body_is_decoded_and_invalid_base64_is_an_error() {
    let request = decode(&v2(r#""body":"iVBORw0KGgo=","isBase64Encoded":true"#)).unwrap();
    assert_eq!(
        request.body.as_bytes(),
        &[0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a]
    );
    let error = decode(&v2(r#""body":"not base64!","isBase64Encoded":true"#)).unwrap_err();
    assert!(matches!(error, EventError::InvalidBase64(_)), "{error}");
    // V1's flag may be a string.
    let v1 = decode(r#"{"raw_path":"/","method":"PUT","body":"aGk=","is_base64_encoded":"true"}"#)
        .unwrap();
    assert_eq!(v1.body.as_bytes(), b"hi");
}

#[test]
fn query_in_path_appears_once() {
    let request = decode(r#"{"raw_path":"/p?a=1&b=x%20y","method":"GET","query_string_parameters":{"a":"1","b":"x y"}}"#).unwrap();
    assert_eq!(request.path, "/p");
    assert_eq!(request.uri().unwrap(), "/p?a=1&b=x%20y");
    assert_eq!(request.query.first("b"), Some("x y"));
    // Query only in the path: parsed from it.
    let request = decode(&v2("").replace(r#""path":"/p""#, r#""path":"/p?q=%C3%A9&q=2""#)).unwrap();
    assert_eq!(request.query.all("q").collect::<Vec<_>>(), ["é", "2"]);
    assert_eq!(request.into_http().unwrap().uri(), "/p?q=%C3%A9&q=2");
}

#[test]
fn percent_encoded_query_values_survive() {
    let request = decode(&v2(
        r#""queryStringParameters":{"redirect":["https://x.example/?a=b&c=d"],"raw":["a%20b"]}"#,
    ))
    .unwrap();
    let uri = request.uri().unwrap();
    let parsed = QueryParameters::parse(uri.query().unwrap());
    assert_eq!(parsed.first("redirect"), Some("https://x.example/?a=b&c=d"));
    assert_eq!(parsed.first("raw"), Some("a%20b"));
}

#[test]
fn time_epoch_becomes_a_timestamp_and_garbage_is_an_error() {
    let request = decode(&v2("")).unwrap();
    let time = request.context.unwrap().time.unwrap();
    assert_eq!(
        time,
        UNIX_EPOCH + Duration::from_micros(1_690_497_599_177_430)
    );
    let error = decode(&v2("").replace("1690497599177430", "yesterday")).unwrap_err();
    assert!(
        matches!(error, EventError::InvalidTimeEpoch(ref v) if v == "yesterday"),
        "{error}"
    );
    let error = decode(&v2("").replace("1690497599177430", "99999999999999999999999")).unwrap_err();
    assert!(matches!(error, EventError::InvalidTimeEpoch(_)), "{error}");
}

#[test]
fn dispatch_is_explicit() {
    assert!(matches!(
        decode("{}").unwrap_err(),
        EventError::UnrecognisedShape
    ));
    assert!(matches!(
        decode("[]").unwrap_err(),
        EventError::NotAnObject("an array")
    ));
    assert!(matches!(
        decode(r#""text""#).unwrap_err(),
        EventError::NotAnObject("a string")
    ));
    assert!(matches!(
        decode("null").unwrap_err(),
        EventError::NotAnObject("null")
    ));
    assert!(matches!(decode("{").unwrap_err(), EventError::Json(_)));
    let error = decode(r#"{"version":"2.0","path":"/","method":"GET"}"#).unwrap_err();
    assert!(
        matches!(
            error,
            EventError::MissingField {
                version: EventVersion::V2,
                field: "requestContext"
            }
        ),
        "{error}"
    );
    assert!(error.to_string().contains("requestContext"));
    assert!(
        matches!(decode(r#"{"version":"3.0","path":"/"}"#).unwrap_err(), EventError::UnsupportedVersion(v) if v == "3.0")
    );
    let error = decode(r#"{"raw_path":"/"}"#).unwrap_err();
    assert!(
        matches!(
            error,
            EventError::MissingField {
                version: EventVersion::V1,
                field: "method"
            }
        ),
        "{error}"
    );
    // requestContext alone marks V2.
    let request = decode(&v2("").replace(r#""version":"2.0","#, "")).unwrap();
    assert_eq!(request.version, EventVersion::V2);
}

#[test]
fn invalid_fields_are_named() {
    let error = decode(r#"{"raw_path":"/","method":"G E T"}"#).unwrap_err();
    assert!(
        matches!(error, EventError::InvalidMethod(ref m) if m == "G E T"),
        "{error}"
    );
    let error = decode(r#"{"raw_path":"no-slash","method":"GET"}"#).unwrap_err();
    assert!(matches!(error, EventError::InvalidPath { .. }), "{error}");
    let error =
        decode(r#"{"raw_path":"/","method":"GET","headers":{"bad header":"x"}}"#).unwrap_err();
    assert!(
        matches!(error, EventError::InvalidHeaderName(ref n) if n == "bad header"),
        "{error}"
    );
    let error = decode(r#"{"raw_path":"/","method":"GET","headers":{"x-secret":"line\nbreak"}}"#)
        .unwrap_err();
    assert!(
        matches!(error, EventError::InvalidHeaderValue(ref n) if n == "x-secret"),
        "{error}"
    );
    assert!(
        !error.to_string().contains("line"),
        "header values are never echoed"
    );
    let error = decode(&v2(r#""headers":{"x":[1]}"#)).unwrap_err();
    assert!(matches!(error, EventError::Json(_)), "{error}");
    let error = decode(&v2("").replace(r#""serviceArn":"arn:svc","#, "")).unwrap_err();
    assert!(error.to_string().contains("serviceArn"), "{error}");
}

#[test]
fn v1_identity_comes_from_lattice_headers() {
    let request = decode(include_str!("../../../events/v1-post-iam.json")).unwrap();
    let context = request.context.expect("context from headers");
    assert_eq!(context.identity.auth_type, Some(AuthType::AwsIam));
    assert_eq!(
        context.identity.principal_org_id(),
        Some("o-50dc6c495c0c9188")
    );
    assert!(
        context
            .service_arn()
            .unwrap()
            .ends_with("service/svc-0a40eebed65f8d69c")
    );
    assert!(context.time.is_none() && context.region.is_none());
    // No Lattice headers: no context rather than an invented one.
    let bare = decode(r#"{"raw_path":"/","method":"GET"}"#).unwrap();
    assert!(bare.context.is_none());
}

#[test]
fn v2_absent_identity_fields_stay_absent() {
    let request = decode(include_str!("../../../events/v2-get.json")).unwrap();
    let identity = request.context.unwrap().identity;
    assert_eq!(identity.auth_type, Some(AuthType::None));
    assert!(
        identity.principal.is_none() && identity.session_name.is_none() && identity.x509.is_empty()
    );
}

const EVENTS: &[(&str, &str)] = &[
    ("v1-get.json", include_str!("../../../events/v1-get.json")),
    (
        "v1-post-iam.json",
        include_str!("../../../events/v1-post-iam.json"),
    ),
    ("v2-get.json", include_str!("../../../events/v2-get.json")),
    (
        "v2-post-json.json",
        include_str!("../../../events/v2-post-json.json"),
    ),
    (
        "v2-post-binary.json",
        include_str!("../../../events/v2-post-binary.json"),
    ),
    (
        "v2-iam-identity.json",
        include_str!("../../../events/v2-iam-identity.json"),
    ),
    (
        "v2-roles-anywhere.json",
        include_str!("../../../events/v2-roles-anywhere.json"),
    ),
    (
        "v2-multi-value.json",
        include_str!("../../../events/v2-multi-value.json"),
    ),
];

#[test]
fn every_sample_event_decodes_and_round_trips() {
    for (name, json) in EVENTS {
        let request = decode(json).unwrap_or_else(|e| panic!("{name}: {e}"));
        let expected_version = if name.starts_with("v1") {
            EventVersion::V1
        } else {
            EventVersion::V2
        };
        assert_eq!(request.version, expected_version, "{name}");
        let again = LatticeRequest::from_slice(&request.to_event_json(request.version))
            .unwrap_or_else(|e| panic!("{name} re-decode: {e}"));
        assert_eq!(again, request, "{name} round trip");
        request
            .clone()
            .into_http()
            .unwrap_or_else(|e| panic!("{name} into_http: {e}"));
    }
}

#[test]
fn every_sample_event_converts_across_versions() {
    for (name, json) in EVENTS {
        let request = decode(json).unwrap();
        let other = match request.version {
            EventVersion::V1 => EventVersion::V2,
            EventVersion::V2 => EventVersion::V1,
        };
        let converted = LatticeRequest::from_slice(&request.to_event_json(other))
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(converted.method, request.method, "{name}");
        assert_eq!(converted.path, request.path, "{name}");
        assert_eq!(converted.body, request.body, "{name}");
        let identity = |r: &LatticeRequest| {
            r.context
                .as_ref()
                .map(|c| c.identity.clone())
                .unwrap_or_default()
        };
        assert_eq!(identity(&converted), identity(&request), "{name}");
    }
}

#[test]
fn binary_event_body_goes_out_base64() {
    let request = decode(include_str!("../../../events/v2-post-binary.json")).unwrap();
    assert_eq!(&request.body.as_bytes()[..4], b"\x89PNG");
    let (body, base64) = request.event_body();
    assert!(base64);
    assert!(body.starts_with("iVBORw0KGgo"));
}

#[test]
fn content_encoded_non_text_bodies_are_base64_in_events() {
    let mut request = LatticeRequest::new(EventVersion::V2, Method::POST, "/");
    request.body = Body::from("plain ascii");
    request
        .headers
        .insert("content-encoding", HeaderValue::from_static("gzip"));
    request.headers.insert(
        "content-type",
        HeaderValue::from_static("application/octet-stream"),
    );
    assert!(request.event_body().1);
    request
        .headers
        .insert("content-type", HeaderValue::from_static("application/json"));
    assert!(!request.event_body().1);
}

#[test]
fn a_v1_event_whose_certificate_forges_the_principal_is_refused() {
    // A Roles Anywhere caller's subject CN of `device; Principal=…:role/admin`, as Lattice
    // would put it into the header (unescaped).
    let event = r#"{"raw_path":"/admin","method":"GET","headers":{
        "x-amzn-lattice-identity":"Principal=arn:aws:sts::123456789012:assumed-role/device/s; Type=AWS_IAM; X509Subject/CN=device; Principal=arn:aws:iam::123456789012:role/admin",
        "x-amzn-lattice-network":"SourceVpcArn=arn:aws:ec2:us-west-2:123456789012:vpc/vpc-1"}}"#;
    let error = decode(event).unwrap_err();
    assert!(matches!(error, EventError::Identity(_)), "{error}");
    assert!(error.to_string().contains("Principal"), "{error}");
    assert!(!error.to_string().contains("role/admin"), "{error}");
    assert_eq!(error.error_type(), "InvalidLatticeEvent");
}

#[test]
fn v2_identity_keys_are_read_in_every_documented_spelling() {
    let event = v2("").replace(
        r#""timeEpoch""#,
        r#""identity":{"type":"AWS_IAM","principal":"arn:p","principalOrgId":"o-1",
            "principalOrgPath":"o-1/r-ab/ou-cd/","X509IssuerOu":"Eng","X509SanNameCn":"n",
            "X509SubjectCn":"cn","x509SanDns":"d"},"timeEpoch""#,
    );
    let identity = decode(&event).unwrap().context.unwrap().identity;
    assert_eq!(identity.principal_org_id(), Some("o-1"));
    assert_eq!(identity.principal_org_path(), Some("o-1/r-ab/ou-cd/"));
    assert_eq!(identity.x509.issuer_ou.as_deref(), Some("Eng"));
    assert_eq!(identity.x509.san_name_cn.as_deref(), Some("n"));
    assert_eq!(identity.x509.subject_cn.as_deref(), Some("cn"));
    assert_eq!(identity.x509.san_dns.as_deref(), Some("d"));
}

#[test]
fn two_spellings_of_one_v2_identity_key_are_an_error_not_a_choice() {
    let event = v2("").replace(
        r#""timeEpoch""#,
        r#""identity":{"principalOrgID":"o-1","principalOrgId":"o-2"},"timeEpoch""#,
    );
    let error = decode(&event).unwrap_err();
    assert!(error.to_string().contains("duplicate field"), "{error}");
}

#[test]
fn principal_tags_survive_both_versions_and_the_crossing() {
    let event = v2(
        r#""headers":{"x-amzn-lattice-identity-tags":["principal=arn:p;principalorgid=o-1;team=a\\;b;env="]}"#,
    );
    let request = decode(&event).unwrap();
    let identity = &request.context.as_ref().unwrap().identity;
    assert_eq!(identity.tag("team"), Some("a;b"));
    assert_eq!(identity.tag("env"), Some(""));
    for version in [EventVersion::V1, EventVersion::V2] {
        let again = decode(std::str::from_utf8(&request.to_event_json(version)).unwrap())
            .unwrap_or_else(|e| panic!("{version}: {e}"));
        assert_eq!(
            again.context.unwrap().identity.tags(),
            identity.tags(),
            "{version}"
        );
    }
}
