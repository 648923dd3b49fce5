//! The outermost layer: turns the HTTP request into an [`Exchange`], and the [`Answer`] back
//! into the HTTP response, handing one [`AccessRecord`] to the access log on the way out.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Instant;

use http::{Method, Request, Response, Uri};
use hyper::body::Incoming;
use tower::Service;

use super::exchange::{Answer, Arrived, Exchange};
use super::ports::PortRole;
use crate::access_log::{AccessLog, AccessRecord};
use crate::targets::ResponseBody;

/// The data plane as one connection sees it.
#[derive(Clone, Debug)]
pub(crate) struct RecordService<S> {
    inner: S,
    /// What the port serves.
    port: PortRole,
    client: SocketAddr,
    log: AccessLog,
}

impl<S> RecordService<S> {
    pub fn new(inner: S, port: PortRole, client: SocketAddr, log: AccessLog) -> Self {
        RecordService {
            inner,
            port,
            client,
            log,
        }
    }
}

impl<S> Service<Request<Incoming>> for RecordService<S>
where
    S: Service<Exchange<Arrived>, Response = Answer, Error = Infallible>,
{
    type Response = Response<ResponseBody>;
    type Error = Infallible;
    type Future = RecordFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<Incoming>) -> Self::Future {
        let (parts, body) = request.into_parts();
        // Nothing is copied for a log that is off (benchmarks).
        let pending = self.log.is_on().then(|| Pending {
            started: Instant::now(),
            method: parts.method.clone(),
            uri: parts.uri.clone(),
            log: self.log.clone(),
        });
        let exchange = Exchange {
            parts,
            body,
            client: self.client,
            stage: Arrived {
                port: self.port.clone(),
            },
        };
        RecordFuture {
            inner: self.inner.call(exchange),
            pending,
        }
    }
}

/// What the record needs from the request.
struct Pending {
    started: Instant,
    method: Method,
    uri: Uri,
    log: AccessLog,
}

pin_project_lite::pin_project! {
    /// The inner answer, recorded once it is ready.
    pub(crate) struct RecordFuture<F> {
        #[pin]
        inner: F,
        pending: Option<Pending>,
    }
}

impl<F> Future for RecordFuture<F>
where
    F: Future<Output = Result<Answer, Infallible>>,
{
    type Output = Result<Response<ResponseBody>, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let Ok(Answer { response, note }) = ready!(this.inner.poll(cx));
        if let Some(pending) = this.pending.take() {
            pending.log.record(AccessRecord {
                service: note.service,
                method: pending.method,
                uri: pending.uri,
                rule: note.rule,
                target: note.target,
                status: response.status(),
                latency: pending.started.elapsed(),
                reason: note.reason,
            });
        }
        Poll::Ready(Ok(response))
    }
}
