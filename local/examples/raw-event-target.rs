//! A Lattice Lambda target for lattice-local's tests, written directly on `lambda_runtime`
//! (no Lattice decoding in between): it answers with the event exactly as it arrived, so a
//! test can compare what lattice-local sends with what Lattice sends; or it fails in the ways
//! Lattice must report.
//!
//! By the request path (`path` in V2 events, `raw_path` in V1):
//! - `/fail` returns a handler error (`errorType` `Fixture.Failure`);
//! - `/too-large` answers a response over Lambda's 6 MB payload limit;
//! - `/not-lattice` answers JSON that is not a Lattice response;
//! - anything else answers `200`, `application/json`, with the event JSON as the body.

use lattice_lambda::lambda_runtime::{self, Diagnostic, LambdaEvent, service_fn};
use serde_json::{Value, json};

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
    lambda_runtime::run(service_fn(handle)).await
}
