//! `template.yaml` -> [`Topology`]: the Lattice services, listeners, rules,
//! target groups, auth policies and functions the template creates, with
//! parameters (defaults and `--parameter` overrides), conditions and the
//! intrinsic functions evaluated for the local account `000000000000`.
//!
//! Evaluation is lazy: only properties lattice-local uses are evaluated, so a
//! parameter such as `VpcId` may stay unset. Constructs that have no local
//! meaning, or that lattice-local does not support, are listed in
//! [`Topology::notes`] by name rather than ignored silently.
//!
//! Each resource kind has its module (`service`, `listener`, `listener_rule`,
//! `target_group`, …): it deserialises the resource's `Properties` into a typed struct
//! (evaluating intrinsic functions as it goes, see `properties`) and turns that into
//! [`crate::model`] data; `link` then attaches listeners, rules and policies to services.
//! A new CloudFormation property belongs in its kind's struct.
//!
//! ```
//! let yaml = r#"
//! Parameters:
//!   Auth: { Type: String, Default: NONE }
//! Resources:
//!   Svc:
//!     Type: AWS::VpcLattice::Service
//!     Properties: { Name: demo, AuthType: !Ref Auth }
//! "#;
//! let options = lattice_local::template::LoadOptions::new("eu-west-1")
//!     .with_parameter("Auth", "AWS_IAM");
//! let topology = lattice_local::template::Topology::from_yaml(yaml, &options).unwrap();
//! let service = topology.service("demo").unwrap();
//! assert_eq!(service.auth_type.as_str(), "AWS_IAM");
//! assert!(service.arn.starts_with("arn:aws:vpc-lattice:eu-west-1:000000000000:service/svc-"));
//! ```

mod action;
mod association;
mod auth_policy;
mod error;
mod function;
mod intrinsics;
mod link;
mod listener;
mod listener_rule;
mod parameters;
mod properties;
mod reader;
mod resource;
mod service;
mod service_network;
mod target_group;
mod yaml;

use std::path::Path;

pub use error::{EvalError, TemplateError};
// The topology is `crate::model` data; these names stay reachable from the template reader
// that produces them.
pub use crate::model::{
    DEFAULT_REGION, Function, LOCAL_ACCOUNT_ID, LOCAL_DOMAIN, Listener, LocalAccount, Note,
    ParamValue, Service, ServiceNetwork, TargetGroup, TargetKind, Topology, local_id,
};

/// How to read a template: region and parameter overrides.
#[derive(Clone, Debug)]
pub struct LoadOptions {
    /// The local region used in ARNs and given to functions.
    pub region: String,
    /// `--parameter KEY=VALUE` overrides, in order (later wins).
    pub parameters: Vec<(String, String)>,
}

impl LoadOptions {
    /// Options for `region` with no overrides.
    pub fn new(region: impl Into<String>) -> Self {
        LoadOptions {
            region: region.into(),
            parameters: Vec::new(),
        }
    }

    /// Adds a parameter override.
    pub fn with_parameter(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.parameters.push((name.into(), value.into()));
        self
    }
}

impl Topology {
    /// Reads and evaluates a template file.
    pub fn load(path: &Path, options: &LoadOptions) -> Result<Self, TemplateError> {
        let text = std::fs::read_to_string(path).map_err(|source| TemplateError::Read {
            path: path.to_owned(),
            source,
        })?;
        Self::from_yaml(&text, options)
    }

    /// Evaluates a template given as YAML (or JSON) text.
    pub fn from_yaml(text: &str, options: &LoadOptions) -> Result<Self, TemplateError> {
        let yaml: serde_yaml_ng::Value = serde_yaml_ng::from_str(text)?;
        reader::read(&yaml::normalise(yaml), options)
    }
}

#[cfg(test)]
mod tests;
