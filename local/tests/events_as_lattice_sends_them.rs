//! The events lattice-local hands to functions, compared key by key with events Lattice sent:
//! the real-shaped samples in `events/` and the public samples of `aws_lambda_events`
//! (`src/fixtures/example-vpc-lattice-*.json` in its registry source).
//!
//! Each sample is replayed as the HTTP request it records (method, path, query, headers, body;
//! signed as its caller when it has one) through the running data plane to a function that
//! answers with the raw event it received (`examples/raw-event-target.rs`). The captured event
//! must have the sample's keys and no others, the same JSON type at every key, and the same
//! value formats: ARN shapes, `timeEpoch` in microseconds, header and query value shapes, the
//! headers Lattice adds (`x-forwarded-*`, and in V1 the `x-amzn-lattice-*` headers with their
//! keys in order), `isBase64Encoded` and the body. Values that name the deployment (ids,
//! accounts, regions, times, addresses) differ by nature and are compared by shape only.
//!
//! Normalised, as `lib/tests/event_shapes.rs` does: a missing or `null` `body` is `""`, V1's
//! `is_base64_encoded` written as the string `"false"` is the boolean, a V2 header or query
//! value written as a plain string is a one-element list. A header Lattice documents adding
//! (`x-forwarded-*`, `x-amzn-lattice-network`/`-target`) may appear where a hand-written sample
//! left it out; headers the replaying client writes itself (`host`, `content-length`, its
//! signature) are compared by shape. Not produced locally and so not compared: the caller's
//! X.509 fields (IAM Roles Anywhere is not emulated).

mod common;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use bytes::Bytes;
use common::{REGION, Signer, local_principal, raw_event_target_binary, send};
use http::{HeaderName, HeaderValue, Method, Request, StatusCode};
use http_body_util::Full;
use lattice_local::auth::{CredentialStore, LocalPrincipal};
use lattice_local::dataplane::DataPlaneOptions;
use lattice_local::functions::DiscardLogSink;
use lattice_local::template::{LoadOptions, Topology};
use lattice_local::up::{Stack, StackOptions};
use serde_json::{Map, Value};

/// The VPC unsigned callers come from.
const SOURCE_VPC: &str = "arn:aws:ec2:us-west-2:000000000000:vpc/vpc-0b8276c84697e7339";

/// Headers Lattice documents adding to every request (User Guide, *HTTP targets*). The
/// `aws_lambda_events` samples are written by hand and leave some out; an event may have them.
/// (The identity header is not among them: an unauthenticated caller gets none.)
const LATTICE_ADDS: [&str; 5] = [
    "x-forwarded-for",
    "x-forwarded-port",
    "x-forwarded-proto",
    "x-amzn-lattice-network",
    "x-amzn-lattice-target",
];

/// Headers the replaying client adds that a sample need not have recorded.
const CLIENT_ADDED: [&str; 6] = [
    "host",
    "content-length",
    "authorization",
    "x-amz-date",
    "x-amz-content-sha256",
    "x-amz-security-token",
];

struct Sample {
    name: String,
    event: Value,
}

impl Sample {
    fn v1(&self) -> bool {
        self.event.get("raw_path").is_some()
    }
}

fn samples() -> Vec<Sample> {
    let mut files: Vec<PathBuf> =
        std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../events"))
            .expect("events/")
            .map(|entry| entry.expect("entry").path())
            .filter(|path| path.extension().is_some_and(|e| e == "json"))
            .collect();
    let fixtures = aws_lambda_events_fixtures();
    files.extend(
        std::fs::read_dir(&fixtures)
            .unwrap_or_else(|e| panic!("{}: {e}", fixtures.display()))
            .map(|entry| entry.expect("entry").path())
            .filter(|path| {
                path.file_name().and_then(|n| n.to_str()).is_some_and(|n| {
                    n.starts_with("example-vpc-lattice-v") && n.contains("request")
                })
            }),
    );
    files.sort();
    let samples: Vec<Sample> = files
        .iter()
        .map(|path| Sample {
            name: path.file_name().unwrap().to_string_lossy().into_owned(),
            event: serde_json::from_str(&std::fs::read_to_string(path).expect("read sample"))
                .unwrap_or_else(|e| panic!("{}: {e}", path.display())),
        })
        .collect();
    // 8 of ours, 4 of aws_lambda_events: the comparison below cannot pass by finding none.
    assert!(samples.len() >= 12, "{:?}", files);
    samples
}

