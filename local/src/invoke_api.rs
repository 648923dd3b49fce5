//! The Lambda Invoke API (`POST /2015-03-31/functions/{name}/invocations`) over local
//! [`FunctionPool`]s, for `aws lambda invoke --endpoint-url` and `cargo lambda invoke`.
//!
//! Answers follow the real service: `200` with the payload; `200` with
//! `X-Amz-Function-Error: Unhandled` and an `{"errorType","errorMessage"}` body when the
//! function failed — including when it crashed (`Runtime.ExitError`), timed out
//! (`Sandbox.Timedout`), failed init, or could not be started
//! (`Runtime.InvalidEntrypoint`); `404 ResourceNotFoundException` for unknown functions;
//! `429 TooManyRequestsException` when every instance stayed busy; `202` for
//! `X-Amz-Invocation-Type: Event`, `204` for `DryRun`. Service errors carry
//! `x-amzn-ErrorType` and a `{"Type","message"}` body, as botocore expects.

use std::collections::HashMap;
use std::io;
use std::net::SocketAddr;
use std::os::unix::process::ExitStatusExt as _;
use std::process::ExitStatus;
use std::sync::Arc;

use base64::Engine as _;
use bytes::Bytes;
use http::{HeaderValue, Method, Request, Response, StatusCode, header};
use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use hyper::body::Incoming;
use percent_encoding::percent_decode_str;
use serde_json::json;
use tokio::net::TcpListener;

use crate::functions::{FunctionPool, InvokeError, InvokeOptions, InvokeOutcome};
use crate::model::LOCAL_ACCOUNT_ID;
use crate::runtime_api::new_uuid;
use crate::runtime_api::server::{ServerTask, serve};

/// Largest synchronous invoke payload Lambda accepts.
pub const MAX_REQUEST_BYTES: usize = 6 * 1024 * 1024;

type Body = Full<Bytes>;

/// A running Invoke API. Dropping it stops the server (the pools keep running).
#[derive(Debug)]
pub struct InvokeApi {
    addr: SocketAddr,
    _server: ServerTask,
}

impl InvokeApi {
    /// Serve `pools` (looked up by function name) on `addr`, e.g. `127.0.0.1:0`.
    pub async fn bind(
        addr: SocketAddr,
        pools: impl IntoIterator<Item = FunctionPool>,
    ) -> io::Result<Self> {
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let functions: Arc<HashMap<String, FunctionPool>> = Arc::new(
            pools
                .into_iter()
                .map(|pool| (pool.name().to_owned(), pool))
                .collect(),
        );
        let server = serve(listener, move |request| {
            handle(Arc::clone(&functions), request)
        });
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
    functions: Arc<HashMap<String, FunctionPool>>,
    request: Request<Incoming>,
) -> Response<Body> {
    let request_id = new_uuid();
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
    let pool = functions
        .get(function.name)
        .filter(|pool| qualifier.is_none_or(|q| q == "$LATEST" || q == pool.config().version));
    let Some(pool) = pool else {
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
    let payload = match Limited::new(request.into_body(), MAX_REQUEST_BYTES)
        .collect()
        .await
    {
        Ok(collected) => collected.to_bytes(),
        Err(error) if error.downcast_ref::<LengthLimitError>().is_some() => {
            return service_error(
                StatusCode::PAYLOAD_TOO_LARGE,
                "RequestTooLargeException",
                &format!(
                    "Request must be smaller than {MAX_REQUEST_BYTES} bytes for the InvokeFunction operation"
                ),
                &request_id,
            );
        }
        Err(_) => {
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
            let pool = pool.clone();
            tokio::spawn(async move {
                if let Err(error) = pool.invoke(payload, options).await {
                    tracing::warn!(function = pool.name(), %error, "asynchronous invocation failed");
                }
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
