//! [`Rejection`]: every way the data plane refuses or fails a request, in one place. Each
//! variant knows its status, its body (what Lattice would say, and why), the short reason the
//! text access log records and the `failureReason` / `authDeniedReason` of the JSON access log;
//! nothing else in the data plane maps an error to a status.
//!
//! The statuses, and where each comes from (Lattice's documentation where it says, the
//! Application Load Balancer's documented Lambda-target errors where Lattice is silent), are
//! the table *Lattice's own failures* in `docs/lattice-local.md`.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderValue, Response, StatusCode, header};
use http_body_util::{Either, Full};

use super::canonical::PathProblem;
use crate::auth::{AuthFailure, PolicyScope};
use crate::net::limits::MAX_PAYLOAD_BYTES;
use crate::targets::ResponseBody;

/// Why a request was refused, or why its target could not answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Rejection {
    /// `Host` names neither this machine nor a served service (DNS rebinding, a misdirected
    /// request): `421 Misdirected Request`.
    #[error(
        "Misdirected Request: Host {host:?} is not served here; use 127.0.0.1, localhost, \
         <service>.lattice.localhost or the service name"
    )]
    ForeignHost {
        /// The `Host` sent.
        host: String,
    },
    /// On the `Host`-routed port, `Host` names no service: `404`.
    #[error(
        "no Lattice service for Host {host:?}; use <service>.lattice.localhost with one of: {}",
        known.join(", ")
    )]
    NoServiceForHost {
        /// The `Host` sent (empty when there was none).
        host: String,
        /// The services served.
        known: Vec<Arc<str>>,
    },
    /// The path is not in canonical form: `400` (see `docs/local-auth.md`).
    #[error("Bad Request: path {path:?} {problem}")]
    NonCanonicalPath {
        /// The path sent.
        path: String,
        /// What is wrong with it.
        problem: PathProblem,
    },
    /// A signature that does not authenticate the request (whatever the auth type): `403`.
    #[error(
        "AccessDeniedException: User: anonymous is not authorized to perform: \
         vpc-lattice-svcs:Invoke on resource: {resource} ({failure})"
    )]
    BadSignature {
        /// `<service ARN><path>`.
        resource: String,
        /// What is wrong with the signature.
        failure: AuthFailure,
    },
    /// A request signed for another service's host, sent to this service's own port: `403`.
    #[error(
        "AccessDeniedException: User: {principal} is not authorized to perform: \
         vpc-lattice-svcs:Invoke on resource: {resource} (the request is signed for host \
         {signed_host:?}, which names service {named}, not {service})"
    )]
    SignedForOtherService {
        /// The signer.
        principal: String,
        /// `<service ARN><path>` of the service whose port received it.
        resource: String,
        /// The `Host` the signature covers.
        signed_host: String,
        /// The service that host names.
        named: Arc<str>,
        /// The service whose port received it.
        service: Arc<str>,
    },
    /// The auth policy does not allow the request (or an `AWS_IAM` service has none): `403`.
    #[error(
        "AccessDeniedException: User: {principal} is not authorized to perform: \
         vpc-lattice-svcs:Invoke on resource: {resource} ({why})"
    )]
    Denied {
        /// The signer, or `anonymous`.
        principal: String,
        /// `<service ARN><path>`.
        resource: String,
        /// Which part of the policy decided.
        why: String,
        /// Whose policy refused: the service network's or the service's.
        scope: PolicyScope,
    },
    /// The service has no listener: `503`.
    #[error("Service Unavailable: service {service} has no listener")]
    NoListener {
        /// The service.
        service: Arc<str>,
    },
    /// On a `Host`-routed port of one transport (plain HTTP, or TLS), a service with no listener
    /// of that kind: `421 Misdirected Request` (RFC 9110 §15.5.20: this server does not answer
    /// for this scheme and authority). In Lattice, the connection would find no listener.
    #[error(
        "Misdirected Request: service {service} has no {scheme} listener (its listeners: \
         {listeners}){}",
        instead.as_ref().map(|url| format!("; use {url}")).unwrap_or_default()
    )]
    NoListenerForScheme {
        /// The service.
        service: Arc<str>,
        /// `HTTP` or `HTTPS`: what the port serves.
        scheme: &'static str,
        /// The service's listeners (`HTTPS 443, HTTP 80`).
        listeners: String,
        /// Where its other listener is served by `Host` (`https://foo.lattice.localhost:8443`).
        instead: Option<String>,
    },
    /// The matched forward action has only zero weights: `503`.
    #[error("Service Unavailable: every target group of the matched action has weight 0")]
    NoTarget,
    /// Nothing can serve the target group locally (no `--upstream`, function not run): `503`.
    #[error("Service Unavailable: {reason}")]
    TargetUnavailable {
        /// Why, with what to pass to fix it.
        reason: String,
    },
    /// A request body over the Lambda limit: `413`.
    #[error(
        "Payload Too Large: the request body exceeds {MAX_PAYLOAD_BYTES} bytes, the limit of a \
         Lambda target"
    )]
    BodyTooLarge,
    /// The request body could not be read (connection broken, or too slow): `400`.
    #[error("Bad Request: the request body could not be read (broken or stalled connection)")]
    BodyUnreadable,
    /// The Lambda event built from the request is over the Lambda invoke limit: `413`.
    #[error(
        "Payload Too Large: the Lambda event for this request is {size} bytes, over the \
         {MAX_PAYLOAD_BYTES}-byte Lambda invoke limit (a base64-encoded body and the headers \
         count)"
    )]
    EventTooLarge {
        /// The event's size.
        size: usize,
    },
    /// The HTTP target could not be reached or broke the exchange: `502`.
    #[error("Bad Gateway: {message}")]
    TargetFailed {
        /// The first line of the failure (details go to the log).
        message: String,
    },
    /// The function failed: it reported an error, panicked, crashed, failed its init or ran
    /// past its timeout (Lambda reports each as an `Unhandled` function error): `502`.
    #[error("Bad Gateway: {message}")]
    FunctionFailed {
        /// The first line of the failure (details go to the log).
        message: String,
    },
    /// The function answered with something that is not a Lattice response: `502`.
    #[error("Bad Gateway: {message}")]
    InvalidLambdaResponse {
        /// What is wrong with it.
        message: String,
    },
    /// The function's response is over the Lambda payload limit: `502`.
    #[error(
        "Bad Gateway: the function's response exceeds {MAX_PAYLOAD_BYTES} bytes, the limit of a \
         Lambda target"
    )]
    LambdaResponseTooLarge,
    /// Every instance of the function stayed busy for the whole wait: `429`.
    #[error("Too Many Requests: {message}")]
    LambdaThrottled {
        /// How long it waited and for how many instances.
        message: String,
    },
    /// The HTTP target did not answer in time: `504`.
    #[error("Gateway Timeout: the target did not answer within {} s", after.as_secs_f64())]
    TargetTimedOut {
        /// How long it was given.
        after: Duration,
    },
}

