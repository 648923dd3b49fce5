//! An HTTPS client that trusts the local CA alone, as a client given `ca.pem` does: the demo's
//! calls and the tests' use it. It connects to an address and verifies the certificate for a
//! server name of its own, as `curl --resolve` or `--connect-to` do, since the system resolver
//! does not map `*.lattice.localhost` to loopback (curl does that by itself).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response};
use http_body_util::{BodyExt as _, Full};
use hyper_util::rt::TokioIo;
use rustls::pki_types::{CertificateDer, ServerName};
use rustls::{ClientConfig, RootCertStore};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

use super::error::TlsError;
use super::provider::lattice_provider;
use super::server_config::ALPN_PROTOCOLS;

/// Why an HTTPS request failed.
#[derive(Debug, thiserror::Error)]
pub enum HttpsRequestError {
    /// The server name is neither a DNS name nor an IP address.
    #[error("{0:?} is not a server name")]
    ServerName(String),
    /// The TCP connection failed.
    #[error("cannot connect to {addr}: {source}")]
    Connect {
        /// Where.
        addr: SocketAddr,
        /// What the OS said.
        source: std::io::Error,
    },
    /// The TLS handshake failed (for instance the certificate is not trusted).
    #[error("TLS handshake with {addr} as {server_name}: {source}")]
    Handshake {
        /// Where.
        addr: SocketAddr,
        /// The name the certificate was checked for.
        server_name: String,
        /// What rustls said (an `InvalidCertificate` names why the certificate was refused).
        source: std::io::Error,
    },
    /// The HTTP exchange failed.
    #[error("HTTP over TLS with {addr}: {source}")]
    Http {
        /// Where.
        addr: SocketAddr,
        /// What hyper said.
        source: hyper::Error,
    },
    /// No answer in time.
    #[error("no answer from {addr} within {after:?}")]
    TimedOut {
        /// Where.
        addr: SocketAddr,
        /// How long it waited.
        after: Duration,
    },
}

/// A client configuration that trusts `ca` and nothing else.
pub fn client_config(ca: &CertificateDer<'_>) -> Result<Arc<ClientConfig>, TlsError> {
    let mut roots = RootCertStore::empty();
    roots
        .add(ca.clone().into_owned())
        .map_err(|source| TlsError::Rustls {
            what: "the local CA as a trust anchor".into(),
            source,
        })?;
    let mut config = ClientConfig::builder_with_provider(lattice_provider())
        .with_safe_default_protocol_versions()
        .map_err(|source| TlsError::Rustls {
            what: "the TLS client configuration".into(),
            source,
        })?
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = ALPN_PROTOCOLS.iter().map(|p| p.to_vec()).collect();
    Ok(Arc::new(config))
}

/// Sends `request` (origin-form URI: `/path?query`) over a new TLS connection to `addr`,
/// checking the certificate for `server_name`, and reads the whole response; everything within
/// `timeout`. Without a `Host` header, `server_name:<port>` is sent, as a browser would.
pub async fn send_https(
    config: Arc<ClientConfig>,
    addr: SocketAddr,
    server_name: &str,
    mut request: Request<Full<Bytes>>,
    timeout: Duration,
) -> Result<Response<Bytes>, HttpsRequestError> {
    if !request.headers().contains_key(http::header::HOST) {
        let host = match server_name.parse::<std::net::IpAddr>() {
            Ok(std::net::IpAddr::V6(ip)) => format!("[{ip}]:{}", addr.port()),
            _ => format!("{server_name}:{}", addr.port()),
        };
        if let Ok(value) = http::HeaderValue::from_str(&host) {
            request.headers_mut().insert(http::header::HOST, value);
        }
    }
    let exchange = async {
        let name = ServerName::try_from(server_name.to_owned())
            .map_err(|_| HttpsRequestError::ServerName(server_name.to_owned()))?;
        let tcp = TcpStream::connect(addr)
            .await
            .map_err(|source| HttpsRequestError::Connect { addr, source })?;
        let tls = TlsConnector::from(config)
            .connect(name, tcp)
            .await
            .map_err(|source| HttpsRequestError::Handshake {
                addr,
                server_name: server_name.to_owned(),
                source,
            })?;
        let http = |source| HttpsRequestError::Http { addr, source };
        let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(tls))
            .await
            .map_err(http)?;
        // Drives the connection until the response is read; ends with it.
        let driver = tokio::spawn(connection);
        let response = sender.send_request(request).await.map_err(http)?;
        let (parts, body) = response.into_parts();
        let body = body.collect().await.map_err(http)?.to_bytes();
        driver.abort();
        Ok(Response::from_parts(parts, body))
    };
    tokio::time::timeout(timeout, exchange)
        .await
        .map_err(|_| HttpsRequestError::TimedOut {
            addr,
            after: timeout,
        })?
}
