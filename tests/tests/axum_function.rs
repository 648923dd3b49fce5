//! The `axum-function` example (an `axum::Router` served by `lattice_lambda::run_concurrent`)
//! as a real process under a Lambda Runtime API, with V1 and V2 events.

use lattice_lambda::testing::EventBuilder;
use lattice_lambda::{Body, EventVersion};
use lattice_tests::{FunctionUnderTest, workspace_binary};
use serde_json::{Value, json};

const PRINCIPAL: &str = "arn:aws:sts::123456789012:assumed-role/eks-app/pod-1";
const VPC: &str = "arn:aws:ec2:us-west-2:123456789012:vpc/vpc-0b8276c84697e7339";
const VERSIONS: [EventVersion; 2] = [EventVersion::V1, EventVersion::V2];

async fn start() -> FunctionUnderTest {
    FunctionUnderTest::start(&workspace_binary("axum-function", "axum-function"), &[]).await
}

async fn invoke(
    function: &FunctionUnderTest,
    event: &EventBuilder,
    version: EventVersion,
) -> http::Response<Body> {
    function
        .invoke(&event.build(version))
        .await
        .expect_lattice_response()
}

fn json_body(response: &http::Response<Body>) -> Value {
    serde_json::from_slice(response.body().as_bytes()).unwrap_or_else(|e| {
        panic!(
            "body is not JSON ({e}): {:?}",
            String::from_utf8_lossy(response.body().as_bytes())
        )
    })
}

#[tokio::test]
async fn path_query_and_optional_caller() {
    let function = start().await;
    for version in VERSIONS {
        let anonymous = EventBuilder::get("/items/42").query("verbose", "true");
        let response = invoke(&function, &anonymous, version).await;
        assert_eq!(response.status(), 200, "{version}");
        assert_eq!(
            json_body(&response),
            json!({"id": 42, "caller": null, "description": "item 42, as stored"}),
            "{version}"
        );

        let signed = EventBuilder::get("/items/7").iam_principal(PRINCIPAL);
        let response = invoke(&function, &signed, version).await;
        assert_eq!(
            json_body(&response),
            json!({"id": 7, "caller": PRINCIPAL}),
            "{version}"
        );
    }
}

#[tokio::test]
async fn json_body_with_a_required_caller() {
    let function = start().await;
    for version in VERSIONS {
        let create = EventBuilder::post("/items")
            .json_body(&json!({"name": "widget", "quantity": 3}))
            .iam_principal(PRINCIPAL)
            .source_vpc(VPC);
        let response = invoke(&function, &create, version).await;
        assert_eq!(response.status(), 201, "{version}");
        assert_eq!(
            json_body(&response),
            json!({
                "name": "widget",
                "quantity": 3,
                "createdBy": PRINCIPAL,
                "createdFromVpc": VPC,
            }),
            "{version}"
        );

        // No principal: the typed rejection, naming what is missing.
        let anonymous =
            EventBuilder::post("/items").json_body(&json!({"name": "widget", "quantity": 3}));
        let response = invoke(&function, &anonymous, version).await;
        assert_eq!(response.status(), 401, "{version}");
        assert_eq!(
            response.headers()["www-authenticate"],
            "AWS4-HMAC-SHA256, AWS4-ECDSA-P256-SHA256"
        );
        let body = json_body(&response);
        assert_eq!(body["code"], "unauthenticated", "{version}");
        assert!(
            body["message"]
                .as_str()
                .is_some_and(|m| m.contains("requires an authenticated caller")),
            "{body}"
        );

        // A body axum's `Json` refuses: its own rejection, and the function carries on.
        let wrong = EventBuilder::post("/items")
            .json_body(&json!({"name": "widget"}))
            .iam_principal(PRINCIPAL);
        let response = invoke(&function, &wrong, version).await;
        assert_eq!(response.status(), 422, "{version}");
    }
}

#[tokio::test]
async fn request_context_and_unknown_routes() {
    let function = start().await;
    for version in VERSIONS {
        let response = invoke(&function, &EventBuilder::get("/context"), version).await;
        assert_eq!(response.status(), 200, "{version}");
        let body = json_body(&response);
        assert!(
            body["targetGroupArn"]
                .as_str()
                .is_some_and(|arn| arn.contains(":targetgroup/")),
            "{version}: {body}"
        );

        let response = invoke(&function, &EventBuilder::get("/nope"), version).await;
        assert_eq!(response.status(), 404, "{version}");
        let response = invoke(&function, &EventBuilder::get("/items/abc"), version).await;
        assert_eq!(response.status(), 400, "{version}");
    }
    let logs = function.logs();
    assert!(
        logs.contains("path=\"/items/abc\" status=400"),
        "one request line each:\n{logs}"
    );
}
