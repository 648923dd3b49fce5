//! Throughput and latency of lattice-local (not a timed test; see BENCHMARKS.md).
//!
//! 1. `foo-service` -> LAMBDA target -> the release `provider`: 16 concurrent
//!    clients, 10,000 `GET /`, beside the same provider invoked straight
//!    through the Runtime API (`FunctionPool::invoke`) with the same event.
//! 2. An HTTP target (reverse proxy) beside calling its upstream directly.
//!
//! 3. lattice-local (`lattice-local up`, its own process) beside nginx as reverse proxies in
//!    front of the same upstream, with `wrk`, when both are installed ([`peer`]).
//!
//! Run: `cargo bench -p lattice-local --bench throughput`
//! (`BENCH_REQUESTS`, `BENCH_CONCURRENCY`, `BENCH_INSTANCES`, `BENCH_PEER_ROUNDS`,
//! `BENCH_PEER_SECONDS` override the defaults; `BENCH_INSPECTOR=on` keeps `up`'s request
//! inspector on in the nginx comparison).

mod peer;

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::future::Future;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioIo};
use lattice_lambda::{EventVersion, LatticeRequest, RequestContext};
use lattice_local::auth::CredentialStore;
use lattice_local::dataplane::DataPlaneOptions;
use lattice_local::functions::{DiscardLogSink, InvokeOptions, InvokeOutcome};
use lattice_local::template::{DEFAULT_REGION, LoadOptions, Topology};
use lattice_local::up::{Stack, StackOptions, Workspace};
use tokio::net::TcpListener;

type BenchError = Box<dyn std::error::Error + Send + Sync>;

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Latencies and wall time of one run.
struct Run {
    latencies: Vec<Duration>,
    errors: usize,
    wall: Duration,
}

impl Run {
    fn percentile(&self, p: f64) -> Duration {
        if self.latencies.is_empty() {
            return Duration::ZERO;
        }
        let index = ((self.latencies.len() as f64 - 1.0) * p).round() as usize;
        self.latencies[index]
    }

    fn rate(&self) -> f64 {
        self.latencies.len() as f64 / self.wall.as_secs_f64()
    }

    fn row(&self, name: &str) -> String {
        format!(
            "| {name} | {} | {} | {:.0} | {:.3} | {:.3} |",
            self.latencies.len() + self.errors,
            self.errors,
            self.rate(),
            self.percentile(0.50).as_secs_f64() * 1000.0,
            self.percentile(0.99).as_secs_f64() * 1000.0,
        )
    }
}

/// Runs `requests` calls of `call` from `concurrency` tasks; a call returns
/// whether it succeeded.
async fn drive<F, Fut>(requests: usize, concurrency: usize, call: F) -> Run
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: Future<Output = bool> + Send,
{
    let call = Arc::new(call);
    let issued = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let mut tasks = Vec::with_capacity(concurrency);
    for _ in 0..concurrency {
        let call = Arc::clone(&call);
        let issued = Arc::clone(&issued);
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut errors = 0;
            while issued.fetch_add(1, Ordering::Relaxed) < requests {
                let began = Instant::now();
                if call().await {
                    latencies.push(began.elapsed());
                } else {
                    errors += 1;
                }
            }
            (latencies, errors)
        }));
    }
    let mut latencies = Vec::with_capacity(requests);
    let mut errors = 0;
    for task in tasks {
        match task.await {
            Ok((l, e)) => {
                latencies.extend(l);
                errors += e;
            }
            Err(_) => errors += 1,
        }
    }
    let wall = start.elapsed();
    latencies.sort_unstable();
    Run {
        latencies,
        errors,
        wall,
    }
}

fn client() -> Client<HttpConnector, Full<Bytes>> {
    let mut connector = HttpConnector::new();
    connector.set_nodelay(true);
    Client::builder(TokioExecutor::new())
        .pool_max_idle_per_host(64)
        .build(connector)
}

async fn get_ok(
    client: &Client<HttpConnector, Full<Bytes>>,
    url: &str,
    host: &str,
    expected: &[u8],
) -> bool {
    let Ok(request) = Request::get(url)
        .header("host", host)
        .body(Full::new(Bytes::new()))
    else {
        return false;
    };
    let Ok(response) = client.request(request).await else {
        return false;
    };
    if response.status() != StatusCode::OK {
        return false;
    }
    match response.into_body().collect().await {
        Ok(body) => body.to_bytes().as_ref() == expected,
        Err(_) => false,
    }
}

