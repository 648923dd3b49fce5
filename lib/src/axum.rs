//! axum extractors for what Lattice tells the function (feature `axum`).
//!
#![doc = include_str!("../docs/axum.md")]

use axum_core::extract::{FromRequestParts, OptionalFromRequestParts};
use axum_core::response::{IntoResponse, Response};
use http::request::Parts;
use http::{HeaderValue, StatusCode};

use crate::{Identity, RequestContext};

/// The authenticated caller: the request carries a principal (the service or service
/// network has auth type `AWS_IAM` and the caller signed the request).
///
/// A handler that takes `Caller` answers `401` with a [`LatticeRejection::Unauthenticated`]
/// body when there is none; take `Option<Caller>` to serve anonymous callers too.
///
/// ```
/// use lattice_lambda::axum::Caller;
///
/// async fn whoami(caller: Caller) -> String {
///     format!("hello {}", caller.principal())
/// }
///
/// async fn greet(caller: Option<Caller>) -> String {
///     let who = caller.as_ref().map_or("anonymous", Caller::principal);
///     format!("hello {who}")
/// }
/// let app: axum::Router = axum::Router::new()
///     .route("/whoami", axum::routing::get(whoami))
///     .route("/greet", axum::routing::get(greet));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Caller {
    identity: Identity,
}

impl Caller {
    /// The principal's ARN (always present).
    pub fn principal(&self) -> &str {
        // `from_identity` only builds a `Caller` around an identity with a principal.
        self.identity.principal().unwrap_or_default()
    }

    /// Everything Lattice said about the caller (organization, session, source VPC,
    /// X.509 facts).
    pub fn identity(&self) -> &Identity {
        &self.identity
    }

    /// The identity, owned.
    pub fn into_identity(self) -> Identity {
        self.identity
    }

    fn from_parts(parts: &Parts) -> Result<Self, LatticeRejection> {
        let context = parts
            .extensions
            .get::<RequestContext>()
            .ok_or(LatticeRejection::MissingContext)?;
        let identity = context.identity();
        match identity.principal() {
            Some(principal) if !principal.is_empty() => Ok(Caller {
                identity: identity.clone(),
            }),
            _ => Err(LatticeRejection::Unauthenticated),
        }
    }
}

impl<S: Sync> FromRequestParts<S> for Caller {
    type Rejection = LatticeRejection;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, LatticeRejection> {
        Caller::from_parts(parts)
    }
}

impl<S: Sync> OptionalFromRequestParts<S> for Caller {
    type Rejection = std::convert::Infallible;

    /// `None` for an anonymous caller, and for a request that did not come from Lattice.
    async fn from_request_parts(
        parts: &mut Parts,
        _: &S,
    ) -> Result<Option<Self>, std::convert::Infallible> {
        Ok(Caller::from_parts(parts).ok())
    }
}

/// The Lattice request context: service, service network, target group, region, request
/// time and the caller's identity as Lattice gave it (which may be anonymous: see
/// [`Caller`] to require a principal).
///
/// A request that did not come through [`run`](crate::run) (or
/// [`LatticeRequest::into_http`](crate::LatticeRequest::into_http)) has none; a handler
/// that takes `LatticeContext` then answers `500` with
/// [`LatticeRejection::MissingContext`], and one that takes `Option<LatticeContext>` gets
/// `None`.
///
/// ```
/// use lattice_lambda::axum::LatticeContext;
///
/// async fn service(LatticeContext(context): LatticeContext) -> String {
///     context.service_arn().unwrap_or("?").to_owned()
/// }
/// let app: axum::Router = axum::Router::new().route("/", axum::routing::get(service));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LatticeContext(pub RequestContext);

impl LatticeContext {
    fn from_parts(parts: &Parts) -> Option<Self> {
        parts
            .extensions
            .get::<RequestContext>()
            .cloned()
            .map(LatticeContext)
    }
}

impl<S: Sync> FromRequestParts<S> for LatticeContext {
    type Rejection = LatticeRejection;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, LatticeRejection> {
        LatticeContext::from_parts(parts).ok_or(LatticeRejection::MissingContext)
    }
}

impl<S: Sync> OptionalFromRequestParts<S> for LatticeContext {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        _: &S,
    ) -> Result<Option<Self>, std::convert::Infallible> {
        Ok(LatticeContext::from_parts(parts))
    }
}

/// Why [`Caller`] or [`LatticeContext`] could not be extracted. As a response: the status
/// below and `{"message": <the text>, "code": <the code>}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LatticeRejection {
    /// The handler requires an authenticated caller and the request has no principal:
    /// `401`, with `www-authenticate: AWS4-HMAC-SHA256, AWS4-ECDSA-P256-SHA256` (the
    /// signatures Lattice accepts). Code `unauthenticated`.
    #[error(
        "this route requires an authenticated caller: sign the request with SigV4 or SigV4A, to a Lattice service (or service network) with auth type AWS_IAM"
    )]
    Unauthenticated,
    /// The request carries no Lattice context: it did not come through
    /// [`run`](crate::run) or [`LatticeRequest::into_http`](crate::LatticeRequest::into_http).
    /// A server error: `500`. Code `missing_lattice_context`.
    #[error("the request carries no Lattice request context")]
    MissingContext,
}

impl LatticeRejection {
    /// The status the rejection answers with.
    pub fn status(self) -> StatusCode {
        match self {
            LatticeRejection::Unauthenticated => StatusCode::UNAUTHORIZED,
            LatticeRejection::MissingContext => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// A short machine-readable code.
    pub fn code(self) -> &'static str {
        match self {
            LatticeRejection::Unauthenticated => "unauthenticated",
            LatticeRejection::MissingContext => "missing_lattice_context",
        }
    }
}

/// The schemes a `401` offers: Lattice authenticates SigV4 and SigV4A.
const SIGV4_CHALLENGE: &str = "AWS4-HMAC-SHA256, AWS4-ECDSA-P256-SHA256";

impl IntoResponse for LatticeRejection {
    fn into_response(self) -> Response {
        if self == LatticeRejection::MissingContext {
            // A wiring mistake, not the caller's: say so in the log, where it can be fixed.
            tracing::error!(%self, "axum extractor used outside lattice_lambda::run");
        }
        let body = serde_json::json!({"message": self.to_string(), "code": self.code()});
        let mut response = crate::response::json(self.status(), &body);
        if self == LatticeRejection::Unauthenticated {
            response.headers_mut().insert(
                http::header::WWW_AUTHENTICATE,
                HeaderValue::from_static(SIGV4_CHALLENGE),
            );
        }
        response.map(axum_core::body::Body::new)
    }
}

#[cfg(test)]
mod tests;
