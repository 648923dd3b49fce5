//! Which handler serves a request: a small match on the path, then the method.
//!
//! Unknown paths get `404`, known paths with a method they do not serve get `405` with an
//! `allow` header. The allow-lists are not checked here: `main.rs` puts the library's
//! `AccessLayer` in front of these routes, so a denied caller gets `403` before routing
//! and learns nothing about which paths exist.

use std::convert::Infallible;
use std::future::Ready;
use std::task::{Context, Poll};

use http::header::ALLOW;
use http::{HeaderValue, Method, StatusCode};
use lattice_lambda::{Body, response};
use serde_json::json;

use crate::config::Config;
use crate::{echo, health, hello, whoami};

/// The provider's routes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// `GET /` (and `HEAD`).
    Hello,
    /// `GET /health` (and `HEAD`).
    Health,
    /// `GET /whoami` (and `HEAD`).
    WhoAmI,
    /// `ANY /echo`.
    Echo,
    /// `ANY /echo/body`.
    EchoBody,
}

impl Route {
    /// The route serving `path`, if any (exact match: `/whoami/` is not `/whoami`).
    pub fn for_path(path: &str) -> Option<Self> {
        match path {
            "/" => Some(Route::Hello),
            HEALTH_PATH => Some(Route::Health),
            "/whoami" => Some(Route::WhoAmI),
            "/echo" => Some(Route::Echo),
            "/echo/body" => Some(Route::EchoBody),
            _ => None,
        }
    }

    /// Whether the route answers only `GET` (and `HEAD`); the echo routes take any method.
    fn is_read_only(self) -> bool {
        matches!(self, Route::Hello | Route::Health | Route::WhoAmI)
    }

    fn serves(self, method: &Method) -> bool {
        !self.is_read_only() || method == Method::GET || method == Method::HEAD
    }
}

/// The health check's path, which the allow-lists leave open: health checks must work for
/// everyone.
pub const HEALTH_PATH: &str = "/health";

/// The function's HTTP service: configuration plus routing.
#[derive(Debug, Clone)]
pub struct Provider {
    config: Config,
}

impl tower::Service<http::Request<Body>> for Provider {
    type Response = http::Response<Body>;
    type Error = Infallible;
    type Future = Ready<Result<http::Response<Body>, Infallible>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<Body>) -> Self::Future {
        std::future::ready(Ok(self.handle(request)))
    }
}

impl Provider {
    /// A provider with `config`.
    pub fn new(config: Config) -> Self {
        Provider { config }
    }

    /// Answers one request. Never fails: every outcome is an HTTP response.
    pub fn handle(&self, request: http::Request<Body>) -> http::Response<Body> {
        let Some(route) = Route::for_path(request.uri().path()) else {
            return error_response(StatusCode::NOT_FOUND);
        };
        if !route.serves(request.method()) {
            return method_not_allowed();
        }
        // HEAD is GET without the body (RFC 9110 §9.3.2); the echo routes see HEAD as is.
        let head = route.is_read_only() && request.method() == Method::HEAD;
        let mut response = match route {
            Route::Hello => hello::hello(&self.config.greeting),
            Route::Health => health::health(),
            Route::WhoAmI => whoami::whoami(&request),
            Route::Echo => echo::echo(&request),
            Route::EchoBody => echo::echo_body(request),
        };
        if head {
            *response.body_mut() = Body::empty();
        }
        response
    }
}

/// `{"message": "<reason phrase>"}` with that status.
fn error_response(status: StatusCode) -> http::Response<Body> {
    let message = status.canonical_reason().unwrap_or("Error");
    response::json(status, &json!({ "message": message }))
}

/// `405` for a read-only route: only those can refuse a method.
fn method_not_allowed() -> http::Response<Body> {
    let mut response = error_response(StatusCode::METHOD_NOT_ALLOWED);
    response
        .headers_mut()
        .insert(ALLOW, HeaderValue::from_static("GET, HEAD"));
    response
}

#[cfg(test)]
mod tests {
    use lattice_lambda::testing::EventBuilder;

    use super::*;

    fn provider() -> Provider {
        Provider::new(Config::default())
    }

    #[test]
    fn root_greets() {
        let response = provider().handle(EventBuilder::get("/").build_http());
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.body().as_str(), Some("Hello Foo Lambda!!"));
    }

    #[test]
    fn unknown_path_is_404_json() {
        let response = provider().handle(EventBuilder::get("/nope").build_http());
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
        assert_eq!(response.body().as_str(), Some(r#"{"message":"Not Found"}"#));
    }

    #[test]
    fn wrong_method_is_405_with_allow() {
        let response = provider().handle(EventBuilder::post("/whoami").build_http());
        assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(response.headers()[ALLOW], "GET, HEAD");
    }

    #[test]
    fn head_is_get_without_a_body() {
        let request = EventBuilder::new(Method::HEAD, "/health").build_http();
        let response = provider().handle(request);
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()["content-type"], "application/json");
        assert!(response.body().is_empty());
    }

    #[test]
    fn echo_takes_any_method() {
        let request = EventBuilder::new(Method::DELETE, "/echo").build_http();
        assert_eq!(provider().handle(request).status(), StatusCode::OK);
    }
}