/// A request source for [`drive`]: each call GETs `url` with `host` and checks the body.
fn getter(
    http: &Client<HttpConnector, Full<Bytes>>,
    url: String,
    host: &'static str,
    expected: &'static [u8],
) -> impl Fn() -> std::pin::Pin<Box<dyn Future<Output = bool> + Send>> + Clone + Send + Sync + 'static
{
    let http = http.clone();
    let url = Arc::new(url);
    move || {
        let http = http.clone();
        let url = Arc::clone(&url);
        Box::pin(async move { get_ok(&http, &url, host, expected).await })
    }
}

/// A minimal upstream: `Hello Bar EKS Pod!!` on every path.
async fn upstream() -> Result<SocketAddr, BenchError> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let _ = stream.set_nodelay(true);
            tokio::spawn(async move {
                let service = service_fn(|_request: Request<Incoming>| async {
                    Ok::<_, Infallible>(Response::new(Full::new(Bytes::from_static(
                        b"Hello Bar EKS Pod!!",
                    ))))
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    Ok(addr)
}

/// The same upstream as a separate Node.js process (closer to a real pod:
/// its own process and event loop), when `node` is installed.
async fn node_upstream() -> Option<(tokio::process::Child, SocketAddr)> {
    use tokio::io::AsyncBufReadExt as _;
    const SERVER: &str = "require('http').createServer((q, s) => s.end('Hello Bar EKS Pod!!'))\
        .listen(0, '127.0.0.1', function () { console.log(this.address().port) })";
    let mut child = tokio::process::Command::new("node")
        .args(["-e", SERVER])
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .ok()?;
    let stdout = child.stdout.take()?;
    let line = tokio::time::timeout(Duration::from_secs(10), async {
        tokio::io::BufReader::new(stdout).lines().next_line().await
    })
    .await
    .ok()?
    .ok()??;
    let port: u16 = line.trim().parse().ok()?;
    Some((child, SocketAddr::from((Ipv4Addr::LOCALHOST, port))))
}

/// Measures an HTTP target (through `lattice`) against its upstream (`direct`).
async fn proxy_pair(
    http: &Client<HttpConnector, Full<Bytes>>,
    lattice: SocketAddr,
    direct: SocketAddr,
    requests: usize,
    concurrency: usize,
) -> (Run, Run) {
    let make = |addr: SocketAddr, host: &'static str| {
        getter(
            http,
            format!("http://{addr}/app"),
            host,
            b"Hello Bar EKS Pod!!",
        )
    };
    let through = make(lattice, "eks-app.lattice.localhost");
    let straight = make(direct, "pod");
    drive(requests / 10, concurrency, through.clone()).await;
    drive(requests / 10, concurrency, straight.clone()).await;
    let proxied = drive(requests, concurrency, through).await;
    let upstream = drive(requests, concurrency, straight).await;
    (proxied, upstream)
}

async fn bench() -> Result<(), BenchError> {
    let requests = env_usize("BENCH_REQUESTS", 10_000);
    let concurrency = env_usize("BENCH_CONCURRENCY", 16);
    let instances = env_usize("BENCH_INSTANCES", 2);
    let workspace = Workspace::locate()?;
    println!("building the functions (release):");
    workspace.build(&["provider", "eks-client", "lattice-local"])?;

    let pod = upstream().await?;
    // The auth gate still runs (signature check of an unsigned request); eks-app's
    // AWS_IAM would deny unsigned calls, so the proxy is measured with AuthType NONE.
    let topology_none = Topology::load(
        &workspace.template(),
        &LoadOptions::new(DEFAULT_REGION)
            .with_parameter("EksAppMode", "template")
            .with_parameter("EksAppAuthType", "NONE"),
    )?;
    let store = Arc::new(CredentialStore::from_entries(Vec::new())?);
    let mut options = StackOptions::new(DataPlaneOptions::new(DEFAULT_REGION, store));
    options.max_instances = instances;
    options.log_sink = Arc::new(DiscardLogSink);
    options.upstreams = BTreeMap::from([("EksAppTargetGroup".to_owned(), format!("http://{pod}"))]);
    let stack = Stack::start(&topology_none, options, |name| workspace.binary(name)).await?;
    let provider_addr = stack
        .data_plane
        .endpoint("foo-service")
        .ok_or("foo-service not served")?
        .addr;
    let eks_addr = stack
        .data_plane
        .endpoint("eks-app")
        .ok_or("eks-app not served")?
        .addr;
    let pool = stack
        .pool("ProviderFunction")
        .ok_or("ProviderFunction not running")?
        .clone();
    pool.warm(instances).await?;

    let http = client();
    let through = getter(
        &http,
        format!("http://{provider_addr}/"),
        "foo-service.lattice.localhost",
        b"Hello Foo Lambda!!",
    );
    let event = {
        let mut request = LatticeRequest::new(EventVersion::V2, http::Method::GET, "/");
        request
            .headers
            .insert("host", "foo-service.lattice.localhost".parse()?);
        request.context = Some(RequestContext {
            region: Some(DEFAULT_REGION.into()),
            ..RequestContext::default()
        });
        Bytes::from(request.to_event_json(EventVersion::V2))
    };
    let direct = {
        let pool = pool.clone();
        move || {
            let pool = pool.clone();
            let event = event.clone();
            async move {
                matches!(
                    pool.invoke(event, InvokeOptions::default()).await,
                    Ok(InvokeOutcome::Response(ref body)) if body.windows(18).any(|w| w == b"Hello Foo Lambda!!")
                )
            }
        }
    };
    let proxied = getter(
        &http,
        format!("http://{eks_addr}/app"),
        "eks-app.lattice.localhost",
        b"Hello Bar EKS Pod!!",
    );
    let upstream_direct = getter(
        &http,
        format!("http://{pod}/app"),
        "pod",
        b"Hello Bar EKS Pod!!",
    );

    // Warm connections and instances before measuring.
    let warm = requests / 10;
    drive(warm, concurrency, through.clone()).await;
    drive(warm, concurrency, direct.clone()).await;
    drive(warm, concurrency, proxied.clone()).await;
    drive(warm, concurrency, upstream_direct.clone()).await;

    let lambda_via_lattice = drive(requests, concurrency, through.clone()).await;
    let lambda_direct = drive(requests, concurrency, direct.clone()).await;
    let proxy = drive(requests, concurrency, proxied.clone()).await;
    let upstream_only = drive(requests, concurrency, upstream_direct.clone()).await;
    // One client at a time: latency without queueing for the 2 cores.
    let sequential = requests / 5;
    let lambda_via_lattice_1 = drive(sequential, 1, through).await;
    let lambda_direct_1 = drive(sequential, 1, direct).await;
    let proxy_1 = drive(sequential, 1, proxied).await;
    let upstream_only_1 = drive(sequential, 1, upstream_direct).await;

    println!();
    println!(
        "{requests} requests, {concurrency} concurrent clients, {instances} provider instances, {} cores",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    println!();
    println!("| path | requests | errors | req/s | p50 ms | p99 ms |");
    println!("|---|---:|---:|---:|---:|---:|");
    println!(
        "{}",
        lambda_via_lattice.row("lattice-local -> provider (LAMBDA target)")
    );
    println!(
        "{}",
        lambda_direct.row("provider via Runtime API (FunctionPool::invoke)")
    );
    println!("{}", proxy.row("lattice-local -> upstream (HTTP target)"));
    println!("{}", upstream_only.row("upstream directly"));
    println!();
    println!("one client at a time ({sequential} requests each):");
    println!();
    println!("| path | requests | errors | req/s | p50 ms | p99 ms |");
    println!("|---|---:|---:|---:|---:|---:|");
    println!(
        "{}",
        lambda_via_lattice_1.row("lattice-local -> provider (LAMBDA target)")
    );
    println!(
        "{}",
        lambda_direct_1.row("provider via Runtime API (FunctionPool::invoke)")
    );
    println!("{}", proxy_1.row("lattice-local -> upstream (HTTP target)"));
    println!("{}", upstream_only_1.row("upstream directly"));
    println!();
    let ratio = |a: Duration, b: Duration| a.as_secs_f64() / b.as_secs_f64().max(f64::EPSILON);
    println!(
        "LAMBDA target vs Runtime API: throughput {:.2}x, p50 {:.2}x, p99 {:.2}x",
        lambda_via_lattice.rate() / lambda_direct.rate(),
        ratio(
            lambda_via_lattice.percentile(0.5),
            lambda_direct.percentile(0.5)
        ),
        ratio(
            lambda_via_lattice.percentile(0.99),
            lambda_direct.percentile(0.99)
        ),
    );
    println!(
        "HTTP target vs direct: p50 {:.2}x, p99 {:.2}x, throughput {:.2}x",
        ratio(proxy.percentile(0.5), upstream_only.percentile(0.5)),
        ratio(proxy.percentile(0.99), upstream_only.percentile(0.99)),
        proxy.rate() / upstream_only.rate(),
    );
    println!(
        "one client: HTTP target vs direct p50 {:.2}x (+{:.0} us), LAMBDA target vs Runtime API p50 {:.2}x",
        ratio(proxy_1.percentile(0.5), upstream_only_1.percentile(0.5)),
        (proxy_1.percentile(0.5).as_secs_f64() - upstream_only_1.percentile(0.5).as_secs_f64())
            * 1e6,
        ratio(
            lambda_via_lattice_1.percentile(0.5),
            lambda_direct_1.percentile(0.5)
        ),
    );
    // The HTTP target again, in front of a Node.js upstream in its own process.
    let node = node_upstream().await;
    let mut node_ratio = None;
    if let Some((_child, node_addr)) = &node {
        let store = Arc::new(CredentialStore::from_entries(Vec::new())?);
        let mut options = StackOptions::new(DataPlaneOptions::new(DEFAULT_REGION, store));
        options.log_sink = Arc::new(DiscardLogSink);
        options.upstreams = BTreeMap::from([(
            "EksAppTargetGroup".to_owned(),
            format!("http://{node_addr}"),
        )]);
        let node_stack =
            Stack::start(&topology_none, options, |name| workspace.binary(name)).await?;
        let eks = node_stack
            .data_plane
            .endpoint("eks-app")
            .ok_or("eks-app not served")?
            .addr;
        let (proxied, direct) = proxy_pair(&http, eks, *node_addr, requests, concurrency).await;
        let (proxied_1, direct_1) = proxy_pair(&http, eks, *node_addr, sequential, 1).await;
        println!();
        println!("HTTP target in front of a Node.js upstream (separate process):");
        println!();
        println!("| path | requests | errors | req/s | p50 ms | p99 ms |");
        println!("|---|---:|---:|---:|---:|---:|");
        println!("{}", proxied.row("lattice-local -> node, 16 clients"));
        println!("{}", direct.row("node directly, 16 clients"));
        println!("{}", proxied_1.row("lattice-local -> node, 1 client"));
        println!("{}", direct_1.row("node directly, 1 client"));
        println!();
        let p50 = ratio(proxied.percentile(0.5), direct.percentile(0.5));
        println!(
            "node: HTTP target vs direct: 16 clients p50 {p50:.2}x, p99 {:.2}x, throughput {:.2}x; 1 client p50 {:.2}x (+{:.0} us)",
            ratio(proxied.percentile(0.99), direct.percentile(0.99)),
            proxied.rate() / direct.rate(),
            ratio(proxied_1.percentile(0.5), direct_1.percentile(0.5)),
            (proxied_1.percentile(0.5).as_secs_f64() - direct_1.percentile(0.5).as_secs_f64())
                * 1e6,
        );
        node_ratio = Some(p50);
        node_stack.shutdown().await;
    } else {
        println!("(node not found: Node.js upstream comparison skipped)");
    }
    let goals = [
        (
            "provider >= 5000 req/s",
            lambda_via_lattice.rate() >= 5000.0,
        ),
        (
            "provider p99 < 5 ms",
            lambda_via_lattice.percentile(0.99) < Duration::from_millis(5),
        ),
        ("0 errors", lambda_via_lattice.errors + proxy.errors == 0),
        (
            "proxy p50 within 1.5x of direct (in-process upstream)",
            ratio(proxy.percentile(0.5), upstream_only.percentile(0.5)) <= 1.5,
        ),
        (
            "proxy p50 within 1.5x of direct (Node.js upstream)",
            node_ratio.is_some_and(|r| r <= 1.5),
        ),
    ];
    for (goal, met) in goals {
        println!("goal {goal}: {}", if met { "met" } else { "NOT met" });
    }
    stack.shutdown().await;
    let rounds = env_usize("BENCH_PEER_ROUNDS", 3);
    let seconds = env_usize("BENCH_PEER_SECONDS", 10) as u64;
    if let Some(comparison) = peer::compare(&workspace, pod, rounds, seconds).await? {
        comparison.print(&peer::nginx_version());
    }
    Ok(())
}

fn main() {
    // `cargo bench` passes `--bench`; nothing else to parse.
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("cannot start the runtime: {error}");
            std::process::exit(1);
        }
    };
    if let Err(error) = runtime.block_on(bench()) {
        eprintln!("benchmark failed: {error}");
        std::process::exit(1);
    }
}
