//! What a target group forwards to: a Lambda function ([`LambdaTarget`]) or HTTP targets
//! ([`HttpTargetGroup`] of [`HttpTarget`]s, balanced by health), plus the headers Lattice adds
//! on the way.

mod group;
pub mod health;
mod health_checks;
mod http;
mod lambda;
mod observer;
mod registration;

use std::net::SocketAddr;
use std::sync::Arc;

use ::http::{HeaderMap, HeaderName, HeaderValue};
use bytes::Bytes;
use http_body_util::{Either, Full};
use lattice_lambda::RequestContext;

pub use self::group::{HttpTargetGroup, TargetHealth};
pub use self::health::{HEALTH_CHECK_USER_AGENT, TargetStatus};
pub use self::health_checks::HealthChecks;
pub use self::http::{HttpTarget, ProxyError};
pub use self::lambda::{LambdaTarget, LambdaTargetError};
pub use self::observer::{ExchangeObserver, Observer};
pub use self::registration::{NoLocalTargets, target_urls, upstream_list};

/// The body of every response lattice-local sends: either built in memory
/// (Lambda responses, errors, fixed responses) or streamed from an upstream.
pub type ResponseBody = Either<Full<Bytes>, hyper::body::Incoming>;

/// A target group's destination.
#[derive(Clone, Debug)]
pub enum Target {
    /// A function run by a [`crate::functions::FunctionPool`].
    Lambda(LambdaTarget),
    /// HTTP targets, shared with their health checks.
    Http(Arc<HttpTargetGroup>),
    /// Nothing can serve the group (no upstream given, function not in the
    /// template); requests get `503` with this reason.
    Unavailable(String),
}

impl Target {
    /// A short description for the access log (function name or upstream URL).
    pub fn describe(&self) -> String {
        match self {
            Target::Lambda(lambda) => format!("lambda:{}", lambda.function_name()),
            Target::Http(group) => group.describe(),
            Target::Unavailable(_) => "unavailable".to_owned(),
        }
    }
}

/// Where a request came from and which listener took it: what Lattice puts
/// in `x-forwarded-*`.
#[derive(Clone, Copy, Debug)]
pub struct ClientInfo {
    /// The client's address.
    pub addr: SocketAddr,
    /// The listener port Lattice would have received it on (443 for HTTPS).
    pub listener_port: u16,
    /// `true` for an HTTPS listener (`x-forwarded-proto: https`).
    pub https: bool,
}

/// Every header whose name starts with this is Lattice's to set (`x-amzn-lattice-identity`,
/// `-network`, `-target`, `-identity-tags`, and any Lattice adds later): targets may trust them
/// because Lattice removes every client copy, whatever its case or count.
pub const LATTICE_HEADER_PREFIX: &str = "x-amzn-lattice-";

/// The `x-forwarded-*` headers Lattice sets (client copies are replaced).
pub const FORWARDED_HEADERS: [&str; 3] =
    ["x-forwarded-for", "x-forwarded-port", "x-forwarded-proto"];

/// Removes every client copy of a header Lattice sets (any `x-amzn-lattice-*`, the
/// `x-forwarded-*` ones), then adds Lattice's own values: the identity, network and target
/// headers from `context`, and `x-forwarded-for/-port/-proto` from `client`.
///
/// ```
/// use http::HeaderMap;
/// use lattice_local::targets::{ClientInfo, apply_lattice_headers};
/// let mut headers = HeaderMap::new();
/// headers.insert("x-amzn-lattice-identity", "Principal=arn:aws:iam::1:root".parse().unwrap());
/// let tags = http::HeaderName::from_bytes(b"X-Amzn-Lattice-Identity-Tags").unwrap();
/// headers.append(&tags, "team=admin".parse().unwrap());
/// headers.append("x-amzn-lattice-identity-tags", "team=root".parse().unwrap());
/// headers.insert("x-forwarded-for", "6.6.6.6".parse().unwrap());
/// let client = ClientInfo { addr: "127.0.0.1:5000".parse().unwrap(), listener_port: 443, https: true };
/// apply_lattice_headers(&mut headers, &lattice_lambda::RequestContext::default(), &client);
/// assert!(headers.get("x-amzn-lattice-identity").is_none());
/// assert!(headers.get("x-amzn-lattice-identity-tags").is_none());
/// assert_eq!(headers["x-forwarded-for"], "127.0.0.1");
/// assert_eq!(headers["x-forwarded-proto"], "https");
/// ```
pub fn apply_lattice_headers(
    headers: &mut HeaderMap,
    context: &RequestContext,
    client: &ClientInfo,
) {
    // Names are stored lowercase, so one prefix test covers every spelling; `remove` drops
    // every value of a repeated header. Collected first: the map cannot change while iterated.
    let spoofed: Vec<HeaderName> = headers
        .keys()
        .filter(|name| name.as_str().starts_with(LATTICE_HEADER_PREFIX))
        .cloned()
        .collect();
    for name in spoofed {
        headers.remove(name);
    }
    for name in FORWARDED_HEADERS {
        headers.remove(name);
    }
    for (name, value) in context.lattice_headers() {
        // Values come from ARNs and the credentials file; skip any that HTTP cannot carry.
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(HeaderName::from_static(name), value);
        }
    }
    let forwarded = [
        ("x-forwarded-for", client.addr.ip().to_string()),
        ("x-forwarded-port", client.listener_port.to_string()),
        (
            "x-forwarded-proto",
            if client.https { "https" } else { "http" }.to_owned(),
        ),
    ];
    for (name, value) in forwarded {
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(HeaderName::from_static(name), value);
        }
    }
}

