//! When to retry, how long to back off, and how much time a call may still spend.

use std::time::{Duration, Instant, SystemTime};

use reqwest::{Method, StatusCode};

use super::defaults::{DEFAULT_DEADLINE_MARGIN, DEFAULT_RETRIES};

/// Retry settings: a retry count, exponential backoff with full jitter, and a deadline margin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt (0 disables retrying).
    pub max_retries: u32,
    /// Backoff cap of the first retry; it doubles per retry.
    pub base_delay: Duration,
    /// Upper bound of any single backoff.
    pub max_delay: Duration,
    /// Time reserved before the invocation deadline; no attempt runs into it.
    pub deadline_margin: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_retries: DEFAULT_RETRIES,
            base_delay: Duration::from_millis(50),
            max_delay: Duration::from_secs(2),
            deadline_margin: DEFAULT_DEADLINE_MARGIN,
        }
    }
}

impl RetryPolicy {
    /// The same policy with another retry count.
    pub fn with_max_retries(mut self, max_retries: u32) -> Self {
        self.max_retries = max_retries;
        self
    }

    /// The most a backoff before retry number `retry` (1-based) may last: `base * 2^(retry-1)`,
    /// capped at `max_delay`.
    pub fn backoff_cap(&self, retry: u32) -> Duration {
        let factor = 1u32
            .checked_shl(retry.saturating_sub(1))
            .unwrap_or(u32::MAX);
        self.base_delay
            .checked_mul(factor)
            .unwrap_or(self.max_delay)
            .min(self.max_delay)
    }

    /// A backoff before retry number `retry` with full jitter: uniform in `[0, backoff_cap]`.
    ///
    /// Full jitter spreads retries of many concurrent functions so a recovering upstream is
    /// not hit by synchronised waves.
    pub fn backoff(&self, retry: u32) -> Duration {
        let cap = self.backoff_cap(retry);
        let cap_micros = u64::try_from(cap.as_micros()).unwrap_or(u64::MAX);
        Duration::from_micros(rand::random_range(0..=cap_micros))
    }
}

/// Methods that may be repeated without changing the outcome (RFC 9110 §9.2.2, minus TRACE).
pub fn is_idempotent(method: &Method) -> bool {
    matches!(
        *method,
        Method::GET | Method::HEAD | Method::OPTIONS | Method::PUT | Method::DELETE
    )
}

/// Statuses that signal a transient upstream or proxy problem.
pub fn is_retryable_status(status: StatusCode) -> bool {
    matches!(
        status,
        StatusCode::BAD_GATEWAY | StatusCode::SERVICE_UNAVAILABLE | StatusCode::GATEWAY_TIMEOUT
    )
}

/// The time a call may still spend, derived from the invocation deadline.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Budget {
    end: Option<Instant>,
}

impl Budget {
    /// A budget ending `margin` before the wall-clock `deadline` (none: unbounded).
    ///
    /// The deadline is wall-clock (Lambda sends epoch milliseconds); it is converted once to a
    /// monotonic instant so clock adjustments during the call cannot stretch it.
    pub(crate) fn new(deadline: Option<SystemTime>, margin: Duration) -> Self {
        let end = deadline.map(|deadline| {
            let now = Instant::now();
            let left = deadline
                .duration_since(SystemTime::now())
                .unwrap_or(Duration::ZERO)
                .saturating_sub(margin);
            now + left
        });
        Budget { end }
    }

    /// Time left, or `None` when unbounded.
    pub(crate) fn remaining(&self) -> Option<Duration> {
        self.end
            .map(|end| end.saturating_duration_since(Instant::now()))
    }

    /// The timeout of the next attempt: the configured one, clipped to what is left.
    pub(crate) fn attempt_timeout(&self, configured: Duration) -> Duration {
        self.remaining()
            .map_or(configured, |left| left.min(configured))
    }

    /// Whether the remaining budget is exhausted.
    pub(crate) fn is_spent(&self) -> bool {
        self.remaining().is_some_and(|left| left.is_zero())
    }

    /// Whether a backoff of `delay` still leaves time for another attempt.
    pub(crate) fn allows_wait(&self, delay: Duration) -> bool {
        self.remaining().is_none_or(|left| left > delay)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_idempotent_methods_are_retryable() {
        for m in [
            Method::GET,
            Method::HEAD,
            Method::OPTIONS,
            Method::PUT,
            Method::DELETE,
        ] {
            assert!(is_idempotent(&m), "{m}");
        }
        for m in [Method::POST, Method::PATCH, Method::CONNECT, Method::TRACE] {
            assert!(!is_idempotent(&m), "{m}");
        }
    }

    #[test]
    fn gateway_errors_are_retryable_statuses() {
        for s in [502, 503, 504] {
            assert!(is_retryable_status(StatusCode::from_u16(s).unwrap()));
        }
        for s in [200, 404, 429, 500, 501] {
            assert!(!is_retryable_status(StatusCode::from_u16(s).unwrap()));
        }
    }

    #[test]
    fn backoff_doubles_up_to_the_cap_and_jitters_within_it() {
        let policy = RetryPolicy {
            max_retries: 5,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(350),
            deadline_margin: Duration::ZERO,
        };
        assert_eq!(policy.backoff_cap(1), Duration::from_millis(100));
        assert_eq!(policy.backoff_cap(2), Duration::from_millis(200));
        assert_eq!(policy.backoff_cap(3), Duration::from_millis(350));
        assert_eq!(policy.backoff_cap(64), Duration::from_millis(350));
        let mut distinct = std::collections::HashSet::new();
        for _ in 0..200 {
            let d = policy.backoff(2);
            assert!(d <= Duration::from_millis(200));
            distinct.insert(d);
        }
        assert!(distinct.len() > 1, "backoff must be jittered");
    }

    #[test]
    fn budget_clips_attempts_and_reserves_the_margin() {
        let unbounded = Budget::new(None, DEFAULT_DEADLINE_MARGIN);
        assert_eq!(
            unbounded.attempt_timeout(Duration::from_secs(5)),
            Duration::from_secs(5)
        );
        assert!(!unbounded.is_spent());

        let deadline = SystemTime::now() + Duration::from_secs(60);
        let budget = Budget::new(Some(deadline), Duration::from_secs(30));
        let clipped = budget.attempt_timeout(Duration::from_secs(3600));
        assert!(clipped <= Duration::from_secs(30), "{clipped:?}");
        assert!(clipped > Duration::from_secs(20), "{clipped:?}");
        assert!(budget.allows_wait(Duration::from_secs(1)));
        assert!(!budget.allows_wait(Duration::from_secs(31)));

        let past = Budget::new(
            Some(SystemTime::now() - Duration::from_secs(1)),
            Duration::ZERO,
        );
        assert!(past.is_spent());
        assert_eq!(past.attempt_timeout(Duration::from_secs(5)), Duration::ZERO);
        let inside_margin = Budget::new(Some(deadline), Duration::from_secs(120));
        assert!(inside_margin.is_spent());
    }
}
