//! A tiny HTTP server standing in for the EKS pod (`http-echo` in `k8s/eks-app.yaml`).

use std::net::{Ipv4Addr, SocketAddr};

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::Full;
use hyper::body::Incoming;
use tokio::net::TcpListener;

use super::POD_GREETING;
use crate::net::accept::service_from_fn;
use crate::net::limits::LOCAL_API_MAX_CONNECTIONS;
use crate::net::{ServeOptions, ServerTask, serve};

/// A tiny HTTP server standing in for the EKS pod: `Hello Bar EKS Pod!!` on
/// `/app` and below, `200` on `/health` (the path `k8s/`'s `TargetGroupPolicy` health-checks,
/// which `http-echo` serves itself), `404` elsewhere.
#[derive(Debug)]
pub struct StandInPod {
    addr: SocketAddr,
    _server: ServerTask,
}

impl StandInPod {
    /// Listens on a free loopback port.
    pub async fn start() -> std::io::Result<Self> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
        let addr = listener.local_addr()?;
        let server = serve(
            listener,
            ServeOptions::new(LOCAL_API_MAX_CONNECTIONS),
            |_| {
                service_from_fn(|request: Request<Incoming>| async move {
                    pod_response(request.uri().path())
                })
            },
        );
        Ok(StandInPod {
            addr,
            _server: server,
        })
    }

    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

fn pod_response(path: &str) -> Response<Full<Bytes>> {
    let (status, body) = if path == "/app" || path.starts_with("/app/") {
        (StatusCode::OK, POD_GREETING)
    } else if path == "/health" {
        (StatusCode::OK, "ok")
    } else {
        (StatusCode::NOT_FOUND, "not found")
    };
    let mut response = Response::new(Full::new(Bytes::from_static(body.as_bytes())));
    *response.status_mut() = status;
    response
}
