//! The invocation payload (`aws lambda invoke --payload ...`) and the result it produces.

use std::collections::BTreeMap;

use lattice_lambda::client::{
    HeaderName, HeaderValue, Method, ServiceRequest, ServiceResponse, Url, join_path,
};
use serde::Serialize;
use serde_json::{Map, Value};

/// Why a payload cannot become a request.
#[derive(Debug, thiserror::Error)]
#[error("invalid payload: {0}")]
pub struct InvalidPayload(String);

/// Turns a payload into a request on `service_url`.
///
/// `null`, `{}` (and an empty payload, mapped to `{}` before this) mean `GET` on the URL;
/// otherwise the optional fields `method`, `path`, `query`, `headers` and `body` override it.
pub fn request_from_payload(
    service_url: &Url,
    payload: &Value,
) -> Result<ServiceRequest, InvalidPayload> {
    let fields = match payload {
        Value::Null => return Ok(ServiceRequest::get(service_url.clone())),
        Value::Object(fields) => fields,
        other => {
            return Err(InvalidPayload(format!(
                "expected a JSON object or null, got {}",
                json_kind(other)
            )));
        }
    };
    if let Some(unknown) = fields
        .keys()
        .find(|k| !matches!(k.as_str(), "method" | "path" | "query" | "headers" | "body"))
    {
        return Err(InvalidPayload(format!(
            "unknown field {unknown:?} (expected method, path, query, headers, body)"
        )));
    }

    let method = match fields.get("method") {
        None | Some(Value::Null) => Method::GET,
        Some(Value::String(m)) => Method::from_bytes(m.trim().to_ascii_uppercase().as_bytes())
            .map_err(|_| InvalidPayload(format!("method {m:?} is not an HTTP method")))?,
        Some(other) => return Err(field_type("method", "a string", other)),
    };

    let url = match fields.get("path") {
        None | Some(Value::Null) => service_url.clone(),
        Some(Value::String(path)) => {
            join_path(service_url, path).map_err(|e| InvalidPayload(format!("path: {e}")))?
        }
        Some(other) => return Err(field_type("path", "a string", other)),
    };

    let mut request = ServiceRequest::new(method, url);

    match fields.get("query") {
        None | Some(Value::Null) => {}
        Some(Value::Object(query)) => request = request.with_query(query_pairs(query)?),
        Some(other) => return Err(field_type("query", "an object", other)),
    }

    match fields.get("headers") {
        None | Some(Value::Null) => {}
        Some(Value::Object(headers)) => {
            for (name, value) in headers {
                let value = scalar_text(value)
                    .ok_or_else(|| InvalidPayload(format!("headers.{name} must be a string")))?;
                let name_ok = HeaderName::from_bytes(name.as_bytes())
                    .map_err(|_| InvalidPayload(format!("header name {name:?} is not valid")))?;
                let value_ok = HeaderValue::from_str(&value)
                    .map_err(|_| InvalidPayload(format!("header {name} has an invalid value")))?;
                request.headers_mut().append(name_ok, value_ok);
            }
        }
        Some(other) => return Err(field_type("headers", "an object", other)),
    }

    match fields.get("body") {
        None | Some(Value::Null) => {}
        Some(Value::String(body)) => request = request.with_body(body.clone()),
        // A JSON body given inline is sent as JSON text, typed as such unless the caller said otherwise.
        Some(json) => {
            request = request.with_body(json.to_string());
            if !request.headers().contains_key("content-type") {
                request
                    .headers_mut()
                    .insert("content-type", HeaderValue::from_static("application/json"));
            }
        }
    }
    Ok(request)
}

fn query_pairs(query: &Map<String, Value>) -> Result<Vec<(String, String)>, InvalidPayload> {
    let mut pairs = Vec::new();
    for (key, value) in query {
        match value {
            Value::Array(values) => {
                for v in values {
                    let text = scalar_text(v)
                        .ok_or_else(|| InvalidPayload(format!("query.{key} must hold strings")))?;
                    pairs.push((key.clone(), text));
                }
            }
            v => {
                let text = scalar_text(v).ok_or_else(|| {
                    InvalidPayload(format!("query.{key} must be a string or a list of strings"))
                })?;
                pairs.push((key.clone(), text));
            }
        }
    }
    Ok(pairs)
}

