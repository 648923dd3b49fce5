//! One line per request: service, method, path, matched rule, target, status, latency and,
//! for a refused or failed request, the reason. Absent values are `-`, as in Lattice's logs.
//!
//! ```text
//! access service=foo-service method=GET path=/ rule=default target=lambda:ProviderFunction status=200 latency_ms=0.41 reason=-
//! ```
//!
//! Lines leave the request path at once: the request appends its [`AccessRecord`] to a bounded
//! queue (one uncontended lock, no system call) and a writer thread takes the whole queue every
//! [`ACCESS_LOG_INTERVAL`] (sooner when it is half full), formats it and writes it with one
//! flush. Waking the writer for every line cost a context switch per request (measured with
//! `perf`: the writer thread was 14% of the process's samples). A request never waits for the
//! output; if the output stalls and the queue is full, further lines are counted and the count
//! is written once the output moves again. [`AccessLogWriter::finish`] writes every line queued
//! before it, so none is lost on shutdown.

use std::fmt;
use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use http::{Method, StatusCode, Uri};
use lattice_lambda::Identity;

/// Lines that may wait for the writer before further ones are dropped (and counted).
pub const ACCESS_LOG_QUEUE: usize = 8192;

/// How long a line may wait for the writer when the queue is not filling up.
pub const ACCESS_LOG_INTERVAL: Duration = Duration::from_millis(20);

/// One request as the access log records it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccessRecord {
    /// The service, or `None` when no service matched the `Host`.
    pub service: Option<Arc<str>>,
    /// Method.
    pub method: Method,
    /// The request target; only its path is written (the query may carry secrets).
    pub uri: Uri,
    /// Matched rule (logical id) or `default`; `None` when routing did not happen.
    pub rule: Option<Arc<str>>,
    /// Target (`lambda:<function>`, `http:<url>`, `fixed-response`), if one was chosen.
    pub target: Option<Arc<str>>,
    /// Status sent to the client.
    pub status: StatusCode,
    /// Time from receiving the request head to having the response head.
    pub latency: Duration,
    /// Why the request was refused or failed (`denied-by-auth-policy`, `target-timeout`, …).
    pub reason: Option<&'static str>,
    /// The caller, once its signature was verified (also when its request was then denied);
    /// `None` for an unsigned request or one refused before authentication. Kept only while
    /// something reads records (the access log or the inspector).
    pub caller: Option<Identity>,
    /// The auth policy and statement that decided (`service:<Sid>`,
    /// `service:no-statement-allowed`, `service:no-policy`); `None` when no policy applied.
    pub auth: Option<Arc<str>>,
}

impl AccessRecord {
    /// The request path.
    pub fn path(&self) -> &str {
        self.uri.path()
    }
}

/// `value`, or `-` when absent.
struct OrDash<'a, T>(&'a Option<T>);

impl<T: fmt::Display> fmt::Display for OrDash<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(value) => value.fmt(f),
            None => f.write_str("-"),
        }
    }
}

impl fmt::Display for AccessRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "access service={} method={} path={} rule={} target={} status={} latency_ms={:.2} reason={}",
            OrDash(&self.service),
            self.method,
            self.path(),
            OrDash(&self.rule),
            OrDash(&self.target),
            self.status.as_u16(),
            self.latency.as_secs_f64() * 1000.0,
            OrDash(&self.reason),
        )
    }
}

/// Where access-log lines go. Cloning shares the destination.
#[derive(Clone, Debug, Default)]
pub enum AccessLog {
    /// Nowhere (benchmarks).
    #[default]
    Off,
    /// A writer thread (see [`AccessLog::to_writer`]).
    Queued(QueueSender),
    /// Kept in memory (tests, and the demo's summary).
    Memory(Arc<Mutex<Vec<AccessRecord>>>),
}

/// The request side of a queued access log.
#[derive(Clone, Debug)]
pub struct QueueSender(Arc<Queue>);

/// What the requests and the writer thread share.
#[derive(Debug, Default)]
struct Queue {
    state: Mutex<QueueState>,
    /// Signalled when the queue is half full, and on finish.
    wake: Condvar,
    dropped: AtomicU64,
}

#[derive(Debug, Default)]
struct QueueState {
    lines: Vec<AccessRecord>,
    finishing: bool,
}

impl Queue {
    fn lock(&self) -> MutexGuard<'_, QueueState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The thread writing a queued access log; [`AccessLogWriter::finish`] stops it.
#[derive(Debug)]
pub struct AccessLogWriter {
    queue: Arc<Queue>,
    thread: Option<JoinHandle<()>>,
}

impl AccessLog {
    /// An in-memory log.
    pub fn memory() -> Self {
        AccessLog::Memory(Arc::default())
    }

    /// A log written to this process's stdout by a writer thread.
    pub fn stdout() -> std::io::Result<(Self, AccessLogWriter)> {
        Self::to_writer(std::io::stdout())
    }

