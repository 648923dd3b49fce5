//! `lattice-local up --k8s DIR`: the repository's `k8s/` served as the AWS Gateway API
//! Controller would create it in Lattice — the route's service `eks-app-default` lets the
//! client role the `IAMAuthPolicy` names call `/app` (signed), refuses unsigned callers and
//! other paths; a Service's pods are an `--upstream` URL or a `--run` process, stopped with
//! everything it started when `up` ends (SIGTERM included); what the manifests use that is not emulated is named
//! at start; a service name both the template and the manifests define is refused naming both.

mod common;

use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use common::{
    REGION, Signer, TempDir, alive, echo_upstream, get, gone, reported_header, send_tls,
    written_pid,
};
use http::StatusCode;
use lattice_local::auth::{CredentialStore, LocalPrincipal};
use lattice_local::up::{self, UpError, UpOptions};
use tokio::io::{AsyncBufReadExt, BufReader};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn k8s_dir() -> PathBuf {
    workspace().join("k8s")
}

/// The demo's client principal (`EksClientFunctionRole`, what the policy placeholder stands for).
fn client() -> LocalPrincipal {
    let store = CredentialStore::load(workspace().join("local/demo/credentials.json"))
        .expect("demo credentials");
    store.principals().next().cloned().expect("a principal")
}

fn signed_get(
    addr: SocketAddr,
    host: &str,
    path: &str,
    who: &LocalPrincipal,
) -> http::Request<http_body_util::Full<bytes::Bytes>> {
    let mut request = get(addr, host, path);
    Signer::lattice(&who.access_key_id, &who.secret_access_key, REGION).sign(&mut request);
    request
}

fn options(template: Option<PathBuf>, k8s: PathBuf) -> UpOptions {
    common::up_options(template, Some(k8s))
}

#[tokio::test]
async fn the_route_serves_the_client_role_its_policy_allows_and_refuses_the_rest() {
    let pod = echo_upstream("eks-app pod").await;
    let mut options = options(None, k8s_dir());
    options
        .upstreams
        .insert("default/eks-app".into(), format!("http://{pod}"));
    // The Gateway's listener is HTTPS: called over TLS, trusting the local CA.
    let ca = options
        .state_dir
        .clone()
        .expect("a test state directory")
        .join("ca/ca.pem");
    let running = up::start(options).await.unwrap_or_else(|e| panic!("{e}"));
    let service = running
        .stack
        .data_plane
        .endpoint("eks-app-default")
        .expect("the controller's name for route default/eks-app")
        .addr;
    let host = "eks-app-default";
    let client = client();

    let reply = send_tls(&ca, signed_get(service, host, "/app/orders", &client)).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    let seen = reply.json();
    assert_eq!(seen["upstream"], "eks-app pod");
    assert_eq!(seen["path"], "/app/orders");
    let identity = reported_header(&seen, "x-amzn-lattice-identity").expect("identity header");
    assert!(identity.contains(&client.principal_arn), "{identity}");

    // The IAMAuthPolicy allows /app and below only, and signed callers only.
    let reply = send_tls(&ca, signed_get(service, host, "/admin", &client)).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN, "{}", reply.text());
    let reply = send_tls(&ca, get(service, host, "/app")).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    assert!(reply.text().contains("User: anonymous"), "{}", reply.text());
    // Another principal of the account is not the client role.
    let mut stranger = client.clone();
    stranger.secret_access_key = "not-the-secret".into();
    let reply = send_tls(&ca, signed_get(service, host, "/app", &stranger)).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN, "a bad signature");
    running.shutdown().await;
}

#[tokio::test]
async fn a_service_name_the_template_and_the_manifests_both_define_names_both() {
    let dir = TempDir::new("lattice-local-up-k8s-clash");
    let template = dir.write(
        "template.yaml",
        "Resources:\n  Clash:\n    Type: AWS::VpcLattice::Service\n    Properties: {Name: eks-app-default}\n",
    );
    let error = up::start(options(Some(template.clone()), k8s_dir()))
        .await
        .expect_err("two services named eks-app-default");
    assert!(matches!(error, UpError::Join(_)), "{error}");
    let text = error.to_string();
    assert!(
        text.contains(&format!("by Clash in {}", template.display()))
            && text.contains("eks-app-route.yaml document 1: HTTPRoute default/eks-app"),
        "{text}"
    );
}

#[tokio::test]
async fn an_upstream_for_a_service_no_route_uses_is_refused_naming_the_backends() {
    let mut options = options(None, k8s_dir());
    options
        .upstreams
        .insert("default/eks-ap".into(), "http://127.0.0.1:1".into());
    let error = up::start(options).await.expect_err("unknown Service");
    assert_eq!(
        error.to_string(),
        "--upstream default/eks-ap: no HTTPRoute of the manifests has Service default/eks-ap as a backend (backends: default/eks-app)"
    );
}

