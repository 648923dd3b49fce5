//! `AWS::VpcLattice::TargetGroup` -> [`TargetGroup`]: a `LAMBDA` group (its function is linked
//! later) or an `IP`/`INSTANCE`/`ALB` group served by an HTTP upstream. Each kind reads only
//! its own `Config` fields, so the others (`VpcIdentifier`, say) are never evaluated.

use lattice_lambda::EventVersion;
use serde::{Deserialize, Deserializer};

use super::error::TemplateError;
use super::intrinsics::Evaluator;
use super::resource::Resource;
use crate::model::{Note, TargetGroup, TargetKind};

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct TargetGroupProperties {
    r#type: String,
    #[serde(default)]
    targets: Vec<TargetProperties>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct TargetProperties {
    id: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct LambdaGroupProperties {
    #[serde(default)]
    config: LambdaConfig,
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct LambdaConfig {
    /// V1 when absent, as in Lattice.
    #[serde(default, deserialize_with = "event_version")]
    lambda_event_structure_version: Option<EventVersion>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct HttpGroupProperties {
    #[serde(default)]
    config: HttpConfig,
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct HttpConfig {
    port: Option<u16>,
    protocol: Option<String>,
}

fn event_version<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<EventVersion>, D::Error> {
    let version = String::deserialize(deserializer)?;
    version.parse().map(Some).map_err(serde::de::Error::custom)
}

/// Reads a target group; `None` (with a note) for a type lattice-local cannot serve.
pub(crate) fn read(
    resource: &Resource<'_>,
    eval: &Evaluator<'_>,
    notes: &mut Vec<Note>,
) -> Result<Option<TargetGroup>, TemplateError> {
    let properties: TargetGroupProperties = resource.properties(eval)?;
    let name = resource.lattice_name(eval)?;
    let target_ids: Vec<String> = properties.targets.into_iter().map(|t| t.id).collect();
    let kind = match properties.r#type.as_str() {
        "LAMBDA" => {
            let lambda: LambdaGroupProperties = resource.properties(eval)?;
            if target_ids.len() > 1 {
                notes.push(
                    resource.note("only the first LAMBDA target is used (Lattice allows one)"),
                );
            }
            let target_id = target_ids.into_iter().next().unwrap_or_default();
            if target_id.is_empty() {
                notes.push(resource.note("LAMBDA target group without a target: requests get 503"));
            }
            TargetKind::Lambda {
                event_version: lambda
                    .config
                    .lambda_event_structure_version
                    .unwrap_or(EventVersion::V1),
                function: None,
                target_id,
            }
        }
        "IP" | "INSTANCE" | "ALB" => {
            let http: HttpGroupProperties = resource.properties(eval)?;
            if resource.has_property("Config.HealthCheck") {
                notes.push(resource.note("health checks are not run locally"));
            }
            TargetKind::Http {
                protocol: http.config.protocol.unwrap_or_else(|| "HTTP".to_owned()),
                port: http.config.port,
                targets: target_ids,
            }
        }
        other => {
            notes.push(resource.note(format!(
                "target group Type {other} is not supported; ignored"
            )));
            return Ok(None);
        }
    };
    Ok(Some(TargetGroup {
        logical_id: resource.logical_id.to_owned(),
        name,
        arn: resource.arn(eval)?,
        kind,
    }))
}
