//! Files -> typed documents: multi-document YAML, `apiVersion`/`kind` dispatch, schema errors
//! with the field path, and notes for kinds lattice-local does not emulate.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::Manifests;
use super::error::ManifestError;
use super::gateway_api::{GATEWAY_API_GROUP, GATEWAY_API_VERSION};
use super::meta::{Document, Located, Object, ObjectKey, Source};
use super::policies::{CONTROLLER_API_GROUP, CONTROLLER_API_VERSION};
use crate::template::Note;

/// The file names `kubectl apply -f DIR` reads.
const MANIFEST_EXTENSIONS: [&str; 3] = ["yaml", "yml", "json"];

/// Kinds that exist in an API group lattice-local knows but that it does not read, with what
/// that means locally. Any other kind in these groups is an error (most likely a typo).
const NOT_EMULATED: &[(&str, &str, &str)] = &[
    ("", "Namespace", "no local effect"),
    ("", "ConfigMap", "no local effect"),
    ("", "Secret", "no local effect"),
    ("", "ServiceAccount", "no local effect"),
    ("", "Pod", "not run locally"),
    ("", "PersistentVolumeClaim", "no local effect"),
    ("apps", "StatefulSet", "not run locally"),
    ("apps", "DaemonSet", "not run locally"),
    ("apps", "ReplicaSet", "not run locally"),
    (
        GATEWAY_API_GROUP,
        "GatewayClass",
        "no local effect (the class name on each Gateway is checked)",
    ),
    (
        GATEWAY_API_GROUP,
        "GRPCRoute",
        "not emulated: gRPC routes are not served locally",
    ),
    (
        GATEWAY_API_GROUP,
        "TLSRoute",
        "not emulated: TLS passthrough is not served locally",
    ),
    (
        GATEWAY_API_GROUP,
        "ReferenceGrant",
        "not checked: cross-namespace references are taken as granted",
    ),
    (
        CONTROLLER_API_GROUP,
        "ServiceExport",
        "not emulated: exporting a Service to other clusters",
    ),
    (
        CONTROLLER_API_GROUP,
        "ServiceImport",
        "not emulated: a backendRef to it gets no local targets",
    ),
    (
        CONTROLLER_API_GROUP,
        "AccessLogPolicy",
        "not emulated: lattice-local writes its own access log, not to this destination",
    ),
    (
        CONTROLLER_API_GROUP,
        "ServiceNetwork",
        "not emulated: service networks come from Gateways",
    ),
];

impl Manifests {
    /// Reads every `*.yaml`, `*.yml` and `*.json` file directly in `dir`, in name order (as
    /// `kubectl apply -f DIR` does; subdirectories are not read).
    pub fn load_dir(dir: &Path) -> Result<Self, ManifestError> {
        let mut manifests = Manifests::default();
        manifests.add_dir(dir)?;
        Ok(manifests)
    }

