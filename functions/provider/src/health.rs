//! `GET /health`: liveness for health checks, open even when allow-lists are configured.

use http::StatusCode;
use lattice_lambda::{Body, response};

/// `{"status":"ok"}`.
pub fn health() -> http::Response<Body> {
    response::json(StatusCode::OK, &serde_json::json!({"status": "ok"}))
}
