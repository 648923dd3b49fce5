//! The local Lattice data plane on `127.0.0.1`: one port per service, plus one
//! port that routes by `Host` (`<service>.lattice.localhost`). Each request
//! goes through the auth gate, the listener's rules and a target; one
//! access-log line records it.

mod gate;

use std::collections::{BTreeMap, HashMap};
use std::convert::Infallible;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::{Instant, SystemTime};

use bytes::Bytes;
use http::request::Parts;
use http::{HeaderValue, Request, Response, StatusCode};
use http_body_util::{BodyExt, Either, Full, Limited};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use lattice_lambda::RequestContext;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

pub use gate::Denial;

use crate::access_log::{AccessLog, AccessRecord};
use crate::auth::{AccessSetupError, CredentialStore, ServiceAccess};
use crate::routing::{Decision, RequestFacts, Router};
use crate::targets::{ClientInfo, ResponseBody, Target};
use crate::template::{LOCAL_DOMAIN, Topology};

/// Largest request body a Lambda target accepts (Lattice: 6 MB).
pub const MAX_LAMBDA_REQUEST_BYTES: usize = 6 * 1024 * 1024;

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// A port could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// What the OS said.
        source: std::io::Error,
    },
    /// A service's or service network's auth policy is not understood; lattice-local fails
    /// closed.
    #[error(transparent)]
    Policy(#[from] AccessSetupError),
    /// `--service-port` named a service the template does not create.
    #[error("--service-port names unknown service {0:?}")]
    UnknownService(String),
}

/// How to serve a topology.
#[derive(Clone, Debug)]
pub struct ServerOptions {
    /// Address to listen on (loopback).
    pub bind: IpAddr,
    /// Port of the `Host`-routed listener (0: any free port).
    pub host_port: u16,
    /// Port per service name (missing or 0: any free port).
    pub service_ports: BTreeMap<String, u16>,
    /// Region for signature verification and request contexts.
    pub region: String,
    /// Source VPC reported for callers whose credentials do not name one.
    pub source_vpc_arn: Option<String>,
    /// Principals that may sign requests.
    pub credentials: Arc<CredentialStore>,
    /// Where access-log lines go.
    pub access_log: AccessLog,
}

impl ServerOptions {
    /// Loopback, free ports, no access log.
    pub fn new(region: impl Into<String>, credentials: Arc<CredentialStore>) -> Self {
        ServerOptions {
            bind: IpAddr::V4(Ipv4Addr::LOCALHOST),
            host_port: 0,
            service_ports: BTreeMap::new(),
            region: region.into(),
            source_vpc_arn: None,
            credentials,
            access_log: AccessLog::Off,
        }
    }
}

/// Where a service is served.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServiceEndpoint {
    /// Service name.
    pub name: String,
    /// Its own port.
    pub addr: SocketAddr,
    /// The `Host`-routed URL (`http://<name>.lattice.localhost:<port>`).
    pub host_url: String,
}

impl ServiceEndpoint {
    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

/// A running data plane. Dropping it stops accepting connections.
#[derive(Debug)]
pub struct LatticeServer {
    host_addr: SocketAddr,
    endpoints: Vec<ServiceEndpoint>,
    tasks: Vec<JoinHandle<()>>,
}

impl Drop for LatticeServer {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

impl LatticeServer {
    /// Binds every port and starts serving `topology`. `targets` maps target
    /// group logical ids to what serves them; a group without an entry answers `503`.
    pub async fn start(
        topology: &Topology,
        targets: BTreeMap<String, Target>,
        options: ServerOptions,
    ) -> Result<Self, ServerError> {
        BoundServer::bind(topology, &options)
            .await?
            .serve(topology, targets, options)
    }

    /// The `Host`-routed listener.
    pub fn host_addr(&self) -> SocketAddr {
        self.host_addr
    }

    /// Every service's endpoint, in template order.
    pub fn endpoints(&self) -> &[ServiceEndpoint] {
        &self.endpoints
    }

