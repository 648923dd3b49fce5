//! Behaviour of `LatticeClient` against scripted raw-TCP upstreams on 127.0.0.1: retries,
//! faults, deadlines, connection reuse, and the exact headers on the wire.

use std::time::{Duration, SystemTime};

use lattice_test_support::fault_upstream::{Reply, Upstream, refusing_port};

use super::*;

/// The service URL of `upstream`: its address with the `/app` path a Lattice service URL has.
fn app_url(upstream: &Upstream) -> Url {
    Url::parse(&format!("{}/app", upstream.base)).expect("the upstream's base is a URL")
}

/// Fast backoff so retry tests do not wait needlessly.
fn quick_retries(max_retries: u32) -> RetryPolicy {
    RetryPolicy {
        max_retries,
        base_delay: Duration::from_millis(5),
        max_delay: Duration::from_millis(20),
        deadline_margin: Duration::ZERO,
    }
}

fn client(max_retries: u32) -> LatticeClient {
    LatticeClient::builder()
        .retry_policy(quick_retries(max_retries))
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

/// Every test call is wrapped so a regression fails instead of hanging the suite.
async fn guarded<T>(fut: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(30), fut)
        .await
        .expect("call did not finish within the 30 s guard")
}

#[tokio::test]
async fn get_returns_the_upstream_answer_and_sends_final_headers() {
    let upstream = Upstream::http(|_| Reply::Respond(200, "Hello Bar EKS Pod!!")).await;
    let ctx = CallContext::new().with_trace_id("Root=1-5759e988-bd862e3fe1be46a994272793");
    let response = guarded(client(2).send(&ServiceRequest::get(app_url(&upstream)), &ctx))
        .await
        .unwrap();
    assert_eq!(response.status, StatusCode::OK);
    assert_eq!(response.text(), "Hello Bar EKS Pod!!");
    assert_eq!(response.attempts, 1);
    assert_eq!(response.headers["content-type"], "text/plain");

    let seen = upstream.seen();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].request_line, "GET /app HTTP/1.1");
    let port = upstream.addr.port();
    assert_eq!(
        seen[0].header("host"),
        Some(format!("127.0.0.1:{port}").as_str())
    );
    assert_eq!(seen[0].header("accept"), Some("*/*"));
    assert_eq!(
        seen[0].header("x-amzn-trace-id"),
        Some("Root=1-5759e988-bd862e3fe1be46a994272793")
    );
    assert_eq!(seen[0].header("content-length"), None);
    assert_eq!(
        seen[0].header("authorization"),
        None,
        "unsigned mode must not sign"
    );
}

#[tokio::test]
async fn post_sends_body_query_and_headers() {
    let upstream = Upstream::http(|_| Reply::Respond(201, "created")).await;
    let url = join_path(&app_url(&upstream), "/items?x=1").unwrap();
    let mut request = ServiceRequest::new(Method::POST, url)
        .with_query([("name", "a b")])
        .with_body("{\"k\":1}");
    request
        .headers_mut()
        .insert("content-type", HeaderValue::from_static("application/json"));
    let response = guarded(client(2).send(&request, &CallContext::new()))
        .await
        .unwrap();
    assert_eq!(response.status.as_u16(), 201);
    let seen = upstream.seen();
    assert_eq!(
        seen[0].request_line,
        "POST /app/items?x=1&name=a%20b HTTP/1.1"
    );
    assert_eq!(seen[0].header("content-type"), Some("application/json"));
    assert_eq!(seen[0].header("content-length"), Some("7"));
    assert_eq!(seen[0].body, b"{\"k\":1}");
}

#[tokio::test]
async fn get_is_retried_after_503_and_succeeds() {
    let upstream = Upstream::http(|i| {
        if i == 0 {
            Reply::Respond(503, "busy")
        } else {
            Reply::Respond(200, "ok")
        }
    })
    .await;
    let response = guarded(client(2).send(
        &ServiceRequest::get(app_url(&upstream)),
        &CallContext::new(),
    ))
    .await
    .unwrap();
    assert_eq!(response.status, StatusCode::OK);
    assert_eq!(response.text(), "ok");
    assert_eq!(response.attempts, 2);
    assert_eq!(upstream.seen().len(), 2);
}

