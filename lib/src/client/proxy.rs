//! Whether a request would travel through an HTTP proxy, by the rules reqwest applies.
//!
//! reqwest (built without its `system-proxy` feature) routes requests by `HTTP_PROXY`,
//! `HTTPS_PROXY`, `ALL_PROXY` and `NO_PROXY` (upper or lower case, upper first; `HTTP_PROXY`
//! ignored under CGI, when `REQUEST_METHOD` is set), through `hyper_util`'s proxy matcher.
//! The same matcher is built here from the same variables, so the client can refuse what
//! reqwest would do: send a *signed* `http://` request to a proxy, which would read the
//! `authorization` header and the session token in clear (an `https://` request is tunnelled
//! with `CONNECT`, and the proxy sees only ciphertext).

use std::fmt;

use hyper_util::client::proxy::matcher::Matcher;

/// The proxy routing of the environment the client was built in.
pub(crate) struct ProxyRules(Matcher);

impl ProxyRules {
    /// Reads the variables through `lookup` (the process environment in production).
    pub(crate) fn from_lookup(lookup: &impl Fn(&str) -> Option<String>) -> Self {
        if lookup("REQUEST_METHOD").is_some() {
            // hyper_util ignores every proxy variable under CGI (httpoxy): so does reqwest.
            return ProxyRules(Matcher::builder().build());
        }
        let first = |names: [&str; 2]| names.into_iter().find_map(lookup).unwrap_or_default();
        ProxyRules(
            Matcher::builder()
                .all(first(["ALL_PROXY", "all_proxy"]))
                .http(first(["HTTP_PROXY", "http_proxy"]))
                .https(first(["HTTPS_PROXY", "https_proxy"]))
                .no(first(["NO_PROXY", "no_proxy"]))
                .build(),
        )
    }

    /// Whether a request to `uri` would go through a proxy.
    pub(crate) fn proxies(&self, uri: &http::Uri) -> bool {
        self.0.intercept(uri).is_some()
    }
}

impl fmt::Debug for ProxyRules {
    // The matcher's own Debug shows proxy URLs, which may hold credentials.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ProxyRules(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn rules(vars: &[(&str, &str)]) -> ProxyRules {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        ProxyRules::from_lookup(&|name: &str| map.get(name).cloned())
    }

    fn proxied(rules: &ProxyRules, uri: &str) -> bool {
        rules.proxies(&uri.parse().unwrap())
    }

    #[test]
    fn each_variable_routes_its_scheme_and_no_proxy_exempts() {
        let http = rules(&[("HTTP_PROXY", "http://proxy.internal:3128")]);
        assert!(proxied(&http, "http://svc.example/app"));
        assert!(!proxied(&http, "https://svc.example/app"));

        let all = rules(&[
            ("all_proxy", "http://proxy.internal:3128"),
            ("NO_PROXY", "example.on.aws, 10.0.0.0/8"),
        ]);
        assert!(proxied(&all, "http://svc.example/app"));
        assert!(proxied(&all, "https://svc.example/app"));
        assert!(!proxied(&all, "http://svc-1.example.on.aws/app"));
        assert!(!proxied(&all, "http://10.1.2.3:8080/app"));

        assert!(!proxied(&rules(&[]), "http://svc.example/app"));
    }

    #[test]
    fn upper_case_wins_and_cgi_ignores_proxies() {
        let both = rules(&[("HTTP_PROXY", ""), ("http_proxy", "http://proxy:1")]);
        assert!(
            !proxied(&both, "http://svc.example/"),
            "an empty HTTP_PROXY is read first"
        );
        let cgi = rules(&[("HTTP_PROXY", "http://proxy:1"), ("REQUEST_METHOD", "GET")]);
        assert!(!proxied(&cgi, "http://svc.example/"));
    }

    #[test]
    fn debug_does_not_show_proxy_credentials() {
        let with_auth = rules(&[("HTTP_PROXY", "http://user:hunter2@proxy:1")]);
        assert!(!format!("{with_auth:?}").contains("hunter2"));
    }
}
