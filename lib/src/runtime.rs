//! Serve a `tower::Service<http::Request<Body>>` as a Lattice Lambda target.
//!
//! Each invocation: decode the event ([`LatticeRequest::from_slice`]), call the
//! service, encode its response ([`LatticeResponse::from_http`]). What can go
//! wrong ends the invocation clearly and the runtime carries on:
//!
//! | what happened | the invocation ends with |
//! |---|---|
//! | event is not a Lattice event | function error `InvalidLatticeEvent` naming the field |
//! | handler returned `Err` or panicked | `500` response, generic body; the error is logged with the request id |
//! | response body could not be read | `500` response, logged |
//! | encoded response over 6 MB | function error `ResponseTooLarge` with the size |

use std::fmt::Display;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use futures_util::FutureExt as _;
use lambda_runtime::{Diagnostic, LambdaEvent};
use serde_json::value::RawValue;
use tower::Service;

use crate::response::MAX_RESPONSE_BYTES;
use crate::{Body, EventError, LatticeRequest, LatticeResponse};

/// Runs `service` on the Lambda runtime until the sandbox shuts down.
///
/// ```no_run
/// use lattice_lambda::{Body, RequestExt, response, service_fn};
///
/// async fn hello(request: http::Request<Body>) -> Result<http::Response<Body>, std::convert::Infallible> {
///     let who = request.caller_identity().and_then(|id| id.principal()).unwrap_or("anonymous");
///     Ok(response::text(http::StatusCode::OK, format!("Hello {who}")))
/// }
///
/// #[tokio::main]
/// async fn main() -> Result<(), lattice_lambda::Error> {
///     lattice_lambda::init_tracing();
///     lattice_lambda::run(service_fn(hello)).await
/// }
/// ```
pub async fn run<S, B>(service: S) -> Result<(), crate::Error>
where
    S: Service<http::Request<Body>, Response = http::Response<B>> + 'static,
    S::Future: 'static,
    S::Error: Display,
    B: http_body::Body + 'static,
    B::Data: bytes::Buf,
    B::Error: Display,
{
    lambda_runtime::run(LatticeService::new(service)).await
}

/// Installs the `tracing` subscriber Lambda expects: log level from
/// `AWS_LAMBDA_LOG_LEVEL` (else `RUST_LOG`, else `INFO`), JSON lines when
/// `AWS_LAMBDA_LOG_FORMAT=JSON`, as `lambda_runtime`'s default subscriber does —
/// with one difference: `lambda_runtime` logs every raw event at `TRACE`,
/// headers and all (`authorization`, `x-amz-security-token`, `cookie`), so
/// that target is capped at `DEBUG` whatever the level. Credentials never
/// reach the logs.
pub fn init_tracing() {
    use tracing_subscriber::EnvFilter;
    use tracing_subscriber::filter::LevelFilter;

    let level = std::env::var("AWS_LAMBDA_LOG_LEVEL")
        .or_else(|_| std::env::var("RUST_LOG"))
        .ok()
        .and_then(|level| level.parse::<LevelFilter>().ok())
        .unwrap_or(LevelFilter::INFO);
    let filter = EnvFilter::builder()
        .with_default_directive(level.into())
        .from_env_lossy()
        .add_directive(RAW_EVENT_LOG_CAP.parse().expect("static directive"));
    let subscriber = tracing_subscriber::fmt()
        .with_target(false)
        .without_time()
        .with_env_filter(filter);
    let json = std::env::var("AWS_LAMBDA_LOG_FORMAT").is_ok_and(|f| f.eq_ignore_ascii_case("json"));
    // `try_init`: a second call (or a subscriber the caller installed) is not an error.
    let _ = if json {
        subscriber.json().try_init()
    } else {
        subscriber.try_init()
    };
}

/// The target where `lambda_runtime` logs raw events at `TRACE`, capped at `DEBUG`.
const RAW_EVENT_LOG_CAP: &str = "lambda_runtime::layers::api_response=debug";

/// The adapter [`run`] uses: a `Service<LambdaEvent<raw JSON>>` around an
/// HTTP service. Public so it can be composed with `lambda_runtime::Runtime`
/// layers or called directly in tests.
///
/// ```
/// # tokio_test();
/// # fn tokio_test() {
/// use lattice_lambda::{Body, LatticeService, response, service_fn};
/// use tower::{Service, ServiceExt};
/// let hello = service_fn(|_req: http::Request<Body>| async {
///     Ok::<_, std::convert::Infallible>(response::text(http::StatusCode::OK, "hi"))
/// });
/// let event = lattice_lambda::testing::EventBuilder::get("/").build_v2();
/// let payload = serde_json::value::RawValue::from_string(String::from_utf8(event).unwrap()).unwrap();
/// let invocation = lambda_runtime::LambdaEvent::new(payload, lambda_runtime::Context::default());
/// let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
/// let out = rt.block_on(LatticeService::new(hello).oneshot(invocation)).unwrap();
/// assert!(out.get().contains(r#""body":"hi""#));
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct LatticeService<S> {
    inner: S,
}

