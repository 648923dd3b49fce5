//! End to end: `lattice-local demo` builds the functions, serves template.yaml with the EKS
//! side from `k8s/` (or, with `--eks-side template`, from the template) and shows both
//! directions work (over HTTPS where the listeners are HTTPS), then exits 0; `lattice-local
//! up` serves the template's HTTPS listeners over TLS with a CA it keeps between runs, until
//! interrupted.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use lattice_local::tls::client::{client_config, send_https};
use lattice_tests::workspace_binary;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject as _;
use tokio::io::{AsyncBufReadExt, BufReader, Lines};
use tokio::process::{Child, ChildStdout};

/// A state directory of the test's own (never the user's `~/.local/state`), removed on drop.
struct StateDir(PathBuf);

impl StateDir {
    fn new(name: &str) -> Self {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!("{name}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        StateDir(path)
    }
}

impl Drop for StateDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs `lattice-local demo` with `args`; its stdout, after checking it succeeded and printed
/// the steps in order with both directions and the 403 of the unsigned call.
async fn run_demo(args: &[&str]) -> String {
    let binary = workspace_binary("lattice-local", "lattice-local");
    let state = StateDir::new("lattice-local-demo-state");
    let child = tokio::process::Command::new(&binary)
        .arg("demo")
        .args(args)
        .arg("--state-dir")
        .arg(&state.0)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", binary.display()));
    // The demo may build provider and eks-client first: allow for a cold build.
    let output = tokio::time::timeout(Duration::from_secs(900), child.wait_with_output())
        .await
        .expect("lattice-local demo did not finish within 15 minutes")
        .expect("lattice-local demo output");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "demo {args:?} failed ({}):\nstdout:\n{stdout}\nstderr:\n{stderr}",
        output.status
    );
    for needle in [
        "step 1: build and start the topology",
        &format!("TLS: local CA {}", state.0.join("ca/ca.pem").display()),
        // foo-service's listener is HTTPS: called over TLS, trusting the local CA alone.
        "step 2: EKS -> Lattice -> Lambda: GET https://foo-service.lattice.localhost:",
        "200 Hello Foo Lambda!!",
        "step 3: Lambda -> Lattice -> EKS",
        // The client calls the EKS side's HTTPS listener over TLS, trusting the local CA.
        "LATTICE_SERVICE_URL=https://127.0.0.1:",
        r#"{"statusCode":200,"body":"from EKS: Hello Bar EKS Pod!!"}"#,
        "step 4: denied call",
        "403 AccessDeniedException: User: anonymous",
        // The provider by the default rule.
        "access service=foo-service method=GET path=/ rule=default target=lambda:ProviderFunction status=200",
        "demo finished",
    ] {
        assert_contains(&stdout, needle);
    }
    // Steps appear in order.
    let position = |needle: &str| stdout.find(needle).unwrap_or(usize::MAX);
    assert!(position("step 2:") < position("step 3:"));
    assert!(position("step 3:") < position("step 4:"));
    stdout
}

fn assert_contains(stdout: &str, needle: &str) {
    assert!(
        stdout.contains(needle),
        "missing {needle:?} in the demo output:\n{stdout}"
    );
}

#[tokio::test]
async fn lattice_local_demo_runs_the_reference_scenario_with_the_eks_side_from_k8s() {
    let stdout = run_demo(&[]).await;
    // The split of the reference architecture: the template in gateway-api mode, k8s/ as the
    // controller maps it.
    assert_contains(
        &stdout,
        "with EksAppMode=gateway-api (the Lambda side and the network)",
    );
    assert_contains(
        &stdout,
        "HTTPRoute default/eks-app -> Lattice service eks-app-default",
    );
    assert_contains(&stdout, "eks-app-default auth type: AWS_IAM");
    // The pod by the route's /app rule, the unsigned call refused by the IAMAuthPolicy.
    assert_contains(
        &stdout,
        "access service=eks-app-default method=GET path=/app rule=default/eks-app/rules[0]",
    );
    assert_contains(
        &stdout,
        "access service=eks-app-default method=GET path=/app rule=- target=- status=403",
    );
    // The template's gateway-api Rules hold: the client has a URL and a target service.
    assert!(!stdout.contains("(Rules)"), "{stdout}");
}

#[tokio::test]
async fn lattice_local_demo_runs_the_reference_scenario_with_the_templates_eks_side() {
    let stdout = run_demo(&["--eks-side", "template"]).await;
    assert_contains(&stdout, "with EksAppMode=template");
    assert_contains(&stdout, "eks-app auth type: AWS_IAM");
    assert_contains(
        &stdout,
        "access service=eks-app method=GET path=/app rule=EksAppRule",
    );
    assert_contains(
        &stdout,
        "access service=eks-app method=GET path=/app rule=- target=- status=403",
    );
}

/// `lattice-local up` on the template, started: its stdout lines so far and the rest.
struct Up {
    child: Child,
    printed: Vec<String>,
    lines: Lines<BufReader<ChildStdout>>,
}

