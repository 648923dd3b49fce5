//! Runs tests/py/sigv4_oracle.py (botocore + cryptography + awscrt) on recorded requests and
//! asserts its verdicts.
//!
//! A missing oracle fails the test: a suite that passes without checking a single signature
//! proves nothing. `LATTICE_SKIP_ORACLE=1` skips the oracle (never in CI) and says so on the
//! terminal, past the test harness's output capture.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};

use super::upstream::Seen;

/// Set to `1` to run the signing tests without the oracle (a warning is printed).
pub const SKIP_VARIABLE: &str = "LATTICE_SKIP_ORACLE";

/// The venv's Python: `LATTICE_PYTHON`, else `$HOME/.cache/lattice-venv/bin/python`; `None`
/// only when it is missing and the skip was asked for.
///
/// # Panics
/// When Python is missing and the skip was not asked for, or was asked for in CI.
pub fn python() -> Option<PathBuf> {
    let path = std::env::var_os("LATTICE_PYTHON")
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME")
                .map(|home| PathBuf::from(home).join(".cache/lattice-venv/bin/python"))
        });
    if let Some(path) = path.as_ref().filter(|p| p.exists()) {
        return Some(path.clone());
    }
    let missing = format!(
        "no Python with botocore, cryptography and awscrt at {path:?}: run scripts/setup-dev.sh \
         or set LATTICE_PYTHON to the venv's python"
    );
    let skip = std::env::var(SKIP_VARIABLE).is_ok_and(|v| v == "1");
    if !skip {
        panic!("{missing} (or set {SKIP_VARIABLE}=1 to skip the signature oracle)");
    }
    if std::env::var_os("CI").is_some() {
        panic!("{missing}; {SKIP_VARIABLE} is not honoured in CI");
    }
    // Straight to the terminal: `eprintln!` is captured and hidden for passing tests.
    let _ = writeln!(
        std::io::stderr(),
        "\n*** WARNING: {SKIP_VARIABLE}=1: signatures NOT checked by the oracle ({missing}) ***\n"
    );
    None
}

/// Credentials and region (SigV4) or region set (SigV4A) the requests were signed with.
pub struct SigningInputs<'a> {
    pub mode: &'a str,
    pub access_key: &'a str,
    pub secret_key: &'a str,
    pub token: Option<&'a str>,
    pub region: &'a str,
}

/// When the requests under test were signed: their `x-amz-date` must fall inside.
#[derive(Clone, Copy, Debug)]
pub struct Window {
    start: SystemTime,
    end: SystemTime,
}

impl Window {
    /// Opens a window now; close it with [`Window::close`] after the last request.
    pub fn open() -> Self {
        let now = SystemTime::now();
        Window {
            start: now,
            end: now,
        }
    }

    /// The window from its opening until now.
    pub fn close(self) -> Self {
        Window {
            end: SystemTime::now(),
            ..self
        }
    }

