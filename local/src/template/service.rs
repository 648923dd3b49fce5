//! `AWS::VpcLattice::Service` -> [`Service`]: its name, ARN and auth type. Listeners,
//! policies and the network association are attached when the template is linked.

use lattice_lambda::AuthType;
use serde::Deserialize;

use super::error::TemplateError;
use super::intrinsics::Evaluator;
use super::resource::Resource;
use crate::model::{Note, Service};

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ServiceProperties {
    auth_type: Option<String>,
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
    let auth_type = match properties.auth_type.as_deref() {
        None => AuthType::None,
        Some(value) => match AuthType::from_wire(value) {
            AuthType::Other(other) => {
                return Err(
                    resource.invalid("AuthType", format!("{other:?} is neither NONE nor AWS_IAM"))
                );
            }
            known => known,
        },
    };
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
        listeners: Vec::new(),
    })
}
