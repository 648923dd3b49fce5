//! What a target tells whoever watches an exchange (the request inspector): the headers it
//! forwarded, the Lambda event and the function's answer, the upstream's response head.
//!
//! Targets know only this trait; the watcher rides in the request's extensions as an
//! [`Observer`], put there by the data plane's recording layer while the inspector is on. So
//! targets never depend on the inspector, which depends on them to draw them.

use std::sync::Arc;

use http::request::Parts;
use http::{HeaderMap, StatusCode};
use lattice_lambda::EventVersion;

/// Receives what a target sent and got for one exchange.
pub trait ExchangeObserver: Send + Sync + 'static {
    /// The headers the target receives.
    fn forwarded(&self, headers: &HeaderMap);
    /// The event sent to `function`, under `request_id`.
    fn lambda_event(&self, function: &str, version: EventVersion, request_id: &str, event: &[u8]);
    /// The function's answer (its response JSON, or what went wrong) and its log.
    fn lambda_answer(&self, answer: Result<&[u8], String>, log: Option<String>);
    /// The upstream's response head.
    fn upstream_response(&self, url: &str, status: StatusCode, headers: &HeaderMap);
}

/// The observer of one request, in its extensions.
#[derive(Clone)]
pub struct Observer(pub Arc<dyn ExchangeObserver>);

impl Observer {
    /// The observer of the request `parts` belongs to, if something watches it.
    ///
    /// ```
    /// # use lattice_local::targets::Observer;
    /// let (parts, ()) = http::Request::get("/").body(()).unwrap().into_parts();
    /// assert!(Observer::of(&parts).is_none());
    /// ```
    pub fn of(parts: &Parts) -> Option<&dyn ExchangeObserver> {
        parts.extensions.get::<Observer>().map(|o| &*o.0)
    }
}

impl std::fmt::Debug for Observer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Observer")
    }
}
