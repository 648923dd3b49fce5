//! The request inspector in a real browser: `lattice-local up` (the real binary, the project's
//! template, the real provider function) serves the page; `tests/py/inspector_browser.py`
//! drives Debian's chromium headless through chromedriver and Selenium: the topology lists both
//! services and their rules, a signed and an unsigned request appear as rows within a second of
//! their responses without a reload, the Lambda exchange shows the event's `requestContext`,
//! the function's response and its log, and no secret is anywhere in the page.
//!
//! Needs the venv of `scripts/setup-dev.sh` (Selenium, botocore) and `chromium` plus
//! `chromium-driver` (Debian packages, installed by `.ci/run`). When they are missing the test
//! fails and says what to install; `LATTICE_SKIP_BROWSER=1` skips it instead (never in CI).
//! `LATTICE_INSPECTOR_SCREENSHOT=PATH` also saves a screenshot of the page (`docs/inspector.png`
//! is made so).
//!
//! Also here: the inspector's loopback API refuses foreign `Host`s and cross-site pages, and its
//! page carries the Content-Security-Policy.

mod common;

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::json;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, Command};

const SKIP_VARIABLE: &str = "LATTICE_SKIP_BROWSER";

/// The principal functions sign as (first in the file) and the one the test signs as, with a
/// session token: the token and both secrets must never reach the page.
const CREDENTIALS: &str = r#"{"principals": [
  {"access_key_id": "AKIAINSPECTCLIENT001", "secret_access_key": "inspect/ClientSecret+MustNotShow0001",
   "principal_arn": "arn:aws:sts::000000000000:assumed-role/EksClientFunctionRole/eks-client",
   "session_name": "eks-client"},
  {"access_key_id": "ASIAINSPECTSESSION01", "secret_access_key": "inspect/SessionSecret+MustNotShow002",
   "session_token": "InspectSessionToken+MustNotShow003",
   "principal_arn": "arn:aws:sts::000000000000:assumed-role/developer/laptop",
   "session_name": "laptop"}
]}"#;

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// A fresh directory under the system's temporary directory.
fn scratch_dir() -> PathBuf {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let dir = std::env::temp_dir().join(format!("inspector-test-{}-{nanos}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("create a scratch directory");
    dir
}

/// The venv's Python, if it and the browser are installed; panics with what to install
/// otherwise (unless skipping was asked for, outside CI).
fn browser_tools() -> Option<PathBuf> {
    let python = std::env::var_os("LATTICE_PYTHON")
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME")
                .map(|h| PathBuf::from(h).join(".cache/lattice-venv/bin/python"))
        })
        .filter(|p| p.exists());
    let selenium = python.as_ref().is_some_and(|python| {
        std::process::Command::new(python)
            .args(["-c", "import selenium, botocore"])
            .status()
            .is_ok_and(|s| s.success())
    });
    let missing: Vec<&str> = [
        (!selenium).then_some("the venv with selenium and botocore (scripts/setup-dev.sh)"),
        (!Path::new("/usr/bin/chromium").exists()).then_some("chromium (apt-get install chromium)"),
        (!Path::new("/usr/bin/chromedriver").exists())
            .then_some("chromedriver (apt-get install chromium-driver)"),
    ]
    .into_iter()
    .flatten()
    .collect();
    if missing.is_empty() {
        return python;
    }
    let message = format!("the inspector browser test needs {}", missing.join(", "));
    let skip = std::env::var(SKIP_VARIABLE).is_ok_and(|v| v == "1");
    assert!(skip, "{message} (or set {SKIP_VARIABLE}=1 to skip it)");
    assert!(
        std::env::var_os("CI").is_none(),
        "{message}; {SKIP_VARIABLE} is not honoured in CI"
    );
    // Past the harness's capture: a skipped browser test must be seen.
    let _ = writeln!(
        std::io::stderr(),
        "\n*** WARNING: {SKIP_VARIABLE}=1: the inspector was NOT tested in a browser ({message}) ***\n"
    );
    None
}

