//! What every manifest document shares: where it came from ([`Source`]), its `metadata`
//! ([`ObjectMeta`]), its identity ([`ObjectKey`]) and the `{metadata, spec}` shape ([`Object`]).

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

use serde::Deserialize;

/// The namespace `kubectl apply` uses for an object without one (the default context's).
pub const DEFAULT_NAMESPACE: &str = "default";

/// Where a document came from: the file and its position in it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Source {
    /// The file as it was given (a path under the manifest directory).
    pub file: PathBuf,
    /// 1-based position of the document in the file (documents are separated by `---`).
    pub document: usize,
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} document {}", self.file.display(), self.document)
    }
}

/// A namespaced object's identity: `namespace/name`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ObjectKey {
    /// Namespace (`default` when the manifest gives none).
    pub namespace: String,
    /// `metadata.name`.
    pub name: String,
}

impl ObjectKey {
    /// `namespace/name`, with `namespace` defaulting to `within` (a reference's own namespace).
    pub fn new(namespace: Option<&str>, within: &str, name: &str) -> Self {
        ObjectKey {
            namespace: namespace.unwrap_or(within).to_owned(),
            name: name.to_owned(),
        }
    }
}

impl fmt::Display for ObjectKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.namespace, self.name)
    }
}

/// `metadata` as written in a manifest to apply.
///
/// Only what a user writes is accepted; fields the API server sets (`uid`, `resourceVersion`,
/// `managedFields`, …) are rejected as unknown, because a file carrying them was copied from a
/// live object and `kubectl apply` would fight over them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ObjectMeta {
    /// `metadata.name` (required: `kubectl apply` needs it).
    pub name: String,
    /// `metadata.namespace`; [`DEFAULT_NAMESPACE`] when absent.
    #[serde(default)]
    pub namespace: Option<String>,
    /// `metadata.labels`.
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    /// `metadata.annotations` (the controller reads some, e.g. the service name override).
    #[serde(default)]
    pub annotations: BTreeMap<String, String>,
    /// `metadata.finalizers` (accepted, no local meaning).
    #[serde(default)]
    pub finalizers: Vec<String>,
}

impl ObjectMeta {
    /// The object's namespace, [`DEFAULT_NAMESPACE`] when the manifest gives none.
    pub fn namespace(&self) -> &str {
        self.namespace.as_deref().unwrap_or(DEFAULT_NAMESPACE)
    }

    /// `namespace/name`.
    pub fn key(&self) -> ObjectKey {
        ObjectKey::new(None, self.namespace(), &self.name)
    }
}

/// A manifest object: `metadata` and a typed `spec`.
#[derive(Clone, Debug, PartialEq)]
pub struct Object<S> {
    /// `metadata`.
    pub metadata: ObjectMeta,
    /// `spec`.
    pub spec: S,
}

impl<S> Object<S> {
    /// `namespace/name`.
    pub fn key(&self) -> ObjectKey {
        self.metadata.key()
    }
}

/// The whole document as it is deserialised: `apiVersion` and `kind` were already checked, and
/// `status` (present in objects copied from a cluster) is accepted and dropped.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct Document<S> {
    #[serde(rename = "apiVersion")]
    _api_version: serde::de::IgnoredAny,
    #[serde(rename = "kind")]
    _kind: serde::de::IgnoredAny,
    metadata: ObjectMeta,
    spec: S,
    #[serde(default, rename = "status")]
    _status: Option<serde::de::IgnoredAny>,
}

impl<S> From<Document<S>> for Object<S> {
    fn from(document: Document<S>) -> Self {
        Object {
            metadata: document.metadata,
            spec: document.spec,
        }
    }
}

/// One document read from a file, typed, with its [`Source`].
#[derive(Clone, Debug, PartialEq)]
pub struct Located<T> {
    /// Where it came from.
    pub source: Source,
    /// The object.
    pub object: T,
}

/// A reference to another object by group, kind, name and optional namespace, as policies use
/// (`targetRef`, the Gateway API's policy attachment).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PolicyTargetRef {
    /// API group (`""` for core, `gateway.networking.k8s.io`, …).
    pub group: String,
    /// Kind (`Service`, `HTTPRoute`, `Gateway`, …).
    pub kind: String,
    /// Name.
    pub name: String,
    /// Namespace; the policy's own when absent.
    #[serde(default)]
    pub namespace: Option<String>,
}

impl PolicyTargetRef {
    /// The referenced object's key, resolving the namespace against the policy's.
    pub fn key(&self, policy_namespace: &str) -> ObjectKey {
        ObjectKey::new(self.namespace.as_deref(), policy_namespace, &self.name)
    }
}
