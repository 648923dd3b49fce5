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

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::template::{LoadOptions, Topology};

    /// A template with one target group `Tg` of these `Properties` (YAML flow mapping).
    fn read_group(properties: &str) -> Result<Topology, TemplateError> {
        let yaml = format!(
            "Resources:\n  Tg:\n    Type: AWS::VpcLattice::TargetGroup\n    Properties: {properties}\n"
        );
        Topology::from_yaml(&yaml, &LoadOptions::new("us-west-2"))
    }

    fn http_kind(topology: &Topology) -> &TargetKind {
        &topology.target_groups["Tg"].kind
    }

    #[test]
    fn the_project_templates_pods_are_ip_targets_checked_on_the_app_path() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../template.yaml");
        let template = std::fs::read_to_string(path).unwrap();
        let load = LoadOptions::new("us-west-2")
            .with_parameter("EksAppMode", "template")
            .with_parameter("EksPodIps", "10.0.1.5,10.0.2.6");
        let topology = Topology::from_yaml(&template, &load).unwrap();
        let TargetKind::Http {
            target_type,
            targets,
            health_check,
            protocol_version,
            ..
        } = &topology.target_groups["EksAppTargetGroup"].kind
        else {
            panic!("an IP target group");
        };
        assert_eq!(
            (target_type.as_str(), *protocol_version),
            ("IP", ProtocolVersion::Http1)
        );
        let registered: Vec<(&str, Option<u16>)> =
            targets.iter().map(|t| (t.id.as_str(), t.port)).collect();
        assert_eq!(
            registered,
            [("10.0.1.5", Some(8090)), ("10.0.2.6", Some(8090))]
        );
        assert!(health_check.enabled);
        assert_eq!(health_check.path, "/app");
        assert_eq!(health_check.matcher.to_string(), "200");
        // Nothing about health checks is reported as not emulated any more.
        assert!(
            !topology
                .notes
                .iter()
                .any(|n| n.resource == "EksAppTargetGroup"),
            "{:?}",
            topology.notes
        );
    }

    #[test]
    fn every_health_check_setting_is_read_numbers_also_as_text() {
        let topology = read_group(
            r#"{ Type: IP, Config: { Port: 80, Protocol: HTTP, ProtocolVersion: HTTP2,
                 HealthCheck: { Enabled: "true", Protocol: HTTP, ProtocolVersion: HTTP2,
                   Path: "/ready?deep=1", Port: 8081, HealthCheckIntervalSeconds: "10",
                   HealthCheckTimeoutSeconds: 3, HealthyThresholdCount: 3,
                   UnhealthyThresholdCount: 4, Matcher: { HttpCode: "200,300-399" } } },
               Targets: [ { Id: 127.0.0.1 }, { Id: "::1", Port: 9000 } ] }"#,
        )
        .unwrap();
        let TargetKind::Http {
            protocol_version,
            targets,
            health_check,
            ..
        } = http_kind(&topology)
        else {
            panic!("an IP target group");
        };
        assert_eq!(*protocol_version, ProtocolVersion::Http2);
        assert_eq!(
            targets,
            &[
                RegisteredTarget {
                    id: "127.0.0.1".into(),
                    port: None
                },
                RegisteredTarget {
                    id: "::1".into(),
                    port: Some(9000)
                }
            ]
        );
        assert_eq!(
            (
                health_check.enabled,
                health_check.http2,
                health_check.path.as_str(),
                health_check.port
            ),
            (true, true, "/ready?deep=1", Some(8081))
        );
        assert_eq!(
            (health_check.interval, health_check.timeout),
            (Duration::from_secs(10), Duration::from_secs(3))
        );
        assert_eq!(
            (
                health_check.healthy_threshold,
                health_check.unhealthy_threshold
            ),
            (3, 4)
        );
        assert!(health_check.matcher.matches(302) && !health_check.matcher.matches(201));
    }

    #[test]
    fn grpc_groups_are_not_checked_unless_asked() {
        let topology =
            read_group("{ Type: IP, Config: { Port: 50051, ProtocolVersion: GRPC } }").unwrap();
        let TargetKind::Http {
            protocol_version,
            health_check,
            ..
        } = http_kind(&topology)
        else {
            panic!("an IP target group");
        };
        assert_eq!(*protocol_version, ProtocolVersion::Grpc);
        assert!(!health_check.enabled);
    }

    #[test]
    fn values_lattice_refuses_are_errors_naming_the_property() {
        let cases = [
            (
                "{ Type: IP, Config: { ProtocolVersion: HTTP3 } }",
                "Config.ProtocolVersion",
            ),
            (
                "{ Type: IP, Config: { HealthCheck: { HealthCheckIntervalSeconds: 1 } } }",
                "Config.HealthCheck.HealthCheckIntervalSeconds",
            ),
            (
                "{ Type: IP, Config: { HealthCheck: { UnhealthyThresholdCount: 11 } } }",
                "Config.HealthCheck.UnhealthyThresholdCount",
            ),
            (
                "{ Type: IP, Config: { HealthCheck: { Matcher: { HttpCode: 2xx } } } }",
                "Config.HealthCheck.Matcher.HttpCode",
            ),
            (
                "{ Type: IP, Config: { HealthCheck: { ProtocolVersion: GRPC } } }",
                "Config.HealthCheck.ProtocolVersion",
            ),
        ];
        for (properties, property) in cases {
            let error = read_group(properties).unwrap_err();
            assert!(
                matches!(&error, TemplateError::InvalidProperty { resource, property: p, .. }
                    if resource == "Tg" && p == property),
                "{properties}: {error}"
            );
        }
    }

    #[test]
    fn what_cannot_be_checked_or_reached_locally_is_noted() {
        let cases = [
            (
                "{ Type: INSTANCE, Config: { Port: 80 }, Targets: [ { Id: i-0123456789abcdef0 } ] }",
                "INSTANCE targets have no local address",
            ),
            (
                "{ Type: ALB, Config: { Port: 80, HealthCheck: { Path: /x } } }",
                "does not health-check ALB targets",
            ),
            (
                "{ Type: IP, Config: { Port: 443, Protocol: HTTPS }, Targets: [ { Id: 127.0.0.1 } ] }",
                "proxied over plain HTTP only",
            ),
            (
                "{ Type: IP, Config: { Port: 80, HealthCheck: { Protocol: HTTPS } } }",
                "not health-checked",
            ),
        ];
        for (properties, message) in cases {
            let topology = read_group(properties).unwrap();
            assert!(
                topology.notes.iter().any(|n| n.message.contains(message)),
                "{properties}: {:?}",
                topology.notes
            );
        }
        let alb = read_group("{ Type: ALB, Config: { Port: 80 } }").unwrap();
        let TargetKind::Http { health_check, .. } = http_kind(&alb) else {
            panic!("an HTTP target group");
        };
        assert_eq!(*health_check, HealthCheck::disabled());
    }
}