/// `src/fixtures` of the `aws_lambda_events` source cargo fetched for this workspace.
fn aws_lambda_events_fixtures() -> PathBuf {
    let cargo_home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(std::env::var_os("HOME").expect("HOME")).join(".cargo"));
    let sources = cargo_home.join("registry/src");
    for registry in std::fs::read_dir(&sources).expect("cargo registry sources") {
        let registry = registry.expect("entry").path();
        for krate in std::fs::read_dir(&registry).expect("registry") {
            let krate = krate.expect("entry").path();
            let name = krate.file_name().unwrap().to_string_lossy().into_owned();
            if name.starts_with("aws_lambda_events-1.") {
                return krate.join("src/fixtures");
            }
        }
    }
    panic!("no aws_lambda_events source under {}", sources.display());
}

/// The caller a sample records, as a local principal that signs the replay.
fn caller(sample: &Sample, index: usize) -> Option<LocalPrincipal> {
    let identity = if sample.v1() {
        let header = sample.event["headers"]["x-amzn-lattice-identity"].as_str()?;
        let pairs: BTreeMap<&str, &str> = header
            .split(';')
            .filter_map(|pair| pair.trim().split_once('='))
            .collect();
        let text = |key: &str| pairs.get(key).map(|v| Value::String((*v).to_owned()));
        let mut identity = Map::new();
        for (from, to) in [
            ("Principal", "principal"),
            ("PrincipalOrgID", "principalOrgID"),
            ("SessionName", "sessionName"),
        ] {
            if let Some(value) = text(from) {
                identity.insert(to.into(), value);
            }
        }
        Value::Object(identity)
    } else {
        sample.event["requestContext"]["identity"].clone()
    };
    let principal = identity["principal"].as_str()?;
    Some(LocalPrincipal {
        principal_org_id: identity["principalOrgID"].as_str().map(str::to_owned),
        session_name: identity["sessionName"].as_str().map(str::to_owned),
        source_vpc_arn: Some(SOURCE_VPC.to_owned()),
        ..local_principal(
            &format!("AKIALOCALSAMPLE{index:05}"),
            &format!("local/sample/secret/{index}"),
            principal,
        )
    })
}

/// The HTTP request a sample records.
fn replay(
    sample: &Sample,
    addr: SocketAddr,
    signer: Option<&LocalPrincipal>,
) -> Request<Full<Bytes>> {
    let event = &sample.event;
    let (path_key, query_key, base64_key) = if sample.v1() {
        ("raw_path", "query_string_parameters", "is_base64_encoded")
    } else {
        ("path", "queryStringParameters", "isBase64Encoded")
    };
    let raw_path = event[path_key].as_str().expect("path");
    let path = raw_path.split('?').next().unwrap_or("/");
    let mut query = url_query(event.get(query_key));
    if query.is_empty() {
        query = raw_path
            .split_once('?')
            .map(|(_, q)| q.to_owned())
            .unwrap_or_default();
    }
    let target = if query.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{query}")
    };
    let method: Method = event["method"]
        .as_str()
        .expect("method")
        .parse()
        .expect("method");
    let mut request = Request::builder()
        .method(method)
        .uri(format!("http://{addr}{target}"))
        .header("host", addr.to_string());
    for (name, values) in event["headers"].as_object().expect("headers") {
        let lattice_sets =
            // Lattice sets these itself (client copies are replaced): not replayed.
            LATTICE_ADDS.contains(&name.as_str()) || name.starts_with("x-amzn-lattice-");
        // The client frames the body itself; a signer writes its own signature headers.
        let client_sets = matches!(name.as_str(), "host" | "content-length")
            || (signer.is_some() && CLIENT_ADDED.contains(&name.as_str()));
        if lattice_sets || client_sets {
            continue;
        }
        for value in strings(values) {
            request = request.header(
                HeaderName::from_bytes(name.as_bytes()).expect("header name"),
                HeaderValue::from_str(&value).expect("header value"),
            );
        }
    }
    let body = match event.get("body").and_then(Value::as_str) {
        None => Bytes::new(),
        Some(text) if is_true(event.get(base64_key)) => {
            Bytes::from(BASE64.decode(text).expect("base64 body"))
        }
        Some(text) => Bytes::from(text.to_owned()),
    };
    let mut request = request.body(Full::new(body)).expect("request");
    if let Some(principal) = signer {
        Signer::lattice(
            &principal.access_key_id,
            &principal.secret_access_key,
            REGION,
        )
        .sign(&mut request);
    }
    request
}

fn is_true(value: Option<&Value>) -> bool {
    matches!(value, Some(Value::Bool(true))) || value.and_then(Value::as_str) == Some("true")
}

