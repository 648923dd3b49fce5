//! Whether processes a test started are still running.

use std::path::Path;
use std::time::Duration;

/// Whether `pid` is a live process (a zombie has ended: it only waits to be reaped).
pub fn alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        // The state follows the parenthesised command name.
        Ok(stat) => stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().next())
            .is_some_and(|state| state != "Z" && state != "X"),
        Err(_) => false,
    }
}

/// The pid the command wrote to `path` (waiting for the shell to write it, at most 10 s).
pub async fn written_pid(path: &Path) -> u32 {
    for _ in 0..200 {
        if let Some(pid) = std::fs::read_to_string(path)
            .ok()
            .and_then(|text| text.trim().parse().ok())
        {
            return pid;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{} was never written", path.display());
}

/// Whether `pid` is gone (or a zombie) within 5 s. A SIGKILL is delivered asynchronously: a
/// process killed a moment ago may still be running on a loaded machine, so "stopped" is
/// checked with a bound rather than at one instant.
pub async fn gone(pid: u32) -> bool {
    for _ in 0..100 {
        if !alive(pid) {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    false
}
