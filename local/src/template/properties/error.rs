//! Why a property could not be read, with the property path it happened at, and how that
//! becomes a [`TemplateError`] naming the resource and property.

use std::fmt;

use serde::de;

use super::Origin;
use crate::template::error::{EvalError, TemplateError};

/// Why a property could not be read, and where (innermost segment first while it travels
/// outwards).
#[derive(Debug)]
pub(crate) struct PropertyError {
    path: Vec<Segment>,
    reason: Reason,
}

#[derive(Debug)]
pub(super) enum Segment {
    Key(String),
    Index(usize),
}

#[derive(Debug)]
enum Reason {
    Eval(EvalError),
    Missing,
    Invalid(String),
}

impl PropertyError {
    pub(super) fn eval(source: EvalError) -> Self {
        PropertyError {
            path: Vec::new(),
            reason: Reason::Eval(source),
        }
    }

    pub(super) fn within(mut self, segment: Segment) -> Self {
        self.path.push(segment);
        self
    }

    /// The property path, e.g. `Match.HttpMatch.HeaderMatches[0].Name`.
    fn path(&self) -> String {
        let mut out = String::new();
        for segment in self.path.iter().rev() {
            match segment {
                Segment::Key(key) => {
                    if !out.is_empty() {
                        out.push('.');
                    }
                    out.push_str(key);
                }
                Segment::Index(index) => out.push_str(&format!("[{index}]")),
            }
        }
        out
    }

    pub(super) fn into_template_error(self, origin: Origin<'_>) -> TemplateError {
        let path = self.path();
        let (resource, property, location) = match origin {
            Origin::Resource(id) => (
                id.to_owned(),
                path.clone(),
                format!("Resources.{id}.Properties.{path}"),
            ),
            Origin::GlobalFunction => (
                "Globals".to_owned(),
                format!("Function.{path}"),
                format!("Globals.Function.{path}"),
            ),
        };
        match self.reason {
            Reason::Eval(source) => TemplateError::Eval { location, source },
            Reason::Missing => TemplateError::MissingProperty { resource, property },
            Reason::Invalid(message) => TemplateError::InvalidProperty {
                resource,
                property,
                message,
            },
        }
    }
}

impl fmt::Display for PropertyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = self.path();
        match &self.reason {
            Reason::Eval(source) => write!(f, "{path}: {source}"),
            Reason::Missing => write!(f, "missing property {path}"),
            Reason::Invalid(message) => write!(f, "property {path}: {message}"),
        }
    }
}

impl std::error::Error for PropertyError {}

impl de::Error for PropertyError {
    fn custom<T: fmt::Display>(message: T) -> Self {
        PropertyError {
            path: Vec::new(),
            reason: Reason::Invalid(message.to_string()),
        }
    }

    fn missing_field(field: &'static str) -> Self {
        PropertyError {
            path: vec![Segment::Key(field.to_owned())],
            reason: Reason::Missing,
        }
    }
}