    /// The endpoint of one service.
    pub fn endpoint(&self, service: &str) -> Option<&ServiceEndpoint> {
        self.endpoints.iter().find(|e| e.name == service)
    }
}

/// Ports bound but not yet serving: the endpoints are known, so functions can
/// be configured with service URLs before the targets are built.
#[derive(Debug)]
pub struct BoundServer {
    host: (TcpListener, SocketAddr),
    services: Vec<(TcpListener, ServiceEndpoint)>,
}

impl BoundServer {
    /// Binds the `Host`-routed port and one port per service.
    pub async fn bind(topology: &Topology, options: &ServerOptions) -> Result<Self, ServerError> {
        for name in options.service_ports.keys() {
            if topology.service(name).is_none() {
                return Err(ServerError::UnknownService(name.clone()));
            }
        }
        let host_listener = bind(SocketAddr::new(options.bind, options.host_port)).await?;
        let host_addr = local_addr(&host_listener, options.bind)?;
        let mut services = Vec::new();
        for service in &topology.services {
            let port = options
                .service_ports
                .get(&service.name)
                .copied()
                .unwrap_or(0);
            let listener = bind(SocketAddr::new(options.bind, port)).await?;
            let addr = local_addr(&listener, options.bind)?;
            let endpoint = ServiceEndpoint {
                name: service.name.clone(),
                addr,
                host_url: format!(
                    "http://{}.{LOCAL_DOMAIN}:{}",
                    service.name,
                    host_addr.port()
                ),
            };
            services.push((listener, endpoint));
        }
        Ok(BoundServer {
            host: (host_listener, host_addr),
            services,
        })
    }

    /// The endpoints that [`BoundServer::serve`] will serve.
    pub fn endpoints(&self) -> impl Iterator<Item = &ServiceEndpoint> {
        self.services.iter().map(|(_, e)| e)
    }

    /// The endpoint of one service.
    pub fn endpoint(&self, service: &str) -> Option<&ServiceEndpoint> {
        self.endpoints().find(|e| e.name == service)
    }

