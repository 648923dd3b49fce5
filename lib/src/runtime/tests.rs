use std::convert::Infallible;

use lambda_runtime::Context;
use tower::{ServiceExt as _, service_fn};

use super::*;
use crate::response;
use crate::testing::EventBuilder;

async fn invoke<S, B>(service: S, event: &[u8]) -> Outcome
where
    S: Service<http::Request<Body>, Response = http::Response<B>> + 'static,
    S::Future: 'static,
    S::Error: Display,
    B: http_body::Body + 'static,
    B::Data: bytes::Buf,
    B::Error: Display,
{
    let payload = RawValue::from_string(String::from_utf8(event.to_vec()).unwrap()).unwrap();
    let mut context = Context::default();
    context.request_id = "req-1".into();
    LatticeService::new(service)
        .oneshot(LambdaEvent::new(payload, context))
        .await
}

fn json(outcome: Outcome) -> serde_json::Value {
    serde_json::from_str(outcome.expect("a response").get()).unwrap()
}

#[tokio::test]
async fn serves_a_handler_and_passes_the_lambda_context() {
    let service = service_fn(|request: http::Request<Body>| async move {
        let request_id = crate::RequestExt::lambda_context(&request).map(|c| c.request_id.clone());
        Ok::<_, Infallible>(response::text(
            http::StatusCode::OK,
            format!("{} {}", request.uri(), request_id.unwrap_or_default()),
        ))
    });
    let out = json(invoke(service, &EventBuilder::get("/a").query("x", "1").build_v2()).await);
    assert_eq!(out["statusCode"], 200);
    assert_eq!(out["body"], "/a?x=1 req-1");
}

#[tokio::test]
async fn invalid_event_is_a_typed_function_error() {
    let service = service_fn(|_: http::Request<Body>| async {
        Ok::<_, Infallible>(response::empty(http::StatusCode::OK))
    });
    let error = invoke(service, br#"{"version":"2.0","path":"/","method":"GET"}"#)
        .await
        .unwrap_err();
    assert_eq!(error.error_type, "InvalidLatticeEvent");
    assert!(
        error.error_message.contains("requestContext"),
        "{}",
        error.error_message
    );
}

#[tokio::test]
async fn handler_error_becomes_a_generic_500() {
    let service = service_fn(|_: http::Request<Body>| async {
        Err::<http::Response<Body>, _>("database password is hunter2")
    });
    let out = json(invoke(service, &EventBuilder::get("/").build_v2()).await);
    assert_eq!(out["statusCode"], 500);
    assert_eq!(out["body"], r#"{"message":"Internal Server Error"}"#);
}

#[tokio::test]
async fn panics_become_a_500_whether_in_call_or_in_the_future() {
    let in_future = service_fn(|_: http::Request<Body>| async {
        if true {
            panic!("boom");
        }
        Ok::<_, Infallible>(response::empty(http::StatusCode::OK))
    });
    assert_eq!(
        json(invoke(in_future, &EventBuilder::get("/").build_v2()).await)["statusCode"],
        500
    );

    #[derive(Clone)]
    struct PanicsInCall;
    impl Service<http::Request<Body>> for PanicsInCall {
        type Response = http::Response<Body>;
        type Error = Infallible;
        type Future = std::future::Ready<Result<http::Response<Body>, Infallible>>;
        fn poll_ready(&mut self, _: &mut std::task::Context<'_>) -> Poll<Result<(), Infallible>> {
            Poll::Ready(Ok(()))
        }
        fn call(&mut self, _: http::Request<Body>) -> Self::Future {
            panic!("panic while creating the future")
        }
    }
    assert_eq!(
        json(invoke(PanicsInCall, &EventBuilder::get("/").build_v2()).await)["statusCode"],
        500
    );
}

#[tokio::test]
async fn oversized_response_is_a_named_function_error() {
    let service = service_fn(|_: http::Request<Body>| async {
        Ok::<_, Infallible>(response::text(
            http::StatusCode::OK,
            "x".repeat(MAX_RESPONSE_BYTES + 1),
        ))
    });
    let error = invoke(service, &EventBuilder::get("/").build_v2())
        .await
        .unwrap_err();
    assert_eq!(error.error_type, "ResponseTooLarge");
    assert!(
        error
            .error_message
            .contains(&MAX_RESPONSE_BYTES.to_string())
    );
}

#[tokio::test]
async fn foreign_body_types_are_collected() {
    let service = service_fn(|_: http::Request<Body>| async {
        Ok::<_, Infallible>(http::Response::new(http_body_util::Full::new(
            bytes::Bytes::from_static(b"full body"),
        )))
    });
    assert_eq!(
        json(invoke(service, &EventBuilder::get("/").build_v1()).await)["body"],
        "full body"
    );
}

#[test]
fn raw_event_log_cap_is_a_valid_directive() {
    let directive: Result<tracing_subscriber::filter::Directive, _> = RAW_EVENT_LOG_CAP.parse();
    assert!(directive.is_ok());
}
