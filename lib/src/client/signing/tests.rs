use super::*;
use proptest::prelude::*;

const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const TOKEN: &str = "SESSIONTOKENEXAMPLEVALUE";

fn creds() -> Credentials {
    Credentials::new("AKIDEXAMPLE", SECRET, Some(TOKEN.into()))
}

fn request() -> http::Request<()> {
    http::Request::get("https://svc.example.on.aws/app?b=2&a=1")
        .header("host", "svc.example.on.aws")
        .body(())
        .unwrap()
}

/// 2015-08-30T12:36:00Z, the AWS SigV4 test suite's time.
fn time() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_440_938_160)
}

fn authorization(request: &http::Request<()>) -> &str {
    request.headers()["authorization"].to_str().unwrap()
}

/// Known answers computed once with botocore's `SigV4Auth` (service `vpc-lattice-svcs`,
/// payload signing off, the clock patched to `time()`): they pin the whole signature, not
/// just its shape, without a Python run.
#[test]
fn sigv4_matches_botocore_known_answers() {
    let signer = RequestSigner::sigv4(creds(), "us-west-2");
    let mut req = request();
    signer.sign(&mut req, time()).unwrap();
    assert_eq!(
        authorization(&req),
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-west-2/vpc-lattice-svcs/aws4_request, \
         SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-amz-security-token, \
         Signature=898915002fa8633b1f478c952c503ead657b061b7ff55f4fb0185ae2eb7ca5a6"
    );

    let signer = RequestSigner::sigv4(Credentials::new("AKIDEXAMPLE", SECRET, None), "us-east-1");
    let mut req = http::Request::get("https://example.amazonaws.com/")
        .body(())
        .unwrap();
    signer.sign(&mut req, time()).unwrap();
    assert_eq!(
        authorization(&req),
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/vpc-lattice-svcs/aws4_request, \
         SignedHeaders=host;x-amz-content-sha256;x-amz-date, \
         Signature=95722b265bc2f997aaca4236757d770897a8d54da0e41aa2b2b196daa81c540e"
    );
    assert!(!req.headers().contains_key("x-amz-security-token"));
}

#[test]
fn sigv4_adds_the_lattice_headers_and_marks_the_token_sensitive() {
    let signer = RequestSigner::sigv4(creds(), "us-west-2");
    let mut req = request();
    signer.sign(&mut req, time()).unwrap();
    let h = req.headers();
    assert_eq!(h["x-amz-content-sha256"], "UNSIGNED-PAYLOAD");
    assert_eq!(h["x-amz-date"], "20150830T123600Z");
    assert_eq!(h["x-amz-security-token"], TOKEN);
    assert!(h["x-amz-security-token"].is_sensitive());
    assert!(!authorization(&req).contains(SECRET));
}

#[test]
fn signing_is_deterministic_for_a_fixed_time_and_changes_with_it() {
    let signer = RequestSigner::sigv4(creds(), "us-west-2");
    let sign_at = |t| {
        let mut req = request();
        signer.sign(&mut req, t).unwrap();
        req.headers()["authorization"].clone()
    };
    assert_eq!(sign_at(time()), sign_at(time()));
    assert_ne!(sign_at(time()), sign_at(time() + Duration::from_secs(1)));
    // A new day derives a new key: the date in the scope follows.
    let next_day = sign_at(time() + Duration::from_secs(86_400));
    assert!(next_day.to_str().unwrap().contains("/20150831/"));
}

