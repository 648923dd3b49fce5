//! How one synchronous step of the request path (resolve, check the path, admit, route)
//! becomes a `tower` layer: the step either passes the exchange on, at its next stage, or
//! answers it itself; no allocation, no boxed future.

use std::convert::Infallible;
use std::ops::ControlFlow;
use std::task::{Context, Poll};

use futures_util::future::{Either, Ready, ready};
use tower::{Layer, Service};

use super::exchange::{Answer, Exchange};

/// One step of the request path.
pub(crate) trait Step: Clone {
    /// The stage it needs.
    type In;
    /// The stage it produces.
    type Out;
    /// Passes `exchange` on (`Continue`) or answers it (`Break`).
    fn apply(&self, exchange: Exchange<Self::In>) -> ControlFlow<Answer, Exchange<Self::Out>>;
}

/// A [`Step`] as a `tower` layer.
#[derive(Clone, Debug)]
pub(crate) struct StepLayer<T>(pub T);

impl<T: Step, S> Layer<S> for StepLayer<T> {
    type Service = StepService<T, S>;

    fn layer(&self, inner: S) -> Self::Service {
        StepService {
            step: self.0.clone(),
            inner,
        }
    }
}

/// A [`Step`] in front of the rest of the path.
#[derive(Clone, Debug)]
pub(crate) struct StepService<T, S> {
    step: T,
    inner: S,
}

impl<T, S> Service<Exchange<T::In>> for StepService<T, S>
where
    T: Step,
    S: Service<Exchange<T::Out>, Response = Answer, Error = Infallible>,
{
    type Response = Answer;
    type Error = Infallible;
    type Future = Either<Ready<Result<Answer, Infallible>>, S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, exchange: Exchange<T::In>) -> Self::Future {
        match self.step.apply(exchange) {
            ControlFlow::Continue(next) => Either::Right(self.inner.call(next)),
            ControlFlow::Break(answer) => Either::Left(ready(Ok(answer))),
        }
    }
}
