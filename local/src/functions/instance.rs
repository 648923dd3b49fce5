//! One warm function instance: a process plus the Runtime API only it talks to.

use std::process::ExitStatus;
use std::sync::Arc;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime};

use crate::runtime_api::{
    FunctionIdentity, Invocation, InvocationResult, RuntimeApi, ShutdownReason,
};

use super::config::{FunctionConfig, log_stream_name};
use super::error::{InstancePhase, InvokeError};
use super::invocation_log::{CapturedLog, LogTaps};
use super::logs::{LogBuffer, LogSink};
use super::process::{OutputTargets, Process, Signal};

/// How long to wait, after a process ends, for the last of its output to be read.
const OUTPUT_DRAIN: Duration = Duration::from_secs(1);

/// Numbers about one live instance, for benchmarks and diagnostics.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstanceStats {
    /// Instance number within the pool (1, 2, …; never reused).
    pub id: u64,
    /// OS process id: read `/proc/<pid>/status` (`VmHWM`) for peak RSS.
    pub pid: Option<u32>,
    /// From spawn to the first `/invocation/next` (None while still initializing).
    pub init_duration: Option<Duration>,
    /// Invocations dispatched to it so far.
    pub invocations: u64,
    /// Whether it is handling an invocation now.
    pub busy: bool,
}

/// How an instance ended when the pool shut down.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstanceExit {
    /// Instance number within the pool.
    pub id: u64,
    /// OS process id.
    pub pid: Option<u32>,
    /// Exit status, if it could be read.
    pub status: Option<ExitStatus>,
    /// Whether it had to be killed after the grace period.
    pub forced: bool,
}

/// What every instance of one function is started from.
pub(crate) struct Launcher {
    pub(crate) config: FunctionConfig,
    pub(crate) identity: Arc<FunctionIdentity>,
    pub(crate) function: Arc<str>,
    pub(crate) sink: Arc<dyn LogSink>,
    pub(crate) logs: Arc<LogBuffer>,
}

impl Launcher {
    /// Start a process for instance `id`; it is not ready until [`Instance::ready`].
    pub(crate) async fn spawn(&self, id: u64) -> Result<Instance, InvokeError> {
        let api = RuntimeApi::bind(Arc::clone(&self.identity))
            .await
            .map_err(InvokeError::RuntimeApi)?;
        let spawn_error = |source| InvokeError::Spawn {
            binary: self.config.binary.clone(),
            source,
        };
        let executable = self.config.executable().map_err(spawn_error)?;
        let dir = executable.parent().map_or_else(
            || std::path::PathBuf::from("."),
            std::path::Path::to_path_buf,
        );
        let env = self
            .config
            .sandbox_env(api.addr(), &log_stream_name(&self.config.version), &dir);
        let spawned_at = Instant::now();
        let taps = Arc::new(LogTaps::default());
        let process = Process::spawn(
            &executable,
            &dir,
            env,
            OutputTargets {
                function: Arc::clone(&self.function),
                instance: id,
                sink: Arc::clone(&self.sink),
                pool: Arc::clone(&self.logs),
                taps: Arc::clone(&taps),
            },
        )
        .map_err(spawn_error)?;
        Ok(Instance(Arc::new(Inner {
            id,
            api,
            process,
            taps,
            spawned_at,
            init_duration: OnceLock::new(),
            invocations: AtomicU64::new(0),
            busy: AtomicBool::new(false),
        })))
    }
}

/// A shared handle to one instance.
#[derive(Debug, Clone)]
pub(crate) struct Instance(Arc<Inner>);

#[derive(Debug)]
struct Inner {
    id: u64,
    api: RuntimeApi,
    process: Process,
    /// The invocations whose logs are being caught.
    taps: Arc<LogTaps>,
    spawned_at: Instant,
    init_duration: OnceLock<Duration>,
    invocations: AtomicU64,
    busy: AtomicBool,
}

impl Instance {
    pub(crate) fn id(&self) -> u64 {
        self.0.id
    }

