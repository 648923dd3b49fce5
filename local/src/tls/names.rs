//! [`CertificateNames`]: the names a service's certificate carries, as issued and as read back
//! from a kept certificate.

use std::collections::BTreeSet;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use rcgen::SanType;
use rustls::pki_types::ServerName;

use crate::model::LOCAL_DOMAIN;

/// The names a service's certificate carries: DNS names and IP addresses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertificateNames {
    dns: BTreeSet<String>,
    ips: BTreeSet<IpAddr>,
}

impl CertificateNames {
    /// What a client may call service `service` locally: `<service>.lattice.localhost` (what
    /// `DnsEntry.DomainName` evaluates to, and what curl resolves to loopback by itself), the
    /// bare name (with a `Host` header or a hosts-file entry), `localhost`, `127.0.0.1` and
    /// `::1`, plus `addresses` (the `--bind` address when it is a specific one, so other
    /// machines can verify it too).
    ///
    /// ```
    /// use lattice_local::tls::CertificateNames;
    /// let names = CertificateNames::for_service("foo-service", &[]);
    /// assert!(names.dns_names().any(|n| n == "foo-service.lattice.localhost"));
    /// assert!(names.ip_addresses().any(|ip| ip.to_string() == "127.0.0.1"));
    /// ```
    pub fn for_service(service: &str, addresses: &[IpAddr]) -> Self {
        let service = service.to_ascii_lowercase();
        let dns = [
            format!("{service}.{LOCAL_DOMAIN}"),
            service,
            "localhost".to_owned(),
        ]
        .into_iter()
        .collect();
        let ips = [
            IpAddr::V4(Ipv4Addr::LOCALHOST),
            IpAddr::V6(Ipv6Addr::LOCALHOST),
        ]
        .into_iter()
        .chain(addresses.iter().copied().filter(|ip| !ip.is_unspecified()))
        .collect();
        CertificateNames { dns, ips }
    }

    /// The DNS names.
    pub fn dns_names(&self) -> impl Iterator<Item = &str> {
        self.dns.iter().map(String::as_str)
    }

    /// The IP addresses.
    pub fn ip_addresses(&self) -> impl Iterator<Item = IpAddr> + '_ {
        self.ips.iter().copied()
    }

    pub(super) fn subject_alt_names(&self) -> Result<Vec<SanType>, rcgen::Error> {
        let mut names = Vec::with_capacity(self.dns.len() + self.ips.len());
        for name in &self.dns {
            names.push(SanType::DnsName(name.as_str().try_into()?));
        }
        names.extend(self.ips.iter().map(|ip| SanType::IpAddress(*ip)));
        Ok(names)
    }

    /// Names as read back from a certificate.
    pub(crate) fn from_parts(
        dns: impl IntoIterator<Item = String>,
        ips: impl IntoIterator<Item = IpAddr>,
    ) -> Self {
        CertificateNames {
            dns: dns.into_iter().collect(),
            ips: ips.into_iter().collect(),
        }
    }

    pub(super) fn server_names(&self) -> impl Iterator<Item = Option<ServerName<'static>>> + '_ {
        let dns = self
            .dns
            .iter()
            .map(|name| ServerName::try_from(name.clone()).ok());
        let ips = self.ips.iter().map(|ip| Some(ServerName::from(*ip)));
        dns.chain(ips)
    }
}