#[test]
fn proxy_and_tracing_headers_are_not_signed() {
    let signer = RequestSigner::sigv4(creds(), "us-west-2");
    let mut req = request();
    for (name, value) in [
        (
            "x-amzn-trace-id",
            "Root=1-5759e988-bd862e3fe1be46a994272793",
        ),
        ("user-agent", "test"),
        (
            "traceparent",
            "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        ),
        ("connection", "keep-alive"),
    ] {
        req.headers_mut()
            .insert(name, HeaderValue::from_static(value));
    }
    signer.sign(&mut req, time()).unwrap();
    assert!(
        authorization(&req)
            .contains("SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-amz-security-token,"),
        "{}",
        authorization(&req)
    );
}

#[cfg(feature = "sigv4a")]
#[test]
fn sigv4a_adds_region_set_and_ecdsa_algorithm() {
    let signer = RequestSigner::sigv4a(creds(), "*");
    let mut req = request();
    signer.sign(&mut req, time()).unwrap();
    assert_eq!(req.headers()["x-amz-region-set"], "*");
    assert!(
        authorization(&req).starts_with(
            "AWS4-ECDSA-P256-SHA256 Credential=AKIDEXAMPLE/20150830/vpc-lattice-svcs/aws4_request"
        ),
        "{}",
        authorization(&req)
    );
    assert_eq!(signer.mode(), SigningMode::SigV4a);
}

#[test]
fn missing_credentials_name_the_variable() {
    let err = Credentials::from_lookup(SigningMode::SigV4, |_| None).unwrap_err();
    assert!(err.to_string().contains(ENV_ACCESS_KEY_ID), "{err}");
    let err = Credentials::from_lookup(SigningMode::SigV4, |name| {
        (name == ENV_ACCESS_KEY_ID).then(|| "AKID".to_owned())
    })
    .unwrap_err();
    assert!(err.to_string().contains(ENV_SECRET_ACCESS_KEY), "{err}");
}

#[test]
fn debug_output_hides_secrets() {
    let text = format!(
        "{:?} {:?}",
        creds(),
        RequestSigner::sigv4(creds(), "us-west-2")
    );
    assert!(
        !text.contains(SECRET) && !text.contains(TOKEN) && !text.contains("AKIDEXAMPLE"),
        "{text}"
    );
}

#[test]
fn header_values_outside_visible_ascii_are_refused_naming_the_header() {
    let signer = RequestSigner::sigv4(creds(), "us-west-2");
    let mut req = request();
    req.headers_mut().insert(
        "x-note",
        HeaderValue::from_bytes("caf\u{e9}".as_bytes()).unwrap(),
    );
    let err = signer.sign(&mut req, time()).unwrap_err();
    assert_eq!(
        err,
        SigningError::HeaderNotText {
            name: "x-note".into()
        }
    );
    assert!(!req.headers().contains_key("authorization"));
}

#[test]
fn a_request_without_any_host_is_refused_not_a_panic() {
    let signer = RequestSigner::sigv4(creds(), "us-west-2");
    let mut req = http::Request::get("/app").body(()).unwrap();
    assert_eq!(signer.sign(&mut req, time()), Err(SigningError::NoHost));
}

#[test]
fn times_aws_sigv4_cannot_write_are_refused_not_a_panic() {
    let signer = RequestSigner::sigv4(creds(), "us-west-2");
    let before = SystemTime::UNIX_EPOCH - Duration::from_secs(1);
    let after = SystemTime::UNIX_EPOCH + Duration::from_secs(LAST_SIGNABLE_SECOND + 1);
    for at in [before, after] {
        let mut req = request();
        assert_eq!(signer.sign(&mut req, at), Err(SigningError::TimeOutOfRange));
    }
    let last = SystemTime::UNIX_EPOCH + Duration::from_secs(LAST_SIGNABLE_SECOND);
    let mut req = request();
    signer.sign(&mut req, last).unwrap();
    assert_eq!(req.headers()["x-amz-date"], "99991231T235959Z");
}

#[test]
fn a_token_http_cannot_carry_is_an_error_not_a_panic_and_is_not_shown() {
    let signer = RequestSigner::sigv4(
        Credentials::new("AKIDEXAMPLE", SECRET, Some("bad\ntoken".to_owned())),
        "us-west-2",
    );
    let mut req = request();
    let err = signer.sign(&mut req, time()).unwrap_err();
    assert!(err.to_string().contains("x-amz-security-token"), "{err}");
    assert!(!err.to_string().contains("bad"), "{err}");
    assert!(
        !req.headers().contains_key("authorization"),
        "nothing applied"
    );
}

#[test]
fn region_prefers_aws_region() {
    let both = |name: &str| match name {
        ENV_REGION => Some("eu-west-1".to_owned()),
        ENV_DEFAULT_REGION => Some("us-east-1".to_owned()),
        _ => None,
    };
    assert_eq!(region_from_lookup(both).as_deref(), Some("eu-west-1"));
    let fallback = |name: &str| (name == ENV_DEFAULT_REGION).then(|| "us-east-1".to_owned());
    assert_eq!(region_from_lookup(fallback).as_deref(), Some("us-east-1"));
    assert_eq!(region_from_lookup(|_| None), None);
}

proptest! {
    /// Whatever the inputs, signing answers Ok or a SigningError: never a panic.
    #[test]
    fn signing_never_panics(
        secs in any::<u64>(),
        token in prop::option::of("[ -~\n\r\t]{0,12}"),
        key in "[ -~\n]{0,12}",
        region in "[ -~\n]{0,12}",
        path in "(/[!-~]{0,6}){0,3}",
        header in "[ -~\t]{0,12}",
    ) {
        let signer = RequestSigner::sigv4(Credentials::new(key, SECRET, token), region);
        let Some(at) = SystemTime::UNIX_EPOCH.checked_add(Duration::from_secs(secs)) else {
            return Ok(());
        };
        let Ok(uri) = format!("https://svc.example.on.aws{path}").parse::<http::Uri>() else {
            return Ok(());
        };
        let mut req = http::Request::get(uri).body(()).unwrap();
        if let Ok(value) = HeaderValue::from_str(&header) {
            req.headers_mut().insert("x-custom", value);
        }
        let _ = signer.sign(&mut req, at);
    }
}
