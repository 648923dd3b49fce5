//! A service's certificate for the names it carries ([`CertificateNames`]):
//! [`LocalAuthority::service_certificate`], which reuses the one in the state directory while it
//! is still right (same names, signed by the current CA, more than 30 days left) and issues a
//! new one otherwise.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rcgen::{
    CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair, KeyUsagePurpose,
    PKCS_RSA_SHA256,
};
use rustls::client::danger::ServerCertVerifier as _;
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, UnixTime};
use rustls::sign::CertifiedKey;

use super::authority::{BACKDATE, LocalAuthority, offset_now, random_serial};
use super::error::TlsError;
use super::names::CertificateNames;
use super::provider::lattice_provider;
use super::read_back::certificate_facts;
use super::state_dir::{Secrecy, keep_private, read, write_file};
use crate::model::LOCAL_DOMAIN;

/// How long a new service certificate is valid. Under the 825 days Apple's platforms accept
/// for certificates of user-trusted CAs, so Safari and `URLSession` accept it too.
const LEAF_VALIDITY: Duration = Duration::from_secs(365 * 24 * 3600);

/// A certificate with less than this left is replaced at start.
const RENEW_BEFORE: Duration = Duration::from_secs(30 * 24 * 3600);

/// A service's certificate and key, ready for rustls, and where they are kept.
#[derive(Clone, Debug)]
pub struct ServiceCertificate {
    /// The certificate and its signing key.
    pub certified_key: Arc<CertifiedKey>,
    /// The certificate (PEM), e.g. for another server to use.
    pub cert_file: PathBuf,
    /// Its private key (PEM, mode 0600).
    pub key_file: PathBuf,
    /// Whether this start issued it (none was kept, or the kept one was not right any more).
    pub issued: bool,
}

impl LocalAuthority {
    /// The certificate of `service` for `names`: the one kept in the state directory's
    /// `services/` if it carries exactly `names`, verifies against this CA for each of them
    /// and stays valid for more than 30 days; otherwise a new one (RSA 2048, like the
    /// certificates Lattice serves: its TLS 1.2 suites are all `ECDHE-RSA`), written there.
    pub fn service_certificate(
        &self,
        service: &str,
        names: &CertificateNames,
    ) -> Result<ServiceCertificate, TlsError> {
        let dir = self.state_dir().subdir("services")?;
        let stem = file_stem(service);
        let cert_file = dir.join(format!("{stem}.pem"));
        let key_file = dir.join(format!("{stem}-key.pem"));
        let _lock = self.state_dir().lock()?;
        if let Some(certified_key) = self.kept(&cert_file, &key_file, names)? {
            return Ok(ServiceCertificate {
                certified_key,
                cert_file,
                key_file,
                issued: false,
            });
        }
        let what = format!("the certificate of {service}");
        let generate = |source| TlsError::Generate {
            what: what.clone(),
            source,
        };
        let key = KeyPair::generate_for(&PKCS_RSA_SHA256).map_err(generate)?;
        let mut params = CertificateParams::default();
        params.subject_alt_names = names.subject_alt_names().map_err(generate)?;
        params.distinguished_name = rcgen::DistinguishedName::new();
        params.distinguished_name.push(
            DnType::CommonName,
            format!("{}.{LOCAL_DOMAIN}", service.to_ascii_lowercase()),
        );
        params.is_ca = IsCa::ExplicitNoCa;
        params.key_usages = vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::KeyEncipherment,
        ];
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        params.use_authority_key_identifier_extension = true;
        params.not_before = offset_now(Duration::ZERO, BACKDATE);
        params.not_after = offset_now(LEAF_VALIDITY, Duration::ZERO);
        params.serial_number = Some(random_serial());
        let certificate = self.sign(&params, &key, &what)?;
        let private = PrivatePkcs8KeyDer::from(key.serialize_der()).into();
        let certified_key = certified(certificate.der().clone(), private, &what)?;
        self.check(certificate.der(), names, SystemTime::now())
            .map_err(|reason| TlsError::IssuedCertificateInvalid {
                service: service.to_owned(),
                reason,
            })?;
        write_file(&key_file, key.serialize_pem().as_bytes(), Secrecy::Private)?;
        write_file(&cert_file, certificate.pem().as_bytes(), Secrecy::Public)?;
        Ok(ServiceCertificate {
            certified_key,
            cert_file,
            key_file,
            issued: true,
        })
    }

    /// The kept certificate, if it is still right; `None` (so a new one is issued) if it is
    /// missing, does not parse, names other things, was issued by another CA or is about to
    /// expire.
    fn kept(
        &self,
        cert_file: &std::path::Path,
        key_file: &std::path::Path,
        names: &CertificateNames,
    ) -> Result<Option<Arc<CertifiedKey>>, TlsError> {
        if !cert_file.exists() || !key_file.exists() {
            return Ok(None);
        }
        keep_private(key_file)?;
        let Ok(der) = CertificateDer::from_pem_slice(&read(cert_file)?) else {
            return Ok(None);
        };
        match certificate_facts(&der) {
            Some(facts) if facts.names == *names => {}
            _ => return Ok(None),
        }
        let now = SystemTime::now();
        if self.check(&der, names, now).is_err()
            || self.check(&der, names, now + RENEW_BEFORE).is_err()
        {
            return Ok(None);
        }
        let key = read(key_file)?;
        let Ok(private) = PrivateKeyDer::from_pem_slice(&key) else {
            return Ok(None);
        };
        Ok(certified(der, private, "a kept certificate").ok())
    }

    /// Whether a client trusting this CA alone accepts `certificate` at `at` for every name.
    fn check(
        &self,
        certificate: &CertificateDer<'_>,
        names: &CertificateNames,
        at: SystemTime,
    ) -> Result<(), String> {
        let since_epoch = at.duration_since(UNIX_EPOCH).unwrap_or_default();
        for name in names.server_names() {
            let name = name.ok_or_else(|| "a name is not a valid DNS name".to_owned())?;
            self.verifier()
                .verify_server_cert(
                    certificate,
                    &[],
                    &name,
                    &[],
                    UnixTime::since_unix_epoch(since_epoch),
                )
                .map_err(|e| format!("{}: {e}", name.to_str()))?;
        }
        Ok(())
    }
}