/// `lattice-local up` running, and what it printed up to "press Ctrl-C".
struct Up {
    child: Child,
    printed: Vec<String>,
}

impl Up {
    async fn start(args: &[&str]) -> Up {
        let mut child = Command::new(env!("CARGO_BIN_EXE_lattice-local"))
            .current_dir(workspace())
            .arg("up")
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .expect("start lattice-local up");
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = BufReader::new(stdout).lines();
        let mut printed = Vec::new();
        // `up` builds provider and eks-client first (a cold build takes minutes).
        let ready = tokio::time::timeout(Duration::from_secs(900), async {
            while let Ok(Some(line)) = lines.next_line().await {
                let done = line.contains("press Ctrl-C");
                printed.push(line);
                if done {
                    return true;
                }
            }
            false
        })
        .await
        .expect("lattice-local up did not start within 15 minutes");
        assert!(ready, "up exited early:\n{}", printed.join("\n"));
        // Keep reading, so a full pipe never blocks the access log.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Up { child, printed }
    }

    /// The first URL (`http://` or `https://` on loopback) on the line that starts with `label`.
    fn url(&self, label: &str) -> String {
        let line = self
            .printed
            .iter()
            .find(|l| l.trim_start().starts_with(label))
            .unwrap_or_else(|| panic!("no {label:?} line in:\n{}", self.printed.join("\n")));
        line.split_whitespace()
            .find(|w| w.starts_with("http://127.0.0.1:") || w.starts_with("https://127.0.0.1:"))
            .unwrap_or_else(|| panic!("no URL in {line:?}"))
            .trim_end_matches('/')
            .to_owned()
    }

    async fn stop(mut self) {
        if let Some(pid) = self.child.id() {
            let _ = std::process::Command::new("kill")
                .args(["-INT", &pid.to_string()])
                .status();
        }
        let _ = tokio::time::timeout(Duration::from_secs(30), self.child.wait()).await;
    }
}

