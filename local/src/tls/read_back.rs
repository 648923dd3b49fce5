//! What a certificate kept in the state directory says about itself: when it stops being valid
//! and which names it carries (read with x509-parser; rcgen writes certificates but does not
//! read these back).

use std::net::IpAddr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rustls::pki_types::CertificateDer;
use x509_parser::extensions::GeneralName;

use super::names::CertificateNames;

/// The facts of a certificate lattice-local decides on.
pub(crate) struct CertificateFacts {
    /// The end of its validity.
    pub not_after: SystemTime,
    /// The same, for messages.
    pub not_after_text: String,
    /// Its subject alternative names.
    pub names: CertificateNames,
}

/// The facts of `der`, or `None` if it does not parse as an X.509 certificate.
pub(crate) fn certificate_facts(der: &CertificateDer<'_>) -> Option<CertificateFacts> {
    let (_, certificate) = x509_parser::parse_x509_certificate(der.as_ref()).ok()?;
    let end = certificate.validity().not_after;
    let not_after = u64::try_from(end.timestamp())
        .map(|secs| UNIX_EPOCH + Duration::from_secs(secs))
        .unwrap_or(UNIX_EPOCH);
    let mut dns = Vec::new();
    let mut ips = Vec::new();
    if let Some(alternative) = certificate.subject_alternative_name().ok()? {
        for name in &alternative.value.general_names {
            match name {
                GeneralName::DNSName(name) => dns.push((*name).to_owned()),
                GeneralName::IPAddress(octets) => ips.push(ip_from_octets(octets)?),
                // A name of any other kind: never one lattice-local asks for.
                other => dns.push(format!("{other:?}")),
            }
        }
    }
    Some(CertificateFacts {
        not_after,
        not_after_text: end.to_string(),
        names: CertificateNames::from_parts(dns, ips),
    })
}

fn ip_from_octets(octets: &[u8]) -> Option<IpAddr> {
    match octets.len() {
        4 => <[u8; 4]>::try_from(octets).ok().map(IpAddr::from),
        16 => <[u8; 16]>::try_from(octets).ok().map(IpAddr::from),
        _ => None,
    }
}
