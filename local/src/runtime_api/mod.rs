//! An embedded Lambda Runtime API for exactly one function instance (one process).
//!
//! Each [`RuntimeApi`] listens on its own `127.0.0.1` port, so every request it receives
//! comes from one process and is unambiguous. It speaks the real protocol
//! (`/2018-06-01/runtime/invocation/next`, `…/{id}/response`, `…/{id}/error`,
//! `/runtime/init/error`) and the parts of the Extensions API that `lambda_runtime`'s
//! `graceful-shutdown` feature uses (`/2020-01-01/extension/register`,
//! `/2020-01-01/extension/event/next`). Invocations are handed over through channels: a
//! parked `/next` wakes as soon as [`RuntimeApi::dispatch`] is called, and the posted
//! response completes the future it returned.

mod extension_registry;
mod extensions;
mod ids;
mod invocation;
mod reply;
mod routes;
mod state;

// The shared body reader, under the name the routes and extensions use.
use crate::net::body;

use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::{Instant, SystemTime};

use tokio::net::TcpListener;

use crate::net::accept::service_from_fn;
use crate::net::limits::LOCAL_API_MAX_CONNECTIONS;
use crate::net::{ServeOptions, ServerTask, serve};
use tokio::sync::{mpsc, oneshot};

pub use crate::net::limits::MAX_RESPONSE_BYTES;
pub use extension_registry::RegisteredExtension;
pub use ids::{new_trace_id, new_uuid};
pub use invocation::{
    FunctionError, FunctionIdentity, InvalidHeader, Invocation, InvocationResult,
};
pub use state::{Phase, RESPONSE_TOO_LARGE, ShutdownReason};

use state::{Queued, Shared, Shutdown};

/// The Runtime API server of one function instance. Dropping it closes the port and
/// every connection.
#[derive(Debug)]
pub struct RuntimeApi {
    addr: SocketAddr,
    shared: Arc<Shared>,
    queue: mpsc::UnboundedSender<Queued>,
    _server: ServerTask,
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shared")
            .field("function", &self.identity.name)
            .field("phase", &*self.phase.borrow())
            .finish_non_exhaustive()
    }
}

/// The answer to one dispatched invocation. It never resolves if the runtime takes the
/// invocation and then dies: watch the process alongside it.
pub type PendingResult = oneshot::Receiver<InvocationResult>;

impl RuntimeApi {
    /// Start a Runtime API for `identity` on `127.0.0.1` with a free port.
    pub async fn bind(identity: Arc<FunctionIdentity>) -> io::Result<Self> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
        let addr = listener.local_addr()?;
        let (queue, queued) = mpsc::unbounded_channel();
        let shared = Arc::new(Shared::new(identity, queued));
        let routed = Arc::clone(&shared);
        let server = serve(
            listener,
            ServeOptions::new(LOCAL_API_MAX_CONNECTIONS),
            move |_| {
                let routed = Arc::clone(&routed);
                service_from_fn(move |request| routes::route(Arc::clone(&routed), request))
            },
        );
        Ok(Self {
            addr,
            shared,
            queue,
            _server: server,
        })
    }

    /// The address to put in `AWS_LAMBDA_RUNTIME_API`.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Queue `invocation` for the runtime's next `/invocation/next`.
    pub fn dispatch(&self, invocation: Invocation) -> PendingResult {
        let (reply, result) = oneshot::channel();
        // The receiving half lives in `shared`, which `self` keeps alive: this cannot fail.
        let _ = self.queue.send(Queued { invocation, reply });
        result
    }

    /// Where the instance is in its lifecycle.
    pub fn phase(&self) -> Phase {
        self.shared.phase.borrow().clone()
    }

    /// When the runtime first called `/invocation/next`, if it has.
    pub fn first_next_at(&self) -> Option<Instant> {
        match *self.shared.phase.borrow() {
            Phase::Ready(at) => Some(at),
            _ => None,
        }
    }

    /// Wait until init is over: the first `/next` (its instant), or the error the runtime
    /// posted to `/init/error`.
    pub async fn initialized(&self) -> Result<Instant, FunctionError> {
        let mut phase = self.shared.phase.subscribe();
        let settled = phase
            .wait_for(|p| !matches!(p, Phase::Initializing))
            .await
            .map(|p| p.clone());
        match settled {
            Ok(Phase::Ready(at)) => Ok(at),
            Ok(Phase::InitFailed(error)) => Err(error),
            // The sender lives in `shared`, which `self` keeps alive.
            Ok(Phase::Initializing) | Err(_) => std::future::pending().await,
        }
    }

    /// Release every extension parked on `/event/next` with a `SHUTDOWN` event.
    pub fn begin_shutdown(&self, reason: ShutdownReason, deadline: SystemTime) {
        let deadline_ms = deadline
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
        self.shared.shutdown.send_if_modified(|current| {
            if current.is_none() {
                *current = Some(Shutdown {
                    reason,
                    deadline_ms,
                });
                true
            } else {
                false
            }
        });
    }

    /// The extensions registered so far.
    pub fn extensions(&self) -> Vec<RegisteredExtension> {
        self.shared.extensions().list()
    }
}

#[cfg(test)]
mod tests;
