//! What a request's `Host` (or an `Origin`) names, and the check every loopback-only API
//! (Invoke API, Runtime API) applies before anything else.
//!
//! Why: a web page open in the developer's browser can send "simple" cross-origin requests to
//! `127.0.0.1` (its `Origin` says where it comes from), and with DNS rebinding it can make the
//! browser send requests whose `Host` is the attacker's own name and read the answers. A server
//! that only answers loopback `Host`s and refuses cross-site `Origin`s is out of reach of both.

use std::net::{IpAddr, Ipv6Addr};

use http::{HeaderMap, Uri, header};

/// What a `Host` value names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HostName<'a> {
    /// A loopback address literal (`127.0.0.1`, any `127.x.y.z`, `[::1]`) or `localhost`.
    Loopback,
    /// Another IP address literal.
    OtherAddress(IpAddr),
    /// A DNS name as sent (compare it case-insensitively), without port or trailing dot.
    Name(&'a str),
}

/// The host a request names: its `Host` header, else the authority of an absolute-form URI.
pub fn request_host<'a>(headers: &'a HeaderMap, uri: &'a Uri) -> Option<&'a str> {
    match headers.get(header::HOST) {
        Some(value) => value.to_str().ok(),
        None => uri.authority().map(|a| a.as_str()),
    }
}

/// Gives an HTTP/2 request the `Host` header its `:authority` stands for (RFC 9113 §8.3.1), so
/// every later step (the `Host` check, signature verification, the `Host` forwarded to the
/// target) reads one header whatever the client's HTTP version. A request that has a `Host`
/// keeps it.
///
/// ```
/// let mut parts = http::Request::get("http://shop.lattice.localhost:8080/app")
///     .version(http::Version::HTTP_2)
///     .body(())
///     .unwrap()
///     .into_parts()
///     .0;
/// lattice_local::net::host::host_from_authority(&mut parts);
/// assert_eq!(parts.headers["host"], "shop.lattice.localhost:8080");
/// ```
pub fn host_from_authority(parts: &mut http::request::Parts) {
    if parts.version != http::Version::HTTP_2 || parts.headers.contains_key(header::HOST) {
        return;
    }
    if let Some(value) = parts
        .uri
        .authority()
        .and_then(|a| http::HeaderValue::from_str(a.as_str()).ok())
    {
        parts.headers.insert(header::HOST, value);
    }
}

/// Parses a `Host` value (`name`, `name:port`, `1.2.3.4:80`, `[::1]:80`, `name.`). `None`
/// when it is not a host at all (user info, a bare IPv6 address, characters DNS names lack).
///
/// ```
/// use lattice_local::net::host::{HostName, parse_host};
/// assert_eq!(parse_host("127.0.0.1:8080"), Some(HostName::Loopback));
/// assert_eq!(parse_host("LOCALHOST"), Some(HostName::Loopback));
/// assert_eq!(parse_host("foo.lattice.localhost.:8080"), Some(HostName::Name("foo.lattice.localhost")));
/// assert_eq!(parse_host("evil@127.0.0.1"), None);
/// ```
pub fn parse_host(value: &str) -> Option<HostName<'_>> {
    if let Some(rest) = value.strip_prefix('[') {
        let (inside, after) = rest.split_once(']')?;
        if !(after.is_empty() || is_port_suffix(after)) {
            return None;
        }
        let address: Ipv6Addr = inside.parse().ok()?;
        return Some(classify_address(IpAddr::V6(address)));
    }
    let host = match value.rsplit_once(':') {
        Some((host, port)) if is_port_suffix(&value[host.len()..]) && !port.is_empty() => host,
        Some(_) => return None,
        None => value,
    };
    let host = host.strip_suffix('.').unwrap_or(host);
    if host.is_empty() {
        return None;
    }
    if let Ok(address) = host.parse::<IpAddr>() {
        return Some(classify_address(address));
    }
    if host.eq_ignore_ascii_case("localhost") {
        return Some(HostName::Loopback);
    }
    let dns_name = host
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_'));
    dns_name.then_some(HostName::Name(host))
}

fn is_port_suffix(suffix: &str) -> bool {
    suffix
        .strip_prefix(':')
        .is_some_and(|port| port.bytes().all(|b| b.is_ascii_digit()))
}

fn classify_address(address: IpAddr) -> HostName<'static> {
    if address.is_loopback() {
        HostName::Loopback
    } else {
        HostName::OtherAddress(address)
    }
}

