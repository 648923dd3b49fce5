//! `axum-function`: a Lattice target written as an `axum::Router`, served by
//! `lattice_lambda::run_concurrent`.
//!
//! | route | shows |
//! |---|---|
//! | `GET /items/{id}?verbose=true` | a path parameter, a query, an optional caller |
//! | `POST /items` (JSON `{"name", "quantity"}`) | a JSON body and a required caller (`401` without one) |
//! | `GET /context` | the Lattice request context |
//!
//! Build and invoke it like any function: `cargo lambda build -p axum-function`, or run it
//! under a Runtime API as `tests/tests/axum_function.rs` does.

use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use lattice_lambda::axum::{Caller, LatticeContext};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// `?verbose=true` on `GET /items/{id}`.
#[derive(Debug, Deserialize)]
struct ItemQuery {
    #[serde(default)]
    verbose: bool,
}

/// The body of `POST /items`.
#[derive(Debug, Deserialize, Serialize)]
struct NewItem {
    name: String,
    quantity: u32,
}

async fn item(
    Path(id): Path<u64>,
    Query(query): Query<ItemQuery>,
    caller: Option<Caller>,
) -> Json<Value> {
    let mut item = json!({
        "id": id,
        "caller": caller.as_ref().map(Caller::principal),
    });
    if query.verbose {
        item["description"] = json!(format!("item {id}, as stored"));
    }
    Json(item)
}

async fn create_item(caller: Caller, Json(item): Json<NewItem>) -> (StatusCode, Json<Value>) {
    let created = json!({
        "name": item.name,
        "quantity": item.quantity,
        "createdBy": caller.principal(),
        "createdFromVpc": caller.identity().source_vpc_arn(),
    });
    (StatusCode::CREATED, Json(created))
}

async fn context(LatticeContext(context): LatticeContext) -> Json<Value> {
    Json(json!({
        "serviceArn": context.service_arn(),
        "serviceNetworkArn": context.service_network_arn(),
        "targetGroupArn": context.target_group_arn(),
        "region": context.region(),
    }))
}

/// The function's routes.
fn app() -> Router {
    Router::new()
        .route("/items/{id}", get(item))
        .route("/items", axum::routing::post(create_item))
        .route("/context", get(context))
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lattice_lambda::Error> {
    lattice_lambda::init_tracing();
    lattice_lambda::run_concurrent(app()).await
}
