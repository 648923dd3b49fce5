//! [`LatticeService`]: the adapter between `lambda_runtime` and an HTTP service.
//!
//! One invocation: decode the event, call the service, collect the response body, encode
//! the Lattice response, write the request line. [`run`](crate::run),
//! [`run_concurrent`](crate::run_concurrent) and [`runtime`](crate::runtime) all serve
//! through this one type. Its future is a named state machine rather than a boxed
//! `async` block so that it is `Send` exactly when the handler's future and body are:
//! the sequential runtime accepts handlers with `!Send` futures, the concurrent one needs
//! `Send`, and both get the same code.

use std::fmt::Display;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::task::{Context, Poll};

use http_body_util::BodyExt as _;
use http_body_util::combinators::Collect;
use lambda_runtime::{Diagnostic, LambdaEvent};
use pin_project_lite::pin_project;
use serde_json::value::RawValue;
use tower::Service;

use super::outcome::{self, Outcome};
use super::request_log::RequestLine;
use crate::{Body, LatticeRequest};

/// The `Service<LambdaEvent<raw JSON>>` that serves an HTTP service to Lattice; what
/// [`run`](crate::run) hands to `lambda_runtime`. Public so that it can be called directly
/// in tests or given to a `lambda_runtime::Runtime` you build yourself (see
/// [`runtime`](crate::runtime) for the usual way).
///
/// ```
/// # #[cfg(feature = "testing")] {
/// use lattice_lambda::{Body, LatticeService, response, service_fn};
/// use tower::ServiceExt as _;
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

impl<S, B> Service<LambdaEvent<Box<RawValue>>> for LatticeService<S>
where
    S: Service<http::Request<Body>, Response = http::Response<B>>,
    S::Error: Display,
    B: http_body::Body,
    B::Error: Display,
{
    type Response = Box<RawValue>;
    type Error = Diagnostic;
    type Future = LatticeFuture<S::Future, B>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Diagnostic>> {
        self.inner.poll_ready(cx).map_err(|error| Diagnostic {
            error_type: "HandlerUnavailable".into(),
            error_message: error.to_string(),
        })
    }

    fn call(&mut self, event: LambdaEvent<Box<RawValue>>) -> Self::Future {
        let LambdaEvent { payload, context } = event;
        let request_id = context.request_id.clone();
        let mut request = match LatticeRequest::from_slice(payload.get().as_bytes())
            .and_then(LatticeRequest::into_http)
        {
            Ok(request) => request,
            Err(error) => {
                let diagnostic = outcome::invalid_event(&request_id, &error);
                return LatticeFuture::ready(request_id, Err(diagnostic));
            }
        };
        request.extensions_mut().insert(context);
        let line = RequestLine::start(&request);
        let mut invocation = Invocation { request_id, line };
        // A panic while *creating* the future is caught here, one while polling it in
        // `LatticeFuture::poll`: both become a 500, and the runtime carries on.
        match std::panic::catch_unwind(AssertUnwindSafe(|| self.inner.call(request))) {
            Ok(handler) => LatticeFuture {
                invocation,
                parts: None,
                state: State::Calling { handler },
            },
            Err(panic) => {
                let response = outcome::handler_panicked(&invocation.request_id, &*panic);
                let answer = invocation.finish(response);
                LatticeFuture::ready(invocation.request_id, answer)
            }
        }
    }
}

/// What the future keeps about its invocation besides its state.
#[derive(Debug)]
struct Invocation {
    request_id: String,
    /// `None` when the request line is filtered out, or once it was written.
    line: Option<RequestLine>,
}

impl Invocation {
    /// Encodes the response and writes the request line.
    fn finish(&mut self, response: http::Response<Body>) -> Outcome {
        let status = response.status();
        let answer = outcome::encode(response, &self.request_id);
        if let Some(line) = self.line.take() {
            line.write(&self.request_id, status);
        }
        answer
    }
}

pin_project! {
    /// The future of one invocation of [`LatticeService`]. `Send` when the handler's
    /// future and response body are.
    pub struct LatticeFuture<F, B>
    where
        B: http_body::Body,
    {
        invocation: Invocation,
        parts: Option<http::response::Parts>,
        #[pin]
        state: State<F, B>,
    }
}

pin_project! {
    #[project = StateProjection]
    enum State<F, B>
    where
        B: http_body::Body,
    {
        /// The handler's future is running.
        Calling { #[pin] handler: F },
        /// The handler answered; its body is being read.
        Collecting { #[pin] body: Collect<B> },
        /// Decided in `call` (invalid event, or a panic creating the future).
        Ready { answer: Option<Outcome> },
        /// The outcome was returned.
        Done,
    }
}

impl<F, B> LatticeFuture<F, B>
where
    B: http_body::Body,
{
    fn ready(request_id: String, outcome: Outcome) -> Self {
        LatticeFuture {
            invocation: Invocation {
                request_id,
                line: None,
            },
            parts: None,
            state: State::Ready {
                answer: Some(outcome),
            },
        }
    }
}

impl<F, B> std::fmt::Debug for LatticeFuture<F, B>
where
    B: http_body::Body,
{
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LatticeFuture")
            .field("request_id", &self.invocation.request_id)
            .finish_non_exhaustive()
    }
}

impl<F, B, E> Future for LatticeFuture<F, B>
where
    F: Future<Output = Result<http::Response<B>, E>>,
    E: Display,
    B: http_body::Body,
    B::Error: Display,
{
    type Output = Outcome;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Outcome> {
        let mut this = self.project();
        loop {
            let request_id = this.invocation.request_id.as_str();
            let response = match this.state.as_mut().project() {
                StateProjection::Calling { handler } => {
                    match std::panic::catch_unwind(AssertUnwindSafe(|| handler.poll(cx))) {
                        Ok(Poll::Pending) => return Poll::Pending,
                        Ok(Poll::Ready(Ok(response))) => {
                            let (parts, body) = response.into_parts();
                            *this.parts = Some(parts);
                            this.state.set(State::Collecting {
                                body: body.collect(),
                            });
                            continue;
                        }
                        Ok(Poll::Ready(Err(error))) => {
                            tracing::error!(request_id, %error, "handler returned an error");
                            outcome::internal_error()
                        }
                        Err(panic) => outcome::handler_panicked(request_id, &*panic),
                    }
                }
                StateProjection::Collecting { body } => {
                    // A body is the handler's code too: a panic while streaming it is
                    // caught like one in the handler.
                    match std::panic::catch_unwind(AssertUnwindSafe(|| body.poll(cx))) {
                        Ok(Poll::Pending) => return Poll::Pending,
                        Ok(Poll::Ready(Ok(collected))) => match this.parts.take() {
                            Some(parts) => {
                                http::Response::from_parts(parts, Body::from(collected.to_bytes()))
                            }
                            None => return Poll::Ready(Err(outcome::polled_after_completion())),
                        },
                        Ok(Poll::Ready(Err(error))) => {
                            tracing::error!(request_id, %error, "response body could not be read");
                            outcome::internal_error()
                        }
                        Err(panic) => outcome::handler_panicked(request_id, &*panic),
                    }
                }
                StateProjection::Ready { answer } => {
                    let answer = answer
                        .take()
                        .unwrap_or_else(|| Err(outcome::polled_after_completion()));
                    this.state.set(State::Done);
                    return Poll::Ready(answer);
                }
                StateProjection::Done => {
                    return Poll::Ready(Err(outcome::polled_after_completion()));
                }
            };
            // Drop the handler's future (and what it holds) before encoding.
            this.state.set(State::Done);
            return Poll::Ready(this.invocation.finish(response));
        }
    }
}
