//! Why a manifest set was refused: each variant names the file, the document and the field.

use std::fmt;
use std::path::PathBuf;

use super::meta::{ObjectKey, Source};
use crate::auth::PolicyError;

/// A manifest that cannot be read, does not fit the controller's schema, or refers to something
/// that is not there.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    /// A file or directory could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file or directory.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A document is not YAML, or not a mapping.
    #[error("{at}: {message}")]
    Syntax {
        /// Where.
        at: Source,
        /// The parser's message.
        message: String,
    },
    /// `apiVersion` or `kind` is absent or not a string.
    #[error("{at}: field {field} is missing or not a string")]
    MissingTypeField {
        /// Where.
        at: Source,
        /// `apiVersion` or `kind`.
        field: &'static str,
    },
    /// A kind lattice-local reads, under an API version the controller does not document.
    #[error("{at}: field apiVersion: {kind} must be {expected}, not {found}")]
    WrongApiVersion {
        /// Where.
        at: Source,
        /// The kind.
        kind: String,
        /// The version found.
        found: String,
        /// The version the controller's documentation uses.
        expected: &'static str,
    },
    /// A kind that does not exist in an API group lattice-local knows.
    #[error("{at}: field kind: {api_version} has no kind {kind}")]
    UnknownKind {
        /// Where.
        at: Source,
        /// The document's `apiVersion`.
        api_version: String,
        /// The kind found.
        kind: String,
    },
    /// The document does not fit its kind's schema: an unknown field, a wrong type, a missing
    /// required field.
    #[error("{at}: {kind} field {field}: {message}")]
    Schema {
        /// Where.
        at: Source,
        /// The document's kind.
        kind: &'static str,
        /// The field path, e.g. `spec.rules[0].backendRefs[0].weight`.
        field: String,
        /// What is wrong.
        message: String,
    },
    /// A value the schema allows but the controller or Lattice refuses.
    #[error("{origin} field {field}: {message}")]
    Invalid {
        /// The object and where it is.
        origin: Box<Origin>,
        /// The field path.
        field: String,
        /// What is wrong, and who refuses it.
        message: String,
    },
    /// A reference to an object that is not in the manifest set.
    #[error("{origin} field {field}: {target_kind} {target} is not in the manifests")]
    Dangling {
        /// The referring object and where it is.
        origin: Box<Origin>,
        /// The field holding the reference.
        field: String,
        /// The kind referred to.
        target_kind: String,
        /// The object referred to.
        target: ObjectKey,
    },
    /// Two documents define the same object.
    #[error("{origin} is already defined at {first}")]
    Duplicate {
        /// The object and where its second definition is.
        origin: Box<Origin>,
        /// Where the first definition is.
        first: Source,
    },
    /// A Gateway whose name is not the service network's.
    #[error(
        "{origin} field metadata.name: must be the service network's name {expected:?} (the controller maps a Gateway to the network of the same name)"
    )]
    GatewayName {
        /// The Gateway and where it is.
        origin: Box<Origin>,
        /// The service network's name.
        expected: String,
    },
    /// An `IAMAuthPolicy` whose policy lattice-local's policy parser refuses.
    #[error("{origin} field spec.policy: {source}")]
    Policy {
        /// The `IAMAuthPolicy` and where it is.
        origin: Box<Origin>,
        /// The parser's error.
        source: PolicyError,
    },
}

/// An object of the manifests and where it is defined (boxed in errors to keep them small).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Origin {
    /// The file and document.
    pub at: Source,
    /// The kind.
    pub kind: &'static str,
    /// The object.
    pub object: ObjectKey,
}

impl Origin {
    /// The object `object` of `kind` defined at `at`.
    pub fn new(at: &Source, kind: &'static str, object: ObjectKey) -> Box<Origin> {
        Box::new(Origin {
            at: at.clone(),
            kind,
            object,
        })
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {} {}", self.at, self.kind, self.object)
    }
}
