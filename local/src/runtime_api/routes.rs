//! Routing and the runtime endpoints (`/2018-06-01/runtime/*`).

use std::sync::Arc;

use base64::Engine as _;
use http::{HeaderMap, HeaderValue, Method, Request, Response, StatusCode, header};
use http_body_util::Full;
use hyper::body::Incoming;

use super::body::{BodyError, ReadBody, read_limited};
use super::extensions;
use super::invocation::{FunctionError, InvocationResult};
use super::reply::{self, Body};
use super::state::{Phase, Queued, RESPONSE_TOO_LARGE, Shared};
use crate::net::host::check_local_request;
use crate::net::limits::MAX_RESPONSE_BYTES;

const ERROR_TYPE_HEADER: &str = "lambda-runtime-function-error-type";
const ERROR_BODY_TRAILER: &str = "lambda-runtime-function-error-body";
const RESPONSE_MODE_HEADER: &str = "lambda-runtime-function-response-mode";

/// The endpoints of the Runtime and Extensions APIs.
enum Endpoint {
    Next,
    Response(String),
    Error(String),
    InitError,
    ExtensionRegister,
    ExtensionNext,
}

impl Endpoint {
    /// The endpoint for `path`, and the one method it accepts.
    fn parse(path: &str) -> Option<(Self, Method)> {
        if let Some(rest) = path.strip_prefix("/2018-06-01/runtime/") {
            match rest {
                "invocation/next" => return Some((Self::Next, Method::GET)),
                "init/error" => return Some((Self::InitError, Method::POST)),
                _ => {}
            }
            let (id, action) = rest.strip_prefix("invocation/")?.split_once('/')?;
            if id.is_empty() || id.contains('/') {
                return None;
            }
            return match action {
                "response" => Some((Self::Response(id.to_owned()), Method::POST)),
                "error" => Some((Self::Error(id.to_owned()), Method::POST)),
                _ => None,
            };
        }
        match path.strip_prefix("/2020-01-01/extension/")? {
            "register" => Some((Self::ExtensionRegister, Method::POST)),
            "event/next" => Some((Self::ExtensionNext, Method::GET)),
            _ => None,
        }
    }
}

/// Answer one request to an instance's Runtime API.
pub(crate) async fn route(shared: Arc<Shared>, request: Request<Incoming>) -> Response<Body> {
    // Only the function's own process should call; a web page must not steal invocations.
    if let Err(refusal) = check_local_request(request.headers(), request.uri()) {
        return reply::error(
            StatusCode::FORBIDDEN,
            "AccessDeniedException",
            refusal.to_string(),
        );
    }
    let Some((endpoint, method)) = Endpoint::parse(request.uri().path()) else {
        return reply::not_found();
    };
    if request.method() != method {
        return reply::method_not_allowed();
    }
    match endpoint {
        Endpoint::Next => next(shared).await,
        Endpoint::Response(id) => response(shared, id, request).await,
        Endpoint::Error(id) => error(shared, id, request).await,
        Endpoint::InitError => init_error(shared, request).await,
        Endpoint::ExtensionRegister => extensions::register(shared, request).await,
        Endpoint::ExtensionNext => extensions::next_event(shared, request).await,
    }
}

/// `GET /runtime/invocation/next`: long-poll for the next invocation.
async fn next(shared: Arc<Shared>) -> Response<Body> {
    shared.mark_ready();
    let Queued { invocation, reply } = loop {
        let queued = shared.queue.lock().await.recv().await;
        match queued {
            // Skip invocations whose caller has already given up.
            Some(queued) if queued.reply.is_closed() => continue,
            Some(queued) => break queued,
            // The owner is gone and the server is about to stop: keep the poll open until then.
            None => return std::future::pending().await,
        }
    };
    shared.start_in_flight(invocation.request_id, reply);

    let mut response = Response::new(Full::new(invocation.payload));
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    headers.insert(
        "lambda-runtime-aws-request-id",
        invocation.request_id_header,
    );
    headers.insert(
        "lambda-runtime-deadline-ms",
        HeaderValue::from(invocation.deadline_ms),
    );
    headers.insert(
        "lambda-runtime-invoked-function-arn",
        invocation.invoked_function_arn,
    );
    headers.insert("lambda-runtime-trace-id", invocation.trace_id);
    if let Some(value) = invocation.client_context {
        headers.insert("lambda-runtime-client-context", value);
    }
    if let Some(value) = invocation.cognito_identity {
        headers.insert("lambda-runtime-cognito-identity", value);
    }
    response
}

