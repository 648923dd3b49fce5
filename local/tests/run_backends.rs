//! `--run KEY=COMMAND`: the command gets `PORT`, becomes the backend once it accepts
//! connections there, and stopping it ends its whole process group — what it started too,
//! including what ignores SIGTERM. A command that exits early or never listens is an error
//! naming it, and leaves nothing running.

mod common;

use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::time::Duration;

use common::{TempDir, alive, get, gone, send, written_pid};
use lattice_local::up::{BackendProcess, RunBounds, RunError};

/// A command that starts a `sleep` in the background (its pid in `child.pid`), then serves
/// `dir` over HTTP on `$PORT`; `prelude` runs first.
fn serving_command(dir: &Path, prelude: &str) -> String {
    let dir = dir.display();
    format!(
        "{prelude} sleep 600 & echo $! > {dir}/child.pid; \
         exec python3 -m http.server --bind 127.0.0.1 \"$PORT\" --directory {dir}"
    )
}

#[tokio::test]
async fn a_run_command_serves_on_port_and_stops_with_everything_it_started() {
    let dir = TempDir::new("lattice-local-run-serves");
    dir.write("app", "Hello from a local pod");
    let command = serving_command(&dir.0, "");
    let process = BackendProcess::start("default/eks-app", &command, RunBounds::default())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(process.key(), "default/eks-app");
    let addr = process
        .url()
        .strip_prefix("http://")
        .expect("http URL")
        .parse()
        .expect("socket address");
    let reply = send(get(addr, "127.0.0.1", "/app")).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.text(), "Hello from a local pod");

    let leader = process.pid().expect("pid");
    let child = written_pid(&dir.0.join("child.pid")).await;
    assert!(alive(leader) && alive(child));
    let status = process.stop().await.expect("exit status");
    assert_eq!(status.signal(), Some(libc::SIGTERM), "{status}");
    assert!(gone(leader).await, "the command outlived stop");
    assert!(gone(child).await, "what the command started outlived stop");
}

#[tokio::test]
async fn a_group_that_ignores_sigterm_is_killed_after_the_grace_period() {
    let dir = TempDir::new("lattice-local-run-ignores-term");
    // An ignored signal stays ignored across exec and in children started afterwards.
    let command = serving_command(&dir.0, "trap '' TERM;");
    let bounds = RunBounds {
        stop_grace: Duration::from_millis(300),
        ..RunBounds::default()
    };
    let process = BackendProcess::start("default/eks-app", &command, bounds)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let leader = process.pid().expect("pid");
    let child = written_pid(&dir.0.join("child.pid")).await;
    let status = process.stop().await.expect("exit status");
    assert_eq!(status.signal(), Some(libc::SIGKILL), "{status}");
    assert!(gone(leader).await && gone(child).await);
}

#[tokio::test]
async fn a_command_that_exits_before_listening_is_an_error_naming_it() {
    let error = BackendProcess::start("default/eks-app", "exit 3", RunBounds::default())
        .await
        .expect_err("exited");
    assert!(
        matches!(&error, RunError::Exited { status, .. } if status.code() == Some(3)),
        "{error:?}"
    );
    let text = error.to_string();
    assert!(
        text.starts_with("--run default/eks-app: `exit 3` exited (exit status: 3) before it accepted connections on port"),
        "{text}"
    );
}

#[tokio::test]
async fn a_command_that_never_listens_is_stopped_after_the_ready_bound() {
    let dir = TempDir::new("lattice-local-run-never-listens");
    let command = format!(
        "echo $$ > {dir}/leader.pid; sleep 600 & echo $! > {dir}/child.pid; wait",
        dir = dir.0.display()
    );
    let bounds = RunBounds {
        ready_timeout: Duration::from_millis(500),
        ..RunBounds::default()
    };
    let error = BackendProcess::start("shop/inventory", &command, bounds)
        .await
        .expect_err("never ready");
    assert!(matches!(error, RunError::NotReady { .. }), "{error:?}");
    assert!(
        error.to_string().contains("did not accept connections"),
        "{error}"
    );
    let leader = written_pid(&dir.0.join("leader.pid")).await;
    let child = written_pid(&dir.0.join("child.pid")).await;
    assert!(
        gone(leader).await && gone(child).await,
        "the failed command was left running"
    );
}
