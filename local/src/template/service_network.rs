//! `AWS::VpcLattice::ServiceNetwork`: nothing to serve, but an `AWS_IAM` network auth type
//! is a check lattice-local does not make, so it is reported.

use serde::Deserialize;

use super::error::TemplateError;
use super::intrinsics::Evaluator;
use super::resource::Resource;
use crate::model::Note;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ServiceNetworkProperties {
    auth_type: Option<String>,
}

/// Notes what a service network asks for that is not enforced locally.
pub(crate) fn read(
    resource: &Resource<'_>,
    eval: &Evaluator<'_>,
    notes: &mut Vec<Note>,
) -> Result<(), TemplateError> {
    let properties: ServiceNetworkProperties = resource.properties(eval)?;
    // Lattice then requires the network's auth policy to allow as well; locally only each
    // service's auth type and policy are enforced.
    if properties.auth_type.as_deref() == Some("AWS_IAM") {
        notes.push(resource.note(
            "network-level AuthType AWS_IAM is not enforced locally (service auth types and policies are)",
        ));
    }
    Ok(())
}
