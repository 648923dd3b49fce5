//! [`FunctionPool`]: warm instances of one function, reused, up to a concurrency limit.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::SystemTime;

use bytes::Bytes;
use http::HeaderValue;
use tokio::runtime::Handle;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::runtime_api::{Invocation, new_uuid};

use super::config::FunctionConfig;
use super::error::{FunctionConfigError, InvokeError};
use super::instance::{Instance, InstanceExit, InstanceStats, Launcher};
use super::logs::{LogBuffer, LogSink, TracingLogSink};
use super::outcome::{InvokeOptions, InvokeOutcome, Invoked};

/// Runs one function binary as real Lambda-style processes.
///
/// Instances start on first use (or with [`FunctionPool::warm`]), stay warm and are
/// reused; at most `max_instances` exist at once, and further invokes wait for one to
/// free up (bounded by `queue_timeout`). An instance that crashes or times out is
/// discarded and the next invoke gets a fresh one. Cloning is cheap and shares the pool;
/// when the last clone is dropped every process is killed.
#[derive(Clone)]
pub struct FunctionPool {
    shared: Arc<Shared>,
}

struct Shared {
    /// The runtime the pool was made on, where its processes and their Runtime APIs live:
    /// invokes may come from other runtimes (the data plane's worker threads), and a process's
    /// I/O must stay on the runtime that spawned it.
    home: Option<Handle>,
    launcher: Launcher,
    arn: String,
    arn_header: HeaderValue,
    /// One permit per instance that may exist; an invoke holds one while it runs.
    permits: Arc<Semaphore>,
    /// Ready, unused instances; the most recently used is reused first (it is warmest).
    idle: Mutex<Vec<Instance>>,
    /// Every instance not yet discarded, idle or busy.
    live: Mutex<BTreeMap<u64, Instance>>,
    next_id: AtomicU64,
}

fn locked<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl std::fmt::Debug for FunctionPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FunctionPool")
            .field("name", &self.shared.launcher.config.name)
            .field("instances", &locked(&self.shared.live).len())
            .finish_non_exhaustive()
    }
}

impl FunctionPool {
    /// A pool whose function output goes to `tracing` (and is retained, see [`Self::logs`]).
    pub fn new(config: FunctionConfig) -> Result<Self, FunctionConfigError> {
        Self::with_log_sink(config, Arc::new(TracingLogSink))
    }

    /// A pool whose function output goes to `sink` (and is retained).
    pub fn with_log_sink(
        config: FunctionConfig,
        sink: Arc<dyn LogSink>,
    ) -> Result<Self, FunctionConfigError> {
        config.validate()?;
        let arn = config.arn();
        // `validate` restricts every part of the ARN to header-safe ASCII.
        let arn_header = HeaderValue::from_str(&arn)
            .map_err(|_| FunctionConfigError::InvalidName(config.name.clone()))?;
        let identity = Arc::new(config.identity());
        let logs = Arc::new(LogBuffer::new(config.log_retention_bytes));
        let permits = Arc::new(Semaphore::new(config.max_instances));
        Ok(Self {
            shared: Arc::new(Shared {
                home: Handle::try_current().ok(),
                launcher: Launcher {
                    function: Arc::from(config.name.as_str()),
                    config,
                    identity,
                    sink,
                    logs,
                },
                arn,
                arn_header,
                permits,
                idle: Mutex::new(Vec::new()),
                live: Mutex::new(BTreeMap::new()),
                next_id: AtomicU64::new(1),
            }),
        })
    }

    /// The function name.
    pub fn name(&self) -> &str {
        &self.shared.launcher.config.name
    }

    /// The configuration the pool runs.
    pub fn config(&self) -> &FunctionConfig {
        &self.shared.launcher.config
    }

    /// The function's unqualified ARN.
    pub fn arn(&self) -> &str {
        &self.shared.arn
    }

