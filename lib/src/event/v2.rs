//! Event structure V2: camelCase keys, lists of header and query values,
//! `requestContext` with the caller identity.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::Serialize;
use serde::ser::SerializeMap;

use super::wire::{RawContext, RawEvent, RawIdentity};
use super::{Common, EventError, EventVersion, LatticeRequest};
use crate::{AuthType, IDENTITY_TAGS_HEADER, Identity, RequestContext, X509Identity};

pub(super) fn decode(mut raw: RawEvent) -> Result<LatticeRequest, EventError> {
    let context = raw.request_context.take().ok_or(EventError::MissingField {
        version: EventVersion::V2,
        field: "requestContext",
    })?;
    let common = Common {
        version: EventVersion::V2,
        method: raw.method,
        path: raw.path,
        headers: raw.headers.unwrap_or_default().0,
        query: raw.query_v2.unwrap_or_default().0,
        body: raw.body,
        base64: raw.base64_v2.0.unwrap_or(false),
    };
    let mut request = common.into_request("path")?;
    let mut context = context_from_wire(context)?;
    // V2 has no field for principal tags; when Lattice sends them, it is as a header.
    context.identity.tags = Identity::tags_from_header_map(&request.headers)?;
    request.context = Some(context);
    Ok(request)
}

fn context_from_wire(wire: RawContext) -> Result<RequestContext, EventError> {
    let time = parse_time_epoch(&wire.time_epoch)?;
    let identity = wire.identity.map(identity_from_wire).unwrap_or_default();
    let non_empty = |s: String| (!s.is_empty()).then_some(s);
    Ok(RequestContext {
        service_network_arn: non_empty(wire.service_network_arn),
        service_arn: non_empty(wire.service_arn),
        target_group_arn: non_empty(wire.target_group_arn),
        region: non_empty(wire.region),
        time: Some(time),
        identity,
    })
}

fn identity_from_wire(wire: RawIdentity) -> Identity {
    Identity {
        source_vpc_arn: wire.source_vpc_arn,
        auth_type: wire.identity_type.as_deref().map(AuthType::from_wire),
        principal: wire.principal,
        principal_org_id: wire.principal_org_id,
        principal_org_path: wire.principal_org_path,
        session_name: wire.session_name,
        x509: X509Identity {
            issuer_ou: wire.x509_issuer_ou,
            san_dns: wire.x509_san_dns,
            san_name_cn: wire.x509_san_name_cn,
            san_uri: wire.x509_san_uri,
            subject_cn: wire.x509_subject_cn,
        },
        tags: Vec::new(),
    }
}

/// `timeEpoch` is a string of microseconds since the Unix epoch.
fn parse_time_epoch(value: &str) -> Result<SystemTime, EventError> {
    value
        .parse::<u64>()
        .ok()
        .and_then(|micros| UNIX_EPOCH.checked_add(Duration::from_micros(micros)))
        .ok_or_else(|| EventError::InvalidTimeEpoch(value.to_owned()))
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct EventV2<'a> {
    version: &'static str,
    path: String,
    method: &'a str,
    headers: ListHeaders<'a>,
    query_string_parameters: ListQuery<'a>,
    body: &'a str,
    is_base64_encoded: bool,
    request_context: ContextV2<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ContextV2<'a> {
    service_network_arn: &'a str,
    service_arn: &'a str,
    target_group_arn: &'a str,
    identity: IdentityV2<'a>,
    region: &'a str,
    time_epoch: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct IdentityV2<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    source_vpc_arn: Option<&'a str>,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    auth_type: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    principal: Option<&'a str>,
    #[serde(rename = "principalOrgID", skip_serializing_if = "Option::is_none")]
    principal_org_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    principal_org_path: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    session_name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    x509_issuer_ou: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    x509_san_dns: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    x509_san_name_cn: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    x509_san_uri: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    x509_subject_cn: Option<&'a str>,
}

pub(super) fn encode(request: &LatticeRequest) -> Vec<u8> {
    let empty = RequestContext::default();
    let context = request.context.as_ref().unwrap_or(&empty);
    let identity = &context.identity;
    let micros = context
        .time
        .unwrap_or_else(SystemTime::now)
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_micros();
    let (body, is_base64_encoded) = request.event_body();
    let path = request.event_path();
    let event = EventV2 {
        version: "2.0",
        path,
        method: request.method.as_str(),
        headers: ListHeaders {
            request,
            tags: identity.tags_header_if_tagged(),
        },
        query_string_parameters: ListQuery(request),
        body: &body,
        is_base64_encoded,
        request_context: ContextV2 {
            service_network_arn: context.service_network_arn().unwrap_or_default(),
            service_arn: context.service_arn().unwrap_or_default(),
            target_group_arn: context.target_group_arn().unwrap_or_default(),
            identity: IdentityV2 {
                source_vpc_arn: identity.source_vpc_arn(),
                auth_type: identity.auth_type().map(AuthType::as_str),
                principal: identity.principal(),
                principal_org_id: identity.principal_org_id(),
                principal_org_path: identity.principal_org_path(),
                session_name: identity.session_name(),
                x509_issuer_ou: identity.x509.issuer_ou.as_deref(),
                x509_san_dns: identity.x509.san_dns.as_deref(),
                x509_san_name_cn: identity.x509.san_name_cn.as_deref(),
                x509_san_uri: identity.x509.san_uri.as_deref(),
                x509_subject_cn: identity.x509.subject_cn.as_deref(),
            },
            region: context.region().unwrap_or_default(),
            time_epoch: micros.to_string(),
        },
    };
    serde_json::to_vec(&event).unwrap_or_default()
}

/// Headers as V2 carries them: every value listed, plus the principal tags of the context
/// (which have no `requestContext` field) as `x-amzn-lattice-identity-tags`.
struct ListHeaders<'a> {
    request: &'a LatticeRequest,
    tags: Option<String>,
}

impl Serialize for ListHeaders<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let headers = &self.request.headers;
        let mut map = serializer.serialize_map(None)?;
        for name in headers.keys() {
            if self.tags.is_some() && name.as_str() == IDENTITY_TAGS_HEADER {
                continue;
            }
            let values: Vec<std::borrow::Cow<'_, str>> = headers
                .get_all(name)
                .iter()
                .map(|v| String::from_utf8_lossy(v.as_bytes()))
                .collect();
            map.serialize_entry(name.as_str(), &values)?;
        }
        if let Some(tags) = &self.tags {
            map.serialize_entry(IDENTITY_TAGS_HEADER, &[tags])?;
        }
        map.end()
    }
}

struct ListQuery<'a>(&'a LatticeRequest);

impl Serialize for ListQuery<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let grouped = self.0.query.grouped();
        let mut map = serializer.serialize_map(Some(grouped.len()))?;
        for (key, values) in grouped {
            map.serialize_entry(key, &values)?;
        }
        map.end()
    }
}