/// Strings as they are; numbers and booleans as their JSON text (`{"page": 2}` is meant as "2").
fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn field_type(field: &str, expected: &str, got: &Value) -> InvalidPayload {
    InvalidPayload(format!(
        "{field} must be {expected}, got {}",
        json_kind(got)
    ))
}

fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// The function's result, shaped like the reference setup's.
#[derive(Debug, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct CallResult {
    /// Upstream status, passed through (errors included).
    pub status_code: u16,
    /// `from EKS: ` and the upstream body.
    pub body: String,
    /// Upstream response headers (repeated ones joined with `, `).
    pub headers: BTreeMap<String, String>,
}

impl From<&ServiceResponse> for CallResult {
    fn from(response: &ServiceResponse) -> Self {
        let mut headers: BTreeMap<String, String> = BTreeMap::new();
        for (name, value) in &response.headers {
            let value = String::from_utf8_lossy(value.as_bytes());
            headers
                .entry(name.as_str().to_owned())
                .and_modify(|v| {
                    v.push_str(", ");
                    v.push_str(&value);
                })
                .or_insert_with(|| value.into_owned());
        }
        CallResult {
            status_code: response.status.as_u16(),
            body: format!("from EKS: {}", response.text()),
            headers,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn base() -> Url {
        Url::parse("https://svc.example.on.aws/app").unwrap()
    }

    #[test]
    fn null_and_empty_object_mean_get_on_the_url() {
        for payload in [Value::Null, json!({})] {
            let req = request_from_payload(&base(), &payload).unwrap();
            assert_eq!(req.method(), Method::GET);
            assert_eq!(req.url().as_str(), "https://svc.example.on.aws/app");
            assert!(req.body().is_empty());
        }
    }

    #[test]
    fn all_fields_override_the_request() {
        let payload = json!({
            "method": "post",
            "path": "/items",
            "query": {"tag": ["a", "b c"], "page": 2},
            "headers": {"content-type": "text/plain", "x-custom": "1"},
            "body": "hello"
        });
        let req = request_from_payload(&base(), &payload).unwrap();
        assert_eq!(req.method(), Method::POST);
        assert_eq!(
            req.url().as_str(),
            "https://svc.example.on.aws/app/items?page=2&tag=a&tag=b%20c"
        );
        assert_eq!(req.headers()["x-custom"], "1");
        assert_eq!(req.body().as_ref(), b"hello");
    }

    #[test]
    fn a_json_body_is_sent_as_json() {
        let req =
            request_from_payload(&base(), &json!({"method": "PUT", "body": {"k": [1]}})).unwrap();
        assert_eq!(req.body().as_ref(), br#"{"k":[1]}"#);
        assert_eq!(req.headers()["content-type"], "application/json");
    }

    #[test]
    fn bad_payloads_name_the_field() {
        for (payload, needle) in [
            (json!([1]), "object"),
            (json!({"verb": "GET"}), "verb"),
            (json!({"method": 7}), "method"),
            (json!({"method": "GE T"}), "method"),
            (json!({"path": "/x#y"}), "path"),
            (json!({"query": {"k": {"nested": 1}}}), "query.k"),
            (json!({"headers": {"bad name": "v"}}), "bad name"),
            (json!({"headers": {"x": "line\nbreak"}}), "header x"),
        ] {
            let err = request_from_payload(&base(), &payload).unwrap_err();
            assert!(err.to_string().contains(needle), "{payload}: {err}");
        }
    }

    #[test]
    fn result_prefixes_the_body_and_passes_the_status() {
        let mut headers = lattice_lambda::client::HeaderMap::new();
        headers.append("set-cookie", HeaderValue::from_static("a=1"));
        headers.append("set-cookie", HeaderValue::from_static("b=2"));
        let response = ServiceResponse {
            status: lattice_lambda::client::StatusCode::NOT_FOUND,
            headers,
            body: "Hello Bar EKS Pod!!".into(),
            attempts: 1,
        };
        let result = CallResult::from(&response);
        assert_eq!(
            serde_json::to_value(&result).unwrap(),
            json!({
                "statusCode": 404,
                "body": "from EKS: Hello Bar EKS Pod!!",
                "headers": {"set-cookie": "a=1, b=2"}
            })
        );
    }
}
