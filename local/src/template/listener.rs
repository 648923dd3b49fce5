//! `AWS::VpcLattice::Listener` -> [`Listener`], with the service it belongs to (attached when
//! the template is linked). Only `HTTP` and `HTTPS` listeners can be served locally.

use serde::Deserialize;

use super::action::ActionProperties;
use super::error::TemplateError;
use super::intrinsics::Evaluator;
use super::resource::Resource;
use crate::model::Listener;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ListenerProperties {
    service_identifier: String,
    protocol: String,
    port: Option<u16>,
    default_action: ActionProperties,
}

/// A listener and the identifier (ARN or id) of its service.
pub(crate) struct ServiceListener {
    /// `ServiceIdentifier` as written.
    pub(crate) service: String,
    /// The listener, without rules yet.
    pub(crate) listener: Listener,
}

/// Reads a listener.
pub(crate) fn read(
    resource: &Resource<'_>,
    eval: &Evaluator<'_>,
) -> Result<ServiceListener, TemplateError> {
    let properties: ListenerProperties = resource.properties(eval)?;
    let default_port = match properties.protocol.as_str() {
        "HTTP" => 80,
        "HTTPS" => 443,
        other => {
            return Err(resource.invalid(
                "Protocol",
                format!("{other} listeners are not supported locally (HTTP and HTTPS are)"),
            ));
        }
    };
    Ok(ServiceListener {
        service: properties.service_identifier,
        listener: Listener {
            logical_id: resource.logical_id.to_owned(),
            arn: resource.arn(eval)?,
            protocol: properties.protocol,
            port: properties.port.unwrap_or(default_port),
            default_action: properties.default_action.into(),
            rules: Vec::new(),
        },
    })
}
