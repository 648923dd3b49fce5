//! Every bound lattice-local puts on waits, bodies, queues and connections, in one place.
//!
//! Where Lattice or Lambda documents a number, the constant says where; the others are
//! choices for a tool that runs on a developer's laptop.

use std::time::Duration;

/// Largest Lambda invoke payload, request or response (Lambda: "6 MB each for request and
/// response", enforced as 6,291,456 bytes; Lattice: "the maximum size of the request body that
/// you can send to a Lambda function is 6 MB", and the same for the response JSON).
///
/// The Invoke API applies it to the posted payload; a `LAMBDA` target group applies it to the
/// request body and then to the event built from it (base64 and headers count).
pub const MAX_PAYLOAD_BYTES: usize = 6 * 1024 * 1024;

/// Largest response or error body a function's runtime may post to the Runtime API: the payload
/// limit plus the 100 bytes of slack the real Runtime API allows.
pub const MAX_RESPONSE_BYTES: usize = MAX_PAYLOAD_BYTES + 100;

/// How long a connection may wait for a complete request head: on a new connection, and
/// between two requests of a keep-alive connection. 60 s is Lattice's default idle timeout
/// ("The idle connection timeout defaults to 60 seconds", User Guide, *Services*).
///
/// hyper runs one timer for both cases: it starts as soon as the connection waits for a head,
/// so a client that sends half a request line and one that keeps an idle connection open are
/// both disconnected after this long.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(60);

/// How long a client of an HTTPS listener has to complete the TLS handshake. Lattice documents
/// no number; a handshake is two round trips done by a TLS library with nobody waiting in
/// between, so 10 s is generous, and a connection that sends nothing is closed sooner than the
/// 60 s a plain connection may take to send its request head (that timer starts after the
/// handshake).
pub const TLS_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// How long an HTTP target may take to answer with a response head before the client gets
/// `504 Gateway Timeout`: Lattice's default idle timeout, the time it lets a connection to a
/// target stay silent.
pub const UPSTREAM_TIMEOUT: Duration = Duration::from_secs(60);

/// How long reading a whole request body may take (a client that announces a body and stops
/// sending it is not waited for forever).
pub const BODY_READ_TIMEOUT: Duration = Duration::from_secs(60);

/// Connections the data plane holds open at once, over all its ports. Further clients wait in
/// the listen backlog until one closes.
pub const DATA_PLANE_MAX_CONNECTIONS: usize = 1024;

/// Connections the Invoke API, or one function's Runtime API, holds open at once.
pub const LOCAL_API_MAX_CONNECTIONS: usize = 64;

/// `Event` invocations one function may have queued or running through the Invoke API; over
/// it the caller gets Lambda's `429 TooManyRequestsException`.
pub const MAX_QUEUED_EVENTS: usize = 100;

/// How long a `--run` command may take to accept connections on its `$PORT` before start-up
/// fails (and the command is stopped). Generous, because a `cargo run` may compile first.
pub const RUN_READY_TIMEOUT: Duration = Duration::from_secs(120);

/// How long a `--run` process group has after SIGTERM before SIGKILL. Kubernetes gives a pod
/// 30 s (`terminationGracePeriodSeconds`); a developer's Ctrl-C should not wait that long.
pub const RUN_STOP_GRACE: Duration = Duration::from_secs(5);

/// Most invocations one function instance may run at once (`--max-concurrency`). Each takes a
/// connection to the instance's Runtime API (a parked `/invocation/next`), which serves
/// [`LOCAL_API_MAX_CONNECTIONS`]; half of them leaves room for responses and extensions.
pub const MAX_FUNCTION_CONCURRENCY: usize = LOCAL_API_MAX_CONNECTIONS / 2;

/// Exchanges the inspector keeps (`--inspector-history`); the oldest is dropped first.
pub const INSPECTOR_HISTORY: usize = 200;

/// Bytes of any one body the inspector keeps (a Lambda event's `body`, a function's response
/// `body`, each JSON document shown); longer ones are cut, and the page says so. With
/// [`INSPECTOR_HISTORY`] this bounds the inspector's memory to a few tens of MiB at worst.
pub const INSPECTOR_BODY_BYTES: usize = 16 * 1024;

/// Browsers (event streams) following the inspector at once; more get `503`.
pub const INSPECTOR_MAX_STREAMS: usize = 8;

/// Events waiting for one browser; a browser that falls further behind misses events (and
/// is told so, to reload the list) instead of growing a queue.
pub const INSPECTOR_STREAM_QUEUE: usize = 64;

/// How often an idle event stream sends a comment, so a browser that went away is noticed
/// (and its slot freed) within this long.
pub const INSPECTOR_HEARTBEAT: Duration = Duration::from_secs(15);
