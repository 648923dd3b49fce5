//! The outermost layer: turns the HTTP request into an [`Exchange`], and the [`Answer`] back
//! into the HTTP response, handing one [`AccessRecord`] to the access log and the inspector once
//! the response's last byte is out (its body is a [`MeteredBody`]).
//!
//! While the inspector is on, each request also carries a [`Capture`] in its extensions, which
//! the targets fill in (headers as forwarded, the Lambda event and answer, the upstream's
//! response head); with the inspector off nothing is captured, and with the access log off too
//! nothing is copied or counted: the body passes through untouched.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};
use std::time::{Instant, SystemTime};

use http::request::Parts;
use http::{HeaderMap, Request, Response, header};
use hyper::body::Incoming;
use tower::Service;

use super::exchange::{AccessNote, Answer, Arrived, Exchange};
use super::metered::{MeteredBody, OnDone};
use super::ports::PortRole;
use crate::access_log::{AccessLog, AccessRecord, TlsFacts};
use crate::inspector::{Capture, Inspector};
use crate::net::Connection;
use crate::net::host::host_from_authority;
use crate::net::host::request_host;
use crate::targets::{Observer, ResponseBody};

/// The data plane as one connection sees it.
#[derive(Clone, Debug)]
pub(crate) struct RecordService<S> {
    inner: S,
    /// What the port serves.
    port: PortRole,
    client: SocketAddr,
    /// The connection's TLS session, for the record (`None` on plain-HTTP ports).
    tls: Option<TlsFacts>,
    log: AccessLog,
    inspector: Option<Inspector>,
}

impl<S> RecordService<S> {
    pub fn new(
        inner: S,
        port: PortRole,
        connection: &Connection,
        log: AccessLog,
        inspector: Option<Inspector>,
    ) -> Self {
        let tls = connection.tls.as_ref().map(|session| TlsFacts {
            server_name: session.server_name.clone(),
            version: session.version,
            cipher: session.cipher,
        });
        RecordService {
            inner,
            port,
            client: connection.peer,
            tls,
            log,
            inspector,
        }
    }
}

