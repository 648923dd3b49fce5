//! The one accept loop: every server of lattice-local accepts connections here and serves
//! HTTP/1.1 and HTTP/2 (h2c with prior knowledge, what gRPC clients speak to a plain-HTTP
//! listener; h2 by ALPN over TLS) on them with hyper, over TLS on HTTPS ports, bounded by a
//! header-read/idle timeout, a TLS handshake timeout and a connection cap.

use std::cell::RefCell;
use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use http::{Request, Response};
use hyper::body::{Body, Incoming};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use tokio::net::{TcpListener, TcpStream};
use tokio::runtime::Handle;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::task::{JoinHandle, JoinSet};
use tokio_rustls::TlsAcceptor;
use tokio_util::either::Either;
use tower::ServiceExt as _;
use tower::util::Oneshot;

use super::idle::{Activity, ActivityIo};
use super::limits::IDLE_TIMEOUT;
use super::tls::{TlsSession, handshake};
use super::workers::WorkerThreads;

/// How many connections a group of listeners may hold open at once; clones share the cap.
#[derive(Clone, Debug)]
pub struct ConnectionLimit(Arc<Semaphore>);

impl ConnectionLimit {
    /// At most `max` connections at once.
    pub fn new(max: usize) -> Self {
        ConnectionLimit(Arc::new(Semaphore::new(max)))
    }

    /// How many more connections may be opened now.
    pub fn available(&self) -> usize {
        self.0.available_permits()
    }
}

/// The bounds of one server, and whether it speaks TLS.
#[derive(Clone)]
pub struct ServeOptions {
    /// Time a connection has to send a whole request head, counted from when it starts waiting
    /// for one (a new connection, or a keep-alive connection after its last response); also
    /// how long any connection may stay silent (an HTTP/2 connection between streams) before
    /// it is shut down gracefully.
    pub header_read_timeout: Duration,
    /// The connection cap, possibly shared with other listeners.
    pub connections: ConnectionLimit,
    /// TLS on every connection (an HTTPS port), or none.
    pub tls: Option<TlsAcceptor>,
}

impl ServeOptions {
    /// [`IDLE_TIMEOUT`], a cap of `max_connections` of its own, no TLS.
    pub fn new(max_connections: usize) -> Self {
        ServeOptions {
            header_read_timeout: IDLE_TIMEOUT,
            connections: ConnectionLimit::new(max_connections),
            tls: None,
        }
    }
}

impl std::fmt::Debug for ServeOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServeOptions")
            .field("header_read_timeout", &self.header_read_timeout)
            .field("connections", &self.connections)
            .field("tls", &self.tls.is_some())
            .finish()
    }
}

/// What a server serves on each connection: a cheaply cloned `tower` service of HTTP requests
/// that never fails (errors are responses) and whose futures may move between threads.
pub trait HttpService<B>:
    tower::Service<
        Request<Incoming>,
        Response = Response<B>,
        Error = Infallible,
        Future: Send + 'static,
    > + Clone
    + Send
    + 'static
{
}

impl<T, B> HttpService<B> for T where
    T: tower::Service<
            Request<Incoming>,
            Response = Response<B>,
            Error = Infallible,
            Future: Send + 'static,
        > + Clone
        + Send
        + 'static
{
}

/// A response body hyper can send from any thread.
pub trait SendableBody:
    Body<Data: Send, Error: Into<Box<dyn std::error::Error + Send + Sync>>> + Send + 'static
{
}

impl<T> SendableBody for T where
    T: Body<Data: Send, Error: Into<Box<dyn std::error::Error + Send + Sync>>> + Send + 'static
{
}

/// The two ends of an accepted connection, for services that need them (`x-forwarded-for`),
/// and its TLS session on an HTTPS port.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Connection {
    /// The client's address.
    pub peer: SocketAddr,
    /// The address the client connected to.
    pub local: SocketAddr,
    /// What the TLS handshake agreed, on an HTTPS port.
    pub tls: Option<TlsSession>,
}

