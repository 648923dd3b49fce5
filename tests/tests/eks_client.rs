//! The real `eks-client` binary under lattice_local's Runtime API, calling real upstreams on
//! 127.0.0.1: the pod greeting over HTTP and HTTPS (test CA via `LATTICE_CA_BUNDLE`),
//! payload overrides, SigV4/SigV4A checked by the signature oracle, transport faults, init
//! errors (including a signed `http://` URL behind a proxy), and logs free of secrets and of
//! raw payloads at every log level.

mod support_client;

use std::path::PathBuf;
use std::time::Duration;

use lattice_local::functions::{InvokeError, InvokeOptions};
use lattice_tests::{FunctionUnderTest, Invocation, workspace_binary};
use serde_json::json;
use support_client::oracle::{self, SigningInputs, Window};
use support_client::tls::TestTls;
use support_client::upstream::{Reply, Upstream, refusing_port};

const GREETING: &str = "Hello Bar EKS Pod!!";
const ACCESS_KEY: &str = "ASIALATTICETEST00002";
const SECRET_KEY: &str = "eksClientSecretKey/K7MDENG+bPxRfiCYLATTICE";
const TOKEN: &str = "IQoJb3JpZ2luX2VjEKSCLIENTTOKEN//////////wEaCXVzLXdlc3QtMiJHMEUCIQ==";
const REGION: &str = "eu-west-1";

fn binary() -> PathBuf {
    workspace_binary("eks-client", "eks-client")
}

async fn start(env: &[(&str, &str)]) -> FunctionUnderTest {
    FunctionUnderTest::start(&binary(), env).await
}

/// Starts the function expecting init to fail; returns (errorType, errorMessage, logs).
async fn init_failure(env: &[(&str, &str)]) -> (String, String, String) {
    let config = FunctionUnderTest::config(&binary(), env);
    let Err(failure) = FunctionUnderTest::try_start_with(config).await else {
        panic!("init should fail for {env:?}");
    };
    let InvokeError::Init(error) = &failure.error else {
        panic!("expected an init error, got {}", failure.error);
    };
    (
        error.error_type.clone(),
        error.error_message.clone(),
        failure.logs.clone(),
    )
}

fn assert_no_secret(text: &str) {
    for secret in [SECRET_KEY, TOKEN] {
        assert!(!text.contains(secret), "a secret leaked into:\n{text}");
    }
}

#[tokio::test]
async fn an_empty_payload_gets_the_pod_greeting() {
    let upstream = Upstream::answering(GREETING).await;
    let url = format!("{}/app", upstream.base);
    let function = start(&[("LATTICE_SERVICE_URL", &url)]).await;

    for payload in [&b"{}"[..], b"", b"null", b" \n"] {
        let result = function.invoke(payload).await.expect_response();
        assert_eq!(result["statusCode"], 200, "{payload:?}");
        assert_eq!(result["body"], format!("from EKS: {GREETING}"));
        assert_eq!(result["headers"]["x-upstream"], "scripted");
    }
    let seen = upstream.seen();
    assert_eq!(seen.len(), 4);
    assert!(seen.iter().all(|s| s.method == "GET" && s.target == "/app"));
    assert!(seen.iter().all(|s| s.header("authorization").is_none()));
}

#[tokio::test]
async fn the_trace_id_of_the_invocation_reaches_the_upstream() {
    let upstream = Upstream::answering(GREETING).await;
    let function = start(&[("LATTICE_SERVICE_URL", &upstream.base)]).await;
    let trace = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1";
    let options = InvokeOptions {
        trace_id: Some(trace.to_owned()),
        ..InvokeOptions::default()
    };
    function.invoke_with(b"{}", options).await.expect_response();
    assert_eq!(upstream.seen()[0].header("x-amzn-trace-id"), Some(trace));
}

#[tokio::test]
async fn the_payload_overrides_method_path_query_headers_and_body() {
    let upstream = Upstream::http(|_| Reply::Respond(201, "created")).await;
    let url = format!("{}/app", upstream.base);
    let function = start(&[("LATTICE_SERVICE_URL", &url)]).await;
    let result = function
        .invoke_json(&json!({
            "method": "POST",
            "path": "/orders",
            "query": {"tag": ["a", "b c"], "page": "2"},
            "headers": {"content-type": "application/json", "x-request-source": "test"},
            "body": "{\"item\":\"book\"}"
        }))
        .await
        .expect_response();
    assert_eq!(result["statusCode"], 201);
    assert_eq!(result["body"], "from EKS: created");
    let seen = &upstream.seen()[0];
    assert_eq!(seen.method, "POST");
    assert_eq!(seen.target, "/app/orders?page=2&tag=a&tag=b%20c");
    assert_eq!(seen.header("content-type"), Some("application/json"));
    assert_eq!(seen.header("x-request-source"), Some("test"));
    assert_eq!(seen.body, b"{\"item\":\"book\"}");
}

