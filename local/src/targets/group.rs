//! [`HttpTargetGroup`]: the targets of one `IP`/`INSTANCE`/`ALB` target group and their health.
//! Requests go round robin to the routable targets, as Lattice balances a group's targets
//! ("VPC Lattice balances requests among the instances in the group using round robin load
//! balancing", EC2 Auto Scaling User Guide, *VPC Lattice target group*); when none is routable
//! they go round robin to all of them (fail open, see `docs/lattice-local.md`).
//!
//! Each target's health is kept twice: a flag the request path reads without a lock, and a
//! snapshot ([`TargetHealth`]) that readers such as the inspector can copy or watch.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use serde::Serialize;
use tokio::sync::watch;

use super::health::{HttpProbe, ProbeFailure, TargetStatus};
use super::http::{HttpTarget, ProxyError};
use crate::model::{HealthCheck, ProtocolVersion};

/// One target's health, as its checks last found it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TargetHealth {
    /// The target's URL.
    pub target: String,
    /// Its status.
    pub status: TargetStatus,
    /// Why its last check failed, while it fails.
    pub reason: Option<String>,
}

#[derive(Debug)]
struct Member {
    target: HttpTarget,
    routable: AtomicBool,
}

/// The targets of one HTTP target group.
#[derive(Debug)]
pub struct HttpTargetGroup {
    name: String,
    members: Vec<Member>,
    next: AtomicUsize,
    health_check: HealthCheck,
    /// The group's traffic port (`Config.Port`), which a check `Port` may name.
    port: Option<u16>,
    board: watch::Sender<Vec<TargetHealth>>,
}

impl HttpTargetGroup {
    /// The group `name` (logical id) of targets at `urls`, spoken to in `version`, checked by
    /// `health_check`. Targets start `INITIAL` when checks run locally, `UNAVAILABLE` (and
    /// routable) otherwise.
    pub fn new(
        name: impl Into<String>,
        urls: &[String],
        version: ProtocolVersion,
        health_check: HealthCheck,
        port: Option<u16>,
    ) -> Result<Self, ProxyError> {
        let status = if runs_locally(&health_check) {
            TargetStatus::Initial
        } else {
            TargetStatus::Unavailable
        };
        let members = urls
            .iter()
            .map(|url| {
                Ok(Member {
                    target: HttpTarget::new(url, version)?,
                    routable: AtomicBool::new(status.routable()),
                })
            })
            .collect::<Result<Vec<_>, ProxyError>>()?;
        let board = members
            .iter()
            .map(|m| TargetHealth {
                target: m.target.upstream().to_string(),
                status,
                reason: None,
            })
            .collect();
        Ok(HttpTargetGroup {
            name: name.into(),
            members,
            next: AtomicUsize::new(0),
            health_check,
            port,
            board: watch::Sender::new(board),
        })
    }

    /// The group's logical id.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The group's health check.
    pub fn health_check(&self) -> &HealthCheck {
        &self.health_check
    }

    /// The targets, in registration order.
    pub fn targets(&self) -> impl Iterator<Item = &HttpTarget> {
        self.members.iter().map(|m| &m.target)
    }

    /// `http:<url>[,http:<url>…]`, for messages about the whole group.
    pub fn describe(&self) -> String {
        self.targets()
            .map(|t| t.described().as_ref())
            .collect::<Vec<_>>()
            .join(",")
    }

    /// The target for the next request: round robin over the routable targets, or over all
    /// of them when none is. `None` only for a group without targets.
    pub fn pick(&self) -> Option<&HttpTarget> {
        let turn = self.next.fetch_add(1, Ordering::Relaxed);
        let routable = || {
            self.members
                .iter()
                .filter(|m| m.routable.load(Ordering::Relaxed))
        };
        let count = routable().count();
        let member = if count == 0 {
            self.members.get(turn % self.members.len().max(1))
        } else {
            routable().nth(turn % count)
        };
        member.map(|m| &m.target)
    }

    /// Every target's health now.
    pub fn health(&self) -> Vec<TargetHealth> {
        self.board.borrow().clone()
    }

    /// A receiver that sees every change of a target's status or failure reason.
    pub fn watch_health(&self) -> watch::Receiver<Vec<TargetHealth>> {
        self.board.subscribe()
    }

    /// The checks to run, one per target: none when the group's checks are disabled or cannot
    /// run locally.
    pub(crate) fn probes(&self) -> Vec<(usize, HttpProbe)> {
        if !runs_locally(&self.health_check) {
            return Vec::new();
        }
        self.members
            .iter()
            .enumerate()
            .map(|(index, m)| {
                (
                    index,
                    HttpProbe::new(&m.target, &self.health_check, self.port),
                )
            })
            .collect()
    }

