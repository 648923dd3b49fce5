//! Test support: what the library logs on the current thread while a test runs.
//!
//! `tracing` caches, per call site and process-wide, whether any subscriber is interested.
//! Scoped subscribers set in parallel test threads leave that cache stale
//! (tokio-rs/tracing#2874): a call site first reached by a thread without a subscriber can
//! stay silent for the thread that captures. So one global subscriber is installed whose
//! interest in every call site is "sometimes" (never cached), whose filter asks the current
//! thread's capture level, and which writes each event to that thread's capture. The filter
//! is a global one (`Layer::enabled`), not a per-layer filter: `tracing::enabled!` with
//! per-layer filters leaves their thread-local state behind for the next event.

use std::cell::RefCell;
use std::sync::Once;

use tracing::subscriber::Interest;
use tracing::{Metadata, Subscriber};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt as _};
use tracing_subscriber::util::SubscriberInitExt as _;

thread_local! {
    /// This thread's capture: the level and the text so far.
    static CAPTURE: RefCell<Option<(tracing::Level, Vec<u8>)>> = const { RefCell::new(None) };
}

/// Captures this thread's events at `level` until dropped; [`Capture::text`] reads them.
pub(super) struct Capture(());

impl Capture {
    /// Everything written so far.
    pub(super) fn text(&self) -> String {
        CAPTURE.with(|capture| {
            capture
                .borrow()
                .as_ref()
                .map(|(_, bytes)| String::from_utf8_lossy(bytes).into_owned())
                .unwrap_or_default()
        })
    }
}

impl Drop for Capture {
    fn drop(&mut self) {
        CAPTURE.with(|capture| capture.borrow_mut().take());
    }
}

/// Starts capturing this thread's events at `level`.
pub(super) fn capture(level: tracing::Level) -> Capture {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        let lines = tracing_subscriber::fmt::layer()
            .with_ansi(false)
            .with_writer(|| ThreadCapture);
        let _ = tracing_subscriber::registry()
            .with(ThreadLevel)
            .with(lines)
            .try_init();
    });
    CAPTURE.with(|capture| *capture.borrow_mut() = Some((level, Vec::new())));
    Capture(())
}

/// Enables what the current thread's capture level admits; decided per event, never cached.
struct ThreadLevel;

impl<S: Subscriber> Layer<S> for ThreadLevel {
    fn register_callsite(&self, _: &'static Metadata<'static>) -> Interest {
        Interest::sometimes()
    }

    fn enabled(&self, metadata: &Metadata<'_>, _: Context<'_, S>) -> bool {
        CAPTURE.with(|capture| {
            capture
                .borrow()
                .as_ref()
                .is_some_and(|(level, _)| metadata.level() <= level)
        })
    }
}

/// Appends to the current thread's capture.
struct ThreadCapture;

impl std::io::Write for ThreadCapture {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        CAPTURE.with(|capture| {
            if let Some((_, text)) = capture.borrow_mut().as_mut() {
                text.extend_from_slice(bytes);
            }
        });
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
