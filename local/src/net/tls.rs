//! The TLS step of the accept loop: the handshake of a connection to an HTTPS port, bounded by
//! [`TLS_HANDSHAKE_TIMEOUT`], and what the session agreed ([`TlsSession`], for access logs).

use std::sync::Arc;

use rustls::{CipherSuite, ProtocolVersion, ServerConnection};
use tokio::net::TcpStream;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;

use super::limits::TLS_HANDSHAKE_TIMEOUT;

/// What a TLS session agreed, named as Lattice's access logs name it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TlsSession {
    /// The server name the client asked for (SNI), if it sent one.
    pub server_name: Option<Arc<str>>,
    /// `TLSv1.2` or `TLSv1.3`.
    pub version: &'static str,
    /// The cipher suite in OpenSSL's naming (`ECDHE-RSA-AES128-GCM-SHA256`,
    /// `TLS_AES_128_GCM_SHA256`).
    pub cipher: &'static str,
}

impl TlsSession {
    fn of(connection: &ServerConnection) -> Self {
        let version = match connection.protocol_version() {
            Some(ProtocolVersion::TLSv1_3) => "TLSv1.3",
            Some(ProtocolVersion::TLSv1_2) => "TLSv1.2",
            _ => "-",
        };
        let cipher = connection
            .negotiated_cipher_suite()
            .map_or("-", |suite| openssl_name(suite.suite()));
        TlsSession {
            server_name: connection.server_name().map(Arc::from),
            version,
            cipher,
        }
    }
}

/// The OpenSSL name of each suite `tls::lattice_provider` offers.
fn openssl_name(suite: CipherSuite) -> &'static str {
    match suite {
        CipherSuite::TLS13_AES_128_GCM_SHA256 => "TLS_AES_128_GCM_SHA256",
        CipherSuite::TLS13_AES_256_GCM_SHA384 => "TLS_AES_256_GCM_SHA384",
        CipherSuite::TLS13_CHACHA20_POLY1305_SHA256 => "TLS_CHACHA20_POLY1305_SHA256",
        CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 => "ECDHE-RSA-AES128-GCM-SHA256",
        CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384 => "ECDHE-RSA-AES256-GCM-SHA384",
        _ => "-",
    }
}

/// Why a connection ended before its first request.
#[derive(Debug, thiserror::Error)]
pub(crate) enum HandshakeError {
    /// The client did not finish the handshake in time.
    #[error("no TLS handshake within {TLS_HANDSHAKE_TIMEOUT:?}")]
    TimedOut,
    /// The handshake failed (no common protocol or suite, a client that refused the
    /// certificate, not TLS at all).
    #[error("TLS handshake failed: {0}")]
    Failed(std::io::Error),
}

/// Runs the server side of the handshake.
pub(crate) async fn handshake(
    acceptor: &TlsAcceptor,
    stream: TcpStream,
) -> Result<(TlsStream<TcpStream>, TlsSession), HandshakeError> {
    let stream = tokio::time::timeout(TLS_HANDSHAKE_TIMEOUT, acceptor.accept(stream))
        .await
        .map_err(|_| HandshakeError::TimedOut)?
        .map_err(HandshakeError::Failed)?;
    let session = TlsSession::of(stream.get_ref().1);
    Ok((stream, session))
}