impl<S> Service<Request<Incoming>> for RecordService<S>
where
    S: Service<Exchange<Arrived>, Response = Answer, Error = Infallible>,
{
    type Response = Response<MeteredBody<ResponseBody>>;
    type Error = Infallible;
    type Future = RecordFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<Incoming>) -> Self::Future {
        let (mut parts, body) = request.into_parts();
        host_from_authority(&mut parts);
        let inspected = self.inspector.as_ref().map(|inspector| {
            let capture = inspector.capture(&parts);
            parts.extensions.insert(Observer(Arc::new(capture.clone())));
            (inspector.clone(), capture)
        });
        // Nothing is copied when nothing reads records (benchmarks).
        let pending = (self.log.is_on() || inspected.is_some()).then(|| {
            Pending::new(
                &parts,
                self.client,
                self.tls.clone(),
                self.log.clone(),
                inspected,
            )
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

/// What the record takes from the request, before the layers see it.
struct Pending {
    started: Instant,
    record: AccessRecord,
    head_bytes: u64,
    /// The body size the request announced (`Content-Length`).
    announced_body: Option<u64>,
    log: AccessLog,
    inspected: Option<(Inspector, Capture)>,
}

impl Pending {
    fn new(
        parts: &Parts,
        client: SocketAddr,
        tls: Option<TlsFacts>,
        log: AccessLog,
        inspected: Option<(Inspector, Capture)>,
    ) -> Box<Self> {
        let mut record = AccessRecord::new(
            SystemTime::now(),
            parts.method.clone(),
            parts.uri.clone(),
            client,
        );
        record.version = parts.version;
        record.tls = tls;
        record.host = request_host(&parts.headers, &parts.uri).map(str::to_owned);
        record.user_agent = header_text(&parts.headers, header::USER_AGENT);
        let announced_body =
            header_text(&parts.headers, header::CONTENT_LENGTH).and_then(|n| n.parse().ok());
        Box::new(Pending {
            started: Instant::now(),
            head_bytes: request_head_bytes(parts),
            announced_body,
            record,
            log,
            inspected,
        })
    }

    /// The record as far as the response head: what the layers noted, the status. The rest
    /// (duration, bytes sent) is known when the body is over, which `on_done` receives.
    fn answered(self: Box<Self>, response: &Response<ResponseBody>, note: AccessNote) -> OnDone {
        let Pending {
            started,
            mut record,
            head_bytes,
            announced_body,
            log,
            inspected,
        } = *self;
        let response_head_bytes = response_head_bytes(response);
        record.status = response.status();
        record.latency = started.elapsed();
        record.bytes_received = head_bytes + note.body_bytes.or(announced_body).unwrap_or(0);
        if let Some(service) = &note.service {
            record.service = Some(Arc::clone(&service.name));
            record.service_arn = Some(Arc::from(service.arn.as_str()));
            record.service_network_arn = Some(Arc::from(service.service_network_arn.as_str()));
        }
        if let Some(group) = &note.group {
            record.target_group_arn = Some(Arc::from(group.arn.as_str()));
        }
        record.rule = note.rule;
        record.target = note.target;
        record.target_addr = note.target_addr;
        record.caller = note.caller;
        record.auth = note.auth;
        if let Some(refused) = note.refused {
            record.reason = Some(refused.reason);
            record.failure_reason = Some(refused.failure_reason);
            record.auth_denied_reason = refused.auth_denied_reason;
        }
        let timing = note.target_timing;
        record.request_to_target = timing.map(|t| t.sent.saturating_duration_since(started));
        Box::new(move |body_bytes| {
            let now = Instant::now();
            record.duration = now.saturating_duration_since(started);
            record.response_from_target = timing.map(|t| now.saturating_duration_since(t.answered));
            record.bytes_sent = response_head_bytes + body_bytes;
            if let Some((inspector, capture)) = &inspected {
                inspector.record(&record, capture);
            }
            log.record(record);
        })
    }
}

fn header_text(headers: &HeaderMap, name: header::HeaderName) -> Option<String> {
    headers
        .get(name)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
}

/// The request head as HTTP/1.1 writes it: request line, `name: value` lines, blank line.
/// (hyper keeps no copy of the bytes received; header case and spacing are normalised.)
fn request_head_bytes(parts: &Parts) -> u64 {
    let target = parts.uri.path_and_query().map_or(1, |p| p.as_str().len());
    let line = parts.method.as_str().len() + 1 + target + " HTTP/1.1\r\n".len();
    (line + headers_bytes(&parts.headers)) as u64
}

/// The response head as HTTP/1.1 writes it, with the headers lattice-local set (hyper adds
/// `date` and the framing header on the wire).
fn response_head_bytes(response: &Response<ResponseBody>) -> u64 {
    let status = response.status();
    let reason = status.canonical_reason().unwrap_or("");
    let line = "HTTP/1.1 200 ".len() + reason.len() + 2;
    (line + headers_bytes(response.headers())) as u64
}

fn headers_bytes(headers: &HeaderMap) -> usize {
    let lines: usize = headers
        .iter()
        .map(|(name, value)| name.as_str().len() + 2 + value.len() + 2)
        .sum();
    lines + 2
}

pin_project_lite::pin_project! {
    /// The inner answer; its record is finished when the response body is over.
    pub(crate) struct RecordFuture<F> {
        #[pin]
        inner: F,
        pending: Option<Box<Pending>>,
    }
}

impl<F> Future for RecordFuture<F>
where
    F: Future<Output = Result<Answer, Infallible>>,
{
    type Output = Result<Response<MeteredBody<ResponseBody>>, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let Ok(Answer { response, note }) = ready!(this.inner.poll(cx));
        let on_done = this
            .pending
            .take()
            .map(|pending| pending.answered(&response, note));
        Poll::Ready(Ok(response.map(|body| MeteredBody::new(body, on_done))))
    }
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;
    use http_body_util::{Either, Full};

    use super::*;

    #[test]
    fn heads_are_counted_as_http_1_1_writes_them() {
        let (parts, ()) = Request::get("/app?x=1")
            .header("host", "a")
            .header("user-agent", "curl/8.5.0")
            .body(())
            .unwrap()
            .into_parts();
        let written = "GET /app?x=1 HTTP/1.1\r\nhost: a\r\nuser-agent: curl/8.5.0\r\n\r\n";
        assert_eq!(request_head_bytes(&parts), written.len() as u64);

        let mut response: Response<ResponseBody> =
            Response::new(Either::Left(Full::new(Bytes::new())));
        *response.status_mut() = http::StatusCode::NOT_FOUND;
        response
            .headers_mut()
            .insert("content-type", "text/plain".parse().unwrap());
        let written = "HTTP/1.1 404 Not Found\r\ncontent-type: text/plain\r\n\r\n";
        assert_eq!(response_head_bytes(&response), written.len() as u64);
    }
}
