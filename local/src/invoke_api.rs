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
//! `x-amzn-ErrorType` and a `{"Type","message"}` body, as botocore expects.
//!
//! The API checks no signature, so it only ever listens on loopback, and it refuses requests a
//! web page could send: a `Host` other than a loopback address or `localhost`, a cross-site
//! `Origin`, `Sec-Fetch-Site: cross-site` (`403 AccessDeniedException`).

use std::collections::HashMap;
use std::io;
use std::net::SocketAddr;
use std::os::unix::process::ExitStatusExt as _;
use std::process::ExitStatus;
use std::sync::Arc;

use base64::Engine as _;
use bytes::Bytes;
use http::{HeaderValue, Method, Request, Response, StatusCode, header};
use http_body_util::Full;
use hyper::body::Incoming;
use percent_encoding::percent_decode_str;
use serde_json::json;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

use crate::functions::{FunctionPool, InvokeError, InvokeOptions, InvokeOutcome};
use crate::model::LOCAL_ACCOUNT_ID;
use crate::net::accept::service_from_fn;
use crate::net::body::{BodyError, read_limited};
use crate::net::host::check_local_request;
use crate::net::limits::{LOCAL_API_MAX_CONNECTIONS, MAX_PAYLOAD_BYTES, MAX_QUEUED_EVENTS};
use crate::net::{ServeOptions, ServerTask, serve};
use crate::runtime_api::new_uuid;

type Body = Full<Bytes>;

/// A running Invoke API. Dropping it stops the server (the pools keep running).
#[derive(Debug)]
pub struct InvokeApi {
    addr: SocketAddr,
    _server: ServerTask,
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
    /// Serve `pools` (looked up by function name) on `addr`, a loopback address such as
    /// `127.0.0.1:0`; any other address is refused (`InvalidInput`).
    pub async fn bind(
        addr: SocketAddr,
        pools: impl IntoIterator<Item = FunctionPool>,
    ) -> io::Result<Self> {
        Self::bind_with_event_queue(addr, pools, MAX_QUEUED_EVENTS).await
    }

    /// [`InvokeApi::bind`] with at most `max_queued_events` `Event` invocations per function.
    pub async fn bind_with_event_queue(
        addr: SocketAddr,
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
        let functions: Arc<HashMap<String, Served>> = Arc::new(
            pools
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
                .collect(),
        );
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

/// A service-level error, as the Lambda API returns them.
fn service_error(
    status: StatusCode,
    error_type: &str,
    message: &str,
    request_id: &str,
) -> Response<Body> {
    let body = json!({"Type": "User", "message": message}).to_string();
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    if let Ok(value) = HeaderValue::from_str(error_type) {
        headers.insert("x-amzn-errortype", value);
    }
    if let Ok(value) = HeaderValue::from_str(request_id) {
        headers.insert("x-amzn-requestid", value);
    }
    response
}

/// A successful call: `200` with the payload, flagged `Unhandled` for function errors.
fn invoked(payload: Bytes, function_error: bool, request_id: &str) -> Response<Body> {
    let mut response = Response::new(Full::new(payload));
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    headers.insert(
        "x-amz-executed-version",
        HeaderValue::from_static("$LATEST"),
    );
    if function_error {
        headers.insert(
            "x-amz-function-error",
            HeaderValue::from_static("Unhandled"),
        );
    }
    if let Ok(value) = HeaderValue::from_str(request_id) {
        headers.insert("x-amzn-requestid", value);
    }
    response
}

fn function_error_body(error_type: &str, message: &str) -> Bytes {
    Bytes::from(json!({"errorType": error_type, "errorMessage": message}).to_string())
}

/// A function name, partial ARN or full ARN, with its optional qualifier.
#[derive(Debug, PartialEq, Eq)]
struct FunctionRef<'a> {
    name: &'a str,
    qualifier: Option<&'a str>,
    region: Option<&'a str>,
    account: Option<&'a str>,
}

fn parse_function_ref(target: &str) -> Option<FunctionRef<'_>> {
    let parts: Vec<&str> = target.split(':').collect();
    let (name, qualifier, region, account) = match parts.as_slice() {
        [name] => (*name, None, None, None),
        [name, qualifier] if *name != "function" => (*name, Some(*qualifier), None, None),
        [account, "function", name] => (*name, None, None, Some(*account)),
        [account, "function", name, qualifier] => (*name, Some(*qualifier), None, Some(*account)),
        ["arn", _, "lambda", region, account, "function", name] => {
            (*name, None, Some(*region), Some(*account))
        }
        [
            "arn",
            _,
            "lambda",
            region,
            account,
            "function",
            name,
            qualifier,
        ] => (*name, Some(*qualifier), Some(*region), Some(*account)),
        _ => return None,
    };
    (!name.is_empty()).then_some(FunctionRef {
        name,
        qualifier,
        region,
        account,
    })
}

