//! Where an HTTP target group's targets are on this machine: the URLs `--upstream
//! GROUP=URL[,URL…]` gives (they replace the template's targets), else the template's `IP`
//! targets as `http://IP:PORT`. `INSTANCE` ids and `ALB` ARNs have no local address, so those
//! groups need `--upstream`.

use std::net::IpAddr;

use crate::model::{RegisteredTarget, TargetGroup, TargetKind};

/// Why a group has no local targets: the reason its requests get `503`, naming what to pass.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct NoLocalTargets(String);

/// Splits `--upstream`'s `URL[,URL…]` into URLs (empty entries are kept, so the URL check
/// names them).
///
/// ```
/// use lattice_local::targets::upstream_list;
/// assert_eq!(upstream_list("http://127.0.0.1:1, http://127.0.0.1:2"), ["http://127.0.0.1:1", "http://127.0.0.1:2"]);
/// ```
pub fn upstream_list(value: &str) -> Vec<String> {
    value.split(',').map(|url| url.trim().to_owned()).collect()
}

/// The URLs of `group`'s targets: `upstream` (the `--upstream` value) when given, else the
/// template's `IP` targets.
pub fn target_urls(
    group: &TargetGroup,
    upstream: Option<&str>,
) -> Result<Vec<String>, NoLocalTargets> {
    if let Some(upstream) = upstream {
        return Ok(upstream_list(upstream));
    }
    let pass = format!(
        "pass --upstream {}=http://127.0.0.1:PORT[,…]",
        group.logical_id
    );
    let TargetKind::Http {
        target_type,
        protocol,
        port,
        targets,
        ..
    } = &group.kind
    else {
        return Err(NoLocalTargets(format!(
            "target group {} is not an HTTP target group",
            group.logical_id
        )));
    };
    if targets.is_empty() {
        return Err(NoLocalTargets(format!(
            "no upstream for target group {}: {pass}",
            group.logical_id
        )));
    }
    if target_type != "IP" {
        return Err(NoLocalTargets(format!(
            "the {target_type} targets of target group {} have no local address: {pass}",
            group.logical_id
        )));
    }
    if protocol != "HTTP" {
        return Err(NoLocalTargets(format!(
            "target group {} reaches its targets over {protocol}, which lattice-local does not proxy: {pass}",
            group.logical_id
        )));
    }
    targets
        .iter()
        .map(|target| ip_target_url(target, *port))
        .collect::<Option<Vec<_>>>()
        .ok_or_else(|| {
            NoLocalTargets(format!(
                "target group {} has a target that is not an IP address with a port: {pass}",
                group.logical_id
            ))
        })
}

/// `http://IP:PORT` of an `IP` target (its own port, else the group's).
fn ip_target_url(target: &RegisteredTarget, group_port: Option<u16>) -> Option<String> {
    let ip: IpAddr = target.id.parse().ok()?;
    let port = target.port.or(group_port)?;
    Some(match ip {
        IpAddr::V4(v4) => format!("http://{v4}:{port}"),
        IpAddr::V6(v6) => format!("http://[{v6}]:{port}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{HealthCheck, ProtocolVersion};

    fn group(target_type: &str, protocol: &str, targets: &[(&str, Option<u16>)]) -> TargetGroup {
        TargetGroup {
            logical_id: "Pods".into(),
            name: "pods".into(),
            arn: "arn:tg".into(),
            kind: TargetKind::Http {
                target_type: target_type.into(),
                protocol: protocol.into(),
                protocol_version: ProtocolVersion::Http1,
                port: Some(8080),
                targets: targets
                    .iter()
                    .map(|(id, port)| RegisteredTarget {
                        id: (*id).into(),
                        port: *port,
                    })
                    .collect(),
                health_check: HealthCheck::lattice_default(ProtocolVersion::Http1),
            },
        }
    }

    #[test]
    fn ip_targets_become_urls_with_their_own_or_the_groups_port() {
        let ip = group("IP", "HTTP", &[("127.0.0.1", None), ("::1", Some(9000))]);
        assert_eq!(
            target_urls(&ip, None).unwrap(),
            ["http://127.0.0.1:8080", "http://[::1]:9000"]
        );
        // --upstream replaces them.
        assert_eq!(
            target_urls(&ip, Some("http://127.0.0.1:1,http://127.0.0.1:2")).unwrap(),
            ["http://127.0.0.1:1", "http://127.0.0.1:2"]
        );
    }

    #[test]
    fn groups_without_local_addresses_say_what_to_pass() {
        let cases = [
            (
                group("IP", "HTTP", &[]),
                "no upstream for target group Pods",
            ),
            (
                group("INSTANCE", "HTTP", &[("i-0123456789abcdef0", None)]),
                "the INSTANCE targets of target group Pods have no local address",
            ),
            (
                group("IP", "HTTPS", &[("127.0.0.1", None)]),
                "over HTTPS, which lattice-local does not proxy",
            ),
            (
                group("IP", "HTTP", &[("pod.local", None)]),
                "not an IP address",
            ),
        ];
        for (group, expected) in cases {
            let reason = target_urls(&group, None).unwrap_err().to_string();
            assert!(reason.contains(expected), "{reason}");
            assert!(
                reason.contains("pass --upstream Pods=http://127.0.0.1:PORT"),
                "{reason}"
            );
        }
    }
}
