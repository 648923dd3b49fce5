//! Default settings of the client, in one leaf module that the settings readers
//! (`config`), the retry policy and the builder all use.

use std::time::Duration;

/// Default per-attempt timeout.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_millis(5000);
/// Default connect timeout (clipped to the attempt timeout).
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_millis(2000);
/// Default number of retries after the first attempt.
pub const DEFAULT_RETRIES: u32 = 2;
/// Largest retry count accepted from the environment: more cannot fit any Lambda deadline usefully.
pub const MAX_RETRIES: u32 = 10;
/// Largest response body read by default: a Lambda response payload cannot exceed 6 MB anyway.
pub const DEFAULT_MAX_RESPONSE_BYTES: usize = 6 * 1024 * 1024;

/// Default margin kept between the end of a call and the invocation deadline, so the function
/// still has time to post its result.
pub const DEFAULT_DEADLINE_MARGIN: Duration = Duration::from_millis(250);

/// Pooled connections idle longer than this are dropped before reuse: below Lattice's 60 s
/// idle timeout, so a warm invocation does not pick a connection Lattice already closed.
pub(crate) const POOL_IDLE_TIMEOUT: Duration = Duration::from_secs(50);
