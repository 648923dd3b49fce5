//! [`Placement`]: which live instance takes the next invocation.
//!
//! An instance takes up to `per_instance` invocations at once: one, as Lambda runs functions,
//! or `AWS_LAMBDA_MAX_CONCURRENCY` of them, as Lambda Managed Instances hand a process several
//! invocations concurrently. An instance is *available* while it has room; the most recently
//! used available instance is chosen first (it is warmest). Instances that take several
//! invocations are started one at a time: a burst of invocations waits for the instance being
//! started, which takes them all, instead of starting a process each (what Lambda Managed
//! Instances avoid by design). Every change is announced, so an invoke waiting for room (every
//! instance full or starting, none more may be started) wakes when one frees.

use std::sync::{Mutex, MutexGuard, PoisonError};

use tokio::sync::Notify;

use super::instance::Instance;

/// The instances with room, and how much each may take.
#[derive(Debug)]
pub(crate) struct Placement {
    per_instance: usize,
    state: Mutex<State>,
    /// Signalled whenever an instance gains room, a start ends, or the pool shuts down.
    changed: Notify,
}

#[derive(Debug, Default)]
struct State {
    /// Instances with fewer than `per_instance` invocations in flight.
    available: Vec<Instance>,
    /// Instances being started for an invocation.
    starting: usize,
}

impl Placement {
    /// Instances that take `per_instance` (at least 1) invocations each.
    pub(crate) fn new(per_instance: usize) -> Self {
        Placement {
            per_instance: per_instance.max(1),
            state: Mutex::new(State::default()),
            changed: Notify::new(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Whether an invocation may start an instance now; if so, [`Placement::start_ended`]
    /// must follow. An instance that takes several invocations waits for the one starting.
    pub(crate) fn start_begins(&self) -> bool {
        let mut state = self.lock();
        if self.per_instance > 1 && state.starting > 0 {
            return false;
        }
        state.starting += 1;
        true
    }

    /// The start [`Placement::start_begins`] allowed is over (the instance claimed, or failed).
    pub(crate) fn start_ended(&self) {
        self.lock().starting -= 1;
        self.changed.notify_waiters();
    }

    /// An instance with room, now counting one more invocation; instances found dead are
    /// returned in `dead` for the caller to discard.
    pub(crate) fn take(&self, dead: &mut Vec<Instance>) -> Option<Instance> {
        let available = &mut self.lock().available;
        while let Some(instance) = available.pop() {
            if instance.has_ended() {
                dead.push(instance);
                continue;
            }
            if instance.enter() < self.per_instance {
                available.push(instance.clone());
            }
            return Some(instance);
        }
        None
    }

    /// A new instance that takes an invocation at once.
    pub(crate) fn claim_new(&self, instance: &Instance) {
        let mut state = self.lock();
        if instance.enter() < self.per_instance {
            state.available.push(instance.clone());
            drop(state);
            self.changed.notify_waiters();
        }
    }

    /// A new instance with nothing to do yet.
    pub(crate) fn add_idle(&self, instance: Instance) {
        self.lock().available.push(instance);
        self.changed.notify_waiters();
    }

    /// One invocation of `instance` is over.
    pub(crate) fn release(&self, instance: &Instance) {
        let mut state = self.lock();
        // It was full, so it was not available: now it has room again.
        if instance.leave() == self.per_instance {
            state.available.push(instance.clone());
        }
        drop(state);
        self.changed.notify_waiters();
    }

    /// `instance` takes nothing more (it is being discarded).
    pub(crate) fn remove(&self, instance: &Instance) {
        self.lock().available.retain(|i| i.id() != instance.id());
    }

    /// Nothing takes invocations any more; waiters wake to see it.
    pub(crate) fn clear(&self) {
        self.lock().available.clear();
        self.changed.notify_waiters();
    }

    /// Waits until an instance may have gained room. Create it before looking for room: a
    /// `notify_waiters` reaches a future from its creation on, so a change between the look
    /// and the wait is not missed.
    pub(crate) fn changed(&self) -> tokio::sync::futures::Notified<'_> {
        self.changed.notified()
    }
}