/// A string or a list of strings, as a list.
fn strings(value: &Value) -> Vec<String> {
    match value {
        Value::String(text) => vec![text.clone()],
        Value::Array(items) => items
            .iter()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect(),
        _ => Vec::new(),
    }
}

/// A query map as a URL query string (form-encoded).
fn url_query(map: Option<&Value>) -> String {
    let Some(Value::Object(map)) = map else {
        return String::new();
    };
    let encode = |text: &str| {
        percent_encoding::utf8_percent_encode(text, percent_encoding::NON_ALPHANUMERIC).to_string()
    };
    map.iter()
        .flat_map(|(key, values)| strings(values).into_iter().map(move |v| (key.clone(), v)))
        .map(|(key, value)| format!("{}={}", encode(&key), encode(&value)))
        .collect::<Vec<_>>()
        .join("&")
}

/// The sample with the documented differences normalised away (see the module docs).
fn normalised(sample: &Sample) -> Value {
    let mut event = sample.event.clone();
    let object = event.as_object_mut().expect("object");
    if object.get("body").is_none_or(Value::is_null) {
        object.insert("body".into(), Value::String(String::new()));
    }
    if let Some(Value::String(flag)) = object.get("is_base64_encoded") {
        let flag = flag == "true";
        object.insert("is_base64_encoded".into(), Value::Bool(flag));
    }
    if !sample.v1() {
        for key in ["headers", "queryStringParameters"] {
            if let Some(Value::Object(map)) = object.get_mut(key) {
                for value in map.values_mut() {
                    if let Value::String(text) = value {
                        *value = Value::Array(vec![Value::String(std::mem::take(text))]);
                    }
                }
            }
        }
        if let Some(Value::Object(identity)) = object
            .get_mut("requestContext")
            .and_then(|c| c.get_mut("identity"))
        {
            identity.retain(|key, _| !key.to_ascii_lowercase().starts_with("x509"));
        }
    }
    event
}

/// Where the captured event differs from the sample, as `path: what` lines.
struct Comparison {
    problems: Vec<String>,
}

impl Comparison {
    fn problem(&mut self, at: &str, what: String) {
        self.problems.push(format!("{at}: {what}"));
    }

    fn compare(&mut self, expected: &Value, got: &Value, at: &str) {
        match (expected, got) {
            (Value::Object(a), Value::Object(b)) => {
                let headers = at.ends_with(".headers");
                for (key, value) in a {
                    let here = format!("{at}.{key}");
                    match b.get(key) {
                        Some(other) if headers && CLIENT_ADDED.contains(&key.as_str()) => {
                            // The replaying client's own values (its host, its signature).
                            self.compare_shape(value, other, &here);
                        }
                        Some(other) => self.compare(value, other, &here),
                        None if headers && CLIENT_ADDED.contains(&key.as_str()) => {}
                        None => self.problem(&here, "missing".into()),
                    }
                }
                for key in b.keys().filter(|k| !a.contains_key(*k)) {
                    let allowed = headers
                        && (CLIENT_ADDED.contains(&key.as_str())
                            || LATTICE_ADDS.contains(&key.as_str()));
                    if !allowed {
                        self.problem(&format!("{at}.{key}"), format!("added: {}", b[key]));
                    }
                }
            }
            (Value::Array(a), Value::Array(b)) => {
                if a.len() != b.len() {
                    self.problem(at, format!("{} values, expected {}", b.len(), a.len()));
                }
                for (i, (x, y)) in a.iter().zip(b).enumerate() {
                    self.compare(x, y, &format!("{at}[{i}]"));
                }
            }
            (Value::String(a), Value::String(b)) => self.compare_text(a, b, at),
            (a, b) if std::mem::discriminant(a) == std::mem::discriminant(b) => {
                if a != b {
                    self.problem(at, format!("{b} != {a}"));
                }
            }
            (a, b) => self.problem(at, format!("type: {b} where Lattice has {a}")),
        }
    }

    /// The same JSON type, and for lists the same length.
    fn compare_shape(&mut self, expected: &Value, got: &Value, at: &str) {
        let same = match (expected, got) {
            (Value::Array(a), Value::Array(b)) => a.len() == b.len(),
            (a, b) => std::mem::discriminant(a) == std::mem::discriminant(b),
        };
        if !same {
            self.problem(at, format!("{got} is not shaped like Lattice's {expected}"));
        }
    }

