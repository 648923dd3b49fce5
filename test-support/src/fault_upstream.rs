//! A scripted HTTP/1.1 fault upstream on 127.0.0.1 that records every request byte-for-byte.
//!
//! Raw TCP rather than hyper: the tests need faults a well-behaved server cannot produce
//! (never answering, a reset in the middle of a body) and the headers exactly as received,
//! in order, for the signature oracle.
//!
//! ```
//! use lattice_test_support::fault_upstream::{Reply, Upstream};
//! use tokio::io::{AsyncReadExt, AsyncWriteExt};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! // The first request is answered, the second reset in the middle of its body.
//! let upstream = Upstream::http(|n| match n {
//!     0 => Reply::Respond(200, "ok"),
//!     _ => Reply::ResetMidBody,
//! })
//! .await;
//! let mut stream = tokio::net::TcpStream::connect(upstream.addr).await.unwrap();
//! stream.write_all(b"GET /a HTTP/1.1\r\nHost: x\r\n\r\n").await.unwrap();
//! let mut answer = [0u8; 15];
//! stream.read_exact(&mut answer).await.unwrap();
//! assert_eq!(&answer, b"HTTP/1.1 200 Sc");
//! assert_eq!(upstream.seen()[0].request_line, "GET /a HTTP/1.1");
//! assert_eq!(upstream.seen()[0].header("host"), Some("x"));
//! assert_eq!(upstream.connections(), 1);
//! # }
//! ```

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpListener;

/// What the upstream does with the n-th request it reads (0-based, across connections).
#[derive(Clone, Debug)]
pub enum Reply {
    /// Answer with this status and text body, keeping the connection open.
    Respond(u16, &'static str),
    /// Wait, then answer as [`Reply::Respond`] would.
    Delayed(Duration, u16, &'static str),
    /// Read the request, then never answer.
    Hang,
    /// Send headers announcing 100 bytes and 10 bytes of body, then reset the connection.
    ResetMidBody,
}

/// A request as the upstream read it.
#[derive(Debug, Clone)]
pub struct Seen {
    /// The request line as sent, e.g. `GET /app HTTP/1.1`.
    pub request_line: String,
    /// Method from the request line.
    pub method: String,
    /// Request target (path and query) from the request line.
    pub target: String,
    /// Headers in arrival order, names lower-cased, values as sent.
    pub headers: Vec<(String, String)>,
    /// Body bytes.
    pub body: Vec<u8>,
}

impl Seen {
    /// First value of header `name` (lower-case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every header name and value, joined, for "does this secret appear anywhere" checks.
    pub fn raw_text(&self) -> String {
        let mut text = format!("{} {}\n", self.method, self.target);
        for (n, v) in &self.headers {
            text.push_str(&format!("{n}: {v}\n"));
        }
        text.push_str(&String::from_utf8_lossy(&self.body));
        text
    }
}

/// A running upstream; its tasks end with the test's runtime.
pub struct Upstream {
    /// Base URL, e.g. `http://127.0.0.1:41234`.
    pub base: String,
    /// The address it listens on.
    pub addr: SocketAddr,
    connections: Arc<AtomicUsize>,
    seen: Arc<Mutex<Vec<Seen>>>,
}

type Script = Arc<dyn Fn(usize) -> Reply + Send + Sync>;

impl Upstream {
    /// Plain HTTP upstream.
    pub async fn http(script: impl Fn(usize) -> Reply + Send + Sync + 'static) -> Upstream {
        Self::start(script, None).await
    }

    /// HTTPS upstream: TLS by `acceptor` (HTTP/1.1 only), then the same script.
    #[cfg(feature = "tls")]
    pub async fn https(
        script: impl Fn(usize) -> Reply + Send + Sync + 'static,
        acceptor: tokio_rustls::TlsAcceptor,
    ) -> Upstream {
        Self::start(script, Some(acceptor)).await
    }

    /// An upstream answering every request with 200 and `body`.
    pub async fn answering(body: &'static str) -> Upstream {
        Self::http(move |_| Reply::Respond(200, body)).await
    }

    async fn start(
        script: impl Fn(usize) -> Reply + Send + Sync + 'static,
        tls: Option<Acceptor>,
    ) -> Upstream {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the upstream on loopback");
        let addr = listener.local_addr().expect("the upstream's address");
        let scheme = if tls.is_some() { "https" } else { "http" };
        let connections = Arc::new(AtomicUsize::new(0));
        let seen = Arc::new(Mutex::new(Vec::new()));
        let script: Script = Arc::new(script);
        let (c, s) = (connections.clone(), seen.clone());
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                c.fetch_add(1, Ordering::SeqCst);
                let (script, seen, tls) = (script.clone(), s.clone(), tls.clone());
                tokio::spawn(async move {
                    match tls {
                        None => {
                            let mut stream = stream;
                            if serve(&mut stream, &script, &seen).await == Ending::Reset {
                                let _ = stream.set_zero_linger();
                            }
                        }
                        #[cfg(feature = "tls")]
                        Some(acceptor) => {
                            let Ok(mut stream) = acceptor.accept(stream).await else {
                                return;
                            };
                            if serve(&mut stream, &script, &seen).await == Ending::Reset {
                                let _ = stream.get_ref().0.set_zero_linger();
                            }
                        }
                        #[cfg(not(feature = "tls"))]
                        Some(never) => match never {},
                    }
                });
            }
        });
        Upstream {
            base: format!("{scheme}://{addr}"),
            addr,
            connections,
            seen,
        }
    }

    /// Requests read so far.
    pub fn seen(&self) -> Vec<Seen> {
        self.seen
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Connections accepted so far.
    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }
}

