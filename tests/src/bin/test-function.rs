//! A real `lambda_runtime` function whose behaviour each payload chooses, for exercising
//! the local Runtime API and function pool.
//!
//! Payload keys, applied in this order: `{"sleep_ms": n}` waits first; `{"rendezvous":
//! "host:port"}` connects there and waits for one byte (so a test can hold several
//! invocations open at once); `{"print": "text"}`
//! writes the text to stdout and stderr; `{"exit": code}` exits the process mid-invocation;
//! `{"abort": true}` aborts (SIGABRT); `{"panic": true}` panics in the handler;
//! `{"fail": "msg"}` returns a handler error (`errorType` `TestFunction.Failure`). Then the
//! answer: `{"env": "NAME"}` → that variable's value (or null), `{"pid": true}` → the process
//! id, `{"context": true}` → the invocation context (request id, ARN, trace id, deadline,
//! client context), `{"echo": X}` → X, anything else → the payload itself.
//!
//! With `TEST_FUNCTION_INIT_FAIL` set, it reports its value to `/runtime/init/error` and
//! exits 1 before serving. On SIGTERM it prints `test-function: graceful shutdown` and
//! exits 0 (through `lambda_runtime`'s `graceful-shutdown` extension).

use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use lambda_runtime::{Diagnostic, LambdaEvent, service_fn};
use serde_json::{Value, json};

/// A handler failure with a fixed, recognisable error type.
#[derive(Debug)]
struct Failure(String);

impl From<Failure> for Diagnostic {
    fn from(failure: Failure) -> Self {
        Diagnostic {
            error_type: "TestFunction.Failure".to_owned(),
            error_message: failure.0,
        }
    }
}

async fn handle(event: LambdaEvent<Value>) -> Result<Value, Failure> {
    let payload = event.payload;
    if let Some(ms) = payload.get("sleep_ms").and_then(Value::as_u64) {
        tokio::time::sleep(Duration::from_millis(ms)).await;
    }
    if let Some(addr) = payload.get("rendezvous").and_then(Value::as_str) {
        rendezvous(addr)
            .await
            .map_err(|e| Failure(format!("rendezvous with {addr}: {e}")))?;
    }
    if let Some(text) = payload.get("print").and_then(Value::as_str) {
        println!("{text}");
        eprintln!("{text}");
    }
    if let Some(code) = payload.get("exit").and_then(Value::as_i64) {
        std::process::exit(i32::try_from(code).unwrap_or(1));
    }
    if payload.get("abort").and_then(Value::as_bool) == Some(true) {
        std::process::abort();
    }
    if payload.get("panic").and_then(Value::as_bool) == Some(true) {
        panic!("test-function was asked to panic");
    }
    if let Some(message) = payload.get("fail").and_then(Value::as_str) {
        return Err(Failure(message.to_owned()));
    }
    if let Some(name) = payload.get("env").and_then(Value::as_str) {
        return Ok(std::env::var(name).map_or(Value::Null, Value::String));
    }
    if payload.get("pid").and_then(Value::as_bool) == Some(true) {
        return Ok(json!(std::process::id()));
    }
    if payload.get("context").and_then(Value::as_bool) == Some(true) {
        let context = &event.context;
        return Ok(json!({
            "request_id": context.request_id,
            "invoked_function_arn": context.invoked_function_arn,
            "xray_trace_id": context.xray_trace_id,
            "deadline": context.deadline,
            "client_context": context.client_context.as_ref().map(|c| json!({"custom": c.custom})),
        }));
    }
    Ok(payload.get("echo").cloned().unwrap_or(payload))
}

/// Connect to `addr` and wait until the other side sends a byte.
async fn rendezvous(addr: &str) -> std::io::Result<()> {
    use tokio::io::AsyncReadExt as _;
    let mut stream = tokio::net::TcpStream::connect(addr).await?;
    let mut byte = [0u8; 1];
    stream.read_exact(&mut byte).await?;
    Ok(())
}

/// `lambda_runtime` has no public init-error call, so post it the way a runtime must.
async fn report_init_error(message: String) -> Result<(), Box<dyn std::error::Error>> {
    let api = std::env::var("AWS_LAMBDA_RUNTIME_API")?;
    let body =
        json!({"errorType": "TestFunction.InitFailure", "errorMessage": message}).to_string();
    let request = http::Request::post(format!("http://{api}/2018-06-01/runtime/init/error"))
        .header("Lambda-Runtime-Function-Error-Type", "Runtime.InitError")
        .header("Content-Type", "application/json")
        .body(Full::new(Bytes::from(body)))?;
    let client = Client::builder(TokioExecutor::new()).build_http();
    let response = client.request(request).await?;
    eprintln!("test-function: init error reported ({})", response.status());
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    if let Ok(message) = std::env::var("TEST_FUNCTION_INIT_FAIL") {
        if let Err(error) = report_init_error(message).await {
            eprintln!("test-function: could not report init error: {error}");
        }
        std::process::exit(1);
    }
    lambda_runtime::spawn_graceful_shutdown_handler(|| async {
        println!("test-function: graceful shutdown");
    })
    .await;
    println!("test-function: ready");
    lambda_runtime::run(service_fn(handle)).await
}
