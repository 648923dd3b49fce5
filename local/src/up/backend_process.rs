//! `--run KEY=COMMAND`: a backend's pods as one local process.
//!
//! The command runs under `sh -c` in a process group of its own, with `PORT` set to a free
//! loopback port and its output on lattice-local's stderr (stdout carries the access log). It
//! becomes the backend once it accepts connections on `127.0.0.1:PORT`, waited for at most
//! [`RUN_READY_TIMEOUT`]. Stopping it signals the whole group (whatever the command started
//! shares it): SIGTERM, then SIGKILL after [`RUN_STOP_GRACE`], so nothing it started outlives
//! lattice-local. A process that leaves the group on purpose (`setsid`, a daemonising server)
//! is out of reach, as it would be for a terminal's Ctrl-C.

use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::os::fd::AsFd;
use std::process::{ExitStatus, Stdio};
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};
use tokio::process::{Child, Command};

use crate::net::limits::{RUN_READY_TIMEOUT, RUN_STOP_GRACE};

/// How often readiness is probed while a command starts.
const READY_PROBE_INTERVAL: Duration = Duration::from_millis(50);

/// Bounds of a `--run` process: how long it may take to accept connections, and how long it
/// has to exit after SIGTERM.
#[derive(Clone, Copy, Debug)]
pub struct RunBounds {
    /// From spawn to the first accepted connection.
    pub ready_timeout: Duration,
    /// From SIGTERM to SIGKILL.
    pub stop_grace: Duration,
}

impl Default for RunBounds {
    fn default() -> Self {
        RunBounds {
            ready_timeout: RUN_READY_TIMEOUT,
            stop_grace: RUN_STOP_GRACE,
        }
    }
}

/// Why a `--run` command could not become a backend.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// No free loopback port, or `sh` could not be started.
    #[error("--run {key}: cannot start `{command}`: {source}")]
    Spawn {
        /// The backend (`namespace/service` or target group).
        key: String,
        /// The command line.
        command: String,
        /// What the OS said.
        source: io::Error,
    },
    /// The command ended before it accepted a connection.
    #[error(
        "--run {key}: `{command}` exited ({status}) before it accepted connections on port {port} (it must listen on $PORT)"
    )]
    Exited {
        /// The backend.
        key: String,
        /// The command line.
        command: String,
        /// The port it was given.
        port: u16,
        /// How it ended.
        status: ExitStatus,
    },
    /// The command did not accept a connection in time; it has been stopped.
    #[error(
        "--run {key}: `{command}` did not accept connections on 127.0.0.1:{port} within {waited:?} (it must listen on $PORT); stopped it"
    )]
    NotReady {
        /// The backend.
        key: String,
        /// The command line.
        command: String,
        /// The port it was given.
        port: u16,
        /// How long it was given.
        waited: Duration,
    },
}

/// A running `--run` command: the backend of one Service or target group.
#[derive(Debug)]
pub struct BackendProcess {
    key: String,
    command: String,
    port: u16,
    child: Child,
    /// The process group (the `sh` that leads it), while the group may still have members.
    group: Option<libc::pid_t>,
    stop_grace: Duration,
}

impl BackendProcess {
    /// Starts `command` for backend `key` and waits until it accepts connections on `$PORT`.
    /// On failure nothing it started is left running.
    pub async fn start(key: &str, command: &str, bounds: RunBounds) -> Result<Self, RunError> {
        let spawn_error = |source| RunError::Spawn {
            key: key.to_owned(),
            command: command.to_owned(),
            source,
        };
        let port = free_loopback_port().await.map_err(spawn_error)?;
        // Both streams go to our stderr: stdout is the access log's.
        let stderr = || io::stderr().as_fd().try_clone_to_owned().map(Stdio::from);
        let child = Command::new("sh")
            .arg("-c")
            .arg(command)
            .env("PORT", port.to_string())
            .stdin(Stdio::null())
            .stdout(stderr().map_err(spawn_error)?)
            .stderr(stderr().map_err(spawn_error)?)
            .process_group(0)
            .kill_on_drop(true)
            .spawn()
            .map_err(spawn_error)?;
        let group = child.id().and_then(|pid| libc::pid_t::try_from(pid).ok());
        let mut process = BackendProcess {
            key: key.to_owned(),
            command: command.to_owned(),
            port,
            child,
            group,
            stop_grace: bounds.stop_grace,
        };
        match tokio::time::timeout(bounds.ready_timeout, process.accepting()).await {
            Ok(Ok(())) => Ok(process),
            Ok(Err(status)) => {
                // The leader is gone; what it started may not be.
                process.signal_group(libc::SIGKILL);
                process.group = None;
                Err(RunError::Exited {
                    key: process.key.clone(),
                    command: process.command.clone(),
                    port,
                    status,
                })
            }
            Err(_) => {
                let error = RunError::NotReady {
                    key: process.key.clone(),
                    command: process.command.clone(),
                    port,
                    waited: bounds.ready_timeout,
                };
                process.stop().await;
                Err(error)
            }
        }
    }

    /// Waits until the port accepts a connection; the exit status if the command ends first.
    async fn accepting(&mut self) -> Result<(), ExitStatus> {
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, self.port));
        loop {
            if TcpStream::connect(addr).await.is_ok() {
                return Ok(());
            }
            tokio::select! {
                status = self.child.wait() => {
                    // A status that cannot be read is reported as the one of a killed process.
                    return Err(status.unwrap_or_else(|_| killed_status()));
                }
                () = tokio::time::sleep(READY_PROBE_INTERVAL) => {}
            }
        }
    }

    /// The backend's key (`namespace/service` or target group), as given to `--run`.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The command line.
    pub fn command(&self) -> &str {
        &self.command
    }

    /// `http://127.0.0.1:<PORT>`: where its target groups forward.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The id of the process (`sh`) that leads its process group.
    pub fn pid(&self) -> Option<u32> {
        self.group.and_then(|pid| u32::try_from(pid).ok())
    }

    /// Stops the whole process group: SIGTERM, SIGKILL after the grace period (and to anything
    /// of the group still there once the leader exited). The leader's exit status, if read.
    pub async fn stop(mut self) -> Option<ExitStatus> {
        self.signal_group(libc::SIGTERM);
        let status = match tokio::time::timeout(self.stop_grace, self.child.wait()).await {
            Ok(status) => status.ok(),
            Err(_) => None,
        };
        // Members of the group that ignored SIGTERM, or outlived the leader.
        self.signal_group(libc::SIGKILL);
        let status = match status {
            Some(status) => Some(status),
            None => self.child.wait().await.ok(),
        };
        self.group = None;
        status
    }

    fn signal_group(&self, signal: libc::c_int) {
        if let Some(group) = self.group {
            // SAFETY: `kill` has no memory-safety preconditions. The group id is the pid of
            // our own child, which led a group of its own; while the group has members the
            // kernel does not hand that id to another process.
            unsafe {
                libc::kill(-group, signal);
            }
        }
    }
}

impl Drop for BackendProcess {
    /// Not stopped in order (an error, a panic): kill the group at once.
    fn drop(&mut self) {
        self.signal_group(libc::SIGKILL);
    }
}

/// A port nobody listens on now: the kernel picks one, it is released for the command.
async fn free_loopback_port() -> io::Result<u16> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
    Ok(listener.local_addr()?.port())
}

fn killed_status() -> ExitStatus {
    use std::os::unix::process::ExitStatusExt;
    ExitStatus::from_raw(libc::SIGKILL)
}
