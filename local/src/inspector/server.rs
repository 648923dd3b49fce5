//! [`InspectorServer`]: the page and its API, on `127.0.0.1` only.
//!
//! | path | answer |
//! |---|---|
//! | `/` | the page (`page/index.html`) |
//! | `/inspector.js`, `/inspector.css` | its script and style, embedded in the binary |
//! | `/api/topology` | [`super::TopologyView`] |
//! | `/api/exchanges` | the limits and every [`super::Row`] kept, oldest first |
//! | `/api/exchanges/{id}` | one row and its [`super::ExchangeDetail`] (`404` once dropped) |
//! | `/api/events` | server-sent events: `exchange` (a new row), `gap` (events were missed) |
//!
//! Every request passes [`check_local_request`] first, the check of the Invoke API (a `Host`
//! that is not loopback, a cross-site `Origin` or `Sec-Fetch-Site: cross-site` is `403`): a web
//! page elsewhere cannot read the exchanges, even through DNS rebinding. Responses carry a
//! Content-Security-Policy that allows the page's own script and style and nothing else (no
//! inline script, no other origin, no framing), so a header value shown on the page can never
//! run as code.

use std::io;
use std::net::{Ipv4Addr, SocketAddr};

use bytes::Bytes;
use http::{HeaderValue, Method, Request, Response, StatusCode, header};
use http_body_util::{Either, Full};
use hyper::body::Incoming;
use serde_json::json;
use tokio::net::TcpListener;

use super::Inspector;
use super::stream::EventStream;
use crate::net::accept::service_from_fn;
use crate::net::host::check_local_request;
use crate::net::limits::LOCAL_API_MAX_CONNECTIONS;
use crate::net::{ServeOptions, ServerTask, serve};

const INDEX_HTML: &str = include_str!("page/index.html");
const SCRIPT: &str = include_str!("page/inspector.js");
const STYLE: &str = include_str!("page/inspector.css");

/// The policy every response carries: the page's own script, style and API, nothing else.
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; \
     frame-ancestors 'none'";

/// A response of the inspector: built in memory, or an event stream.
pub type InspectorBody = Either<Full<Bytes>, EventStream>;

/// The inspector's web server. Dropping it stops it.
#[derive(Debug)]
pub struct InspectorServer {
    addr: SocketAddr,
    _server: ServerTask,
}

impl InspectorServer {
    /// Serves `inspector` on `127.0.0.1:port` (0: any free port), whatever address the data
    /// plane uses: the page shows every request, so it is for this machine only.
    pub async fn bind(port: u16, inspector: Inspector) -> io::Result<Self> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, port)).await?;
        let addr = listener.local_addr()?;
        let server = serve(
            listener,
            ServeOptions::new(LOCAL_API_MAX_CONNECTIONS),
            move |_| {
                let inspector = inspector.clone();
                service_from_fn(move |request: Request<Incoming>| {
                    let response = respond(&inspector, &request);
                    async move { response }
                })
            },
        );
        Ok(InspectorServer {
            addr,
            _server: server,
        })
    }

    /// Where it listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:<port>/`.
    pub fn url(&self) -> String {
        format!("http://{}/", self.addr)
    }
}

/// The answer to one request.
fn respond(inspector: &Inspector, request: &Request<Incoming>) -> Response<InspectorBody> {
    if let Err(refusal) = check_local_request(request.headers(), request.uri()) {
        return text(StatusCode::FORBIDDEN, &refusal.to_string());
    }
    if request.method() != Method::GET && request.method() != Method::HEAD {
        let mut response = text(StatusCode::METHOD_NOT_ALLOWED, "the inspector is read-only");
        response
            .headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
        return response;
    }
    match request.uri().path() {
        "/" => asset("text/html; charset=utf-8", INDEX_HTML),
        "/inspector.js" => asset("text/javascript; charset=utf-8", SCRIPT),
        "/inspector.css" => asset("text/css; charset=utf-8", STYLE),
        "/api/topology" => match inspector.topology_json() {
            Some(json) => json_text(json.to_string()),
            None => text(
                StatusCode::SERVICE_UNAVAILABLE,
                "the topology is not loaded yet",
            ),
        },
        "/api/exchanges" => {
            let options = inspector.options();
            json_text(
                json!({
                    "history": options.history,
                    "body_limit": options.body_limit,
                    "exchanges": inspector.rows(),
                })
                .to_string(),
            )
        }
        "/api/events" => match inspector.follow() {
            Some(stream) => secured(
                Response::builder()
                    .header(header::CONTENT_TYPE, "text/event-stream")
                    .header(header::CACHE_CONTROL, "no-store"),
                Either::Right(stream),
            ),
            None => text(
                StatusCode::SERVICE_UNAVAILABLE,
                "too many pages follow the inspector; close one",
            ),
        },
        path => match path.strip_prefix("/api/exchanges/").map(str::parse::<u64>) {
            Some(Ok(id)) => match inspector.exchange(id) {
                Some(entry) => json_text(
                    json!({
                        "row": entry.row,
                        "detail": entry.detail,
                        "body_limit": inspector.options().body_limit,
                    })
                    .to_string(),
                ),
                None => text(
                    StatusCode::NOT_FOUND,
                    &format!(
                        "exchange {id} is no longer kept (only the last {} are)",
                        inspector.options().history
                    ),
                ),
            },
            _ => text(StatusCode::NOT_FOUND, "not found"),
        },
    }
}

/// `builder` with the headers every answer carries, and `body`.
fn secured(builder: http::response::Builder, body: InspectorBody) -> Response<InspectorBody> {
    // Only static, valid header values are set: the builder cannot fail.
    let mut response = match builder.body(body) {
        Ok(response) => response,
        Err(_) => Response::new(Either::Left(Full::default())),
    };
    let headers = response.headers_mut();
    for (name, value) in [
        ("content-security-policy", CONTENT_SECURITY_POLICY),
        ("x-content-type-options", "nosniff"),
        ("referrer-policy", "no-referrer"),
        ("cross-origin-resource-policy", "same-origin"),
        ("x-frame-options", "DENY"),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    headers
        .entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
    response
}

fn asset(content_type: &'static str, body: &'static str) -> Response<InspectorBody> {
    secured(
        Response::builder().header(header::CONTENT_TYPE, content_type),
        Either::Left(Full::new(Bytes::from_static(body.as_bytes()))),
    )
}

fn json_text(body: String) -> Response<InspectorBody> {
    secured(
        Response::builder().header(header::CONTENT_TYPE, "application/json"),
        Either::Left(Full::new(Bytes::from(body))),
    )
}

fn text(status: StatusCode, message: &str) -> Response<InspectorBody> {
    secured(
        Response::builder()
            .status(status)
            .header(header::CONTENT_TYPE, "text/plain; charset=utf-8"),
        Either::Left(Full::new(Bytes::from(format!("{message}\n")))),
    )
}
