//! Steps 2-4 of the demo against the running stack: each prints what it did, the answer and
//! its access-log lines, and fails naming what it expected.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use rustls::ClientConfig;

use super::eks_side::Scenario;
use super::{DemoError, POD_GREETING, PROVIDER_GREETING, STEP_TITLES, StandInPod, fail};
use crate::access_log::AccessLog;
use crate::functions::{InvokeOptions, InvokeOutcome};
use crate::template::LOCAL_DOMAIN;
use crate::tls::client::send_https;
use crate::up::Stack;

/// How the demo calls the data plane: plain HTTP, or HTTPS trusting the local CA alone.
pub(super) struct DemoClient {
    pub tls: Arc<ClientConfig>,
}

impl DemoClient {
    /// `GET path` from `addr`, over TLS when `tls` (the certificate verified for
    /// `server_name`), else plain HTTP with `server_name` as the `Host`; status and body text.
    async fn get(
        &self,
        tls: bool,
        addr: SocketAddr,
        server_name: &str,
        path: &str,
    ) -> Result<(StatusCode, String), String> {
        if !tls {
            let host = format!("{server_name}:{}", addr.port());
            return get(&format!("http://{addr}{path}"), Some(&host)).await;
        }
        let request = Request::get(path)
            .body(Full::new(Bytes::new()))
            .map_err(|e| format!("bad request {path}: {e}"))?;
        let response = send_https(
            Arc::clone(&self.tls),
            addr,
            server_name,
            request,
            Duration::from_secs(30),
        )
        .await
        .map_err(|e| format!("GET https://{server_name}:{}{path}: {e}", addr.port()))?;
        let status = response.status();
        Ok((
            status,
            String::from_utf8_lossy(response.body()).into_owned(),
        ))
    }
}

/// A plain HTTP GET, returning status and body text.
async fn get(url: &str, host: Option<&str>) -> Result<(StatusCode, String), String> {
    let client: Client<HttpConnector, Full<Bytes>> =
        Client::builder(TokioExecutor::new()).build(HttpConnector::new());
    let mut request = Request::get(url);
    if let Some(host) = host {
        request = request.header(http::header::HOST, host);
    }
    let request = request
        .body(Full::new(Bytes::new()))
        .map_err(|e| format!("bad request {url}: {e}"))?;
    let response = tokio::time::timeout(Duration::from_secs(30), client.request(request))
        .await
        .map_err(|_| format!("GET {url} timed out"))?
        .map_err(|e| format!("GET {url}: {e}"))?;
    let status = response.status();
    let body = response
        .into_body()
        .collect()
        .await
        .map_err(|e| format!("reading the body of {url}: {e}"))?
        .to_bytes();
    Ok((status, String::from_utf8_lossy(&body).into_owned()))
}

