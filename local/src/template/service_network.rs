//! `AWS::VpcLattice::ServiceNetwork` -> [`ServiceNetwork`]: its name and ARN (the manifests'
//! Gateways of that name join it). An `AWS_IAM` network auth type is a check lattice-local does
//! not make yet, so it is reported.

use lattice_lambda::AuthType;
use serde::Deserialize;

use super::error::TemplateError;
use super::intrinsics::Evaluator;
use super::resource::Resource;
use crate::model::{Note, ServiceNetwork};

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ServiceNetworkProperties {
    auth_type: Option<String>,
}

/// Reads a service network, noting what it asks for that is not enforced locally.
pub(crate) fn read(
    resource: &Resource<'_>,
    eval: &Evaluator<'_>,
    notes: &mut Vec<Note>,
) -> Result<ServiceNetwork, TemplateError> {
    let properties: ServiceNetworkProperties = resource.properties(eval)?;
    let auth_type = properties
        .auth_type
        .as_deref()
        .map_or(AuthType::None, AuthType::from_wire);
    // Lattice then requires the network's auth policy to allow as well; locally only each
    // service's auth type and policy are enforced.
    if auth_type == AuthType::AwsIam {
        notes.push(resource.note(
            "network-level AuthType AWS_IAM is not enforced locally (service auth types and policies are)",
        ));
    }
    Ok(ServiceNetwork {
        logical_id: resource.logical_id.to_owned(),
        name: resource.lattice_name(eval)?,
        arn: resource.arn(eval)?,
        auth_type,
        auth_policy: None,
    })
}
