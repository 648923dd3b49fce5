//! [`LocalAuthority`]: the local CA that signs every service's certificate. Made once, kept in
//! the state directory (`ca/ca.pem`, `ca/ca-key.pem` with mode 0600) and reused on every later
//! start, so a client told to trust `ca.pem` keeps trusting lattice-local. An existing CA is
//! never replaced by lattice-local itself: a CA that cannot be used stops the start and says
//! how to get a new one.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use rcgen::{
    BasicConstraints, Certificate, CertificateParams, DnType, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, SerialNumber,
};
use rustls::RootCertStore;
use rustls::client::WebPkiServerVerifier;
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::sign::CertifiedKey;
use time::OffsetDateTime;

use super::error::TlsError;
use super::provider::lattice_provider;
use super::read_back::certificate_facts;
use super::state_dir::{Secrecy, StateDir, keep_private, read, write_file};

/// How long a new CA is valid: long enough never to be in the way of a development machine.
const CA_VALIDITY: Duration = Duration::from_secs(10 * 365 * 24 * 3600);

/// When less than this is left of the CA's validity, every start says so.
const CA_EXPIRY_WARNING: Duration = Duration::from_secs(90 * 24 * 3600);

/// Backdating of new certificates, so a client whose clock is a little behind accepts them.
pub(crate) const BACKDATE: Duration = Duration::from_secs(24 * 3600);

/// The local CA, loaded or made.
pub struct LocalAuthority {
    state: StateDir,
    ca_file: PathBuf,
    ca_der: CertificateDer<'static>,
    issuer: Issuer<'static, KeyPair>,
    verifier: Arc<WebPkiServerVerifier>,
    created: bool,
}

impl std::fmt::Debug for LocalAuthority {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the key.
        f.debug_struct("LocalAuthority")
            .field("ca_file", &self.ca_file)
            .field("created", &self.created)
            .finish_non_exhaustive()
    }
}

impl LocalAuthority {
    /// The CA of `state`: loaded when `ca/ca.pem` and `ca/ca-key.pem` exist, made when neither
    /// does; anything else (one file without the other, a file that does not parse, a key that
    /// is not the certificate's, an expired CA) is [`TlsError::UnusableCa`].
    pub fn open(state: StateDir) -> Result<Self, TlsError> {
        let ca_dir = state.subdir("ca")?;
        let ca_file = ca_dir.join("ca.pem");
        let key_file = ca_dir.join("ca-key.pem");
        let _lock = state.lock()?;
        let (ca_der, key, created) = match (ca_file.exists(), key_file.exists()) {
            (false, false) => {
                let (certificate, key) = create_ca()?;
                // The key first: a certificate on disk always has its key beside it.
                write_file(&key_file, key.serialize_pem().as_bytes(), Secrecy::Private)?;
                write_file(&ca_file, certificate.pem().as_bytes(), Secrecy::Public)?;
                (certificate.der().clone(), key, true)
            }
            (true, true) => {
                keep_private(&key_file)?;
                let (der, key) = load_ca(&ca_dir, &ca_file, &key_file)?;
                (der, key, false)
            }
            (true, false) => return Err(unusable(&ca_dir, "ca-key.pem is missing")),
            (false, true) => return Err(unusable(&ca_dir, "ca.pem is missing")),
        };
        let issuer = Issuer::from_ca_cert_der(&ca_der, key).map_err(|e| {
            unusable(
                &ca_dir,
                &format!("ca.pem is not a CA certificate rcgen reads: {e}"),
            )
        })?;
        let mut roots = RootCertStore::empty();
        roots.add(ca_der.clone()).map_err(|e| {
            unusable(
                &ca_dir,
                &format!("ca.pem is not a usable trust anchor: {e}"),
            )
        })?;
        let verifier =
            WebPkiServerVerifier::builder_with_provider(Arc::new(roots), lattice_provider())
                .build()
                .map_err(|e| unusable(&ca_dir, &format!("cannot verify with it: {e}")))?;
        Ok(LocalAuthority {
            state,
            ca_file,
            ca_der,
            issuer,
            verifier,
            created,
        })
    }

