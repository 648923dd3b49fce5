//! Gateway API `gateway.networking.k8s.io/v1` kinds: `Gateway` and `HTTPRoute`.
//!
//! Every field of the upstream v1 schema is known and anything else is rejected. Fields the AWS
//! Gateway API Controller ignores or refuses are still typed, so the mapping can refuse them by
//! name (query parameter matches, regular expressions) or report them (filters, hostnames).

use serde::Deserialize;
use serde::de::IgnoredAny;

use super::meta::{Object, ObjectKey};

/// The API version of both kinds.
pub const GATEWAY_API_VERSION: &str = "gateway.networking.k8s.io/v1";

/// The API group of both kinds.
pub const GATEWAY_API_GROUP: &str = "gateway.networking.k8s.io";

/// The `gatewayClassName` of the AWS Gateway API Controller.
pub const LATTICE_GATEWAY_CLASS: &str = "amazon-vpc-lattice";

/// A `Gateway`.
pub type Gateway = Object<GatewaySpec>;

/// An `HTTPRoute`.
pub type HttpRoute = Object<HttpRouteSpec>;

/// `Gateway.spec`.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct GatewaySpec {
    /// `gatewayClassName` ([`LATTICE_GATEWAY_CLASS`] for Lattice).
    pub gateway_class_name: String,
    /// `listeners`.
    pub listeners: Vec<GatewayListener>,
    /// `addresses` (no Lattice meaning).
    #[serde(default)]
    pub addresses: Option<IgnoredAny>,
    #[serde(default, rename = "infrastructure")]
    _infrastructure: Option<IgnoredAny>,
    #[serde(default, rename = "allowedListeners")]
    _allowed_listeners: Option<IgnoredAny>,
    #[serde(default, rename = "tls")]
    _tls: Option<IgnoredAny>,
    #[serde(default, rename = "defaultScope")]
    _default_scope: Option<IgnoredAny>,
}

/// A Gateway listener: what becomes a Lattice listener of every route attached to it.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct GatewayListener {
    /// `name` (what a route's `sectionName` refers to).
    pub name: String,
    /// `port`.
    pub port: u16,
    /// `protocol`: `HTTP`, `HTTPS`, `TLS`, …
    pub protocol: String,
    /// `hostname`.
    #[serde(default)]
    pub hostname: Option<String>,
    /// `tls` (certificate options; Lattice manages the certificate of generated names).
    #[serde(default)]
    pub tls: Option<IgnoredAny>,
    /// `allowedRoutes`.
    #[serde(default)]
    pub allowed_routes: Option<IgnoredAny>,
}

impl Gateway {
    /// The listener named `name`.
    pub fn listener(&self, name: &str) -> Option<&GatewayListener> {
        self.spec.listeners.iter().find(|l| l.name == name)
    }
}

/// `HTTPRoute.spec`.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct HttpRouteSpec {
    /// `parentRefs`: the Gateway(s) and listener(s) the route attaches to.
    #[serde(default)]
    pub parent_refs: Vec<ParentRef>,
    /// `hostnames` (custom domain names; not emulated).
    #[serde(default)]
    pub hostnames: Vec<String>,
    /// `rules`.
    #[serde(default)]
    pub rules: Vec<HttpRouteRule>,
    #[serde(default, rename = "useDefaultGateways")]
    _use_default_gateways: Option<IgnoredAny>,
}

/// A `parentRefs` entry.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ParentRef {
    /// `name`.
    pub name: String,
    /// `namespace`; the route's when absent.
    #[serde(default)]
    pub namespace: Option<String>,
    /// `group` (`gateway.networking.k8s.io` when absent).
    #[serde(default)]
    pub group: Option<String>,
    /// `kind` (`Gateway` when absent).
    #[serde(default)]
    pub kind: Option<String>,
    /// `sectionName`: one listener of the Gateway; all of them when absent.
    #[serde(default)]
    pub section_name: Option<String>,
    /// `port`: the listeners on this port.
    #[serde(default)]
    pub port: Option<u16>,
}