/// A rustls certificate-and-key, checked to belong together.
fn certified(
    certificate: CertificateDer<'static>,
    key: PrivateKeyDer<'static>,
    what: &str,
) -> Result<Arc<CertifiedKey>, TlsError> {
    CertifiedKey::from_der(vec![certificate], key, &lattice_provider())
        .map(Arc::new)
        .map_err(|source| TlsError::Rustls {
            what: what.to_owned(),
            source,
        })
}

/// A file name for a service: its name where that is safe, `_` for anything else.
fn file_stem(service: &str) -> String {
    let stem: String = service
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    if stem.is_empty() {
        "_".to_owned()
    } else {
        stem
    }
}

#[cfg(test)]
mod tests {
    use std::net::IpAddr;

    use super::*;
    use crate::tls::StateDir;

    fn authority(name: &str) -> LocalAuthority {
        let path =
            std::env::temp_dir().join(format!("lattice-local-leaf-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        LocalAuthority::open(StateDir::open(path).unwrap()).unwrap()
    }

    #[test]
    fn a_kept_certificate_is_reused_until_its_names_change() {
        let ca = authority("reuse");
        let names = CertificateNames::for_service("foo-service", &[]);
        let first = ca.service_certificate("foo-service", &names).unwrap();
        assert!(first.issued);
        let again = ca.service_certificate("foo-service", &names).unwrap();
        assert!(!again.issued, "the kept certificate was replaced");
        assert_eq!(
            first.certified_key.cert, again.certified_key.cert,
            "same certificate"
        );
        // Another address to serve on: a certificate naming it.
        let lan: IpAddr = "192.168.7.9".parse().unwrap();
        let wider = CertificateNames::for_service("foo-service", &[lan]);
        let reissued = ca.service_certificate("foo-service", &wider).unwrap();
        assert!(reissued.issued);
        ca.check(&reissued.certified_key.cert[0], &wider, SystemTime::now())
            .unwrap();
        // And back: the wider one names too much, so a narrower one replaces it.
        assert!(
            ca.service_certificate("foo-service", &names)
                .unwrap()
                .issued
        );
        let _ = std::fs::remove_dir_all(ca.state_dir().path());
    }

    #[test]
    fn a_certificate_of_another_ca_or_near_its_end_is_replaced() {
        let ca = authority("replace");
        let names = CertificateNames::for_service("bar", &[]);
        let issued = ca.service_certificate("bar", &names).unwrap();
        // The same names, signed by a CA this state directory does not have.
        let other = authority("replace-other");
        let foreign = other.service_certificate("bar", &names).unwrap();
        std::fs::copy(&foreign.cert_file, &issued.cert_file).unwrap();
        std::fs::copy(&foreign.key_file, &issued.key_file).unwrap();
        assert!(ca.service_certificate("bar", &names).unwrap().issued);
        // Valid now, but not 30 days from now.
        let mut params = CertificateParams::default();
        params.subject_alt_names = names.subject_alt_names().unwrap();
        params.not_before = offset_now(Duration::ZERO, BACKDATE);
        params.not_after = offset_now(Duration::from_secs(10 * 24 * 3600), Duration::ZERO);
        let key = KeyPair::generate_for(&PKCS_RSA_SHA256).unwrap();
        let short = ca.sign(&params, &key, "test").unwrap();
        std::fs::write(&issued.cert_file, short.pem()).unwrap();
        std::fs::write(&issued.key_file, key.serialize_pem()).unwrap();
        assert!(ca.check(short.der(), &names, SystemTime::now()).is_ok());
        assert!(ca.service_certificate("bar", &names).unwrap().issued);
        let _ = std::fs::remove_dir_all(ca.state_dir().path());
        let _ = std::fs::remove_dir_all(other.state_dir().path());
    }

    #[test]
    fn file_names_keep_only_safe_characters() {
        assert_eq!(file_stem("foo-service"), "foo-service");
        assert_eq!(file_stem("../etc/passwd"), "___etc_passwd");
        assert_eq!(file_stem(""), "_");
    }
}
