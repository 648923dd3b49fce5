//! End-to-end tests of [`authenticate`]: requests signed by independent signers (the
//! `aws-sigv4` crate for SigV4 and SigV4A, botocore for SigV4), then verified, then altered.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http::{HeaderValue, Request};
use lattice_test_support::signing::{Algorithm, PayloadChecksumKind, Signer};

use super::*;

const REGION: &str = "us-west-2";
const AKID: &str = "AKIALOCALTEST0000001";
const SECRET: &str = "local/Test+Secret/Key0000000000000000000";
const SESSION_AKID: &str = "ASIALOCALTEST0000002";
const SESSION_SECRET: &str = "local/Session+Secret/Key0000000000000000";
const TOKEN: &str = "local-session-token/value+example==";
const URL: &str = "http://eks-app.lattice.localhost:8080/app/items%20x/?b=2&a=hello%20world&a=%2F";

/// 2026-11-25T12:00:00Z.
fn signing_time() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_795_608_000)
}

fn store() -> CredentialStore {
    CredentialStore::from_entries(vec![
        LocalPrincipal {
            access_key_id: AKID.to_owned(),
            secret_access_key: SECRET.to_owned(),
            session_token: None,
            principal_arn: "arn:aws:sts::000000000000:assumed-role/eks-client-role/eks-client"
                .to_owned(),
            principal_org_id: Some("o-localexample".to_owned()),
            principal_org_path: None,
            tags: Default::default(),
            session_name: Some("eks-client".to_owned()),
            source_vpc_arn: Some("arn:aws:ec2:us-west-2:000000000000:vpc/vpc-0local".to_owned()),
        },
        LocalPrincipal {
            access_key_id: SESSION_AKID.to_owned(),
            secret_access_key: SESSION_SECRET.to_owned(),
            session_token: Some(TOKEN.to_owned()),
            principal_arn: "arn:aws:sts::000000000000:assumed-role/developer/laptop".to_owned(),
            principal_org_id: None,
            principal_org_path: None,
            tags: Default::default(),
            session_name: Some("laptop".to_owned()),
            source_vpc_arn: None,
        },
    ])
    .expect("valid test principals")
}

/// The signer every test starts from: the long-term key, SigV4 for `REGION`, at `signing_time()`.
fn default_signer() -> Signer<'static> {
    Signer {
        time: signing_time(),
        ..Signer::lattice(AKID, SECRET, REGION)
    }
}

/// A client request to `URL` with a `Host` header and a repeated, space-padded header.
fn client_request(method: &str) -> Request<()> {
    Request::builder()
        .method(method)
        .uri(URL)
        .header("host", "eks-app.lattice.localhost:8080")
        .header("x-team", "  blue   team ")
        .header("x-team", "green")
        .header("content-type", "application/json")
        .body(())
        .expect("valid request")
}

/// A signed client request, as received.
trait SignedRequest {
    fn signed(&self, method: &str) -> http::request::Parts;
}

impl SignedRequest for Signer<'_> {
    fn signed(&self, method: &str) -> http::request::Parts {
        let mut request = client_request(method);
        self.sign(&mut request);
        received(request)
    }
}

/// The request as a server sees it: origin-form target, headers as sent.
fn received(request: Request<()>) -> http::request::Parts {
    let (mut parts, ()) = request.into_parts();
    let target = parts
        .uri
        .path_and_query()
        .map_or("/", |pq| pq.as_str())
        .to_owned();
    parts.uri = target.parse().expect("origin-form target");
    parts
}

fn check(parts: &http::request::Parts, now: SystemTime) -> Result<Option<Caller>, AuthFailure> {
    authenticate(&store(), parts, now, REGION)
}

fn authorization(parts: &http::request::Parts) -> String {
    parts.headers["authorization"]
        .to_str()
        .expect("ascii")
        .to_owned()
}

fn set_authorization(parts: &mut http::request::Parts, value: &str) {
    parts.headers.insert(
        "authorization",
        HeaderValue::from_str(value).expect("ascii"),
    );
}

#[test]
fn shared_types_are_thread_safe() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<CredentialStore>();
    assert_send_sync::<AuthPolicy>();
    assert_send_sync::<Caller>();
    assert_send_sync::<AuthFailure>();
}

#[test]
fn unsigned_request_is_anonymous() {
    let parts = received(client_request("GET"));
    assert_eq!(check(&parts, signing_time()), Ok(None));
    let mut bearer = received(client_request("GET"));
    set_authorization(&mut bearer, "Bearer some-app-token");
    assert_eq!(check(&bearer, signing_time()), Ok(None));
}

