//! One HTTP target (of an `IP`, `INSTANCE` or `ALB` group): a pooled reverse proxy to its URL,
//! over HTTP/1.1 or, for `HTTP2` and `GRPC` target groups, HTTP/2 with prior knowledge (h2c),
//! adding the headers Lattice adds.

use std::sync::Arc;
use std::time::Duration;

use http::request::Parts;
use http::uri::{Authority, PathAndQuery, Scheme};
use http::{HeaderValue, Request, Response, Uri, Version, header};
use hyper::body::Incoming;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use lattice_lambda::RequestContext;

use super::observer::Observer;
use super::{ClientInfo, apply_lattice_headers, strip_hop_by_hop};
use crate::model::ProtocolVersion;

/// Why a proxied request failed.
#[derive(Debug, thiserror::Error)]
pub enum ProxyError {
    /// The upstream URL is not usable.
    #[error("upstream URL {url:?}: {reason}")]
    InvalidUpstream {
        /// The URL given.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The request path cannot be joined to the upstream.
    #[error("cannot build the upstream request URI: {0}")]
    InvalidUri(#[from] http::Error),
    /// Connecting to or talking to the upstream failed (Lattice answers `502`).
    #[error("upstream {upstream} failed: {source}")]
    Upstream {
        /// The upstream URL.
        upstream: String,
        /// What went wrong.
        source: hyper_util::client::legacy::Error,
    },
}

thread_local! {
    /// The upstream clients of this thread, HTTP/1.1 and HTTP/2: their keep-alive pools (keyed
    /// by upstream) and the connection tasks they spawn stay on the thread whose requests use
    /// them, so a proxied request wakes no other thread (see `net::workers`).
    static UPSTREAM_CLIENT: Client<HttpConnector, Incoming> = upstream_client(false);
    static UPSTREAM_H2_CLIENT: Client<HttpConnector, Incoming> = upstream_client(true);
}

/// A pooled client; `http2`: HTTP/2 with prior knowledge, one multiplexed connection per
/// upstream.
fn upstream_client(http2: bool) -> Client<HttpConnector, Incoming> {
    let mut connector = HttpConnector::new();
    connector.set_nodelay(true);
    Client::builder(TokioExecutor::new())
        .pool_idle_timeout(Duration::from_secs(60))
        .pool_timer(TokioTimer::new())
        .timer(TokioTimer::new())
        .http2_only(http2)
        .build(connector)
}

/// A reverse proxy to one upstream, over keep-alive connections pooled per thread.
#[derive(Clone, Debug)]
pub struct HttpTarget {
    upstream: Uri,
    scheme: Scheme,
    authority: Authority,
    /// A path prefix of the upstream URL (`http://host/base` -> `/base`), or empty.
    base_path: String,
    /// HTTP/2 to the upstream (`HTTP2` and `GRPC` target groups).
    http2: bool,
    /// `http:<url>`, for the access log.
    described: Arc<str>,
    /// `host:port`, for the access log's `targetIpPort`.
    address: Arc<str>,
}

impl HttpTarget {
    /// A proxy to `upstream` (`http://host:port`, optionally with a base path) that speaks the
    /// target group's protocol version to it.
    pub fn new(upstream: &str, version: ProtocolVersion) -> Result<Self, ProxyError> {
        let invalid = |reason: &str| ProxyError::InvalidUpstream {
            url: upstream.to_owned(),
            reason: reason.to_owned(),
        };
        let uri: Uri = upstream
            .parse()
            .map_err(|e: http::uri::InvalidUri| invalid(&e.to_string()))?;
        let scheme = uri
            .scheme()
            .cloned()
            .ok_or_else(|| invalid("no scheme (expected http://…)"))?;
        if scheme != Scheme::HTTP {
            return Err(invalid("only http:// upstreams are supported locally"));
        }
        let authority = uri.authority().cloned().ok_or_else(|| invalid("no host"))?;
        let base_path = uri.path().trim_end_matches('/').to_owned();
        let address = Arc::from(format!(
            "{}:{}",
            authority.host(),
            authority.port_u16().unwrap_or(80)
        ));
        Ok(HttpTarget {
            described: Arc::from(format!("http:{uri}")),
            address,
            upstream: uri,
            scheme,
            authority,
            base_path,
            http2: version.is_http2(),
        })
    }

    /// The upstream URL.
    pub fn upstream(&self) -> &Uri {
        &self.upstream
    }

    /// `host:port` of the upstream (port 80 when the URL names none), for the access log's
    /// `targetIpPort`.
    pub fn address(&self) -> &Arc<str> {
        &self.address
    }

    /// The upstream's authority.
    pub fn authority(&self) -> &Authority {
        &self.authority
    }

    /// The upstream's base path (`/base` of `http://host/base`), or empty.
    pub fn base_path(&self) -> &str {
        &self.base_path
    }

    /// `http:<url>`, as the access log names the target.
    pub fn described(&self) -> &Arc<str> {
        &self.described
    }

    /// The upstream URI for a request's path and query.
    fn upstream_uri(&self, original: &Uri) -> Result<Uri, ProxyError> {
        let path_and_query = original.path_and_query().map_or("/", PathAndQuery::as_str);
        let joined = format!("{}{path_and_query}", self.base_path);
        Ok(Uri::builder()
            .scheme(self.scheme.clone())
            .authority(self.authority.clone())
            .path_and_query(joined)
            .build()?)
    }

    /// Forwards the request (body streamed) and returns the upstream's
    /// response (body streamed back).
    pub async fn call(
        &self,
        mut parts: Parts,
        body: Incoming,
        context: &RequestContext,
        client: &ClientInfo,
    ) -> Result<Response<Incoming>, ProxyError> {
        parts.uri = self.upstream_uri(&parts.uri)?;
        // gRPC needs `te: trailers` end to end; it is the one TE value HTTP/2 allows.
        let wants_trailers = self.http2
            && parts
                .headers
                .get(header::TE)
                .is_some_and(|te| te.as_bytes().eq_ignore_ascii_case(b"trailers"));
        // The upstream speaks the target group's version whatever the client used.
        parts.version = if self.http2 {
            Version::HTTP_2
        } else {
            Version::HTTP_11
        };
        strip_hop_by_hop(&mut parts.headers);
        if wants_trailers {
            parts
                .headers
                .insert(header::TE, HeaderValue::from_static("trailers"));
        }
        apply_lattice_headers(&mut parts.headers, context, client);
        let observer = parts.extensions.get::<Observer>().cloned();
        if let Some(observer) = &observer {
            observer.0.forwarded(&parts.headers);
        }
        let request = Request::from_parts(parts, body);
        let clients = if self.http2 {
            &UPSTREAM_H2_CLIENT
        } else {
            &UPSTREAM_CLIENT
        };
        let pending = clients.with(|client| client.request(request));
        let mut response = pending.await.map_err(|source| ProxyError::Upstream {
            upstream: self.upstream.to_string(),
            source,
        })?;
        strip_hop_by_hop(response.headers_mut());
        if let Some(observer) = &observer {
            let url = self.upstream.to_string();
            observer
                .0
                .upstream_response(&url, response.status(), response.headers());
        }
        Ok(response)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upstream_urls_are_checked_and_joined_with_the_request_path() {
        let target =
            HttpTarget::new("http://127.0.0.1:8090/base/", ProtocolVersion::Http1).unwrap();
        let joined = target.upstream_uri(&"/app/x?y=1".parse().unwrap()).unwrap();
        assert_eq!(joined, "http://127.0.0.1:8090/base/app/x?y=1");
        assert_eq!(&**target.address(), "127.0.0.1:8090");
        let plain = HttpTarget::new("http://127.0.0.1:8090", ProtocolVersion::Http1).unwrap();
        assert_eq!(
            plain.upstream_uri(&"/app".parse().unwrap()).unwrap(),
            "http://127.0.0.1:8090/app"
        );
        let default_port = HttpTarget::new("http://pod", ProtocolVersion::Http1).unwrap();
        assert_eq!(&**default_port.address(), "pod:80");
        for bad in ["127.0.0.1:80", "https://pod.local", "http://"] {
            assert!(
                matches!(
                    HttpTarget::new(bad, ProtocolVersion::Http1),
                    Err(ProxyError::InvalidUpstream { .. })
                ),
                "{bad}"
            );
        }
    }
}
