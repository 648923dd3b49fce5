//! The real `provider` binary, run as a process under lattice_local's Lambda Runtime API.
//!
//! Every invocation goes the whole way: event JSON -> Runtime API -> `lambda_runtime` ->
//! `lattice-lambda` -> the provider's routes -> Lattice response JSON, decoded here the way
//! Lattice decodes it.

use std::path::{Path, PathBuf};

use lattice_lambda::testing::EventBuilder;
use lattice_lambda::{Body, LatticeRequest};
use lattice_local::functions::InvokeError;
use lattice_tests::{FunctionUnderTest, Invocation, workspace_binary};
use serde_json::{Value, json};

const GREETING: &str = "Hello Foo Lambda!!";
const IAM_ROLE_SESSION: &str =
    "arn:aws:sts::123456789012:assumed-role/eks-app-role/057d00f8b51257ba3c853a0f248943cf";
const ROLES_ANYWHERE_ROLE: &str = "arn:aws:iam::123456789012:role/ExternalPartnerAccessRole";
const SAMPLE_VPC: &str = "arn:aws:ec2:us-west-2:123456789012:vpc/vpc-0b8276c84697e7339";
/// What the provider's shutdown hook logs (functions/provider/src/main.rs).
const SHUTDOWN_MESSAGE: &str = "provider shut down gracefully";

fn provider_binary() -> PathBuf {
    workspace_binary("provider", "provider")
}

async fn start(env: &[(&str, &str)]) -> FunctionUnderTest {
    FunctionUnderTest::start(&provider_binary(), env).await
}

fn events_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../events")
}

/// Every `events/*.json`, sorted by name, so a new sample is covered without editing this.
fn sample_events() -> Vec<(String, Vec<u8>)> {
    let mut events: Vec<(String, Vec<u8>)> = std::fs::read_dir(events_dir())
        .expect("events/ is readable")
        .map(|entry| entry.expect("events/ entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .map(|path| {
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let bytes = std::fs::read(&path).expect("event file is readable");
            (name, bytes)
        })
        .collect();
    events.sort();
    assert!(
        events.len() >= 8,
        "expected the sample events, found {events:?}"
    );
    events
}

/// One sample event as JSON, to adjust before sending.
fn sample(name: &str) -> Value {
    serde_json::from_slice(&sample_bytes(name)).expect("sample event is JSON")
}

/// One sample event as it is on disk.
fn sample_bytes(name: &str) -> Vec<u8> {
    std::fs::read(events_dir().join(name)).expect("sample event exists")
}

fn json_body(response: &http::Response<Body>) -> Value {
    serde_json::from_slice(response.body().as_bytes()).unwrap_or_else(|e| {
        panic!(
            "body is not JSON ({e}): {:?}",
            String::from_utf8_lossy(response.body().as_bytes())
        )
    })
}

fn header<'a>(response: &'a http::Response<Body>, name: &str) -> &'a str {
    response
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_else(|| panic!("no {name} header in {:?}", response.headers()))
}

async fn invoke_http(function: &FunctionUnderTest, event: &Value) -> http::Response<Body> {
    function.invoke_json(event).await.expect_lattice_response()
}

/// The provider's answer to `GET /` must be intact (after bad input, for example).
async fn assert_still_greets(function: &FunctionUnderTest) {
    let response = function
        .invoke_json(&sample("v2-get.json"))
        .await
        .expect_lattice_response();
    assert_eq!(response.status(), 200);
    assert_eq!(response.body().as_str(), Some(GREETING));
}