#[tokio::test]
async fn post_with_503_is_not_retried() {
    let upstream = Upstream::http(|_| Reply::Respond(503, "busy")).await;
    let request = ServiceRequest::new(Method::POST, app_url(&upstream)).with_body("x");
    let response = guarded(client(2).send(&request, &CallContext::new()))
        .await
        .unwrap();
    assert_eq!(response.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(response.attempts, 1);
    assert_eq!(upstream.seen().len(), 1);
}

#[tokio::test]
async fn persistent_502_is_passed_through_after_the_retry_count() {
    let upstream = Upstream::http(|_| Reply::Respond(502, "bad gateway")).await;
    let response = guarded(client(2).send(
        &ServiceRequest::get(app_url(&upstream)),
        &CallContext::new(),
    ))
    .await
    .unwrap();
    assert_eq!(response.status, StatusCode::BAD_GATEWAY);
    assert_eq!(response.text(), "bad gateway");
    assert_eq!(response.attempts, 3);
    assert_eq!(upstream.seen().len(), 3);
}

#[tokio::test]
async fn other_errors_are_answers_and_not_retried() {
    let upstream = Upstream::http(|_| Reply::Respond(500, "boom")).await;
    let response = guarded(client(2).send(
        &ServiceRequest::get(app_url(&upstream)),
        &CallContext::new(),
    ))
    .await
    .unwrap();
    assert_eq!(response.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(upstream.seen().len(), 1);
}

#[tokio::test]
async fn refused_connections_end_as_unavailable_naming_host_and_cause() {
    // Bind then drop: the port is free and nothing listens on it.
    let port = refusing_port().await;
    let url = Url::parse(&format!("http://127.0.0.1:{port}/app")).unwrap();
    let err = guarded(client(2).send(&ServiceRequest::get(url), &CallContext::new()))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), FailureKind::Unavailable);
    let text = err.to_string();
    assert!(text.contains(&format!("127.0.0.1:{port}")), "{text}");
    assert!(text.to_lowercase().contains("refused"), "{text}");
    assert!(
        matches!(err, ClientError::Unavailable { attempts: 3, .. }),
        "{err:?}"
    );
}

#[tokio::test]
async fn reset_mid_body_is_retried_for_get() {
    let upstream = Upstream::http(|i| {
        if i == 0 {
            Reply::ResetMidBody
        } else {
            Reply::Respond(200, "recovered")
        }
    })
    .await;
    let response = guarded(client(2).send(
        &ServiceRequest::get(app_url(&upstream)),
        &CallContext::new(),
    ))
    .await
    .unwrap();
    assert_eq!(response.text(), "recovered");
    assert_eq!(response.attempts, 2);
}

#[tokio::test]
async fn reset_mid_body_ends_as_unavailable_when_it_persists() {
    let upstream = Upstream::http(|_| Reply::ResetMidBody).await;
    let err = guarded(client(1).send(
        &ServiceRequest::get(app_url(&upstream)),
        &CallContext::new(),
    ))
    .await
    .unwrap_err();
    assert_eq!(err.kind(), FailureKind::Unavailable, "{err}");
    assert!(
        matches!(err, ClientError::Unavailable { attempts: 2, .. }),
        "{err:?}"
    );
    assert_eq!(upstream.seen().len(), 2);
}

#[tokio::test]
async fn a_hanging_upstream_is_cut_at_the_invocation_deadline() {
    let upstream = Upstream::http(|_| Reply::Hang).await;
    // The attempt timeout (60 s) is far beyond the deadline (1 s) and the 30 s guard: only
    // honouring the deadline lets this call return inside the guard.
    let client = LatticeClient::builder()
        .retry_policy(quick_retries(2))
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap();
    let ctx = CallContext::new().with_deadline(SystemTime::now() + Duration::from_secs(1));
    let err = guarded(client.send(&ServiceRequest::get(app_url(&upstream)), &ctx))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), FailureKind::Timeout, "{err}");
    assert!(err.to_string().contains("deadline"), "{err}");
    assert_eq!(upstream.seen().len(), 1, "no retry fits after the deadline");
}

