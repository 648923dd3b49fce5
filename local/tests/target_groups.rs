//! Target groups as EKS uses them: several targets per group (the template's `Targets` and
//! `--upstream GROUP=URL,URL`) sharing its load round robin, inside weighted forwarding; health
//! checks from `Config.HealthCheck` that take a failing target out and bring it back; every
//! target unhealthy -> the group fails open.

mod common;

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use bytes::Bytes;
use common::{REGION, echo_upstream, get, send};
use http::{Request, Response, StatusCode};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use lattice_local::dataplane::DataPlaneOptions;
use lattice_local::model::TargetKind;
use lattice_local::targets::{HEALTH_CHECK_USER_AGENT, TargetHealth, TargetStatus};
use lattice_local::template::{LoadOptions, Topology};
use lattice_local::up::{Stack, StackOptions};
use tokio::net::TcpListener;

const TEMPLATE: &str = r#"
Parameters:
  PortA: { Type: Number }
  PortB: { Type: Number }
Resources:
  Shop:
    Type: AWS::VpcLattice::Service
    Properties: { Name: shop }
  Pods:
    Type: AWS::VpcLattice::TargetGroup
    Properties:
      Type: IP
      Config:
        Port: 80
        Protocol: HTTP
        HealthCheck:
          Path: /health
          HealthyThresholdCount: 2
          UnhealthyThresholdCount: 2
          Matcher: { HttpCode: "200-299" }
      Targets:
        - { Id: 127.0.0.1, Port: !Ref PortA }
        - { Id: 127.0.0.1, Port: !Ref PortB }
  Main:
    Type: AWS::VpcLattice::TargetGroup
    Properties: { Type: IP, Config: { Port: 80, Protocol: HTTP, HealthCheck: { Enabled: false } } }
  Canary:
    Type: AWS::VpcLattice::TargetGroup
    Properties: { Type: IP, Config: { Port: 80, Protocol: HTTP, HealthCheck: { Enabled: false } } }
  Listener:
    Type: AWS::VpcLattice::Listener
    Properties:
      ServiceIdentifier: !Ref Shop
      Protocol: HTTP
      Port: 80
      DefaultAction: { Forward: { TargetGroups: [ { TargetGroupIdentifier: !Ref Pods } ] } }
  Weighted:
    Type: AWS::VpcLattice::Rule
    Properties:
      ServiceIdentifier: !Ref Shop
      ListenerIdentifier: !Ref Listener
      Priority: 1
      Match: { HttpMatch: { PathMatch: { Match: { Prefix: /weighted } } } }
      Action:
        Forward:
          TargetGroups:
            - { TargetGroupIdentifier: !Ref Main, Weight: 90 }
            - { TargetGroupIdentifier: !Ref Canary, Weight: 10 }
"#;

