//! [`AccessRecord`]: everything lattice-local knows about one request once it is answered, in
//! one type. The text line, the `VpcLatticeAccessLogs` JSON object and any other reader (the
//! inspector) are views of it; nothing else carries per-request facts out of the data plane.

use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use http::{Method, StatusCode, Uri, Version};
use lattice_lambda::Identity;

/// One request as the access log records it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccessRecord {
    /// When the request head arrived.
    pub start_time: SystemTime,
    /// Method.
    pub method: Method,
    /// The request target; only its path is ever written (the query may carry secrets).
    pub uri: Uri,
    /// The HTTP version the client spoke.
    pub version: Version,
    /// The `Host` header (or the URI's authority), if any.
    pub host: Option<String>,
    /// The `User-Agent` header, if any.
    pub user_agent: Option<String>,
    /// The client's address and port.
    pub client: SocketAddr,
    /// The service, or `None` when no service matched the `Host`.
    pub service: Option<Arc<str>>,
    /// The service's ARN.
    pub service_arn: Option<Arc<str>>,
    /// The ARN of the service network the service is associated with.
    pub service_network_arn: Option<Arc<str>>,
    /// Matched rule (logical id) or `default`; `None` when routing did not happen.
    pub rule: Option<Arc<str>>,
    /// Target (`lambda:<function>`, `http:<url>`, `fixed-response`), if one was chosen.
    pub target: Option<Arc<str>>,
    /// The ARN of the target group the request was forwarded to.
    pub target_group_arn: Option<Arc<str>>,
    /// `host:port` of an HTTP target (Lambda targets have none).
    pub target_addr: Option<Arc<str>>,
    /// The caller, once its signature was verified (also when its request was then denied).
    pub caller: Option<Identity>,
    /// The TLS session, for a request that arrived over TLS.
    pub tls: Option<TlsFacts>,
    /// Status sent to the client.
    pub status: StatusCode,
    /// Time from receiving the request head to having the response head.
    pub latency: Duration,
    /// Time from receiving the request head to the last byte of the response.
    pub duration: Duration,
    /// Time from receiving the request head to handing the request to the target; `None` when
    /// no target was called.
    pub request_to_target: Option<Duration>,
    /// Time from the target's answer to the last byte of the response; `None` when no target
    /// answered.
    pub response_from_target: Option<Duration>,
    /// Bytes received: the request head (as lattice-local holds it) and the body.
    pub bytes_received: u64,
    /// Bytes sent: the response head (as lattice-local holds it) and the body.
    pub bytes_sent: u64,
    /// Why the request was refused or failed (`denied-by-auth-policy`, `target-timeout`, …).
    pub reason: Option<&'static str>,
    /// The same, as the JSON log's `failureReason` (`ClientAccessDenied`, `LambdaUnhandled`, …).
    pub failure_reason: Option<&'static str>,
    /// Which auth policy refused the request (`Network` or `Service`), as the JSON log's
    /// `authDeniedReason`.
    pub auth_denied_reason: Option<&'static str>,
    /// The auth policy statement that decided (`service:<Sid>`, `network:<Sid>`,
    /// `<level>:no-statement-allowed`, `<level>:no-policy`); `None` when no policy applied.
    /// The text line's `auth=`; Lattice's JSON record has no such field.
    pub auth: Option<Arc<str>>,
}

/// The TLS session of a request that arrived on an HTTPS listener.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TlsFacts {
    /// The server name the client asked for (SNI), if it sent one.
    pub server_name: Option<Arc<str>>,
    /// The protocol version, as Lattice writes it (`TLSv1.2`, `TLSv1.3`).
    pub version: &'static str,
    /// The cipher suite, in OpenSSL's naming as Lattice writes it
    /// (`ECDHE-RSA-AES128-GCM-SHA256`).
    pub cipher: &'static str,
}

impl AccessRecord {
    /// A record of a request that arrived at `start_time` from `client`: status `200`, every
    /// other fact absent, every count and time zero. The recording layer and tests start here.
    pub fn new(start_time: SystemTime, method: Method, uri: Uri, client: SocketAddr) -> Self {
        AccessRecord {
            start_time,
            method,
            uri,
            version: Version::HTTP_11,
            host: None,
            user_agent: None,
            client,
            service: None,
            service_arn: None,
            service_network_arn: None,
            rule: None,
            target: None,
            target_group_arn: None,
            target_addr: None,
            caller: None,
            tls: None,
            status: StatusCode::OK,
            latency: Duration::ZERO,
            duration: Duration::ZERO,
            request_to_target: None,
            response_from_target: None,
            bytes_received: 0,
            bytes_sent: 0,
            reason: None,
            failure_reason: None,
            auth_denied_reason: None,
            auth: None,
        }
    }

    /// The request path.
    pub fn path(&self) -> &str {
        self.uri.path()
    }
}

/// `value`, or `-` when absent.
struct OrDash<'a, T>(&'a Option<T>);

impl<T: fmt::Display> fmt::Display for OrDash<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(value) => value.fmt(f),
            None => f.write_str("-"),
        }
    }
}

/// The short text line (`--access-log text`): service, method, path, rule, target, status,
/// latency to the response head, for a refused or failed request the reason, and the auth
/// policy statement that decided.
impl fmt::Display for AccessRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "access service={} method={} path={} rule={} target={} status={} latency_ms={:.2} reason={} auth={}",
            OrDash(&self.service),
            self.method,
            self.path(),
            OrDash(&self.rule),
            OrDash(&self.target),
            self.status.as_u16(),
            self.latency.as_secs_f64() * 1000.0,
            OrDash(&self.reason),
            OrDash(&self.auth),
        )
    }
}
