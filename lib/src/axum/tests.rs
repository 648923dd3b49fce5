//! The extractors inside a real `axum::Router`, fed by the library's request conversion.

use axum::Router;
use axum::routing::get;
use http_body_util::BodyExt as _;
use tower::ServiceExt as _;

use super::*;
use crate::testing::EventBuilder;

const PRINCIPAL: &str = "arn:aws:sts::123456789012:assumed-role/eks-app/pod-1";

fn app() -> Router {
    Router::new()
        .route(
            "/required",
            get(|caller: Caller| async move { caller.principal().to_owned() }),
        )
        .route(
            "/optional",
            get(|caller: Option<Caller>| async move {
                caller.map_or("anonymous".to_owned(), |c| c.principal().to_owned())
            }),
        )
        .route(
            "/context",
            get(|LatticeContext(context): LatticeContext| async move {
                context.target_group_arn().unwrap_or_default().to_owned()
            }),
        )
        .route(
            "/maybe-context",
            get(|context: Option<LatticeContext>| async move { context.is_some().to_string() }),
        )
}

async fn call(request: http::Request<crate::Body>) -> (StatusCode, http::HeaderMap, String) {
    let response = app().oneshot(request).await.expect("infallible");
    let (parts, body) = response.into_parts();
    let body = body.collect().await.expect("body").to_bytes();
    (
        parts.status,
        parts.headers,
        String::from_utf8(body.to_vec()).expect("utf-8"),
    )
}

#[tokio::test]
async fn an_authenticated_caller_is_extracted_from_v1_and_v2_events() {
    for event in [
        EventBuilder::get("/required")
            .iam_principal(PRINCIPAL)
            .build_v1(),
        EventBuilder::get("/required")
            .iam_principal(PRINCIPAL)
            .build_v2(),
    ] {
        let request = crate::LatticeRequest::from_slice(&event)
            .and_then(crate::LatticeRequest::into_http)
            .expect("valid event");
        let (status, _, body) = call(request).await;
        assert_eq!((status, body.as_str()), (StatusCode::OK, PRINCIPAL));
    }
}

#[tokio::test]
async fn an_anonymous_caller_gets_a_401_that_names_what_is_missing() {
    let (status, headers, body) = call(EventBuilder::get("/required").build_http()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(headers[http::header::WWW_AUTHENTICATE], SIGV4_CHALLENGE);
    assert_eq!(headers[http::header::CONTENT_TYPE], "application/json");
    let body: serde_json::Value = serde_json::from_str(&body).expect("json");
    assert_eq!(body["code"], "unauthenticated");
    assert!(
        body["message"]
            .as_str()
            .is_some_and(|m| m.contains("authenticated caller")),
        "{body}"
    );
}

#[tokio::test]
async fn option_caller_serves_anonymous_and_authenticated_callers() {
    let (_, _, body) = call(EventBuilder::get("/optional").build_http()).await;
    assert_eq!(body, "anonymous");
    let request = EventBuilder::get("/optional")
        .iam_principal(PRINCIPAL)
        .build_http();
    assert_eq!(call(request).await.2, PRINCIPAL);
}

#[tokio::test]
async fn the_context_is_extracted_and_its_absence_is_a_500() {
    let (status, _, body) = call(EventBuilder::get("/context").build_http()).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains(":targetgroup/"), "{body}");

    // A request that did not come from Lattice.
    let bare = || {
        http::Request::get("/context")
            .body(crate::Body::empty())
            .expect("request")
    };
    let (status, _, body) = call(bare()).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(body.contains("missing_lattice_context"), "{body}");
    let mut maybe = bare();
    *maybe.uri_mut() = "/maybe-context".parse().expect("uri");
    assert_eq!(call(maybe).await.2, "false");
    let (status, _, _) = call(
        http::Request::get("/required")
            .body(crate::Body::empty())
            .expect("request"),
    )
    .await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
}