#[tokio::test]
async fn a_hanging_upstream_times_out_per_attempt_and_is_retried() {
    let upstream = Upstream::http(|_| Reply::Hang).await;
    let client = LatticeClient::builder()
        .retry_policy(quick_retries(1))
        .timeout(Duration::from_millis(200))
        .build()
        .unwrap();
    let err = guarded(client.send(
        &ServiceRequest::get(app_url(&upstream)),
        &CallContext::new(),
    ))
    .await
    .unwrap_err();
    assert!(
        matches!(err, ClientError::Timeout { attempts: 2, .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("attempt timeout"), "{err}");
    assert_eq!(upstream.seen().len(), 2);
}

#[tokio::test]
async fn a_spent_deadline_sends_nothing() {
    let upstream = Upstream::http(|_| Reply::Respond(200, "ok")).await;
    let ctx = CallContext::new().with_deadline(SystemTime::now() - Duration::from_secs(1));
    let err = guarded(client(2).send(&ServiceRequest::get(app_url(&upstream)), &ctx))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            ClientError::DeadlineExceeded {
                next_attempt: 1,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(err.kind(), FailureKind::Timeout);
    assert!(upstream.seen().is_empty());
}

#[tokio::test]
async fn oversized_bodies_are_refused() {
    let upstream = Upstream::http(|_| Reply::Respond(200, "0123456789abcdef")).await;
    let client = LatticeClient::builder()
        .max_response_bytes(8)
        .build()
        .unwrap();
    let err = guarded(client.send(
        &ServiceRequest::get(app_url(&upstream)),
        &CallContext::new(),
    ))
    .await
    .unwrap_err();
    assert!(
        matches!(err, ClientError::ResponseTooLarge { limit: 8, .. }),
        "{err:?}"
    );
    assert_eq!(upstream.seen().len(), 1, "an oversized body is not retried");
}

#[tokio::test]
async fn redirects_are_returned_not_followed() {
    let upstream = Upstream::http(|_| Reply::Respond(302, "elsewhere")).await;
    let response = guarded(client(2).send(
        &ServiceRequest::get(app_url(&upstream)),
        &CallContext::new(),
    ))
    .await
    .unwrap();
    assert_eq!(response.status, StatusCode::FOUND);
    assert_eq!(upstream.seen().len(), 1);
}

#[tokio::test]
async fn a_thousand_sequential_calls_share_one_connection() {
    let upstream = Upstream::http(|_| Reply::Respond(200, "Hello Bar EKS Pod!!")).await;
    let client = client(0);
    let request = ServiceRequest::get(app_url(&upstream));
    for _ in 0..1000 {
        let response = guarded(client.send(&request, &CallContext::new()))
            .await
            .unwrap();
        assert_eq!(response.status, StatusCode::OK);
    }
    assert_eq!(upstream.seen().len(), 1000);
    assert_eq!(upstream.connections(), 1);
}

#[tokio::test]
async fn signed_requests_carry_fresh_signatures_per_attempt() {
    // The first answer comes after more than a second, so the retry is signed in a later
    // second than the first attempt and must carry another x-amz-date and signature.
    let upstream = Upstream::http(|i| {
        if i == 0 {
            Reply::Delayed(Duration::from_millis(1100), 503, "busy")
        } else {
            Reply::Respond(200, "ok")
        }
    })
    .await;
    let client = LatticeClient::builder()
        .signing(SigningMode::SigV4)
        .credentials(Credentials::new("AKIDEXAMPLE", "secret", None))
        .region("us-west-2")
        .retry_policy(quick_retries(1))
        .build()
        .unwrap();
    let response = guarded(client.send(
        &ServiceRequest::get(app_url(&upstream)),
        &CallContext::new(),
    ))
    .await
    .unwrap();
    assert_eq!(response.attempts, 2);
    let seen = upstream.seen();
    for s in &seen {
        assert_eq!(s.header("x-amz-content-sha256"), Some("UNSIGNED-PAYLOAD"));
        assert!(
            s.header("authorization")
                .is_some_and(|a| a.starts_with("AWS4-HMAC-SHA256 "))
        );
    }
    assert_ne!(seen[0].header("x-amz-date"), seen[1].header("x-amz-date"));
    assert_ne!(
        seen[0].header("authorization"),
        seen[1].header("authorization")
    );
}

#[test]
fn signing_without_credentials_is_a_config_error() {
    let err = LatticeClient::builder()
        .signing(SigningMode::SigV4)
        .build_with_lookup(|name| (name == ENV_REGION).then(|| "us-west-2".to_owned()))
        .unwrap_err();
    assert!(
        matches!(
            err,
            ConfigError::MissingCredentials {
                variable: ENV_ACCESS_KEY_ID,
                ..
            }
        ),
        "{err:?}"
    );
    let err = LatticeClient::builder()
        .signing(SigningMode::SigV4)
        .credentials(Credentials::new("AKID", "secret", None))
        .build_with_lookup(|_| None)
        .unwrap_err();
    assert!(matches!(err, ConfigError::MissingRegion { .. }), "{err:?}");
    // Unsigned clients need neither.
    assert!(LatticeClient::builder().build_with_lookup(|_| None).is_ok());
}

#[test]
fn ca_bundle_problems_are_config_errors_naming_the_path() {
    let missing = std::env::temp_dir().join("lattice-lambda-no-such-bundle.pem");
    let err = LatticeClient::builder()
        .ca_bundle(&missing)
        .build()
        .unwrap_err();
    assert!(matches!(err, ConfigError::CaBundleRead { .. }), "{err:?}");
    assert!(
        err.to_string()
            .contains("lattice-lambda-no-such-bundle.pem")
    );

    let garbage =
        std::env::temp_dir().join(format!("lattice-lambda-garbage-{}.pem", std::process::id()));
    std::fs::write(&garbage, "not a certificate").unwrap();
    let err = LatticeClient::builder()
        .ca_bundle(&garbage)
        .build()
        .unwrap_err();
    let _ = std::fs::remove_file(&garbage);
    assert!(
        matches!(err, ConfigError::CaBundleInvalid { .. }),
        "{err:?}"
    );
}

#[test]
fn client_debug_shows_no_secret() {
    let client = LatticeClient::builder()
        .signing(SigningMode::SigV4)
        .credentials(Credentials::new(
            "AKIDEXAMPLE",
            "TOPSECRETKEY",
            Some("TOKENVALUE".into()),
        ))
        .region("us-west-2")
        .build()
        .unwrap();
    let text = format!("{client:?}");
    assert!(text.contains("SigV4"), "{text}");
    for secret in ["AKIDEXAMPLE", "TOPSECRETKEY", "TOKENVALUE"] {
        assert!(!text.contains(secret), "{text}");
    }
}

#[test]
fn invalid_requests_are_rejected_before_sending() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let url = Url::parse("ftp://127.0.0.1/x").unwrap();
    let err = rt
        .block_on(client(0).send(&ServiceRequest::get(url), &CallContext::new()))
        .unwrap_err();
    assert_eq!(err.kind(), FailureKind::InvalidRequest, "{err}");
}

#[tokio::test]
async fn a_signed_plain_http_request_through_a_proxy_is_refused_before_anything_is_sent() {
    let upstream = Upstream::http(|_| Reply::Respond(200, "ok")).await;
    // The proxy variables as the function's environment would hold them; a listener stands in
    // for the proxy so a connection to it would be seen.
    let proxy = Upstream::http(|_| Reply::Respond(200, "proxied")).await;
    let proxy_url = format!("http://user:hunter2@{}", proxy.addr);
    let signed = |no_proxy: &'static str| {
        let proxy_url = proxy_url.clone();
        LatticeClient::builder()
            .signing(SigningMode::SigV4)
            .credentials(Credentials::new(
                "AKIDEXAMPLE",
                "secret",
                Some("TOKEN".into()),
            ))
            .region("us-west-2")
            .retry_policy(quick_retries(0))
            .build_with_lookup(move |name| match name {
                "HTTP_PROXY" => Some(proxy_url.clone()),
                "NO_PROXY" => Some(no_proxy.to_owned()),
                _ => None,
            })
            .unwrap()
    };
    let request = ServiceRequest::get(app_url(&upstream));

    let err = guarded(signed("").send(&request, &CallContext::new()))
        .await
        .unwrap_err();
    assert!(
        matches!(err, ClientError::SignedPlainHttpThroughProxy { .. }),
        "{err}"
    );
    assert_eq!(err.kind(), FailureKind::InvalidRequest);
    let message = err.to_string();
    assert!(
        message.contains(app_url(&upstream).authority()),
        "{message}"
    );
    assert!(
        message.contains("NO_PROXY") && message.contains("https://"),
        "{message}"
    );
    assert!(!message.contains("hunter2"), "{message}");
    assert!(upstream.seen().is_empty() && proxy.seen().is_empty());
    assert_eq!(proxy.connections(), 0);

    // The host exempted by NO_PROXY goes direct, signed.
    let response = guarded(signed("127.0.0.1").send(&request, &CallContext::new()))
        .await
        .unwrap();
    assert_eq!(response.status, StatusCode::OK);
    assert!(upstream.seen()[0].header("authorization").is_some());
}