fn print_access(log: &AccessLog, seen: &mut usize) {
    let records = log.records();
    for record in records.iter().skip(*seen) {
        println!("    {record}");
    }
    *seen = records.len();
}
/// Steps 2-4.
pub(super) async fn run(
    stack: &Stack,
    scenario: &Scenario,
    pod: &StandInPod,
    log: &AccessLog,
    client: &DemoClient,
    client_function: &str,
) -> Result<(), DemoError> {
    let eks_name = scenario.eks_service.as_str();
    let provider_service = stack
        .data_plane
        .endpoint("foo-service")
        .ok_or_else(|| fail(1, "foo-service is not served"))?;
    let eks = stack
        .data_plane
        .endpoint(eks_name)
        .ok_or_else(|| fail(1, format!("{eks_name} is not served")))?;
    println!(
        "    foo-service: {}  or  {}",
        provider_service.url(),
        provider_service.host_url
    );
    println!(
        "    {eks_name}: {}  or  {}  -> stand-in pod {}",
        eks.url(),
        eks.host_url,
        pod.url()
    );
    let mut seen = 0;

    // foo-service's listener is HTTPS (the template's): the Host-routed HTTPS port serves it.
    let (tls, host_port) = match stack.data_plane.host_tls_addr() {
        Some(addr) if provider_service.tls => (true, addr),
        _ => (false, stack.data_plane.host_addr()),
    };
    let provider_name = format!("foo-service.{LOCAL_DOMAIN}");
    let scheme = if tls { "https" } else { "http" };
    println!(
        "step 2: {}: GET {scheme}://{provider_name}:{}/ ({}to {host_port})",
        STEP_TITLES[1],
        host_port.port(),
        if tls {
            "TLS, the certificate checked against the local CA, "
        } else {
            ""
        }
    );
    let (status, body) = client
        .get(tls, host_port, &provider_name, "/")
        .await
        .map_err(|e| fail(2, e))?;
    println!("    {} {body}", status.as_u16());
    print_access(log, &mut seen);
    if status != StatusCode::OK || body.trim() != PROVIDER_GREETING {
        return Err(fail(
            2,
            format!(
                "expected 200 {PROVIDER_GREETING:?}, got {} {body:?}",
                status.as_u16()
            ),
        ));
    }

    let pool = stack
        .pool(client_function)
        .ok_or_else(|| fail(3, "the eks-client function is not running"))?;
    let url = pool
        .config()
        .env
        .iter()
        .rev()
        .find(|(k, _)| k == "LATTICE_SERVICE_URL")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    println!(
        "step 3: {}: invoke {} via the Runtime API (LATTICE_SERVICE_URL={url}, LATTICE_SIGNING=sigv4)",
        STEP_TITLES[2],
        pool.name()
    );
    let outcome = pool
        .invoke(Bytes::from_static(b"{}"), InvokeOptions::default())
        .await
        .map_err(|e| fail(3, e))?;
    let payload = match outcome {
        InvokeOutcome::Response(payload) => payload,
        InvokeOutcome::FunctionError(error) => {
            print_access(log, &mut seen);
            return Err(fail(
                3,
                format!(
                    "eks-client failed: {}: {}",
                    error.error_type, error.error_message
                ),
            ));
        }
    };
    let text = String::from_utf8_lossy(&payload).into_owned();
    let result: serde_json::Value = serde_json::from_slice(&payload)
        .map_err(|e| fail(3, format!("result is not JSON: {e}: {text}")))?;
    // The status and body the function got from the pod, then its whole result.
    // Written by hand so the keys keep this order whatever serde_json's map is.
    let field = |name: &str| {
        result
            .get(name)
            .map_or_else(|| "null".to_owned(), |v| v.to_string())
    };
    println!(
        "    {{\"statusCode\":{},\"body\":{}}}",
        field("statusCode"),
        field("body")
    );
    println!("    (full result: {text})");
    print_access(log, &mut seen);
    let expected_body = format!("from EKS: {POD_GREETING}");
    if result.get("statusCode") != Some(&serde_json::json!(200))
        || result.get("body").and_then(|b| b.as_str()) != Some(expected_body.as_str())
    {
        return Err(fail(
            3,
            format!("expected statusCode 200 and body {expected_body:?}, got {text}"),
        ));
    }

    let unsigned = format!("{}/app", eks.url());
    println!(
        "step 4: {}: unsigned GET {unsigned} ({eks_name} has auth type {})",
        STEP_TITLES[3],
        scenario
            .topology
            .service(eks_name)
            .map_or("?", |s| s.auth_type.as_str())
    );
    let (status, body) = client
        .get(eks.tls, eks.addr, &eks.addr.ip().to_string(), "/app")
        .await
        .map_err(|e| fail(4, e))?;
    println!("    {} {}", status.as_u16(), body.trim_end());
    print_access(log, &mut seen);
    if status != StatusCode::FORBIDDEN {
        return Err(fail(
            4,
            format!("expected 403, got {} {body:?}", status.as_u16()),
        ));
    }
    Ok(())
}