#[tokio::test]
async fn every_sample_event_gets_its_routes_answer() {
    let function = start(&[]).await;
    for (name, bytes) in sample_events() {
        let request = LatticeRequest::from_slice(&bytes)
            .unwrap_or_else(|e| panic!("{name} is not a Lattice event: {e}"));
        let invocation = function.invoke(&bytes).await;
        let raw = match &invocation {
            Invocation::Response(raw) => serde_json::from_slice::<Value>(raw).expect("JSON"),
            other => panic!("{name}: expected a response, got {other:?}"),
        };
        assert_eq!(raw["statusDescription"], "200 OK", "{name}: {raw}");
        let response = invocation.expect_lattice_response();
        assert_eq!(response.status(), 200, "{name}");
        match request.path.as_str() {
            "/" => {
                assert_eq!(response.body().as_str(), Some(GREETING), "{name}");
                assert!(header(&response, "content-type").starts_with("text/plain"));
            }
            "/whoami" => {
                let whoami = json_body(&response);
                assert_eq!(
                    whoami["eventVersion"],
                    request.version.to_string(),
                    "{name}"
                );
                assert_eq!(whoami["sourceVpcArn"], SAMPLE_VPC, "{name}");
            }
            "/echo" => {
                let echo = json_body(&response);
                assert_eq!(echo["method"], request.method.as_str(), "{name}");
                assert_eq!(echo["path"], "/echo", "{name}");
                let sent = request.body.as_str().unwrap_or_default();
                assert_eq!(echo["body"], sent, "{name}");
            }
            "/echo/body" => {
                assert_eq!(
                    response.body().as_bytes(),
                    request.body.as_bytes(),
                    "{name}"
                );
            }
            other => panic!("{name}: no expectation for path {other}; add one here"),
        }
    }
}

#[tokio::test]
async fn root_greets_in_plain_text_for_both_event_versions() {
    let function = start(&[]).await;
    for name in ["v2-get.json", "v1-get.json"] {
        let raw = function.invoke_json(&sample(name)).await.expect_response();
        assert_eq!(raw["statusCode"], 200, "{name}");
        assert_eq!(
            raw["headers"]["content-type"], "text/plain; charset=utf-8",
            "{name}"
        );
        assert_eq!(raw["isBase64Encoded"], false, "{name}");
        assert_eq!(raw["body"], GREETING, "{name}");
    }
}

#[tokio::test]
async fn greeting_can_be_overridden() {
    let function = start(&[("GREETING", "Howdy from Rust")]).await;
    let response = invoke_http(&function, &sample("v2-get.json")).await;
    assert_eq!(response.body().as_str(), Some("Howdy from Rust"));
}

#[tokio::test]
async fn health_is_json_ok() {
    let function = start(&[]).await;
    let event = EventBuilder::get("/health").build_v2();
    let response = function.invoke(&event).await.expect_lattice_response();
    assert_eq!(response.status(), 200);
    assert_eq!(header(&response, "content-type"), "application/json");
    assert_eq!(json_body(&response), json!({"status": "ok"}));
}

