//! The request inspector: a web page on loopback that shows the topology as a diagram, every
//! request live (rule, caller, auth decision, target, status, latency) and, for one exchange,
//! the headers as received and as forwarded, the Lambda event and the function's response and
//! log, or the upstream's response head.
//!
//! - [`Inspector`] is what the data plane records into: its recording layer asks for a
//!   [`Capture`] per request (only while the inspector is on: off, nothing is copied), the
//!   targets fill it in, and the finished exchange goes into a bounded ring ([`store`]) and out
//!   to every open page ([`stream`]).
//! - [`InspectorServer`] serves the page, its script and style (embedded in the binary: the
//!   page works offline) and a small JSON API, on `127.0.0.1` only, with the `Host`/`Origin`
//!   checks of the other loopback APIs and a strict Content-Security-Policy ([`server`]).
//! - Credentials are redacted before anything is stored ([`redact`]).

pub mod capture;
pub mod redact;
pub mod server;
pub mod store;
pub mod stream;
pub mod topology;

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use http::request::Parts;
use tokio::sync::watch;

pub use capture::{Capture, ExchangeDetail};
pub use server::InspectorServer;
pub use store::{AuthDecision, Entry, Row};
pub use topology::TopologyView;

use self::store::Ring;
use self::stream::{EventStream, Streams};
use crate::access_log::AccessRecord;
use crate::net::limits::{INSPECTOR_BODY_BYTES, INSPECTOR_HISTORY};
use crate::targets::TargetHealth;

/// How the inspector runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InspectorOptions {
    /// Port on `127.0.0.1` (0: any free port).
    pub port: u16,
    /// Exchanges kept.
    pub history: usize,
    /// Bytes of any one body kept.
    pub body_limit: usize,
}

impl Default for InspectorOptions {
    /// Port 9002, the limits of [`crate::net::limits`].
    fn default() -> Self {
        InspectorOptions {
            port: 9002,
            history: INSPECTOR_HISTORY,
            body_limit: INSPECTOR_BODY_BYTES,
        }
    }
}

/// The recorded exchanges, the topology and the open pages. Cloning shares them.
#[derive(Clone, Debug)]
pub struct Inspector {
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    options: InspectorOptions,
    ring: Mutex<Ring>,
    streams: Streams,
    /// The topology, once known.
    topology: Mutex<Option<TopologyView>>,
    /// Each HTTP target group's health, as its health checks publish it.
    health: Mutex<Vec<(String, watch::Receiver<Vec<TargetHealth>>)>>,
}

fn locked<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Inspector {
    /// An inspector keeping `options.history` exchanges.
    pub fn new(options: InspectorOptions) -> Self {
        Inspector {
            shared: Arc::new(Shared {
                ring: Mutex::new(Ring::new(options.history)),
                options,
                streams: Streams::default(),
                topology: Mutex::new(None),
                health: Mutex::new(Vec::new()),
            }),
        }
    }

    /// How it runs.
    pub fn options(&self) -> &InspectorOptions {
        &self.shared.options
    }

    /// Starts recording the request `parts` describes.
    pub fn capture(&self, parts: &Parts) -> Capture {
        Capture::new(parts, self.shared.options.body_limit)
    }

    /// Keeps the finished exchange and shows it on every open page.
    pub fn record(&self, record: &AccessRecord, capture: &Capture) {
        let entry = locked(&self.shared.ring).push(record, capture.finish());
        // The row's JSON only for pages that follow (none while nobody looks).
        if !self.shared.streams.followed() {
            return;
        }
        if let Ok(json) = serde_json::to_string(&entry.row) {
            self.shared.streams.publish("exchange", &json);
        }
    }

    /// The topology the page draws.
    pub fn set_topology(&self, view: &TopologyView) {
        *locked(&self.shared.topology) = Some(view.clone());
    }

    /// Shows the targets of HTTP target group `group` (logical id) with the health `health`
    /// publishes, as it changes.
    pub fn watch_health(&self, group: &str, health: watch::Receiver<Vec<TargetHealth>>) {
        locked(&self.shared.health).push((group.to_owned(), health));
    }

    /// The topology as JSON, with each watched group's health as it is now; `None` until set.
    pub fn topology_json(&self) -> Option<Arc<str>> {
        let mut view = locked(&self.shared.topology).clone()?;
        for (group, health) in locked(&self.shared.health).iter() {
            view.set_health(group, &health.borrow());
        }
        let json = serde_json::to_string(&view).unwrap_or_else(|_| "null".to_owned());
        Some(Arc::from(json))
    }

    /// Every row kept, oldest first.
    pub fn rows(&self) -> Vec<Row> {
        locked(&self.shared.ring).rows()
    }

    /// The exchange `id`, if still kept.
    pub fn exchange(&self, id: u64) -> Option<Arc<Entry>> {
        locked(&self.shared.ring).get(id)
    }

    /// A live stream of new rows, or `None` when too many pages follow already.
    pub fn follow(&self) -> Option<EventStream> {
        self.shared.streams.follow()
    }
}
