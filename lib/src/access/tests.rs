//! The layer in front of a service, and in front of the runtime adapter.

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use http_body_util::BodyExt as _;
use tower::{Layer as _, ServiceExt as _, service_fn};

use super::*;
use crate::testing::EventBuilder;
use crate::{Body, response};

const ALLOWED: &str = "arn:aws:sts::123456789012:assumed-role/eks-app/pod-1";
const LOOKALIKE: &str = "arn:aws:sts::123456789012:assumed-role/eks-app-admin/pod-1";

fn layer() -> AccessLayer {
    let policy = AccessPolicy::default().with_principals(
        AllowList::parse("arn:aws:sts::123456789012:assumed-role/eks-app/*").expect("valid"),
    );
    AccessLayer::new(policy).open_path("/health")
}

/// Calls the layered service once; returns the status, the body and how often the inner
/// service ran.
async fn call(request: http::Request<Body>) -> (http::StatusCode, String, usize) {
    let calls = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&calls);
    let inner = service_fn(move |_: http::Request<Body>| {
        counted.fetch_add(1, Ordering::SeqCst);
        async { Ok::<_, Infallible>(response::text(http::StatusCode::OK, "inner")) }
    });
    let response = layer()
        .layer(inner)
        .oneshot(request)
        .await
        .expect("infallible");
    let status = response.status();
    let body = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    let body = String::from_utf8(body.to_vec()).expect("utf-8");
    (status, body, calls.load(Ordering::SeqCst))
}

#[tokio::test]
async fn an_allowed_caller_reaches_the_service() {
    let request = EventBuilder::get("/").iam_principal(ALLOWED).build_http();
    assert_eq!(
        call(request).await,
        (http::StatusCode::OK, "inner".into(), 1)
    );
}

#[tokio::test]
async fn a_lookalike_role_is_refused_with_a_body_that_names_why() {
    let request = EventBuilder::get("/").iam_principal(LOOKALIKE).build_http();
    let (status, body, calls) = call(request).await;
    assert_eq!(status, http::StatusCode::FORBIDDEN);
    assert_eq!(calls, 0, "the service must not see a refused request");
    let body: serde_json::Value = serde_json::from_str(&body).expect("json");
    assert_eq!(body["message"], "Forbidden");
    assert_eq!(body["code"], "principal_not_allowed");
    assert_eq!(
        body["reason"],
        "the caller's principal is not in the allow-list"
    );
}

#[tokio::test]
async fn an_anonymous_caller_is_refused_everywhere_but_open_paths() {
    let (status, body, _) = call(EventBuilder::get("/whoami").build_http()).await;
    assert_eq!(status, http::StatusCode::FORBIDDEN);
    assert!(body.contains("no_principal"), "{body}");
    assert_eq!(
        call(EventBuilder::get("/health").build_http()).await,
        (http::StatusCode::OK, "inner".into(), 1)
    );
    // Open paths are exact.
    for path in ["/health/", "/Health", "/health/x"] {
        let (status, _, calls) = call(EventBuilder::get(path).build_http()).await;
        assert_eq!((status, calls), (http::StatusCode::FORBIDDEN, 0), "{path}");
    }
}

/// In front of the runtime adapter, as `provider` uses it: the `Either` body is served.
#[tokio::test]
async fn the_layer_serves_through_the_runtime_adapter() {
    use lambda_runtime::{Context, LambdaEvent};
    use serde_json::value::RawValue;

    let service =
        crate::LatticeService::new(layer().layer(service_fn(|_: http::Request<Body>| async {
            Ok::<_, Infallible>(response::text(http::StatusCode::OK, "inner"))
        })));
    let event = EventBuilder::get("/").iam_principal(LOOKALIKE).build_v1();
    let payload = RawValue::from_string(String::from_utf8(event).expect("utf-8")).expect("json");
    let out = service
        .oneshot(LambdaEvent::new(payload, Context::default()))
        .await
        .expect("a response");
    let out: serde_json::Value = serde_json::from_str(out.get()).expect("json");
    assert_eq!(out["statusCode"], 403);
    assert!(
        out["body"]
            .as_str()
            .is_some_and(|b| b.contains("principal_not_allowed"))
    );
}
