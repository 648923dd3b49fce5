//! HTTP target groups (`IP`, `INSTANCE`, `ALB`): a pooled reverse proxy to an
//! upstream URL given on the command line, adding the headers Lattice adds.

use std::time::Duration;

use http::request::Parts;
use http::uri::{Authority, PathAndQuery, Scheme};
use http::{Request, Response, Uri};
use hyper::body::Incoming;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use lattice_lambda::RequestContext;

use super::{ClientInfo, apply_lattice_headers, strip_hop_by_hop};
use crate::inspector::Capture;

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
    /// The upstream client of this thread: its keep-alive pool (keyed by upstream) and the
    /// connection tasks it spawns stay on the thread whose requests use them, so a proxied
    /// request wakes no other thread (see `net::workers`).
    static UPSTREAM_CLIENT: Client<HttpConnector, Incoming> = {
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        Client::builder(TokioExecutor::new())
            .pool_idle_timeout(Duration::from_secs(60))
            .build(connector)
    };
}

/// A reverse proxy to one upstream, over keep-alive connections pooled per thread.
#[derive(Clone, Debug)]
pub struct HttpTarget {
    upstream: Uri,
    scheme: Scheme,
    authority: Authority,
    /// A path prefix of the upstream URL (`http://host/base` -> `/base`), or empty.
    base_path: String,
}

impl HttpTarget {
    /// A proxy to `upstream` (`http://host:port`, optionally with a base path).
    pub fn new(upstream: &str) -> Result<Self, ProxyError> {
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
        Ok(HttpTarget {
            upstream: uri,
            scheme,
            authority,
            base_path,
        })
    }

    /// The upstream URL.
    pub fn upstream(&self) -> &Uri {
        &self.upstream
    }

    /// `host:port` of the upstream (port 80 when the URL names none).
    pub fn address(&self) -> String {
        format!(
            "{}:{}",
            self.authority.host(),
            self.authority.port_u16().unwrap_or(80)
        )
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
        // The upstream speaks HTTP/1.1 whatever the client used.
        parts.version = http::Version::HTTP_11;
        strip_hop_by_hop(&mut parts.headers);
        apply_lattice_headers(&mut parts.headers, context, client);
        let capture = Capture::of(&parts).cloned();
        if let Some(capture) = &capture {
            capture.forwarded(&parts.headers);
        }
        let request = Request::from_parts(parts, body);
        let pending = UPSTREAM_CLIENT.with(|client| client.request(request));
        let mut response = pending.await.map_err(|source| ProxyError::Upstream {
            upstream: self.upstream.to_string(),
            source,
        })?;
        strip_hop_by_hop(response.headers_mut());
        if let Some(capture) = &capture {
            let url = self.upstream.to_string();
            capture.upstream_response(&url, response.status(), response.headers());
        }
        Ok(response)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upstream_urls_are_checked_and_joined_with_the_request_path() {
        let target = HttpTarget::new("http://127.0.0.1:8090/base/").unwrap();
        let joined = target.upstream_uri(&"/app/x?y=1".parse().unwrap()).unwrap();
        assert_eq!(joined, "http://127.0.0.1:8090/base/app/x?y=1");
        assert_eq!(target.address(), "127.0.0.1:8090");
        let plain = HttpTarget::new("http://127.0.0.1:8090").unwrap();
        assert_eq!(
            plain.upstream_uri(&"/app".parse().unwrap()).unwrap(),
            "http://127.0.0.1:8090/app"
        );
        assert_eq!(HttpTarget::new("http://pod").unwrap().address(), "pod:80");
        for bad in ["127.0.0.1:80", "https://pod.local", "http://"] {
            assert!(
                matches!(
                    HttpTarget::new(bad),
                    Err(ProxyError::InvalidUpstream { .. })
                ),
                "{bad}"
            );
        }
    }
}
