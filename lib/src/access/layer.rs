//! [`AccessLayer`]: the [`AccessPolicy`] as a `tower::Layer` in front of any HTTP service.
//!
//! Written here rather than with `tower-http`'s `ValidateRequest`: that one must build the
//! refusal in the inner service's own body type, which a library layer cannot do for every
//! service; this one answers with its own [`Body`] through `http_body_util::Either`.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use http::StatusCode;
use http_body_util::Either;
use pin_project_lite::pin_project;
use tower::{Layer, Service};

use super::{AccessPolicy, Denial};
use crate::{Body, RequestExt};

/// A `tower::Layer` that answers `403` to callers its [`AccessPolicy`] does not allow,
/// before the inner service sees the request. The body names why:
/// `{"message":"Forbidden","reason":"the caller's principal is not in the allow-list","code":"principal_not_allowed"}`.
/// Each refusal is logged at `WARN` with the request id, path, principal and source VPC.
///
/// Works with [`run`](crate::run) (`tower::ServiceBuilder`) and with an axum `Router`
/// (`.layer(..)`); the response body becomes `Either<Body, inner body>`.
///
/// ```
/// use lattice_lambda::access::{AccessLayer, AccessPolicy, AllowList};
/// use lattice_lambda::{Body, response, service_fn};
///
/// let policy = AccessPolicy::default()
///     .with_principals(AllowList::parse("arn:aws:sts::123456789012:assumed-role/eks-app/*")?);
/// let service = tower::ServiceBuilder::new()
///     .layer(AccessLayer::new(policy).open_path("/health"))
///     .service(service_fn(|_request: http::Request<Body>| async {
///         Ok::<_, std::convert::Infallible>(response::text(http::StatusCode::OK, "hello"))
///     }));
/// // lattice_lambda::run(service).await
/// # drop(service);
/// # Ok::<(), lattice_lambda::access::AllowListError>(())
/// ```
#[derive(Debug, Clone)]
pub struct AccessLayer {
    rules: Arc<Rules>,
}

#[derive(Debug, Clone)]
struct Rules {
    policy: AccessPolicy,
    open_paths: Vec<String>,
}

impl AccessLayer {
    /// A layer enforcing `policy` on every path.
    pub fn new(policy: AccessPolicy) -> Self {
        AccessLayer {
            rules: Arc::new(Rules {
                policy,
                open_paths: Vec::new(),
            }),
        }
    }

    /// Serves `path` (compared exactly, case-sensitively, without the query) to every
    /// caller, e.g. a health check. `/health/` and `/Health` are not `/health`.
    pub fn open_path(mut self, path: impl Into<String>) -> Self {
        Arc::make_mut(&mut self.rules).open_paths.push(path.into());
        self
    }

    /// The policy enforced.
    pub fn policy(&self) -> &AccessPolicy {
        &self.rules.policy
    }
}

impl<S> Layer<S> for AccessLayer {
    type Service = AccessService<S>;

    fn layer(&self, inner: S) -> AccessService<S> {
        AccessService {
            inner,
            rules: Arc::clone(&self.rules),
        }
    }
}

/// The service [`AccessLayer`] wraps around another.
#[derive(Debug, Clone)]
pub struct AccessService<S> {
    inner: S,
    rules: Arc<Rules>,
}

impl<S, ReqBody, ResBody> Service<http::Request<ReqBody>> for AccessService<S>
where
    S: Service<http::Request<ReqBody>, Response = http::Response<ResBody>>,
{
    type Response = http::Response<Either<Body, ResBody>>;
    type Error = S::Error;
    type Future = AccessFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<ReqBody>) -> Self::Future {
        let rules = &self.rules;
        let open = rules
            .open_paths
            .iter()
            .any(|path| path == request.uri().path());
        let verdict = match open {
            true => Ok(()),
            false => rules.policy.check(request.caller_identity()),
        };
        match verdict {
            Ok(()) => AccessFuture {
                state: Verdict::Allowed {
                    future: self.inner.call(request),
                },
            },
            Err(denial) => {
                log_denial(&request, denial);
                AccessFuture {
                    state: Verdict::Denied { denial },
                }
            }
        }
    }
}

pin_project! {
    /// The future of [`AccessService`].
    #[derive(Debug)]
    pub struct AccessFuture<F> {
        #[pin]
        state: Verdict<F>,
    }
}

pin_project! {
    #[project = VerdictProjection]
    #[derive(Debug)]
    enum Verdict<F> {
        /// The caller is allowed: the inner service answers.
        Allowed { #[pin] future: F },
        /// The caller is refused: the answer is a `403`.
        Denied { denial: Denial },
    }
}

impl<F, ResBody, E> Future for AccessFuture<F>
where
    F: Future<Output = Result<http::Response<ResBody>, E>>,
{
    type Output = Result<http::Response<Either<Body, ResBody>>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project().state.project() {
            VerdictProjection::Allowed { future } => future
                .poll(cx)
                .map_ok(|response| response.map(Either::Right)),
            VerdictProjection::Denied { denial } => {
                Poll::Ready(Ok(forbidden(*denial).map(Either::Left)))
            }
        }
    }
}

fn forbidden(denial: Denial) -> http::Response<Body> {
    crate::response::json(
        StatusCode::FORBIDDEN,
        &serde_json::json!({
            "message": "Forbidden",
            "reason": denial.to_string(),
            "code": denial.code(),
        }),
    )
}

fn log_denial<B>(request: &http::Request<B>, denial: Denial) {
    let identity = request.caller_identity();
    tracing::warn!(
        request_id = request.lambda_context().map(|c| c.request_id.as_str()),
        path = request.uri().path(),
        reason = denial.code(),
        principal = identity.and_then(|id| id.principal()),
        source_vpc = identity.and_then(|id| id.source_vpc_arn()),
        "access denied"
    );
}
