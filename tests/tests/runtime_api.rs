//! The `test-function` fixture run for real through lattice_local's Runtime API,
//! function pool and Invoke API.

use std::path::PathBuf;
use std::time::Duration;

use bytes::Bytes;
use http::{Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use lattice_local::functions::{FunctionConfig, InvokeError, InvokeOptions};
use lattice_local::invoke_api::InvokeApi;
use lattice_tests::{FunctionUnderTest, Invocation, test_function, workspace_binary};
use serde_json::{Value, json};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpListener;

const ARN: &str = "arn:aws:lambda:us-east-1:000000000000:function:test-function";
/// Upper bound for waits inside the tests themselves (never a speed assertion).
const LIMIT: Duration = Duration::from_secs(60);

fn fixture() -> PathBuf {
    test_function()
}

fn pid_of(invocation: Invocation) -> u64 {
    invocation
        .expect_response()
        .as_u64()
        .expect("pid is a number")
}

#[tokio::test]
async fn workspace_binary_builds_the_same_fixture_cargo_built_for_this_test() {
    let built = workspace_binary("lattice-tests", "test-function");
    assert_eq!(built, PathBuf::from(env!("CARGO_BIN_EXE_test-function")));
    assert_eq!(
        test_function(),
        built,
        "second lookup is served from the cache"
    );
}

#[tokio::test]
async fn echo_env_and_logs_through_a_warm_instance() {
    let function = FunctionUnderTest::start(&fixture(), &[("GREETING", "hello")]).await;
    assert_eq!(
        function
            .invoke_json(&json!({"echo": {"a": [1, 2]}}))
            .await
            .expect_response(),
        json!({"a": [1, 2]})
    );
    assert_eq!(
        function
            .invoke_json(&json!({"env": "GREETING"}))
            .await
            .expect_response(),
        "hello"
    );
    // The sandbox environment is set, and the parent's is not inherited.
    for (name, expected) in [
        ("AWS_LAMBDA_FUNCTION_NAME", json!("test-function")),
        ("AWS_LAMBDA_FUNCTION_VERSION", json!("$LATEST")),
        ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", json!("128")),
        ("AWS_REGION", json!("us-east-1")),
        (
            "AWS_LAMBDA_LOG_GROUP_NAME",
            json!("/aws/lambda/test-function"),
        ),
        ("_HANDLER", json!("bootstrap")),
        ("HOME", Value::Null),
        ("CARGO_MANIFEST_DIR", Value::Null),
    ] {
        assert_eq!(
            function
                .invoke_json(&json!({"env": name}))
                .await
                .expect_response(),
            expected,
            "{name}"
        );
    }

    function
        .invoke_json(&json!({"print": "hello from the handler"}))
        .await
        .expect_response();
    let logs = function.logs();
    assert!(logs.contains("test-function: ready"), "{logs}");
    assert_eq!(
        logs.matches("hello from the handler").count(),
        2,
        "stdout and stderr:\n{logs}"
    );

    let stats = function.pool().instances();
    assert_eq!(stats.len(), 1, "one warm instance, reused: {stats:?}");
    assert_eq!(stats[0].invocations, 11);
    assert!(stats[0].init_duration.is_some());
    let pid = stats[0].pid.expect("pid");
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("proc status");
    assert!(status.contains("VmHWM:"), "peak RSS is readable");
}

#[tokio::test]
async fn context_headers_reach_the_function() {
    let function = FunctionUnderTest::start(&fixture(), &[]).await;
    let trace = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1";
    let options = InvokeOptions {
        request_id: Some("my-request".into()),
        trace_id: Some(trace.into()),
        client_context: Some(r#"{"custom":{"k":"v"}}"#.into()),
        cognito_identity: None,
    };
    let context = function
        .invoke_with(br#"{"context": true}"#, options)
        .await
        .expect_response();
    assert_eq!(context["request_id"], "my-request");
    assert_eq!(context["invoked_function_arn"], ARN);
    assert_eq!(context["xray_trace_id"], trace);
    assert_eq!(context["client_context"], json!({"custom": {"k": "v"}}));
    assert!(context["deadline"].as_u64().is_some_and(|d| d > 0));
}

#[tokio::test]
async fn handler_errors_and_panics_are_function_errors_and_keep_the_instance() {
    let function = FunctionUnderTest::start(&fixture(), &[]).await;
    let pid = pid_of(function.invoke_json(&json!({"pid": true})).await);

    let (error_type, message) = function
        .invoke_json(&json!({"fail": "no such item"}))
        .await
        .expect_function_error();
    assert_eq!(
        (error_type.as_str(), message.as_str()),
        ("TestFunction.Failure", "no such item")
    );

    let (_, message) = function
        .invoke_json(&json!({"panic": true}))
        .await
        .expect_function_error();
    assert_eq!(message, "Lambda panicked: test-function was asked to panic");

    assert_eq!(
        pid_of(function.invoke_json(&json!({"pid": true})).await),
        pid,
        "function errors do not replace the instance"
    );
}

#[tokio::test]
async fn a_crash_fails_the_invoke_and_the_next_one_gets_a_fresh_instance() {
    let function = FunctionUnderTest::start(&fixture(), &[]).await;
    let first = pid_of(function.invoke_json(&json!({"pid": true})).await);

    let failure = function
        .invoke_json(&json!({"print": "about to exit", "exit": 3}))
        .await
        .expect_failed();
    assert!(failure.contains("exit status: 3"), "{failure}");
    assert!(
        failure.contains("about to exit"),
        "stderr tail is included: {failure}"
    );

    let second = pid_of(function.invoke_json(&json!({"pid": true})).await);
    assert_ne!(first, second);

    let failure = function
        .invoke_json(&json!({"abort": true}))
        .await
        .expect_failed();
    assert!(failure.contains("SIGABRT"), "{failure}");
    let third = pid_of(function.invoke_json(&json!({"pid": true})).await);
    assert_ne!(second, third);

    let ids: Vec<u64> = function.pool().instances().iter().map(|s| s.id).collect();
    assert_eq!(ids, [3], "crashed instances are discarded");
}

#[tokio::test]
async fn a_timeout_kills_the_instance_and_the_next_invoke_gets_a_fresh_one() {
    let config = FunctionUnderTest::config(&fixture(), &[]).with_timeout(Duration::from_secs(2));
    let function = FunctionUnderTest::start_with(config).await;
    let first = pid_of(function.invoke_json(&json!({"pid": true})).await);

    let failure = function
        .invoke_json(&json!({"sleep_ms": 60_000}))
        .await
        .expect_failed();
    assert!(failure.contains("timed out after 2s"), "{failure}");
    // The killed process is gone (killed and reaped), not merely abandoned.
    assert!(!PathBuf::from(format!("/proc/{first}")).exists());

    let second = pid_of(function.invoke_json(&json!({"pid": true})).await);
    assert_ne!(first, second);
}

#[tokio::test]
async fn an_init_error_is_reported_with_its_type_and_message() {
    let config = FunctionUnderTest::config(
        &fixture(),
        &[("TEST_FUNCTION_INIT_FAIL", "TABLE_NAME is not set")],
    );
    let started = FunctionUnderTest::try_start_with(config.clone()).await;
    let Err(failure) = started else {
        panic!("init should fail");
    };
    let InvokeError::Init(error) = &failure.error else {
        panic!("expected an init error, got {}", failure.error);
    };
    assert_eq!(error.error_type, "TestFunction.InitFailure");
    assert_eq!(error.error_message, "TABLE_NAME is not set");
    assert_eq!(
        error.header_error_type.as_deref(),
        Some("Runtime.InitError")
    );

    // An invoke on a lazily started pool reports the same.
    let pool = lattice_local::functions::FunctionPool::new(config).expect("valid config");
    let outcome = pool
        .invoke(Bytes::from_static(b"{}"), InvokeOptions::default())
        .await;
    let text = Invocation::from(outcome).expect_failed();
    assert!(text.contains("TABLE_NAME is not set"), "{text}");
    assert!(
        pool.instances().is_empty(),
        "the failed instance is discarded"
    );
}

#[tokio::test]
async fn a_missing_binary_fails_to_start() {
    let config = FunctionConfig::new("missing", "/nonexistent/bootstrap");
    let failure = FunctionUnderTest::try_start_with(config)
        .await
        .expect_err("cannot start");
    assert!(
        matches!(failure.error, InvokeError::Spawn { .. }),
        "{}",
        failure.error
    );
}

#[tokio::test]
async fn parallel_invokes_run_on_separate_instances_up_to_the_limit() {
    const N: usize = 3;
    let config = FunctionUnderTest::config(&fixture(), &[]).with_max_instances(N);
    let function = std::sync::Arc::new(FunctionUnderTest::start_with(config).await);

    // Each invocation connects here and waits for a byte; the byte is only sent once all
    // N are connected, which is only possible if N instances run at the same time.
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let payload =
        json!({"rendezvous": listener.local_addr().expect("addr").to_string(), "pid": true});
    let mut calls = tokio::task::JoinSet::new();
    for _ in 0..N {
        let function = std::sync::Arc::clone(&function);
        let payload = payload.clone();
        calls.spawn(async move { function.invoke_json(&payload).await });
    }
    let mut held = Vec::new();
    for _ in 0..N {
        let (stream, _) = tokio::time::timeout(LIMIT, listener.accept())
            .await
            .expect("all invocations run concurrently")
            .expect("accept");
        held.push(stream);
    }
    for stream in &mut held {
        stream.write_all(b"x").await.expect("release");
    }
    let mut pids = Vec::new();
    while let Some(done) = calls.join_next().await {
        pids.push(pid_of(done.expect("task")));
    }
    pids.sort_unstable();
    pids.dedup();
    assert_eq!(pids.len(), N, "each invocation had its own process");
    assert_eq!(function.pool().instances().len(), N);
}

#[tokio::test]
async fn with_one_instance_parallel_invokes_queue_and_reuse_it() {
    let function = std::sync::Arc::new(FunctionUnderTest::start(&fixture(), &[]).await);
    let mut calls = tokio::task::JoinSet::new();
    for _ in 0..4 {
        let function = std::sync::Arc::clone(&function);
        calls.spawn(async move {
            function
                .invoke_json(&json!({"sleep_ms": 50, "pid": true}))
                .await
        });
    }
    let mut pids = Vec::new();
    while let Some(done) = calls.join_next().await {
        pids.push(pid_of(done.expect("task")));
    }
    pids.dedup();
    assert_eq!(pids.len(), 1, "all four ran on the single instance");
    let stats = function.pool().instances();
    assert_eq!((stats.len(), stats[0].invocations), (1, 4));
}

#[tokio::test]
async fn an_invoke_waiting_past_the_queue_timeout_for_a_busy_instance_is_throttled() {
    let config =
        FunctionUnderTest::config(&fixture(), &[]).with_queue_timeout(Duration::from_millis(200));
    let function = std::sync::Arc::new(FunctionUnderTest::start_with(config).await);
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let holder = {
        let function = std::sync::Arc::clone(&function);
        let payload =
            json!({"rendezvous": listener.local_addr().expect("addr").to_string(), "echo": "held"});
        tokio::spawn(async move { function.invoke_json(&payload).await })
    };
    // Once the holder is connected, the only instance is certainly busy.
    let (mut held, _) = tokio::time::timeout(LIMIT, listener.accept())
        .await
        .expect("holder connected")
        .expect("accept");
    let text = function
        .invoke_json(&json!({"echo": 1}))
        .await
        .expect_failed();
    assert!(text.contains("no function instance became free"), "{text}");

    held.write_all(b"x").await.expect("release");
    assert_eq!(holder.await.expect("holder task").expect_response(), "held");
    assert_eq!(
        function
            .invoke_json(&json!({"echo": 2}))
            .await
            .expect_response(),
        2
    );
}

#[tokio::test]
async fn shutdown_sends_sigterm_and_the_function_exits_gracefully() {
    let function = FunctionUnderTest::start(&fixture(), &[]).await;
    function
        .invoke_json(&json!({"echo": 1}))
        .await
        .expect_response();
    let pool = function.pool().clone();
    let exits = function.shutdown().await;
    assert_eq!(exits.len(), 1, "{exits:?}");
    assert!(!exits[0].forced, "it stopped within the grace period");
    assert_eq!(exits[0].status.and_then(|s| s.code()), Some(0), "{exits:?}");
    let logs = pool.logs();
    assert!(logs.contains("SIGTERM received"), "{logs}");
    assert!(logs.contains("test-function: graceful shutdown"), "{logs}");

    let after = pool
        .invoke(Bytes::from_static(b"{}"), InvokeOptions::default())
        .await;
    assert!(matches!(after, Err(InvokeError::ShutDown)), "{after:?}");
}

struct HttpAnswer {
    status: StatusCode,
    headers: http::HeaderMap,
    body: Value,
}

async fn post(api: &InvokeApi, path: &str, headers: &[(&str, &str)], body: &str) -> HttpAnswer {
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let mut request = Request::post(format!("{}{path}", api.endpoint_url()));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let request = request
        .body(Full::new(Bytes::from(body.to_owned())))
        .expect("request");
    let response = tokio::time::timeout(LIMIT, client.request(request))
        .await
        .expect("answered")
        .expect("http");
    let (parts, body) = response.into_parts();
    let body = body.collect().await.expect("body").to_bytes();
    HttpAnswer {
        status: parts.status,
        headers: parts.headers,
        body: serde_json::from_slice(&body).unwrap_or(Value::Null),
    }
}

#[tokio::test]
async fn the_invoke_api_serves_pools_over_http() {
    let function = FunctionUnderTest::start(&fixture(), &[]).await;
    let api = InvokeApi::bind(
        "127.0.0.1:0".parse().expect("addr"),
        function.pool().config().region.clone(),
        [function.pool().clone()],
    )
    .await
    .expect("bind invoke api");
    let path = "/2015-03-31/functions/test-function/invocations";

    let ok = post(&api, path, &[], r#"{"echo": {"x": 1}}"#).await;
    assert_eq!(ok.status, StatusCode::OK);
    assert_eq!(ok.body, json!({"x": 1}));
    assert!(ok.headers.get("x-amz-function-error").is_none());
    assert!(ok.headers.contains_key("x-amzn-requestid"));

    let by_arn = post(
        &api,
        "/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A000000000000%3Afunction%3Atest-function/invocations",
        &[],
        r#"{"echo": 2}"#,
    )
    .await;
    assert_eq!((by_arn.status, by_arn.body), (StatusCode::OK, json!(2)));

    let failed = post(&api, path, &[], r#"{"fail": "bad input"}"#).await;
    assert_eq!(failed.status, StatusCode::OK);
    assert_eq!(failed.headers["x-amz-function-error"], "Unhandled");
    assert_eq!(
        failed.body,
        json!({"errorType": "TestFunction.Failure", "errorMessage": "bad input"})
    );

    let crashed = post(&api, path, &[], r#"{"exit": 7}"#).await;
    assert_eq!(crashed.status, StatusCode::OK);
    assert_eq!(crashed.headers["x-amz-function-error"], "Unhandled");
    assert_eq!(crashed.body["errorType"], "Runtime.ExitError");
    assert!(
        crashed.body["errorMessage"]
            .as_str()
            .is_some_and(|m| m.ends_with("Runtime exited with error: exit status 7")),
        "{}",
        crashed.body
    );

    let context = post(
        &api,
        path,
        &[("X-Amz-Client-Context", "eyJjdXN0b20iOnsiYSI6ImIifX0=")],
        r#"{"context": true}"#,
    )
    .await;
    assert_eq!(
        context.body["client_context"],
        json!({"custom": {"a": "b"}})
    );
    assert_eq!(
        context.body["request_id"],
        context.headers["x-amzn-requestid"].to_str().expect("ascii")
    );

    let missing = post(&api, "/2015-03-31/functions/nope/invocations", &[], "{}").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(
        missing.headers["x-amzn-errortype"],
        "ResourceNotFoundException"
    );
    assert_eq!(
        missing.body["message"],
        "Function not found: arn:aws:lambda:us-east-1:000000000000:function:nope"
    );

    let wrong_version = post(&api, &format!("{path}?Qualifier=7"), &[], "{}").await;
    assert_eq!(wrong_version.status, StatusCode::NOT_FOUND);

    let dry = post(&api, path, &[("X-Amz-Invocation-Type", "DryRun")], "{}").await;
    assert_eq!(dry.status, StatusCode::NO_CONTENT);

    let queued = post(
        &api,
        path,
        &[("X-Amz-Invocation-Type", "Event")],
        r#"{"print": "async run"}"#,
    )
    .await;
    assert_eq!(queued.status, StatusCode::ACCEPTED);
}
