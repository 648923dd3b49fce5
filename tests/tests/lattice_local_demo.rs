//! End to end: `lattice-local demo` builds the functions, serves template.yaml with the EKS
//! side from `k8s/` (or, with `--eks-side template`, from the template) and shows both
//! directions work, then exits 0; `lattice-local up` serves until interrupted.

use std::process::Stdio;
use std::time::Duration;

use lattice_tests::workspace_binary;

/// Runs `lattice-local demo` with `args`; its stdout, after checking it succeeded and printed
/// the steps in order with both directions and the 403 of the unsigned call.
async fn run_demo(args: &[&str]) -> String {
    let binary = workspace_binary("lattice-local", "lattice-local");
    let child = tokio::process::Command::new(&binary)
        .arg("demo")
        .args(args)
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
        "step 2: EKS -> Lattice -> Lambda",
        "200 Hello Foo Lambda!!",
        "step 3: Lambda -> Lattice -> EKS",
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

/// `GET path` over a fresh connection with `Connection: close`; the raw response.
async fn raw_get(addr: &str, host: &str, path: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(addr)
        .await
        .unwrap_or_else(|e| panic!("connect {addr}: {e}"));
    let request = format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.expect("write");
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.expect("read");
    String::from_utf8_lossy(&response).into_owned()
}

#[tokio::test]
async fn lattice_local_up_serves_the_template_until_interrupted() {
    use tokio::io::{AsyncBufReadExt, BufReader};
    // `--no-build`: the binaries come from the same cargo invocation as this test.
    workspace_binary("provider", "provider");
    workspace_binary("eks-client", "eks-client");
    let binary = workspace_binary("lattice-local", "lattice-local");
    let template = concat!(env!("CARGO_MANIFEST_DIR"), "/../template.yaml");
    let mut child = tokio::process::Command::new(&binary)
        .args(["up", "--no-build", "--port", "0", "--invoke-port", "0"])
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
    let text = printed.join("\n");
    // Unsupported constructs are named; each service is listed with its URLs.
    assert!(
        text.contains("EksClientSecurityGroup (AWS::EC2::SecurityGroup)"),
        "{text}"
    );
    let foo_line = printed
        .iter()
        .find(|l| l.trim_start().starts_with("foo-service"))
        .unwrap_or_else(|| panic!("no foo-service line in:\n{text}"));
    let addr = foo_line
        .split_whitespace()
        .find_map(|word| {
            word.strip_prefix("http://127.0.0.1:")
                .map(|port| format!("127.0.0.1:{port}"))
        })
        .unwrap_or_else(|| panic!("no URL in {foo_line:?}"));
    let response = raw_get(&addr, "foo-service", "/").await;
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(response.ends_with("Hello Foo Lambda!!"), "{response}");
    // eks-app has no --upstream here: its /app group answers 503 (after auth: 403 first).
    let eks_line = printed
        .iter()
        .find(|l| l.trim_start().starts_with("eks-app"))
        .unwrap_or_else(|| panic!("no eks-app line in:\n{text}"));
    assert!(eks_line.contains("auth AWS_IAM"), "{eks_line}");

    // The access log record of the request is on stdout, as Lattice's JSON.
    let logged = tokio::time::timeout(Duration::from_secs(30), async {
        while let Some(line) = lines.next_line().await.expect("read stdout") {
            if line.starts_with('{') && line.contains("\"hostHeader\":\"foo-service\"") {
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
    assert!(
        record["targetGroupArn"]
            .as_str()
            .is_some_and(|arn| arn.contains(":targetgroup/tg-")),
        "{logged}"
    );

    let pid = child.id().expect("running").to_string();
    let status = std::process::Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .expect("kill -INT");
    assert!(status.success());
    let exit = tokio::time::timeout(Duration::from_secs(30), child.wait())
        .await
        .expect("up did not stop on SIGINT")
        .expect("wait");
    assert!(exit.success(), "{exit}");
}