/// Why a loopback-only API refused a request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LocalOnlyRefusal {
    /// `Host` names something other than a loopback address or `localhost`.
    #[error(
        "Host {0:?} is not a loopback address or localhost: this API serves this machine only \
         (another name here means a misdirected request or DNS rebinding)"
    )]
    ForeignHost(String),
    /// `Origin` names a web page that is not on this machine.
    #[error("Origin {0:?} is cross-site: web pages may not call this API")]
    CrossSiteOrigin(String),
    /// The browser says the request comes from another site.
    #[error("Sec-Fetch-Site: cross-site: web pages may not call this API")]
    CrossSiteFetch,
}

/// Refuses requests a loopback-only API must not answer: a `Host` that is not loopback, an
/// `Origin` from another site (including `null`), `Sec-Fetch-Site: cross-site`. Requests
/// without `Host` or `Origin` (SDKs, the AWS CLI, runtimes) pass: browsers always send `Host`.
pub fn check_local_request(headers: &HeaderMap, uri: &Uri) -> Result<(), LocalOnlyRefusal> {
    if let Some(host) = request_host(headers, uri)
        && parse_host(host) != Some(HostName::Loopback)
    {
        return Err(LocalOnlyRefusal::ForeignHost(host.to_owned()));
    }
    for origin in headers.get_all(header::ORIGIN) {
        let text = String::from_utf8_lossy(origin.as_bytes());
        if !is_loopback_origin(&text) {
            return Err(LocalOnlyRefusal::CrossSiteOrigin(text.into_owned()));
        }
    }
    let cross_site = headers
        .get_all("sec-fetch-site")
        .iter()
        .any(|v| v.as_bytes().eq_ignore_ascii_case(b"cross-site"));
    if cross_site {
        return Err(LocalOnlyRefusal::CrossSiteFetch);
    }
    Ok(())
}

/// Whether `origin` (`scheme://host[:port]`) is a page served from this machine.
fn is_loopback_origin(origin: &str) -> bool {
    origin
        .split_once("://")
        .and_then(|(_, authority)| parse_host(authority))
        == Some(HostName::Loopback)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_are_classified_with_or_without_port_and_trailing_dot() {
        for loopback in [
            "127.0.0.1",
            "127.0.0.1:9001",
            "127.1.2.3",
            "[::1]",
            "[::1]:80",
            "localhost",
            "LocalHost.:8080",
        ] {
            assert_eq!(parse_host(loopback), Some(HostName::Loopback), "{loopback}");
        }
        assert_eq!(
            parse_host("10.0.0.5:80"),
            Some(HostName::OtherAddress("10.0.0.5".parse().unwrap()))
        );
        assert_eq!(
            parse_host("Foo-Service.lattice.localhost:8080"),
            Some(HostName::Name("Foo-Service.lattice.localhost"))
        );
        for malformed in [
            "",
            ":80",
            "::1",
            "[::1",
            "a b",
            "user@localhost",
            "x:y",
            "[::1]x",
        ] {
            assert_eq!(parse_host(malformed), None, "{malformed:?}");
        }
    }

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(
                http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
                value.parse().unwrap(),
            );
        }
        map
    }

    #[test]
    fn loopback_apis_refuse_foreign_hosts_and_cross_site_pages() {
        let uri = Uri::from_static("/2015-03-31/functions/f/invocations");
        let check = |pairs: &[(&str, &str)]| check_local_request(&headers(pairs), &uri);
        assert_eq!(check(&[("host", "127.0.0.1:9001")]), Ok(()));
        assert_eq!(check(&[]), Ok(()));
        assert_eq!(
            check(&[
                ("host", "localhost:9001"),
                ("origin", "http://localhost:3000")
            ]),
            Ok(())
        );
        assert_eq!(
            check(&[("host", "attacker.example:9001")]),
            Err(LocalOnlyRefusal::ForeignHost(
                "attacker.example:9001".into()
            ))
        );
        assert_eq!(
            check(&[
                ("host", "127.0.0.1:9001"),
                ("origin", "https://evil.example")
            ]),
            Err(LocalOnlyRefusal::CrossSiteOrigin(
                "https://evil.example".into()
            ))
        );
        assert_eq!(
            check(&[("host", "127.0.0.1:9001"), ("origin", "null")]),
            Err(LocalOnlyRefusal::CrossSiteOrigin("null".into()))
        );
        assert_eq!(
            check(&[("host", "127.0.0.1:9001"), ("sec-fetch-site", "cross-site")]),
            Err(LocalOnlyRefusal::CrossSiteFetch)
        );
        assert_eq!(
            check(&[
                ("host", "127.0.0.1:9001"),
                ("sec-fetch-site", "same-origin")
            ]),
            Ok(())
        );
    }
}
