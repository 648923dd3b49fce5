//! The Lambda Invoke API (`POST /2015-03-31/functions/{name}/invocations`) over local
//! [`FunctionPool`]s, for `aws lambda invoke --endpoint-url` and `cargo lambda invoke`.
//!
//! Answers follow the real service: `200` with the payload; `200` with
//! `X-Amz-Function-Error: Unhandled` and an `{"errorType","errorMessage"}` body when the
//! function failed — including when it crashed (`Runtime.ExitError`), timed out
//! (`Sandbox.Timedout`), failed init, or could not be started
//! (`Runtime.InvalidEntrypoint`); `404 ResourceNotFoundException` for unknown functions;
//! `429 TooManyRequestsException` when every instance stayed busy; `202` for
//! `X-Amz-Invocation-Type: Event` (`429 TooManyRequestsException` when that function already has
//! [`MAX_QUEUED_EVENTS`] queued or running), `204` for `DryRun`. Service errors carry
//! `x-amzn-ErrorType` and a `{"Type","message"}` body, as botocore expects, and name this
//! process's region in ARNs. `X-Amz-Log-Type: Tail` returns the last 4 KB of the invocation's
//! log, base64, in `X-Amz-Log-Result`.
//!
//! The API checks no signature, so it only ever listens on loopback, and it refuses requests a
//! web page could send: a `Host` other than a loopback address or `localhost`, a cross-site
//! `Origin`, `Sec-Fetch-Site: cross-site` (`403 AccessDeniedException`).

mod function_ref;
mod replies;

use std::collections::HashMap;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use bytes::Bytes;
use http::{HeaderValue, Method, Request, Response, StatusCode};
use hyper::body::Incoming;
use percent_encoding::percent_decode_str;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

use self::function_ref::{parse_function_ref, query_parameter};
use self::replies::{Body, function_error_body, invoke_failure, invoked, service_error};
use crate::functions::{FunctionPool, InvokeOptions, InvokeOutcome, Invoked, log_tail};
use crate::model::LOCAL_ACCOUNT_ID;
use crate::net::accept::service_from_fn;
use crate::net::body::{BodyError, read_limited};
use crate::net::host::check_local_request;
use crate::net::limits::{LOCAL_API_MAX_CONNECTIONS, MAX_PAYLOAD_BYTES, MAX_QUEUED_EVENTS};
use crate::net::{ServeOptions, ServerTask, serve};
use crate::runtime_api::new_uuid;

/// A running Invoke API. Dropping it stops the server (the pools keep running).
#[derive(Debug)]
pub struct InvokeApi {
    addr: SocketAddr,
    _server: ServerTask,
}

/// What the API serves: this process's region and its functions by name.
struct Functions {
    region: String,
    by_name: HashMap<String, Served>,
}

/// A function as the Invoke API serves it: its pool and its `Event` queue.
struct Served {
    pool: FunctionPool,
    /// One permit per `Event` invocation queued or running.
    events: Arc<Semaphore>,
    /// How many permits `events` has in all.
    event_limit: usize,
}

impl InvokeApi {
    /// Serve `pools` (looked up by function name) of `region` on `addr`, a loopback address
    /// such as `127.0.0.1:0`; any other address is refused (`InvalidInput`).
    pub async fn bind(
        addr: SocketAddr,
        region: impl Into<String>,
        pools: impl IntoIterator<Item = FunctionPool>,
    ) -> io::Result<Self> {
        Self::bind_with_event_queue(addr, region, pools, MAX_QUEUED_EVENTS).await
    }

