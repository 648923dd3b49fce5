//! `GET /whoami`: the caller identity and request context exactly as Lattice gave them.
//!
//! Every field is present in the JSON; what Lattice did not say is `null` (a V1 event, for
//! example, has no region or request time). Field names follow the V2 `requestContext`.

use http::StatusCode;
use lattice_lambda::{AuthType, Body, RequestExt, X509Identity, response};
use serde::Serialize;

/// The `/whoami` document.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WhoAmI<'a> {
    /// `"V1"` or `"V2"`.
    pub event_version: Option<String>,
    /// `NONE` or `AWS_IAM`.
    pub auth_type: Option<&'a str>,
    /// The caller's principal ARN.
    pub principal: Option<&'a str>,
    /// The caller's AWS Organizations id (spelled as Lattice spells it).
    #[serde(rename = "principalOrgID")]
    pub principal_org_id: Option<&'a str>,
    /// The role session name.
    pub session_name: Option<&'a str>,
    /// The VPC the request came from.
    pub source_vpc_arn: Option<&'a str>,
    /// IAM Roles Anywhere certificate facts; `null` when the caller presented none.
    pub x509: Option<&'a X509Identity>,
    /// The service network.
    pub service_network_arn: Option<&'a str>,
    /// The Lattice service.
    pub service_arn: Option<&'a str>,
    /// The target group that invoked this function.
    pub target_group_arn: Option<&'a str>,
    /// The service's region.
    pub region: Option<&'a str>,
    /// When Lattice received the request, RFC 3339 with microseconds.
    pub request_time: Option<String>,
}

impl<'a> WhoAmI<'a> {
    /// Reads the document from a request.
    pub fn of<B>(request: &'a http::Request<B>) -> Self {
        let context = request.lattice_context();
        let identity = request.caller_identity();
        WhoAmI {
            event_version: request.event_version().map(|v| v.to_string()),
            auth_type: request.auth_type().map(AuthType::as_str),
            principal: identity.and_then(|id| id.principal()),
            principal_org_id: identity.and_then(|id| id.principal_org_id()),
            session_name: identity.and_then(|id| id.session_name()),
            source_vpc_arn: identity.and_then(|id| id.source_vpc_arn()),
            x509: identity.map(|id| &id.x509).filter(|x509| !x509.is_empty()),
            service_network_arn: context.and_then(|c| c.service_network_arn()),
            service_arn: context.and_then(|c| c.service_arn()),
            target_group_arn: context.and_then(|c| c.target_group_arn()),
            region: context.and_then(|c| c.region()),
            request_time: context
                .and_then(|c| c.time())
                .map(|time| humantime::format_rfc3339_micros(time).to_string()),
        }
    }
}

/// The `/whoami` response.
pub fn whoami(request: &http::Request<Body>) -> http::Response<Body> {
    response::json(StatusCode::OK, &WhoAmI::of(request))
}

#[cfg(test)]
mod tests {
    use lattice_lambda::testing::EventBuilder;

    use super::*;

    #[test]
    fn unknown_caller_fields_are_null() {
        let request = EventBuilder::get("/whoami").build_http();
        let document = serde_json::to_value(WhoAmI::of(&request)).expect("serialisable");
        assert_eq!(document["principal"], serde_json::Value::Null);
        assert_eq!(document["x509"], serde_json::Value::Null);
        assert!(
            document
                .as_object()
                .expect("object")
                .contains_key("sessionName")
        );
    }

    #[test]
    fn iam_principal_is_reported() {
        let request = EventBuilder::get("/whoami")
            .iam_principal("arn:aws:iam::123456789012:role/app")
            .build_http();
        let document = serde_json::to_value(WhoAmI::of(&request)).expect("serialisable");
        assert_eq!(document["principal"], "arn:aws:iam::123456789012:role/app");
        assert_eq!(document["authType"], "AWS_IAM");
    }
}
