//! `AWS::VpcLattice::AuthPolicy`: the policy document (an object, or a string holding one) and
//! the service or network it applies to (attached when the template is linked). The document
//! is parsed and checked by `auth` when the service is served.

use serde::Deserialize;
use serde_json::Value as Json;

use super::error::TemplateError;
use super::intrinsics::Evaluator;
use super::resource::Resource;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct AuthPolicyProperties {
    resource_identifier: String,
    policy: Json,
}

/// A policy document and the identifier of what it protects.
pub(crate) struct ResourcePolicy {
    /// The policy's logical id.
    pub(crate) logical_id: String,
    /// `ResourceIdentifier` as written (a service or a service network).
    pub(crate) target: String,
    /// The policy document.
    pub(crate) policy: Json,
}

/// Reads an auth policy.
pub(crate) fn read(
    resource: &Resource<'_>,
    eval: &Evaluator<'_>,
) -> Result<ResourcePolicy, TemplateError> {
    let properties: AuthPolicyProperties = resource.properties(eval)?;
    let policy = match properties.policy {
        Json::String(text) => serde_json::from_str(&text)
            .map_err(|e| resource.invalid("Policy", format!("not a JSON policy document: {e}")))?,
        policy @ Json::Object(_) => policy,
        other => {
            return Err(resource.invalid(
                "Policy",
                format!("expected a policy document (a mapping or a JSON string), got {other}"),
            ));
        }
    };
    Ok(ResourcePolicy {
        logical_id: resource.logical_id.to_owned(),
        target: properties.resource_identifier,
        policy,
    })
}
