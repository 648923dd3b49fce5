//! Serve a `tower::Service<http::Request<Body>>` as a Lattice Lambda target on
//! `lambda_runtime`: [`run`], [`run_concurrent`], and [`runtime`] for adding
//! `lambda_runtime` layers. All of them serve through [`LatticeService`].

mod init_error;
mod logging;
mod outcome;
mod request_log;
mod service;

use std::fmt::Display;

use lambda_runtime::layers::TracingLayer;
use lambda_runtime::{LambdaInvocation, Runtime};
use tower::Service;

use crate::Body;

pub use init_error::{InitErrorReportFailed, report_init_error};
pub use logging::{init_tracing, log_filter};
pub use service::{LatticeFuture, LatticeService};

/// Runs `service` on the Lambda runtime, one invocation at a time, until the sandbox
/// shuts down.
///
#[doc = include_str!("../../docs/serving.md")]
pub async fn run<S, B>(service: S) -> Result<(), crate::Error>
where
    S: Service<http::Request<Body>, Response = http::Response<B>>,
    S::Future: 'static,
    S::Error: Display,
    B: http_body::Body + 'static,
    B::Error: Display,
{
    runtime(service).layer(TracingLayer::new()).run().await
}

/// The `lambda_runtime::Runtime` that serves `service` to Lattice, for adding
/// `lambda_runtime` layers before `.run()`.
///
/// [`run`] is `runtime(service).layer(TracingLayer::new()).run()`: the tracing layer
/// opens a span per invocation that carries the request id (and the X-Ray trace id)
/// into every line the handler logs. Layers added later run first, outside the ones
/// added before.
///
#[doc = include_str!("../../docs/custom-runtime.md")]
///
/// # Panics
/// Like `lambda_runtime::Runtime::new`, when the Lambda environment variables
/// (`AWS_LAMBDA_RUNTIME_API`, `AWS_LAMBDA_FUNCTION_NAME`, …) are missing.
pub fn runtime<S, B>(
    service: S,
) -> Runtime<impl Service<LambdaInvocation, Response = (), Error = crate::Error>>
where
    S: Service<http::Request<Body>, Response = http::Response<B>>,
    S::Future: 'static,
    S::Error: Display,
    B: http_body::Body + 'static,
    B::Error: Display,
{
    Runtime::new(LatticeService::new(service))
}

/// Runs `service` with up to `AWS_LAMBDA_MAX_CONCURRENCY` invocations in flight at once
/// (Lambda Managed Instances), each on its own Tokio task; one at a time, exactly as
/// [`run`], when the variable is unset or `<= 1`. Everything else is as [`run`]: typed
/// event errors, panics turned into `500`s, the 6 MB limit and the request line.
///
/// The service is cloned once per worker, so state shared between invocations belongs
/// behind an `Arc` (an axum `Router` already is). Feature `concurrency-tokio`.
///
/// ```no_run
/// use lattice_lambda::{Body, response, service_fn};
///
/// #[tokio::main]
/// async fn main() -> Result<(), lattice_lambda::Error> {
///     lattice_lambda::init_tracing();
///     lattice_lambda::run_concurrent(service_fn(|_request: http::Request<Body>| async {
///         Ok::<_, std::convert::Infallible>(response::text(http::StatusCode::OK, "hello"))
///     }))
///     .await
/// }
/// ```
///
/// # Panics
/// Outside a Tokio runtime, or without the Lambda environment variables.
#[cfg(feature = "concurrency-tokio")]
#[cfg_attr(docsrs, doc(cfg(feature = "concurrency-tokio")))]
pub async fn run_concurrent<S, B>(service: S) -> Result<(), crate::Error>
where
    S: Service<http::Request<Body>, Response = http::Response<B>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Display,
    B: http_body::Body + Send + 'static,
    B::Data: Send,
    B::Error: Display,
{
    runtime_concurrent(service)
        .layer(TracingLayer::new())
        .run_concurrent()
        .await
}

/// [`runtime`] for a service that can serve concurrently: the returned runtime also has
/// `.run_concurrent()`, as long as the layers you add keep it `Clone + Send`
/// (`lambda_runtime` 1.5's `OpenTelemetryLayer` does not: it is not `Clone`).
/// Feature `concurrency-tokio`.
///
/// # Panics
/// Like [`runtime`].
#[cfg(feature = "concurrency-tokio")]
#[cfg_attr(docsrs, doc(cfg(feature = "concurrency-tokio")))]
pub fn runtime_concurrent<S, B>(
    service: S,
) -> Runtime<
    impl Service<LambdaInvocation, Response = (), Error = crate::Error, Future: Send>
    + Clone
    + Send
    + 'static,
>
where
    S: Service<http::Request<Body>, Response = http::Response<B>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Display,
    B: http_body::Body + Send + 'static,
    B::Data: Send,
    B::Error: Display,
{
    Runtime::new(LatticeService::new(service))
}

#[cfg(test)]
mod captured_logs;
#[cfg(test)]
mod tests;