/// Reads `lines` until `up` says it is serving; everything it printed.
async fn banner<R: tokio::io::AsyncBufRead + Unpin>(lines: &mut tokio::io::Lines<R>) -> String {
    let mut printed = Vec::new();
    tokio::time::timeout(Duration::from_secs(120), async {
        while let Some(line) = lines.next_line().await.expect("read stdout") {
            let done = line.contains("press Ctrl-C");
            printed.push(line);
            if done {
                return;
            }
        }
        panic!("up exited early:\n{}", printed.join("\n"));
    })
    .await
    .expect("up did not start within 2 minutes");
    printed.join("\n")
}

/// The number after `prefix` in `text`.
fn number_after(text: &str, prefix: &str) -> u32 {
    let start = text
        .find(prefix)
        .unwrap_or_else(|| panic!("no {prefix:?} in:\n{text}"))
        + prefix.len();
    text[start..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect::<String>()
        .parse()
        .unwrap_or_else(|_| panic!("no number after {prefix:?} in:\n{text}"))
}

#[tokio::test]
async fn the_command_line_names_what_is_not_emulated_and_stops_run_processes_on_sigterm() {
    let dir = TempDir::new("lattice-local-up-k8s-cli");
    for entry in std::fs::read_dir(k8s_dir()).expect("k8s/") {
        let path = entry.expect("entry").path();
        if path.is_file() {
            let name = path
                .file_name()
                .expect("name")
                .to_string_lossy()
                .into_owned();
            dir.write(&name, &std::fs::read_to_string(&path).expect("read"));
        }
    }
    dir.write(
        "export.yaml",
        "apiVersion: application-networking.k8s.aws/v1alpha1\nkind: ServiceExport\n\
         metadata: {name: eks-app, namespace: default}\nspec: {}\n",
    );
    let www = dir.0.join("www");
    std::fs::create_dir_all(&www).expect("www");
    std::fs::write(www.join("app"), "Hello from a local pod").expect("app");
    let command = format!(
        "default/eks-app=sleep 600 & echo $! > {dir}/child.pid; \
         exec python3 -m http.server --bind 127.0.0.1 \"$PORT\" --directory {www}",
        dir = dir.0.display(),
        www = www.display()
    );
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_lattice-local"))
        .args(["up", "--no-template", "--k8s"])
        .arg(&dir.0)
        .args([
            "--port",
            "0",
            "--https-port",
            "0",
            "--invoke-port",
            "0",
            "--run",
            &command,
        ])
        .arg("--state-dir")
        .arg(dir.0.join("state"))
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .expect("start lattice-local up");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let text = banner(&mut lines).await;

    // What is not emulated is named, with the file and document.
    assert!(
        text.contains("not emulated (from the manifests in"),
        "{text}"
    );
    assert!(
        text.contains(
            "  - default/eks-app (ServiceExport (application-networking.k8s.aws/v1alpha1)): "
        ) && text.contains(
            "export.yaml document 1: not emulated: exporting a Service to other clusters"
        ),
        "{text}"
    );
    assert!(
        text.contains("(Deployment): pods are not run locally"),
        "{text}"
    );
    // The banner says where the route's service and the Service's pods are.
    assert!(
        text.contains("eks-app-default  is ")
            && text.contains(
                "eks-app-route.yaml document 1: HTTPRoute default/eks-app, ARN \
                 arn:aws:vpc-lattice:us-west-2:000000000000:service/svc-"
            ),
        "{text}"
    );
    assert!(
        text.contains("Service default/eks-app -> http://127.0.0.1:"),
        "{text}"
    );

    let port = number_after(&text, "eks-app-default  https://127.0.0.1:");
    let ca = dir.0.join("state/ca/ca.pem");
    let service = SocketAddr::from((Ipv4Addr::LOCALHOST, u16::try_from(port).expect("port")));
    let reply = send_tls(
        &ca,
        signed_get(service, "eks-app-default", "/app", &client()),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    assert_eq!(reply.text(), "Hello from a local pod");
    let reply = send_tls(&ca, get(service, "eks-app-default", "/app")).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);

    let group = number_after(&text, "(process group ");
    let started = written_pid(&dir.0.join("child.pid")).await;
    assert!(alive(group) && alive(started));
    let pid = libc::pid_t::try_from(child.id().expect("running")).expect("pid");
    // SIGTERM, as `kill` or a process manager sends it (Ctrl-C's SIGINT is tested on `up`
    // in tests/tests/lattice_local_demo.rs): up stops in order, not at once.
    // SAFETY: `kill` has no memory-safety preconditions; the pid is our running child's.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0);
    let exit = tokio::time::timeout(Duration::from_secs(30), child.wait())
        .await
        .expect("up did not stop on SIGTERM")
        .expect("wait");
    assert!(exit.success(), "{exit}");
    assert!(gone(group).await, "the --run command outlived up");
    assert!(
        gone(started).await,
        "what the --run command started outlived up"
    );
}
