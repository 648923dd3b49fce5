//! Step 5, the end of the path: hand the request to its target group's target (a Lambda
//! function or an HTTP upstream) with Lattice's request context, and turn what goes wrong
//! there into a [`Rejection`].

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::SystemTime;

use http::Response;
use http_body_util::Either;
use lattice_lambda::RequestContext;
use tower::Service;

use super::directory::Directory;
use super::exchange::{AccessNote, Answer, Exchange, Routed};
use super::rejection::Rejection;
use crate::net::body::{BodyError, read_limited};
use crate::net::limits::MAX_PAYLOAD_BYTES;
use crate::targets::{ClientInfo, LambdaTargetError, ResponseBody, Target};

/// Calls the target.
#[derive(Clone, Debug)]
pub(crate) struct Forward {
    directory: Arc<Directory>,
}

impl Forward {
    pub fn new(directory: Arc<Directory>) -> Self {
        Forward { directory }
    }
}

impl Service<Exchange<Routed>> for Forward {
    type Response = Answer;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Answer, Infallible>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, exchange: Exchange<Routed>) -> Self::Future {
        Box::pin(forward(Arc::clone(&self.directory), exchange))
    }
}

async fn forward(
    directory: Arc<Directory>,
    exchange: Exchange<Routed>,
) -> Result<Answer, Infallible> {
    let Exchange {
        parts,
        body,
        client,
        stage,
    } = exchange;
    let Routed {
        service,
        listener,
        identity,
        rule,
        group,
    } = stage;
    let note = AccessNote {
        service: Some(Arc::clone(&service.name)),
        rule: Some(rule),
        target: Some(Arc::clone(&group.described)),
        reason: None,
    };
    let context = RequestContext {
        service_network_arn: Some(service.service_network_arn.clone()),
        service_arn: Some(service.arn.clone()),
        target_group_arn: Some(group.arn.clone()),
        region: Some(directory.region.clone()),
        time: Some(SystemTime::now()),
        identity,
    };
    let client = ClientInfo {
        addr: client,
        listener_port: listener.port,
        https: listener.https,
    };
    let result: Result<Response<ResponseBody>, Rejection> = match &group.target {
        Target::Unavailable(reason) => Err(Rejection::TargetUnavailable {
            reason: reason.clone(),
        }),
        Target::Http(http) => {
            let call = http.call(parts, body, &context, &client);
            match tokio::time::timeout(directory.upstream_timeout, call).await {
                Ok(Ok(response)) => Ok(response.map(Either::Right)),
                Ok(Err(error)) => {
                    tracing::warn!(%error, "HTTP target failed");
                    Err(failed(&error))
                }
                Err(_) => Err(Rejection::TargetTimedOut {
                    after: directory.upstream_timeout,
                }),
            }
        }
        Target::Lambda(lambda) => match read_limited(body, MAX_PAYLOAD_BYTES).await {
            Err(BodyError::TooLarge) => Err(Rejection::BodyTooLarge),
            Err(BodyError::Broken) => Err(Rejection::BodyUnreadable),
            Ok(read) => {
                let event = lambda.lattice_request(&parts, read.bytes, context, &client);
                match lambda.call(&event).await {
                    Ok(response) => Ok(response.map(Either::Left)),
                    Err(LambdaTargetError::EventTooLarge { size, .. }) => {
                        Err(Rejection::EventTooLarge { size })
                    }
                    Err(error) => {
                        tracing::warn!(%error, "Lambda target failed");
                        Err(failed(&error))
                    }
                }
            }
        },
    };
    Ok(match result {
        Ok(response) => Answer { response, note },
        Err(rejection) => Answer::rejected(rejection, note),
    })
}

/// The `502` for a failed target: the first line of the error (a crash report's stderr tail
/// goes to the log, not to the client).
fn failed(error: &dyn std::fmt::Display) -> Rejection {
    let message = error.to_string();
    Rejection::TargetFailed {
        message: message.lines().next().unwrap_or_default().to_owned(),
    }
}
