//! [`init_tracing`]: the `tracing` subscriber a Lambda function wants, with credentials kept
//! out of the logs.

/// Installs the `tracing` subscriber Lambda expects: log level from
/// `AWS_LAMBDA_LOG_LEVEL` (else `RUST_LOG`, else `INFO`), JSON lines when
/// `AWS_LAMBDA_LOG_FORMAT=JSON`, as `lambda_runtime`'s default subscriber does —
/// with one difference: `lambda_runtime` logs every raw event at `TRACE`,
/// headers and all (`authorization`, `x-amz-security-token`, `cookie`), so
/// that target is capped at `DEBUG` whatever the level. Credentials never
/// reach the logs.
///
/// Calling it twice, or after installing your own subscriber, changes nothing.
pub fn init_tracing() {
    use tracing_subscriber::EnvFilter;
    use tracing_subscriber::filter::LevelFilter;

    let level = std::env::var("AWS_LAMBDA_LOG_LEVEL")
        .or_else(|_| std::env::var("RUST_LOG"))
        .ok()
        .and_then(|level| level.parse::<LevelFilter>().ok())
        .unwrap_or(LevelFilter::INFO);
    let mut filter = EnvFilter::builder()
        .with_default_directive(level.into())
        .from_env_lossy();
    if let Ok(cap) = RAW_EVENT_LOG_CAP.parse() {
        filter = filter.add_directive(cap);
    }
    let subscriber = tracing_subscriber::fmt()
        .with_target(false)
        .without_time()
        // CloudWatch shows escape codes as text.
        .with_ansi(false)
        .with_env_filter(filter);
    let json = std::env::var("AWS_LAMBDA_LOG_FORMAT").is_ok_and(|f| f.eq_ignore_ascii_case("json"));
    // `try_init`: a second call (or a subscriber the caller installed) is not an error.
    let _ = if json {
        subscriber.json().try_init()
    } else {
        subscriber.try_init()
    };
}

/// The target where `lambda_runtime` logs raw events at `TRACE`, capped at `DEBUG`.
const RAW_EVENT_LOG_CAP: &str = "lambda_runtime::layers::api_response=debug";

#[cfg(test)]
mod tests {
    #[test]
    fn raw_event_log_cap_is_a_valid_directive() {
        let directive: Result<tracing_subscriber::filter::Directive, _> =
            super::RAW_EVENT_LOG_CAP.parse();
        assert!(directive.is_ok());
    }
}