#[tokio::test]
async fn an_upstream_error_status_is_passed_through() {
    let upstream = Upstream::http(|_| Reply::Respond(404, "no such route")).await;
    let function = start(&[("LATTICE_SERVICE_URL", &upstream.base)]).await;
    let result = function.invoke(b"{}").await.expect_response();
    assert_eq!(
        result,
        json!({"statusCode": 404, "body": "from EKS: no such route", "headers": result["headers"]})
    );
}

#[tokio::test]
async fn an_invalid_payload_is_a_function_error_naming_the_field() {
    let upstream = Upstream::answering(GREETING).await;
    let function = start(&[("LATTICE_SERVICE_URL", &upstream.base)]).await;
    let (error_type, message) = function
        .invoke_json(&json!({"method": 42}))
        .await
        .expect_function_error();
    assert_eq!(error_type, "InvalidPayload");
    assert!(message.contains("method"), "{message}");
    assert!(upstream.seen().is_empty());
}

#[tokio::test]
async fn an_https_upstream_is_trusted_through_the_ca_bundle() {
    let tls = TestTls::generate();
    let upstream = Upstream::https(|_| Reply::Respond(200, GREETING), tls.acceptor.clone()).await;
    let url = format!("{}/app", upstream.base);
    let bundle = tls.ca_bundle.to_string_lossy().into_owned();
    let function = start(&[
        ("LATTICE_SERVICE_URL", &url),
        ("LATTICE_CA_BUNDLE", &bundle),
    ])
    .await;
    let result = function.invoke(b"{}").await.expect_response();
    assert_eq!(result["statusCode"], 200);
    assert_eq!(result["body"], format!("from EKS: {GREETING}"));
}

#[tokio::test]
async fn an_https_upstream_with_an_unknown_ca_is_unavailable() {
    let tls = TestTls::generate();
    let upstream = Upstream::https(|_| Reply::Respond(200, GREETING), tls.acceptor.clone()).await;
    let function = start(&[
        ("LATTICE_SERVICE_URL", &upstream.base),
        ("LATTICE_RETRIES", "0"),
    ])
    .await;
    let (error_type, message) = function.invoke(b"{}").await.expect_function_error();
    assert_eq!(error_type, "UpstreamUnavailable");
    let host = upstream.base.trim_start_matches("https://");
    assert!(message.contains(host), "{message}");
    assert!(message.to_lowercase().contains("certificate"), "{message}");
}

#[tokio::test]
async fn sigv4_calls_match_botocore_and_no_secret_is_logged() {
    let upstream = Upstream::answering(GREETING).await;
    let url = format!("{}/app", upstream.base);
    let function = start(&[
        ("LATTICE_SERVICE_URL", &url),
        ("LATTICE_SIGNING", "sigv4"),
        ("AWS_REGION", REGION),
        ("AWS_ACCESS_KEY_ID", ACCESS_KEY),
        ("AWS_SECRET_ACCESS_KEY", SECRET_KEY),
        ("AWS_SESSION_TOKEN", TOKEN),
        // The most verbose logging any dependency offers: still nothing secret.
        ("RUST_LOG", "trace"),
    ])
    .await;
    let window = Window::open();
    function.invoke(b"{}").await.expect_response();
    function
        .invoke_json(
            &json!({"method": "PUT", "path": "/items/1", "query": {"v": "x y"}, "body": "data"}),
        )
        .await
        .expect_response();
    let window = window.close();

    let seen = upstream.seen();
    assert_eq!(seen.len(), 2);
    for s in &seen {
        assert_eq!(s.header("x-amz-content-sha256"), Some("UNSIGNED-PAYLOAD"));
        assert_eq!(s.header("x-amz-security-token"), Some(TOKEN));
    }
    let logs = function.logs();
    assert_no_secret(&logs);
    for s in &seen {
        let signature = s
            .header("authorization")
            .unwrap()
            .rsplit("Signature=")
            .next()
            .unwrap();
        assert!(
            !logs.contains(signature),
            "a signature leaked into the logs"
        );
    }

    let inputs = SigningInputs {
        mode: "sigv4",
        access_key: ACCESS_KEY,
        secret_key: SECRET_KEY,
        token: Some(TOKEN),
        region: REGION,
    };
    oracle::assert_signatures("http", &seen, &inputs, window);
}

