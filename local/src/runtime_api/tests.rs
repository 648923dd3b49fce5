//! Protocol tests: a plain HTTP client plays the runtime.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::{Value, json};

use super::*;

const ARN: &str = "arn:aws:lambda:us-east-1:000000000000:function:fn";
/// Every await in these tests is bounded so that a protocol bug fails instead of hanging.
const LIMIT: Duration = Duration::from_secs(10);

fn identity() -> Arc<FunctionIdentity> {
    Arc::new(FunctionIdentity {
        name: "fn".into(),
        version: "$LATEST".into(),
        handler: "bootstrap".into(),
        account_id: "000000000000".into(),
    })
}

struct Runtime {
    api: RuntimeApi,
    client: Client<HttpConnector, Full<Bytes>>,
}

struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }
}

impl Runtime {
    async fn start() -> Self {
        Self {
            api: RuntimeApi::bind(identity())
                .await
                .expect("bind runtime api"),
            client: Client::builder(TokioExecutor::new()).build_http(),
        }
    }

    async fn call(
        &self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: impl Into<Bytes>,
    ) -> Answer {
        let mut request = Request::builder()
            .method(method)
            .uri(format!("http://{}{path}", self.api.addr()));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let request = request.body(Full::new(body.into())).expect("request");
        let response = tokio::time::timeout(LIMIT, self.client.request(request))
            .await
            .expect("runtime api answered in time")
            .expect("http call");
        let (parts, body) = response.into_parts();
        let body = body.collect().await.expect("body").to_bytes();
        Answer {
            status: parts.status,
            headers: parts.headers,
            body,
        }
    }

    async fn next(&self) -> Answer {
        self.call(
            Method::GET,
            "/2018-06-01/runtime/invocation/next",
            &[],
            Bytes::new(),
        )
        .await
    }

    fn dispatch(&self, request_id: &str, payload: &'static [u8]) -> PendingResult {
        let invocation = Invocation::new(
            request_id,
            Bytes::from_static(payload),
            SystemTime::UNIX_EPOCH + Duration::from_millis(1_700_000_000_123),
            HeaderValue::from_static(ARN),
        )
        .expect("valid invocation");
        self.api.dispatch(invocation)
    }
}

async fn settled(pending: PendingResult) -> InvocationResult {
    tokio::time::timeout(LIMIT, pending)
        .await
        .expect("invocation settled in time")
        .expect("reply channel open")
}

