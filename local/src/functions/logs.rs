//! Function output: where each line goes ([`LogSink`]) and what is kept ([`LogBuffer`]).

use std::collections::VecDeque;
use std::io::Write as _;
use std::sync::{Arc, Mutex, PoisonError};

use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
use tokio::sync::{mpsc, oneshot};

use super::invocation_log::LogTaps;

/// Which pipe a line came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogStream {
    /// The process's stdout.
    Stdout,
    /// The process's stderr.
    Stderr,
}

/// One line of function output.
#[derive(Debug, Clone, Copy)]
pub struct LogLine<'a> {
    /// The function name.
    pub function: &'a str,
    /// The instance that wrote it.
    pub instance: u64,
    /// The pipe it came from.
    pub stream: LogStream,
    /// The text, without its line ending (invalid UTF-8 replaced).
    pub text: &'a str,
}

/// Receives every line a function writes, as it is written.
pub trait LogSink: Send + Sync + 'static {
    /// Handle one line. Called from the task reading the pipe: keep it quick.
    fn write_line(&self, line: &LogLine<'_>);
}

/// Emits each line as a `tracing` event (target `lattice_local::function`, level INFO).
#[derive(Debug, Clone, Copy, Default)]
pub struct TracingLogSink;

impl LogSink for TracingLogSink {
    fn write_line(&self, line: &LogLine<'_>) {
        tracing::info!(
            target: "lattice_local::function",
            function = line.function,
            instance = line.instance,
            stream = ?line.stream,
            "{}",
            line.text
        );
    }
}

/// Writes each line to this process's stderr as `[<function>#<instance>] <text>`.
#[derive(Debug, Clone, Copy, Default)]
pub struct StderrLogSink;

impl LogSink for StderrLogSink {
    fn write_line(&self, line: &LogLine<'_>) {
        // `eprintln!` so that test harnesses capture it like any other test output.
        eprintln!("[{}#{}] {}", line.function, line.instance, line.text);
    }
}

/// Drops every line (output is still retained for [`LogBuffer`] inspection).
#[derive(Debug, Clone, Copy, Default)]
pub struct DiscardLogSink;

impl LogSink for DiscardLogSink {
    fn write_line(&self, _line: &LogLine<'_>) {}
}

/// The most recent output, up to a byte budget; older lines are dropped first.
#[derive(Debug)]
pub struct LogBuffer {
    capacity: usize,
    lines: Mutex<Lines>,
}

#[derive(Debug, Default)]
struct Lines {
    lines: VecDeque<String>,
    bytes: usize,
}

impl LogBuffer {
    /// An empty buffer keeping at most `capacity` bytes of text.
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity,
            lines: Mutex::new(Lines::default()),
        }
    }

    /// Append one line (without its newline).
    pub fn push(&self, line: &str) {
        // Each line also costs its newline.
        let line = truncate_to(line, self.capacity.saturating_sub(1));
        let mut kept = self.lines.lock().unwrap_or_else(PoisonError::into_inner);
        kept.bytes += line.len() + 1;
        kept.lines.push_back(line.to_owned());
        while kept.bytes > self.capacity {
            match kept.lines.pop_front() {
                Some(old) => kept.bytes -= old.len() + 1,
                None => break,
            }
        }
    }

    /// Everything kept, one line per line.
    pub fn contents(&self) -> String {
        let kept = self.lines.lock().unwrap_or_else(PoisonError::into_inner);
        let mut text = String::with_capacity(kept.bytes);
        for line in &kept.lines {
            text.push_str(line);
            text.push('\n');
        }
        text
    }
}

/// The longest prefix of `line` within `max` bytes that ends on a character boundary.
fn truncate_to(line: &str, max: usize) -> &str {
    if line.len() <= max {
        return line;
    }
    let mut end = max;
    while !line.is_char_boundary(end) {
        end -= 1;
    }
    &line[..end]
}

/// Lines longer than this are split, so one runaway write cannot exhaust memory.
const MAX_LINE: usize = 64 * 1024;

/// Where the lines read from one pipe go.
pub(crate) struct LogTargets {
    pub(crate) function: Arc<str>,
    pub(crate) instance: u64,
    pub(crate) stream: LogStream,
    pub(crate) sink: Arc<dyn LogSink>,
    /// The pool's retained output, across instances.
    pub(crate) pool: Arc<LogBuffer>,
    /// This instance's own recent stderr, for crash reports.
    pub(crate) tail: Option<Arc<LogBuffer>>,
    /// The invocations whose logs are being caught.
    pub(crate) taps: Arc<LogTaps>,
}

