//! `AWS::VpcLattice::Service` -> [`Service`]: its name, ARN, auth type and tags. Listeners,
//! policies and the network association are attached when the template is linked.

use lattice_lambda::AuthType;
use serde::Deserialize;

use super::error::TemplateError;
use super::intrinsics::Evaluator;
use super::resource::Resource;
use super::tags::{TagProperty, tag_map};
use crate::model::{Note, Service};

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ServiceProperties {
    auth_type: Option<String>,
    #[serde(default)]
    tags: Vec<TagProperty>,
}

/// Properties Lattice has that are not emulated: the service is reached by its local name.
const NOT_EMULATED: [&str; 2] = ["CustomDomainName", "CertificateArn"];

/// Reads a service.
pub(crate) fn read(
    resource: &Resource<'_>,
    eval: &Evaluator<'_>,
    notes: &mut Vec<Note>,
) -> Result<Service, TemplateError> {
    let name = resource.lattice_name(eval)?;
    let properties: ServiceProperties = resource.properties(eval)?;
    let auth_type = auth_type(resource, properties.auth_type.as_deref())?;
    for property in NOT_EMULATED {
        if resource.has_property(property) {
            notes.push(resource.note(format!(
                "{property} is not emulated: the service is reached by its local name"
            )));
        }
    }
    Ok(Service {
        logical_id: resource.logical_id.to_owned(),
        arn: resource.arn(eval)?,
        name,
        service_network_arn: String::new(),
        auth_type,
        auth_policy: None,
        tags: tag_map(resource, properties.tags)?,
        listeners: Vec::new(),
    })
}

/// `AuthType` of a service or service network: `NONE` when absent, as in Lattice.
pub(crate) fn auth_type(
    resource: &Resource<'_>,
    value: Option<&str>,
) -> Result<AuthType, TemplateError> {
    match value.map(AuthType::from_wire) {
        None => Ok(AuthType::None),
        Some(AuthType::Other(other)) => {
            Err(resource.invalid("AuthType", format!("{other:?} is neither NONE nor AWS_IAM")))
        }
        Some(known) => Ok(known),
    }
}
