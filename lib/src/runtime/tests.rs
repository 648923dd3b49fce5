use std::convert::Infallible;
use std::fmt::Display;
use std::task::Poll;

use lambda_runtime::{Context, LambdaEvent};
use serde_json::value::RawValue;
use tower::{Service, ServiceExt as _, service_fn};

use super::outcome::Outcome;
use super::*;
use crate::response::{self, MAX_RESPONSE_BYTES};
use crate::testing::EventBuilder;

async fn invoke<S, B>(service: S, event: &[u8]) -> Outcome
where
    S: Service<http::Request<Body>, Response = http::Response<B>>,
    S::Error: Display,
    B: http_body::Body,
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

#[tokio::test]
async fn panic_while_streaming_the_body_is_a_500() {
    struct PanickingBody;
    impl http_body::Body for PanickingBody {
        type Data = bytes::Bytes;
        type Error = Infallible;
        fn poll_frame(
            self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
        ) -> Poll<Option<Result<http_body::Frame<bytes::Bytes>, Infallible>>> {
            panic!("body exploded")
        }
    }
    let service = service_fn(|_: http::Request<Body>| async {
        Ok::<_, Infallible>(http::Response::new(PanickingBody))
    });
    let out = json(invoke(service, &EventBuilder::get("/").build_v2()).await);
    assert_eq!(out["statusCode"], 500);
}

#[tokio::test]
async fn body_errors_are_a_500() {
    struct FailingBody;
    impl http_body::Body for FailingBody {
        type Data = bytes::Bytes;
        type Error = &'static str;
        fn poll_frame(
            self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
        ) -> Poll<Option<Result<http_body::Frame<bytes::Bytes>, &'static str>>> {
            Poll::Ready(Some(Err("connection reset")))
        }
    }
    let service = service_fn(|_: http::Request<Body>| async {
        Ok::<_, Infallible>(http::Response::new(FailingBody))
    });
    let out = json(invoke(service, &EventBuilder::get("/").build_v2()).await);
    assert_eq!(out["statusCode"], 500);
}

/// The invocation future is `Send` exactly when the handler's future and body are: that is
/// what lets `run_concurrent` spawn it, while `run` still takes `!Send` handlers.
#[test]
fn the_invocation_future_is_send_for_send_handlers() {
    fn assert_send<T: Send>(_: &T) {}
    let mut service = LatticeService::new(service_fn(|_: http::Request<Body>| async {
        Ok::<_, Infallible>(response::empty(http::StatusCode::OK))
    }));
    let event = EventBuilder::get("/").build_v2();
    let payload = RawValue::from_string(String::from_utf8(event).unwrap()).unwrap();
    let future = service.call(LambdaEvent::new(payload, Context::default()));
    assert_send(&future);

    // And a `!Send` handler is still served (by `run`): this only has to compile.
    let local = std::rc::Rc::new(());
    let _not_send = LatticeService::new(service_fn(move |_: http::Request<Body>| {
        let local = std::rc::Rc::clone(&local);
        async move {
            drop(local);
            Ok::<_, Infallible>(response::empty(http::StatusCode::OK))
        }
    }));
}

async fn logs_of_one_invocation(level: tracing::Level, event: &[u8]) -> String {
    let capture = super::captured_logs::capture(level);
    let service = service_fn(|request: http::Request<Body>| async move {
        match request.uri().path() {
            "/fail" => Ok(response::empty(http::StatusCode::SERVICE_UNAVAILABLE)),
            "/error" => Err("database unreachable"),
            "/panic" => panic!("handler bug"),
            _ => Ok(response::empty(http::StatusCode::OK)),
        }
    });
    let _ = invoke(service, event).await;
    capture.text()
}

/// The README's promise: a handler error (or panic) is logged with the request id, while
/// the caller gets a generic 500.
#[tokio::test]
async fn handler_errors_and_panics_are_logged_with_the_request_id() {
    for (path, message) in [
        ("/error", "error=database unreachable"),
        ("/panic", "panic=\"handler bug\""),
    ] {
        let logs =
            logs_of_one_invocation(tracing::Level::INFO, &EventBuilder::get(path).build_v2()).await;
        let line = logs
            .lines()
            .find(|line| line.contains(message))
            .unwrap_or_else(|| panic!("{path}: no line with {message}:\n{logs}"));
        assert!(line.contains("ERROR"), "{line}");
        assert!(line.contains("request_id=\"req-1\""), "{line}");
        assert!(logs.contains("status=500"), "{logs}");
    }
}

#[tokio::test]
async fn each_request_is_logged_once_with_its_facts_but_not_its_query() {
    let event = EventBuilder::post("/fail")
        .query("X-Amz-Signature", "secret-signature")
        .build_v1();
    let logs = logs_of_one_invocation(tracing::Level::INFO, &event).await;
    let lines: Vec<&str> = logs.lines().filter(|l| l.contains(" request ")).collect();
    assert_eq!(lines.len(), 1, "{logs}");
    for field in [
        "request_id=\"req-1\"",
        "method=\"POST\"",
        "path=\"/fail\"",
        "status=503",
        "latency_us=",
    ] {
        assert!(lines[0].contains(field), "{field} missing: {}", lines[0]);
    }
    assert!(!logs.contains("secret-signature"), "{logs}");
}

#[tokio::test]
async fn the_request_line_is_not_written_above_info() {
    let logs =
        logs_of_one_invocation(tracing::Level::WARN, &EventBuilder::get("/").build_v2()).await;
    assert_eq!(logs, "");
}

#[tokio::test]
async fn polling_after_completion_is_an_error_not_a_panic() {
    let mut service = LatticeService::new(service_fn(|_: http::Request<Body>| async {
        Ok::<_, Infallible>(response::empty(http::StatusCode::OK))
    }));
    let event = EventBuilder::get("/").build_v2();
    let payload = RawValue::from_string(String::from_utf8(event).unwrap()).unwrap();
    let mut future = std::pin::pin!(service.call(LambdaEvent::new(payload, Context::default())));
    assert!(future.as_mut().await.is_ok());
    let again = std::future::poll_fn(|cx| future.as_mut().poll(cx)).await;
    assert_eq!(again.unwrap_err().error_type, "InvocationAlreadyCompleted");
}