impl Rejection {
    /// The status the client gets.
    pub fn status(&self) -> StatusCode {
        match self {
            Rejection::ForeignHost { .. } | Rejection::NoListenerForScheme { .. } => {
                StatusCode::MISDIRECTED_REQUEST
            }
            Rejection::NoServiceForHost { .. } => StatusCode::NOT_FOUND,
            Rejection::NonCanonicalPath { .. } | Rejection::BodyUnreadable => {
                StatusCode::BAD_REQUEST
            }
            Rejection::BadSignature { .. }
            | Rejection::SignedForOtherService { .. }
            | Rejection::Denied { .. } => StatusCode::FORBIDDEN,
            Rejection::NoListener { .. }
            | Rejection::NoTarget
            | Rejection::TargetUnavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
            Rejection::BodyTooLarge | Rejection::EventTooLarge { .. } => {
                StatusCode::PAYLOAD_TOO_LARGE
            }
            Rejection::TargetFailed { .. }
            | Rejection::FunctionFailed { .. }
            | Rejection::InvalidLambdaResponse { .. }
            | Rejection::LambdaResponseTooLarge => StatusCode::BAD_GATEWAY,
            Rejection::LambdaThrottled { .. } => StatusCode::TOO_MANY_REQUESTS,
            Rejection::TargetTimedOut { .. } => StatusCode::GATEWAY_TIMEOUT,
        }
    }

