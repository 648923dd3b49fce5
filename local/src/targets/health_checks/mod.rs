//! Health checks of HTTP target groups: one background task per target sends a check every
//! `HealthCheckIntervalSeconds` (each bounded by `HealthCheckTimeoutSeconds`), and the target's
//! status moves by Lattice's thresholds (`health::state`). The tasks stop when [`HealthChecks`] is
//! dropped (the data plane owns it).
//!
//! As Lattice documents it, "each health check request is independent and the result lasts for
//! the entire interval. The time that it takes for the target to respond does not affect the
//! interval for the next health check request": checks start on a fixed schedule; a check still
//! running at the next tick makes that tick skipped, so a target never has two checks at once.

use std::sync::Arc;

use tokio::task::JoinSet;
use tokio::time::MissedTickBehavior;

use super::group::HttpTargetGroup;
use super::health::{HealthState, Probe};

/// The running health checks of some target groups. Dropping it stops them.
#[derive(Debug, Default)]
pub struct HealthChecks {
    tasks: JoinSet<()>,
}

impl HealthChecks {
    /// Starts checking every target of `groups` whose group has checks enabled (inside a Tokio
    /// runtime). Targets of other groups keep the status they were built with.
    pub fn start<'g>(groups: impl IntoIterator<Item = &'g Arc<HttpTargetGroup>>) -> Self {
        let mut tasks = JoinSet::new();
        for group in groups {
            for (index, probe) in group.probes() {
                tasks.spawn(check_forever(Arc::clone(group), index, probe));
            }
        }
        HealthChecks { tasks }
    }

    /// How many targets are being checked.
    pub fn len(&self) -> usize {
        self.tasks.len()
    }

    /// Whether no target is being checked.
    pub fn is_empty(&self) -> bool {
        self.tasks.is_empty()
    }
}

/// Checks target `index` of `group` every interval, forever (until aborted).
pub(crate) async fn check_forever(group: Arc<HttpTargetGroup>, index: usize, probe: impl Probe) {
    let check = group.health_check().clone();
    let mut schedule = tokio::time::interval(check.interval);
    schedule.set_missed_tick_behavior(MissedTickBehavior::Skip);
    let mut state = HealthState::new();
    loop {
        // The first tick is immediate: a new target is checked as soon as it is registered.
        schedule.tick().await;
        let result = probe.check().await;
        let changed = state.record(result.is_ok(), &check);
        if let (Some(status), Err(failure)) = (changed, &result) {
            tracing::warn!(group = group.name(), target = index, %failure, ?status, "health check failed");
        }
        group.record(index, state.status(), result.err());
    }
}

#[cfg(test)]
mod tests;
