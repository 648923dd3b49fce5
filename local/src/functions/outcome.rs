//! What an invoke takes besides the payload, and what it gives back.

use bytes::Bytes;

use super::error::InvokeError;
use crate::runtime_api::{FunctionError, InvocationResult};

/// Optional per-invocation values; all default to what Lambda would generate.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InvokeOptions {
    /// Request id (default: a fresh UUID).
    pub request_id: Option<String>,
    /// X-Ray trace header (default: a fresh `Root=1-…`).
    pub trace_id: Option<String>,
    /// Client context JSON (`Lambda-Runtime-Client-Context`).
    pub client_context: Option<String>,
    /// Cognito identity JSON (`Lambda-Runtime-Cognito-Identity`).
    pub cognito_identity: Option<String>,
}

/// An invocation and, when asked for ([`FunctionPool::invoke_logged`]), its log.
///
/// [`FunctionPool::invoke_logged`]: super::FunctionPool::invoke_logged
#[derive(Debug)]
pub struct Invoked {
    /// What [`FunctionPool::invoke`](super::FunctionPool::invoke) returns.
    pub result: Result<InvokeOutcome, InvokeError>,
    /// The log as Lambda writes it (`START` … `REPORT`), if an instance ran the invocation.
    pub log: Option<String>,
}

/// A finished invocation: the function answered, with a response or an error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InvokeOutcome {
    /// The response payload, exactly as the function posted it.
    Response(Bytes),
    /// The error the function posted (handler error, panic, oversized response).
    FunctionError(FunctionError),
}

impl InvokeOutcome {
    /// The response payload, if the function succeeded.
    pub fn response(&self) -> Option<&Bytes> {
        match self {
            Self::Response(body) => Some(body),
            Self::FunctionError(_) => None,
        }
    }
}

impl From<InvocationResult> for InvokeOutcome {
    fn from(result: InvocationResult) -> Self {
        match result {
            InvocationResult::Response(body) => Self::Response(body),
            InvocationResult::Error(error) => Self::FunctionError(error),
        }
    }
}
