//! The Lambda Invoke API as AWS answers it: errors name this process's region, and
//! `X-Amz-Log-Type: Tail` returns the last 4 KB of the invocation's log (`START`, what the
//! function wrote, `END`, `REPORT`), base64, in `X-Amz-Log-Result`.

mod common;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use bytes::Bytes;
use common::{REGION, send, test_function_binary};
use http::{Request, StatusCode};
use http_body_util::Full;
use lattice_local::functions::{FunctionConfig, FunctionPool, LOG_TAIL_BYTES};
use lattice_local::invoke_api::InvokeApi;
use serde_json::{Value, json};

async fn api() -> (InvokeApi, FunctionPool) {
    let config = FunctionConfig::new("worker", test_function_binary())
        .with_region(REGION)
        .with_max_instances(1);
    let pool = FunctionPool::new(config).expect("pool");
    let api = InvokeApi::bind("127.0.0.1:0".parse().unwrap(), REGION, [pool.clone()])
        .await
        .expect("invoke api");
    (api, pool)
}

fn invoke(
    api: &InvokeApi,
    function: &str,
    log_type: Option<&str>,
    payload: &Value,
) -> Request<Full<Bytes>> {
    let mut request = Request::post(format!(
        "{}/2015-03-31/functions/{function}/invocations",
        api.endpoint_url()
    ))
    .header("host", api.addr().to_string());
    if let Some(log_type) = log_type {
        request = request.header("x-amz-log-type", log_type);
    }
    request
        .body(Full::new(Bytes::from(payload.to_string())))
        .expect("request")
}

/// The decoded `X-Amz-Log-Result`, if any.
fn log_result(reply: &common::Reply) -> Option<String> {
    let encoded = reply.headers.get("x-amz-log-result")?;
    let raw = BASE64.decode(encoded.as_bytes()).expect("base64 log");
    Some(String::from_utf8(raw).expect("UTF-8 log"))
}

#[tokio::test]
async fn errors_name_the_region_this_process_serves() {
    let (api, pool) = api().await;
    let reply = send(invoke(&api, "nope", None, &json!({}))).await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    assert_eq!(
        reply.headers["x-amzn-errortype"],
        "ResourceNotFoundException"
    );
    assert!(
        reply.text().contains(&format!(
            "arn:aws:lambda:{REGION}:000000000000:function:nope"
        )),
        "{}",
        reply.text()
    );
    // The function exists here, but an ARN of another region does not name it.
    let elsewhere = "arn:aws:lambda:eu-west-1:000000000000:function:worker";
    let reply = send(invoke(&api, elsewhere, None, &json!({}))).await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND, "{}", reply.text());
    assert!(reply.text().contains(elsewhere), "{}", reply.text());
    let here = format!("arn:aws:lambda:{REGION}:000000000000:function:worker");
    let reply = send(invoke(&api, &here, None, &json!({"echo": 1}))).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    pool.shutdown().await;
}

#[tokio::test]
async fn tail_returns_the_invocations_log_and_only_when_asked() {
    let (api, pool) = api().await;
    let reply = send(invoke(
        &api,
        "worker",
        Some("Tail"),
        &json!({"print": "hello tail", "echo": 1}),
    ))
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    let request_id = reply.headers["x-amzn-requestid"]
        .to_str()
        .unwrap()
        .to_owned();
    let log = log_result(&reply).expect("X-Amz-Log-Result");
    let lines: Vec<&str> = log.lines().collect();
    assert_eq!(
        lines[0],
        format!("START RequestId: {request_id} Version: $LATEST"),
        "{log}"
    );
    assert!(lines.contains(&"hello tail"), "{log}");
    assert!(
        lines.contains(&format!("END RequestId: {request_id}").as_str()),
        "{log}"
    );
    let report = lines.last().unwrap();
    assert!(
        report.starts_with(&format!("REPORT RequestId: {request_id}\tDuration: ")),
        "{log}"
    );
    assert!(report.contains("\tMemory Size: 128 MB"), "{log}");

    // The next invocation's log holds only its own lines.
    let reply = send(invoke(
        &api,
        "worker",
        Some("Tail"),
        &json!({"print": "second"}),
    ))
    .await;
    let log = log_result(&reply).expect("X-Amz-Log-Result");
    assert!(
        log.contains("second") && !log.contains("hello tail"),
        "{log}"
    );

    // No header without `Tail`.
    for log_type in [None, Some("None")] {
        let reply = send(invoke(&api, "worker", log_type, &json!({"echo": 2}))).await;
        assert_eq!(reply.status, StatusCode::OK);
        assert!(log_result(&reply).is_none(), "{log_type:?}");
    }
    let reply = send(invoke(&api, "worker", Some("Full"), &json!({}))).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    pool.shutdown().await;
}

#[tokio::test]
async fn the_tail_is_the_last_4_kb_and_comes_with_a_crash_too() {
    let (api, pool) = api().await;
    let long = format!("{}END-OF-LONG-LINE", "x".repeat(6000));
    let reply = send(invoke(
        &api,
        "worker",
        Some("Tail"),
        &json!({"print": long}),
    ))
    .await;
    let log = log_result(&reply).expect("X-Amz-Log-Result");
    assert!(log.len() <= LOG_TAIL_BYTES, "{} bytes", log.len());
    assert!(log.contains("END-OF-LONG-LINE"), "{log}");
    assert!(
        log.trim_end().lines().last().unwrap().starts_with("REPORT"),
        "{log}"
    );

    let reply = send(invoke(
        &api,
        "worker",
        Some("Tail"),
        &json!({"print": "last words", "exit": 3}),
    ))
    .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.headers["x-amz-function-error"], "Unhandled");
    let log = log_result(&reply).expect("X-Amz-Log-Result");
    assert!(log.contains("last words"), "{log}");
    pool.shutdown().await;
}