#[tokio::test]
async fn whoami_reports_exactly_what_lattice_gave() {
    let function = start(&[]).await;
    let service = "arn:aws:vpc-lattice:us-west-2:123456789012:service/svc-0a40eebed65f8d69c";
    let network = "arn:aws:vpc-lattice:us-west-2:123456789012:servicenetwork/sn-0bf3f2882e9cc805a";
    let target_group = "arn:aws:vpc-lattice:us-west-2:123456789012:targetgroup/tg-6d0ecf831eec9f09";

    // Unauthenticated V2 caller: a source VPC and nothing else about the caller.
    let mut anonymous = sample("v2-get.json");
    anonymous["path"] = json!("/whoami");
    let whoami = json_body(&invoke_http(&function, &anonymous).await);
    assert_eq!(
        whoami,
        json!({
            "eventVersion": "V2", "authType": "NONE", "principal": null,
            "principalOrgID": null, "sessionName": null, "sourceVpcArn": SAMPLE_VPC,
            "x509": null, "serviceNetworkArn": network, "serviceArn": service,
            "targetGroupArn": target_group, "region": "us-west-2",
            "requestTime": "2023-07-27T22:39:59.177430Z"
        })
    );

    // SigV4-signed caller.
    let whoami = json_body(&invoke_http(&function, &sample("v2-iam-identity.json")).await);
    assert_eq!(whoami["authType"], "AWS_IAM");
    assert_eq!(whoami["principal"], IAM_ROLE_SESSION);
    assert_eq!(whoami["principalOrgID"], "o-50dc6c495c0c9188");
    assert_eq!(whoami["sessionName"], "057d00f8b51257ba3c853a0f248943cf");
    assert_eq!(whoami["x509"], Value::Null);
    assert_eq!(whoami["requestTime"], "2023-07-27T22:39:59.477430Z");

    // IAM Roles Anywhere: the X.509 facts.
    let whoami = json_body(&invoke_http(&function, &sample("v2-roles-anywhere.json")).await);
    assert_eq!(whoami["principal"], ROLES_ANYWHERE_ROLE);
    assert_eq!(
        whoami["x509"],
        json!({
            "issuerOu": "Engineering Department",
            "sanDns": "partner-system.external-company.com",
            "sanNameCn": "Data Sync Service",
            "sanUri": "https://partner-system.external-company.com/sync",
            "subjectCn": "external-partner-data-sync.external-company.com"
        })
    );

    // V1: only what Lattice's headers carry; no region, no time. Lattice sends no identity
    // header for a caller that did not authenticate (User Guide, *HTTP targets*), so its absence
    // beside the network and target headers reads as auth type NONE.
    let mut v1 = sample("v1-get.json");
    v1["raw_path"] = json!("/whoami");
    let whoami = json_body(&invoke_http(&function, &v1).await);
    assert_eq!(
        whoami,
        json!({
            "eventVersion": "V1", "authType": "NONE", "principal": null,
            "principalOrgID": null, "sessionName": null, "sourceVpcArn": SAMPLE_VPC,
            "x509": null, "serviceNetworkArn": network, "serviceArn": service,
            "targetGroupArn": target_group, "region": null, "requestTime": null
        })
    );

    // V1 with an IAM identity header.
    let mut v1_iam = sample("v1-post-iam.json");
    v1_iam["raw_path"] = json!("/whoami");
    v1_iam["method"] = json!("GET");
    let whoami = json_body(&invoke_http(&function, &v1_iam).await);
    assert_eq!(whoami["authType"], "AWS_IAM");
    assert_eq!(whoami["principal"], IAM_ROLE_SESSION);
    assert_eq!(whoami["principalOrgID"], "o-50dc6c495c0c9188");
}