#[test]
fn good_sigv4_signed_by_aws_sigv4() {
    for method in ["GET", "POST", "DELETE"] {
        let parts = default_signer().signed(method);
        let caller = check(&parts, signing_time())
            .expect("valid signature")
            .expect("signed");
        assert_eq!(caller.algorithm, SigningAlgorithm::SigV4);
        assert_eq!(caller.access_key_id, AKID);
        assert_eq!(
            caller.principal_arn,
            "arn:aws:sts::000000000000:assumed-role/eks-client-role/eks-client"
        );
        assert_eq!(caller.principal_org_id.as_deref(), Some("o-localexample"));
        assert_eq!(caller.session_name.as_deref(), Some("eks-client"));
        assert_eq!(caller.source_vpc_id(), Some("vpc-0local"));
        assert_eq!(caller.account(), "000000000000");
    }
}

#[test]
fn clock_skew_up_to_fifteen_minutes_is_accepted() {
    let parts = default_signer().signed("GET");
    let fourteen = Duration::from_secs(14 * 60);
    assert!(check(&parts, signing_time() + fourteen).is_ok());
    assert!(check(&parts, signing_time() - fourteen).is_ok());
}

#[test]
fn expired_date_is_rejected() {
    let parts = default_signer().signed("GET");
    let result = check(&parts, signing_time() + Duration::from_secs(16 * 60));
    assert!(
        matches!(
            result,
            Err(AuthFailure::ExpiredOrFutureDate {
                direction: "before",
                skew_seconds: 960,
                ..
            })
        ),
        "{result:?}"
    );
}

#[test]
fn future_date_is_rejected() {
    let parts = default_signer().signed("GET");
    let result = check(&parts, signing_time() - Duration::from_secs(16 * 60));
    assert!(
        matches!(
            result,
            Err(AuthFailure::ExpiredOrFutureDate {
                direction: "after",
                ..
            })
        ),
        "{result:?}"
    );
}

#[test]
fn bad_signature_with_one_byte_flipped_is_rejected() {
    let mut parts = default_signer().signed("GET");
    let original = authorization(&parts);
    let last = original.chars().last().expect("non-empty");
    let flipped = if last == '0' { '1' } else { '0' };
    let tampered = format!("{}{flipped}", &original[..original.len() - 1]);
    set_authorization(&mut parts, &tampered);
    assert_eq!(
        check(&parts, signing_time()),
        Err(AuthFailure::SignatureMismatch)
    );
}

#[test]
fn wrong_secret_is_rejected() {
    let parts = Signer {
        secret: "not/the/right/secret",
        ..default_signer()
    }
    .signed("GET");
    assert_eq!(
        check(&parts, signing_time()),
        Err(AuthFailure::SignatureMismatch)
    );
}

#[test]
fn unknown_access_key_is_rejected() {
    let parts = Signer {
        access_key_id: "AKIAUNKNOWN000000000",
        ..default_signer()
    }
    .signed("GET");
    assert_eq!(
        check(&parts, signing_time()),
        Err(AuthFailure::UnknownAccessKey(
            "AKIAUNKNOWN000000000".to_owned()
        ))
    );
}

#[test]
fn wrong_service_is_rejected() {
    let parts = Signer {
        service: "execute-api",
        ..default_signer()
    }
    .signed("GET");
    assert!(
        matches!(check(&parts, signing_time()), Err(AuthFailure::WrongService { found, .. }) if found == "execute-api")
    );
}

#[test]
fn wrong_region_is_rejected() {
    let parts = Signer {
        scope: "eu-west-1",
        ..default_signer()
    }
    .signed("GET");
    assert!(
        matches!(check(&parts, signing_time()), Err(AuthFailure::WrongRegion { found, .. }) if found == "eu-west-1")
    );
}

#[test]
fn missing_signed_header_is_rejected() {
    let mut parts = default_signer().signed("GET");
    parts.headers.remove("x-team");
    assert_eq!(
        check(&parts, signing_time()),
        Err(AuthFailure::MissingSignedHeader("x-team".to_owned()))
    );
}

#[test]
fn tampered_signed_header_is_rejected() {
    let mut parts = default_signer().signed("GET");
    parts
        .headers
        .insert("content-type", HeaderValue::from_static("text/plain"));
    assert_eq!(
        check(&parts, signing_time()),
        Err(AuthFailure::SignatureMismatch)
    );
}