/// A request to a pump: answer once every byte the pipe holds now has been handed on.
pub(crate) type DrainRequest = oneshot::Sender<()>;

impl LogTargets {
    fn emit(&self, raw: &[u8]) {
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        let text = String::from_utf8_lossy(raw);
        self.sink.write_line(&LogLine {
            function: &self.function,
            instance: self.instance,
            stream: self.stream,
            text: &text,
        });
        self.pool.push(&text);
        if let Some(tail) = &self.tail {
            tail.push(&text);
        }
        self.taps.write(&text);
    }
}

/// Read `pipe` to its end, handing each line to `targets`; answer each request on `drain`
/// once the pipe has nothing more to read for now.
pub(crate) async fn pump_lines(
    pipe: impl AsyncRead + Unpin,
    targets: LogTargets,
    mut drain: mpsc::UnboundedReceiver<DrainRequest>,
) {
    let mut reader = BufReader::new(pipe);
    let mut line = Vec::new();
    loop {
        // Reading comes first: a drain request is answered only when a read would wait. A line
        // a function wrote before answering is in the pipe, and its readiness reached the
        // runtime no later than the answer did, so it is read before the request is answered.
        let read = tokio::select! {
            biased;
            read = reader.fill_buf() => read,
            Some(request) = drain.recv() => {
                let _ = request.send(());
                continue;
            }
        };
        // A read error ends the stream like end-of-file does: the pipe is unusable.
        let Ok(chunk) = read else { break };
        if chunk.is_empty() {
            break;
        }
        let (taken, complete) = match chunk.iter().position(|&b| b == b'\n') {
            Some(end) => {
                line.extend_from_slice(&chunk[..end]);
                (end + 1, true)
            }
            None => {
                line.extend_from_slice(chunk);
                (chunk.len(), line.len() >= MAX_LINE)
            }
        };
        reader.consume(taken);
        if complete {
            targets.emit(&line);
            line.clear();
        }
    }
    if !line.is_empty() {
        targets.emit(&line);
    }
    // Flush so that a StderrLogSink's last lines are not lost when the parent exits.
    let _ = std::io::stderr().flush();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buffer_drops_oldest_lines_past_its_budget() {
        // Budget counts each line's newline: "first\nsecond\n" is exactly 13 bytes.
        let buffer = LogBuffer::new(13);
        buffer.push("first");
        buffer.push("second");
        assert_eq!(buffer.contents(), "first\nsecond\n");
        buffer.push("third");
        assert_eq!(buffer.contents(), "second\nthird\n");
        buffer.push("a line far longer than the budget");
        // A line over the whole budget is cut to fit it, alone.
        assert_eq!(buffer.contents(), "a line far l\n");
    }

    #[test]
    fn truncation_respects_character_boundaries() {
        assert_eq!(truncate_to("héllo", 2), "h");
        assert_eq!(truncate_to("héllo", 3), "hé");
        assert_eq!(truncate_to("abc", 10), "abc");
    }

    struct Collect(Mutex<Vec<String>>);
    impl LogSink for Collect {
        fn write_line(&self, line: &LogLine<'_>) {
            self.0
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(format!(
                    "{}#{} {:?} {}",
                    line.function, line.instance, line.stream, line.text
                ));
        }
    }

    #[tokio::test]
    async fn pump_splits_lines_and_feeds_sink_pool_and_tail() {
        let sink = Arc::new(Collect(Mutex::new(Vec::new())));
        let pool = Arc::new(LogBuffer::new(1024));
        let tail = Arc::new(LogBuffer::new(1024));
        let targets = LogTargets {
            function: Arc::from("fn"),
            instance: 7,
            stream: LogStream::Stderr,
            sink: sink.clone(),
            pool: pool.clone(),
            tail: Some(tail.clone()),
            taps: Arc::default(),
        };
        let (_drain, requests) = mpsc::unbounded_channel();
        pump_lines(&b"one\r\ntwo\n\xffthree"[..], targets, requests).await;
        assert_eq!(
            *sink.0.lock().unwrap_or_else(PoisonError::into_inner),
            [
                "fn#7 Stderr one",
                "fn#7 Stderr two",
                "fn#7 Stderr \u{fffd}three"
            ]
        );
        assert_eq!(pool.contents(), "one\ntwo\n\u{fffd}three\n");
        assert_eq!(tail.contents(), pool.contents());
    }
}