#[tokio::test]
async fn sigv4a_calls_verify() {
    let upstream = Upstream::answering(GREETING).await;
    let function = start(&[
        ("LATTICE_SERVICE_URL", &upstream.base),
        ("LATTICE_SIGNING", "sigv4a"),
        ("AWS_REGION", REGION),
        ("AWS_ACCESS_KEY_ID", ACCESS_KEY),
        ("AWS_SECRET_ACCESS_KEY", SECRET_KEY),
    ])
    .await;
    let window = Window::open();
    function.invoke(b"{}").await.expect_response();
    let window = window.close();
    let seen = upstream.seen();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].header("x-amz-region-set"), Some(REGION));
    assert_no_secret(&function.logs());

    let inputs = SigningInputs {
        mode: "sigv4a",
        access_key: ACCESS_KEY,
        secret_key: SECRET_KEY,
        token: None,
        region: REGION,
    };
    oracle::assert_signatures("http", &seen, &inputs, window);
}

#[tokio::test]
async fn trace_logging_never_shows_the_raw_payload() {
    let upstream = Upstream::answering(GREETING).await;
    let function = start(&[
        ("LATTICE_SERVICE_URL", &upstream.base),
        // What the Lambda console's log level setting sets; lambda_runtime logs every raw
        // event at TRACE unless the subscriber caps it.
        ("AWS_LAMBDA_LOG_LEVEL", "TRACE"),
    ])
    .await;
    let marker = "payload-marker-7f3a9c";
    function
        .invoke_json(&json!({
            "method": "POST",
            "headers": {"x-request-source": marker},
            "body": marker
        }))
        .await
        .expect_response();
    assert_eq!(
        upstream.seen()[0].body,
        marker.as_bytes(),
        "the payload was used"
    );
    let logs = function.logs();
    // TRACE really is on (otherwise the check below would prove nothing)...
    assert!(logs.contains("TRACE"), "no TRACE line at all:\n{logs}");
    // ...and still no line carries the payload.
    assert!(
        !logs.contains(marker),
        "the raw payload was logged:\n{logs}"
    );
}

#[tokio::test]
async fn a_signed_http_url_behind_a_proxy_fails_init_and_no_proxy_lets_it_run() {
    let upstream = Upstream::answering(GREETING).await;
    let signed = [
        ("LATTICE_SIGNING", "sigv4"),
        ("AWS_REGION", REGION),
        ("AWS_ACCESS_KEY_ID", ACCESS_KEY),
        ("AWS_SECRET_ACCESS_KEY", SECRET_KEY),
        ("AWS_SESSION_TOKEN", TOKEN),
    ];
    let with = |extra: &[(&'static str, &'static str)]| {
        let mut env: Vec<(&str, &str)> = vec![("LATTICE_SERVICE_URL", upstream.base.as_str())];
        env.extend(signed);
        env.extend(extra.iter().copied());
        env
    };

    let (error_type, message, logs) = init_failure(&with(&[(
        "HTTP_PROXY",
        "http://proxy-user:proxy-pass@127.0.0.1:9",
    )]))
    .await;
    assert_eq!(error_type, "InvalidConfiguration");
    assert!(message.contains("LATTICE_SERVICE_URL"), "{message}");
    assert!(
        message.contains("proxy") && message.contains("NO_PROXY"),
        "{message}"
    );
    assert!(
        !message.contains("proxy-pass") && !logs.contains("proxy-pass"),
        "{message}"
    );
    assert_no_secret(&logs);
    assert!(upstream.seen().is_empty());

    let function = start(&with(&[
        ("ALL_PROXY", "http://127.0.0.1:9"),
        ("NO_PROXY", "127.0.0.1"),
    ]))
    .await;
    let result = function.invoke(b"{}").await.expect_response();
    assert_eq!(result["statusCode"], 200);
    assert!(upstream.seen()[0].header("authorization").is_some());
}

#[tokio::test]
async fn a_refused_connection_is_upstream_unavailable_naming_host_and_cause() {
    let port = refusing_port().await;
    let url = format!("http://127.0.0.1:{port}/app");
    let function = start(&[("LATTICE_SERVICE_URL", &url)]).await;
    let (error_type, message) = function.invoke(b"{}").await.expect_function_error();
    assert_eq!(error_type, "UpstreamUnavailable");
    assert!(message.contains(&format!("127.0.0.1:{port}")), "{message}");
    assert!(message.to_lowercase().contains("refused"), "{message}");
    assert!(
        message.contains("3 attempt"),
        "two retries by default: {message}"
    );
}

#[tokio::test]
async fn a_silent_upstream_times_out_before_the_invocation_deadline() {
    let upstream = Upstream::http(|_| Reply::Hang).await;
    // The attempt timeout (60 s) is far past the function timeout (3 s): only the deadline
    // can end the call, and it must end it early enough for the function to answer itself.
    let config = FunctionUnderTest::config(
        &binary(),
        &[
            ("LATTICE_SERVICE_URL", &upstream.base),
            ("LATTICE_TIMEOUT_MS", "60000"),
        ],
    )
    .with_timeout(Duration::from_secs(3));
    let function = FunctionUnderTest::start_with(config).await;
    let outcome = function.invoke(b"{}").await;
    let Invocation::FunctionError {
        error_type,
        error_message,
    } = outcome
    else {
        panic!("the function must answer before its deadline, got {outcome:?}");
    };
    assert_eq!(error_type, "UpstreamTimeout");
    assert!(
        error_message.contains(upstream.base.trim_start_matches("http://")),
        "{error_message}"
    );
    assert!(error_message.contains("deadline"), "{error_message}");
}