/// An upstream whose `/health` answers `200` while `healthy` is set and `503` otherwise; every
/// other path answers `200` with the upstream's name, sick or not (what fail-open reaches).
async fn switchable_upstream(name: &'static str) -> (SocketAddr, Arc<AtomicBool>) {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await.unwrap();
    let addr = listener.local_addr().unwrap();
    let healthy = Arc::new(AtomicBool::new(true));
    let switch = Arc::clone(&healthy);
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let healthy = Arc::clone(&healthy);
            tokio::spawn(async move {
                let service = service_fn(move |request: Request<Incoming>| {
                    let healthy = healthy.load(Ordering::SeqCst);
                    async move {
                        let checked = request.uri().path() == "/health";
                        // A check that is not lattice-local's own fails (and the test with it).
                        let agent_ok = request.headers().get("user-agent").map(|a| a.as_bytes())
                            == Some(HEALTH_CHECK_USER_AGENT.as_bytes());
                        let (status, body) = match (checked, healthy && agent_ok) {
                            (true, true) => (StatusCode::NO_CONTENT, String::new()),
                            (true, false) => (StatusCode::SERVICE_UNAVAILABLE, String::new()),
                            (false, _) => (StatusCode::OK, name.to_owned()),
                        };
                        let mut response = Response::new(Full::new(Bytes::from(body)));
                        *response.status_mut() = status;
                        Ok::<_, Infallible>(response)
                    }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    (addr, switch)
}

struct Running {
    stack: Stack,
    sick: [Arc<AtomicBool>; 2],
}

/// The template with `Pods` targets on two switchable upstreams (`a`, `b`), checked every
/// 20 ms instead of every 30 s (the template cannot go below Lattice's 5 s), and `Main`/`Canary`
/// given by `--upstream`.
async fn start(upstreams: BTreeMap<String, String>) -> Running {
    let (a, a_healthy) = switchable_upstream("a").await;
    let (b, b_healthy) = switchable_upstream("b").await;
    let load = LoadOptions::new(REGION)
        .with_parameter("PortA", a.port().to_string())
        .with_parameter("PortB", b.port().to_string());
    let mut topology = Topology::from_yaml(TEMPLATE, &load).expect("template");
    let Some(TargetKind::Http { health_check, .. }) =
        topology.target_groups.get_mut("Pods").map(|g| &mut g.kind)
    else {
        panic!("Pods is an IP target group");
    };
    health_check.interval = Duration::from_millis(20);
    let mut options = StackOptions::new(DataPlaneOptions::new(REGION, Arc::default()));
    options.upstreams = upstreams;
    let stack = Stack::start(&topology, options, |name| {
        panic!("no functions, asked for {name}")
    })
    .await
    .expect("stack starts");
    Running {
        stack,
        sick: [a_healthy, b_healthy],
    }
}

impl Running {
    fn shop(&self) -> SocketAddr {
        self.stack.data_plane.endpoint("shop").expect("shop").addr
    }

    /// Waits until the `Pods` targets have these statuses (a guard stops a hung test).
    async fn statuses(&self, expected: [TargetStatus; 2]) -> Vec<TargetHealth> {
        let mut watcher = self
            .stack
            .data_plane
            .watch_target_health("Pods")
            .expect("Pods has HTTP targets");
        let reached = watcher
            .wait_for(|health| health.iter().map(|h| h.status).collect::<Vec<_>>() == expected);
        tokio::time::timeout(Duration::from_secs(30), reached)
            .await
            .unwrap_or_else(|_| panic!("never reached {expected:?}"))
            .expect("data plane running")
            .clone()
    }

    /// Which upstream answered each of `count` requests to `path`.
    async fn answers(&self, path: &str, count: usize) -> BTreeMap<String, usize> {
        let mut seen = BTreeMap::new();
        for _ in 0..count {
            let reply = send(get(self.shop(), "shop", path)).await;
            assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
            // The echo upstreams answer JSON naming themselves, the switchable ones plain text.
            let name = match serde_json::from_slice::<serde_json::Value>(&reply.body) {
                Ok(json) => json["upstream"].as_str().unwrap_or_default().to_owned(),
                Err(_) => reply.text(),
            };
            *seen.entry(name).or_default() += 1;
        }
        seen
    }
}

fn counts(pairs: &[(&str, usize)]) -> BTreeMap<String, usize> {
    pairs.iter().map(|(k, v)| ((*k).to_owned(), *v)).collect()
}

#[tokio::test]
async fn a_failing_target_is_taken_out_and_brought_back() {
    use TargetStatus::{Healthy, Unhealthy};
    let running = start(BTreeMap::new()).await;
    running.statuses([Healthy, Healthy]).await;
    assert_eq!(
        running.answers("/", 10).await,
        counts(&[("a", 5), ("b", 5)])
    );

    running.sick[1].store(false, Ordering::SeqCst);
    let health = running.statuses([Healthy, Unhealthy]).await;
    assert_eq!(
        health[1].reason.as_deref(),
        Some("status 503 does not match 200-299")
    );
    assert!(
        health[1].target.starts_with("http://127.0.0.1:"),
        "{health:?}"
    );
    assert_eq!(running.answers("/", 10).await, counts(&[("a", 10)]));

    running.sick[1].store(true, Ordering::SeqCst);
    let health = running.statuses([Healthy, Healthy]).await;
    assert_eq!(health[1].reason, None);
    assert_eq!(
        running.answers("/", 10).await,
        counts(&[("a", 5), ("b", 5)])
    );
}

#[tokio::test]
async fn when_every_target_is_unhealthy_the_group_fails_open() {
    use TargetStatus::Unhealthy;
    let running = start(BTreeMap::new()).await;
    for sick in &running.sick {
        sick.store(false, Ordering::SeqCst);
    }
    running.statuses([Unhealthy, Unhealthy]).await;
    // Lattice routes to all of them rather than refusing.
    assert_eq!(
        running.answers("/", 10).await,
        counts(&[("a", 5), ("b", 5)])
    );
}

#[tokio::test]
async fn several_targets_of_a_group_share_its_weighted_share() {
    let one = echo_upstream("main-1").await;
    let two = echo_upstream("main-2").await;
    let canary = echo_upstream("canary").await;
    let running = start(BTreeMap::from([
        ("Main".to_owned(), format!("http://{one}, http://{two}")),
        ("Canary".to_owned(), format!("http://{canary}")),
    ]))
    .await;
    // 90/10 between the groups, the 90 split evenly between Main's two targets.
    assert_eq!(
        running.answers("/weighted", 200).await,
        counts(&[("main-1", 90), ("main-2", 90), ("canary", 20)])
    );
    // Groups with checks disabled report their targets as unchecked.
    let main = running.stack.data_plane.target_health("Main").unwrap();
    assert_eq!(main.len(), 2);
    assert!(main.iter().all(|h| h.status == TargetStatus::Unavailable));
}
