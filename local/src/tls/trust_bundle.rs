//! The trust bundle functions get as `SSL_CERT_FILE`: this machine's root certificates and the
//! local CA in one PEM file. `SSL_CERT_FILE` *replaces* the roots of the libraries that read it
//! (OpenSSL, rustls-native-certs, so reqwest and the AWS SDKs): a file with the local CA alone
//! would let a function reach lattice-local but no real HTTPS endpoint.

use std::path::PathBuf;

use super::authority::LocalAuthority;
use super::error::TlsError;
use super::state_dir::{Secrecy, write_file};

/// Writes `trust-bundle.pem` in the state directory (rewritten at every start, so it follows
/// the system's roots) and returns its path. Roots the system store cannot give are left out,
/// with a warning; the local CA is always in.
pub fn write_trust_bundle(authority: &LocalAuthority) -> Result<PathBuf, TlsError> {
    let loaded = rustls_native_certs::load_native_certs();
    for error in &loaded.errors {
        tracing::warn!(%error, "a system root certificate could not be read for the trust bundle");
    }
    let mut pems: Vec<pem::Pem> = loaded
        .certs
        .iter()
        .map(|der| pem::Pem::new("CERTIFICATE", der.as_ref().to_vec()))
        .collect();
    pems.push(pem::Pem::new(
        "CERTIFICATE",
        authority.ca_certificate().as_ref().to_vec(),
    ));
    let path = authority.state_dir().path().join("trust-bundle.pem");
    write_file(&path, pem::encode_many(&pems).as_bytes(), Secrecy::Public)?;
    Ok(path)
}
