//! `provider`: the Lambda function a VPC Lattice target group (type `LAMBDA`) forwards to.
//!
//! This file only wires things together: configuration from the environment, graceful
//! shutdown, and the routes handed to [`lattice_lambda::run`], which decodes every Lattice
//! event, logs one line per request and encodes the response.

mod access;
mod config;
mod echo;
mod health;
mod hello;
mod routes;
mod whoami;

use std::convert::Infallible;

use lattice_lambda::lambda_runtime;

use crate::config::{Config, ConfigError};
use crate::routes::Provider;

/// What the shutdown hook logs; the integration tests look for it.
const SHUTDOWN_MESSAGE: &str = "provider shut down gracefully";

// One invocation at a time needs no worker threads: a current-thread runtime starts faster
// and keeps the resident set smaller.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lattice_lambda::Error> {
    lattice_lambda::init_tracing();
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(error) => fail_init(&error).await,
    };
    tracing::info!(
        greeting_overridden = config.greeting != config::DEFAULT_GREETING,
        allowed_principals = entries(config.access.principals.as_ref()),
        allowed_source_vpcs = entries(config.access.source_vpcs.as_ref()),
        "provider configured"
    );

    lambda_runtime::spawn_graceful_shutdown_handler(|| async {
        // Nothing is buffered or held open; this is where a real service would flush.
        tracing::info!("{SHUTDOWN_MESSAGE}");
    })
    .await;

    let provider = Provider::new(config);
    lattice_lambda::run(lattice_lambda::service_fn(move |request| {
        std::future::ready(Ok::<_, Infallible>(provider.handle(request)))
    }))
    .await
}

/// How many entries an allow-list has (0 when it is not configured), for the startup log.
fn entries(list: Option<&access::AllowList>) -> usize {
    list.map_or(0, |list| list.patterns().len())
}

/// Reports a configuration error as the init error, logs it, and exits non-zero: serving
/// with an allow-list other than the one written would be worse than not serving.
async fn fail_init(error: &ConfigError) -> ! {
    tracing::error!(%error, "invalid configuration");
    if let Err(report) =
        lattice_lambda::report_init_error(ConfigError::ERROR_TYPE, &error.to_string()).await
    {
        tracing::error!(error = %report, "could not report the init error");
    }
    std::process::exit(1)
}