    /// Adds the manifest files directly in `dir` (see [`Manifests::load_dir`]).
    pub fn add_dir(&mut self, dir: &Path) -> Result<(), ManifestError> {
        let read_error = |source| ManifestError::Read {
            path: dir.to_owned(),
            source,
        };
        let mut files: Vec<PathBuf> = Vec::new();
        for entry in std::fs::read_dir(dir).map_err(read_error)? {
            let path = entry.map_err(read_error)?.path();
            let is_manifest = path
                .extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| MANIFEST_EXTENSIONS.contains(&e));
            if is_manifest && path.is_file() {
                files.push(path);
            }
        }
        files.sort();
        for file in files {
            self.add_file(&file)?;
        }
        Ok(())
    }

    /// Adds the documents of one file.
    pub fn add_file(&mut self, file: &Path) -> Result<(), ManifestError> {
        let text = std::fs::read_to_string(file).map_err(|source| ManifestError::Read {
            path: file.to_owned(),
            source,
        })?;
        self.add_yaml(file, &text)
    }

    /// Adds the documents of `text`, reported as coming from `file`.
    ///
    /// ```
    /// use std::path::Path;
    /// let mut manifests = lattice_local::k8s::Manifests::default();
    /// let error = manifests
    ///     .add_yaml(Path::new("route.yaml"), "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: r}\nspec: {rulez: []}\n")
    ///     .unwrap_err();
    /// assert!(error.to_string().starts_with("route.yaml document 1: HTTPRoute field spec.rulez: unknown field"));
    /// ```
    pub fn add_yaml(&mut self, file: &Path, text: &str) -> Result<(), ManifestError> {
        for (index, document) in serde_yaml_ng::Deserializer::from_str(text).enumerate() {
            let at = Source {
                file: file.to_owned(),
                document: index + 1,
            };
            let value =
                serde_yaml_ng::Value::deserialize(document).map_err(|e| ManifestError::Syntax {
                    at: at.clone(),
                    message: format!("not valid YAML: {e}"),
                })?;
            self.add_document(at, value)?;
        }
        Ok(())
    }

    fn add_document(
        &mut self,
        at: Source,
        value: serde_yaml_ng::Value,
    ) -> Result<(), ManifestError> {
        let mapping = match &value {
            // An empty document (a trailing `---`, a file of comments) is skipped, as kubectl does.
            serde_yaml_ng::Value::Null => return Ok(()),
            serde_yaml_ng::Value::Mapping(mapping) => mapping,
            _ => {
                return Err(ManifestError::Syntax {
                    at,
                    message: "not a mapping (an object with apiVersion and kind)".into(),
                });
            }
        };
        let text_field = |field: &'static str| {
            mapping
                .get(field)
                .and_then(serde_yaml_ng::Value::as_str)
                .map(str::to_owned)
                .ok_or(ManifestError::MissingTypeField {
                    at: at.clone(),
                    field,
                })
        };
        let api_version = text_field("apiVersion")?;
        let kind = text_field("kind")?;
        let (group, _) = api_version.rsplit_once('/').unwrap_or(("", &api_version));
        let typed = |kind: &'static str, expected: &'static str| {
            if api_version == expected {
                Ok(kind)
            } else {
                Err(ManifestError::WrongApiVersion {
                    at: at.clone(),
                    kind: kind.to_owned(),
                    found: api_version.clone(),
                    expected,
                })
            }
        };
        match (group, kind.as_str()) {
            ("apps", "Deployment") => {
                let kind = typed("Deployment", "apps/v1")?;
                self.deployments.push(parse(at, kind, value)?);
            }
            ("", "Service") => {
                let kind = typed("Service", "v1")?;
                self.services.push(parse(at, kind, value)?);
            }
            (GATEWAY_API_GROUP, "Gateway") => {
                let kind = typed("Gateway", GATEWAY_API_VERSION)?;
                self.gateways.push(parse(at, kind, value)?);
            }
            (GATEWAY_API_GROUP, "HTTPRoute") => {
                let kind = typed("HTTPRoute", GATEWAY_API_VERSION)?;
                self.http_routes.push(parse(at, kind, value)?);
            }
            (CONTROLLER_API_GROUP, "IAMAuthPolicy") => {
                let kind = typed("IAMAuthPolicy", CONTROLLER_API_VERSION)?;
                self.iam_auth_policies.push(parse(at, kind, value)?);
            }
            (CONTROLLER_API_GROUP, "TargetGroupPolicy") => {
                let kind = typed("TargetGroupPolicy", CONTROLLER_API_VERSION)?;
                self.target_group_policies.push(parse(at, kind, value)?);
            }
            (CONTROLLER_API_GROUP, "VpcAssociationPolicy") => {
                let kind = typed("VpcAssociationPolicy", CONTROLLER_API_VERSION)?;
                self.vpc_association_policies.push(parse(at, kind, value)?);
            }
            (group, kind) => {
                let known_group = matches!(
                    group,
                    "" | "apps" | GATEWAY_API_GROUP | CONTROLLER_API_GROUP
                );
                let message = match NOT_EMULATED
                    .iter()
                    .find(|(g, k, _)| *g == group && *k == kind)
                {
                    Some((_, _, meaning)) => *meaning,
                    None if known_group => {
                        return Err(ManifestError::UnknownKind {
                            at,
                            api_version: api_version.clone(),
                            kind: kind.to_owned(),
                        });
                    }
                    None => "not a kind lattice-local knows: no local effect",
                };
                self.notes.push(Note {
                    resource: document_name(mapping),
                    kind: format!("{kind} ({api_version})"),
                    message: format!("{at}: {message}"),
                });
            }
        }
        Ok(())
    }
}

/// `namespace/name` of an untyped document, for notes (`?` when absent).
fn document_name(mapping: &serde_yaml_ng::Mapping) -> String {
    let metadata = mapping.get("metadata");
    let field = |name: &str| {
        metadata
            .and_then(|m| m.get(name))
            .and_then(serde_yaml_ng::Value::as_str)
    };
    ObjectKey::new(
        field("namespace"),
        super::meta::DEFAULT_NAMESPACE,
        field("name").unwrap_or("?"),
    )
    .to_string()
}

/// Deserialises a whole document into its kind's type; a schema error names the field path.
fn parse<S: DeserializeOwned>(
    at: Source,
    kind: &'static str,
    value: serde_yaml_ng::Value,
) -> Result<Located<Object<S>>, ManifestError> {
    match serde_path_to_error::deserialize::<_, Document<S>>(value) {
        Ok(document) => Ok(Located {
            source: at,
            object: document.into(),
        }),
        Err(error) => {
            let path = error.path().to_string();
            let field = if path == "." {
                "(document)".to_owned()
            } else {
                path
            };
            Err(ManifestError::Schema {
                at,
                kind,
                field,
                message: error.into_inner().to_string(),
            })
        }
    }
}
