//! The check loop under paused time, with scripted check results: Lattice's interval and
//! thresholds decide when a target changes status.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;

use super::*;
use crate::model::{HealthCheck, ProtocolVersion};
use crate::targets::health::{ProbeFailure, TargetStatus};

/// Answers each check with the next scripted result, then passes.
struct Scripted(Mutex<VecDeque<bool>>);

impl Scripted {
    fn new(results: &[bool]) -> Self {
        Scripted(Mutex::new(results.iter().copied().collect()))
    }
}

impl Probe for Scripted {
    async fn check(&self) -> Result<(), ProbeFailure> {
        let passed = self.0.lock().unwrap().pop_front().unwrap_or(true);
        if passed {
            Ok(())
        } else {
            Err(ProbeFailure::Status {
                status: 503,
                matcher: "200".into(),
            })
        }
    }
}

fn one_target_group() -> Arc<HttpTargetGroup> {
    Arc::new(
        HttpTargetGroup::new(
            "Pods",
            &["http://127.0.0.1:9000".to_owned()],
            ProtocolVersion::Http1,
            HealthCheck::lattice_default(ProtocolVersion::Http1),
            None,
        )
        .unwrap(),
    )
}

/// Waits for target 0 to reach `status`; returns the (paused) time it took.
async fn reaches(
    watcher: &mut tokio::sync::watch::Receiver<Vec<super::super::TargetHealth>>,
    status: TargetStatus,
    since: Instant,
) -> Duration {
    watcher
        .wait_for(|health| health[0].status == status)
        .await
        .unwrap();
    since.elapsed()
}

#[tokio::test(start_paused = true)]
async fn default_checks_every_30_s_out_after_2_failures_back_after_5_passes() {
    let group = one_target_group();
    let mut watcher = group.watch_health();
    let began = Instant::now();
    // Checks at 0, 30, 60, 90, …: pass, fail, fail, then passes.
    let task = tokio::spawn(check_forever(
        Arc::clone(&group),
        0,
        Scripted::new(&[true, false, false]),
    ));
    assert_eq!(
        reaches(&mut watcher, TargetStatus::Healthy, began).await,
        Duration::ZERO
    );
    assert_eq!(
        reaches(&mut watcher, TargetStatus::Unhealthy, began).await,
        Duration::from_secs(60)
    );
    assert_eq!(
        group.health()[0].reason.as_deref(),
        Some("status 503 does not match 200")
    );
    // Five consecutive passes at 90, 120, 150, 180 and 210.
    assert_eq!(
        reaches(&mut watcher, TargetStatus::Healthy, began).await,
        Duration::from_secs(210)
    );
    assert_eq!(group.health()[0].reason, None);
    task.abort();
}

#[tokio::test(start_paused = true)]
async fn dropping_the_checks_stops_them() {
    let group = one_target_group();
    let checks = HealthChecks::start([&group]);
    assert_eq!(checks.len(), 1);
    drop(checks);
    // The task held the only other reference to the group.
    tokio::task::yield_now().await;
    assert_eq!(Arc::strong_count(&group), 1);
}
