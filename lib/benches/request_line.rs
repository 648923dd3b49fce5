//! What the per-request log line costs inside the function: one whole invocation through
//! [`LatticeService`] (decode, handler, encode, line) under the subscriber
//! `init_tracing` installs, inside `lambda_runtime`'s per-invocation span, with the line
//! on and filtered out. The line goes to `/dev/null`, so this is the formatting and the
//! `write` call, without a reader on the other end of the pipe (see `BENCHMARKS.md` for
//! the whole round trip through a Runtime API).
//!
//! Run: `cargo bench -p lattice-lambda --bench request_line`

use std::convert::Infallible;
use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use lambda_runtime::{Context, LambdaEvent};
use lattice_lambda::{Body, LatticeService, response, service_fn};
use serde_json::value::RawValue;
use tower::{Service as _, ServiceExt as _};
use tracing_subscriber::filter::Targets;
use tracing_subscriber::layer::SubscriberExt as _;

/// The subscriber `init_tracing` builds (text format), writing to `/dev/null`, with `filter`.
fn subscriber(filter: &str) -> impl tracing::Subscriber + Send + Sync {
    let null = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/null")
        .expect("/dev/null");
    let lines = tracing_subscriber::fmt::layer()
        .with_target(false)
        .without_time()
        .with_ansi(false)
        .with_writer(std::sync::Mutex::new(null));
    tracing_subscriber::registry()
        .with(filter.parse::<Targets>().expect("valid filter"))
        .with(lines)
}

fn invocation(c: &mut Criterion) {
    let event = include_str!("../../events/v2-get.json");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let mut context = Context::default();
    context.request_id = "8f5f3b4e-7b1c-4b7e-9a53-0e3c2f1d9a77".into();
    context.xray_trace_id = Some("Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1".into());

    let mut group = c.benchmark_group("invocation_v2_get");
    for (name, filter) in [
        ("request_line_on", "info"),
        (
            "request_line_off",
            "info,lattice_lambda::runtime::request_log=warn",
        ),
    ] {
        let _guard = tracing::subscriber::set_default(subscriber(filter));
        let mut service = LatticeService::new(service_fn(|_: http::Request<Body>| async {
            Ok::<_, Infallible>(response::text(http::StatusCode::OK, "Hello Foo Lambda!!"))
        }));
        group.bench_function(name, |b| {
            b.iter(|| {
                let payload = RawValue::from_string(event.to_owned()).expect("json");
                let invocation = LambdaEvent::new(payload, context.clone());
                // The span `lambda_runtime::layers::TracingLayer` opens around each invocation.
                let span = lambda_runtime::layers::trace::request_span(&invocation.context);
                let _entered = span.enter();
                let out = runtime.block_on(async {
                    let ready = service.ready().await.expect("ready");
                    ready.call(invocation).await
                });
                black_box(out)
            })
        });
    }
    group.finish();
}

criterion_group!(benches, invocation);
criterion_main!(benches);