    /// Wait for init to finish: the first `/next`, an init error, an exit, or the timeout.
    /// On failure the process is killed (and reaped) before this returns.
    pub(crate) async fn ready(&self, init_timeout: Duration) -> Result<(), InvokeError> {
        let inner = &self.0;
        let outcome = tokio::select! {
            biased;
            ready = inner.api.initialized() => ready.map_err(InvokeError::Init),
            status = inner.process.ended() => Err(self.exit_error(InstancePhase::Init, status).await),
            () = tokio::time::sleep(init_timeout) => Err(InvokeError::InitTimeout { timeout: init_timeout }),
        };
        match outcome {
            Ok(at) => {
                let _ = inner
                    .init_duration
                    .set(at.saturating_duration_since(inner.spawned_at));
                Ok(())
            }
            Err(error) => {
                // Wait for the kill to land, so a replacement never runs beside it.
                self.kill();
                inner.process.ended().await;
                Err(error)
            }
        }
    }

    /// Run one invocation, bounded by `timeout`. On timeout the process is killed. With
    /// `capture`, the lines the instance wrote meanwhile come back too (for a log tail).
    pub(crate) async fn invoke(
        &self,
        invocation: Invocation,
        timeout: Duration,
        capture: bool,
    ) -> (Result<InvocationResult, InvokeError>, Option<CapturedLog>) {
        let inner = &self.0;
        inner.invocations.fetch_add(1, Ordering::Relaxed);
        inner.busy.store(true, Ordering::Relaxed);
        let tap = capture.then(|| inner.taps.open());
        let started = Instant::now();
        let pending = inner.api.dispatch(invocation);
        // A dropped reply means the runtime took the event and its connection died: the
        // process is going away, so its exit (or the timeout) decides.
        let answered = async {
            match pending.await {
                Ok(result) => result,
                Err(_) => std::future::pending().await,
            }
        };
        let outcome = tokio::select! {
            biased;
            result = answered => Ok(result),
            status = inner.process.ended() => Err(self.exit_error(InstancePhase::Invoke, status).await),
            () = tokio::time::sleep(timeout) => {
                // Wait for the kill to land, so a replacement never runs beside it.
                self.kill();
                inner.process.ended().await;
                Err(InvokeError::Timeout { timeout })
            }
        };
        inner.busy.store(false, Ordering::Relaxed);
        let captured = match tap {
            None => None,
            Some(tap) => {
                let duration = started.elapsed();
                // What the function wrote before answering may still be in its pipes.
                let _ = tokio::time::timeout(OUTPUT_DRAIN, inner.process.drained()).await;
                inner.taps.close(&tap);
                Some(CapturedLog {
                    lines: tap.contents(),
                    duration,
                })
            }
        };
        (outcome, captured)
    }

    /// Whether the process has ended (an idle instance can die too).
    pub(crate) fn has_ended(&self) -> bool {
        self.0.process.has_ended()
    }

    pub(crate) fn kill(&self) {
        self.0.process.signal(Signal::Kill);
    }

    /// SIGTERM (extensions get `SHUTDOWN`), then SIGKILL after `grace`.
    pub(crate) async fn terminate(&self, grace: Duration) -> InstanceExit {
        let inner = &self.0;
        inner
            .api
            .begin_shutdown(ShutdownReason::Spindown, SystemTime::now() + grace);
        inner.process.signal(Signal::Terminate);
        let (status, forced) = match tokio::time::timeout(grace, inner.process.ended()).await {
            Ok(status) => (status, false),
            Err(_) => {
                self.kill();
                (inner.process.ended().await, true)
            }
        };
        let _ = tokio::time::timeout(OUTPUT_DRAIN, inner.process.output_closed()).await;
        InstanceExit {
            id: inner.id,
            pid: inner.process.pid(),
            status,
            forced,
        }
    }

    pub(crate) fn stats(&self) -> InstanceStats {
        let inner = &self.0;
        InstanceStats {
            id: inner.id,
            pid: inner.process.pid(),
            init_duration: inner.init_duration.get().copied(),
            invocations: inner.invocations.load(Ordering::Relaxed),
            busy: inner.busy.load(Ordering::Relaxed),
        }
    }

    /// The error for a process that ended in `phase`, with its last stderr lines.
    async fn exit_error(&self, phase: InstancePhase, status: Option<ExitStatus>) -> InvokeError {
        let _ = tokio::time::timeout(OUTPUT_DRAIN, self.0.process.output_closed()).await;
        InvokeError::Exited {
            phase,
            status,
            stderr_tail: self.0.process.stderr_tail(),
        }
    }
}
