//! A listener's `DefaultAction` or a rule's `Action`: `Forward` to weighted target groups or
//! a `FixedResponse`, as written in the template.

use http::StatusCode;
use serde::{Deserialize, Deserializer};

use crate::model::{Action, WeightedTarget};

/// `Forward: {TargetGroups: [...]}` or `FixedResponse: {StatusCode: n}`.
#[derive(Deserialize)]
pub(crate) enum ActionProperties {
    /// Forward to weighted target groups.
    Forward(ForwardProperties),
    /// Answer with a fixed status.
    FixedResponse(FixedResponseProperties),
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct ForwardProperties {
    target_groups: Vec<WeightedTargetProperties>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct WeightedTargetProperties {
    target_group_identifier: String,
    /// CloudFormation's default weight is 100.
    #[serde(default = "default_weight")]
    weight: u32,
}

fn default_weight() -> u32 {
    100
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct FixedResponseProperties {
    #[serde(deserialize_with = "status_code")]
    status_code: StatusCode,
}

fn status_code<'de, D: Deserializer<'de>>(deserializer: D) -> Result<StatusCode, D::Error> {
    let code = u16::deserialize(deserializer)?;
    StatusCode::from_u16(code)
        .map_err(|_| serde::de::Error::custom(format!("{code} is not an HTTP status")))
}

impl From<ActionProperties> for Action {
    /// Target groups keep their identifiers as written; linking turns them into logical ids.
    fn from(properties: ActionProperties) -> Self {
        match properties {
            ActionProperties::FixedResponse(fixed) => Action::FixedResponse(fixed.status_code),
            ActionProperties::Forward(forward) => Action::Forward(
                forward
                    .target_groups
                    .into_iter()
                    .map(|group| WeightedTarget {
                        target_group: group.target_group_identifier,
                        weight: group.weight,
                    })
                    .collect(),
            ),
        }
    }
}
