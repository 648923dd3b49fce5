//! One line per request, in one of two formats ([`AccessLogFormat`]): a short text line
//! (service, method, path, matched rule, target, status, latency, for a refused or failed
//! request the reason, and the auth policy statement that decided), or the JSON object Lattice publishes to `VpcLatticeAccessLogs`
//! ([`json`]). Absent values are `-`, as in Lattice's logs. Both are views of one
//! [`AccessRecord`] ([`record`]).
//!
//! ```text
//! access service=foo-service method=GET path=/ rule=default target=lambda:ProviderFunction status=200 latency_ms=0.41 reason=- auth=service:AllowOrg
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

pub mod json;
pub mod record;

use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

pub use json::LatticeAccessLog;
pub use record::{AccessRecord, TlsFacts};

/// Lines that may wait for the writer before further ones are dropped (and counted).
pub const ACCESS_LOG_QUEUE: usize = 8192;

/// How long a line may wait for the writer when the queue is not filling up.
pub const ACCESS_LOG_INTERVAL: Duration = Duration::from_millis(20);

/// How each record is written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum AccessLogFormat {
    /// The short text line ([`AccessRecord`]'s `Display`).
    #[default]
    Text,
    /// Lattice's `VpcLatticeAccessLogs` JSON object, one per line.
    Json,
}

impl AccessLogFormat {
    fn write(self, output: &mut impl Write, record: &AccessRecord) -> std::io::Result<()> {
        match self {
            AccessLogFormat::Text => writeln!(output, "{record}"),
            AccessLogFormat::Json => writeln!(output, "{}", record.to_json_line()),
        }
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
    pub fn stdout(format: AccessLogFormat) -> std::io::Result<(Self, AccessLogWriter)> {
        Self::to_writer(std::io::stdout(), format)
    }

    /// A log written to `output` by a writer thread, one line per request.
    pub fn to_writer(
        output: impl Write + Send + 'static,
        format: AccessLogFormat,
    ) -> std::io::Result<(Self, AccessLogWriter)> {
        let queue = Arc::new(Queue::default());
        let written = Arc::clone(&queue);
        let thread = std::thread::Builder::new()
            .name("access-log".into())
            .spawn(move || write_lines(&written, output, format))?;
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
fn write_lines(queue: &Queue, output: impl Write, format: AccessLogFormat) {
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
            let _ = format.write(&mut output, &record);
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

    use http::{Method, StatusCode, Uri};

    fn record(path: &'static str) -> AccessRecord {
        let mut record = AccessRecord::new(
            std::time::UNIX_EPOCH,
            Method::GET,
            Uri::from_static(path),
            "127.0.0.1:4000".parse().unwrap(),
        );
        record.service = Some("eks-app".into());
        record.rule = Some("EksAppRule".into());
        record.target = Some("http:http://127.0.0.1:8090/".into());
        record.latency = Duration::from_micros(1250);
        record.auth = Some("service:Statement[0]".into());
        record
    }

    #[test]
    fn a_record_is_one_line_with_every_field_and_no_query() {
        assert_eq!(
            record("/app?token=secret").to_string(),
            "access service=eks-app method=GET path=/app rule=EksAppRule target=http:http://127.0.0.1:8090/ status=200 latency_ms=1.25 reason=- auth=service:Statement[0]"
        );
        let refused = AccessRecord {
            service: None,
            rule: None,
            target: None,
            status: StatusCode::MISDIRECTED_REQUEST,
            reason: Some("foreign-host"),
            auth: None,
            ..record("/")
        };
        assert_eq!(
            refused.to_string(),
            "access service=- method=GET path=/ rule=- target=- status=421 latency_ms=1.25 reason=foreign-host auth=-"
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
        let (log, writer) = AccessLog::to_writer(output.clone(), AccessLogFormat::Text).unwrap();
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

    #[test]
    fn the_json_format_writes_one_lattice_object_per_line() {
        let output = Shared::default();
        let (log, writer) = AccessLog::to_writer(output.clone(), AccessLogFormat::Json).unwrap();
        log.record(record("/app?token=secret"));
        log.record(record("/other"));
        writer.finish();
        let text = String::from_utf8(output.0.lock().unwrap().clone()).unwrap();
        let paths: Vec<String> = text
            .lines()
            .map(|line| {
                let object: serde_json::Value = serde_json::from_str(line).unwrap();
                object["requestPath"].as_str().unwrap().to_owned()
            })
            .collect();
        assert_eq!(paths, ["/app", "/other"], "{text}");
        assert!(!text.contains("secret"), "{text}");
    }
}
