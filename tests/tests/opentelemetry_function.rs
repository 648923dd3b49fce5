//! The `opentelemetry-function` example under a Lambda Runtime API: `lambda_runtime`'s
//! `OpenTelemetryLayer` around `lattice_lambda::runtime`, spans flushed after each invocation.

use std::time::Duration;

use lattice_lambda::testing::EventBuilder;
use lattice_tests::{FunctionUnderTest, workspace_binary};

/// Bound on waiting for the exporter's output (never a speed assertion).
const LIMIT: Duration = Duration::from_secs(30);

#[tokio::test]
async fn each_invocation_is_served_in_a_faas_span_that_is_flushed() {
    let binary = workspace_binary("opentelemetry-function", "opentelemetry-function");
    let function = FunctionUnderTest::start(&binary, &[("AWS_LAMBDA_LOG_LEVEL", "TRACE")]).await;
    let event = EventBuilder::get("/")
        .iam_principal("arn:aws:iam::123456789012:role/app")
        .header(
            "authorization",
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/secret-signature",
        )
        .build_v2();
    let response = function.invoke(&event).await.expect_response();
    assert_eq!(response["statusCode"], 200);
    assert_eq!(response["body"], "Hello arn:aws:iam::123456789012:role/app");

    // The layer flushes after the invocation; the stdout exporter prints the span.
    let deadline = tokio::time::Instant::now() + LIMIT;
    let mut logs = function.logs();
    while !logs.contains("Name      : request") && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
        logs = function.logs();
    }
    assert!(
        logs.contains(r#"faas.trigger: String(Owned("http"))"#),
        "{logs}"
    );
    // The library's request line is an event of the invocation's span.
    assert!(logs.contains("Name      : request"), "{logs}");
    // Even at TRACE, `log_filter` keeps the raw event (and its credentials) out.
    assert!(!logs.contains("secret-signature"), "{logs}");
}