#[tokio::test]
async fn a_reset_mid_body_is_retried_then_reported_unavailable() {
    let upstream = Upstream::http(|_| Reply::ResetMidBody).await;
    let function = start(&[("LATTICE_SERVICE_URL", &upstream.base)]).await;
    let (error_type, message) = function.invoke(b"{}").await.expect_function_error();
    assert_eq!(error_type, "UpstreamUnavailable");
    assert_eq!(upstream.seen().len(), 3, "GET is retried twice");
    assert!(
        message.contains(upstream.base.trim_start_matches("http://")),
        "{message}"
    );
}

#[tokio::test]
async fn a_503_then_200_is_retried_and_succeeds() {
    let upstream = Upstream::http(|i| {
        if i == 0 {
            Reply::Respond(503, "warming up")
        } else {
            Reply::Respond(200, GREETING)
        }
    })
    .await;
    let function = start(&[("LATTICE_SERVICE_URL", &upstream.base)]).await;
    let result = function.invoke(b"{}").await.expect_response();
    assert_eq!(result["statusCode"], 200);
    assert_eq!(result["body"], format!("from EKS: {GREETING}"));
    assert_eq!(upstream.seen().len(), 2);
}

#[tokio::test]
async fn a_post_answered_503_is_not_retried() {
    let upstream = Upstream::http(|_| Reply::Respond(503, "busy")).await;
    let function = start(&[("LATTICE_SERVICE_URL", &upstream.base)]).await;
    let result = function
        .invoke_json(&json!({"method": "POST", "body": "once"}))
        .await
        .expect_response();
    assert_eq!(result["statusCode"], 503);
    assert_eq!(result["body"], "from EKS: busy");
    assert_eq!(upstream.seen().len(), 1);
}

#[tokio::test]
async fn warm_invocations_reuse_one_connection() {
    let upstream = Upstream::answering(GREETING).await;
    let function = start(&[("LATTICE_SERVICE_URL", &upstream.base)]).await;
    for _ in 0..1000 {
        let result = function.invoke(b"{}").await.expect_response();
        assert_eq!(result["statusCode"], 200);
    }
    assert_eq!(upstream.seen().len(), 1000);
    assert_eq!(upstream.connections(), 1);
}

#[tokio::test]
async fn a_missing_service_url_fails_init_naming_it() {
    let (error_type, message, _) = init_failure(&[]).await;
    assert_eq!(error_type, "InvalidConfiguration");
    assert!(message.contains("LATTICE_SERVICE_URL"), "{message}");
}

#[tokio::test]
async fn invalid_settings_fail_init_naming_the_variable() {
    for (variable, value) in [
        ("LATTICE_SIGNING", "sigv5"),
        ("LATTICE_TIMEOUT_MS", "soon"),
        ("LATTICE_RETRIES", "many"),
        ("LATTICE_SERVICE_URL", "ftp://example.com"),
    ] {
        let mut env = vec![("LATTICE_SERVICE_URL", "http://127.0.0.1:9/app")];
        env.retain(|(name, _)| *name != variable);
        env.push((variable, value));
        let (error_type, message, logs) = init_failure(&env).await;
        assert_eq!(error_type, "InvalidConfiguration", "{variable}");
        assert!(message.contains(variable), "{variable}: {message}");
        assert!(
            !logs.contains("panicked"),
            "init must fail cleanly, not panic:\n{logs}"
        );
    }
}

#[tokio::test]
async fn an_unreadable_ca_bundle_fails_init_naming_the_path() {
    let (_, message, _) = init_failure(&[
        ("LATTICE_SERVICE_URL", "https://127.0.0.1:9/app"),
        ("LATTICE_CA_BUNDLE", "/nonexistent/lattice-ca.pem"),
    ])
    .await;
    assert!(message.contains("/nonexistent/lattice-ca.pem"), "{message}");
}

#[tokio::test]
async fn signing_without_credentials_fails_init_clearly() {
    let (error_type, message, logs) = init_failure(&[
        ("LATTICE_SERVICE_URL", "http://127.0.0.1:9/app"),
        ("LATTICE_SIGNING", "sigv4"),
        ("AWS_SECRET_ACCESS_KEY", SECRET_KEY),
    ])
    .await;
    assert_eq!(error_type, "InvalidConfiguration");
    assert!(message.contains("AWS_ACCESS_KEY_ID"), "{message}");
    assert_no_secret(&message);
    assert_no_secret(&logs);
}