    /// [`InvokeApi::bind`] with at most `max_queued_events` `Event` invocations per function.
    pub async fn bind_with_event_queue(
        addr: SocketAddr,
        region: impl Into<String>,
        pools: impl IntoIterator<Item = FunctionPool>,
        max_queued_events: usize,
    ) -> io::Result<Self> {
        if !addr.ip().is_loopback() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "the Lambda Invoke API checks no signature, so it listens on loopback only, not {addr}"
                ),
            ));
        }
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let by_name = pools
            .into_iter()
            .map(|pool| {
                let events = Arc::new(Semaphore::new(max_queued_events));
                (
                    pool.name().to_owned(),
                    Served {
                        pool,
                        events,
                        event_limit: max_queued_events,
                    },
                )
            })
            .collect();
        let functions = Arc::new(Functions {
            region: region.into(),
            by_name,
        });
        let server = serve(
            listener,
            ServeOptions::new(LOCAL_API_MAX_CONNECTIONS),
            move |_| {
                let functions = Arc::clone(&functions);
                service_from_fn(move |request| handle(Arc::clone(&functions), request))
            },
        );
        Ok(Self {
            addr,
            _server: server,
        })
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The value for `--endpoint-url`.
    pub fn endpoint_url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

fn header_str<'a>(request: &'a Request<Incoming>, name: &str) -> Option<&'a str> {
    request.headers().get(name).and_then(|v| v.to_str().ok())
}

