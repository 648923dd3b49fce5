//! One entry of `Resources` being read: its logical id, type and raw body, and the reads
//! every resource kind shares (typed properties, ARN, name, presence of an unread property).

use serde::de::DeserializeOwned;
use serde_json::Value as Json;

use super::error::{EvalError, TemplateError};
use super::intrinsics::{Evaluator, json_to_string};
use super::properties::{self, Origin};
use crate::model::Note;

/// A resource of the template, not yet evaluated.
#[derive(Clone, Copy)]
pub(crate) struct Resource<'t> {
    /// Logical id.
    pub(crate) logical_id: &'t str,
    /// `Type`, e.g. `AWS::VpcLattice::Service` (empty when absent).
    pub(crate) kind: &'t str,
    body: &'t Json,
}

impl<'t> Resource<'t> {
    pub(crate) fn new(logical_id: &'t str, body: &'t Json) -> Self {
        Resource {
            logical_id,
            kind: body.get("Type").and_then(Json::as_str).unwrap_or(""),
            body,
        }
    }

    /// `Properties`, read into `T` (only the properties `T` has are evaluated).
    pub(crate) fn properties<T: DeserializeOwned>(
        &self,
        eval: &Evaluator<'_>,
    ) -> Result<T, TemplateError> {
        properties::read(
            eval,
            Origin::Resource(self.logical_id),
            self.body.get("Properties"),
        )
    }

    /// `Condition:` on the resource, if any.
    pub(crate) fn condition(&self) -> Option<&'t str> {
        self.body.get("Condition").and_then(Json::as_str)
    }

    /// `Metadata` (SAM build settings), as written: CloudFormation does not evaluate it.
    pub(crate) fn metadata(&self) -> Option<&'t Json> {
        self.body.get("Metadata")
    }

    /// Whether the property at a dotted path (`Config.HealthCheck`) is written, without
    /// evaluating it: used for properties that have no local effect but deserve a note.
    pub(crate) fn has_property(&self, path: &str) -> bool {
        let mut current = self.body.get("Properties");
        for part in path.split('.') {
            current = current.and_then(|c| c.get(part));
        }
        current.is_some()
    }

    /// The local ARN (`Fn::GetAtt <id>.Arn`).
    pub(crate) fn arn(&self, eval: &Evaluator<'_>) -> Result<String, TemplateError> {
        let value = eval
            .eval(&serde_json::json!({"Fn::GetAtt": [self.logical_id, "Arn"]}))
            .map_err(|source| TemplateError::Eval {
                location: format!("Resources.{}", self.logical_id),
                source,
            })?;
        Ok(value.as_ref().and_then(json_to_string).unwrap_or_default())
    }

    /// A Lattice resource's `Name`, else its logical id in lower case.
    pub(crate) fn lattice_name(&self, eval: &Evaluator<'_>) -> Result<String, TemplateError> {
        self.named_property("Name", eval.lattice_name(self.logical_id))
    }

    /// A function's `FunctionName`, else its logical id.
    pub(crate) fn function_name(&self, eval: &Evaluator<'_>) -> Result<String, TemplateError> {
        self.named_property("FunctionName", eval.function_name(self.logical_id))
    }

    fn named_property(
        &self,
        property: &str,
        name: Result<String, EvalError>,
    ) -> Result<String, TemplateError> {
        name.map_err(|source| TemplateError::Eval {
            location: format!("Resources.{}.Properties.{property}", self.logical_id),
            source,
        })
    }

    /// A note about this resource.
    pub(crate) fn note(&self, message: impl Into<String>) -> Note {
        Note {
            resource: self.logical_id.to_owned(),
            kind: self.kind.to_owned(),
            message: message.into(),
        }
    }

    /// A property whose value lattice-local cannot use.
    pub(crate) fn invalid(&self, property: &str, message: impl Into<String>) -> TemplateError {
        TemplateError::InvalidProperty {
            resource: self.logical_id.to_owned(),
            property: property.to_owned(),
            message: message.into(),
        }
    }
}