    /// Strings that name the deployment are compared by shape; the request's own by value.
    fn compare_text(&mut self, expected: &str, got: &str, at: &str) {
        let key = at
            .rsplit('.')
            .next()
            .unwrap_or(at)
            .split('[')
            .next()
            .unwrap_or(at);
        let ok = match key {
            "serviceArn" => arn_shape(got, "vpc-lattice", "service/svc-"),
            "serviceNetworkArn" => arn_shape(got, "vpc-lattice", "servicenetwork/sn-"),
            "targetGroupArn" => arn_shape(got, "vpc-lattice", "targetgroup/tg-"),
            "sourceVpcArn" => got.starts_with("arn:aws:ec2:") && got.contains(":vpc/vpc-"),
            "principal" | "principalOrgID" | "sessionName" => got == expected,
            // Microseconds since the epoch, as text: as many digits as Lattice's, and now.
            "timeEpoch" => {
                let now = SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .unwrap()
                    .as_micros();
                got.len() == expected.len()
                    && got
                        .parse::<u128>()
                        .is_ok_and(|t| t <= now && now - t < 60_000_000)
            }
            "region" => got == REGION,
            "x-forwarded-for" => got.parse::<std::net::IpAddr>().is_ok(),
            "x-forwarded-port" => got.parse::<u16>().is_ok(),
            "x-forwarded-proto" => got == "https",
            "x-amzn-lattice-identity" | "x-amzn-lattice-network" | "x-amzn-lattice-target" => {
                pair_keys(got) == pair_keys(expected)
            }
            "raw_path" | "path" => got.split('?').next() == expected.split('?').next(),
            _ => got == expected,
        };
        if !ok {
            self.problem(
                at,
                format!("{got:?} is not shaped like Lattice's {expected:?}"),
            );
        }
    }
}

/// `arn:aws:<service>:<region>:<12 digits>:<prefix><17 of 0-9a-z>`.
fn arn_shape(arn: &str, service: &str, prefix: &str) -> bool {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let [_, partition, svc, region, account, resource] = parts.as_slice() else {
        return false;
    };
    let id = resource.strip_prefix(prefix).unwrap_or("");
    *partition == "aws"
        && *svc == service
        && !region.is_empty()
        && region
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && account.len() == 12
        && account.bytes().all(|b| b.is_ascii_digit())
        && id.len() == 17
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
}

/// The keys of a `Key=value; Key=value` header, in order.
fn pair_keys(header: &str) -> Vec<&str> {
    header
        .split(';')
        .filter_map(|pair| pair.trim().split_once('=').map(|(k, _)| k))
        .collect()
}

#[tokio::test]
async fn every_sample_replayed_through_lattice_local_gives_an_event_of_the_same_shape() {
    let samples = samples();
    let callers: Vec<Option<LocalPrincipal>> = samples
        .iter()
        .enumerate()
        .map(|(i, s)| caller(s, i))
        .collect();
    let store = CredentialStore::from_entries(callers.iter().flatten().cloned().collect())
        .expect("credentials");
    let raw = raw_event_target_binary();
    let topology = Topology::from_yaml(
        &common::v1_and_v2_services("raw-event-target", None, "api"),
        &LoadOptions::new(REGION),
    )
    .expect("template");
    let mut data_plane = DataPlaneOptions::new(REGION, Arc::new(store));
    data_plane.source_vpc_arn = Some(SOURCE_VPC.into());
    let mut options = StackOptions::new(data_plane);
    options.log_sink = Arc::new(DiscardLogSink);
    let stack = Stack::start(&topology, options, move |_| raw.clone())
        .await
        .expect("stack");
    let v1 = stack.data_plane.endpoint("api-v1").unwrap().addr;
    let v2 = stack.data_plane.endpoint("api-v2").unwrap().addr;

    let mut report = Vec::new();
    for (sample, caller) in samples.iter().zip(&callers) {
        let addr = if sample.v1() { v1 } else { v2 };
        let reply = send(replay(sample, addr, caller.as_ref())).await;
        assert_eq!(
            reply.status,
            StatusCode::OK,
            "{}: {}",
            sample.name,
            reply.text()
        );
        let captured = reply.json();
        let mut comparison = Comparison {
            problems: Vec::new(),
        };
        comparison.compare(&normalised(sample), &captured, "");
        if !comparison.problems.is_empty() {
            report.push(format!(
                "{}:\n    {}\n  captured: {captured}",
                sample.name,
                comparison.problems.join("\n    ")
            ));
        }
    }
    stack.shutdown().await;
    assert!(
        report.is_empty(),
        "events that differ from Lattice's:\n{}",
        report.join("\n")
    );
}