#[tokio::test]
async fn the_inspector_shows_topology_live_requests_and_exchanges_in_a_browser_without_secrets() {
    let Some(python) = browser_tools() else {
        return;
    };
    let pod = common::echo_upstream("pod").await;
    let dir = scratch_dir();
    let credentials = dir.join("credentials.json");
    std::fs::write(&credentials, CREDENTIALS).expect("write credentials");
    let upstream = format!("EksAppTargetGroup=http://{pod}");
    let state = dir.join("state");
    let up = Up::start(&[
        "--template",
        "template.yaml",
        "--parameter",
        "EksAppMode=template",
        "--credentials",
        credentials.to_str().expect("utf-8 path"),
        "--upstream",
        &upstream,
        "--port",
        "0",
        "--invoke-port",
        "0",
        "--inspector-port",
        "0",
        // The template's listeners are HTTPS: a CA of the test's own, on any free port.
        "--https-port",
        "0",
        "--state-dir",
        state.to_str().expect("utf-8 path"),
    ])
    .await;
    let inspector = up.url("Inspector:");
    let spec = json!({
        "inspector": format!("{inspector}/"),
        "foo_service": up.url("foo-service"),
        "eks_app": up.url("eks-app"),
        "region": common::REGION,
        "ca_file": state.join("ca/ca.pem").display().to_string(),
        "session": {
            "access_key": "ASIAINSPECTSESSION01",
            "secret_key": "inspect/SessionSecret+MustNotShow002",
            "token": "InspectSessionToken+MustNotShow003",
            "principal": "arn:aws:sts::000000000000:assumed-role/developer/laptop",
        },
        "client": {
            "access_key": "AKIAINSPECTCLIENT001",
            "secret_key": "inspect/ClientSecret+MustNotShow0001",
            "principal": "arn:aws:sts::000000000000:assumed-role/EksClientFunctionRole/eks-client",
        },
        // A relative path is the workspace's (`docs/inspector.png`), not this crate's.
        "screenshot": std::env::var_os("LATTICE_INSPECTOR_SCREENSHOT")
            .map(|path| workspace().join(path).display().to_string()),
    });

    let mut driver = Command::new(&python)
        .arg(workspace().join("tests/py/inspector_browser.py"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("start the Selenium script");
    let mut stdin = driver.stdin.take().expect("stdin");
    stdin
        .write_all(spec.to_string().as_bytes())
        .await
        .expect("write the spec");
    drop(stdin);
    let output = tokio::time::timeout(Duration::from_secs(300), driver.wait_with_output())
        .await
        .expect("the browser test did not finish within 5 minutes")
        .expect("the browser test's output");
    up.stop().await;
    let _ = std::fs::remove_dir_all(&dir);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "the browser test failed ({}):\n{stdout}\n{stderr}",
        output.status
    );
    assert!(stdout.contains("inspector browser test passed"), "{stdout}");
}

/// `GET path` on `addr` with extra header lines; the raw response.
async fn raw_get(addr: &str, path: &str, headers: &str) -> String {
    common::raw_request(
        addr.parse().expect("a socket address"),
        &format!("GET {path} HTTP/1.1\r\n{headers}Connection: close\r\n\r\n"),
    )
    .await
}

#[tokio::test]
async fn the_inspector_answers_only_this_machine_and_only_its_own_pages() {
    use lattice_local::inspector::{Inspector, InspectorOptions, InspectorServer};
    let server = InspectorServer::bind(0, Inspector::new(InspectorOptions::default()))
        .await
        .expect("bind the inspector");
    let addr = server.addr().to_string();
    let host = format!("Host: {addr}\r\n");

    let page = raw_get(&addr, "/", &host).await;
    assert_eq!(common::raw_status(&page), 200, "{page}");
    let lower = page.to_ascii_lowercase();
    assert!(
        lower.contains("content-security-policy: default-src 'none'; script-src 'self'"),
        "{page}"
    );
    assert!(lower.contains("x-frame-options: deny"), "{page}");
    assert!(page.contains(r#"<script src="/inspector.js""#), "{page}");
    let script = raw_get(&addr, "/inspector.js", &host).await;
    assert!(script.contains("EventSource"), "{script}");

    for (what, headers) in [
        ("a rebinding name", "Host: attacker.example\r\n".to_owned()),
        (
            "a cross-site page",
            format!("{host}Origin: https://evil.example\r\n"),
        ),
        ("a null origin", format!("{host}Origin: null\r\n")),
        (
            "a cross-site fetch",
            format!("{host}Sec-Fetch-Site: cross-site\r\n"),
        ),
    ] {
        for path in ["/", "/api/exchanges", "/api/events"] {
            let answer = raw_get(&addr, path, &headers).await;
            assert_eq!(common::raw_status(&answer), 403, "{what} {path}: {answer}");
        }
    }
    let same_origin = raw_get(
        &addr,
        "/api/exchanges",
        &format!("{host}Origin: http://{addr}\r\nSec-Fetch-Site: same-origin\r\n"),
    )
    .await;
    assert_eq!(common::raw_status(&same_origin), 200, "{same_origin}");
    assert!(
        common::raw_body(&same_origin).contains(r#""exchanges":[]"#),
        "{same_origin}"
    );
    let post = common::raw_request(
        server.addr(),
        &format!(
            "POST /api/exchanges HTTP/1.1\r\n{host}Content-Length: 0\r\nConnection: close\r\n\r\n"
        ),
    )
    .await;
    assert_eq!(common::raw_status(&post), 405, "{post}");
    let gone = raw_get(&addr, "/api/exchanges/7", &host).await;
    assert_eq!(common::raw_status(&gone), 404, "{gone}");
}
