//! Service URLs in function environments, rewritten to where lattice-local serves them.
//!
//! In a template, `!GetAtt Service.DnsEntry.DomainName` evaluates to
//! `<service>.lattice.localhost`, so a function's `https://<service>.lattice.localhost/app` is
//! what `https://<service>-….vpc-lattice-svcs.<region>.on.aws/app` is in AWS: the listener with
//! that protocol and port (443 for `https://`, 80 for `http://`, or the one written). It is
//! rewritten to that listener's own local port, `https://127.0.0.1:<port>/app` when the listener
//! is served over TLS (the certificate names `127.0.0.1`; the system resolver does not map
//! `*.lattice.localhost` to loopback, so a function could not reach the name itself).

use crate::dataplane::ServiceEndpoint;
use crate::model::LOCAL_DOMAIN;

/// `value` with every `http(s)://<service>.lattice.localhost[:port]` of a served listener
/// replaced by that listener's local URL. A URL whose service has no listener of that
/// protocol and port is left as it is (in AWS it would not connect either) and logged.
///
/// ```
/// # use lattice_local::dataplane::{ListenerEndpoint, ServiceEndpoint};
/// # use lattice_local::up::rewrite_service_urls;
/// let listener = ListenerEndpoint {
///     listener: "L".into(), protocol: "HTTPS".into(), lattice_port: 443, tls: true,
///     addr: "127.0.0.1:41000".parse().unwrap(), host_url: None,
/// };
/// let eks = ServiceEndpoint {
///     name: "eks-app".into(), addr: listener.addr, tls: true, host_url: String::new(),
///     listeners: vec![listener],
/// };
/// assert_eq!(
///     rewrite_service_urls("https://eks-app.lattice.localhost/app", &[eks]),
///     "https://127.0.0.1:41000/app"
/// );
/// ```
pub fn rewrite_service_urls<'a>(
    value: &str,
    endpoints: impl IntoIterator<Item = &'a ServiceEndpoint>,
) -> String {
    let mut value = value.to_owned();
    for endpoint in endpoints {
        for https in [true, false] {
            let scheme = if https { "https" } else { "http" };
            let remote = format!("{scheme}://{}.{LOCAL_DOMAIN}", endpoint.name);
            value = replace_each(&value, &remote, |port| {
                let lattice_port = port.unwrap_or(if https { 443 } else { 80 });
                let found = endpoint.listener_for(https, lattice_port);
                if found.is_none() {
                    tracing::warn!(
                        url = %remote,
                        lattice_port,
                        "a function's environment names a listener the service does not have; left as it is"
                    );
                }
                found.map(|listener| listener.url())
            });
        }
    }
    value
}

/// Replaces each occurrence of `prefix` that ends the URL's authority (followed by `:port`,
/// `/`, `?`, `#` or nothing) with what `local` gives for its explicit port, if anything.
fn replace_each(
    value: &str,
    prefix: &str,
    mut local: impl FnMut(Option<u16>) -> Option<String>,
) -> String {
    let mut out = String::with_capacity(value.len());
    let mut rest = value;
    while let Some(start) = rest.find(prefix) {
        out.push_str(&rest[..start]);
        let after = &rest[start + prefix.len()..];
        let (port, authority_end) = match after.strip_prefix(':') {
            Some(digits) => {
                let count = digits.bytes().take_while(u8::is_ascii_digit).count();
                (digits[..count].parse::<u16>().ok(), count + 1)
            }
            None => (None, 0),
        };
        let ends_authority = after[authority_end..]
            .chars()
            .next()
            .is_none_or(|c| matches!(c, '/' | '?' | '#'));
        let replacement = ends_authority.then(|| local(port)).flatten();
        match replacement {
            Some(url) => {
                out.push_str(&url);
                rest = &after[authority_end..];
            }
            None => {
                out.push_str(prefix);
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataplane::ListenerEndpoint;

    fn listener(protocol: &str, lattice_port: u16, local: u16) -> ListenerEndpoint {
        ListenerEndpoint {
            listener: format!("{protocol}{lattice_port}"),
            protocol: protocol.into(),
            lattice_port,
            tls: protocol == "HTTPS",
            addr: ([127, 0, 0, 1], local).into(),
            host_url: None,
        }
    }

    fn service(name: &str, listeners: Vec<ListenerEndpoint>) -> ServiceEndpoint {
        ServiceEndpoint {
            name: name.into(),
            addr: listeners[0].addr,
            tls: listeners[0].tls,
            host_url: String::new(),
            listeners,
        }
    }

    #[test]
    fn each_url_goes_to_the_listener_of_its_protocol_and_port() {
        let both = service(
            "foo",
            vec![listener("HTTPS", 443, 4443), listener("HTTP", 80, 8080)],
        );
        let other = service("foo-service", vec![listener("HTTPS", 8443, 5443)]);
        let endpoints = [both, other];
        let rewrite = |value: &str| rewrite_service_urls(value, &endpoints);
        assert_eq!(
            rewrite("https://foo.lattice.localhost/app?x=1"),
            "https://127.0.0.1:4443/app?x=1"
        );
        assert_eq!(
            rewrite("http://foo.lattice.localhost"),
            "http://127.0.0.1:8080"
        );
        assert_eq!(
            rewrite("https://foo.lattice.localhost:443/a,http://foo.lattice.localhost:80/b"),
            "https://127.0.0.1:4443/a,http://127.0.0.1:8080/b"
        );
        // foo-service listens on 8443 only: https:// without a port would reach 443.
        assert_eq!(
            rewrite("https://foo-service.lattice.localhost:8443/x"),
            "https://127.0.0.1:5443/x"
        );
        assert_eq!(
            rewrite("https://foo-service.lattice.localhost/x"),
            "https://foo-service.lattice.localhost/x"
        );
        // Not a service's authority: a longer name, or no listener on that port.
        assert_eq!(
            rewrite("https://foo.lattice.localhost.example/x"),
            "https://foo.lattice.localhost.example/x"
        );
        assert_eq!(
            rewrite("http://foo.lattice.localhost:81/"),
            "http://foo.lattice.localhost:81/"
        );
    }
}
