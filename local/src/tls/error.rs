//! [`TlsError`]: why the local CA, a service's certificate or a TLS configuration could not be
//! made or used.

use std::path::PathBuf;

/// Why HTTPS listeners cannot be served.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// Neither `XDG_STATE_HOME` nor `HOME` is set to an absolute path.
    #[error(
        "no state directory for the local CA: neither XDG_STATE_HOME nor HOME is an absolute \
         path; pass --state-dir DIR"
    )]
    NoStateDir,
    /// The state directory (or a subdirectory) cannot be created.
    #[error("cannot use the state directory {}: {source}", path.display())]
    StateDir {
        /// The directory.
        path: PathBuf,
        /// What the OS said.
        source: std::io::Error,
    },
    /// A file of the state directory cannot be read.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// What the OS said.
        source: std::io::Error,
    },
    /// A file of the state directory cannot be written.
    #[error("cannot write {}: {source}", path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// What the OS said.
        source: std::io::Error,
    },
    /// The CA on disk cannot be used. lattice-local never replaces it by itself: clients may
    /// trust it, and a new one would silently break them.
    #[error(
        "the local CA in {} cannot be used: {problem}. lattice-local never replaces an existing \
         CA by itself (clients may trust it): restore it, or delete {} to have a new CA made \
         (then give the new ca.pem to your clients)",
        dir.display(),
        dir.display()
    )]
    UnusableCa {
        /// The CA's directory.
        dir: PathBuf,
        /// What is wrong (a file missing, unreadable, expired, not matching its key).
        problem: String,
    },
    /// rcgen could not make a key or a certificate.
    #[error("cannot make {what}: {source}")]
    Generate {
        /// What was being made (`the local CA`, `the certificate of foo-service`).
        what: String,
        /// What rcgen said.
        source: rcgen::Error,
    },
    /// rustls refused a key, a certificate or a configuration.
    #[error("{what}: {source}")]
    Rustls {
        /// What was being set up.
        what: String,
        /// What rustls said.
        source: rustls::Error,
    },
    /// A freshly issued certificate does not verify against the CA that issued it.
    #[error(
        "the certificate just issued for {service} does not verify against the local CA: {reason}"
    )]
    IssuedCertificateInvalid {
        /// The service.
        service: String,
        /// What the verifier said.
        reason: String,
    },
}
