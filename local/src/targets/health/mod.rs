//! What a health check is: the probe that checks one target ([`probe`]) and the status it moves
//! by Lattice's thresholds ([`state`]). The tasks that run them are `targets::health_checks`.

mod probe;
mod state;

pub use probe::{HEALTH_CHECK_USER_AGENT, ProbeFailure};
pub use state::TargetStatus;

pub(crate) use probe::{HttpProbe, Probe};
pub(crate) use state::HealthState;
