//! The benchmark's baseline: the least a Rust Lattice target can be. `lambda_runtime` plus
//! `aws_lambda_events`' `VpcLatticeRequestV2` in, a hand-built Lattice response out; no
//! routing, no per-request log line, no graceful shutdown. `provider_runtime` runs it beside
//! the `provider` binary to show what `lattice-lambda` and the routes cost.

use aws_lambda_events::vpc_lattice::VpcLatticeRequestV2;
use lambda_runtime::{Error, LambdaEvent, service_fn};
use serde_json::{Value, json};

async fn hello(event: LambdaEvent<VpcLatticeRequestV2>) -> Result<Value, Error> {
    // Touch the decoded request, as any real handler would.
    let path = event.payload.path.as_deref().unwrap_or("/");
    let body = if path == "/" {
        "Hello Foo Lambda!!"
    } else {
        "Not Found"
    };
    Ok(json!({
        "statusCode": if path == "/" { 200 } else { 404 },
        "headers": {"content-type": "text/plain; charset=utf-8"},
        "isBase64Encoded": false,
        "body": body,
    }))
}

// Same runtime flavour as `provider`, so the comparison measures the library and routes,
// not the executor.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber();
    lambda_runtime::run(service_fn(hello)).await
}