fn header_text(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// The error a streamed response announced in its trailers, if any.
fn streamed_error(trailers: Option<&HeaderMap>) -> Option<FunctionError> {
    let trailers = trailers?;
    let error_type = header_text(trailers, ERROR_TYPE_HEADER)?;
    let message = header_text(trailers, ERROR_BODY_TRAILER)
        .map(|encoded| {
            base64::engine::general_purpose::STANDARD
                .decode(encoded.trim())
                .map_or(encoded, |raw| String::from_utf8_lossy(&raw).into_owned())
        })
        .unwrap_or_default();
    Some(FunctionError::synthesized(&error_type, message))
}

fn oversized_response() -> FunctionError {
    FunctionError::synthesized(
        RESPONSE_TOO_LARGE,
        format!(
            "Response payload size exceeded maximum allowed payload size ({MAX_RESPONSE_BYTES} bytes)."
        ),
    )
}

/// Reads the body the runtime posts for invocation `id` (its response or its error). Too
/// large: the invocation fails with `Function.ResponseSizeTooLarge` and the runtime gets 413.
/// Broken connection: the invocation stays in flight, so the runtime can post again.
async fn read_invocation_body(
    shared: &Shared,
    id: &str,
    body: Incoming,
) -> Result<ReadBody, Response<Body>> {
    match read_limited(body, MAX_RESPONSE_BYTES).await {
        Ok(body) => Ok(body),
        Err(BodyError::TooLarge) => {
            if let Some(reply) = shared.finish_in_flight(id) {
                let _ = reply.send(InvocationResult::Error(oversized_response()));
            }
            Err(reply::too_large(MAX_RESPONSE_BYTES))
        }
        Err(BodyError::Broken) => Err(truncated_body()),
    }
}

/// The answer to a body cut short by a broken connection.
fn truncated_body() -> Response<Body> {
    reply::error(
        StatusCode::BAD_REQUEST,
        "InvalidRequestFormat",
        "truncated body",
    )
}

/// `POST /runtime/invocation/{id}/response`.
async fn response(shared: Arc<Shared>, id: String, request: Request<Incoming>) -> Response<Body> {
    if !shared.is_in_flight(&id) {
        return reply::invalid_request_id();
    }
    if let Some(mode) = request.headers().get(RESPONSE_MODE_HEADER)
        && mode != "streaming"
    {
        return reply::error(
            StatusCode::BAD_REQUEST,
            "InvalidFunctionResponseMode",
            "Invalid function response mode",
        );
    }
    let body = match read_invocation_body(&shared, &id, request.into_body()).await {
        Ok(body) => body,
        Err(reply) => return reply,
    };
    let Some(reply) = shared.finish_in_flight(&id) else {
        return reply::invalid_request_id();
    };
    let result = match streamed_error(body.trailers.as_ref()) {
        Some(error) => InvocationResult::Error(error),
        None => InvocationResult::Response(body.bytes),
    };
    // The caller may have gone (timed out): the runtime still gets its 202.
    let _ = reply.send(result);
    reply::accepted()
}

/// `POST /runtime/invocation/{id}/error`.
async fn error(shared: Arc<Shared>, id: String, request: Request<Incoming>) -> Response<Body> {
    if !shared.is_in_flight(&id) {
        return reply::invalid_request_id();
    }
    let error_type = header_text(request.headers(), ERROR_TYPE_HEADER);
    let body = match read_invocation_body(&shared, &id, request.into_body()).await {
        Ok(body) => body.bytes,
        Err(reply) => return reply,
    };
    let Some(reply) = shared.finish_in_flight(&id) else {
        return reply::invalid_request_id();
    };
    let _ = reply.send(InvocationResult::Error(FunctionError::from_posted(
        error_type, body,
    )));
    reply::accepted()
}

/// `POST /runtime/init/error`: only allowed before the first `/next`.
async fn init_error(shared: Arc<Shared>, request: Request<Incoming>) -> Response<Body> {
    let error_type = header_text(request.headers(), ERROR_TYPE_HEADER);
    let body = match read_limited(request.into_body(), MAX_RESPONSE_BYTES).await {
        Ok(body) => body.bytes,
        Err(BodyError::TooLarge) => return reply::too_large(MAX_RESPONSE_BYTES),
        Err(BodyError::Broken) => return truncated_body(),
    };
    let error = FunctionError::from_posted(error_type, body);
    let mut from = "";
    let accepted = shared.phase.send_if_modified(|phase| match phase {
        Phase::Initializing => {
            *phase = Phase::InitFailed(error);
            true
        }
        Phase::Ready(_) => {
            from = "Ready";
            false
        }
        Phase::InitFailed(_) => {
            from = "InitError";
            false
        }
    });
    if accepted {
        reply::accepted()
    } else {
        reply::invalid_state(from, "InitError")
    }
}