fn query_parameter(query: Option<&str>, key: &str) -> Option<String> {
    query?.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        (k == key).then(|| percent_decode_str(v).decode_utf8_lossy().into_owned())
    })
}

fn header_str<'a>(request: &'a Request<Incoming>, name: &str) -> Option<&'a str> {
    request.headers().get(name).and_then(|v| v.to_str().ok())
}

async fn handle(
    functions: Arc<HashMap<String, Served>>,
    request: Request<Incoming>,
) -> Response<Body> {
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
    let served = functions.get(function.name).filter(|served| {
        qualifier.is_none_or(|q| q == "$LATEST" || q == served.pool.config().version)
    });
    let Some(Served {
        pool,
        events,
        event_limit,
    }) = served
    else {
        let region = function.region.unwrap_or("us-east-1");
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
        Some(encoded) => match base64::engine::general_purpose::STANDARD.decode(encoded) {
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
        _ => match pool.invoke(payload, options).await {
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
        },
    }
}

fn describe_status(status: Option<ExitStatus>) -> String {
    match status {
        Some(status) => match (status.code(), status.signal()) {
            (Some(code), _) => format!("exit status {code}"),
            (None, Some(signal)) => format!("signal {signal}"),
            (None, None) => status.to_string(),
        },
        None => "unknown exit status".to_owned(),
    }
}

/// How the real service reports an invoke the function could not answer.
fn invoke_failure(error: &InvokeError, request_id: &str) -> Response<Body> {
    let unhandled = |error_type: &str, message: String| {
        invoked(function_error_body(error_type, &message), true, request_id)
    };
    match error {
        InvokeError::Init(init) => unhandled(&init.error_type, init.error_message.clone()),
        InvokeError::Exited { status, .. } => unhandled(
            "Runtime.ExitError",
            format!(
                "RequestId: {request_id} Error: Runtime exited with error: {}",
                describe_status(*status)
            ),
        ),
        InvokeError::Timeout { timeout } | InvokeError::InitTimeout { timeout } => unhandled(
            "Sandbox.Timedout",
            format!(
                "RequestId: {request_id} Error: Task timed out after {:.2} seconds",
                timeout.as_secs_f64()
            ),
        ),
        InvokeError::Spawn { source, .. } => unhandled(
            "Runtime.InvalidEntrypoint",
            format!("RequestId: {request_id} Error: {source}"),
        ),
        InvokeError::Throttled { .. } => service_error(
            StatusCode::TOO_MANY_REQUESTS,
            "TooManyRequestsException",
            "Rate Exceeded.",
            request_id,
        ),
        InvokeError::InvalidOption(invalid) => service_error(
            StatusCode::BAD_REQUEST,
            "InvalidParameterValueException",
            &invalid.to_string(),
            request_id,
        ),
        InvokeError::ShutDown => service_error(
            StatusCode::SERVICE_UNAVAILABLE,
            "ServiceException",
            "The function is shutting down",
            request_id,
        ),
        InvokeError::RuntimeApi(_) => service_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "ServiceException",
            &error.to_string(),
            request_id,
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn function_references_in_every_accepted_form() {
        let f = |name, qualifier, region, account| FunctionRef {
            name,
            qualifier,
            region,
            account,
        };
        assert_eq!(parse_function_ref("fn"), Some(f("fn", None, None, None)));
        assert_eq!(
            parse_function_ref("fn:$LATEST"),
            Some(f("fn", Some("$LATEST"), None, None))
        );
        assert_eq!(
            parse_function_ref("123456789012:function:fn"),
            Some(f("fn", None, None, Some("123456789012")))
        );
        assert_eq!(
            parse_function_ref("arn:aws:lambda:eu-west-1:123456789012:function:fn:live"),
            Some(f(
                "fn",
                Some("live"),
                Some("eu-west-1"),
                Some("123456789012")
            ))
        );
        assert_eq!(parse_function_ref(""), None);
        assert_eq!(parse_function_ref("a:b:c:d:e"), None);
    }

    #[test]
    fn query_parameters_are_found_and_decoded() {
        assert_eq!(
            query_parameter(Some("a=1&Qualifier=%24LATEST"), "Qualifier").as_deref(),
            Some("$LATEST")
        );
        assert_eq!(query_parameter(Some("a=1"), "Qualifier"), None);
        assert_eq!(query_parameter(None, "Qualifier"), None);
    }

    #[test]
    fn exit_statuses_are_described_like_lambda() {
        assert_eq!(
            describe_status(Some(ExitStatus::from_raw(3 << 8))),
            "exit status 3"
        );
        assert_eq!(describe_status(Some(ExitStatus::from_raw(9))), "signal 9");
        assert_eq!(describe_status(None), "unknown exit status");
    }
}
