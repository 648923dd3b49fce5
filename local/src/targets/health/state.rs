//! One target's health as its checks decide it: Lattice's statuses and the threshold rules
//! that move a target between them (User Guide, *Health checks for your VPC Lattice target
//! groups*): a new target must pass one check to be healthy; `UnhealthyThresholdCount`
//! consecutive failures take a target out, `HealthyThresholdCount` consecutive passes bring an
//! unhealthy one back.

use serde::Serialize;

use crate::model::HealthCheck;

/// A target's status, named as Lattice's `ListTargets` names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TargetStatus {
    /// Registered, no check decided yet: not routed to (unless no target is routable).
    Initial,
    /// Passing its checks: routed to.
    Healthy,
    /// Failing its checks: not routed to (unless no target is routable).
    Unhealthy,
    /// Not checked (health checks disabled, or not runnable locally): routed to.
    Unavailable,
}

impl TargetStatus {
    /// Whether requests go to a target of this status while some target is routable.
    pub fn routable(self) -> bool {
        matches!(self, TargetStatus::Healthy | TargetStatus::Unavailable)
    }
}

/// The consecutive results of one target's checks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct HealthState {
    status: TargetStatus,
    passes: u32,
    failures: u32,
}

impl HealthState {
    /// A newly registered target.
    pub fn new() -> Self {
        HealthState {
            status: TargetStatus::Initial,
            passes: 0,
            failures: 0,
        }
    }

    /// The current status.
    pub fn status(&self) -> TargetStatus {
        self.status
    }

    /// Records one check; returns the new status when it changed.
    pub fn record(&mut self, passed: bool, check: &HealthCheck) -> Option<TargetStatus> {
        if passed {
            self.passes = self.passes.saturating_add(1);
            self.failures = 0;
        } else {
            self.failures = self.failures.saturating_add(1);
            self.passes = 0;
        }
        let next = match self.status {
            // "After your target is registered, it must pass one health check to be considered
            // healthy."
            TargetStatus::Initial if passed => TargetStatus::Healthy,
            TargetStatus::Unhealthy if self.passes >= check.healthy_threshold => {
                TargetStatus::Healthy
            }
            TargetStatus::Initial | TargetStatus::Healthy
                if self.failures >= check.unhealthy_threshold =>
            {
                TargetStatus::Unhealthy
            }
            unchanged => unchanged,
        };
        (next != self.status).then(|| {
            self.status = next;
            next
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ProtocolVersion;

    fn run(results: &[bool]) -> Vec<TargetStatus> {
        let check = HealthCheck::lattice_default(ProtocolVersion::Http1);
        let mut state = HealthState::new();
        results
            .iter()
            .map(|passed| {
                state.record(*passed, &check);
                state.status()
            })
            .collect()
    }

    #[test]
    fn one_pass_makes_a_new_target_healthy() {
        use TargetStatus::*;
        assert_eq!(run(&[true]), [Healthy]);
        assert_eq!(run(&[false, true]), [Initial, Healthy]);
        // Two failures (the default unhealthy threshold) before any pass.
        assert_eq!(run(&[false, false]), [Initial, Unhealthy]);
    }

    #[test]
    fn thresholds_count_consecutive_results_only() {
        use TargetStatus::*;
        // Healthy; one failure is not enough, a pass resets the count; two in a row are.
        assert_eq!(
            run(&[true, false, true, false, false]),
            [Healthy, Healthy, Healthy, Healthy, Unhealthy]
        );
        // Back after five consecutive passes (the default healthy threshold), not four.
        let mut results = vec![true, false, false, true, true, true, true, false];
        results.extend([true; 5]);
        let statuses = run(&results);
        assert_eq!(statuses[2], Unhealthy);
        assert!(
            statuses[3..8].iter().all(|s| *s == Unhealthy),
            "{statuses:?}"
        );
        assert_eq!(statuses[12], Healthy, "{statuses:?}");
        assert_eq!(statuses[11], Unhealthy, "{statuses:?}");
    }

    #[test]
    fn a_change_is_reported_once() {
        let check = HealthCheck::lattice_default(ProtocolVersion::Http1);
        let mut state = HealthState::new();
        assert_eq!(state.record(true, &check), Some(TargetStatus::Healthy));
        assert_eq!(state.record(true, &check), None);
        assert_eq!(state.record(false, &check), None);
        assert_eq!(state.record(false, &check), Some(TargetStatus::Unhealthy));
        assert!(!TargetStatus::Unhealthy.routable() && !TargetStatus::Initial.routable());
        assert!(TargetStatus::Healthy.routable() && TargetStatus::Unavailable.routable());
    }
}
