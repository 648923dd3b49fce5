//! One health check of one target: a `GET` of the check path on a connection of its own
//! (HTTP/1.1, or HTTP/2 with prior knowledge), closed when the check is done, as Lattice does;
//! it passes when the status matches within the timeout.

use std::future::Future;
use std::time::Duration;

use bytes::Bytes;
use http::uri::Authority;
use http::{Request, header};
use http_body_util::Empty;
use hyper::client::conn::{http1, http2};
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::TcpStream;

use crate::model::{HealthCheck, StatusMatcher};
use crate::targets::HttpTarget;

/// The `User-Agent` of lattice-local's checks (Lattice documents none of its own).
pub const HEALTH_CHECK_USER_AGENT: &str = "lattice-local-health-check";

/// Why a check failed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ProbeFailure {
    /// No connection could be made.
    #[error("cannot connect to {addr}: {reason}")]
    Connect {
        /// `host:port` checked.
        addr: String,
        /// What the OS said.
        reason: String,
    },
    /// The connection broke before a response head arrived.
    #[error("{addr} broke the check: {reason}")]
    Exchange {
        /// `host:port` checked.
        addr: String,
        /// What hyper said.
        reason: String,
    },
    /// No response head within the timeout.
    #[error("no response within {} s", .0.as_secs_f64())]
    TimedOut(Duration),
    /// A status the matcher does not accept.
    #[error("status {status} does not match {matcher}")]
    Status {
        /// The status answered.
        status: u16,
        /// The matcher, as written.
        matcher: String,
    },
}

/// Something that checks one target once: the real [`HttpProbe`], or a scripted one in tests.
pub(crate) trait Probe: Send + Sync + 'static {
    /// Runs one check, bounded by its own timeout.
    fn check(&self) -> impl Future<Output = Result<(), ProbeFailure>> + Send;
}

/// The check of one HTTP target.
#[derive(Clone, Debug)]
pub(crate) struct HttpProbe {
    /// `host:port` to connect to.
    addr: String,
    /// `host:port` for `Host` / `:authority`.
    authority: Authority,
    /// Path and query of the check, under the target's base path.
    path: String,
    http2: bool,
    timeout: Duration,
    matcher: StatusMatcher,
}

impl HttpProbe {
    /// The check `check` makes of `target`. A check `Port` other than the group's traffic port
    /// (`group_port`) is checked on the target's host; otherwise the target's own port is, so a
    /// target given as a local URL is checked where it serves.
    pub fn new(target: &HttpTarget, check: &HealthCheck, group_port: Option<u16>) -> Self {
        let own = target.authority();
        let host = own.host();
        let port = match check.port {
            Some(port) if Some(port) != group_port => port,
            _ => own.port_u16().unwrap_or(80),
        };
        // `host` keeps IPv6 brackets, so `host:port` parses back as an authority.
        let addr = format!("{host}:{port}");
        let authority = addr.parse().unwrap_or_else(|_| own.clone());
        HttpProbe {
            addr,
            authority,
            path: format!("{}{}", target.base_path(), check.path),
            http2: check.http2,
            timeout: check.timeout,
            matcher: check.matcher.clone(),
        }
    }

    async fn exchange(&self) -> Result<u16, ProbeFailure> {
        let stream =
            TcpStream::connect(&self.addr)
                .await
                .map_err(|error| ProbeFailure::Connect {
                    addr: self.addr.clone(),
                    reason: error.to_string(),
                })?;
        let _ = stream.set_nodelay(true);
        let io = TokioIo::new(stream);
        let broke = |error: hyper::Error| ProbeFailure::Exchange {
            addr: self.addr.clone(),
            reason: error.to_string(),
        };
        // HTTP/2 takes the authority from the URI; HTTP/1.1 from `Host`.
        let uri = if self.http2 {
            format!("http://{}{}", self.authority, self.path)
        } else {
            self.path.clone()
        };
        let request = Request::get(uri)
            .header(header::HOST, self.authority.as_str())
            .header(header::USER_AGENT, HEALTH_CHECK_USER_AGENT)
            .body(Empty::<Bytes>::new())
            .map_err(|error| ProbeFailure::Exchange {
                addr: self.addr.clone(),
                reason: error.to_string(),
            })?;
        // The connection is driven beside the request and dropped with it: each check closes
        // the connection it opened.
        let status = if self.http2 {
            let (mut sender, connection) = http2::handshake(TokioExecutor::new(), io)
                .await
                .map_err(broke)?;
            tokio::select! {
                response = sender.send_request(request) => response.map_err(broke)?.status(),
                ended = connection => return Err(closed(&self.addr, ended.err())),
            }
        } else {
            let (mut sender, connection) = http1::handshake(io).await.map_err(broke)?;
            tokio::select! {
                response = sender.send_request(request) => response.map_err(broke)?.status(),
                ended = connection => return Err(closed(&self.addr, ended.err())),
            }
        };
        Ok(status.as_u16())
    }
}

fn closed(addr: &str, error: Option<hyper::Error>) -> ProbeFailure {
    ProbeFailure::Exchange {
        addr: addr.to_owned(),
        reason: error.map_or_else(
            || "connection closed before a response".to_owned(),
            |e| e.to_string(),
        ),
    }
}

impl Probe for HttpProbe {
    async fn check(&self) -> Result<(), ProbeFailure> {
        let status = tokio::time::timeout(self.timeout, self.exchange())
            .await
            .map_err(|_| ProbeFailure::TimedOut(self.timeout))??;
        if self.matcher.matches(status) {
            Ok(())
        } else {
            Err(ProbeFailure::Status {
                status,
                matcher: self.matcher.to_string(),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ProtocolVersion;

    fn probe(url: &str, port: Option<u16>, group_port: Option<u16>) -> HttpProbe {
        let target = HttpTarget::new(url, ProtocolVersion::Http1).unwrap();
        let check = HealthCheck {
            port,
            path: "/ready?deep=1".into(),
            ..HealthCheck::lattice_default(ProtocolVersion::Http1)
        };
        HttpProbe::new(&target, &check, group_port)
    }

    #[test]
    fn checks_go_to_the_targets_port_unless_another_is_named() {
        let own = probe("http://127.0.0.1:9001/base", None, Some(80));
        assert_eq!(
            (own.addr.as_str(), own.path.as_str()),
            ("127.0.0.1:9001", "/base/ready?deep=1")
        );
        // The group's traffic port stands for each target's own port.
        assert_eq!(
            probe("http://127.0.0.1:9001", Some(80), Some(80)).addr,
            "127.0.0.1:9001"
        );
        assert_eq!(
            probe("http://127.0.0.1:9001", Some(8081), Some(80)).addr,
            "127.0.0.1:8081"
        );
        assert_eq!(
            probe("http://[::1]:9001", Some(8081), None).addr,
            "[::1]:8081"
        );
        assert_eq!(probe("http://localhost", None, None).addr, "localhost:80");
    }
}
