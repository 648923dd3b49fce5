//! Decode and encode costs beside a bare baseline, in the same groups.
//!
//! Baseline: plain `serde_json` into `aws_lambda_events`' `VpcLatticeRequestV2`
//! and out of its `VpcLatticeResponse` — which does less (no dispatch, no URI,
//! no base64 rules, no multi-value headers), so it is the floor.
//!
//! Run: `cargo bench -p lattice-lambda --bench codec`

use std::hint::black_box;

use aws_lambda_events::encodings::Body as EventsBody;
use aws_lambda_events::vpc_lattice::{VpcLatticeRequestV2, VpcLatticeResponse};
use base64::Engine as _;
use criterion::{Criterion, criterion_group, criterion_main};
use http::{HeaderMap, HeaderValue, StatusCode};
use lattice_lambda::testing::EventBuilder;
use lattice_lambda::{LatticeRequest, LatticeResponse, response};

fn v2_get() -> Vec<u8> {
    include_bytes!("../../events/v2-get.json").to_vec()
}

fn v2_post_4kb() -> Vec<u8> {
    let items: Vec<_> = (0..120)
        .map(|i| serde_json::json!({"id": i, "sku": format!("SKU-{i:05}"), "qty": i % 7}))
        .collect();
    let body = serde_json::json!({"orderId": "order-789", "items": items});
    assert!(serde_json::to_vec(&body).unwrap().len() >= 4000);
    EventBuilder::post("/orders")
        .header("user-agent", "Mozilla/5.0 (KHTML, like Gecko)")
        .json_body(&body)
        .build_v2()
}

fn decode(c: &mut Criterion) {
    for (name, event) in [
        ("decode_v2_get", v2_get()),
        ("decode_v2_post_4kb", v2_post_4kb()),
    ] {
        let mut group = c.benchmark_group(name);
        group.bench_function("baseline_aws_lambda_events", |b| {
            b.iter(|| serde_json::from_slice::<VpcLatticeRequestV2>(black_box(&event)).unwrap())
        });
        group.bench_function("lattice_lambda_to_http", |b| {
            b.iter(|| {
                LatticeRequest::from_slice(black_box(&event))
                    .unwrap()
                    .into_http()
                    .unwrap()
            })
        });
        group.finish();
    }
}

fn baseline_response(content_type: &'static str, body: EventsBody, base64: bool) -> Vec<u8> {
    let mut headers = HeaderMap::new();
    headers.insert("content-type", HeaderValue::from_static(content_type));
    let mut response = VpcLatticeResponse::default();
    response.status_code = 200;
    response.headers = headers;
    response.body = Some(body);
    response.is_base64_encoded = base64;
    serde_json::to_vec(&response).unwrap()
}

fn encode(c: &mut Criterion) {
    let text_body = "Hello Foo Lambda!! ".repeat(20);
    let mut group = c.benchmark_group("encode_text");
    group.bench_function("baseline_aws_lambda_events", |b| {
        b.iter(|| {
            baseline_response(
                "text/plain",
                EventsBody::Text(black_box(&text_body).clone()),
                false,
            )
        })
    });
    group.bench_function("lattice_lambda", |b| {
        b.iter(|| {
            LatticeResponse::from_http(response::text(
                StatusCode::OK,
                black_box(&text_body).clone(),
            ))
            .to_json()
        })
    });
    group.finish();

    let png: Vec<u8> = (0..4096u32).map(|i| (i * 31 % 251) as u8).collect();
    let mut group = c.benchmark_group("encode_binary_4kb");
    group.bench_function("baseline_aws_lambda_events", |b| {
        b.iter(|| {
            let encoded = base64::engine::general_purpose::STANDARD.encode(black_box(&png));
            baseline_response("image/png", EventsBody::Text(encoded), true)
        })
    });
    group.bench_function("lattice_lambda", |b| {
        b.iter(|| {
            LatticeResponse::from_http(response::binary(
                StatusCode::OK,
                "image/png",
                black_box(&png).clone(),
            ))
            .to_json()
        })
    });
    group.finish();
}

fn full_path(c: &mut Criterion) {
    let event = v2_post_4kb();
    let mut group = c.benchmark_group("full_path_v2_post_4kb");
    group.bench_function("baseline_aws_lambda_events", |b| {
        b.iter(|| {
            let request = serde_json::from_slice::<VpcLatticeRequestV2>(black_box(&event)).unwrap();
            baseline_response(
                "application/json",
                EventsBody::Text(request.body.unwrap_or_default()),
                false,
            )
        })
    });
    group.bench_function("lattice_lambda", |b| {
        b.iter(|| {
            let request = LatticeRequest::from_slice(black_box(&event))
                .unwrap()
                .into_http()
                .unwrap();
            let body = request.into_body();
            LatticeResponse::from_http(response::binary(
                StatusCode::OK,
                "application/json",
                body.into_bytes(),
            ))
            .to_json()
        })
    });
    group.finish();
}

criterion_group!(benches, decode, encode, full_path);
criterion_main!(benches);