#[test]
fn tampered_method_path_or_query_is_rejected() {
    let mut method = default_signer().signed("GET");
    method.method = http::Method::DELETE;
    assert_eq!(
        check(&method, signing_time()),
        Err(AuthFailure::SignatureMismatch)
    );

    for target in [
        "/app/other/?b=2&a=hello%20world&a=%2F",
        "/app/items%20x/?b=3&a=hello%20world&a=%2F",
    ] {
        let mut parts = default_signer().signed("GET");
        parts.uri = target.parse().expect("target");
        assert_eq!(
            check(&parts, signing_time()),
            Err(AuthFailure::SignatureMismatch),
            "{target}"
        );
    }
}

#[test]
fn unsigned_headers_may_change() {
    // Headers outside SignedHeaders (added by proxies, say) do not affect the signature.
    let mut parts = default_signer().signed("GET");
    parts
        .headers
        .insert("x-forwarded-for", HeaderValue::from_static("10.0.0.1"));
    assert!(matches!(check(&parts, signing_time()), Ok(Some(_))));
}

#[test]
fn session_token_must_match() {
    let good = Signer {
        access_key_id: SESSION_AKID,
        secret: SESSION_SECRET,
        token: Some(TOKEN),
        ..default_signer()
    };
    assert!(
        matches!(check(&good.signed("GET"), signing_time()), Ok(Some(c)) if c.access_key_id == SESSION_AKID)
    );

    let wrong = Signer {
        token: Some("another-token"),
        ..good
    };
    assert_eq!(
        check(&wrong.signed("GET"), signing_time()),
        Err(AuthFailure::InvalidSessionToken)
    );
    let missing = Signer {
        token: None,
        ..good
    };
    assert_eq!(
        check(&missing.signed("GET"), signing_time()),
        Err(AuthFailure::InvalidSessionToken)
    );
    // A token sent with long-term keys is as invalid as a wrong one.
    let unexpected = Signer {
        token: Some(TOKEN),
        ..default_signer()
    };
    assert_eq!(
        check(&unexpected.signed("GET"), signing_time()),
        Err(AuthFailure::InvalidSessionToken)
    );
}

#[test]
fn payload_must_be_unsigned() {
    let no_header = Signer {
        checksum: PayloadChecksumKind::NoHeader,
        ..default_signer()
    };
    assert_eq!(
        check(&no_header.signed("GET"), signing_time()),
        Err(AuthFailure::MissingContentSha256)
    );
    let mut hashed = default_signer().signed("GET");
    hashed.headers.insert(
        "x-amz-content-sha256",
        HeaderValue::from_static(
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        ),
    );
    assert_eq!(
        check(&hashed, signing_time()),
        Err(AuthFailure::PayloadSigningUnsupported)
    );
}

#[test]
fn host_and_date_must_be_signed() {
    let mut parts = default_signer().signed("GET");
    let auth = authorization(&parts).replace(
        "SignedHeaders=content-type;host;",
        "SignedHeaders=content-type;",
    );
    assert!(!auth.contains(";host;"), "{auth}");
    set_authorization(&mut parts, &auth);
    assert_eq!(
        check(&parts, signing_time()),
        Err(AuthFailure::UnsignedRequiredHeader("host".to_owned()))
    );
}

#[test]
fn presigned_requests_are_refused_clearly() {
    let parts = received(
        Request::get("/app?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=abc")
            .body(())
            .expect("request"),
    );
    assert_eq!(
        check(&parts, signing_time()),
        Err(AuthFailure::PresignedUnsupported)
    );
}

#[test]
fn good_sigv4a_signed_by_aws_sigv4() {
    for region_set in [REGION, "*", "eu-west-1,us-west-2", "us-*"] {
        let parts = Signer {
            algorithm: Algorithm::SigV4A,
            scope: region_set,
            ..default_signer()
        }
        .signed("POST");
        assert!(authorization(&parts).starts_with("AWS4-ECDSA-P256-SHA256 "));
        let caller = check(&parts, signing_time())
            .expect("valid SigV4A signature")
            .expect("signed");
        assert_eq!(caller.algorithm, SigningAlgorithm::SigV4A, "{region_set}");
        assert_eq!(caller.access_key_id, AKID);
    }
}