impl ParentRef {
    /// Whether this refers to a Gateway (the default group and kind).
    pub fn is_gateway(&self) -> bool {
        self.group.as_deref().is_none_or(|g| g == GATEWAY_API_GROUP)
            && self.kind.as_deref().is_none_or(|k| k == "Gateway")
    }

    /// The Gateway's key, resolving the namespace against the route's.
    pub fn key(&self, route_namespace: &str) -> ObjectKey {
        ObjectKey::new(self.namespace.as_deref(), route_namespace, &self.name)
    }

    /// Whether `listener` is one this reference selects.
    pub fn selects(&self, listener: &GatewayListener) -> bool {
        self.section_name
            .as_deref()
            .is_none_or(|s| s == listener.name)
            && self.port.is_none_or(|p| p == listener.port)
    }
}

/// A route rule.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct HttpRouteRule {
    /// `name` (optional).
    #[serde(default)]
    pub name: Option<String>,
    /// `matches` (every request when empty).
    #[serde(default)]
    pub matches: Vec<HttpRouteMatch>,
    /// `backendRefs`.
    #[serde(default)]
    pub backend_refs: Vec<HttpBackendRef>,
    /// `filters` (not emulated).
    #[serde(default)]
    pub filters: Vec<IgnoredAny>,
    /// `timeouts` (not emulated).
    #[serde(default)]
    pub timeouts: Option<IgnoredAny>,
    /// `retry` (not emulated).
    #[serde(default)]
    pub retry: Option<IgnoredAny>,
    /// `sessionPersistence` (not emulated).
    #[serde(default)]
    pub session_persistence: Option<IgnoredAny>,
}

/// A `matches` entry: every present condition must hold.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct HttpRouteMatch {
    /// `path` (`PathPrefix` `/` when absent, the API server's default).
    #[serde(default)]
    pub path: Option<HttpPathMatch>,
    /// `headers`.
    #[serde(default)]
    pub headers: Vec<HttpHeaderMatch>,
    /// `queryParams` (the controller refuses them).
    #[serde(default)]
    pub query_params: Vec<IgnoredAny>,
    /// `method`.
    #[serde(default)]
    pub method: Option<String>,
}

/// `matches[].path`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct HttpPathMatch {
    /// `type`: `Exact`, `PathPrefix` (the default) or `RegularExpression`.
    #[serde(default, rename = "type")]
    pub match_type: Option<String>,
    /// `value` (`/` when absent).
    #[serde(default)]
    pub value: Option<String>,
}

/// `matches[].headers[]`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct HttpHeaderMatch {
    /// `name`.
    pub name: String,
    /// `value`.
    pub value: String,
    /// `type`: `Exact` (the default) or `RegularExpression`.
    #[serde(default, rename = "type")]
    pub match_type: Option<String>,
}

/// A `backendRefs` entry.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct HttpBackendRef {
    /// `name`.
    pub name: String,
    /// `namespace`; the route's when absent.
    #[serde(default)]
    pub namespace: Option<String>,
    /// `group` (core when absent).
    #[serde(default)]
    pub group: Option<String>,
    /// `kind` (`Service` when absent).
    #[serde(default)]
    pub kind: Option<String>,
    /// `port` (required for a Service).
    #[serde(default)]
    pub port: Option<u16>,
    /// `weight` (1 when absent, as the Gateway API and the controller default it).
    #[serde(default)]
    pub weight: Option<u32>,
    /// `filters` (not emulated).
    #[serde(default)]
    pub filters: Vec<IgnoredAny>,
}

impl HttpBackendRef {
    /// `kind`, `Service` when absent.
    pub fn kind(&self) -> &str {
        self.kind.as_deref().unwrap_or("Service")
    }

    /// The referenced object's key, resolving the namespace against the route's.
    pub fn key(&self, route_namespace: &str) -> ObjectKey {
        ObjectKey::new(self.namespace.as_deref(), route_namespace, &self.name)
    }
}