impl<S> LatticeService<S> {
    /// Wraps an HTTP service.
    pub fn new(inner: S) -> Self {
        LatticeService { inner }
    }
}

type Outcome = Result<Box<RawValue>, Diagnostic>;

impl<S, B> Service<LambdaEvent<Box<RawValue>>> for LatticeService<S>
where
    S: Service<http::Request<Body>, Response = http::Response<B>>,
    S::Future: 'static,
    S::Error: Display,
    B: http_body::Body + 'static,
    B::Data: bytes::Buf,
    B::Error: Display,
{
    type Response = Box<RawValue>;
    type Error = Diagnostic;
    type Future = Pin<Box<dyn Future<Output = Outcome>>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Diagnostic>> {
        self.inner.poll_ready(cx).map_err(|error| Diagnostic {
            error_type: "HandlerUnavailable".into(),
            error_message: error.to_string(),
        })
    }

    fn call(&mut self, event: LambdaEvent<Box<RawValue>>) -> Self::Future {
        let started = Instant::now();
        let LambdaEvent { payload, context } = event;
        let request_id = context.request_id.clone();
        let request = match LatticeRequest::from_slice(payload.get().as_bytes())
            .and_then(LatticeRequest::into_http)
        {
            Ok(mut request) => {
                request.extensions_mut().insert(context);
                request
            }
            Err(error) => {
                return Box::pin(std::future::ready(Err(invalid_event(&request_id, &error))));
            }
        };
        let method = request.method().clone();
        let path = request.uri().path().to_owned();

        // A panic while *creating* the future is caught here, one while
        // polling it below: both become a 500, and the runtime carries on.
        let call = std::panic::catch_unwind(AssertUnwindSafe(|| self.inner.call(request)));
        Box::pin(async move {
            let response = match call {
                Ok(future) => match AssertUnwindSafe(future).catch_unwind().await {
                    Ok(Ok(response)) => read_body(response, &request_id).await,
                    Ok(Err(error)) => {
                        tracing::error!(request_id, %error, "handler returned an error");
                        internal_error()
                    }
                    Err(panic) => handler_panicked(&request_id, &panic),
                },
                Err(panic) => handler_panicked(&request_id, &panic),
            };
            let status = response.status().as_u16();
            let outcome = encode(response, &request_id);
            tracing::info!(
                request_id,
                %method,
                path,
                status,
                latency_us = started.elapsed().as_micros() as u64,
                "request"
            );
            outcome
        })
    }
}

async fn read_body<B>(response: http::Response<B>, request_id: &str) -> http::Response<Body>
where
    B: http_body::Body,
    B::Data: bytes::Buf,
    B::Error: Display,
{
    let (parts, body) = response.into_parts();
    match collect_body(body).await {
        Ok(body) => http::Response::from_parts(parts, body),
        Err(error) => {
            tracing::error!(request_id, %error, "response body could not be read");
            internal_error()
        }
    }
}

/// Collects any `http_body::Body` into our [`Body`].
async fn collect_body<B>(body: B) -> Result<Body, B::Error>
where
    B: http_body::Body,
    B::Data: bytes::Buf,
{
    use http_body_util::BodyExt;
    let collected = body.collect().await?;
    Ok(Body::from(collected.to_bytes()))
}

fn encode(response: http::Response<Body>, request_id: &str) -> Outcome {
    let lattice = LatticeResponse::from_http(response);
    let raw = serde_json::value::to_raw_value(&lattice).map_err(|error| Diagnostic {
        error_type: "ResponseEncodingFailed".into(),
        error_message: error.to_string(),
    })?;
    let size = raw.get().len();
    if size > MAX_RESPONSE_BYTES {
        tracing::error!(
            request_id,
            size,
            limit = MAX_RESPONSE_BYTES,
            "response too large for Lattice"
        );
        return Err(Diagnostic {
            error_type: "ResponseTooLarge".into(),
            error_message: format!(
                "encoded response is {size} bytes; Lambda and VPC Lattice accept at most {MAX_RESPONSE_BYTES}"
            ),
        });
    }
    Ok(raw)
}

fn invalid_event(request_id: &str, error: &EventError) -> Diagnostic {
    tracing::warn!(request_id, %error, "invalid Lattice event");
    Diagnostic {
        error_type: error.error_type().into(),
        error_message: error.to_string(),
    }
}

fn handler_panicked(request_id: &str, panic: &(dyn std::any::Any + Send)) -> http::Response<Body> {
    let message = panic
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("non-string panic payload");
    tracing::error!(request_id, panic = message, "handler panicked");
    internal_error()
}

fn internal_error() -> http::Response<Body> {
    crate::response::json(
        http::StatusCode::INTERNAL_SERVER_ERROR,
        &serde_json::json!({"message": "Internal Server Error"}),
    )
}

#[cfg(test)]
mod tests;