    /// Invoke the function with `payload`.
    ///
    /// `Ok` means the function answered: with a response or with an error it reported.
    /// `Err` means it could not answer (init failure, crash, timeout, …). The invocation
    /// runs to completion even if the returned future is dropped, so an instance is never
    /// left half-used.
    pub async fn invoke(
        &self,
        payload: Bytes,
        options: InvokeOptions,
    ) -> Result<InvokeOutcome, InvokeError> {
        self.run(payload, options, false).await.result
    }

    /// [`FunctionPool::invoke`], also catching the invocation's log as Lambda reports it for
    /// `X-Amz-Log-Type: Tail` (`START`, the lines the instance wrote while it ran, `END`,
    /// `REPORT`); no log when no instance ran it.
    pub async fn invoke_logged(&self, payload: Bytes, options: InvokeOptions) -> Invoked {
        self.run(payload, options, true).await
    }

    async fn run(&self, payload: Bytes, options: InvokeOptions, capture: bool) -> Invoked {
        let invocation = match self.invocation(payload, options) {
            Ok(invocation) => invocation,
            Err(error) => {
                return Invoked {
                    result: Err(error),
                    log: None,
                };
            }
        };
        let shared = Arc::clone(&self.shared);
        let run = async move { shared.run(invocation, capture).await };
        let running = match &self.shared.home {
            Some(home) => home.spawn(run),
            None => tokio::spawn(run),
        };
        match running.await {
            Ok(invoked) => invoked,
            Err(error) if error.is_panic() => std::panic::resume_unwind(error.into_panic()),
            // Only happens while the runtime itself shuts down.
            Err(_) => Invoked {
                result: Err(InvokeError::ShutDown),
                log: None,
            },
        }
    }

    fn invocation(
        &self,
        payload: Bytes,
        options: InvokeOptions,
    ) -> Result<Invocation, InvokeError> {
        let request_id = options.request_id.unwrap_or_else(new_uuid);
        // The deadline is set again when an instance picks the invocation up.
        let mut invocation = Invocation::new(
            request_id,
            payload,
            SystemTime::now(),
            self.shared.arn_header.clone(),
        )?;
        if let Some(trace_id) = &options.trace_id {
            invocation = invocation.with_trace_id(trace_id)?;
        }
        if let Some(context) = &options.client_context {
            invocation = invocation.with_client_context(context)?;
        }
        if let Some(identity) = &options.cognito_identity {
            invocation = invocation.with_cognito_identity(identity)?;
        }
        Ok(invocation)
    }

    /// Make sure at least `count` instances (at most `max_instances`) are alive, starting
    /// the missing ones in parallel and waiting until each is ready.
    pub async fn warm(&self, count: usize) -> Result<(), InvokeError> {
        let wanted = count.min(self.config().max_instances);
        let missing = wanted.saturating_sub(locked(&self.shared.live).len());
        let mut starting = JoinSet::new();
        for _ in 0..missing {
            let Ok(permit) = Arc::clone(&self.shared.permits).try_acquire_owned() else {
                // Every permit is in use: those invokes are keeping instances alive anyway.
                break;
            };
            let shared = Arc::clone(&self.shared);
            let start = async move {
                let instance = shared.start_instance().await?;
                shared.release(instance);
                drop(permit);
                Ok::<(), InvokeError>(())
            };
            match &self.shared.home {
                Some(home) => starting.spawn_on(start, home),
                None => starting.spawn(start),
            };
        }
        let mut first_error = None;
        while let Some(joined) = starting.join_next().await {
            match joined {
                Ok(Ok(())) => {}
                Ok(Err(error)) => {
                    first_error.get_or_insert(error);
                }
                Err(error) if error.is_panic() => std::panic::resume_unwind(error.into_panic()),
                Err(_) => {
                    first_error.get_or_insert(InvokeError::ShutDown);
                }
            }
        }
        first_error.map_or(Ok(()), Err)
    }