    /// The CA of the state directory `dir`, or of the default one
    /// ([`StateDir::default_location`]): what `--state-dir` chooses.
    pub fn open_in(dir: Option<&Path>) -> Result<Self, TlsError> {
        let dir = match dir {
            Some(dir) => dir.to_owned(),
            None => StateDir::default_location()?,
        };
        Self::open(StateDir::open(dir)?)
    }

    /// The CA certificate (PEM): what clients are given to trust (`curl --cacert`,
    /// `LATTICE_CA_BUNDLE`).
    pub fn ca_file(&self) -> &Path {
        &self.ca_file
    }

    /// The CA certificate.
    pub fn ca_certificate(&self) -> &CertificateDer<'static> {
        &self.ca_der
    }

    /// Whether this start made the CA (it did not exist).
    pub fn was_created(&self) -> bool {
        self.created
    }

    /// The state directory the CA lives in.
    pub fn state_dir(&self) -> &StateDir {
        &self.state
    }

    /// Signs `params` for `key`.
    pub(crate) fn sign(
        &self,
        params: &CertificateParams,
        key: &KeyPair,
        what: &str,
    ) -> Result<Certificate, TlsError> {
        params
            .signed_by(key, &self.issuer)
            .map_err(|source| TlsError::Generate {
                what: what.to_owned(),
                source,
            })
    }

    /// A verifier that trusts this CA alone: what a client given `ca.pem` would accept.
    pub(crate) fn verifier(&self) -> &WebPkiServerVerifier {
        &self.verifier
    }
}

fn unusable(dir: &Path, problem: &str) -> TlsError {
    TlsError::UnusableCa {
        dir: dir.to_owned(),
        problem: problem.to_owned(),
    }
}

/// A random serial number: positive, 16 bytes (RFC 5280 allows 20; browsers reject reuse of
/// an issuer and serial pair, which hashing the key alone would risk).
pub(crate) fn random_serial() -> SerialNumber {
    let mut bytes: [u8; 16] = rand::random();
    bytes[0] &= 0x7f;
    SerialNumber::from_slice(&bytes)
}

/// `now + offset` (or minus) as rcgen's date type.
pub(crate) fn offset_now(later: Duration, earlier: Duration) -> OffsetDateTime {
    let now = SystemTime::now();
    let at = (now + later)
        .checked_sub(earlier)
        .unwrap_or(SystemTime::UNIX_EPOCH);
    OffsetDateTime::from(at)
}

fn create_ca() -> Result<(Certificate, KeyPair), TlsError> {
    let what = || "the local CA".to_owned();
    // ECDSA P-256: the CA only signs certificates; the leaves carry the RSA keys Lattice uses.
    let key = KeyPair::generate().map_err(|source| TlsError::Generate {
        what: what(),
        source,
    })?;
    let mut params = CertificateParams::default();
    let id: [u8; 4] = rand::random();
    // A distinct name per machine, so a trust store that holds two of them tells them apart.
    params.distinguished_name.push(
        DnType::CommonName,
        format!("lattice-local development CA {}", hex::encode(id)),
    );
    params
        .distinguished_name
        .push(DnType::OrganizationName, "lattice-local");
    // It signs leaf certificates only, never another CA.
    params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    params.not_before = offset_now(Duration::ZERO, BACKDATE);
    params.not_after = offset_now(CA_VALIDITY, Duration::ZERO);
    params.serial_number = Some(random_serial());
    let certificate = params
        .self_signed(&key)
        .map_err(|source| TlsError::Generate {
            what: what(),
            source,
        })?;
    Ok((certificate, key))
}

