//! `AWS::VpcLattice::Rule` -> [`Rule`]: priority, `Match.HttpMatch` deserialised into typed
//! match structs (method, path, headers) and the action, with the service and listener it
//! belongs to (attached when the template is linked).

use http::{HeaderName, Method};
use serde::{Deserialize, Deserializer};

use super::action::ActionProperties;
use super::error::TemplateError;
use super::intrinsics::Evaluator;
use super::resource::Resource;
use crate::model::{HeaderMatch, HeaderMatchKind, HttpMatch, PathMatch, PathMatchKind, Rule};

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RuleProperties {
    service_identifier: String,
    listener_identifier: String,
    priority: u32,
    r#match: MatchProperties,
    action: ActionProperties,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct MatchProperties {
    http_match: HttpMatchProperties,
}

/// `Match.HttpMatch`: every condition given must hold.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct HttpMatchProperties {
    #[serde(default, deserialize_with = "method")]
    method: Option<Method>,
    path_match: Option<PathMatchProperties>,
    #[serde(default)]
    header_matches: Vec<HeaderMatchProperties>,
}

/// CloudFormation's documented default for `CaseSensitive` is false (paths and headers).
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct PathMatchProperties {
    r#match: PathMatchValue,
    #[serde(default)]
    case_sensitive: bool,
}

#[derive(Deserialize)]
enum PathMatchValue {
    Exact(String),
    Prefix(String),
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct HeaderMatchProperties {
    #[serde(deserialize_with = "header_name")]
    name: HeaderName,
    r#match: HeaderMatchValue,
    #[serde(default)]
    case_sensitive: bool,
}

#[derive(Deserialize)]
enum HeaderMatchValue {
    Exact(String),
    Prefix(String),
    Contains(String),
}

fn method<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Method>, D::Error> {
    let method = String::deserialize(deserializer)?;
    Method::from_bytes(method.as_bytes())
        .map(Some)
        .map_err(|_| serde::de::Error::custom(format!("{method:?} is not a method")))
}

/// Header names compare case-insensitively; `http` keeps them in lower case.
fn header_name<'de, D: Deserializer<'de>>(deserializer: D) -> Result<HeaderName, D::Error> {
    let name = String::deserialize(deserializer)?;
    HeaderName::from_bytes(name.to_ascii_lowercase().as_bytes())
        .map_err(|_| serde::de::Error::custom(format!("{name:?} is not a header name")))
}

impl From<HttpMatchProperties> for HttpMatch {
    fn from(properties: HttpMatchProperties) -> Self {
        HttpMatch {
            method: properties.method,
            path: properties.path_match.map(|path| {
                let (kind, value) = match path.r#match {
                    PathMatchValue::Exact(value) => (PathMatchKind::Exact, value),
                    PathMatchValue::Prefix(value) => (PathMatchKind::Prefix, value),
                };
                PathMatch {
                    kind,
                    value,
                    case_sensitive: path.case_sensitive,
                }
            }),
            headers: properties
                .header_matches
                .into_iter()
                .map(|header| {
                    let (kind, value) = match header.r#match {
                        HeaderMatchValue::Exact(value) => (HeaderMatchKind::Exact, value),
                        HeaderMatchValue::Prefix(value) => (HeaderMatchKind::Prefix, value),
                        HeaderMatchValue::Contains(value) => (HeaderMatchKind::Contains, value),
                    };
                    HeaderMatch {
                        name: header.name,
                        kind,
                        value,
                        case_sensitive: header.case_sensitive,
                    }
                })
                .collect(),
        }
    }
}

/// A rule and the identifiers (ARNs or ids) of its service and listener.
pub(crate) struct ListenerRule {
    /// `ServiceIdentifier` as written.
    pub(crate) service: String,
    /// `ListenerIdentifier` as written.
    pub(crate) listener: String,
    /// The rule.
    pub(crate) rule: Rule,
}

/// Reads a listener rule.
pub(crate) fn read(
    resource: &Resource<'_>,
    eval: &Evaluator<'_>,
) -> Result<ListenerRule, TemplateError> {
    let properties: RuleProperties = resource.properties(eval)?;
    Ok(ListenerRule {
        service: properties.service_identifier,
        listener: properties.listener_identifier,
        rule: Rule {
            name: resource.logical_id.to_owned(),
            arn: resource.arn(eval)?,
            priority: properties.priority,
            matcher: properties.r#match.http_match.into(),
            action: properties.action.into(),
        },
    })
}