/// A running accept loop. Dropping it stops accepting and closes every connection it opened.
#[derive(Debug)]
pub struct ServerTask(JoinHandle<()>);

impl Drop for ServerTask {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Serves HTTP/1.1 and HTTP/2 on every connection `listener` accepts (must be called inside a
/// Tokio runtime), after a TLS handshake when `options.tls` is set. `make_service` builds the
/// service of one connection once it is established (on the thread that serves it); the service
/// is cloned per request, so it should be cheap to clone.
pub fn serve<M, S, B>(listener: TcpListener, options: ServeOptions, make_service: M) -> ServerTask
where
    M: Fn(Connection) -> S + Send + Sync + 'static,
    S: HttpService<B>,
    B: SendableBody,
{
    ServerTask(tokio::spawn(accept_loop_on(
        listener,
        options,
        make_service,
        Vec::new(),
    )))
}

/// [`serve`], with each accepted connection served on one of `threads`, in turn. The accept
/// loop runs on the caller's runtime; a connection stays on the thread it was given, so its
/// requests (and the upstream connections they use) never move between threads.
pub fn serve_spread<M, S, B>(
    listener: TcpListener,
    options: ServeOptions,
    threads: &WorkerThreads,
    make_service: M,
) -> ServerTask
where
    M: Fn(Connection) -> S + Send + Sync + 'static,
    S: HttpService<B>,
    B: SendableBody,
{
    let handles = threads.handles().cloned().collect();
    ServerTask(tokio::spawn(accept_loop_on(
        listener,
        options,
        make_service,
        handles,
    )))
}

/// Accepts connections and serves each one on the caller's runtime (`threads` empty) or on
/// the next of `threads`.
async fn accept_loop_on<M, S, B>(
    listener: TcpListener,
    options: ServeOptions,
    make_service: M,
    threads: Vec<Handle>,
) where
    M: Fn(Connection) -> S + Send + Sync + 'static,
    S: HttpService<B>,
    B: SendableBody,
{
    // Connections are tasks of this set: aborting the loop (dropping the `ServerTask`) drops
    // them too, and with them the last references to what they serve.
    let mut connections = JoinSet::new();
    let mut next_thread = 0;
    let idle_timeout = options.header_read_timeout;
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(idle_timeout)
        .http2()
        .timer(TokioTimer::new());
    let make_service = Arc::new(make_service);
    loop {
        let accepted = tokio::select! {
            // Reap finished connections so the set does not grow without bound.
            Some(_) = connections.join_next(), if !connections.is_empty() => continue,
            accepted = accept_within_cap(&listener, &options.connections) => accepted,
        };
        let (stream, peer, permit) = match accepted {
            Ok(accepted) => accepted,
            Err(error) => {
                // Out of file descriptors and the like: back off instead of spinning.
                tracing::warn!(%error, "accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        // Requests and responses are small and latency matters: Nagle would hold them back.
        let _ = stream.set_nodelay(true);
        let local = stream.local_addr().unwrap_or(peer);
        let make_service = Arc::clone(&make_service);
        let builder = builder.clone();
        let tls = options.tls.clone();
        // The handshake, if any, runs on the connection's own thread, never in this loop.
        let serve = move |stream: TcpStream| async move {
            let _permit = permit;
            let connection = Connection {
                peer,
                local,
                tls: None,
            };
            // One stream type for both, so one connection loop serves them.
            let (stream, connection) = match tls {
                None => (Either::Left(stream), connection),
                Some(acceptor) => match handshake(&acceptor, stream).await {
                    Ok((stream, session)) => (
                        Either::Right(stream),
                        Connection {
                            tls: Some(session),
                            ..connection
                        },
                    ),
                    Err(error) => {
                        tracing::debug!(%error, %peer, "connection closed before a request");
                        return;
                    }
                },
            };
            let service = ConnectionService(RefCell::new(make_service(connection)));
            let activity = Arc::new(Activity::new());
            let io = TokioIo::new(ActivityIo::new(stream, Arc::clone(&activity)));
            let connection = builder.serve_connection(io, service);
            tokio::pin!(connection);
            let ended = tokio::select! {
                ended = connection.as_mut() => ended,
                () = activity.idle_for(idle_timeout) => {
                    // Requests in flight finish; the connection takes no new one. HTTP/2's
                    // goodbye waits for the client to acknowledge a PING: one that stays
                    // silent through another idle period is cut off.
                    connection.as_mut().graceful_shutdown();
                    // The next idle period counts from the goodbye.
                    activity.touch();
                    tokio::select! {
                        biased;
                        ended = connection.as_mut() => ended,
                        () = activity.idle_for(idle_timeout) => Ok(()),
                    }
                }
            };
            if let Err(error) = ended {
                tracing::debug!(%error, %peer, "connection ended with an error");
            }
        };
        if threads.is_empty() {
            connections.spawn(serve(stream));
            continue;
        }
        next_thread = (next_thread + 1) % threads.len();
        // The socket moves to the chosen thread's I/O driver.
        match stream.into_std() {
            Ok(stream) => {
                connections.spawn_on(
                    async move {
                        match TcpStream::from_std(stream) {
                            Ok(stream) => serve(stream).await,
                            Err(error) => tracing::warn!(%error, %peer, "cannot adopt connection"),
                        }
                    },
                    &threads[next_thread],
                );
            }
            Err(error) => tracing::warn!(%error, %peer, "cannot hand over connection"),
        }
    }
}

/// Waits for room under the cap, then for a connection. Cancel-safe: dropping it releases
/// the permit and loses no connection (`TcpListener::accept` is cancel-safe).
async fn accept_within_cap(
    listener: &TcpListener,
    limit: &ConnectionLimit,
) -> io::Result<(TcpStream, SocketAddr, OwnedSemaphorePermit)> {
    let permit = Arc::clone(&limit.0)
        .acquire_owned()
        .await
        .map_err(|_| io::Error::other("the connection limit was closed"))?;
    let (stream, peer) = listener.accept().await?;
    Ok((stream, peer, permit))
}

/// A `tower` service as hyper's per-connection service, without a clone per request.
///
/// hyper calls with `&self`, `tower` with `&mut self` after `poll_ready`. The connection task
/// owns this value and hyper never holds a borrow across an await, so a `RefCell` serves. A
/// service that is ready at once (every service here: bounds live in the connection cap and in
/// the targets) is called in place; one that is not is cloned and driven to readiness by
/// `Oneshot`, as `tower` requires.
struct ConnectionService<S>(RefCell<S>);

impl<S, R> hyper::service::Service<R> for ConnectionService<S>
where
    S: tower::Service<R> + Clone,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = futures_util::future::Either<S::Future, Oneshot<S, R>>;

    fn call(&self, request: R) -> Self::Future {
        let mut service = self.0.borrow_mut();
        match service.poll_ready(&mut Context::from_waker(Waker::noop())) {
            Poll::Ready(Ok(())) => futures_util::future::Either::Left(service.call(request)),
            _ => futures_util::future::Either::Right(service.clone().oneshot(request)),
        }
    }
}

/// A service from an async function of the request: what the small loopback APIs use.
pub fn service_from_fn<F, Fut, B>(
    handler: F,
) -> impl tower::Service<
    Request<Incoming>,
    Response = Response<B>,
    Error = Infallible,
    Future = impl Future<Output = Result<Response<B>, Infallible>> + Send,
> + Clone
+ Send
+ 'static
where
    F: Fn(Request<Incoming>) -> Fut + Clone + Send + 'static,
    Fut: Future<Output = Response<B>> + Send + 'static,
{
    tower::service_fn(move |request| {
        let response = handler(request);
        async move { Ok::<_, Infallible>(response.await) }
    })
}
