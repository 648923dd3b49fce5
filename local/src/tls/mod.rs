//! Certificates and TLS settings of HTTPS listeners.
//!
//! Lattice serves an HTTPS listener with a certificate for the service's generated domain name,
//! issued by a public CA. Locally, [`LocalAuthority`] is a CA of this machine, kept in the
//! [`StateDir`] across runs; [`LocalAuthority::service_certificate`] issues each service a
//! certificate naming what clients call it locally ([`CertificateNames`]); [`server_config`]
//! turns them into rustls configurations with Lattice's protocol versions and cipher suites
//! ([`lattice_provider`]); [`write_trust_bundle`] gives functions the system's roots plus the
//! CA; [`client`] is an HTTPS client that trusts the CA alone (demo, tests). The handshake
//! itself happens in the accept loop (`net::tls`).

mod authority;
pub mod client;
mod error;
mod leaf;
mod names;
mod provider;
mod read_back;
pub mod server_config;
mod state_dir;
mod trust_bundle;

pub use authority::LocalAuthority;
pub use error::TlsError;
pub use leaf::ServiceCertificate;
pub use names::CertificateNames;
pub use provider::lattice_provider;
pub use state_dir::StateDir;
pub use trust_bundle::write_trust_bundle;
