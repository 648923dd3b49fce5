//! `eks-client`: a VPC-attached Lambda function that calls an EKS-backed service behind
//! Amazon VPC Lattice and returns what it answered.
//!
//! Configuration (`LATTICE_SERVICE_URL`, `LATTICE_SIGNING`, `LATTICE_TIMEOUT_MS`,
//! `LATTICE_RETRIES`, `LATTICE_CA_BUNDLE`) is read once at init; a bad value fails init with a
//! message naming the variable, and so does a signed `http://` service URL that the proxy
//! variables would route through a proxy. Logging is `lattice_lambda::init_tracing`, which
//! never logs raw payloads, whatever `AWS_LAMBDA_LOG_LEVEL` says. See docs/eks-client.md.

mod payload;

use std::sync::Arc;

use bytes::Bytes;
use lambda_runtime::tower::util::MapRequestLayer;
use lambda_runtime::{Diagnostic, LambdaEvent, LambdaInvocation, Runtime, layers, service_fn};
use lattice_lambda::client::{
    CallContext, ClientError, ConfigError, ENV_SERVICE_URL, EnvConfig, FailureKind, LatticeClient,
};
use serde_json::Value;

use crate::payload::{CallResult, InvalidPayload, request_from_payload};

/// What the function needs in every invocation, built once at init.
struct Function {
    config: EnvConfig,
    client: LatticeClient,
}

/// Why an invocation failed; becomes the Lambda function error.
#[derive(Debug, thiserror::Error)]
enum InvocationError {
    #[error(transparent)]
    Payload(#[from] InvalidPayload),
    #[error(transparent)]
    Upstream(#[from] ClientError),
}

impl From<InvocationError> for Diagnostic {
    fn from(error: InvocationError) -> Self {
        let error_type = match &error {
            InvocationError::Payload(_) => "InvalidPayload",
            InvocationError::Upstream(e) => match e.kind() {
                FailureKind::Unavailable => "UpstreamUnavailable",
                FailureKind::Timeout => "UpstreamTimeout",
                FailureKind::InvalidRequest => "InvalidRequest",
            },
        };
        Diagnostic {
            error_type: error_type.to_owned(),
            error_message: error.to_string(),
        }
    }
}

/// Why init failed; reported as `InvalidConfiguration`.
#[derive(Debug, thiserror::Error)]
enum InitError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("{ENV_SERVICE_URL}: {0}")]
    Destination(#[from] ClientError),
}

fn init() -> Result<Function, InitError> {
    let config = EnvConfig::from_env()?;
    let client = config.client_builder().build()?;
    // Every call would be refused; say so once, at init, naming the setting.
    client.check_destination(&config.service_url)?;
    Ok(Function { config, client })
}

async fn handle(
    function: &Function,
    event: LambdaEvent<Value>,
) -> Result<CallResult, InvocationError> {
    let request = request_from_payload(&function.config.service_url, &event.payload)?;
    let context = CallContext::from(&event.context);
    let response = function.client.send(&request, &context).await?;
    tracing::info!(
        status = response.status.as_u16(),
        attempts = response.attempts,
        "upstream answered"
    );
    Ok(CallResult::from(&response))
}

/// `aws lambda invoke` without `--payload` delivers an empty body, which is not JSON; it means
/// the same as `{}`.
fn empty_payload_as_empty_object(mut invocation: LambdaInvocation) -> LambdaInvocation {
    if invocation.body.iter().all(u8::is_ascii_whitespace) {
        invocation.body = Bytes::from_static(b"{}");
    }
    invocation
}

#[tokio::main]
async fn main() {
    lattice_lambda::init_tracing();

    let function = match init() {
        Ok(function) => Arc::new(function),
        Err(error) => {
            let message = error.to_string();
            tracing::error!(error = message.as_str(), "init failed");
            if let Err(report) =
                lattice_lambda::report_init_error("InvalidConfiguration", &message).await
            {
                tracing::error!(error = %report, "could not report the init error");
            }
            std::process::exit(1);
        }
    };
    tracing::info!(
        service_url = function.config.service_url.as_str(),
        signing = %function.client.signing(),
        "eks-client ready"
    );

    let handler = service_fn(move |event: LambdaEvent<Value>| {
        let function = Arc::clone(&function);
        async move { handle(&function, event).await }
    });
    let runtime = Runtime::new(handler)
        .layer(layers::TracingLayer::new())
        .layer(MapRequestLayer::new(empty_payload_as_empty_object));
    if let Err(error) = runtime.run().await {
        tracing::error!(error = %error, "runtime stopped");
        std::process::exit(1);
    }
}
