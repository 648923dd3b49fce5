//! [`WorkerThreads`]: one thread per core, each running its own single-threaded Tokio
//! runtime, for servers whose connections never need to move between threads.
//!
//! Why: on a work-stealing runtime a proxied request hops between threads (the client
//! connection's task, the upstream connection's task and the idle workers woken to steal
//! them), and on two cores those wake-ups (`futex`) and context switches cost more than the
//! request itself. A connection served by one thread, with upstream connections made and
//! pooled on that same thread, wakes nobody else.

use std::io;
use std::thread::JoinHandle;

use tokio::runtime::{Builder, Handle};
use tokio::sync::oneshot;

/// Threads running a single-threaded runtime each. Dropping it stops them, which drops every
/// task they run.
#[derive(Debug)]
pub struct WorkerThreads {
    workers: Vec<Worker>,
}

#[derive(Debug)]
struct Worker {
    handle: Handle,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl WorkerThreads {
    /// Starts `count` threads named `<name>-<index>`.
    pub fn start(name: &str, count: usize) -> io::Result<Self> {
        let mut workers = Vec::with_capacity(count);
        for index in 0..count {
            let runtime = Builder::new_current_thread().enable_all().build()?;
            let handle = runtime.handle().clone();
            let (stop, stopped) = oneshot::channel::<()>();
            let thread = std::thread::Builder::new()
                .name(format!("{name}-{index}"))
                .spawn(move || {
                    // Runs the tasks spawned onto `handle` until told to stop (or the
                    // `WorkerThreads` is gone).
                    let _ = runtime.block_on(stopped);
                })?;
            workers.push(Worker {
                handle,
                stop: Some(stop),
                thread: Some(thread),
            });
        }
        Ok(WorkerThreads { workers })
    }

    /// The runtime of each thread, to spawn its tasks on.
    pub fn handles(&self) -> impl Iterator<Item = &Handle> {
        self.workers.iter().map(|w| &w.handle)
    }
}

impl Drop for WorkerThreads {
    fn drop(&mut self) {
        for worker in &mut self.workers {
            if let Some(stop) = worker.stop.take() {
                let _ = stop.send(());
            }
        }
        for worker in &mut self.workers {
            if let Some(thread) = worker.thread.take() {
                let _ = thread.join();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_worker_runs_its_tasks_on_its_own_thread_until_dropped() {
        let workers = WorkerThreads::start("test-worker", 2).unwrap();
        let names: Vec<String> = workers
            .handles()
            .map(|handle| {
                let (tx, rx) = std::sync::mpsc::channel();
                handle.spawn(async move {
                    let name = std::thread::current().name().map(str::to_owned);
                    let _ = tx.send(name.unwrap_or_default());
                });
                rx.recv().unwrap()
            })
            .collect();
        assert_eq!(names, ["test-worker-0", "test-worker-1"]);
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        let handle = workers.handles().next().unwrap().clone();
        handle.spawn(async move {
            let _keep = tx;
            std::future::pending::<()>().await;
        });
        drop(workers);
        // The pending task was dropped with its runtime, and with it the sender.
        assert!(rx.recv().is_err());
    }
}