async fn handle(functions: Arc<Functions>, request: Request<Incoming>) -> Response<Body> {
    let request_id = new_uuid();
    if let Err(refusal) = check_local_request(request.headers(), request.uri()) {
        return service_error(
            StatusCode::FORBIDDEN,
            "AccessDeniedException",
            &refusal.to_string(),
            &request_id,
        );
    }
    let target = request
        .uri()
        .path()
        .strip_prefix("/2015-03-31/functions/")
        .and_then(|rest| rest.strip_suffix("/invocations"))
        .filter(|_| request.method() == Method::POST)
        .map(|raw| percent_decode_str(raw).decode_utf8_lossy().into_owned());
    let Some(target) = target else {
        return service_error(
            StatusCode::NOT_FOUND,
            "UnknownOperationException",
            "Unknown operation",
            &request_id,
        );
    };
    let Some(function) = parse_function_ref(&target) else {
        return service_error(
            StatusCode::BAD_REQUEST,
            "ValidationException",
            &format!("invalid function name {target:?}"),
            &request_id,
        );
    };
    let query_qualifier = query_parameter(request.uri().query(), "Qualifier");
    let qualifier = match (function.qualifier, query_qualifier.as_deref()) {
        (Some(a), Some(b)) if a != b => {
            return service_error(
                StatusCode::BAD_REQUEST,
                "InvalidParameterValueException",
                "The derived qualifier from the function name does not match the specified qualifier.",
                &request_id,
            );
        }
        (a, b) => a.or(b),
    };
    // An ARN of another region names a function this region does not have.
    let in_region = function.region.is_none_or(|r| r == functions.region);
    let served = functions.by_name.get(function.name).filter(|served| {
        in_region && qualifier.is_none_or(|q| q == "$LATEST" || q == served.pool.config().version)
    });
    let Some(Served {
        pool,
        events,
        event_limit,
    }) = served
    else {
        let region = function.region.unwrap_or(&functions.region);
        let account = function.account.unwrap_or(LOCAL_ACCOUNT_ID);
        let suffix = qualifier.map(|q| format!(":{q}")).unwrap_or_default();
        return service_error(
            StatusCode::NOT_FOUND,
            "ResourceNotFoundException",
            &format!(
                "Function not found: arn:aws:lambda:{region}:{account}:function:{}{suffix}",
                function.name
            ),
            &request_id,
        );
    };

    let invocation_type = header_str(&request, "x-amz-invocation-type")
        .unwrap_or("RequestResponse")
        .to_owned();
    if !matches!(
        invocation_type.as_str(),
        "RequestResponse" | "Event" | "DryRun"
    ) {
        return service_error(
            StatusCode::BAD_REQUEST,
            "InvalidParameterValueException",
            &format!("Unsupported invocation type {invocation_type:?}"),
            &request_id,
        );
    }
    let client_context = match header_str(&request, "x-amz-client-context") {
        None => None,
        Some(encoded) => match BASE64.decode(encoded) {
            Ok(raw) => Some(String::from_utf8_lossy(&raw).into_owned()),
            Err(_) => {
                return service_error(
                    StatusCode::BAD_REQUEST,
                    "InvalidParameterValueException",
                    "Client context must be a valid Base64-encoded JSON object.",
                    &request_id,
                );
            }
        },
    };
    let log_tail_wanted = match header_str(&request, "x-amz-log-type") {
        None | Some("None") => false,
        Some("Tail") => true,
        Some(other) => {
            return service_error(
                StatusCode::BAD_REQUEST,
                "InvalidParameterValueException",
                &format!("Unsupported log type {other:?} (expected None or Tail)"),
                &request_id,
            );
        }
    };
    let options = InvokeOptions {
        request_id: Some(request_id.clone()),
        trace_id: header_str(&request, "x-amzn-trace-id").map(str::to_owned),
        client_context,
        cognito_identity: None,
    };
    let payload = match read_limited(request.into_body(), MAX_PAYLOAD_BYTES).await {
        Ok(read) => read.bytes,
        Err(BodyError::TooLarge) => {
            return service_error(
                StatusCode::PAYLOAD_TOO_LARGE,
                "RequestTooLargeException",
                &format!(
                    "Request must be smaller than {MAX_PAYLOAD_BYTES} bytes for the InvokeFunction operation"
                ),
                &request_id,
            );
        }
        Err(BodyError::Broken) => {
            return service_error(
                StatusCode::BAD_REQUEST,
                "InvalidRequestContentException",
                "Could not read the request body",
                &request_id,
            );
        }
    };

    match invocation_type.as_str() {
        "DryRun" => {
            let mut response = invoked(Bytes::new(), false, &request_id);
            *response.status_mut() = StatusCode::NO_CONTENT;
            response
        }
        "Event" => {
            // Lambda queues events without a visible bound; locally the queue is bounded, and
            // over it the caller is throttled as Lambda throttles.
            let Ok(permit) = Arc::clone(events).try_acquire_owned() else {
                return service_error(
                    StatusCode::TOO_MANY_REQUESTS,
                    "TooManyRequestsException",
                    &format!(
                        "Rate Exceeded: function {} already has {event_limit} Event invocations \
                         queued or running (lattice-local's bound)",
                        pool.name()
                    ),
                    &request_id,
                );
            };
            let pool = pool.clone();
            tokio::spawn(async move {
                if let Err(error) = pool.invoke(payload, options).await {
                    tracing::warn!(function = pool.name(), %error, "asynchronous invocation failed");
                }
                drop(permit);
            });
            let mut response = invoked(Bytes::new(), false, &request_id);
            *response.status_mut() = StatusCode::ACCEPTED;
            response
        }
        _ => {
            // Lambda returns a log only for synchronous invocations that ask for it.
            let invoked_with_log = if log_tail_wanted {
                pool.invoke_logged(payload, options).await
            } else {
                Invoked {
                    result: pool.invoke(payload, options).await,
                    log: None,
                }
            };
            let mut response = match invoked_with_log.result {
                Ok(InvokeOutcome::Response(body)) => invoked(body, false, &request_id),
                Ok(InvokeOutcome::FunctionError(error)) => {
                    let body = if error.body.is_empty() {
                        function_error_body(&error.error_type, &error.error_message)
                    } else {
                        error.body
                    };
                    invoked(body, true, &request_id)
                }
                Err(error) => invoke_failure(&error, &request_id),
            };
            if let Some(log) = invoked_with_log.log {
                let encoded = BASE64.encode(log_tail(&log));
                if let Ok(value) = HeaderValue::from_str(&encoded) {
                    response.headers_mut().insert("x-amz-log-result", value);
                }
            }
            response
        }
    }
}
