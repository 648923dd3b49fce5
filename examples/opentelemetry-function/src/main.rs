//! `opentelemetry-function`: a Lattice target traced with OpenTelemetry.
//!
//! `lattice_lambda::runtime` gives the `lambda_runtime::Runtime` that `run` uses, so
//! `lambda_runtime`'s layers go around the Lattice adapter: here `OpenTelemetryLayer` (feature
//! `opentelemetry` of `lattice-lambda`) opens a span per invocation with the FaaS attributes
//! and flushes the tracer provider after each one, before Lambda may freeze the sandbox.
//! `tracing-opentelemetry` turns the `tracing` spans and events (the library's request line
//! included) into OpenTelemetry spans; this example prints them to stdout.

use std::convert::Infallible;

use lattice_lambda::lambda_runtime::layers::{OpenTelemetryFaasTrigger, OpenTelemetryLayer};
use lattice_lambda::{Body, RequestExt, response, service_fn};
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;

async fn hello(request: http::Request<Body>) -> Result<http::Response<Body>, Infallible> {
    let who = request
        .caller_identity()
        .and_then(|id| id.principal())
        .unwrap_or("anonymous");
    tracing::info!(who, "greeting");
    Ok(response::text(http::StatusCode::OK, format!("Hello {who}")))
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lattice_lambda::Error> {
    let provider = SdkTracerProvider::builder()
        .with_simple_exporter(opentelemetry_stdout::SpanExporter::default())
        .build();
    // The library's filter first, for every layer: the level Lambda asks for, and never
    // `lambda_runtime`'s raw events (they carry the callers' credentials).
    tracing_subscriber::registry()
        .with(lattice_lambda::log_filter())
        .with(tracing_opentelemetry::layer().with_tracer(provider.tracer("opentelemetry-function")))
        .with(
            tracing_subscriber::fmt::layer()
                .without_time()
                .with_ansi(false),
        )
        .init();

    let flush = move || {
        if let Err(error) = provider.force_flush() {
            tracing::warn!(%error, "could not flush the spans");
        }
    };
    lattice_lambda::runtime(service_fn(hello))
        .layer(OpenTelemetryLayer::new(flush).with_trigger(OpenTelemetryFaasTrigger::Http))
        .run()
        .await
}