#[test]
fn sigv4a_failures() {
    let v4a = Signer {
        algorithm: Algorithm::SigV4A,
        ..default_signer()
    };
    let outside = Signer {
        scope: "eu-west-1",
        ..v4a
    };
    assert!(matches!(
        check(&outside.signed("GET"), signing_time()),
        Err(AuthFailure::RegionNotInRegionSet { .. })
    ));
    let wrong_secret = Signer {
        secret: "another/secret",
        ..v4a
    };
    assert_eq!(
        check(&wrong_secret.signed("GET"), signing_time()),
        Err(AuthFailure::SignatureMismatch)
    );
    let mut tampered = v4a.signed("GET");
    tampered
        .headers
        .insert("x-team", HeaderValue::from_static("red"));
    assert_eq!(
        check(&tampered, signing_time()),
        Err(AuthFailure::SignatureMismatch)
    );

    // Widening the region set after signing breaks the signature (the header is signed).
    let mut widened = v4a.signed("GET");
    widened
        .headers
        .insert("x-amz-region-set", HeaderValue::from_static("*"));
    assert_eq!(
        check(&widened, signing_time()),
        Err(AuthFailure::SignatureMismatch)
    );
    let expired = check(
        &v4a.signed("GET"),
        signing_time() + Duration::from_secs(3600),
    );
    assert!(matches!(
        expired,
        Err(AuthFailure::ExpiredOrFutureDate { .. })
    ));
}

#[test]
fn failure_messages_never_reveal_secrets_or_signatures() {
    let session = Signer {
        access_key_id: SESSION_AKID,
        secret: SESSION_SECRET,
        token: Some("wrong-token-value"),
        ..default_signer()
    };
    let mut flipped = default_signer().signed("GET");
    let signature = authorization(&flipped)
        .rsplit("Signature=")
        .next()
        .expect("signature")
        .to_owned();
    let zeroed = authorization(&flipped).replace(&signature, &"0".repeat(64));
    set_authorization(&mut flipped, &zeroed);
    let failures = [
        check(&session.signed("GET"), signing_time()),
        check(&flipped, signing_time()),
        check(
            &default_signer().signed("GET"),
            signing_time() + Duration::from_secs(7200),
        ),
    ];
    for failure in failures {
        let message = failure.expect_err("rejected").to_string();
        for secret in [
            SECRET,
            SESSION_SECRET,
            TOKEN,
            "wrong-token-value",
            signature.as_str(),
        ] {
            assert!(!message.contains(secret), "{message}");
        }
    }
}

/// SigV4 by botocore (`SigV4Auth`, clock patched): a second, independent implementation.
#[test]
fn botocore_sigv4_signature_is_accepted() {
    let python = std::env::var("LATTICE_PYTHON").unwrap_or_else(|_| {
        format!(
            "{}/.cache/lattice-venv/bin/python",
            std::env::var("HOME").unwrap_or_default()
        )
    });
    if !std::path::Path::new(&python).exists() {
        assert!(
            std::env::var_os("CI").is_none(),
            "botocore cross-check needs {python} (set LATTICE_PYTHON) when CI is set"
        );
        eprintln!("skipping botocore cross-check: {python} not found");
        return;
    }
    // `+` in the query exercises botocore's as-sent query canonicalisation.
    let script = r#"
import datetime, json, sys
import botocore.auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
botocore.auth.get_current_datetime = lambda *a, **k: datetime.datetime(2026, 11, 25, 12, 0, 0)
akid, secret, url = sys.argv[1:4]
request = AWSRequest(method="POST", url=url, data=b'{"k": 1}',
                     headers={"X-Amz-Content-SHA256": "UNSIGNED-PAYLOAD",
                              "Content-Type": "application/json", "X-Team": "blue"})
botocore.auth.SigV4Auth(Credentials(akid, secret), "vpc-lattice-svcs", "us-west-2").add_auth(request)
print(json.dumps({"headers": [[k, v] for k, v in request.headers.items()]}))
"#;
    let url = "http://eks-app.lattice.localhost:8080/app/items%20x/?b=2&a=hello+world&a=%2F";
    let output = std::process::Command::new(&python)
        .args(["-c", script, AKID, SECRET, url])
        .output()
        .expect("python runs");
    assert!(
        output.status.success(),
        "botocore signer failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let signed: serde_json::Value = serde_json::from_slice(&output.stdout).expect("json");
    let mut request = Request::post(url)
        .header("host", "eks-app.lattice.localhost:8080")
        .body(())
        .expect("request");
    for pair in signed["headers"].as_array().expect("headers") {
        let (Some(name), Some(value)) = (pair[0].as_str(), pair[1].as_str()) else {
            panic!("bad header pair {pair}");
        };
        request.headers_mut().append(
            http::HeaderName::from_bytes(name.as_bytes()).expect("name"),
            HeaderValue::from_str(value).expect("value"),
        );
    }
    let mut parts = received(request);
    let caller = check(&parts, signing_time())
        .expect("botocore signature verifies")
        .expect("signed");
    assert_eq!(caller.access_key_id, AKID);

    parts
        .headers
        .insert("x-team", HeaderValue::from_static("red"));
    assert_eq!(
        check(&parts, signing_time()),
        Err(AuthFailure::SignatureMismatch)
    );
}
