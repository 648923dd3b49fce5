//! The live event stream (server-sent events) behind the requests table: each new exchange is
//! one `exchange` event carrying its row.
//!
//! Bounded both ways: at most [`INSPECTOR_MAX_STREAMS`] browsers follow at once (more get
//! `503`), and each has a queue of [`INSPECTOR_STREAM_QUEUE`] events. A browser that falls
//! further behind loses events rather than growing the queue; it is sent a `gap` event when it
//! catches up, and the page reloads the list. Idle streams send a comment every
//! [`INSPECTOR_HEARTBEAT`], so a browser that went away frees its slot.

use std::convert::Infallible;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};

use bytes::Bytes;
use hyper::body::{Body, Frame};
use tokio::sync::mpsc::error::TrySendError;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc};
use tokio::time::{Interval, MissedTickBehavior};

use crate::net::limits::{INSPECTOR_HEARTBEAT, INSPECTOR_MAX_STREAMS, INSPECTOR_STREAM_QUEUE};

/// What a browser that missed events is told.
const GAP_EVENT: &str = "event: gap\ndata: {}\n\n";

/// Sent first: how long the browser waits before reconnecting after a drop.
const OPENING: &str = "retry: 1000\n\n";

/// Sent on an idle stream: an SSE comment, ignored by the browser.
const HEARTBEAT: &str = ": keep-alive\n\n";

/// One browser's end, as the publisher sees it.
#[derive(Debug)]
struct Follower {
    events: mpsc::Sender<Bytes>,
    missed: Arc<AtomicBool>,
}

/// Every browser following the inspector.
#[derive(Debug)]
pub(crate) struct Streams {
    followers: Mutex<Vec<Follower>>,
    slots: Arc<Semaphore>,
}

impl Default for Streams {
    fn default() -> Self {
        Streams {
            followers: Mutex::new(Vec::new()),
            slots: Arc::new(Semaphore::new(INSPECTOR_MAX_STREAMS)),
        }
    }
}

impl Streams {
    /// A new stream, or `None` when [`INSPECTOR_MAX_STREAMS`] are open.
    pub fn follow(&self) -> Option<EventStream> {
        let slot = Arc::clone(&self.slots).try_acquire_owned().ok()?;
        let (events, receiver) = mpsc::channel(INSPECTOR_STREAM_QUEUE);
        let missed = Arc::new(AtomicBool::new(false));
        self.lock().push(Follower {
            events,
            missed: Arc::clone(&missed),
        });
        let first = tokio::time::Instant::now() + INSPECTOR_HEARTBEAT;
        let mut heartbeat = tokio::time::interval_at(first, INSPECTOR_HEARTBEAT);
        heartbeat.set_missed_tick_behavior(MissedTickBehavior::Delay);
        Some(EventStream {
            receiver,
            missed,
            heartbeat,
            opened: false,
            _slot: slot,
        })
    }

    /// Whether any page follows the events (nothing need be written for them if not).
    pub fn followed(&self) -> bool {
        !self.lock().is_empty()
    }

    /// Sends `name` with `data` (one line of JSON) to every browser; never waits.
    pub fn publish(&self, name: &str, data: &str) {
        let event = Bytes::from(format!("event: {name}\ndata: {data}\n\n"));
        self.lock()
            .retain(|follower| match follower.events.try_send(event.clone()) {
                Ok(()) => true,
                Err(TrySendError::Full(_)) => {
                    follower.missed.store(true, Ordering::Relaxed);
                    true
                }
                Err(TrySendError::Closed(_)) => false,
            });
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Follower>> {
        self.followers
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

/// The body of one `text/event-stream` response.
#[derive(Debug)]
pub struct EventStream {
    receiver: mpsc::Receiver<Bytes>,
    missed: Arc<AtomicBool>,
    heartbeat: Interval,
    opened: bool,
    /// Held while the browser follows; dropped with the response body.
    _slot: OwnedSemaphorePermit,
}

impl Body for EventStream {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        let frame = |text: &'static str| Poll::Ready(Some(Ok(Frame::data(Bytes::from(text)))));
        if !self.opened {
            self.opened = true;
            return frame(OPENING);
        }
        if self.missed.swap(false, Ordering::Relaxed) {
            return frame(GAP_EVENT);
        }
        match self.receiver.poll_recv(cx) {
            Poll::Ready(Some(event)) => Poll::Ready(Some(Ok(Frame::data(event)))),
            Poll::Ready(None) => Poll::Ready(None),
            Poll::Pending => match self.heartbeat.poll_tick(cx) {
                Poll::Ready(_) => frame(HEARTBEAT),
                Poll::Pending => Poll::Pending,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use http_body_util::BodyExt;

    use super::*;

    async fn next_text(stream: &mut EventStream) -> String {
        let frame = stream.frame().await.expect("a frame").expect("infallible");
        String::from_utf8(frame.into_data().expect("data").to_vec()).expect("utf-8")
    }

    #[tokio::test(start_paused = true)]
    async fn a_slow_browser_misses_events_instead_of_growing_a_queue() {
        let streams = Streams::default();
        let mut stream = streams.follow().expect("a slot");
        assert_eq!(next_text(&mut stream).await, OPENING);
        for n in 0..INSPECTOR_STREAM_QUEUE + 10 {
            streams.publish("exchange", &format!("{{\"id\":{n}}}"));
        }
        // Told of the gap first, then the events that fitted, in order.
        assert_eq!(next_text(&mut stream).await, GAP_EVENT);
        assert_eq!(
            next_text(&mut stream).await,
            "event: exchange\ndata: {\"id\":0}\n\n"
        );
        for _ in 1..INSPECTOR_STREAM_QUEUE {
            next_text(&mut stream).await;
        }
        // Idle now: a heartbeat comes after the interval (paused time advances to it).
        assert_eq!(next_text(&mut stream).await, HEARTBEAT);
    }

    #[tokio::test]
    async fn streams_are_capped_and_a_closed_one_frees_its_slot() {
        let streams = Streams::default();
        let open: Vec<EventStream> = (0..INSPECTOR_MAX_STREAMS)
            .map(|_| streams.follow().expect("a slot"))
            .collect();
        assert!(streams.follow().is_none());
        drop(open);
        let _kept = streams.follow().expect("a slot again");
        // The dropped browsers are forgotten at the next event.
        streams.publish("exchange", "{}");
        assert_eq!(streams.lock().len(), 1);
    }
}
