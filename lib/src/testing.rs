//! Realistic Lattice events for unit-testing handlers without hand-writing JSON.

use std::time::SystemTime;

use http::{HeaderName, HeaderValue, Method};
use serde::Serialize;

use crate::{AuthType, Body, EventVersion, Identity, LatticeRequest, RequestContext};

/// Account used in the default ARNs.
pub const ACCOUNT_ID: &str = "123456789012";
/// Region used in the default ARNs.
pub const REGION: &str = "us-west-2";

/// Builds Lattice event JSON (V1 or V2) for one request.
///
/// Defaults are what Lattice sends for an unauthenticated caller from a VPC:
/// `x-forwarded-*` headers, service network / service / target group ARNs in
/// `us-west-2`, identity type `NONE` with a source VPC, the current time.
///
/// ```
/// use lattice_lambda::testing::EventBuilder;
/// use lattice_lambda::{LatticeRequest, RequestExt};
/// let event = EventBuilder::post("/orders")
///     .query("dry_run", "true")
///     .json_body(&serde_json::json!({"id": 5}))
///     .iam_principal("arn:aws:iam::123456789012:role/checkout")
///     .build_v2();
/// let request = LatticeRequest::from_slice(&event).unwrap().into_http().unwrap();
/// assert_eq!(request.method(), "POST");
/// assert_eq!(request.caller_identity().unwrap().principal(), Some("arn:aws:iam::123456789012:role/checkout"));
/// assert_eq!(request.body().as_str(), Some(r#"{"id":5}"#));
/// ```
#[derive(Clone, Debug)]
pub struct EventBuilder {
    request: LatticeRequest,
}

impl EventBuilder {
    /// A request with Lattice's default headers and context.
    pub fn new(method: Method, path: &str) -> Self {
        let mut request = LatticeRequest::new(EventVersion::V2, method, path);
        for (name, value) in [
            ("x-forwarded-for", "10.0.1.23"),
            ("x-forwarded-port", "443"),
            ("x-forwarded-proto", "https"),
        ] {
            request
                .headers
                .insert(name, HeaderValue::from_static(value));
        }
        request.context = Some(default_context());
        EventBuilder { request }
    }

    /// `GET path`.
    pub fn get(path: &str) -> Self {
        Self::new(Method::GET, path)
    }

    /// `POST path`.
    pub fn post(path: &str) -> Self {
        Self::new(Method::POST, path)
    }

    /// Appends a header value (repeat for several values).
    ///
    /// # Panics
    /// On a name or value HTTP does not allow: test input is under your control.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        let name =
            HeaderName::from_bytes(name.as_bytes()).expect("valid header name in test event");
        let value = HeaderValue::from_str(value).expect("valid header value in test event");
        self.request.headers.append(name, value);
        self
    }

    /// Appends a query parameter value (repeat for several values).
    pub fn query(mut self, key: &str, value: &str) -> Self {
        self.request.query.push(key, value);
        self.request.raw_query = None;
        self
    }

    /// A JSON body with `content-type: application/json`.
    pub fn json_body<T: Serialize + ?Sized>(self, value: &T) -> Self {
        let bytes = serde_json::to_vec(value).expect("serialisable test body");
        self.body("application/json", bytes)
    }

    /// A body of any content type; non-UTF-8 bytes go out base64-encoded.
    pub fn body(mut self, content_type: &str, bytes: impl Into<Body>) -> Self {
        self.request.body = bytes.into();
        self = self.header("content-type", content_type);
        self
    }

    /// Replaces the caller identity.
    pub fn identity(mut self, identity: Identity) -> Self {
        self.context_mut().identity = identity;
        self
    }

    /// A caller authenticated with SigV4 as `principal_arn`.
    pub fn iam_principal(mut self, principal_arn: &str) -> Self {
        let identity = &mut self.context_mut().identity;
        identity.auth_type = Some(AuthType::AwsIam);
        identity.principal = Some(principal_arn.to_owned());
        self
    }

    /// The caller's source VPC ARN.
    pub fn source_vpc(mut self, vpc_arn: &str) -> Self {
        self.context_mut().identity.source_vpc_arn = Some(vpc_arn.to_owned());
        self
    }

    /// Replaces the whole request context.
    pub fn context(mut self, context: RequestContext) -> Self {
        self.request.context = Some(context);
        self
    }

    /// The typed request this builder describes.
    pub fn request(&self) -> &LatticeRequest {
        &self.request
    }

    /// Event JSON of the given version.
    pub fn build(&self, version: EventVersion) -> Vec<u8> {
        self.request.to_event_json(version)
    }

    /// Event structure V1 JSON (identity in `x-amzn-lattice-*` headers).
    pub fn build_v1(&self) -> Vec<u8> {
        self.build(EventVersion::V1)
    }

    /// Event structure V2 JSON.
    pub fn build_v2(&self) -> Vec<u8> {
        self.build(EventVersion::V2)
    }

    /// The `http::Request` a handler receives for the V2 event: built by
    /// decoding the JSON, exactly as [`crate::run`] does.
    pub fn build_http(&self) -> http::Request<Body> {
        LatticeRequest::from_slice(&self.build_v2())
            .and_then(LatticeRequest::into_http)
            .expect("builder events always decode")
    }

    fn context_mut(&mut self) -> &mut RequestContext {
        self.request.context.get_or_insert_with(default_context)
    }
}

fn default_context() -> RequestContext {
    let arn =
        |kind: &str, id: &str| format!("arn:aws:vpc-lattice:{REGION}:{ACCOUNT_ID}:{kind}/{id}");
    RequestContext {
        service_network_arn: Some(arn("servicenetwork", "sn-0bf3f2882e9cc805a")),
        service_arn: Some(arn("service", "svc-0a40eebed65f8d69c")),
        target_group_arn: Some(arn("targetgroup", "tg-6d0ecf831eec9f09")),
        region: Some(REGION.to_owned()),
        time: Some(SystemTime::now()),
        identity: Identity {
            source_vpc_arn: Some(format!(
                "arn:aws:ec2:{REGION}:{ACCOUNT_ID}:vpc/vpc-0b8276c84697e7339"
            )),
            auth_type: Some(AuthType::None),
            ..Identity::default()
        },
    }
}
