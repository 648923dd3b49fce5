//! `AWS::VpcLattice::ServiceNetwork` -> [`ServiceNetwork`]: its name, ARN and auth type (the
//! manifests' Gateways of that name join it). Its auth policy is attached when the template is
//! linked; with `AuthType: AWS_IAM` every request to its services must be allowed by that policy too.

use serde::Deserialize;

use super::error::TemplateError;
use super::intrinsics::Evaluator;
use super::resource::Resource;
use super::service::auth_type;
use crate::model::ServiceNetwork;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ServiceNetworkProperties {
    auth_type: Option<String>,
}

/// Reads a service network.
pub(crate) fn read(
    resource: &Resource<'_>,
    eval: &Evaluator<'_>,
) -> Result<ServiceNetwork, TemplateError> {
    let properties: ServiceNetworkProperties = resource.properties(eval)?;
    Ok(ServiceNetwork {
        logical_id: resource.logical_id.to_owned(),
        name: resource.lattice_name(eval)?,
        arn: resource.arn(eval)?,
        auth_type: auth_type(resource, properties.auth_type.as_deref())?,
        auth_policy: None,
    })
}
