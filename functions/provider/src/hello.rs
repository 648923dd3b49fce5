//! `GET /`: the greeting.

use http::StatusCode;
use lattice_lambda::{Body, response};

/// The greeting as `text/plain`.
pub fn hello(greeting: &str) -> http::Response<Body> {
    response::text(StatusCode::OK, greeting)
}
