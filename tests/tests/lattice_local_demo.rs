//! End to end: `lattice-local demo` builds the functions, serves template.yaml
//! and shows both directions work, then exits 0.

use std::process::Stdio;
use std::time::Duration;

use lattice_tests::workspace_binary;

#[tokio::test]
async fn lattice_local_demo_runs_the_reference_scenario() {
    let binary = workspace_binary("lattice-local", "lattice-local");
    let child = tokio::process::Command::new(&binary)
        .arg("demo")
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
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "demo failed ({}):\nstdout:\n{stdout}\nstderr:\n{stderr}",
        output.status
    );
    let expect = |needle: &str| {
        assert!(
            stdout.contains(needle),
            "missing {needle:?} in the demo output:\n{stdout}"
        );
    };
    expect("step 1: build and start the topology");
    expect("step 2: EKS -> Lattice -> Lambda");
    expect("200 Hello Foo Lambda!!");
    expect("step 3: Lambda -> Lattice -> EKS");
    expect(r#"{"statusCode":200,"body":"from EKS: Hello Bar EKS Pod!!"}"#);
    expect("step 4: denied call");
    expect("403 AccessDeniedException: User: anonymous");
    // The access log shows each hop: the provider by the default rule, the pod by the /app rule.
    expect(
        "access service=foo-service method=GET path=/ rule=default target=lambda:ProviderFunction status=200",
    );
    expect("access service=eks-app method=GET path=/app rule=EksAppRule");
    expect("access service=eks-app method=GET path=/app rule=- target=- status=403");
    expect("demo finished");
    // Steps appear in order.
    let position = |needle: &str| stdout.find(needle).unwrap_or(usize::MAX);
    assert!(position("step 2:") < position("step 3:"));
    assert!(position("step 3:") < position("step 4:"));
}
