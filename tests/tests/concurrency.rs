//! `lattice_lambda::run_concurrent` for real: one process under a Runtime API, invocations
//! dispatched at once, overlap observed by the function's own in-flight count (no clocks).

use std::sync::Arc;
use std::time::Duration;

use lattice_lambda::testing::EventBuilder;
use lattice_tests::{Invocation, SharedInstance, workspace_binary};
use serde_json::Value;

/// Bound on each invocation of these tests (never a speed assertion).
const LIMIT: Duration = Duration::from_secs(60);

async fn start(env: &[(&str, &str)]) -> Arc<SharedInstance> {
    let binary = workspace_binary("lattice-tests", "concurrent-function");
    Arc::new(SharedInstance::start(&binary, env).await)
}

/// Sends every event at once and returns the outcomes in the same order.
async fn invoke_all(instance: &Arc<SharedInstance>, events: Vec<Vec<u8>>) -> Vec<Invocation> {
    let tasks: Vec<_> = events
        .into_iter()
        .map(|event| {
            let instance = Arc::clone(instance);
            tokio::spawn(async move { instance.invoke(&event, LIMIT).await })
        })
        .collect();
    let mut outcomes = Vec::with_capacity(tasks.len());
    for task in tasks {
        outcomes.push(task.await.expect("invoke task"));
    }
    outcomes
}

/// The Lattice response's status and its body parsed as JSON (`null` when empty).
fn status_and_body(invocation: Invocation) -> (u64, Value) {
    let response = invocation.expect_response();
    let status = response["statusCode"].as_u64().expect("statusCode");
    let body = response["body"]
        .as_str()
        .filter(|body| !body.is_empty())
        .map_or(Value::Null, |body| {
            serde_json::from_str(body).unwrap_or(Value::String(body.to_owned()))
        });
    (status, body)
}

#[tokio::test]
async fn sixteen_invocations_are_in_flight_at_once_in_one_process() {
    let instance = start(&[("AWS_LAMBDA_MAX_CONCURRENCY", "16")]).await;
    // Each invocation waits until 16 are in flight: served one at a time, none would get
    // there (each would give up after 20 s and say so).
    let events = (0..16)
        .map(|i| {
            let builder = EventBuilder::get("/barrier").query("n", "16");
            if i % 2 == 0 {
                builder.build_v2()
            } else {
                builder.build_v1()
            }
        })
        .collect();
    let pid = instance.pid().expect("running");
    for outcome in invoke_all(&instance, events).await {
        let (status, body) = status_and_body(outcome);
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["reached"], true, "{body}");
        assert_eq!(body["peak"], 16, "{body}");
        assert_eq!(body["pid"], pid, "one process served them all");
    }
    let logs = instance.logs();
    assert_eq!(
        logs.matches(" request ").count(),
        16,
        "one request line each:\n{logs}"
    );
    assert!(!logs.contains("running sequentially"), "{logs}");
}

#[tokio::test]
async fn sleeping_invocations_overlap() {
    let instance = start(&[("AWS_LAMBDA_MAX_CONCURRENCY", "16")]).await;
    let events = (0..16)
        .map(|_| EventBuilder::get("/sleep").query("ms", "100").build_v2())
        .collect();
    let peaks: Vec<u64> = invoke_all(&instance, events)
        .await
        .into_iter()
        .map(|outcome| {
            let (status, body) = status_and_body(outcome);
            assert_eq!(status, 200, "{body}");
            body["peak"].as_u64().expect("peak")
        })
        .collect();
    // One at a time, the peak would stay 1 (16 x 100 ms); overlapping, it climbs.
    let peak = peaks.iter().max().copied().unwrap_or_default();
    assert!(peak > 1, "no two invocations overlapped: {peaks:?}");
}

#[tokio::test]
async fn without_max_concurrency_invocations_run_one_at_a_time() {
    for env in [&[][..], &[("AWS_LAMBDA_MAX_CONCURRENCY", "1")][..]] {
        let instance = start(env).await;
        let events = (0..4)
            .map(|_| EventBuilder::get("/sleep").query("ms", "20").build_v2())
            .collect();
        for outcome in invoke_all(&instance, events).await {
            let (status, body) = status_and_body(outcome);
            assert_eq!(status, 200, "{body}");
            assert_eq!(body["peak"], 1, "{env:?}: {body}");
        }
    }
}

/// Everything `run` does holds while other invocations are in flight: a panic is a `500`
/// for that invocation only, a bad event and an oversized response are named function
/// errors, and the process carries on.
#[tokio::test]
async fn failures_stay_with_their_own_invocation() {
    let instance = start(&[("AWS_LAMBDA_MAX_CONCURRENCY", "4")]).await;
    let events = vec![
        EventBuilder::get("/barrier").query("n", "2").build_v2(),
        EventBuilder::get("/panic").build_v2(),
        EventBuilder::get("/barrier").query("n", "2").build_v1(),
        br#"{"version":"2.0","path":"/","method":"GET"}"#.to_vec(),
        EventBuilder::get("/big").build_v2(),
    ];
    let mut outcomes = invoke_all(&instance, events).await.into_iter();
    let mut next = || outcomes.next().expect("an outcome per event");

    // The barriers wait until two invocations have been in flight at once.
    let (status, body) = status_and_body(next());
    assert_eq!(
        (status, &body["reached"]),
        (200, &Value::Bool(true)),
        "{body}"
    );
    let (status, body) = status_and_body(next());
    assert_eq!(status, 500);
    assert_eq!(body["message"], "Internal Server Error");
    let (status, body) = status_and_body(next());
    assert_eq!(
        (status, &body["reached"]),
        (200, &Value::Bool(true)),
        "{body}"
    );
    let (error_type, message) = next().expect_function_error();
    assert_eq!(error_type, "InvalidLatticeEvent");
    assert!(message.contains("requestContext"), "{message}");
    let (error_type, message) = next().expect_function_error();
    assert_eq!(error_type, "ResponseTooLarge");
    assert!(message.contains("6291456"), "{message}");

    // Still serving afterwards.
    let after = instance
        .invoke(&EventBuilder::get("/sleep").build_v2(), LIMIT)
        .await;
    assert_eq!(status_and_body(after).0, 200);
    let logs = instance.logs();
    assert!(logs.contains("handler panicked"), "{logs}");
}
