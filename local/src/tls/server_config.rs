//! The rustls server configuration of an HTTPS listener, as Lattice's: TLS 1.2 and 1.3, its
//! cipher suites in its order of preference (the server's order wins, as Lattice documents),
//! and a certificate per service: always that service's on a listener's own port, chosen by
//! the server name the client asks for (SNI) on the `Host`-routed HTTPS port.

use std::collections::HashMap;
use std::sync::Arc;

use rustls::ServerConfig;
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::{CertifiedKey, SingleCertAndKey};

use super::error::TlsError;
use super::provider::lattice_provider;
use crate::model::LOCAL_DOMAIN;

/// The application protocols offered by ALPN. Lattice also offers `h2`; the data plane serves
/// HTTP/1.1 only, so it is not offered (a client without ALPN gets HTTP/1.1, as from Lattice).
pub const ALPN_PROTOCOLS: [&[u8]; 1] = [b"http/1.1"];

/// A configuration presenting `resolver`'s certificates.
fn server_config(resolver: Arc<dyn ResolvesServerCert>) -> Result<Arc<ServerConfig>, TlsError> {
    let mut config = ServerConfig::builder_with_provider(lattice_provider())
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(|source| TlsError::Rustls {
            what: "the TLS configuration of the data plane".into(),
            source,
        })?
        .with_no_client_auth()
        .with_cert_resolver(resolver);
    // "By default, the first cipher on the server's list that matches any one of the client's
    // ciphers is selected" (User Guide, HTTPS listeners, Security policy).
    config.ignore_client_order = true;
    config.alpn_protocols = ALPN_PROTOCOLS.iter().map(|p| p.to_vec()).collect();
    Ok(Arc::new(config))
}

/// The configuration of one listener's own port: the service's certificate, whatever server
/// name the client asks for (a client that asks for another name fails to verify it).
pub fn for_service(certificate: Arc<CertifiedKey>) -> Result<Arc<ServerConfig>, TlsError> {
    server_config(Arc::new(SingleCertAndKey::from(certificate)))
}

/// The configuration of the `Host`-routed HTTPS port: the certificate of the service the
/// client names by SNI (`<service>.lattice.localhost` or `<service>`, any letter case).
/// A client that sends no server name (it connects to an IP address) or an unknown one gets
/// the first service's certificate, which names the loopback addresses like every other.
pub fn by_server_name(
    services: &[(String, Arc<CertifiedKey>)],
) -> Result<Arc<ServerConfig>, TlsError> {
    let mut by_name = HashMap::new();
    for (service, certificate) in services {
        let name = service.to_ascii_lowercase();
        by_name.insert(format!("{name}.{LOCAL_DOMAIN}"), Arc::clone(certificate));
        by_name.insert(name, Arc::clone(certificate));
    }
    let fallback = services.first().map(|(_, c)| Arc::clone(c));
    server_config(Arc::new(ByServerName { by_name, fallback }))
}

/// rustls's own `ResolvesServerCertUsingSni` refuses clients that send no server name; a
/// client of `https://127.0.0.1:<port>` sends none, so this one falls back to a certificate
/// that names the loopback addresses.
#[derive(Debug)]
struct ByServerName {
    by_name: HashMap<String, Arc<CertifiedKey>>,
    fallback: Option<Arc<CertifiedKey>>,
}

impl ResolvesServerCert for ByServerName {
    fn resolve(&self, client_hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        client_hello
            .server_name()
            .and_then(|name| self.by_name.get(&name.to_ascii_lowercase()))
            .or(self.fallback.as_ref())
            .cloned()
    }
}
