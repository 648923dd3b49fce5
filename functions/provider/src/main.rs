//! `provider`: the Lambda function a VPC Lattice target group (type `LAMBDA`) forwards to.
//!
//! This file only wires things together: configuration from the environment, graceful
//! shutdown, and the routes behind the library's allow-list layer, handed to
//! [`lattice_lambda::run_concurrent`], which decodes every Lattice event, logs one line per
//! request and encodes the response. With `AWS_LAMBDA_MAX_CONCURRENCY` above 1 (Lambda
//! Managed Instances, `cargo lambda watch`) several invocations are in flight at once;
//! otherwise one at a time.

mod config;
mod echo;
mod health;
mod hello;
mod routes;
mod whoami;

use lattice_lambda::access::{AccessLayer, AccessService, AllowList};
use lattice_lambda::lambda_runtime;
use tower::Layer as _;

use crate::config::{Config, ConfigError};
use crate::routes::{HEALTH_PATH, Provider};

/// What the shutdown hook logs; the integration tests look for it.
const SHUTDOWN_MESSAGE: &str = "provider shut down gracefully";

// A current-thread runtime starts faster and keeps the resident set smaller. It also serves
// concurrent invocations well: the handlers do no I/O and answer in microseconds, so one
// thread interleaves many in flight.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lattice_lambda::Error> {
    lattice_lambda::init_tracing();
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(error) => fail_init(&error).await,
    };
    tracing::info!(
        greeting_overridden = config.greeting != config::DEFAULT_GREETING,
        allowed_principals = entries(config.access.principals()),
        allowed_source_vpcs = entries(config.access.source_vpcs()),
        "provider configured"
    );

    lambda_runtime::spawn_graceful_shutdown_handler(|| async {
        // Nothing is buffered or held open; this is where a real service would flush.
        tracing::info!("{SHUTDOWN_MESSAGE}");
    })
    .await;

    lattice_lambda::run_concurrent(http_service(config)).await
}

/// The routes behind the allow-lists (`/health` stays open).
fn http_service(config: Config) -> AccessService<Provider> {
    AccessLayer::new(config.access.clone())
        .open_path(HEALTH_PATH)
        .layer(Provider::new(config))
}

/// How many entries an allow-list has (0 when it is not configured), for the startup log.
fn entries(list: Option<&AllowList>) -> usize {
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

#[cfg(test)]
mod tests {
    use http::StatusCode;
    use lattice_lambda::Body;
    use lattice_lambda::access::AccessPolicy;
    use lattice_lambda::testing::EventBuilder;
    use tower::ServiceExt as _;

    use super::*;

    async fn status(service: &AccessService<Provider>, request: http::Request<Body>) -> StatusCode {
        let Ok(response) = service.clone().oneshot(request).await;
        response.status()
    }

    #[tokio::test]
    async fn denied_callers_get_403_everywhere_but_health() {
        let list = AllowList::parse("arn:aws:iam::123456789012:role/allowed").expect("valid");
        let service = http_service(Config {
            access: AccessPolicy::default().with_principals(list),
            ..Config::default()
        });
        for path in ["/", "/whoami", "/echo", "/does-not-exist"] {
            let request = EventBuilder::get(path).build_http();
            assert_eq!(
                status(&service, request).await,
                StatusCode::FORBIDDEN,
                "{path}"
            );
        }
        let health = EventBuilder::get(HEALTH_PATH).build_http();
        assert_eq!(status(&service, health).await, StatusCode::OK);
        let allowed = EventBuilder::get("/")
            .iam_principal("arn:aws:iam::123456789012:role/allowed")
            .build_http();
        assert_eq!(status(&service, allowed).await, StatusCode::OK);
    }
}