    /// The reason the text access log records.
    pub fn reason(&self) -> &'static str {
        match self {
            Rejection::ForeignHost { .. } => "foreign-host",
            Rejection::NoServiceForHost { .. } => "unknown-service",
            Rejection::NonCanonicalPath { .. } => "non-canonical-path",
            Rejection::BadSignature { .. } => "bad-signature",
            Rejection::SignedForOtherService { .. } => "signed-for-other-service",
            Rejection::Denied { .. } => "denied-by-auth-policy",
            Rejection::NoListener { .. } => "no-listener",
            Rejection::NoListenerForScheme { .. } => "no-listener-for-scheme",
            Rejection::NoTarget => "no-target",
            Rejection::TargetUnavailable { .. } => "target-unavailable",
            Rejection::BodyTooLarge => "body-too-large",
            Rejection::BodyUnreadable => "body-unreadable",
            Rejection::EventTooLarge { .. } => "event-too-large",
            Rejection::TargetFailed { .. } => "target-failed",
            Rejection::FunctionFailed { .. } => "function-failed",
            Rejection::InvalidLambdaResponse { .. } => "invalid-lambda-response",
            Rejection::LambdaResponseTooLarge => "lambda-response-too-large",
            Rejection::LambdaThrottled { .. } => "lambda-throttled",
            Rejection::TargetTimedOut { .. } => "target-timeout",
        }
    }

    /// The `failureReason` of the JSON access log. Lattice records `ClientAccessDenied` for a
    /// request its auth policy refused (seen in real `VpcLatticeAccessLogs` records); for its
    /// other failures Lattice documents no values, so the Lambda ones take the Application Load
    /// Balancer's documented error reasons for Lambda targets and the rest are named here.
    pub fn failure_reason(&self) -> &'static str {
        match self {
            Rejection::ForeignHost { .. } => "MisdirectedRequest",
            Rejection::NoServiceForHost { .. } => "UnknownService",
            Rejection::NonCanonicalPath { .. } => "NonCanonicalPath",
            Rejection::BadSignature { .. }
            | Rejection::SignedForOtherService { .. }
            | Rejection::Denied { .. } => "ClientAccessDenied",
            Rejection::NoListener { .. } | Rejection::NoListenerForScheme { .. } => "NoListener",
            Rejection::NoTarget | Rejection::TargetUnavailable { .. } => "NoTarget",
            Rejection::BodyTooLarge | Rejection::EventTooLarge { .. } => "LambdaRequestTooLarge",
            Rejection::BodyUnreadable => "ClientBodyUnreadable",
            Rejection::TargetFailed { .. } => "TargetConnectionError",
            Rejection::FunctionFailed { .. } => "LambdaUnhandled",
            Rejection::InvalidLambdaResponse { .. } => "LambdaInvalidResponse",
            Rejection::LambdaResponseTooLarge => "LambdaResponseTooLarge",
            Rejection::LambdaThrottled { .. } => "LambdaThrottling",
            Rejection::TargetTimedOut { .. } => "TargetTimeout",
        }
    }

    /// The `authDeniedReason` of the JSON access log: which auth policy refused the request
    /// (`Service`, as Lattice writes it), or `None` when no policy did.
    pub fn auth_denied_reason(&self) -> Option<&'static str> {
        match self {
            Rejection::Denied {
                scope: PolicyScope::Network,
                ..
            } => Some("Network"),
            Rejection::Denied {
                scope: PolicyScope::Service,
                ..
            } => Some("Service"),
            _ => None,
        }
    }

    /// The response: the status and a one-line `text/plain` body saying why.
    pub fn into_response(self) -> Response<ResponseBody> {
        let mut body = self.to_string();
        body.push('\n');
        let mut response = Response::new(Either::Left(Full::new(Bytes::from(body))));
        *response.status_mut() = self.status();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; charset=utf-8"),
        );
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_rejection_carries_its_status_reason_and_body() {
        let denied = Rejection::Denied {
            principal: "anonymous".into(),
            resource: "arn:aws:vpc-lattice:us-west-2:000000000000:service/svc-1/app".into(),
            why: "no statement of the auth policy allows this request".into(),
            scope: PolicyScope::Service,
        };
        assert_eq!(denied.status(), StatusCode::FORBIDDEN);
        assert_eq!(denied.reason(), "denied-by-auth-policy");
        assert_eq!(denied.auth_denied_reason(), Some("Service"));
        let by_network = Rejection::Denied {
            principal: "anonymous".into(),
            resource: "arn:aws:vpc-lattice:us-west-2:000000000000:service/svc-1/app".into(),
            why: "explicitly denied by the network's auth policy".into(),
            scope: PolicyScope::Network,
        };
        assert_eq!(by_network.auth_denied_reason(), Some("Network"));
        assert_eq!(Rejection::NoTarget.auth_denied_reason(), None);
        let response = denied.into_response();
        assert_eq!(response.status(), StatusCode::FORBIDDEN);
        assert_eq!(
            response.headers()[header::CONTENT_TYPE],
            "text/plain; charset=utf-8"
        );

        let timeout = Rejection::TargetTimedOut {
            after: Duration::from_secs(60),
        };
        assert_eq!(timeout.status(), StatusCode::GATEWAY_TIMEOUT);
        assert_eq!(
            timeout.to_string(),
            "Gateway Timeout: the target did not answer within 60 s"
        );
        let event = Rejection::EventTooLarge { size: 7_000_000 };
        assert_eq!(event.status(), StatusCode::PAYLOAD_TOO_LARGE);
        assert!(event.to_string().contains("6291456-byte"), "{event}");
    }
}
