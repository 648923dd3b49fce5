//! How `policy check` says what it decided: a few lines of text, or one JSON object.
//!
//! ```text
//! deny GET /admin -> foo-service as arn:aws:sts::000000000000:assumed-role/app/member
//! denied by the service policy, statement NoAdmin (explicit Deny)
//!   network lattice-lambda-network: not-enforced
//!   service foo-service: explicit-deny (NoAdmin)
//! ```

use serde_json::{Value, json};

use super::{Checked, Expectation};
use crate::auth::{AccessControl, LevelOutcome};

fn verdict(allowed: bool) -> &'static str {
    if allowed { "allow" } else { "deny" }
}

fn expectation_name(expected: Expectation) -> &'static str {
    match expected {
        Expectation::Allow => "allow",
        Expectation::Deny => "deny",
    }
}

fn auth_type(control: &AccessControl) -> &'static str {
    match control {
        AccessControl::Open => "NONE",
        AccessControl::Iam(_) => "AWS_IAM",
    }
}

fn level_line(outcome: &LevelOutcome) -> String {
    match outcome.statement() {
        Some(statement) => format!("{} ({statement})", outcome.kind()),
        None => outcome.kind().to_owned(),
    }
}

/// The text form.
pub(super) fn text(
    checked: &Checked,
    expected: Option<Expectation>,
    matches: Option<bool>,
) -> String {
    let access = &checked.access;
    let authorization = &checked.authorization;
    let caller = checked
        .principal
        .as_deref()
        .unwrap_or("anonymous (unsigned)");
    let mut out = format!(
        "{} {} -> {} as {caller}\n{authorization}\n  network {}: {}\n  service {}: {}\n",
        verdict(authorization.is_allowed()),
        checked.request_line,
        access.service_name,
        access.network_name,
        level_line(&authorization.network),
        access.service_name,
        level_line(&authorization.service),
    );
    if let (Some(expected), Some(matches)) = (expected, matches) {
        let name = expectation_name(expected);
        if matches {
            out.push_str(&format!("expected {name}: as expected\n"));
        } else {
            out.push_str(&format!(
                "expected {name}, got {}: NOT as expected\n",
                verdict(authorization.is_allowed())
            ));
        }
    }
    out
}

fn level_json(name: &str, control: &AccessControl, outcome: &LevelOutcome) -> Value {
    json!({
        "name": name,
        "authType": auth_type(control),
        "outcome": outcome.kind(),
        "statement": outcome.statement(),
    })
}

/// The JSON form: one object.
pub(super) fn json(
    checked: &Checked,
    expected: Option<Expectation>,
    matches: Option<bool>,
) -> Value {
    let access = &checked.access;
    let authorization = &checked.authorization;
    let decided = authorization.decided_by().map(|(scope, outcome)| {
        json!({
            "policy": scope.as_str(),
            "outcome": outcome.kind(),
            "statement": outcome.statement(),
        })
    });
    json!({
        "decision": verdict(authorization.is_allowed()),
        "service": access.service_name,
        "serviceArn": access.service_arn,
        "request": checked.request_line,
        "principal": checked.principal,
        "decidedBy": decided,
        "reason": authorization.to_string(),
        "network": level_json(&access.network_name, &access.network, &authorization.network),
        "serviceLevel": level_json(&access.service_name, &access.service, &authorization.service),
        "expected": expected.map(expectation_name),
        "asExpected": matches,
    })
}
