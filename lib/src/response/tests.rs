use http::{HeaderValue, StatusCode};

use super::*;

fn encode(response: http::Response<Body>) -> serde_json::Value {
    serde_json::from_slice(&LatticeResponse::from_http(response).to_json()).unwrap()
}

#[test]
fn text_response_has_reason_phrase_and_text_body() {
    let json = encode(text(StatusCode::OK, "Hello Foo Lambda!!"));
    assert_eq!(json["statusCode"], 200);
    assert_eq!(json["statusDescription"], "200 OK");
    assert_eq!(json["isBase64Encoded"], false);
    assert_eq!(json["body"], "Hello Foo Lambda!!");
    assert_eq!(json["headers"]["content-type"], "text/plain; charset=utf-8");
}

#[test]
fn unknown_status_has_bare_code_description() {
    let json = encode(empty(StatusCode::from_u16(599).unwrap()));
    assert_eq!(json["statusDescription"], "599");
    assert!(json.get("body").is_none());
}

#[test]
fn textual_types_go_out_as_text_and_others_base64() {
    for content_type in [
        "application/json",
        "application/xml",
        "application/javascript",
        "text/csv",
        "application/hal+json",
        "image/svg+xml",
    ] {
        let json = encode(binary(StatusCode::OK, content_type, "<x/>"));
        assert_eq!(json["isBase64Encoded"], false, "{content_type}");
        assert_eq!(json["body"], "<x/>", "{content_type}");
    }
    for content_type in ["image/png", "application/octet-stream", "application/pdf"] {
        let json = encode(binary(StatusCode::OK, content_type, "abc"));
        assert_eq!(json["isBase64Encoded"], true, "{content_type}");
        assert_eq!(json["body"], "YWJj", "{content_type}");
    }
}

#[test]
fn non_utf8_body_goes_out_base64_even_with_a_text_type() {
    let json = encode(binary(StatusCode::OK, "text/plain", vec![0xff, 0xfe]));
    assert_eq!(json["isBase64Encoded"], true);
    assert_eq!(json["body"], "//4=");
}

#[test]
fn missing_content_type_with_utf8_body_is_text() {
    let response = http::Response::new(Body::from("plain"));
    let json = encode(response);
    assert_eq!(json["isBase64Encoded"], false);
    assert_eq!(json["body"], "plain");
}

#[test]
fn repeated_headers_are_joined_and_cookies_all_kept() {
    let mut response = empty(StatusCode::OK);
    let headers = response.headers_mut();
    headers.append("vary", HeaderValue::from_static("accept"));
    headers.append("vary", HeaderValue::from_static("origin"));
    headers.append("set-cookie", HeaderValue::from_static("a=1; Path=/"));
    headers.append(
        "set-cookie",
        HeaderValue::from_static("b=2; Expires=Wed, 21 Oct 2026 07:28:00 GMT"),
    );
    let lattice = LatticeResponse::from_http(response);
    let json: serde_json::Value = serde_json::from_slice(&lattice.to_json()).unwrap();
    assert_eq!(json["headers"]["vary"], "accept, origin");
    assert_eq!(json["headers"]["set-cookie"], "a=1; Path=/");
    assert_eq!(
        json["headers"]["Set-cookie"],
        "b=2; Expires=Wed, 21 Oct 2026 07:28:00 GMT"
    );
    let back = LatticeResponse::from_slice(&lattice.to_json())
        .unwrap()
        .into_http()
        .unwrap();
    assert_eq!(back.headers().get_all("set-cookie").iter().count(), 2);
}

#[test]
fn decode_round_trips_binary_and_rejects_bad_input() {
    let png = vec![0x89, b'P', b'N', b'G', 0, 1, 2];
    let lattice = LatticeResponse::from_http(binary(StatusCode::CREATED, "image/png", png.clone()));
    let back = LatticeResponse::from_slice(&lattice.to_json())
        .unwrap()
        .into_http()
        .unwrap();
    assert_eq!(back.status(), StatusCode::CREATED);
    assert_eq!(back.body().as_bytes(), &png[..]);
    assert_eq!(back.headers()["content-type"], "image/png");

    let bad =
        LatticeResponse::from_slice(br#"{"statusCode":200,"body":"%%%","isBase64Encoded":true}"#)
            .unwrap();
    assert!(matches!(
        bad.into_http(),
        Err(ResponseError::InvalidBase64(_))
    ));
    let bad = LatticeResponse::from_slice(br#"{"statusCode":42}"#).unwrap();
    assert!(matches!(
        bad.into_http(),
        Err(ResponseError::InvalidStatus(42))
    ));
    assert!(matches!(
        LatticeResponse::from_slice(b"[]"),
        Err(ResponseError::Json(_))
    ));
    let bad =
        LatticeResponse::from_slice(br#"{"statusCode":200,"headers":{"bad name":"x"}}"#).unwrap();
    assert!(matches!(bad.into_http(), Err(ResponseError::InvalidHeader(ref n)) if n == "bad name"));
}

#[test]
fn decode_accepts_list_header_values_and_null_headers() {
    let response = LatticeResponse::from_slice(br#"{"statusCode":200,"headers":{"x":["1","2"]}}"#)
        .unwrap()
        .into_http()
        .unwrap();
    assert_eq!(response.headers().get_all("x").iter().count(), 2);
    let response = LatticeResponse::from_slice(br#"{"statusCode":204,"headers":null}"#)
        .unwrap()
        .into_http()
        .unwrap();
    assert!(response.headers().is_empty());
}

#[test]
fn json_builder_sets_type() {
    let response = json(StatusCode::OK, &serde_json::json!({"status": "ok"}));
    assert_eq!(response.headers()["content-type"], "application/json");
    assert_eq!(response.body().as_str(), Some(r#"{"status":"ok"}"#));
}
