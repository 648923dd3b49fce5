//! [`init_tracing`]: the `tracing` subscriber a Lambda function wants, with credentials kept
//! out of the logs.
//!
//! The filter is `tracing_subscriber`'s `Targets` (`target=level` directives) rather than
//! `EnvFilter`: Lambda's log controls set a level, and `EnvFilter`'s span and field
//! directives need a regex engine that is about a tenth of a small function's binary.

use tracing_subscriber::filter::{LevelFilter, Targets};

/// Installs the `tracing` subscriber Lambda expects, as `lambda_runtime`'s default
/// subscriber does: text lines, or JSON lines when `AWS_LAMBDA_LOG_FORMAT=JSON`; no
/// timestamps (CloudWatch adds them) and no colours.
///
/// The level is `AWS_LAMBDA_LOG_LEVEL` (Lambda's advanced logging controls), else the level
/// in `RUST_LOG`, else `INFO`. `RUST_LOG` may also hold `target=level` directives
/// (`info,my_function=debug,hyper=warn`); invalid ones are ignored.
///
/// One difference from `lambda_runtime`'s subscriber: `lambda_runtime` logs every raw
/// event at `TRACE`, headers and all (`authorization`, `x-amz-security-token`, `cookie`),
/// so that target is capped at `DEBUG` whatever the level. Credentials never reach the
/// logs.
///
/// Calling it twice, or after installing your own subscriber, changes nothing.
pub fn init_tracing() {
    use tracing_subscriber::layer::SubscriberExt as _;
    use tracing_subscriber::util::SubscriberInitExt as _;

    let filter = log_filter();
    let json = std::env::var("AWS_LAMBDA_LOG_FORMAT").is_ok_and(|f| f.eq_ignore_ascii_case("json"));
    // No timestamps (CloudWatch adds them) and no escape codes (CloudWatch shows them as text).
    let lines = tracing_subscriber::fmt::layer()
        .with_target(false)
        .without_time()
        .with_ansi(false);
    let registry = tracing_subscriber::registry().with(filter);
    // `try_init`: a second call (or a subscriber the caller installed) is not an error.
    let _ = match json {
        true => registry.with(lines.json()).try_init(),
        false => registry.with(lines).try_init(),
    };
}

/// The filter [`init_tracing`] installs, for a subscriber of your own (with an
/// OpenTelemetry layer, say): add it to the registry as a global filter, so that every
/// layer gets the level from `AWS_LAMBDA_LOG_LEVEL` / `RUST_LOG` and none of them records
/// `lambda_runtime`'s raw events, which carry the callers' credentials.
///
/// ```no_run
/// use tracing_subscriber::layer::SubscriberExt as _;
/// use tracing_subscriber::util::SubscriberInitExt as _;
///
/// tracing_subscriber::registry()
///     .with(lattice_lambda::log_filter())
///     .with(tracing_subscriber::fmt::layer().without_time().with_ansi(false))
///     // .with(tracing_opentelemetry::layer().with_tracer(tracer))
///     .init();
/// ```
pub fn log_filter() -> Targets {
    filter(
        std::env::var("AWS_LAMBDA_LOG_LEVEL").ok().as_deref(),
        std::env::var("RUST_LOG").ok().as_deref(),
    )
}

/// The filter for `AWS_LAMBDA_LOG_LEVEL` and `RUST_LOG` (as read from the environment).
fn filter(lambda_level: Option<&str>, rust_log: Option<&str>) -> Targets {
    let directives: Vec<Targets> = rust_log
        .into_iter()
        .flat_map(|value| value.split(','))
        .filter_map(|directive| directive.trim().parse::<Targets>().ok())
        .collect();
    let level = lambda_level
        .and_then(|level| level.trim().parse::<LevelFilter>().ok())
        .or_else(|| directives.iter().rev().find_map(Targets::default_level))
        .unwrap_or(LevelFilter::INFO);
    Targets::new()
        .with_targets(directives.iter().flat_map(Targets::iter))
        .with_default(level)
        // Last, so that it replaces any directive for the same target.
        .with_target(RAW_EVENT_TARGET, LevelFilter::DEBUG)
}

/// Where `lambda_runtime` logs raw events at `TRACE`; capped at `DEBUG`.
const RAW_EVENT_TARGET: &str = "lambda_runtime::layers::api_response";

#[cfg(test)]
mod tests {
    use tracing::Level;

    use super::*;

    fn enabled(filter: &Targets, target: &str, level: Level) -> bool {
        filter.would_enable(target, &level)
    }

    #[test]
    fn the_lambda_level_wins_then_rust_log_then_info() {
        let filter = filter(Some("WARN"), Some("debug"));
        assert!(!enabled(&filter, "my_function", Level::INFO));
        assert!(enabled(&filter, "my_function", Level::WARN));

        let filter = super::filter(None, Some("debug"));
        assert!(enabled(&filter, "my_function", Level::DEBUG));

        let filter = super::filter(None, None);
        assert!(enabled(&filter, "my_function", Level::INFO));
        assert!(!enabled(&filter, "my_function", Level::DEBUG));
    }

    #[test]
    fn rust_log_targets_apply_and_invalid_directives_are_ignored() {
        let filter = filter(
            None,
            Some("warn,my_function=debug,not a directive=,hyper=error"),
        );
        assert!(enabled(&filter, "my_function::db", Level::DEBUG));
        assert!(!enabled(&filter, "hyper::proto", Level::WARN));
        assert!(enabled(&filter, "other", Level::WARN));
        assert!(!enabled(&filter, "other", Level::INFO));
    }

    #[test]
    fn raw_events_stay_capped_at_debug_whatever_is_asked() {
        for rust_log in [
            "trace",
            "lambda_runtime=trace",
            "lambda_runtime::layers::api_response=trace",
        ] {
            let filter = filter(Some("TRACE"), Some(rust_log));
            assert!(
                !enabled(&filter, RAW_EVENT_TARGET, Level::TRACE),
                "{rust_log}"
            );
            assert!(
                enabled(&filter, RAW_EVENT_TARGET, Level::DEBUG),
                "{rust_log}"
            );
        }
    }
}
