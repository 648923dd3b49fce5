//! The state one Runtime API server keeps for its single function instance.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use tokio::sync::{mpsc, oneshot, watch};

use super::extension_registry::ExtensionRegistry;
use super::invocation::{FunctionError, FunctionIdentity, Invocation, InvocationResult};

/// An invocation waiting for the runtime's `/next`, with the way back to its caller.
pub(crate) struct Queued {
    pub(crate) invocation: Invocation,
    pub(crate) reply: oneshot::Sender<InvocationResult>,
}

/// Where the instance is in its lifecycle, as seen through the Runtime API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Phase {
    /// Started, has not called `/invocation/next` yet.
    Initializing,
    /// Called `/invocation/next` for the first time at this instant: init is over.
    Ready(Instant),
    /// Reported `/init/error`.
    InitFailed(FunctionError),
}

/// Why the instance is being shut down (the `shutdownReason` of the `SHUTDOWN` event).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShutdownReason {
    /// Normal scale-down.
    Spindown,
    /// The invocation timed out.
    Timeout,
    /// The instance failed.
    Failure,
}

impl ShutdownReason {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Spindown => "SPINDOWN",
            Self::Timeout => "TIMEOUT",
            Self::Failure => "FAILURE",
        }
    }
}

/// A shutdown that has begun: extensions parked on `/event/next` receive it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Shutdown {
    pub(crate) reason: ShutdownReason,
    pub(crate) deadline_ms: u64,
}

/// The error type of an invocation whose response the Runtime API refused as too large (the
/// real Runtime API's name for it).
pub const RESPONSE_TOO_LARGE: &str = "Function.ResponseSizeTooLarge";

pub(crate) struct Shared {
    pub(crate) identity: Arc<FunctionIdentity>,
    /// Only one `/next` can take an invocation at a time; parked `/next` calls queue here.
    pub(crate) queue: tokio::sync::Mutex<mpsc::UnboundedReceiver<Queued>>,
    /// Invocations handed out by `/next` and not yet answered, by request id.
    pub(crate) in_flight: Mutex<HashMap<String, oneshot::Sender<InvocationResult>>>,
    pub(crate) phase: watch::Sender<Phase>,
    pub(crate) shutdown: watch::Sender<Option<Shutdown>>,
    pub(crate) extensions: Mutex<ExtensionRegistry>,
}

impl Shared {
    pub(crate) fn new(
        identity: Arc<FunctionIdentity>,
        queue: mpsc::UnboundedReceiver<Queued>,
    ) -> Self {
        Self {
            identity,
            queue: tokio::sync::Mutex::new(queue),
            in_flight: Mutex::new(HashMap::new()),
            phase: watch::Sender::new(Phase::Initializing),
            shutdown: watch::Sender::new(None),
            extensions: Mutex::new(ExtensionRegistry::default()),
        }
    }

    pub(crate) fn start_in_flight(
        &self,
        request_id: String,
        reply: oneshot::Sender<InvocationResult>,
    ) {
        self.in_flight
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(request_id, reply);
    }

    /// Remove and return the reply channel of an invocation that is in flight.
    pub(crate) fn finish_in_flight(
        &self,
        request_id: &str,
    ) -> Option<oneshot::Sender<InvocationResult>> {
        self.in_flight
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(request_id)
    }

    pub(crate) fn is_in_flight(&self, request_id: &str) -> bool {
        self.in_flight
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .contains_key(request_id)
    }

    /// The first `/next` ends init; later calls change nothing.
    pub(crate) fn mark_ready(&self) {
        self.phase.send_if_modified(|phase| {
            if *phase == Phase::Initializing {
                *phase = Phase::Ready(Instant::now());
                true
            } else {
                false
            }
        });
    }

    pub(crate) fn extensions(&self) -> std::sync::MutexGuard<'_, ExtensionRegistry> {
        self.extensions
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}