/// Hop-by-hop headers: they describe one connection and are never forwarded.
const HOP_BY_HOP: [&str; 8] = [
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
];

/// Removes hop-by-hop headers, including any the `Connection` header names.
pub(crate) fn strip_hop_by_hop(headers: &mut HeaderMap) {
    let named: Vec<HeaderName> = headers
        .get_all(::http::header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|name| HeaderName::from_bytes(name.trim().as_bytes()).ok())
        .collect();
    for name in named {
        headers.remove(name);
    }
    for name in HOP_BY_HOP {
        headers.remove(name);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lattice_lambda::{AuthType, IDENTITY_HEADER, Identity, NETWORK_HEADER, TARGET_HEADER};

    /// Every header a client might send to impersonate Lattice, in mixed spellings.
    const SPOOFED: [&str; 8] = [
        IDENTITY_HEADER,
        NETWORK_HEADER,
        TARGET_HEADER,
        "X-Amzn-Lattice-Identity-Tags",
        "x-amzn-lattice-future-header",
        "x-forwarded-for",
        "X-Forwarded-Port",
        "x-forwarded-proto",
    ];

    #[test]
    fn spoofed_lattice_headers_are_replaced_by_lattice_values() {
        let mut headers = HeaderMap::new();
        for name in SPOOFED {
            let name = HeaderName::from_bytes(name.as_bytes()).unwrap();
            headers.append(&name, HeaderValue::from_static("spoofed"));
            headers.append(&name, HeaderValue::from_static("spoofed-twice"));
        }
        headers.insert("x-kept", HeaderValue::from_static("yes"));
        let context = RequestContext {
            service_arn: Some("arn:svc".into()),
            identity: Identity {
                principal: Some("arn:aws:iam::000000000000:role/demo".into()),
                auth_type: Some(AuthType::AwsIam),
                ..Identity::default()
            },
            ..RequestContext::default()
        };
        let client = ClientInfo {
            addr: "127.0.0.9:4000".parse().unwrap(),
            listener_port: 80,
            https: false,
        };
        apply_lattice_headers(&mut headers, &context, &client);
        for name in SPOOFED {
            let name = HeaderName::from_bytes(name.as_bytes()).unwrap();
            let values: Vec<_> = headers.get_all(&name).iter().collect();
            assert!(
                values
                    .iter()
                    .all(|v| !v.to_str().unwrap().contains("spoofed")),
                "{name}: {values:?}"
            );
        }
        assert_eq!(headers[TARGET_HEADER], "ServiceArn=arn:svc");
        assert_eq!(
            headers[IDENTITY_HEADER],
            "Principal=arn:aws:iam::000000000000:role/demo; Type=AWS_IAM"
        );
        // No source VPC known: no network header at all, not the spoofed one.
        assert!(headers.get(NETWORK_HEADER).is_none());
        assert_eq!(headers["x-forwarded-for"], "127.0.0.9");
        assert_eq!(headers["x-forwarded-port"], "80");
        assert_eq!(headers["x-forwarded-proto"], "http");
        assert_eq!(headers["x-kept"], "yes");
        assert!(headers.get("x-amzn-lattice-identity-tags").is_none());
        assert!(headers.get("x-amzn-lattice-future-header").is_none());
    }

    #[test]
    fn hop_by_hop_headers_and_those_named_by_connection_are_removed() {
        let mut headers = HeaderMap::new();
        headers.insert(
            "connection",
            HeaderValue::from_static("keep-alive, x-private"),
        );
        headers.insert("x-private", HeaderValue::from_static("1"));
        headers.insert("transfer-encoding", HeaderValue::from_static("chunked"));
        headers.insert("x-public", HeaderValue::from_static("1"));
        strip_hop_by_hop(&mut headers);
        assert_eq!(
            headers.keys().map(|k| k.as_str()).collect::<Vec<_>>(),
            ["x-public"]
        );
    }
}
