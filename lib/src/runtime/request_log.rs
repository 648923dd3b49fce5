//! The one log line per request: `request` at `INFO`, with the request id, method, path,
//! status and latency in microseconds.
//!
//! It is written on every invocation, so it is kept cheap: when `INFO` is filtered out for
//! this target nothing is copied or timed, and otherwise the facts are captured once
//! (method, path without the query, start time) and formatted by the subscriber only.
//! The query is left out on purpose: it can carry credentials (presigned URLs) and
//! personal data.

use std::time::Instant;

use http::{Method, StatusCode};

use crate::Body;

/// What the line needs from the request, captured before the handler takes it.
#[derive(Debug)]
pub(super) struct RequestLine {
    method: Method,
    path: String,
    started: Instant,
}

impl RequestLine {
    /// The facts for the line, or `None` when the line would be filtered out.
    pub(super) fn start(request: &http::Request<Body>) -> Option<Self> {
        if !tracing::enabled!(tracing::Level::INFO) {
            return None;
        }
        Some(RequestLine {
            method: request.method().clone(),
            path: request.uri().path().to_owned(),
            started: Instant::now(),
        })
    }

    /// Writes the line.
    pub(super) fn write(self, request_id: &str, status: StatusCode) {
        let latency_us = u64::try_from(self.started.elapsed().as_micros()).unwrap_or(u64::MAX);
        tracing::info!(
            request_id,
            method = self.method.as_str(),
            path = self.path,
            status = status.as_u16(),
            latency_us,
            "request"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn start_under(level: tracing::Level) -> Option<RequestLine> {
        let _capture = super::super::captured_logs::capture(level);
        let request = http::Request::post("/orders?token=x")
            .body(Body::empty())
            .expect("valid request");
        RequestLine::start(&request)
    }

    #[test]
    fn nothing_is_captured_when_info_is_filtered_out() {
        assert!(start_under(tracing::Level::WARN).is_none());
    }

    #[test]
    fn method_and_path_without_query_are_captured_at_info() {
        let line = start_under(tracing::Level::INFO).expect("line at INFO");
        assert_eq!(line.method, Method::POST);
        assert_eq!(line.path, "/orders");
    }
}
