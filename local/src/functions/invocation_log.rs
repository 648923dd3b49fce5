//! The log of one invocation, as Lambda hands it back for `X-Amz-Log-Type: Tail`: what the
//! instance wrote while it ran, between Lambda's `START` and `END`/`REPORT` lines, of which the
//! caller gets the last 4 KB ([`log_tail`]).
//!
//! Lines are caught by [`LogTaps`]: an instance's output pumps write every line to each tap
//! open on it. A function that runs several invocations at once (`AWS_LAMBDA_MAX_CONCURRENCY`)
//! writes them into one stream, so each of those invocations' logs holds every line written
//! while it ran.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

/// How much of an invocation's log Lambda returns: "the last 4 KB of the execution log"
/// (Invoke API reference, `X-Amz-Log-Type`).
pub const LOG_TAIL_BYTES: usize = 4 * 1024;

/// The last [`LOG_TAIL_BYTES`] of the lines written while one invocation ran (a line longer
/// than that keeps its end, as a tail does).
#[derive(Debug, Default)]
pub(crate) struct LogTap(Mutex<String>);

impl LogTap {
    fn push(&self, line: &str) {
        let mut text = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        text.push_str(line);
        text.push('\n');
        if text.len() > LOG_TAIL_BYTES {
            let cut = log_tail(&text).len();
            let start = text.len() - cut;
            text.drain(..start);
        }
    }

    /// What it caught.
    pub(crate) fn contents(&self) -> String {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

/// The captures open on one instance.
#[derive(Debug, Default)]
pub(crate) struct LogTaps(Mutex<Vec<Arc<LogTap>>>);

impl LogTaps {
    /// Starts catching lines; stop with [`LogTaps::close`].
    pub(crate) fn open(&self) -> Arc<LogTap> {
        let tap = Arc::new(LogTap::default());
        self.lock().push(Arc::clone(&tap));
        tap
    }

    /// Stops catching lines into `tap`.
    pub(crate) fn close(&self, tap: &Arc<LogTap>) {
        self.lock().retain(|open| !Arc::ptr_eq(open, tap));
    }

    /// Hands `line` to every open tap.
    pub(crate) fn write(&self, line: &str) {
        for tap in self.lock().iter() {
            tap.push(line);
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Arc<LogTap>>> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The lines an invocation's instance wrote while it ran, and how long it ran.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CapturedLog {
    /// The lines, each ending in a newline (the most recent [`LOG_TAIL_BYTES`] of them).
    pub lines: String,
    /// From handing the invocation over to its answer.
    pub duration: Duration,
}

impl CapturedLog {
    /// The log as Lambda writes it: `START`, the lines, `END`, `REPORT` (durations in
    /// milliseconds, billed by the millisecond as Lambda bills, the configured memory).
    pub fn lambda_log(&self, request_id: &str, version: &str, memory_mb: u32) -> String {
        let millis = self.duration.as_secs_f64() * 1000.0;
        format!(
            "START RequestId: {request_id} Version: {version}\n{lines}END RequestId: \
             {request_id}\nREPORT RequestId: {request_id}\tDuration: {millis:.2} ms\tBilled \
             Duration: {billed} ms\tMemory Size: {memory_mb} MB\t\n",
            lines = self.lines,
            billed = millis.ceil().max(1.0),
        )
    }
}

/// The last [`LOG_TAIL_BYTES`] of `log`, starting on a character boundary.
pub fn log_tail(log: &str) -> &str {
    let mut start = log.len().saturating_sub(LOG_TAIL_BYTES);
    while !log.is_char_boundary(start) {
        start += 1;
    }
    &log[start..]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_taps_catch_lines_until_closed() {
        let taps = LogTaps::default();
        taps.write("before");
        let first = taps.open();
        taps.write("one");
        let second = taps.open();
        taps.write("two");
        taps.close(&first);
        taps.write("three");
        assert_eq!(first.contents(), "one\ntwo\n");
        assert_eq!(second.contents(), "two\nthree\n");
        // A tap keeps the end of what was written.
        let tap = taps.open();
        taps.write(&format!("{}END", "x".repeat(2 * LOG_TAIL_BYTES)));
        let kept = tap.contents();
        assert_eq!(kept.len(), LOG_TAIL_BYTES);
        assert!(kept.ends_with("END\n"), "{kept}");
    }

    #[test]
    fn the_log_reads_like_lambdas_and_its_tail_is_the_last_4_kb() {
        let captured = CapturedLog {
            lines: "hello\n".into(),
            duration: Duration::from_micros(2_060),
        };
        let log = captured.lambda_log("r-1", "$LATEST", 128);
        assert_eq!(
            log,
            "START RequestId: r-1 Version: $LATEST\nhello\nEND RequestId: r-1\nREPORT RequestId: \
             r-1\tDuration: 2.06 ms\tBilled Duration: 3 ms\tMemory Size: 128 MB\t\n"
        );
        assert_eq!(log_tail(&log), log);
        let long = format!("é{}", "x".repeat(LOG_TAIL_BYTES - 1));
        // The 2-byte 'é' straddles the cut: the tail starts after it.
        assert_eq!(log_tail(&long), &long[2..]);
        assert!(log_tail(&long).len() < LOG_TAIL_BYTES);
    }
}
