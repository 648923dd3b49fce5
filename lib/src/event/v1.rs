//! Event structure V1: snake_case keys, one string per header and query key,
//! identity only in Lattice's `x-amzn-lattice-*` headers.

use serde::Serialize;
use serde::ser::SerializeMap;

use super::wire::RawEvent;
use super::{Common, EventError, EventVersion, LatticeRequest};
use crate::RequestContext;

pub(super) fn decode(raw: RawEvent) -> Result<LatticeRequest, EventError> {
    let common = Common {
        version: EventVersion::V1,
        method: raw.method,
        path: raw.raw_path,
        headers: raw.headers.unwrap_or_default().0,
        query: raw.query_v1.unwrap_or_default().0,
        body: raw.body,
        base64: raw.base64_v1.0.unwrap_or(false),
    };
    // V1 header values stay whole: Lattice joins repeated headers with ", ",
    // but a single value may itself contain commas (`Mozilla/5.0 (KHTML, like
    // Gecko)`), so splitting would corrupt it.
    let mut request = common.into_request("raw_path")?;
    // An ambiguous identity header fails the event: a handler never sees a bent identity.
    request.context = RequestContext::from_header_map(&request.headers)?;
    Ok(request)
}

#[derive(Serialize)]
struct EventV1<'a> {
    raw_path: String,
    method: &'a str,
    headers: JoinedHeaders<'a>,
    query_string_parameters: JoinedQuery<'a>,
    body: &'a str,
    is_base64_encoded: bool,
}

pub(super) fn encode(request: &LatticeRequest) -> Vec<u8> {
    let (body, is_base64_encoded) = request.event_body();
    let raw_path = request.event_path();
    let event = EventV1 {
        raw_path,
        method: request.method.as_str(),
        headers: JoinedHeaders(request),
        query_string_parameters: JoinedQuery(request),
        body: &body,
        is_base64_encoded,
    };
    serde_json::to_vec(&event).unwrap_or_default()
}

/// Headers as V1 carries them: repeated values joined with `", "`, plus the
/// Lattice identity headers derived from the context.
struct JoinedHeaders<'a>(&'a LatticeRequest);

impl Serialize for JoinedHeaders<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let request = self.0;
        let derived = request
            .context
            .as_ref()
            .map(RequestContext::lattice_headers)
            .unwrap_or_default();
        let mut map = serializer.serialize_map(None)?;
        for name in request.headers.keys() {
            if derived.iter().any(|(n, _)| *n == name.as_str()) {
                continue;
            }
            let joined: Vec<String> = request
                .headers
                .get_all(name)
                .iter()
                .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
                .collect();
            map.serialize_entry(name.as_str(), &joined.join(", "))?;
        }
        for (name, value) in &derived {
            map.serialize_entry(name, value)?;
        }
        map.end()
    }
}

/// Query as V1 carries it: one value per key (the last one, as Lattice does
/// for repeated keys).
struct JoinedQuery<'a>(&'a LatticeRequest);

impl Serialize for JoinedQuery<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let grouped = self.0.query.grouped();
        let mut map = serializer.serialize_map(Some(grouped.len()))?;
        for (key, values) in grouped {
            map.serialize_entry(key, values.last().copied().unwrap_or_default())?;
        }
        map.end()
    }
}
