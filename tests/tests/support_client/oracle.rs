//! Runs tests/py/sigv4_oracle.py (botocore + cryptography + awscrt) on recorded requests.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use serde_json::{Value, json};

use super::upstream::Seen;

/// The venv's Python: `LATTICE_PYTHON`, else `$HOME/.cache/lattice-venv/bin/python`.
///
/// Missing Python skips the oracle tests locally but fails them in CI (`CI` set), so a CI
/// without botocore cannot pass silently.
pub fn python() -> Option<PathBuf> {
    let path = std::env::var_os("LATTICE_PYTHON")
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME")
                .map(|home| PathBuf::from(home).join(".cache/lattice-venv/bin/python"))
        });
    match path {
        Some(p) if p.exists() => Some(p),
        other => {
            let msg = format!(
                "no Python with botocore at {other:?}: set LATTICE_PYTHON to the venv's python"
            );
            if std::env::var_os("CI").is_some() {
                panic!("{msg} (required in CI)");
            }
            eprintln!("SKIPPED: {msg}");
            None
        }
    }
}

/// Credentials and region the oracle signs with.
pub struct SigningInputs<'a> {
    pub mode: &'a str,
    pub access_key: &'a str,
    pub secret_key: &'a str,
    pub token: Option<&'a str>,
    pub region: &'a str,
}

/// One oracle case from a recorded request; `scheme` rebuilds the URL the client used.
pub fn case(scheme: &str, seen: &Seen, inputs: &SigningInputs<'_>) -> Value {
    let host = seen.header("host").expect("request carries a host header");
    json!({
        "mode": inputs.mode,
        "method": seen.method,
        "url": format!("{scheme}://{host}{}", seen.target),
        "headers": seen.headers.iter().map(|(n, v)| json!([n, v])).collect::<Vec<_>>(),
        "body": String::from_utf8_lossy(&seen.body),
        "access_key": inputs.access_key,
        "secret_key": inputs.secret_key,
        "token": inputs.token,
        "region": inputs.region,
    })
}

/// Runs the oracle on `cases`, returning one verdict per case.
pub fn run(python: &PathBuf, cases: &[Value]) -> Vec<Value> {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("py/sigv4_oracle.py");
    let mut child = Command::new(python)
        .arg(&script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {python:?}: {e}"));
    child
        .stdin
        .take()
        .unwrap()
        .write_all(serde_json::to_string(cases).unwrap().as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "oracle failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}