    /// Starts serving (must be called inside a Tokio runtime). `topology`
    /// must be the one given to [`BoundServer::bind`].
    pub fn serve(
        self,
        topology: &Topology,
        targets: BTreeMap<String, Target>,
        options: ServerOptions,
    ) -> Result<LatticeServer, ServerError> {
        let plane = Arc::new(DataPlane::new(topology, targets, &options)?);
        let (host_listener, host_addr) = self.host;
        let mut tasks = vec![tokio::spawn(accept_loop(
            host_listener,
            Arc::clone(&plane),
            None,
        ))];
        let mut endpoints = Vec::new();
        for (listener, endpoint) in self.services {
            let index = plane.services.iter().position(|s| s.name == endpoint.name);
            tasks.push(tokio::spawn(accept_loop(
                listener,
                Arc::clone(&plane),
                index,
            )));
            endpoints.push(endpoint);
        }
        Ok(LatticeServer {
            host_addr,
            endpoints,
            tasks,
        })
    }
}

async fn bind(addr: SocketAddr) -> Result<TcpListener, ServerError> {
    TcpListener::bind(addr)
        .await
        .map_err(|source| ServerError::Bind { addr, source })
}

fn local_addr(listener: &TcpListener, ip: IpAddr) -> Result<SocketAddr, ServerError> {
    listener.local_addr().map_err(|source| ServerError::Bind {
        addr: SocketAddr::new(ip, 0),
        source,
    })
}

async fn accept_loop(listener: TcpListener, plane: Arc<DataPlane>, service: Option<usize>) {
    // Connections belong to this task: when the server is dropped (this task
    // aborted), open keep-alive connections close too, and with them the last
    // references to the data plane and its function pools.
    let mut connections = tokio::task::JoinSet::new();
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            // Reap finished connections so the set does not grow without bound.
            Some(_) = connections.join_next(), if !connections.is_empty() => continue,
        };
        let (stream, peer) = match accepted {
            Ok(accepted) => accepted,
            Err(error) => {
                // Out of file descriptors and the like: keep serving.
                tracing::warn!(%error, "accept failed");
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let plane = Arc::clone(&plane);
        connections.spawn(async move {
            let service = service_fn(move |request| {
                let plane = Arc::clone(&plane);
                async move { Ok::<_, Infallible>(plane.handle(service, request, peer).await) }
            });
            if let Err(error) = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await
            {
                tracing::debug!(%error, "connection ended with an error");
            }
        });
    }
}

/// Everything requests need, shared by all connections.
struct DataPlane {
    services: Vec<ServicePlane>,
    by_host: HashMap<String, usize>,
    /// Target group logical id -> (ARN, target, description for the access log).
    groups: HashMap<String, (String, Target, String)>,
    credentials: Arc<CredentialStore>,
    region: String,
    source_vpc_arn: Option<String>,
    access_log: AccessLog,
}

struct ServicePlane {
    name: String,
    arn: String,
    service_network_arn: String,
    access: ServiceAccess,
    listener: Option<ListenerPlane>,
}

struct ListenerPlane {
    port: u16,
    https: bool,
    router: Router,
}

/// What happened to a request, for the access log.
struct Served {
    response: Response<ResponseBody>,
    rule: String,
    target: String,
    /// The auth policy statement that decided (`-` when none applied).
    decided_by: String,
}

impl Served {
    fn new(response: Response<ResponseBody>, rule: &str, target: impl Into<String>) -> Self {
        Served {
            response,
            rule: rule.to_owned(),
            target: target.into(),
            decided_by: "-".to_owned(),
        }
    }
}

fn text(status: StatusCode, body: impl Into<Bytes>) -> Response<ResponseBody> {
    let mut response = Response::new(Either::Left(Full::new(body.into())));
    *response.status_mut() = status;
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

/// The `502` body: the first line of the error (a crash report's stderr
/// tail goes to the log, not to the client).
fn bad_gateway(error: &dyn std::fmt::Display) -> String {
    let message = error.to_string();
    let first = message.lines().next().unwrap_or_default();
    format!("Bad Gateway: {first}\n")
}

impl DataPlane {
    fn new(
        topology: &Topology,
        targets: BTreeMap<String, Target>,
        options: &ServerOptions,
    ) -> Result<Self, ServerError> {
        let mut services = Vec::new();
        let mut by_host = HashMap::new();
        for (index, service) in topology.services.iter().enumerate() {
            let access = ServiceAccess::new(topology, service)?;
            let listener = service.listener.as_ref().map(|l| ListenerPlane {
                port: l.port,
                https: l.protocol == "HTTPS",
                router: Router::new(l.rules.clone(), l.default_action.clone()),
            });
            by_host.insert(service.name.to_ascii_lowercase(), index);
            by_host.insert(
                format!("{}.{LOCAL_DOMAIN}", service.name.to_ascii_lowercase()),
                index,
            );
            services.push(ServicePlane {
                name: service.name.clone(),
                arn: service.arn.clone(),
                service_network_arn: service.service_network_arn.clone(),
                access,
                listener,
            });
        }
        let mut targets = targets;
        let groups = topology
            .target_groups
            .values()
            .map(|group| {
                let target = targets.remove(&group.logical_id).unwrap_or_else(|| {
                    Target::Unavailable(format!(
                        "target group {} has nothing to forward to",
                        group.logical_id
                    ))
                });
                let described = target.describe();
                (
                    group.logical_id.clone(),
                    (group.arn.clone(), target, described),
                )
            })
            .collect();
        Ok(DataPlane {
            services,
            by_host,
            groups,
            credentials: Arc::clone(&options.credentials),
            region: options.region.clone(),
            source_vpc_arn: options.source_vpc_arn.clone(),
            access_log: options.access_log.clone(),
        })
    }

    /// The service a `Host` header (or absolute URI) names.
    fn service_for_host(&self, parts: &Parts) -> Option<usize> {
        let host = parts
            .headers
            .get(http::header::HOST)
            .and_then(|h| h.to_str().ok())
            .or_else(|| parts.uri.host())?;
        let host = host.rsplit_once(':').map_or(host, |(h, port)| {
            if port.bytes().all(|b| b.is_ascii_digit()) {
                h
            } else {
                host
            }
        });
        self.by_host
            .get(&host.trim_end_matches('.').to_ascii_lowercase())
            .copied()
    }

    async fn handle(
        &self,
        fixed_service: Option<usize>,
        request: Request<Incoming>,
        peer: SocketAddr,
    ) -> Response<ResponseBody> {
        let start = Instant::now();
        let (parts, body) = request.into_parts();
        let method = parts.method.clone();
        let path = parts.uri.path().to_owned();
        let index = fixed_service.or_else(|| self.service_for_host(&parts));
        let (service_name, served) = match index.and_then(|i| self.services.get(i)) {
            Some(service) => (
                service.name.clone(),
                self.serve(service, parts, body, peer).await,
            ),
            None => {
                let host = parts
                    .headers
                    .get(http::header::HOST)
                    .and_then(|h| h.to_str().ok())
                    .unwrap_or("")
                    .to_owned();
                let known: Vec<&str> = self.services.iter().map(|s| s.name.as_str()).collect();
                let message = format!(
                    "no Lattice service for Host {host:?}; use <service>.{LOCAL_DOMAIN} with one of: {}\n",
                    known.join(", ")
                );
                (
                    "-".to_owned(),
                    Served::new(text(StatusCode::NOT_FOUND, message), "-", "-"),
                )
            }
        };
        self.access_log.record(AccessRecord {
            service: service_name,
            method,
            path,
            rule: served.rule,
            target: served.target,
            auth: served.decided_by,
            status: served.response.status(),
            latency: start.elapsed(),
        });
        served.response
    }

    async fn serve(
        &self,
        service: &ServicePlane,
        parts: Parts,
        body: Incoming,
        peer: SocketAddr,
    ) -> Served {
        let admission = match gate::check(
            &self.credentials,
            &self.region,
            self.source_vpc_arn.as_deref(),
            &service.access,
            &parts,
            peer,
            SystemTime::now(),
        ) {
            Ok(admission) => admission,
            Err(denial) => {
                tracing::info!(service = %service.name, reason = %denial.reason, "request denied");
                let message = format!(
                    "AccessDeniedException: User: {} is not authorized to perform: vpc-lattice-svcs:Invoke on resource: {}{} ({})\n",
                    denial.principal,
                    service.arn,
                    parts.uri.path(),
                    denial.reason
                );
                let mut served = Served::new(text(StatusCode::FORBIDDEN, message), "-", "-");
                served.decided_by = denial.decided_by;
                return served;
            }
        };
        let mut served = self
            .forward(service, parts, body, peer, admission.identity)
            .await;
        served.decided_by = admission.decided_by;
        served
    }

    /// Routes an admitted request by the listener's rules and calls the target.
    async fn forward(
        &self,
        service: &ServicePlane,
        parts: Parts,
        body: Incoming,
        peer: SocketAddr,
        identity: lattice_lambda::Identity,
    ) -> Served {
        let Some(listener) = &service.listener else {
            return Served::new(
                text(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "the service has no listener\n",
                ),
                "-",
                "-",
            );
        };
        let route = listener.router.route(&RequestFacts {
            method: &parts.method,
            path: parts.uri.path(),
            headers: &parts.headers,
        });
        let rule = route.rule_name();
        let group = match route.decision {
            Decision::FixedResponse(status) => {
                let mut response = Response::new(Either::Left(Full::new(Bytes::new())));
                *response.status_mut() = status;
                return Served::new(response, rule, "fixed-response");
            }
            Decision::NoTarget => {
                return Served::new(
                    text(
                        StatusCode::SERVICE_UNAVAILABLE,
                        "every target group has weight 0\n",
                    ),
                    rule,
                    "-",
                );
            }
            Decision::Forward(group) => group,
        };
        let Some((group_arn, target, described)) = self.groups.get(group) else {
            return Served::new(
                text(
                    StatusCode::SERVICE_UNAVAILABLE,
                    format!("unknown target group {group}\n"),
                ),
                rule,
                "-",
            );
        };
        let context = RequestContext {
            service_network_arn: Some(service.service_network_arn.clone()),
            service_arn: Some(service.arn.clone()),
            target_group_arn: Some(group_arn.clone()),
            region: Some(self.region.clone()),
            time: Some(SystemTime::now()),
            identity,
        };
        let client = ClientInfo {
            addr: peer,
            listener_port: listener.port,
            https: listener.https,
        };
        let described = described.as_str();
        let response = match target {
            Target::Unavailable(reason) => {
                text(StatusCode::SERVICE_UNAVAILABLE, format!("{reason}\n"))
            }
            Target::Http(http) => match http.call(parts, body, &context, &client).await {
                Ok(response) => response.map(Either::Right),
                Err(error) => {
                    tracing::warn!(%error, "HTTP target failed");
                    text(StatusCode::BAD_GATEWAY, bad_gateway(&error))
                }
            },
            Target::Lambda(lambda) => {
                let bytes = match Limited::new(body, MAX_LAMBDA_REQUEST_BYTES).collect().await {
                    Ok(collected) => collected.to_bytes(),
                    Err(error) => {
                        let too_large = error
                            .downcast_ref::<http_body_util::LengthLimitError>()
                            .is_some();
                        let (status, message) = if too_large {
                            (
                                StatusCode::PAYLOAD_TOO_LARGE,
                                "request body exceeds 6 MB, the Lambda target limit\n".to_owned(),
                            )
                        } else {
                            (
                                StatusCode::BAD_REQUEST,
                                format!("cannot read the request body: {error}\n"),
                            )
                        };
                        return Served::new(text(status, message), rule, described);
                    }
                };
                let event = lambda.lattice_request(&parts, bytes, context, &client);
                match lambda.call(&event).await {
                    Ok(response) => response.map(Either::Left),
                    Err(error) => {
                        tracing::warn!(%error, "Lambda target failed");
                        text(StatusCode::BAD_GATEWAY, bad_gateway(&error))
                    }
                }
            }
        };
        Served::new(response, rule, described)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::{AccessControl, PolicyScope};
    use crate::template::LoadOptions;

    fn project_template() -> String {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../template.yaml");
        std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {path}: {e}"))
    }

    #[test]
    fn every_auth_policy_of_the_project_template_is_understood() {
        let variants: [&[(&str, &str)]; 4] = [
            &[("AuthType", "AWS_IAM")],
            &[
                ("AuthType", "AWS_IAM"),
                ("ServiceNetworkAuthType", "AWS_IAM"),
                ("AllowedPrincipalOrgId", "o-abcdefghij"),
            ],
            &[
                ("AuthType", "AWS_IAM"),
                ("AllowedPrincipalOrgId", "o-abcdefghij"),
                ("AllowedSourceVpcId", "vpc-0123456789abcdef0"),
            ],
            &[
                ("AuthType", "AWS_IAM"),
                ("AllowedSourceVpcId", "vpc-0123456789abcdef0"),
            ],
        ];
        for parameters in variants {
            let mut options =
                LoadOptions::new("us-west-2").with_parameter("EksAppMode", "template");
            for (k, v) in parameters {
                options = options.with_parameter(*k, *v);
            }
            let topology = Topology::from_yaml(&project_template(), &options).unwrap();
            let store = Arc::new(CredentialStore::from_entries(Vec::new()).unwrap());
            let plane = DataPlane::new(
                &topology,
                BTreeMap::new(),
                &ServerOptions::new("us-west-2", store),
            )
            .unwrap_or_else(|e| panic!("{parameters:?}: {e}"));
            let with_policy = plane
                .services
                .iter()
                .filter(|s| matches!(s.access.service, AccessControl::Iam(Some(_))))
                .count();
            assert_eq!(with_policy, 2, "{parameters:?}");
        }
    }

    #[test]
    fn a_policy_that_is_not_understood_stops_the_server_by_name() {
        let yaml = r#"
Resources:
  Svc: { Type: AWS::VpcLattice::Service, Properties: { Name: strict, AuthType: AWS_IAM } }
  Policy:
    Type: AWS::VpcLattice::AuthPolicy
    Properties:
      ResourceIdentifier: !Ref Svc
      Policy:
        Statement:
          - Effect: Allow
            Principal: "*"
            Action: vpc-lattice-svcs:Invoke
            Resource: "*"
            Condition: { DateGreaterThan: { "aws:CurrentTime": "2020-01-01T00:00:00Z" } }
"#;
        let topology = Topology::from_yaml(yaml, &LoadOptions::new("us-west-2")).unwrap();
        let store = Arc::new(CredentialStore::from_entries(Vec::new()).unwrap());
        let error = DataPlane::new(
            &topology,
            BTreeMap::new(),
            &ServerOptions::new("us-west-2", store),
        )
        .err()
        .expect("an unsupported condition fails closed");
        assert!(
            matches!(&error, ServerError::Policy(e) if e.name == "strict" && e.scope == PolicyScope::Service),
            "{error}"
        );
    }

    #[test]
    fn hosts_resolve_with_or_without_port_and_domain() {
        let yaml = r#"
Resources:
  Svc: { Type: AWS::VpcLattice::Service, Properties: { Name: foo-service } }
"#;
        let topology = Topology::from_yaml(yaml, &LoadOptions::new("us-west-2")).unwrap();
        let store = Arc::new(CredentialStore::from_entries(Vec::new()).unwrap());
        let plane = DataPlane::new(
            &topology,
            BTreeMap::new(),
            &ServerOptions::new("us-west-2", store),
        )
        .unwrap();
        let parts = |host: &str| {
            http::Request::get("/")
                .header("host", host)
                .body(())
                .unwrap()
                .into_parts()
                .0
        };
        for host in [
            "foo-service",
            "foo-service:8080",
            "FOO-SERVICE.lattice.localhost",
            "foo-service.lattice.localhost.:8080",
        ] {
            assert_eq!(plane.service_for_host(&parts(host)), Some(0), "{host}");
        }
        assert_eq!(
            plane.service_for_host(&parts("bar.lattice.localhost")),
            None
        );
    }
}
