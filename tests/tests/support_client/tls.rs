//! A throwaway CA and a server certificate for `localhost` / `127.0.0.1`, made per test run.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio_rustls::TlsAcceptor;

/// A CA (written to a PEM file for `LATTICE_CA_BUNDLE`) and a TLS acceptor whose
/// certificate it signed.
pub struct TestTls {
    /// PEM file holding the CA certificate.
    pub ca_bundle: PathBuf,
    /// Server side of TLS for the upstream.
    pub acceptor: TlsAcceptor,
}

impl Drop for TestTls {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.ca_bundle);
    }
}

static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// A unique path in the temp dir (no tempfile crate needed for one file).
pub fn temp_path(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!(
        "lattice-client-test-{}-{}-{name}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::SeqCst)
    ))
}

impl TestTls {
    /// Generates the CA and the server certificate.
    pub fn generate() -> TestTls {
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(DnType::CommonName, "lattice-lambda test CA");
        let ca_key = KeyPair::generate().unwrap();
        let ca_cert = ca_params.self_signed(&ca_key).unwrap();
        let issuer = Issuer::new(ca_params, ca_key);

        let server_params =
            CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()]).unwrap();
        let server_key = KeyPair::generate().unwrap();
        let server_cert = server_params.signed_by(&server_key, &issuer).unwrap();

        let ca_bundle = temp_path("ca.pem");
        std::fs::write(&ca_bundle, ca_cert.pem()).unwrap();

        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(
                vec![CertificateDer::from(server_cert.der().to_vec())],
                PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(server_key.serialize_der())),
            )
            .unwrap();
        // The scripted upstream speaks HTTP/1.1 only.
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        TestTls {
            ca_bundle,
            acceptor: TlsAcceptor::from(Arc::new(config)),
        }
    }
}
