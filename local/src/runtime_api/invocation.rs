//! What goes into a function instance (an [`Invocation`]) and what comes back
//! ([`InvocationResult`], [`FunctionError`]).

use std::time::SystemTime;

use bytes::Bytes;
use http::HeaderValue;
use serde::{Deserialize, Serialize};

/// A header value given for an invocation is not a valid HTTP header value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{header} is not a valid HTTP header value")]
pub struct InvalidHeader {
    /// The Runtime API header the value was meant for.
    pub header: &'static str,
}

fn header_value(header: &'static str, value: &str) -> Result<HeaderValue, InvalidHeader> {
    HeaderValue::from_str(value).map_err(|_| InvalidHeader { header })
}

/// One event handed to a function instance through `GET /runtime/invocation/next`.
///
/// Header values are validated when the invocation is built, so serving it cannot fail.
#[derive(Debug, Clone)]
pub struct Invocation {
    pub(crate) request_id: String,
    pub(crate) request_id_header: HeaderValue,
    pub(crate) payload: Bytes,
    pub(crate) deadline_ms: u64,
    pub(crate) invoked_function_arn: HeaderValue,
    pub(crate) trace_id: HeaderValue,
    pub(crate) client_context: Option<HeaderValue>,
    pub(crate) cognito_identity: Option<HeaderValue>,
}

impl Invocation {
    /// An invocation of `invoked_function_arn` with `payload`, due by `deadline`.
    /// A fresh X-Ray trace id is attached; replace it with [`Invocation::with_trace_id`].
    pub fn new(
        request_id: impl Into<String>,
        payload: Bytes,
        deadline: SystemTime,
        invoked_function_arn: HeaderValue,
    ) -> Result<Self, InvalidHeader> {
        let request_id = request_id.into();
        let request_id_header = header_value("Lambda-Runtime-Aws-Request-Id", &request_id)?;
        let deadline_ms = deadline
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
        let trace_id = header_value("Lambda-Runtime-Trace-Id", &super::ids::new_trace_id())?;
        Ok(Self {
            request_id,
            request_id_header,
            payload,
            deadline_ms,
            invoked_function_arn,
            trace_id,
            client_context: None,
            cognito_identity: None,
        })
    }

    /// Use `trace_id` as `Lambda-Runtime-Trace-Id`.
    pub fn with_trace_id(mut self, trace_id: &str) -> Result<Self, InvalidHeader> {
        self.trace_id = header_value("Lambda-Runtime-Trace-Id", trace_id)?;
        Ok(self)
    }

    /// Pass `client_context` (JSON text) as `Lambda-Runtime-Client-Context`.
    pub fn with_client_context(mut self, client_context: &str) -> Result<Self, InvalidHeader> {
        self.client_context = Some(header_value(
            "Lambda-Runtime-Client-Context",
            client_context,
        )?);
        Ok(self)
    }

    /// Pass `cognito_identity` (JSON text) as `Lambda-Runtime-Cognito-Identity`.
    pub fn with_cognito_identity(mut self, cognito_identity: &str) -> Result<Self, InvalidHeader> {
        self.cognito_identity = Some(header_value(
            "Lambda-Runtime-Cognito-Identity",
            cognito_identity,
        )?);
        Ok(self)
    }

    /// The request id the function sees.
    pub fn request_id(&self) -> &str {
        &self.request_id
    }

    /// The deadline in milliseconds since the Unix epoch (`Lambda-Runtime-Deadline-Ms`).
    pub fn deadline_ms(&self) -> u64 {
        self.deadline_ms
    }
}

/// How an invocation ended, as the function reported it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InvocationResult {
    /// The body the function posted to `/invocation/{id}/response`.
    Response(Bytes),
    /// The error the function posted to `/invocation/{id}/error` (or a response the
    /// Runtime API refused, such as one over the payload limit).
    Error(FunctionError),
}

/// An error a function reported through the Runtime API (`/invocation/{id}/error` or
/// `/init/error`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionError {
    /// `errorType` from the body, else the `Lambda-Runtime-Function-Error-Type` header.
    pub error_type: String,
    /// `errorMessage` from the body, else the body as text.
    pub error_message: String,
    /// The `Lambda-Runtime-Function-Error-Type` header, if the function sent one.
    pub header_error_type: Option<String>,
    /// The body exactly as posted.
    pub body: Bytes,
}

/// The JSON body of an error posted by a runtime, and of the Runtime API's own errors.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ErrorBody {
    #[serde(default)]
    pub(crate) error_type: Option<String>,
    #[serde(default)]
    pub(crate) error_message: Option<String>,
}

impl FunctionError {
    /// Read an error as a runtime posts it: `{"errorType","errorMessage"}` plus an optional
    /// error-type header. Bodies that are not that JSON are kept as the message.
    pub fn from_posted(header_error_type: Option<String>, body: Bytes) -> Self {
        let parsed = serde_json::from_slice::<ErrorBody>(&body).ok();
        let (body_type, body_message) =
            parsed.map_or((None, None), |b| (b.error_type, b.error_message));
        let error_type = body_type
            .or_else(|| header_error_type.clone())
            .unwrap_or_else(|| "Unhandled".to_owned());
        let error_message =
            body_message.unwrap_or_else(|| String::from_utf8_lossy(&body).into_owned());
        Self {
            error_type,
            error_message,
            header_error_type,
            body,
        }
    }

    /// An error raised by the Runtime API itself on the function's behalf.
    pub(crate) fn synthesized(error_type: &str, error_message: String) -> Self {
        let body = serde_json::to_vec(&ErrorBody {
            error_type: Some(error_type.to_owned()),
            error_message: Some(error_message.clone()),
        })
        .map(Bytes::from)
        .unwrap_or_default();
        Self {
            error_type: error_type.to_owned(),
            error_message,
            header_error_type: None,
            body,
        }
    }
}

/// Who the function is: the values the Runtime and Extensions APIs report about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionIdentity {
    /// Function name.
    pub name: String,
    /// Function version (`$LATEST` locally).
    pub version: String,
    /// The `_HANDLER` value.
    pub handler: String,
    /// AWS account id the ARN is built for.
    pub account_id: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn posted_errors_prefer_the_body_and_fall_back_to_the_header() {
        let e = FunctionError::from_posted(
            Some("unhandled".into()),
            Bytes::from_static(br#"{"errorType":"MyError","errorMessage":"boom"}"#),
        );
        assert_eq!(
            (e.error_type.as_str(), e.error_message.as_str()),
            ("MyError", "boom")
        );
        assert_eq!(e.header_error_type.as_deref(), Some("unhandled"));

        let e = FunctionError::from_posted(
            Some("Runtime.Custom".into()),
            Bytes::from_static(b"not json"),
        );
        assert_eq!(
            (e.error_type.as_str(), e.error_message.as_str()),
            ("Runtime.Custom", "not json")
        );

        let e = FunctionError::from_posted(None, Bytes::new());
        assert_eq!(e.error_type, "Unhandled");
    }

    #[test]
    fn invalid_header_values_are_named() {
        let arn = HeaderValue::from_static("arn:aws:lambda:us-east-1:000000000000:function:f");
        let err =
            Invocation::new("bad\nid", Bytes::new(), SystemTime::now(), arn.clone()).unwrap_err();
        assert_eq!(err.header, "Lambda-Runtime-Aws-Request-Id");
        let inv = Invocation::new("id", Bytes::new(), SystemTime::now(), arn).unwrap();
        let err = inv.with_client_context("a\u{7f}").unwrap_err();
        assert_eq!(err.header, "Lambda-Runtime-Client-Context");
    }
}
