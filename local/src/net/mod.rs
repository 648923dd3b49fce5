//! Network plumbing shared by every server of lattice-local (the data plane, the Invoke
//! API and each function's Runtime API):
//!
//! - [`accept`]: one accept loop (HTTP/1.1 and h2c) with hyper's timer (header-read timeout),
//!   an idle bound ([`idle`]), a connection cap and `TCP_NODELAY`;
//! - [`body`]: one size- and time-limited body reader;
//! - [`limits`]: every number that bounds them, defined once;
//! - [`host`]: what a `Host` or `Origin` names, and the checks of the loopback-only APIs;
//! - [`tls`]: the TLS handshake of HTTPS ports and what it agreed;
//! - [`workers`]: one single-threaded runtime per core, for the data plane.

pub mod accept;
pub mod body;
pub mod host;
pub mod idle;
pub mod limits;
pub mod tls;
pub mod workers;

pub use accept::{Connection, ConnectionLimit, ServeOptions, ServerTask, serve, serve_spread};
pub use tls::TlsSession;
pub use workers::WorkerThreads;