    /// A log written to `output` by a writer thread, one line per request.
    pub fn to_writer(
        output: impl Write + Send + 'static,
    ) -> std::io::Result<(Self, AccessLogWriter)> {
        let queue = Arc::new(Queue::default());
        let written = Arc::clone(&queue);
        let thread = std::thread::Builder::new()
            .name("access-log".into())
            .spawn(move || write_lines(&written, output))?;
        let writer = AccessLogWriter {
            queue: Arc::clone(&queue),
            thread: Some(thread),
        };
        Ok((AccessLog::Queued(QueueSender(queue)), writer))
    }

    /// Whether records are kept or written at all (if not, callers need not build them).
    pub fn is_on(&self) -> bool {
        !matches!(self, AccessLog::Off)
    }

    /// Records one request; never waits for the output.
    pub fn record(&self, record: AccessRecord) {
        match self {
            AccessLog::Off => {}
            AccessLog::Queued(QueueSender(queue)) => {
                let mut state = queue.lock();
                if state.finishing {
                    // The server is shutting down; the writer has taken its last lines.
                } else if state.lines.len() >= ACCESS_LOG_QUEUE {
                    queue.dropped.fetch_add(1, Ordering::Relaxed);
                } else {
                    state.lines.push(record);
                    if state.lines.len() == ACCESS_LOG_QUEUE / 2 {
                        queue.wake.notify_one();
                    }
                }
            }
            AccessLog::Memory(records) => records
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(record),
        }
    }

    /// The records kept so far (empty unless [`AccessLog::Memory`]).
    pub fn records(&self) -> Vec<AccessRecord> {
        match self {
            AccessLog::Memory(records) => records
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .clone(),
            _ => Vec::new(),
        }
    }
}

impl AccessLogWriter {
    /// Writes every line queued so far, flushes and stops the thread. Lines recorded after
    /// this are not written: stop serving first.
    pub fn finish(mut self) {
        self.stop();
    }

    fn stop(&mut self) {
        self.queue.lock().finishing = true;
        self.queue.wake.notify_one();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for AccessLogWriter {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The writer thread: takes the whole queue every interval (or when woken), writes one line
/// per record and flushes once.
fn write_lines(queue: &Queue, output: impl Write) {
    let mut output = std::io::BufWriter::new(output);
    let mut batch = Vec::new();
    let mut reported = 0;
    loop {
        let finishing = {
            let state = queue.lock();
            let (mut state, _) = queue
                .wake
                .wait_timeout_while(state, ACCESS_LOG_INTERVAL, |s| {
                    !s.finishing && s.lines.len() < ACCESS_LOG_QUEUE / 2
                })
                .unwrap_or_else(PoisonError::into_inner);
            std::mem::swap(&mut batch, &mut state.lines);
            state.finishing
        };
        // A failing output (closed stdout) must not stop the server; lines are then lost.
        for record in batch.drain(..) {
            let _ = writeln!(output, "{record}");
        }
        let dropped = queue.dropped.load(Ordering::Relaxed);
        if dropped > reported {
            let _ = writeln!(
                output,
                "access-log: {} line(s) dropped: the output did not keep up",
                dropped - reported
            );
            reported = dropped;
        }
        let _ = output.flush();
        if finishing {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(path: &'static str) -> AccessRecord {
        AccessRecord {
            service: Some("eks-app".into()),
            method: Method::GET,
            uri: Uri::from_static(path),
            rule: Some("EksAppRule".into()),
            target: Some("http:http://127.0.0.1:8090/".into()),
            status: StatusCode::OK,
            latency: Duration::from_micros(1250),
            reason: None,
            caller: None,
            auth: None,
        }
    }

    #[test]
    fn a_record_is_one_line_with_every_field_and_no_query() {
        assert_eq!(
            record("/app?token=secret").to_string(),
            "access service=eks-app method=GET path=/app rule=EksAppRule target=http:http://127.0.0.1:8090/ status=200 latency_ms=1.25 reason=-"
        );
        let refused = AccessRecord {
            service: None,
            rule: None,
            target: None,
            status: StatusCode::MISDIRECTED_REQUEST,
            reason: Some("foreign-host"),
            ..record("/")
        };
        assert_eq!(
            refused.to_string(),
            "access service=- method=GET path=/ rule=- target=- status=421 latency_ms=1.25 reason=foreign-host"
        );
        let log = AccessLog::memory();
        log.record(record("/app"));
        assert_eq!(log.records(), [record("/app")]);
        assert!(AccessLog::Off.records().is_empty());
    }

    /// A `Write` whose bytes the test can read after the writer finished.
    #[derive(Clone, Default)]
    struct Shared(Arc<Mutex<Vec<u8>>>);

    impl Write for Shared {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn finishing_writes_every_line_queued_before_it() {
        let output = Shared::default();
        let (log, writer) = AccessLog::to_writer(output.clone()).unwrap();
        // Fewer than the queue holds, sent faster than a thread could write them one by one.
        for _ in 0..1000 {
            log.record(record("/app"));
        }
        writer.finish();
        let text = String::from_utf8(output.0.lock().unwrap().clone()).unwrap();
        assert_eq!(text.lines().count(), 1000, "{text}");
        assert!(
            text.lines()
                .all(|l| l.starts_with("access service=eks-app"))
        );
        // After the writer finished, recording is a no-op, not a panic.
        log.record(record("/late"));
    }
}
