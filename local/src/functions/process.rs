//! One function process: spawned with the sandbox environment, its pipes read line by
//! line, its exit published, and signals sent only by the task that owns it.

use std::io;
use std::path::Path;
use std::process::{ExitStatus, Stdio};
use std::sync::Arc;

use tokio::process::{Child, Command};
use tokio::sync::{mpsc, oneshot, watch};

use super::invocation_log::LogTaps;
use super::logs::{DrainRequest, LogBuffer, LogStream, LogTargets, pump_lines};

/// What the owner may ask of a running process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Signal {
    /// SIGTERM: ask it to stop (a `graceful-shutdown` runtime runs its hook).
    Terminate,
    /// SIGKILL.
    Kill,
}

/// The process ended; the status is `None` if it could not be read.
#[derive(Debug, Clone, Copy)]
struct Ended(Option<ExitStatus>);

/// Where a process's output goes (see [`LogTargets`]).
pub(crate) struct OutputTargets {
    pub(crate) function: Arc<str>,
    pub(crate) instance: u64,
    pub(crate) sink: Arc<dyn super::LogSink>,
    pub(crate) pool: Arc<LogBuffer>,
    pub(crate) taps: Arc<LogTaps>,
}

/// Bytes of recent stderr kept per instance for crash reports.
const STDERR_TAIL_BYTES: usize = 8 * 1024;

/// A running (or finished) function process. Dropping every handle kills it.
#[derive(Debug)]
pub(crate) struct Process {
    pid: Option<u32>,
    control: mpsc::UnboundedSender<Signal>,
    ended: watch::Receiver<Option<Ended>>,
    /// Closed (sender dropped) once both pipes reached end of file.
    output: watch::Receiver<()>,
    stderr_tail: Arc<LogBuffer>,
    /// One per pipe: ask its pump to hand on what the pipe holds.
    drains: Vec<mpsc::UnboundedSender<DrainRequest>>,
}

impl Process {
    /// Start `executable` in `dir` with exactly `env`, stdin closed, output piped.
    pub(crate) fn spawn(
        executable: &Path,
        dir: &Path,
        env: Vec<(String, String)>,
        output: OutputTargets,
    ) -> io::Result<Self> {
        let mut child = Command::new(executable)
            .env_clear()
            .envs(env)
            .current_dir(dir)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            // Its own process group: a Ctrl-C meant for the emulator does not hit the
            // function first; the pool shuts it down in order instead.
            .process_group(0)
            .kill_on_drop(true)
            .spawn()?;
        let pid = child.id();

        let stderr_tail = Arc::new(LogBuffer::new(STDERR_TAIL_BYTES));
        let (output_open, output_closed) = watch::channel(());
        let output_open = Arc::new(output_open);
        let targets = |stream, tail: Option<Arc<LogBuffer>>| LogTargets {
            function: Arc::clone(&output.function),
            instance: output.instance,
            stream,
            sink: Arc::clone(&output.sink),
            pool: Arc::clone(&output.pool),
            tail,
            taps: Arc::clone(&output.taps),
        };
        let mut drains = Vec::new();
        if let Some(stdout) = child.stdout.take() {
            let targets = targets(LogStream::Stdout, None);
            let open = Arc::clone(&output_open);
            let (drain, requests) = mpsc::unbounded_channel();
            drains.push(drain);
            tokio::spawn(async move {
                pump_lines(stdout, targets, requests).await;
                drop(open);
            });
        }
        if let Some(stderr) = child.stderr.take() {
            let targets = targets(LogStream::Stderr, Some(Arc::clone(&stderr_tail)));
            let open = Arc::clone(&output_open);
            let (drain, requests) = mpsc::unbounded_channel();
            drains.push(drain);
            tokio::spawn(async move {
                pump_lines(stderr, targets, requests).await;
                drop(open);
            });
        }
        drop(output_open);

        let (control, signals) = mpsc::unbounded_channel();
        let (ended_tx, ended) = watch::channel(None);
        tokio::spawn(supervise(child, signals, ended_tx));
        Ok(Self {
            pid,
            control,
            ended,
            output: output_closed,
            stderr_tail,
            drains,
        })
    }

    /// The OS process id.
    pub(crate) fn pid(&self) -> Option<u32> {
        self.pid
    }

    /// Send `signal` (ignored once the process has ended).
    pub(crate) fn signal(&self, signal: Signal) {
        let _ = self.control.send(signal);
    }

    /// Whether the process has ended.
    pub(crate) fn has_ended(&self) -> bool {
        self.ended.borrow().is_some()
    }

    /// Wait for the process to end; its status, if readable.
    pub(crate) async fn ended(&self) -> Option<ExitStatus> {
        let mut ended = self.ended.clone();
        match ended.wait_for(Option::is_some).await {
            Ok(value) => value.and_then(|e| e.0),
            // The supervisor was dropped with the runtime: nothing more to learn.
            Err(_) => None,
        }
    }

    /// Wait until both pipes are closed, so every line written has been read.
    pub(crate) async fn output_closed(&self) {
        let mut output = self.output.clone();
        while output.changed().await.is_ok() {}
    }

    /// Wait until every line the process has written so far has been handed on (a pipe that
    /// has ended has nothing left).
    pub(crate) async fn drained(&self) {
        let mut answers = Vec::with_capacity(self.drains.len());
        for drain in &self.drains {
            let (answer, answered) = oneshot::channel();
            if drain.send(answer).is_ok() {
                answers.push(answered);
            }
        }
        for answered in answers {
            // A pump that ended dropped the request: its pipe is fully read.
            let _ = answered.await;
        }
    }

    /// The most recent stderr lines.
    pub(crate) fn stderr_tail(&self) -> String {
        self.stderr_tail.contents()
    }
}

/// Own the child: reap it, and deliver signals while it is certainly not reaped (so a
/// reused pid can never be hit).
async fn supervise(
    mut child: Child,
    mut signals: mpsc::UnboundedReceiver<Signal>,
    ended: watch::Sender<Option<Ended>>,
) {
    let mut owned = true;
    let status = loop {
        tokio::select! {
            status = child.wait() => break status.ok(),
            signal = signals.recv(), if owned => match signal {
                Some(Signal::Terminate) => terminate(&child),
                Some(Signal::Kill) => {
                    let _ = child.start_kill();
                }
                // Every handle is gone: nobody can use this process any more.
                None => {
                    owned = false;
                    let _ = child.start_kill();
                }
            },
        }
    };
    ended.send_replace(Some(Ended(status)));
}

fn terminate(child: &Child) {
    let Some(pid) = child.id().and_then(|pid| libc::pid_t::try_from(pid).ok()) else {
        return;
    };
    // SAFETY: `kill` has no memory-safety preconditions. The pid is our own child and has
    // not been reaped (reaping happens only in `supervise`, which is running this).
    unsafe {
        libc::kill(pid, libc::SIGTERM);
    }
}