    /// Stats of every live instance, by id.
    pub fn instances(&self) -> Vec<InstanceStats> {
        locked(&self.shared.live)
            .values()
            .map(Instance::stats)
            .collect()
    }

    /// Output retained from every instance so far (oldest lines dropped past the budget).
    pub fn logs(&self) -> String {
        self.shared.launcher.logs.contents()
    }

    /// Stop the pool: further invokes fail with [`InvokeError::ShutDown`]; every instance
    /// gets SIGTERM (and its extensions a `SHUTDOWN` event), then SIGKILL after the grace
    /// period. Returns how each instance ended.
    pub async fn shutdown(&self) -> Vec<InstanceExit> {
        self.shared.permits.close();
        locked(&self.shared.idle).clear();
        let instances = std::mem::take(&mut *locked(&self.shared.live));
        let grace = self.config().shutdown_grace;
        // All are signalled at once, so the whole shutdown takes one grace period.
        let mut stopping = JoinSet::new();
        for instance in instances.into_values() {
            stopping.spawn(async move { instance.terminate(grace).await });
        }
        let mut exits = Vec::new();
        while let Some(joined) = stopping.join_next().await {
            if let Ok(exit) = joined {
                exits.push(exit);
            }
        }
        exits.sort_by_key(|exit| exit.id);
        exits
    }
}

impl Shared {
    async fn run(&self, mut invocation: Invocation, capture: bool) -> Invoked {
        let config = &self.launcher.config;
        let failed = |error| Invoked {
            result: Err(error),
            log: None,
        };
        let permit = match tokio::time::timeout(config.queue_timeout, self.permits.acquire()).await
        {
            Ok(Ok(permit)) => permit,
            Ok(Err(_)) => return failed(InvokeError::ShutDown),
            Err(_) => {
                return failed(InvokeError::Throttled {
                    waited: config.queue_timeout,
                    max_instances: config.max_instances,
                });
            }
        };
        let instance = match self.take_idle() {
            Some(instance) => instance,
            None => match self.start_instance().await {
                Ok(instance) => instance,
                Err(error) => return failed(error),
            },
        };
        invocation.deadline_ms = deadline_ms(SystemTime::now() + config.timeout);
        let request_id = invocation.request_id().to_owned();
        let (result, captured) = instance.invoke(invocation, config.timeout, capture).await;
        let log = captured.map(|c| c.lambda_log(&request_id, &config.version, config.memory_mb));
        let result = match result {
            Ok(result) => {
                self.release(instance);
                drop(permit);
                Ok(result.into())
            }
            Err(error) => {
                self.discard(&instance);
                Err(error)
            }
        };
        Invoked { result, log }
    }

    /// A ready idle instance, discarding any that died while idle.
    fn take_idle(&self) -> Option<Instance> {
        loop {
            let instance = locked(&self.idle).pop()?;
            if !instance.has_ended() {
                return Some(instance);
            }
            self.discard(&instance);
        }
    }

    /// Start a new instance and wait until it is ready. The caller holds a permit for it.
    async fn start_instance(&self) -> Result<Instance, InvokeError> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let instance = self.launcher.spawn(id).await?;
        // Registered before it is ready, so that a shutdown during init stops it too.
        locked(&self.live).insert(id, instance.clone());
        if let Err(error) = instance.ready(self.launcher.config.init_timeout).await {
            self.discard(&instance);
            return Err(error);
        }
        Ok(instance)
    }

    /// Put a healthy instance back for reuse (unless the pool is shutting down).
    fn release(&self, instance: Instance) {
        if self.permits.is_closed() {
            return;
        }
        locked(&self.idle).push(instance);
    }

    fn discard(&self, instance: &Instance) {
        locked(&self.live).remove(&instance.id());
        instance.kill();
    }
}

fn deadline_ms(deadline: SystemTime) -> u64 {
    deadline
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}