fn load_ca(
    dir: &Path,
    ca_file: &Path,
    key_file: &Path,
) -> Result<(CertificateDer<'static>, KeyPair), TlsError> {
    let cert_pem = read(ca_file)?;
    let key_pem = read(key_file)?;
    let der = CertificateDer::from_pem_slice(&cert_pem)
        .map_err(|e| unusable(dir, &format!("ca.pem holds no PEM certificate ({e})")))?;
    let key_text =
        std::str::from_utf8(&key_pem).map_err(|_| unusable(dir, "ca-key.pem is not PEM text"))?;
    let key = KeyPair::from_pem(key_text)
        .map_err(|e| unusable(dir, &format!("ca-key.pem holds no usable key ({e})")))?;
    // rustls compares the key's public half with the certificate's.
    let private = PrivateKeyDer::from_pem_slice(&key_pem)
        .map_err(|e| unusable(dir, &format!("ca-key.pem holds no PEM key ({e})")))?;
    CertifiedKey::from_der(vec![der.clone()], private, &lattice_provider())
        .map_err(|e| unusable(dir, &format!("ca-key.pem is not the key of ca.pem ({e})")))?;
    let facts = certificate_facts(&der).ok_or_else(|| unusable(dir, "ca.pem does not parse"))?;
    match facts.not_after.duration_since(SystemTime::now()) {
        Err(_) => {
            return Err(unusable(
                dir,
                &format!("it expired on {}", facts.not_after_text),
            ));
        }
        Ok(left) if left < CA_EXPIRY_WARNING => tracing::warn!(
            expires = %facts.not_after_text,
            dir = %dir.display(),
            "the local CA expires soon; delete its directory before then to have a new one made"
        ),
        Ok(_) => {}
    }
    Ok((der, key))
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn temp_state(name: &str) -> StateDir {
        let path =
            std::env::temp_dir().join(format!("lattice-local-ca-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        StateDir::open(path).unwrap()
    }

    #[test]
    fn the_ca_is_made_once_then_reused_with_a_private_key() {
        let state = temp_state("reuse");
        let first = LocalAuthority::open(state.clone()).unwrap();
        assert!(first.was_created());
        let second = LocalAuthority::open(state.clone()).unwrap();
        assert!(!second.was_created());
        assert_eq!(first.ca_certificate(), second.ca_certificate());
        assert_eq!(
            std::fs::read(first.ca_file()).unwrap(),
            std::fs::read(second.ca_file()).unwrap()
        );
        use std::os::unix::fs::PermissionsExt as _;
        let key = state.path().join("ca/ca-key.pem");
        let mode = std::fs::metadata(&key).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let _ = std::fs::remove_dir_all(state.path());
    }

    #[test]
    fn a_broken_ca_stops_the_start_and_is_left_as_it_was() {
        for (name, damage) in [
            ("no-key", "remove-key"),
            ("no-cert", "remove-cert"),
            ("garbage-cert", "garbage-cert"),
            ("other-key", "other-key"),
        ] {
            let state = temp_state(name);
            LocalAuthority::open(state.clone()).unwrap();
            let cert = state.path().join("ca/ca.pem");
            let key = state.path().join("ca/ca-key.pem");
            match damage {
                "remove-key" => std::fs::remove_file(&key).unwrap(),
                "remove-cert" => std::fs::remove_file(&cert).unwrap(),
                "garbage-cert" => std::fs::write(&cert, "not a certificate").unwrap(),
                _ => {
                    let other = KeyPair::generate().unwrap();
                    std::fs::write(&key, other.serialize_pem()).unwrap();
                }
            }
            let before: Vec<Option<Vec<u8>>> = [&cert, &key]
                .iter()
                .map(|p| std::fs::read(p).ok())
                .collect();
            let error = LocalAuthority::open(state.clone()).unwrap_err();
            assert!(
                matches!(error, TlsError::UnusableCa { .. }),
                "{name}: {error}"
            );
            let message = error.to_string();
            assert!(message.contains("never replaces"), "{name}: {message}");
            let after: Vec<Option<Vec<u8>>> = [&cert, &key]
                .iter()
                .map(|p| std::fs::read(p).ok())
                .collect();
            assert_eq!(before, after, "{name}: the files were touched");
            let _ = std::fs::remove_dir_all(state.path());
        }
    }
}
