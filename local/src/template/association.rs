//! `AWS::VpcLattice::ServiceNetworkServiceAssociation`: which network a service belongs to
//! (its ARN appears in events and in the `vpc-lattice-svcs:ServiceNetworkArn` condition key).

use serde::Deserialize;

use super::error::TemplateError;
use super::intrinsics::Evaluator;
use super::resource::Resource;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct AssociationProperties {
    service_identifier: String,
    service_network_identifier: String,
}

/// A service and the ARN of the network it is associated with.
pub(crate) struct ServiceAssociation {
    /// `ServiceIdentifier` as written.
    pub(crate) service: String,
    /// The network's ARN (an id is turned into a local ARN).
    pub(crate) network_arn: String,
}

/// Reads a service-network association.
pub(crate) fn read(
    resource: &Resource<'_>,
    eval: &Evaluator<'_>,
) -> Result<ServiceAssociation, TemplateError> {
    let properties: AssociationProperties = resource.properties(eval)?;
    let network = properties.service_network_identifier;
    let network_arn = if network.starts_with("arn:") {
        network
    } else {
        eval.account()
            .lattice_arn(&format!("servicenetwork/{network}"))
    };
    Ok(ServiceAssociation {
        service: properties.service_identifier,
        network_arn,
    })
}