impl Up {
    async fn start(state: &Path) -> Up {
        let binary = workspace_binary("lattice-local", "lattice-local");
        let template = concat!(env!("CARGO_MANIFEST_DIR"), "/../template.yaml");
        let mut child = tokio::process::Command::new(&binary)
            .args(["up", "--no-build", "--port", "0", "--https-port", "0"])
            .args(["--invoke-port", "0", "--state-dir"])
            .arg(state)
            .args(["--template", template, "--parameter", "EksAppMode=template"])
            // The text line is the demo's (above); here the VpcLatticeAccessLogs form.
            .args(["--access-log", "json"])
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", binary.display()));
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = BufReader::new(stdout).lines();
        let mut printed = Vec::new();
        let ready = tokio::time::timeout(Duration::from_secs(120), async {
            while let Some(line) = lines.next_line().await.expect("read stdout") {
                let done = line.contains("press Ctrl-C");
                printed.push(line);
                if done {
                    return true;
                }
            }
            false
        })
        .await
        .expect("up did not start within 2 minutes");
        assert!(ready, "up exited early:\n{}", printed.join("\n"));
        Up {
            child,
            printed,
            lines,
        }
    }

    fn text(&self) -> String {
        self.printed.join("\n")
    }

    /// The first printed line that starts (after indentation) with `prefix`.
    fn line(&self, prefix: &str) -> &str {
        self.printed
            .iter()
            .find(|l| l.trim_start().starts_with(prefix))
            .unwrap_or_else(|| panic!("no line starting with {prefix:?} in:\n{}", self.text()))
    }

    /// Stops it with SIGINT, as Ctrl-C would.
    async fn interrupt(mut self) {
        let pid = self.child.id().expect("running").to_string();
        let status = std::process::Command::new("kill")
            .args(["-INT", &pid])
            .status()
            .expect("kill -INT");
        assert!(status.success());
        let exit = tokio::time::timeout(Duration::from_secs(30), self.child.wait())
            .await
            .expect("up did not stop on SIGINT")
            .expect("wait");
        assert!(exit.success(), "{exit}");
    }
}

#[tokio::test]
async fn lattice_local_up_serves_the_template_until_interrupted() {
    // `--no-build`: the binaries come from the same cargo invocation as this test.
    workspace_binary("provider", "provider");
    workspace_binary("eks-client", "eks-client");
    let state = StateDir::new("lattice-local-up-state");
    let mut up = Up::start(&state.0).await;
    let text = up.text();
    // Unsupported constructs are named; each service is listed with its URLs.
    assert!(
        text.contains("EksClientSecurityGroup (AWS::EC2::SecurityGroup)"),
        "{text}"
    );
    // The template's listeners are HTTPS: served over TLS, with the CA it printed.
    let ca_file = state.0.join("ca/ca.pem");
    assert!(
        up.line("TLS: local CA")
            .contains(&format!("{} (made now;", ca_file.display())),
        "{text}"
    );
    let foo_line = up.line("foo-service");
    assert!(foo_line.contains("(HTTPS 443, auth NONE)"), "{foo_line}");
    assert!(
        foo_line.contains("https://foo-service.lattice.localhost:"),
        "{foo_line}"
    );
    let addr = foo_line
        .split_whitespace()
        .find_map(|word| word.strip_prefix("https://"))
        .and_then(|addr| addr.parse().ok())
        .unwrap_or_else(|| panic!("no https://127.0.0.1:PORT in {foo_line:?}"));
    let ca = CertificateDer::from_pem_file(&ca_file).expect("the printed CA file");
    let request = http::Request::get("/")
        .body(Full::new(Bytes::new()))
        .unwrap();
    let response = send_https(
        client_config(&ca).unwrap(),
        addr,
        "foo-service.lattice.localhost",
        request,
        Duration::from_secs(30),
    )
    .await
    .expect("HTTPS with the printed CA");
    assert_eq!(response.status(), 200);
    assert_eq!(response.body().as_ref(), b"Hello Foo Lambda!!");
    // eks-app has no --upstream here: its /app group answers 503 (after auth: 403 first).
    let eks_line = up.line("eks-app");
    assert!(eks_line.contains("auth AWS_IAM"), "{eks_line}");

    // The access log record of the request is on stdout, as Lattice's JSON.
    let logged = tokio::time::timeout(Duration::from_secs(30), async {
        while let Some(line) = up.lines.next_line().await.expect("read stdout") {
            if line.starts_with('{')
                && line.contains("\"hostHeader\":\"foo-service.lattice.localhost")
            {
                return line;
            }
        }
        String::new()
    })
    .await
    .expect("no access log record");
    let record: serde_json::Value = serde_json::from_str(&logged)
        .unwrap_or_else(|e| panic!("not a JSON record ({e}): {logged:?}"));
    assert_eq!(record["responseCode"], 200, "{logged}");
    assert_eq!(record["requestPath"], "/", "{logged}");
    assert_eq!(record["failureReason"], "-", "{logged}");
    assert_eq!(
        record["serverNameIndication"], "foo-service.lattice.localhost",
        "{logged}"
    );
    assert!(
        record["targetGroupArn"]
            .as_str()
            .is_some_and(|arn| arn.contains(":targetgroup/tg-")),
        "{logged}"
    );
    let ca_pem = std::fs::read(&ca_file).unwrap();
    up.interrupt().await;

    // A second start keeps the CA: a client given ca.pem once keeps trusting lattice-local.
    let again = Up::start(&state.0).await;
    let ca_line = again.line("TLS: local CA");
    assert!(!ca_line.contains("made now"), "{ca_line}");
    assert_eq!(std::fs::read(&ca_file).unwrap(), ca_pem);
    again.interrupt().await;
}