#[tokio::test]
async fn echo_keeps_every_value_and_redacts_credentials() {
    let function = start(&[]).await;
    let echo = json_body(&invoke_http(&function, &sample("v2-multi-value.json")).await);
    assert_eq!(echo["method"], "GET");
    assert_eq!(
        echo["query"],
        json!({"tag": ["red", "green", "blue"], "q": ["a b&c=d"], "single": ["plain-string"]})
    );
    assert_eq!(echo["headers"]["x-custom"], json!(["one", "two", "three"]));
    assert_eq!(
        echo["headers"]["accept"],
        json!(["text/html", "application/json;q=0.9"])
    );
    assert_eq!(echo["headers"]["cookie"], json!(["<redacted>"]));
    assert_eq!(echo["body"], "");
    assert_eq!(echo["isBase64Encoded"], false);

    let mut signed = sample("v2-iam-identity.json");
    signed["path"] = json!("/echo");
    let response = invoke_http(&function, &signed).await;
    let text = response.body().as_str().expect("UTF-8 JSON").to_owned();
    let echo = json_body(&response);
    assert_eq!(echo["headers"]["authorization"], json!(["<redacted>"]));
    assert_eq!(
        echo["headers"]["x-amz-security-token"],
        json!(["<redacted>"])
    );
    assert_eq!(echo["headers"]["x-amz-date"], json!(["20260101T000000Z"]));
    assert!(!text.contains("AKIDEXAMPLE"), "{text}");
    assert!(!text.contains("FQoGZXIvYXdzEXAMPLETOKEN"), "{text}");

    // V1: the query arrives in raw_path and in the map; it is reported once.
    let echo = json_body(&invoke_http(&function, &sample("v1-post-iam.json")).await);
    assert_eq!(echo["query"], json!({"source": ["v1"]}));
    assert_eq!(echo["body"], r#"{"orderId":"order-789"}"#);
}

#[tokio::test]
async fn echo_body_returns_the_png_byte_for_byte() {
    let function = start(&[]).await;
    let event = sample("v2-post-binary.json");
    let sent = LatticeRequest::from_slice(event.to_string().as_bytes())
        .expect("sample decodes")
        .body;
    assert!(sent.as_bytes().starts_with(b"\x89PNG\r\n\x1a\n"));

    let raw = function.invoke_json(&event).await.expect_response();
    assert_eq!(raw["isBase64Encoded"], true);
    assert_eq!(raw["headers"]["content-type"], "image/png");
    assert_eq!(raw["body"], event["body"], "the same base64 back");
    let response = invoke_http(&function, &event).await;
    assert_eq!(response.body().as_bytes(), sent.as_bytes());

    // /echo describes the same body as base64.
    let mut described = event.clone();
    described["path"] = json!("/echo");
    let echo = json_body(&invoke_http(&function, &described).await);
    assert_eq!(echo["isBase64Encoded"], true);
    assert_eq!(echo["body"], event["body"]);
}

#[tokio::test]
async fn unknown_paths_are_404_and_wrong_methods_405() {
    let function = start(&[]).await;
    let response = function
        .invoke(&EventBuilder::get("/nope").build_v2())
        .await
        .expect_lattice_response();
    assert_eq!(response.status(), 404);
    assert_eq!(json_body(&response), json!({"message": "Not Found"}));

    for path in ["/", "/health", "/whoami"] {
        let response = function
            .invoke(&EventBuilder::post(path).build_v2())
            .await
            .expect_lattice_response();
        assert_eq!(response.status(), 405, "{path}");
        assert_eq!(header(&response, "allow"), "GET, HEAD", "{path}");
        assert_eq!(
            json_body(&response),
            json!({"message": "Method Not Allowed"})
        );
    }
    // HEAD is GET without the body.
    let head = EventBuilder::new(http::Method::HEAD, "/").build_v2();
    let response = function.invoke(&head).await.expect_lattice_response();
    assert_eq!(response.status(), 200);
    assert!(header(&response, "content-type").starts_with("text/plain"));
    assert!(response.body().is_empty());
    // /echo takes any method.
    let delete = EventBuilder::new(http::Method::DELETE, "/echo").build_v1();
    let response = function.invoke(&delete).await.expect_lattice_response();
    assert_eq!(response.status(), 200);
    assert_eq!(json_body(&response)["method"], "DELETE");
}

#[tokio::test]
async fn allowed_principals_exact_and_prefix() {
    // Prefix: every session of the EKS app role.
    let function = start(&[(
        "ALLOWED_PRINCIPALS",
        "arn:aws:sts::123456789012:assumed-role/eks-app-role/*",
    )])
    .await;
    let allowed = invoke_http(&function, &sample("v2-iam-identity.json")).await;
    assert_eq!(allowed.status(), 200);
    let other_principal = invoke_http(&function, &sample("v2-roles-anywhere.json")).await;
    assert_eq!(other_principal.status(), 403);
    assert_eq!(
        json_body(&other_principal),
        json!({
            "message": "Forbidden",
            "reason": "the caller's principal is not in the allow-list",
            "code": "principal_not_allowed",
        })
    );
    // The issue's trap: a role whose name only starts with the allowed role's name.
    let lookalike = EventBuilder::get("/")
        .iam_principal("arn:aws:sts::123456789012:assumed-role/eks-app-role-admin/s")
        .build_v2();
    assert_eq!(
        function
            .invoke(&lookalike)
            .await
            .expect_lattice_response()
            .status(),
        403
    );
    let anonymous = invoke_http(&function, &sample("v2-get.json")).await;
    assert_eq!(anonymous.status(), 403);
    assert_eq!(json_body(&anonymous)["code"], "no_principal");
    let unknown_path = function
        .invoke(&EventBuilder::get("/nope").build_v2())
        .await
        .expect_lattice_response();
    assert_eq!(unknown_path.status(), 403, "denied before routing");
    let health = function
        .invoke(&EventBuilder::get("/health").build_v2())
        .await
        .expect_lattice_response();
    assert_eq!(health.status(), 200, "/health stays open");
    let v1_allowed = invoke_http(&function, &sample("v1-post-iam.json")).await;
    assert_eq!(v1_allowed.status(), 200, "V1 identity header counts too");
    let logs = function.logs();
    assert!(logs.contains("access denied"), "{logs}");
    assert!(logs.contains("reason=\"principal_not_allowed\""), "{logs}");
    drop(function);

    // Exact: only that role; a longer ARN with the same start is not it.
    let function = start(&[("ALLOWED_PRINCIPALS", ROLES_ANYWHERE_ROLE)]).await;
    assert_eq!(
        invoke_http(&function, &sample("v2-roles-anywhere.json"))
            .await
            .status(),
        200
    );
    assert_eq!(
        invoke_http(&function, &sample("v2-iam-identity.json"))
            .await
            .status(),
        403
    );
    let longer = EventBuilder::get("/")
        .iam_principal(&format!("{ROLES_ANYWHERE_ROLE}2"))
        .build_v2();
    assert_eq!(
        function
            .invoke(&longer)
            .await
            .expect_lattice_response()
            .status(),
        403
    );
}

#[tokio::test]
async fn allowed_source_vpcs_exact_and_prefix() {
    let function = start(&[("ALLOWED_SOURCE_VPCS", SAMPLE_VPC)]).await;
    assert_eq!(
        invoke_http(&function, &sample("v2-get.json"))
            .await
            .status(),
        200
    );
    let other_vpc = EventBuilder::get("/")
        .source_vpc("arn:aws:ec2:us-west-2:123456789012:vpc/vpc-0aaaaaaaaaaaaaaaa")
        .build_v2();
    assert_eq!(
        function
            .invoke(&other_vpc)
            .await
            .expect_lattice_response()
            .status(),
        403
    );
    drop(function);

    let function = start(&[
        (
            "ALLOWED_SOURCE_VPCS",
            "arn:aws:ec2:us-west-2:123456789012:vpc/*",
        ),
        ("ALLOWED_PRINCIPALS", "arn:aws:iam::123456789012:*"),
    ])
    .await;
    let same_account = EventBuilder::get("/")
        .iam_principal("arn:aws:iam::123456789012:role/any")
        .source_vpc("arn:aws:ec2:us-west-2:123456789012:vpc/vpc-0aaaaaaaaaaaaaaaa")
        .build_v2();
    assert_eq!(
        function
            .invoke(&same_account)
            .await
            .expect_lattice_response()
            .status(),
        200
    );
    let other_region = EventBuilder::get("/")
        .iam_principal("arn:aws:iam::123456789012:role/any")
        .source_vpc("arn:aws:ec2:eu-west-1:123456789012:vpc/vpc-0aaaaaaaaaaaaaaaa")
        .build_v2();
    assert_eq!(
        function
            .invoke(&other_region)
            .await
            .expect_lattice_response()
            .status(),
        403
    );
    // The account prefix matches any IAM principal of the account, but there must be one.
    assert_eq!(
        invoke_http(&function, &sample("v2-get.json"))
            .await
            .status(),
        403
    );
    let logs = function.logs();
    assert!(logs.contains("reason=\"source_vpc_not_allowed\""), "{logs}");
}

/// Patterns that would allow more than written are refused before the function serves.
#[tokio::test]
async fn over_broad_allow_list_patterns_fail_init() {
    for (value, expected) in [
        ("*", "entry 1 is a bare `*`"),
        ("arn:aws:iam::1234*", "ends in `*` right after '4'"),
        (
            "arn:aws:iam::123456789012:role/app,arn:aws:sts::123456789012:assumed-role/eks-app*",
            "entry 2",
        ),
        ("arn:aws:iam::*", "before the account id"),
    ] {
        let (message, _) = config_failure(&[("ALLOWED_PRINCIPALS", value)]).await;
        assert!(
            message.starts_with("ALLOWED_PRINCIPALS is malformed: ") && message.contains(expected),
            "{value}: {message}"
        );
    }
}

#[tokio::test]
async fn malformed_allow_list_fails_init_with_a_named_error() {
    let (message, logs) = config_failure(&[(
        "ALLOWED_SOURCE_VPCS",
        "arn:aws:ec2:us-west-2:123456789012:vpc/*,,x",
    )])
    .await;
    assert_eq!(
        message,
        "ALLOWED_SOURCE_VPCS is malformed: entry 2 is empty"
    );
    assert!(logs.contains("invalid configuration"), "{logs}");
    assert!(!logs.contains("panicked"), "{logs}");
}

/// Starts the provider with `env`, which must fail its init as `InvalidConfiguration`;
/// returns the error message and the function's output.
async fn config_failure(env: &[(&str, &str)]) -> (String, String) {
    let config = FunctionUnderTest::config(&provider_binary(), env);
    let failure = FunctionUnderTest::try_start_with(config)
        .await
        .expect_err("a refused configuration must not start");
    match failure.error {
        InvokeError::Init(error) => {
            assert_eq!(error.error_type, "InvalidConfiguration", "{env:?}");
            (error.error_message, failure.logs)
        }
        other => panic!("{env:?}: expected an init error, got {other}"),
    }
}

#[tokio::test]
async fn bad_input_ends_one_invocation_and_the_next_succeeds() {
    let function = start(&[]).await;
    let pid = function.pool().instances()[0].pid;

    let mut without_context = sample("v2-get.json");
    without_context
        .as_object_mut()
        .expect("object")
        .remove("requestContext");
    let mut bad_base64 = sample("v2-post-binary.json");
    bad_base64["body"] = json!("this is *not* base64!");

    let cases: [(&str, Vec<u8>, &str); 5] = [
        ("{}", b"{}".to_vec(), "not a VPC Lattice event"),
        ("[]", b"[]".to_vec(), "must be a JSON object"),
        ("\"text\"", br#""text""#.to_vec(), "must be a JSON object"),
        (
            "V2 without requestContext",
            without_context.to_string().into_bytes(),
            "missing `requestContext`",
        ),
        (
            "invalid base64",
            bad_base64.to_string().into_bytes(),
            "not valid base64",
        ),
    ];
    for (what, payload, message) in cases {
        let (error_type, error_message) = function.invoke(&payload).await.expect_function_error();
        assert_eq!(error_type, "InvalidLatticeEvent", "{what}");
        assert!(error_message.contains(message), "{what}: {error_message}");
        assert_still_greets(&function).await;
    }

    // Not JSON at all: lambda_runtime rejects it before the library sees it (Lambda's
    // Invoke API already refuses such payloads, so this cannot arrive in production).
    let (error_type, error_message) = function
        .invoke(b"{\"version\":")
        .await
        .expect_function_error();
    assert!(error_type.contains("DeserializeError"), "{error_type}");
    assert!(
        error_message.contains("EOF while parsing"),
        "{error_message}"
    );
    assert_still_greets(&function).await;

    // A 6 MiB binary body: echoing it back would exceed what Lambda and Lattice accept.
    let big = vec![0xA5_u8; 6 * 1024 * 1024];
    let event = EventBuilder::post("/echo/body")
        .body("application/octet-stream", big)
        .build_v2();
    let (error_type, error_message) = function.invoke(&event).await.expect_function_error();
    assert_eq!(error_type, "ResponseTooLarge");
    assert!(error_message.contains("at most 6291456"), "{error_message}");
    assert_still_greets(&function).await;

    // The same process served all of it: nothing crashed and restarted.
    let instances = function.pool().instances();
    assert_eq!(instances.len(), 1);
    assert_eq!(instances[0].pid, pid);
}

#[tokio::test]
async fn sigterm_runs_the_shutdown_hook() {
    let function = start(&[]).await;
    assert_still_greets(&function).await;
    let pool = function.pool().clone();
    let exits = function.shutdown().await;
    assert_eq!(exits.len(), 1);
    assert!(!exits[0].forced, "exited within the grace period");
    assert_eq!(exits[0].status.and_then(|s| s.code()), Some(0));
    let logs = pool.logs();
    assert!(logs.contains("SIGTERM received"), "{logs}");
    assert!(logs.contains(SHUTDOWN_MESSAGE), "{logs}");
}

#[tokio::test]
async fn credentials_never_reach_the_logs() {
    // TRACE, the most verbose level: lambda_runtime logs every raw event there, headers
    // included, unless lattice_lambda::init_tracing caps that target (it does).
    let function = start(&[("AWS_LAMBDA_LOG_LEVEL", "TRACE")]).await;
    let mut signed_echo = sample("v2-iam-identity.json");
    signed_echo["path"] = json!("/echo");
    let with_cookie = EventBuilder::get("/whoami")
        .header("cookie", "session=s3cr3t-cookie-value")
        .header("authorization", "Bearer s3cr3t-bearer-token")
        .build_v1();
    function
        .invoke_json(&sample("v2-iam-identity.json"))
        .await
        .expect_response();
    function.invoke_json(&signed_echo).await.expect_response();
    function
        .invoke_json(&sample("v2-multi-value.json"))
        .await
        .expect_response();
    function.invoke(&with_cookie).await.expect_response();

    let logs = function.logs();
    assert!(logs.contains("/echo"), "the requests were logged: {logs}");
    for secret in [
        "AKIDEXAMPLE",
        "Signature=0000",
        "FQoGZXIvYXdzEXAMPLETOKEN",
        "session=abc123",
        "s3cr3t-cookie-value",
        "s3cr3t-bearer-token",
    ] {
        assert!(
            !logs.contains(secret),
            "{secret} leaked into the logs:\n{logs}"
        );
    }
}

#[tokio::test]
async fn json_logs_when_asked() {
    let function = start(&[("AWS_LAMBDA_LOG_FORMAT", "JSON")]).await;
    function
        .invoke_json(&sample("v2-iam-identity.json"))
        .await
        .expect_response();
    let logs = function.logs();
    let request_lines: Vec<Value> = logs
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|line| line["fields"]["message"] == "request")
        .collect();
    assert_eq!(request_lines.len(), 1, "{logs}");
    let fields = &request_lines[0]["fields"];
    assert_eq!(fields["method"], "GET");
    assert_eq!(fields["path"], "/whoami");
    assert_eq!(fields["status"], 200);
    assert!(fields["latency_us"].is_u64(), "{fields}");
    assert!(
        fields["request_id"]
            .as_str()
            .is_some_and(|id| !id.is_empty()),
        "{fields}"
    );
    assert_eq!(request_lines[0]["level"], "INFO");
    // The startup line is JSON too.
    assert!(
        logs.lines()
            .filter_map(|line| serde_json::from_str::<Value>(line).ok())
            .any(|line| line["fields"]["message"] == "provider configured"),
        "{logs}"
    );
}

/// `cargo lambda watch` and Lambda Managed Instances set `AWS_LAMBDA_MAX_CONCURRENCY`: the
/// provider serves with `run_concurrent`, so it takes invocations from several workers at
/// once instead of warning that the setting is ignored.
#[tokio::test]
async fn max_concurrency_is_honoured_not_ignored() {
    use std::sync::Arc;

    let instance = Arc::new(
        lattice_tests::SharedInstance::start(
            &provider_binary(),
            &[("AWS_LAMBDA_MAX_CONCURRENCY", "8")],
        )
        .await,
    );
    let tasks: Vec<_> = (0..16)
        .map(|i| {
            let instance = Arc::clone(&instance);
            let event = if i % 2 == 0 {
                sample_bytes("v2-get.json")
            } else {
                sample_bytes("v1-get.json")
            };
            tokio::spawn(async move {
                instance
                    .invoke(&event, std::time::Duration::from_secs(60))
                    .await
            })
        })
        .collect();
    for task in tasks {
        let response = task.await.expect("invoke task").expect_lattice_response();
        assert_eq!(response.status(), 200);
        assert_eq!(response.body().as_str(), Some(GREETING));
    }
    let logs = instance.logs();
    assert!(!logs.contains("running sequentially"), "{logs}");
    assert_eq!(logs.matches(" request ").count(), 16, "{logs}");
}
