//! Why a template could not become a local topology.

use std::path::PathBuf;

/// An intrinsic function or reference that cannot be evaluated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EvalError {
    /// A parameter without `Default` that was not given on the command line.
    #[error("parameter {0} has no Default and was not given (pass --parameter {0}=VALUE)")]
    MissingParameter(String),
    /// `Ref` to a name that is neither a parameter, a pseudo parameter nor a resource.
    #[error("Ref to unknown name {0:?}")]
    UnknownRef(String),
    /// A `Condition` name the `Conditions` section does not define.
    #[error("unknown condition {0:?}")]
    UnknownCondition(String),
    /// Conditions or resources that refer to each other in a loop.
    #[error("circular reference through {0:?}")]
    Cycle(String),
    /// An intrinsic function with arguments of the wrong shape.
    #[error("{function}: {message}")]
    BadArguments {
        /// The function, e.g. `Fn::Select`.
        function: &'static str,
        /// What is wrong.
        message: String,
    },
    /// An intrinsic function lattice-local does not evaluate.
    #[error("intrinsic function {0} is not supported by lattice-local")]
    UnsupportedFunction(String),
    /// `Fn::GetAtt` of an attribute lattice-local does not synthesise.
    #[error("Fn::GetAtt {resource}.{attribute} is not available locally (resource type {kind})")]
    UnsupportedAttribute {
        /// Logical id.
        resource: String,
        /// Attribute name.
        attribute: String,
        /// Resource type.
        kind: String,
    },
    /// `Fn::FindInMap` with a key the mapping lacks.
    #[error("Fn::FindInMap: mapping {0} has no entry {1}")]
    MissingMapping(String, String),
    /// A value that has to be a string (or number) is something else.
    #[error("expected a string, got {0}")]
    NotAString(String),
}

/// A template lattice-local cannot run.
#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    /// The file could not be read.
    #[error("cannot read template {}: {source}", path.display())]
    Read {
        /// The template path.
        path: PathBuf,
        /// What the OS said.
        source: std::io::Error,
    },
    /// The file is not YAML (or JSON).
    #[error("template is not valid YAML: {0}")]
    Yaml(#[from] serde_yaml_ng::Error),
    /// A section has the wrong shape (e.g. `Resources` is not a mapping).
    #[error("template section {section}: {message}")]
    BadSection {
        /// `Parameters`, `Resources`, …
        section: &'static str,
        /// What is wrong.
        message: String,
    },
    /// `--parameter` named a parameter the template does not declare.
    #[error("unknown parameter {name:?} (the template declares: {declared})")]
    UnknownParameter {
        /// The name given.
        name: String,
        /// The declared names, comma-separated.
        declared: String,
    },
    /// A parameter value outside its `AllowedValues`.
    #[error("parameter {name}: {value:?} is not one of {allowed:?}")]
    DisallowedValue {
        /// The parameter.
        name: String,
        /// The value given.
        value: String,
        /// Its `AllowedValues`.
        allowed: Vec<String>,
    },
    /// Evaluating a property (or condition) failed.
    #[error("{location}: {source}")]
    Eval {
        /// Where, e.g. `Resources.ProviderService.Properties.Name`.
        location: String,
        /// Why.
        source: EvalError,
    },
    /// A required property is missing.
    #[error("{resource}: missing property {property}")]
    MissingProperty {
        /// Logical id.
        resource: String,
        /// Property path, e.g. `Match.HttpMatch`.
        property: String,
    },
    /// A property has a value lattice-local does not understand or support.
    #[error("{resource}: property {property}: {message}")]
    InvalidProperty {
        /// Logical id.
        resource: String,
        /// Property path.
        property: String,
        /// What is wrong.
        message: String,
    },
    /// An identifier that names nothing the template creates.
    #[error("{resource}: {property} {value:?} does not name a {expected} in this template")]
    DanglingReference {
        /// Logical id.
        resource: String,
        /// Property holding the identifier.
        property: String,
        /// Its value.
        value: String,
        /// What it should name.
        expected: &'static str,
    },
}
