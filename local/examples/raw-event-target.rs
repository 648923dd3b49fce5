//! A Lattice Lambda target for lattice-local's tests, written directly on `lambda_runtime`
//! (no Lattice decoding in between): it answers with the event exactly as it arrived, so a
//! test can compare what lattice-local sends with what Lattice sends; or it fails in the ways
//! Lattice must report. It serves with `run_concurrent`: with `AWS_LAMBDA_MAX_CONCURRENCY=N`
//! it runs up to N invocations at once, as on Lambda Managed Instances.
//!
//! By the request path (`path` in V2 events, `raw_path` in V1):
//! - `/concurrent` sleeps 100 ms and answers `{"pid", "in_flight"}`: its process id and how
//!   many invocations were running in it when this one started;
//! - `/fail` returns a handler error (`errorType` `Fixture.Failure`);
//! - `/too-large` answers a response over Lambda's 6 MB payload limit;
//! - `/not-lattice` answers JSON that is not a Lattice response;
//! - anything else answers `200`, `application/json`, with the event JSON as the body.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use lattice_lambda::lambda_runtime::{self, Diagnostic, LambdaEvent, service_fn};
use serde_json::{Value, json};

/// Invocations running in this process now.
static IN_FLIGHT: AtomicUsize = AtomicUsize::new(0);

/// A handler failure with a recognisable error type.
#[derive(Debug)]
struct Failure;

impl From<Failure> for Diagnostic {
    fn from(_: Failure) -> Self {
        Diagnostic {
            error_type: "Fixture.Failure".to_owned(),
            error_message: "the fixture was asked to fail".to_owned(),
        }
    }
}

async fn handle(event: LambdaEvent<Value>) -> Result<Value, Failure> {
    let event = event.payload;
    let path = event
        .get("path")
        .or_else(|| event.get("raw_path"))
        .and_then(Value::as_str)
        .unwrap_or("/");
    match path.split('?').next().unwrap_or("/") {
        "/fail" => Err(Failure),
        "/concurrent" => {
            let in_flight = IN_FLIGHT.fetch_add(1, Ordering::SeqCst) + 1;
            tokio::time::sleep(Duration::from_millis(100)).await;
            IN_FLIGHT.fetch_sub(1, Ordering::SeqCst);
            let report = json!({"pid": std::process::id(), "in_flight": in_flight});
            Ok(json!({"statusCode": 200, "body": report.to_string()}))
        }
        "/too-large" => Ok(json!({"statusCode": 200, "body": "x".repeat(7 * 1024 * 1024)})),
        "/not-lattice" => Ok(json!({"hello": "world"})),
        _ => Ok(json!({
            "statusCode": 200,
            "headers": {"content-type": "application/json"},
            "body": event.to_string(),
            "isBase64Encoded": false,
        })),
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    lambda_runtime::run_concurrent(service_fn(handle)).await
}
