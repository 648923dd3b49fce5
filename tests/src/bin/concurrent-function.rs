//! A `lattice_lambda::run_concurrent` function for the concurrency tests: it reports how many
//! invocations it has in flight, so a test can see them overlap without timing anything.
//!
//! Routes (V1 or V2 events): `/barrier?n=N` waits until N invocations have been in flight at
//! once (at most 20 s) and answers `{"pid", "reached", "peak"}`; `/sleep?ms=M` sleeps and answers
//! `{"pid", "peak"}`; `/panic` panics; `/big` answers a body over Lattice's 6 MB limit.
//! `peak` is the most invocations in flight at once since the process started.

use std::convert::Infallible;
use std::sync::OnceLock;
use std::time::Duration;

use lattice_lambda::{Body, RequestExt, response, service_fn};
use serde_json::json;
use tokio::sync::watch;

/// Longest `/barrier` waits before answering `reached: false`.
const BARRIER_LIMIT: Duration = Duration::from_secs(20);

/// Invocations in flight now, and the most there ever were.
#[derive(Debug, Clone, Copy, Default)]
struct InFlight {
    now: usize,
    peak: usize,
}

fn in_flight() -> &'static watch::Sender<InFlight> {
    static IN_FLIGHT: OnceLock<watch::Sender<InFlight>> = OnceLock::new();
    IN_FLIGHT.get_or_init(|| watch::Sender::new(InFlight::default()))
}

/// Counts one invocation in flight for as long as it lives.
struct Counted;

impl Counted {
    fn enter() -> Self {
        in_flight().send_modify(|state| {
            state.now += 1;
            state.peak = state.peak.max(state.now);
        });
        Counted
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        in_flight().send_modify(|state| state.now -= 1);
    }
}

async fn handle(request: http::Request<Body>) -> Result<http::Response<Body>, Infallible> {
    let _counted = Counted::enter();
    let number = |key: &str| {
        request
            .query_parameters()
            .first(key)
            .and_then(|value| value.parse::<u64>().ok())
            .unwrap_or(0)
    };
    let pid = std::process::id();
    let answer = match request.uri().path() {
        "/barrier" => {
            let wanted = usize::try_from(number("n")).unwrap_or(usize::MAX);
            let mut state = in_flight().subscribe();
            // The peak, not the current count: the last to arrive may answer and leave before
            // the others wake up, but the peak stays.
            let reached = tokio::time::timeout(BARRIER_LIMIT, state.wait_for(|s| s.peak >= wanted))
                .await
                .is_ok_and(|waited| waited.is_ok());
            json!({"pid": pid, "reached": reached, "peak": in_flight().borrow().peak})
        }
        "/sleep" => {
            tokio::time::sleep(Duration::from_millis(number("ms"))).await;
            json!({"pid": pid, "peak": in_flight().borrow().peak})
        }
        "/panic" => panic!("concurrent-function was asked to panic"),
        "/big" => {
            let body = "x".repeat(lattice_lambda::response::MAX_RESPONSE_BYTES + 1);
            return Ok(response::text(http::StatusCode::OK, body));
        }
        _ => return Ok(response::empty(http::StatusCode::NOT_FOUND)),
    };
    Ok(response::json(http::StatusCode::OK, &answer))
}

// Current-thread, as `provider`: concurrency here comes from interleaving on one thread.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lattice_lambda::Error> {
    lattice_lambda::init_tracing();
    lattice_lambda::run_concurrent(service_fn(handle)).await
}