    /// Whether `epoch_seconds` (whole seconds, as `x-amz-date` writes them) is inside.
    fn contains(&self, epoch_seconds: u64) -> bool {
        let seconds = |t: SystemTime| t.duration_since(UNIX_EPOCH).unwrap_or(Duration::ZERO);
        let at = Duration::from_secs(epoch_seconds);
        // x-amz-date truncates to the second.
        at + Duration::from_secs(1) > seconds(self.start) && at <= seconds(self.end)
    }
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

/// Runs the oracle on `cases`: one verdict per case (asserted), or `None` when skipped.
pub fn verdicts(cases: &[Value]) -> Option<Vec<Value>> {
    let python = python()?;
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("py/sigv4_oracle.py");
    let mut child = Command::new(&python)
        .arg(&script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {python:?}: {e}"));
    child
        .stdin
        .take()
        .expect("stdin is piped")
        .write_all(
            serde_json::to_string(cases)
                .expect("cases are JSON")
                .as_bytes(),
        )
        .expect("oracle reads its cases");
    let output = child.wait_with_output().expect("oracle runs");
    assert!(
        output.status.success(),
        "oracle failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let verdicts: Vec<Value> =
        serde_json::from_slice(&output.stdout).expect("oracle writes a JSON list");
    assert_eq!(verdicts.len(), cases.len(), "one verdict per case");
    Some(verdicts)
}

/// Checks every signature in `seen` with the oracle: SigV4 recomputed by botocore and equal
/// to the one received; SigV4A verified by `cryptography` and by awscrt, with the key
/// derivation cross-checked against awscrt's signer. For both, the scope and date the
/// request claims must be the expected key, region (set), service and signing time.
pub fn assert_signatures(scheme: &str, seen: &[Seen], inputs: &SigningInputs<'_>, window: Window) {
    assert!(!seen.is_empty(), "no request to check");
    let cases: Vec<Value> = seen.iter().map(|s| case(scheme, s, inputs)).collect();
    let Some(verdicts) = verdicts(&cases) else {
        return;
    };
    assert_eq!(
        verdicts.len(),
        seen.len(),
        "a verdict for every request seen"
    );
    for (s, verdict) in seen.iter().zip(&verdicts) {
        let what = format!("{} {}: {verdict}", s.method, s.target);
        assert_claims(verdict, inputs, window, &what);
        match inputs.mode {
            "sigv4" => assert_eq!(
                verdict["authorization"].as_str(),
                s.header("authorization"),
                "botocore disagrees on {what}"
            ),
            "sigv4a" => {
                assert_eq!(verdict["verified"], true, "cryptography: {what}");
                assert_eq!(verdict["crt_verified"], true, "awscrt: {what}");
                assert_eq!(
                    verdict["crt_cross_check"], true,
                    "key derivation vs awscrt: {what}"
                );
            }
            other => panic!("unknown signing mode {other}"),
        }
    }
}

/// The request's own claims (the oracle verifies against them) are the expected ones.
fn assert_claims(verdict: &Value, inputs: &SigningInputs<'_>, window: Window, what: &str) {
    let (algorithm, scope) = match inputs.mode {
        "sigv4" => (
            "AWS4-HMAC-SHA256",
            format!("{}/vpc-lattice-svcs/aws4_request", inputs.region),
        ),
        _ => (
            "AWS4-ECDSA-P256-SHA256",
            "vpc-lattice-svcs/aws4_request".to_owned(),
        ),
    };
    assert_eq!(verdict["algorithm"], algorithm, "{what}");
    assert_eq!(verdict["credential_key"], inputs.access_key, "{what}");
    assert_eq!(verdict["credential_scope"], scope.as_str(), "{what}");
    let epoch = verdict["amz_date_epoch"]
        .as_u64()
        .expect("x-amz-date parsed");
    assert!(
        window.contains(epoch),
        "x-amz-date outside {window:?}: {what}"
    );
    assert_eq!(
        verdict["credential_date"].as_str(),
        Some(utc_date(epoch).as_str()),
        "credential date is x-amz-date's date: {what}"
    );
    let signed: Vec<&str> = verdict["signed_headers"]
        .as_str()
        .expect("signed headers")
        .split(';')
        .collect();
    assert!(
        signed.contains(&"host") && signed.contains(&"x-amz-date"),
        "{what}"
    );
    match inputs.mode {
        "sigv4a" => {
            assert_eq!(verdict["region_set"], inputs.region, "{what}");
            assert!(signed.contains(&"x-amz-region-set"), "{what}");
        }
        _ => assert_eq!(verdict["region_set"], Value::Null, "{what}"),
    }
}

/// `YYYYMMDD` of `epoch` seconds, UTC (civil-from-days, proleptic Gregorian).
fn utc_date(epoch: u64) -> String {
    let days = i64::try_from(epoch / 86_400).expect("days fit");
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}{month:02}{day:02}")
}

#[test]
fn utc_dates_are_written_like_x_amz_date() {
    assert_eq!(utc_date(0), "19700101");
    assert_eq!(utc_date(1_440_938_160), "20150830");
    assert_eq!(utc_date(951_782_400), "20000229");
    assert_eq!(utc_date(253_402_300_799), "99991231");
}

#[test]
fn claims_that_are_not_the_expected_ones_fail() {
    let inputs = SigningInputs {
        mode: "sigv4a",
        access_key: "AKIDEXPECTED",
        secret_key: "unused",
        token: None,
        region: "us-west-2",
    };
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let good = json!({
        "algorithm": "AWS4-ECDSA-P256-SHA256",
        "credential_key": "AKIDEXPECTED",
        "credential_date": utc_date(now),
        "credential_scope": "vpc-lattice-svcs/aws4_request",
        "signed_headers": "host;x-amz-date;x-amz-region-set",
        "amz_date_epoch": now,
        "region_set": "us-west-2",
    });
    let window = Window {
        start: UNIX_EPOCH + Duration::from_secs(now),
        end: UNIX_EPOCH + Duration::from_secs(now + 1),
    };
    assert_claims(&good, &inputs, window, "good");
    for (field, bad) in [
        ("algorithm", json!("AWS4-HMAC-SHA256")),
        ("credential_key", json!("AKIDOTHER")),
        ("credential_date", json!("20150830")),
        ("credential_scope", json!("vpc-lattice/aws4_request")),
        ("signed_headers", json!("host;x-amz-date")),
        ("amz_date_epoch", json!(now - 3600)),
        ("region_set", json!("*")),
    ] {
        let mut verdict = good.clone();
        verdict[field] = bad;
        let caught = std::panic::catch_unwind(|| assert_claims(&verdict, &inputs, window, field));
        assert!(caught.is_err(), "a wrong {field} passed");
    }
}