    /// Records the outcome of a check of target `index`.
    pub(crate) fn record(&self, index: usize, status: TargetStatus, failure: Option<ProbeFailure>) {
        let Some(member) = self.members.get(index) else {
            return;
        };
        member.routable.store(status.routable(), Ordering::Relaxed);
        let reason = failure.map(|f| f.to_string());
        self.board.send_if_modified(|board| {
            let Some(entry) = board.get_mut(index) else {
                return false;
            };
            let changed = entry.status != status || entry.reason != reason;
            entry.status = status;
            entry.reason = reason;
            changed
        });
    }
}

/// Whether the group's targets are checked locally: checks enabled, over plain HTTP (targets
/// are reached over plain HTTP locally, so an `HTTPS` check has nothing to check).
fn runs_locally(check: &HealthCheck) -> bool {
    check.enabled && !check.https
}

#[cfg(test)]
mod tests {
    use super::*;

    fn group(count: usize, check: HealthCheck) -> HttpTargetGroup {
        let urls: Vec<String> = (0..count)
            .map(|i| format!("http://127.0.0.1:{}", 9000 + i))
            .collect();
        HttpTargetGroup::new("Tg", &urls, ProtocolVersion::Http1, check, Some(80)).unwrap()
    }

    fn ports(group: &HttpTargetGroup, requests: usize) -> Vec<u16> {
        (0..requests)
            .map(|_| group.pick().and_then(|t| t.authority().port_u16()).unwrap())
            .collect()
    }

    #[test]
    fn requests_go_round_robin_to_healthy_targets_only() {
        let group = group(3, HealthCheck::lattice_default(ProtocolVersion::Http1));
        // Nothing decided yet: every target is INITIAL, so the group fails open.
        assert_eq!(ports(&group, 3), [9000, 9001, 9002]);
        group.record(0, TargetStatus::Healthy, None);
        group.record(2, TargetStatus::Healthy, None);
        let spread = ports(&group, 6);
        assert_eq!(spread.iter().filter(|p| **p == 9000).count(), 3);
        assert_eq!(spread.iter().filter(|p| **p == 9002).count(), 3);
        assert!(!spread.contains(&9001), "{spread:?}");
        // All unhealthy: every target gets requests again.
        for index in 0..3 {
            group.record(
                index,
                TargetStatus::Unhealthy,
                Some(ProbeFailure::TimedOut(std::time::Duration::from_secs(5))),
            );
        }
        let mut all = ports(&group, 3);
        all.sort_unstable();
        assert_eq!(all, [9000, 9001, 9002]);
        let health = group.health();
        assert_eq!(health[1].status, TargetStatus::Unhealthy);
        assert_eq!(health[1].reason.as_deref(), Some("no response within 5 s"));
        assert_eq!(health[1].target, "http://127.0.0.1:9001/");
    }

    #[test]
    fn unchecked_groups_route_to_every_target_and_run_no_probe() {
        let unchecked = group(2, HealthCheck::disabled());
        assert!(unchecked.probes().is_empty());
        assert!(
            unchecked
                .health()
                .iter()
                .all(|h| h.status == TargetStatus::Unavailable)
        );
        assert_eq!(ports(&unchecked, 4), [9000, 9001, 9000, 9001]);
        let https = HealthCheck {
            https: true,
            ..HealthCheck::lattice_default(ProtocolVersion::Http1)
        };
        assert!(group(1, https).probes().is_empty());
        assert_eq!(
            group(2, HealthCheck::lattice_default(ProtocolVersion::Http1))
                .probes()
                .len(),
            2
        );
    }

    #[test]
    fn a_snapshot_is_published_only_when_something_changed() {
        let group = group(1, HealthCheck::lattice_default(ProtocolVersion::Http1));
        let mut watcher = group.watch_health();
        group.record(0, TargetStatus::Initial, None);
        assert!(!watcher.has_changed().unwrap());
        group.record(0, TargetStatus::Healthy, None);
        assert!(watcher.has_changed().unwrap());
        assert_eq!(watcher.borrow_and_update()[0].status, TargetStatus::Healthy);
        let snapshot = serde_json::to_value(group.health()).unwrap();
        assert_eq!(
            snapshot,
            serde_json::json!([{"target": "http://127.0.0.1:9000/", "status": "HEALTHY", "reason": null}])
        );
    }
}