#[tokio::test]
async fn a_parked_next_receives_the_invocation_and_its_response_completes_it() {
    let runtime = Arc::new(Runtime::start().await);
    assert_eq!(runtime.api.phase(), Phase::Initializing);

    // Park /next first: the dispatch must wake it.
    let poller = Arc::clone(&runtime);
    let next = tokio::spawn(async move { poller.next().await });
    let pending = runtime.dispatch("req-1", br#"{"hello":"world"}"#);
    let next = next.await.expect("next task");

    assert_eq!(next.status, StatusCode::OK);
    assert_eq!(&next.body[..], br#"{"hello":"world"}"#);
    let header = |name: &str| {
        next.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    assert_eq!(header("lambda-runtime-aws-request-id"), "req-1");
    assert_eq!(header("lambda-runtime-deadline-ms"), "1700000000123");
    assert_eq!(header("lambda-runtime-invoked-function-arn"), ARN);
    assert!(header("lambda-runtime-trace-id").starts_with("Root=1-"));
    assert!(next.headers.get("lambda-runtime-client-context").is_none());
    assert!(runtime.api.first_next_at().is_some());
    assert!(
        tokio::time::timeout(LIMIT, runtime.api.initialized())
            .await
            .expect("in time")
            .is_ok()
    );

    let posted = runtime
        .call(
            Method::POST,
            "/2018-06-01/runtime/invocation/req-1/response",
            &[],
            "\"done\"",
        )
        .await;
    assert_eq!(posted.status, StatusCode::ACCEPTED);
    assert_eq!(posted.json(), json!({"status": "OK"}));
    assert_eq!(
        settled(pending).await,
        InvocationResult::Response(Bytes::from_static(b"\"done\""))
    );
}

#[tokio::test]
async fn optional_context_headers_are_passed_through() {
    let runtime = Runtime::start().await;
    let invocation = Invocation::new(
        "ctx",
        Bytes::new(),
        SystemTime::now(),
        HeaderValue::from_static(ARN),
    )
    .and_then(|i| i.with_client_context(r#"{"custom":{"a":"b"}}"#))
    .and_then(|i| i.with_cognito_identity(r#"{"cognitoIdentityId":"id"}"#))
    .and_then(|i| i.with_trace_id("Root=1-00000000-000000000000000000000001;Sampled=1"))
    .expect("valid invocation");
    let _pending = runtime.api.dispatch(invocation);
    let next = runtime.next().await;
    assert_eq!(
        next.headers["lambda-runtime-client-context"],
        r#"{"custom":{"a":"b"}}"#
    );
    assert_eq!(
        next.headers["lambda-runtime-cognito-identity"],
        r#"{"cognitoIdentityId":"id"}"#
    );
    assert_eq!(
        next.headers["lambda-runtime-trace-id"],
        "Root=1-00000000-000000000000000000000001;Sampled=1"
    );
}

#[tokio::test]
async fn a_posted_error_keeps_its_type_message_and_header() {
    let runtime = Runtime::start().await;
    let pending = runtime.dispatch("req-err", b"{}");
    runtime.next().await;
    let body = r#"{"errorType":"MyError","errorMessage":"it broke"}"#;
    let posted = runtime
        .call(
            Method::POST,
            "/2018-06-01/runtime/invocation/req-err/error",
            &[("Lambda-Runtime-Function-Error-Type", "unhandled")],
            body,
        )
        .await;
    assert_eq!(posted.status, StatusCode::ACCEPTED);
    let InvocationResult::Error(error) = settled(pending).await else {
        panic!("expected a function error");
    };
    assert_eq!(error.error_type, "MyError");
    assert_eq!(error.error_message, "it broke");
    assert_eq!(error.header_error_type.as_deref(), Some("unhandled"));
    assert_eq!(&error.body[..], body.as_bytes());
}

#[tokio::test]
async fn unknown_and_already_answered_request_ids_are_rejected() {
    let runtime = Runtime::start().await;
    let unknown = runtime
        .call(
            Method::POST,
            "/2018-06-01/runtime/invocation/nope/response",
            &[],
            "1",
        )
        .await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        unknown.json(),
        json!({"errorType": "InvalidRequestID", "errorMessage": "Invalid request ID"})
    );

    let _pending = runtime.dispatch("once", b"{}");
    runtime.next().await;
    let first = runtime
        .call(
            Method::POST,
            "/2018-06-01/runtime/invocation/once/response",
            &[],
            "1",
        )
        .await;
    assert_eq!(first.status, StatusCode::ACCEPTED);
    for action in ["response", "error"] {
        let again = runtime
            .call(
                Method::POST,
                &format!("/2018-06-01/runtime/invocation/once/{action}"),
                &[],
                "2",
            )
            .await;
        assert_eq!(again.status, StatusCode::BAD_REQUEST, "{action}");
        assert_eq!(again.json()["errorType"], "InvalidRequestID");
    }
}

#[tokio::test]
async fn unknown_paths_and_wrong_methods_get_404_and_405() {
    let runtime = Runtime::start().await;
    let missing = runtime
        .call(
            Method::GET,
            "/2018-06-01/runtime/nothing",
            &[],
            Bytes::new(),
        )
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(&missing.body[..], b"404 page not found\n");
    let missing = runtime
        .call(
            Method::POST,
            "/2018-06-01/runtime/invocation/a/b/response",
            &[],
            Bytes::new(),
        )
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    let wrong = runtime
        .call(
            Method::POST,
            "/2018-06-01/runtime/invocation/next",
            &[],
            Bytes::new(),
        )
        .await;
    assert_eq!(wrong.status, StatusCode::METHOD_NOT_ALLOWED);
    // A wrong method must not count as the first /next.
    assert_eq!(runtime.api.phase(), Phase::Initializing);
}

#[tokio::test]
async fn init_error_is_recorded_before_next_and_refused_after() {
    let runtime = Runtime::start().await;
    let posted = runtime
        .call(
            Method::POST,
            "/2018-06-01/runtime/init/error",
            &[("Lambda-Runtime-Function-Error-Type", "Runtime.InitError")],
            r#"{"errorType":"ConfigError","errorMessage":"missing TABLE_NAME"}"#,
        )
        .await;
    assert_eq!(posted.status, StatusCode::ACCEPTED);
    let error = tokio::time::timeout(LIMIT, runtime.api.initialized())
        .await
        .expect("in time")
        .expect_err("init failed");
    assert_eq!(
        (error.error_type.as_str(), error.error_message.as_str()),
        ("ConfigError", "missing TABLE_NAME")
    );

    let ready = Runtime::start().await;
    let _pending = ready.dispatch("r", b"{}");
    ready.next().await;
    let late = ready
        .call(
            Method::POST,
            "/2018-06-01/runtime/init/error",
            &[],
            r#"{"errorType":"X","errorMessage":"y"}"#,
        )
        .await;
    assert_eq!(late.status, StatusCode::FORBIDDEN);
    assert_eq!(late.json()["errorType"], "InvalidStateTransition");
}

#[tokio::test]
async fn oversized_responses_get_413_and_fail_the_invocation() {
    let runtime = Runtime::start().await;
    let pending = runtime.dispatch("big", b"{}");
    runtime.next().await;
    let body = vec![b'x'; MAX_RESPONSE_BYTES + 1];
    let posted = runtime
        .call(
            Method::POST,
            "/2018-06-01/runtime/invocation/big/response",
            &[],
            body,
        )
        .await;
    assert_eq!(posted.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(posted.json()["errorType"], "RequestEntityTooLarge");
    let InvocationResult::Error(error) = settled(pending).await else {
        panic!("expected a function error");
    };
    assert_eq!(error.error_type, "Function.ResponseSizeTooLarge");
}

#[tokio::test]
async fn extensions_register_and_receive_shutdown_once() {
    let runtime = Arc::new(Runtime::start().await);
    let registered = runtime
        .call(
            Method::POST,
            "/2020-01-01/extension/register",
            &[
                ("Lambda-Extension-Name", "helper"),
                ("Lambda-Extension-Accept-Feature", "accountId"),
            ],
            r#"{"events":[]}"#,
        )
        .await;
    assert_eq!(registered.status, StatusCode::OK);
    assert_eq!(
        registered.json(),
        json!({"functionName": "fn", "functionVersion": "$LATEST", "handler": "bootstrap", "accountId": "000000000000"})
    );
    let id = registered.headers["lambda-extension-identifier"]
        .to_str()
        .expect("ascii id")
        .to_owned();
    assert_eq!(runtime.api.extensions().len(), 1);
    assert_eq!(runtime.api.extensions()[0].name, "helper");

    let duplicate = runtime
        .call(
            Method::POST,
            "/2020-01-01/extension/register",
            &[("Lambda-Extension-Name", "helper")],
            "{}",
        )
        .await;
    assert_eq!(duplicate.status, StatusCode::FORBIDDEN);
    let nameless = runtime
        .call(Method::POST, "/2020-01-01/extension/register", &[], "{}")
        .await;
    assert_eq!(
        nameless.json()["errorType"],
        "Extension.InvalidExtensionName"
    );
    let bad_event = runtime
        .call(
            Method::POST,
            "/2020-01-01/extension/register",
            &[("Lambda-Extension-Name", "other")],
            r#"{"events":["LUNCH"]}"#,
        )
        .await;
    assert_eq!(bad_event.json()["errorType"], "Extension.InvalidEventType");

    let unknown = runtime
        .call(
            Method::GET,
            "/2020-01-01/extension/event/next",
            &[(
                "Lambda-Extension-Identifier",
                "00000000-0000-4000-8000-000000000000",
            )],
            Bytes::new(),
        )
        .await;
    assert_eq!(unknown.status, StatusCode::FORBIDDEN);
    assert_eq!(
        unknown.json()["errorType"],
        "Extension.UnknownExtensionIdentifier"
    );

    // The poll parks until shutdown begins.
    let poller = Arc::clone(&runtime);
    let poll_id = id.clone();
    let mut parked = tokio::spawn(async move {
        poller
            .call(
                Method::GET,
                "/2020-01-01/extension/event/next",
                &[("Lambda-Extension-Identifier", &poll_id)],
                Bytes::new(),
            )
            .await
    });
    assert!(
        tokio::time::timeout(Duration::from_millis(200), &mut parked)
            .await
            .is_err(),
        "event/next must park before shutdown"
    );
    runtime.api.begin_shutdown(
        ShutdownReason::Spindown,
        SystemTime::UNIX_EPOCH + Duration::from_secs(2),
    );
    let event = tokio::time::timeout(LIMIT, parked)
        .await
        .expect("released")
        .expect("task");
    assert_eq!(
        event.json(),
        json!({"eventType": "SHUTDOWN", "shutdownReason": "SPINDOWN", "deadlineMs": 2000})
    );

    // Registration closes once the runtime has asked for work.
    let _pending = runtime.dispatch("r", b"{}");
    runtime.next().await;
    let late = runtime
        .call(
            Method::POST,
            "/2020-01-01/extension/register",
            &[("Lambda-Extension-Name", "late")],
            "{}",
        )
        .await;
    assert_eq!(late.json()["errorType"], "Extension.RegistrationClosed");
}
