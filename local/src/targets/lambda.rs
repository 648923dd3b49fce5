//! `LAMBDA` target groups: HTTP request -> Lattice event (V1 or V2, built by
//! `lattice_lambda`) -> a warm function process -> Lattice response -> HTTP.

use bytes::Bytes;
use http::request::Parts;
use http_body_util::Full;
use lattice_lambda::{
    EventVersion, IDENTITY_HEADER, LatticeRequest, LatticeResponse, NETWORK_HEADER, RequestContext,
    ResponseError, TARGET_HEADER,
};

use super::observer::{ExchangeObserver, Observer};
use super::{ClientInfo, apply_lattice_headers, strip_hop_by_hop};
use crate::functions::{FunctionPool, InvokeError, InvokeOptions, InvokeOutcome};
use crate::net::limits::MAX_PAYLOAD_BYTES;
use crate::runtime_api::new_uuid;

/// Why a Lambda target could not produce a response (Lattice answers `502`).
#[derive(Debug, thiserror::Error)]
pub enum LambdaTargetError {
    /// The function could not answer: crash, timeout, init failure, …
    #[error("function {function} failed: {source}")]
    Invoke {
        /// Function name.
        function: String,
        /// What the pool reported.
        source: InvokeError,
    },
    /// The function reported an error instead of a response.
    #[error("function {function} returned an error: {error_type}: {error_message}")]
    FunctionError {
        /// Function name.
        function: String,
        /// `errorType`.
        error_type: String,
        /// `errorMessage`.
        error_message: String,
    },
    /// The event built from the request is over the Lambda invoke payload limit.
    #[error(
        "the event for function {function} is {size} bytes, over the {MAX_PAYLOAD_BYTES}-byte Lambda invoke limit"
    )]
    EventTooLarge {
        /// Function name.
        function: String,
        /// The event's size.
        size: usize,
    },
    /// The function's response is not a Lattice response.
    #[error("function {function} returned a malformed Lattice response: {source}")]
    MalformedResponse {
        /// Function name.
        function: String,
        /// What is wrong with it.
        source: ResponseError,
    },
}

/// A target group of type `LAMBDA`: one function and an event structure version.
#[derive(Clone, Debug)]
pub struct LambdaTarget {
    pool: FunctionPool,
    event_version: EventVersion,
}

impl LambdaTarget {
    /// Forwards to `pool` with events of `event_version`.
    pub fn new(pool: FunctionPool, event_version: EventVersion) -> Self {
        LambdaTarget {
            pool,
            event_version,
        }
    }

    /// The function's name.
    pub fn function_name(&self) -> &str {
        self.pool.name()
    }

    /// The event structure version of the target group.
    pub fn event_version(&self) -> EventVersion {
        self.event_version
    }

    /// The request as the function will see it: Lattice's headers replace any
    /// the client sent, the context carries the ARNs and the verified caller.
    pub fn lattice_request(
        &self,
        parts: &Parts,
        body: Bytes,
        context: RequestContext,
        client: &ClientInfo,
    ) -> LatticeRequest {
        let path_and_query = parts.uri.path_and_query().map_or("/", |p| p.as_str());
        let mut request =
            LatticeRequest::new(self.event_version, parts.method.clone(), path_and_query);
        let mut headers = parts.headers.clone();
        strip_hop_by_hop(&mut headers);
        apply_lattice_headers(&mut headers, &context, client);
        if self.event_version == EventVersion::V2 {
            // V2 carries the caller, network and target in `requestContext`; Lattice's V2
            // events have no headers for them (the User Guide's V2 example, `events/v2-*.json`).
            for name in [IDENTITY_HEADER, NETWORK_HEADER, TARGET_HEADER] {
                headers.remove(name);
            }
        }
        if let Some(observer) = Observer::of(parts) {
            observer.forwarded(&headers);
        }
        request.headers = headers;
        request.body = body.into();
        request.context = Some(context);
        request
    }

    /// The event JSON for `request`, in this group's version.
    pub fn event_json(&self, request: &LatticeRequest) -> Vec<u8> {
        request.to_event_json(self.event_version)
    }

    /// Invokes the function and decodes its response. With an `observer` (the inspector is
    /// on), the event, the function's answer and its log for this invocation are recorded.
    pub async fn call(
        &self,
        request: &LatticeRequest,
        observer: Option<&dyn ExchangeObserver>,
    ) -> Result<http::Response<Full<Bytes>>, LambdaTargetError> {
        let function = || self.pool.name().to_owned();
        let payload = Bytes::from(self.event_json(request));
        // Lambda limits the payload, not the body: base64 and the headers can push an event
        // built from a body under the limit over it.
        if payload.len() > MAX_PAYLOAD_BYTES {
            return Err(LambdaTargetError::EventTooLarge {
                function: function(),
                size: payload.len(),
            });
        }
        let Some(observer) = observer else {
            let outcome = self.pool.invoke(payload, InvokeOptions::default()).await;
            return self.decode(outcome);
        };
        let request_id = new_uuid();
        observer.lambda_event(
            self.function_name(),
            self.event_version,
            &request_id,
            &payload,
        );
        let options = InvokeOptions {
            request_id: Some(request_id),
            ..InvokeOptions::default()
        };
        let invoked = self.pool.invoke_logged(payload, options).await;
        let answer = match &invoked.result {
            Ok(InvokeOutcome::Response(json)) => Ok(&json[..]),
            Ok(InvokeOutcome::FunctionError(error)) => {
                Err(format!("{}: {}", error.error_type, error.error_message))
            }
            Err(error) => Err(error.to_string()),
        };
        observer.lambda_answer(answer, invoked.log);
        self.decode(invoked.result)
    }

    /// The response an invocation's outcome makes, or why there is none.
    // The error is `call`'s own (the async `call` is not linted for its size): one error type.
    #[allow(clippy::result_large_err)]
    fn decode(
        &self,
        outcome: Result<InvokeOutcome, InvokeError>,
    ) -> Result<http::Response<Full<Bytes>>, LambdaTargetError> {
        let function = || self.pool.name().to_owned();
        let outcome = outcome.map_err(|source| LambdaTargetError::Invoke {
            function: function(),
            source,
        })?;
        let json = match outcome {
            InvokeOutcome::Response(json) => json,
            InvokeOutcome::FunctionError(error) => {
                return Err(LambdaTargetError::FunctionError {
                    function: function(),
                    error_type: error.error_type,
                    error_message: error.error_message,
                });
            }
        };
        let malformed = |source| LambdaTargetError::MalformedResponse {
            function: function(),
            source,
        };
        let response = LatticeResponse::from_slice(&json)
            .map_err(malformed)?
            .into_http()
            .map_err(malformed)?;
        Ok(response.map(|body| Full::new(body.into_bytes())))
    }
}
