//! The JSON shapes Lattice sends, read leniently where real events vary.
//!
//! One superset struct reads both versions in a single pass; `mod.rs` then
//! dispatches explicitly on which keys were present. We do not use
//! `aws_lambda_events::vpc_lattice::VpcLatticeRequest` for this: its untagged
//! enum accepts any object (even `{}`) as V1, its V1 headers are split on
//! commas (breaking values such as `Mozilla/5.0 (KHTML, like Gecko)`), and its
//! V2 headers must be lists although real events sometimes carry plain
//! strings. Its V2 request context is right but knows one spelling per identity
//! key, while AWS documents others too (Powertools' schema: `principalOrgId`,
//! `X509SubjectCn`, …), and it has no `principalOrgPath`; so the context is read
//! here, into the same shape. The tests decode the sample events and our own
//! output with `aws_lambda_events`' types as an independent reader.

use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};

/// Every key either version may carry. Unknown keys are ignored.
#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct RawEvent {
    pub version: Option<String>,
    pub path: Option<String>,
    pub raw_path: Option<String>,
    pub method: Option<String>,
    pub headers: Option<Pairs>,
    #[serde(rename = "queryStringParameters")]
    pub query_v2: Option<Pairs>,
    #[serde(rename = "query_string_parameters")]
    pub query_v1: Option<Pairs>,
    pub body: Option<String>,
    #[serde(rename = "isBase64Encoded")]
    pub base64_v2: Flag,
    #[serde(rename = "is_base64_encoded")]
    pub base64_v1: Flag,
    #[serde(rename = "requestContext")]
    pub request_context: Option<RawContext>,
}

/// `requestContext` of a V2 event: every ARN, the region and the time are required.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RawContext {
    pub service_network_arn: String,
    pub service_arn: String,
    pub target_group_arn: String,
    #[serde(default)]
    pub identity: Option<RawIdentity>,
    pub region: String,
    pub time_epoch: String,
}

/// `requestContext.identity`, in every spelling AWS documents. Two spellings of one key in
/// the same event are a "duplicate field" error, never a silent choice between them.
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RawIdentity {
    pub source_vpc_arn: Option<String>,
    #[serde(rename = "type")]
    pub identity_type: Option<String>,
    pub principal: Option<String>,
    #[serde(rename = "principalOrgID", alias = "principalOrgId")]
    pub principal_org_id: Option<String>,
    pub principal_org_path: Option<String>,
    pub session_name: Option<String>,
    #[serde(rename = "x509IssuerOu", alias = "X509IssuerOu")]
    pub x509_issuer_ou: Option<String>,
    #[serde(rename = "x509SanDns", alias = "X509SanDns")]
    pub x509_san_dns: Option<String>,
    #[serde(rename = "x509SanNameCn", alias = "X509SanNameCn")]
    pub x509_san_name_cn: Option<String>,
    #[serde(rename = "x509SanUri", alias = "X509SanUri")]
    pub x509_san_uri: Option<String>,
    #[serde(rename = "x509SubjectCn", alias = "X509SubjectCn")]
    pub x509_subject_cn: Option<String>,
}

/// A JSON object read as ordered `(key, values)` pairs; a value may be a
/// string, a list of strings, or null (no values).
#[derive(Default, Debug)]
pub(crate) struct Pairs(pub Vec<(String, Vec<String>)>);

impl<'de> Deserialize<'de> for Pairs {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct PairsVisitor;
        impl<'de> Visitor<'de> for PairsVisitor {
            type Value = Pairs;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object of strings or lists of strings")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Pairs, A::Error> {
                let mut pairs = Vec::with_capacity(map.size_hint().unwrap_or(8));
                while let Some((key, Values(values))) = map.next_entry::<String, Values>()? {
                    pairs.push((key, values));
                }
                Ok(Pairs(pairs))
            }
        }
        deserializer.deserialize_map(PairsVisitor)
    }
}

/// One value, several values, or none.
struct Values(Vec<String>);

impl<'de> Deserialize<'de> for Values {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ValuesVisitor;
        impl<'de> Visitor<'de> for ValuesVisitor {
            type Value = Values;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string, a list of strings, or null")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Values, E> {
                Ok(Values(vec![v.to_owned()]))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Values, E> {
                Ok(Values(vec![v]))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Values, E> {
                Ok(Values(Vec::new()))
            }
            fn visit_none<E: de::Error>(self) -> Result<Values, E> {
                Ok(Values(Vec::new()))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Values, A::Error> {
                let mut values = Vec::with_capacity(seq.size_hint().unwrap_or(1));
                while let Some(value) = seq.next_element::<String>()? {
                    values.push(value);
                }
                Ok(Values(values))
            }
        }
        deserializer.deserialize_any(ValuesVisitor)
    }
}

/// `isBase64Encoded`: a boolean, or the strings `"true"`/`"false"` (the AWS
/// documentation's V1 template shows a string), or null.
#[derive(Default, Debug, Clone, Copy)]
pub(crate) struct Flag(pub Option<bool>);

impl<'de> Deserialize<'de> for Flag {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct FlagVisitor;
        impl<'de> Visitor<'de> for FlagVisitor {
            type Value = Flag;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a boolean or \"true\"/\"false\"")
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Flag, E> {
                Ok(Flag(Some(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Flag, E> {
                if v.eq_ignore_ascii_case("true") {
                    Ok(Flag(Some(true)))
                } else if v.eq_ignore_ascii_case("false") {
                    Ok(Flag(Some(false)))
                } else {
                    Err(E::invalid_value(de::Unexpected::Str(v), &self))
                }
            }
            fn visit_unit<E: de::Error>(self) -> Result<Flag, E> {
                Ok(Flag(None))
            }
            fn visit_none<E: de::Error>(self) -> Result<Flag, E> {
                Ok(Flag(None))
            }
        }
        deserializer.deserialize_any(FlagVisitor)
    }
}
