//! Step 5, the end of the path: hand the request to its target group's target (a Lambda
//! function or an HTTP upstream) with Lattice's request context, and turn what goes wrong
//! there into a [`Rejection`].

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Instant, SystemTime};

use http::Response;
use http_body_util::Either;
use lattice_lambda::RequestContext;
use tower::Service;

use super::directory::Directory;
use super::exchange::{AccessNote, Answer, Exchange, Routed, TargetTiming};
use super::rejection::Rejection;
use crate::functions::InvokeError;
use crate::net::body::{BodyError, read_limited};
use crate::net::limits::MAX_PAYLOAD_BYTES;
use crate::runtime_api::RESPONSE_TOO_LARGE;
use crate::targets::{ClientInfo, LambdaTargetError, Observer, ResponseBody, Target};

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
        auth,
        rule,
        group,
    } = stage;
    let mut note = AccessNote {
        rule: Some(rule),
        auth,
        target: Some(Arc::clone(&group.described)),
        group: Some(Arc::clone(&group)),
        ..AccessNote::service(&service)
    };
    let mut context = RequestContext {
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
        Target::Http(group) => match group.pick() {
            None => Err(Rejection::TargetUnavailable {
                reason: format!("target group {} has no targets", group.name()),
            }),
            Some(http) => {
                note.target = Some(Arc::clone(http.described()));
                note.target_addr = Some(Arc::clone(http.address()));
                let call = http.call(parts, body, &context, &client);
                let (outcome, timing) =
                    timed(tokio::time::timeout(directory.upstream_timeout, call)).await;
                note.target_timing = Some(timing);
                match outcome {
                    Ok(Ok(response)) => Ok(response.map(Either::Right)),
                    Ok(Err(error)) => {
                        tracing::warn!(%error, "HTTP target failed");
                        Err(Rejection::TargetFailed {
                            message: first_line(&error),
                        })
                    }
                    Err(_) => Err(Rejection::TargetTimedOut {
                        after: directory.upstream_timeout,
                    }),
                }
            }
        },
        Target::Lambda(lambda) => match read_limited(body, MAX_PAYLOAD_BYTES).await {
            Err(BodyError::TooLarge) => Err(Rejection::BodyTooLarge),
            Err(BodyError::Broken) => Err(Rejection::BodyUnreadable),
            Ok(read) => {
                note.body_bytes = Some(read.bytes.len() as u64);
                let mut event = lambda.lattice_request(&parts, read.bytes, context, &client);
                let (outcome, timing) = timed(lambda.call(&event, Observer::of(&parts))).await;
                note.target_timing = Some(timing);
                // The context goes back for the log's caller fields (no copy made for it).
                context = event.context.take().unwrap_or_default();
                outcome
                    .map(|response| response.map(Either::Left))
                    .map_err(lambda_rejection)
            }
        },
    };
    if directory.recording {
        note.caller = Some(context.identity);
    }
    Ok(match result {
        Ok(response) => Answer { response, note },
        Err(rejection) => Answer::rejected(rejection, note),
    })
}

/// Runs `call` (the target's work), noting when it was handed over and when it answered.
async fn timed<F: Future>(call: F) -> (F::Output, TargetTiming) {
    let sent = Instant::now();
    let output = call.await;
    let answered = Instant::now();
    (output, TargetTiming { sent, answered })
}

/// How Lattice answers a Lambda target that could not produce a response: a function error of
/// any kind (reported, crash, init failure, timeout — Lambda reports each as `Unhandled`) and a
/// response that is not a Lattice response are `502`; an event over the invoke limit `413`;
/// every instance busy for the whole wait `429`, as Lambda throttles.
fn lambda_rejection(error: LambdaTargetError) -> Rejection {
    match error {
        LambdaTargetError::EventTooLarge { size, .. } => Rejection::EventTooLarge { size },
        LambdaTargetError::FunctionError { ref error_type, .. }
            if error_type == RESPONSE_TOO_LARGE =>
        {
            Rejection::LambdaResponseTooLarge
        }
        LambdaTargetError::MalformedResponse { .. } => Rejection::InvalidLambdaResponse {
            message: first_line(&error),
        },
        LambdaTargetError::Invoke {
            source: InvokeError::Throttled { .. },
            ..
        } => Rejection::LambdaThrottled {
            message: first_line(&error),
        },
        LambdaTargetError::Invoke {
            source: InvokeError::ShutDown,
            ..
        } => Rejection::TargetUnavailable {
            reason: first_line(&error),
        },
        LambdaTargetError::FunctionError { .. } | LambdaTargetError::Invoke { .. } => {
            tracing::warn!(%error, "Lambda target failed");
            Rejection::FunctionFailed {
                message: first_line(&error),
            }
        }
    }
}

/// The first line of an error: a crash report's stderr tail goes to the log, not to the client.
fn first_line(error: &dyn std::fmt::Display) -> String {
    let message = error.to_string();
    message.lines().next().unwrap_or_default().to_owned()
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::runtime_api::FunctionError;

    fn invoke(source: InvokeError) -> LambdaTargetError {
        LambdaTargetError::Invoke {
            function: "orders".into(),
            source,
        }
    }

    #[test]
    fn lambda_failures_map_to_lattices_statuses() {
        let throttled = lambda_rejection(invoke(InvokeError::Throttled {
            waited: Duration::from_secs(3),
            max_instances: 1,
        }));
        assert_eq!(throttled.status(), http::StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(throttled.failure_reason(), "LambdaThrottling");
        let timeout = lambda_rejection(invoke(InvokeError::Timeout {
            timeout: Duration::from_secs(1),
        }));
        assert_eq!(timeout.status(), http::StatusCode::BAD_GATEWAY);
        assert_eq!(timeout.failure_reason(), "LambdaUnhandled");
        let stopping = lambda_rejection(invoke(InvokeError::ShutDown));
        assert_eq!(stopping.status(), http::StatusCode::SERVICE_UNAVAILABLE);
        let too_large = lambda_rejection(LambdaTargetError::FunctionError {
            function: "orders".into(),
            error_type: RESPONSE_TOO_LARGE.into(),
            error_message: "too big".into(),
        });
        assert_eq!(too_large, Rejection::LambdaResponseTooLarge);
        let reported = FunctionError::from_posted(None, bytes::Bytes::from_static(b"{}"));
        let handler = lambda_rejection(LambdaTargetError::FunctionError {
            function: "orders".into(),
            error_type: reported.error_type,
            error_message: "boom\nstack".into(),
        });
        assert_eq!(handler.status(), http::StatusCode::BAD_GATEWAY);
        // Only the first line reaches the client.
        assert!(!handler.to_string().contains("stack"), "{handler}");
    }
}
