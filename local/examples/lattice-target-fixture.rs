//! A Lattice Lambda target for lattice-local's tests: reports what it
//! received, or misbehaves on request.
//!
//! - `GET /crash` exits the process mid-invocation (exit code 3);
//! - `GET /sleep/<ms>` sleeps, then answers `slept`;
//! - `GET /binary` answers two non-UTF-8 bytes as `application/octet-stream`;
//! - anything else answers JSON describing the request: event version,
//!   method, path, query, headers, body, and the request context.

use std::convert::Infallible;
use std::time::Duration;

use lattice_lambda::{Body, RequestExt, response, service_fn};
use serde_json::{Map, Value, json};

async fn handle(request: http::Request<Body>) -> Result<http::Response<Body>, Infallible> {
    let path = request.uri().path().to_owned();
    if path == "/crash" {
        std::process::exit(3);
    }
    if let Some(ms) = path.strip_prefix("/sleep/") {
        let ms: u64 = ms.parse().unwrap_or(0);
        tokio::time::sleep(Duration::from_millis(ms)).await;
        return Ok(response::text(http::StatusCode::OK, "slept"));
    }
    if path == "/binary" {
        return Ok(response::binary(
            http::StatusCode::OK,
            "application/octet-stream",
            vec![0xff, 0x00],
        ));
    }
    let mut headers = Map::new();
    for name in request.headers().keys() {
        let values: Vec<Value> = request
            .headers()
            .get_all(name)
            .iter()
            .map(|v| Value::String(String::from_utf8_lossy(v.as_bytes()).into_owned()))
            .collect();
        headers.insert(name.as_str().to_owned(), Value::Array(values));
    }
    let context = request.lattice_context().map(|c| {
        json!({
            "service_arn": c.service_arn(),
            "service_network_arn": c.service_network_arn(),
            "target_group_arn": c.target_group_arn(),
            "region": c.region(),
            "principal": c.identity().principal(),
            "principal_org_id": c.identity().principal_org_id(),
            "principal_org_path": c.identity().principal_org_path(),
            "tags": c.identity().tags(),
            "auth_type": c.identity().auth_type().map(|a| a.as_str().to_owned()),
            "source_vpc_arn": c.identity().source_vpc_arn(),
        })
    });
    let query: Vec<Value> = request
        .query_parameters()
        .iter()
        .map(|(k, v)| json!([k, v]))
        .collect();
    let report = json!({
        "version": request.event_version().map(|v| v.to_string()),
        "method": request.method().as_str(),
        "path": path,
        "query": query,
        "headers": headers,
        "body": request.body().as_str(),
        "context": context,
    });
    Ok(response::json(http::StatusCode::OK, &report))
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lattice_lambda::Error> {
    lattice_lambda::run(service_fn(handle)).await
}