/// A port on 127.0.0.1 on which nothing listens (bound, then released).
pub async fn refusing_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind a port on loopback");
    listener.local_addr().expect("the port's address").port()
}

/// The TLS acceptor, or an uninhabited type without the `tls` feature.
#[cfg(feature = "tls")]
type Acceptor = tokio_rustls::TlsAcceptor;
#[cfg(not(feature = "tls"))]
type Acceptor = NoTls;

/// Without the `tls` feature no upstream can be HTTPS: a type with no value stands for the
/// acceptor (not `Infallible`, which is `Copy` where the acceptor is only `Clone`).
#[cfg(not(feature = "tls"))]
#[derive(Clone)]
enum NoTls {}

#[derive(PartialEq, Eq)]
enum Ending {
    Closed,
    Reset,
}

async fn serve<S: AsyncRead + AsyncWrite + Unpin>(
    stream: &mut S,
    script: &Script,
    seen: &Mutex<Vec<Seen>>,
) -> Ending {
    let mut buf = Vec::new();
    loop {
        let head_end = loop {
            if let Some(pos) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break pos;
            }
            if !read_more(stream, &mut buf).await {
                return Ending::Closed;
            }
        };
        let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
        let mut lines = head.split("\r\n");
        let request_line = lines.next().unwrap_or_default().to_owned();
        let mut parts = request_line.split(' ');
        let method = parts.next().unwrap_or_default().to_owned();
        let target = parts.next().unwrap_or_default().to_owned();
        let headers: Vec<(String, String)> = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
            .collect();
        let len: usize = headers
            .iter()
            .find(|(n, _)| n == "content-length")
            .and_then(|(_, v)| v.parse().ok())
            .unwrap_or(0);
        buf.drain(..head_end + 4);
        while buf.len() < len {
            if !read_more(stream, &mut buf).await {
                return Ending::Closed;
            }
        }
        let body: Vec<u8> = buf.drain(..len).collect();
        let index = {
            let mut seen = seen.lock().unwrap_or_else(PoisonError::into_inner);
            seen.push(Seen {
                request_line,
                method,
                target,
                headers,
                body,
            });
            seen.len() - 1
        };
        let mut reply = script(index);
        if let Reply::Delayed(delay, status, body) = reply {
            tokio::time::sleep(delay).await;
            reply = Reply::Respond(status, body);
        }
        match reply {
            Reply::Delayed(..) => unreachable!("replaced above"),
            Reply::Respond(status, body) => {
                let response = format!(
                    "HTTP/1.1 {status} Scripted\r\ncontent-length: {}\r\ncontent-type: text/plain\r\nx-upstream: scripted\r\n\r\n{body}",
                    body.len()
                );
                if stream.write_all(response.as_bytes()).await.is_err() {
                    return Ending::Closed;
                }
                let _ = stream.flush().await;
            }
            Reply::Hang => std::future::pending::<()>().await,
            Reply::ResetMidBody => {
                let _ = stream
                    .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\n0123456789")
                    .await;
                let _ = stream.flush().await;
                // Let the partial response reach the client before the reset destroys it.
                tokio::time::sleep(Duration::from_millis(20)).await;
                return Ending::Reset;
            }
        }
    }
}

async fn read_more<S: AsyncRead + Unpin>(stream: &mut S, buf: &mut Vec<u8>) -> bool {
    let mut chunk = [0u8; 8192];
    match stream.read(&mut chunk).await {
        Ok(0) | Err(_) => false,
        Ok(n) => {
            buf.extend_from_slice(&chunk[..n]);
            true
        }
    }
}
