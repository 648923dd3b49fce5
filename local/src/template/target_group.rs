//! `AWS::VpcLattice::TargetGroup` -> [`TargetGroup`]: a `LAMBDA` group (its function is linked
//! later) or an `IP`/`INSTANCE`/`ALB` group of HTTP targets with its protocol version and health
//! check. Each kind reads only its own `Config` fields, so the others (`VpcIdentifier`, say) are
//! never evaluated.

use lattice_lambda::EventVersion;
use serde::{Deserialize, Deserializer};

use super::error::TemplateError;
use super::intrinsics::Evaluator;
use super::resource::Resource;
use crate::model::{
    HealthCheck, HealthCheckError, HealthCheckSettings, Note, ProtocolVersion, RegisteredTarget,
    TargetGroup, TargetKind,
};

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
    port: Option<u16>,
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
    protocol_version: Option<String>,
    health_check: Option<HealthCheckProperties>,
}

/// `Config.HealthCheck`, named as CloudFormation names it.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct HealthCheckProperties {
    enabled: Option<bool>,
    protocol: Option<String>,
    protocol_version: Option<String>,
    path: Option<String>,
    port: Option<u16>,
    health_check_interval_seconds: Option<u32>,
    health_check_timeout_seconds: Option<u32>,
    healthy_threshold_count: Option<u32>,
    unhealthy_threshold_count: Option<u32>,
    matcher: Option<MatcherProperties>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct MatcherProperties {
    http_code: String,
}

impl From<HealthCheckProperties> for HealthCheckSettings {
    fn from(written: HealthCheckProperties) -> Self {
        HealthCheckSettings {
            enabled: written.enabled,
            protocol: written.protocol,
            protocol_version: written.protocol_version,
            path: written.path,
            port: written.port,
            interval_seconds: written.health_check_interval_seconds,
            timeout_seconds: written.health_check_timeout_seconds,
            healthy_threshold_count: written.healthy_threshold_count,
            unhealthy_threshold_count: written.unhealthy_threshold_count,
            matcher: written.matcher.map(|m| m.http_code),
        }
    }
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
    let kind = match properties.r#type.as_str() {
        "LAMBDA" => {
            let lambda: LambdaGroupProperties = resource.properties(eval)?;
            if properties.targets.len() > 1 {
                notes.push(
                    resource.note("only the first LAMBDA target is used (Lattice allows one)"),
                );
            }
            let target_id = properties
                .targets
                .into_iter()
                .next()
                .map(|t| t.id)
                .unwrap_or_default();
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
        target_type @ ("IP" | "INSTANCE" | "ALB") => {
            let http: HttpGroupProperties = resource.properties(eval)?;
            let config = http.config;
            let protocol_version = match config.protocol_version.as_deref() {
                None => ProtocolVersion::Http1,
                Some(written) => ProtocolVersion::parse(written).ok_or_else(|| {
                    resource.invalid(
                        "Config.ProtocolVersion",
                        format!("{written:?} is not HTTP1, HTTP2 or GRPC"),
                    )
                })?,
            };
            let health_check = health_check(
                resource,
                target_type,
                protocol_version,
                config.health_check,
                notes,
            )?;
            let protocol = config.protocol.unwrap_or_else(|| "HTTP".to_owned());
            if !properties.targets.is_empty() {
                if target_type != "IP" {
                    notes.push(resource.note(format!(
                        "{target_type} targets have no local address: pass --upstream GROUP=URL[,URL…] to serve the group"
                    )));
                } else if protocol != "HTTP" {
                    notes.push(resource.note(format!(
                        "Config.Protocol {protocol}: targets are proxied over plain HTTP only; pass --upstream GROUP=http://…"
                    )));
                }
            }
            TargetKind::Http {
                target_type: target_type.to_owned(),
                protocol,
                protocol_version,
                port: config.port,
                targets: properties
                    .targets
                    .into_iter()
                    .map(|t| RegisteredTarget {
                        id: t.id,
                        port: t.port,
                    })
                    .collect(),
                health_check,
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

/// The group's health check: Lattice's defaults where `Config.HealthCheck` is silent; none for
/// `ALB` groups, which Lattice does not check.
fn health_check(
    resource: &Resource<'_>,
    target_type: &str,
    version: ProtocolVersion,
    written: Option<HealthCheckProperties>,
    notes: &mut Vec<Note>,
) -> Result<HealthCheck, TemplateError> {
    if target_type == "ALB" {
        if written.is_some() {
            notes.push(resource.note(
                "Config.HealthCheck: Lattice does not health-check ALB targets (the ALB does)",
            ));
        }
        return Ok(HealthCheck::disabled());
    }
    let settings = written.map(HealthCheckSettings::from).unwrap_or_default();
    let check = settings.resolve(version).map_err(|error| {
        let property = match &error {
            HealthCheckError::OutOfRange { setting, .. } => setting,
            HealthCheckError::Protocol(_) => "Protocol",
            HealthCheckError::ProtocolVersion(_) => "ProtocolVersion",
            HealthCheckError::Path(_) => "Path",
            HealthCheckError::Matcher { .. } => "Matcher.HttpCode",
        };
        resource.invalid(&format!("Config.HealthCheck.{property}"), error.to_string())
    })?;
    if check.enabled && check.https {
        notes.push(resource.note(
            "Config.HealthCheck.Protocol HTTPS: targets are reached over plain HTTP locally, so they are not health-checked",
        ));
    }
    Ok(check)
}
