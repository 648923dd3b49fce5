//! lattice-local beside nginx: both as reverse proxies in front of the same upstream, both
//! writing an access log, measured by `wrk` in the same run. Skipped when `nginx` or `wrk` is
//! not installed (`apt-get install nginx-light wrk`).
//!
//! lattice-local runs as `lattice-local up` (the release binary, its own process, its stdout
//! and so its access log to a file); nginx runs with a configuration written here: loopback
//! ports, `worker_processes auto`, access log on, a keep-alive upstream pool. Rounds alternate
//! between the two so that load from elsewhere on the machine hits both alike; the median of
//! the rounds is reported.
//!
//! The template's listeners are `HTTPS`; the bench serves a copy of it with a second, `HTTP`
//! listener on port 80 for `eks-app` and `foo-service` (same rules and default actions), so one
//! `lattice-local up` serves both and the HTTP and HTTPS columns come from the same run. `wrk`
//! keeps its TLS connections alive like its plain ones (one handshake per connection).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use lattice_local::up::Workspace;

use super::BenchError;

/// One `wrk` result.
#[derive(Clone, Copy, Debug, Default)]
pub struct Wrk {
    pub rps: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
}

/// A child process and the signal that stops it cleanly: nginx's master stops its workers on
/// `SIGTERM` (`SIGKILL` would orphan them); lattice-local stops its functions on `SIGINT`.
struct Child {
    process: tokio::process::Child,
    signal: libc::c_int,
}

impl Child {
    fn signal(&self) {
        if let Some(pid) = self
            .process
            .id()
            .and_then(|pid| libc::pid_t::try_from(pid).ok())
        {
            // SAFETY: `kill` touches no memory of ours; `pid` is our own child.
            unsafe { libc::kill(pid, self.signal) };
        }
    }

    /// Signals it and waits a little for it to exit.
    async fn stop(mut self) {
        self.signal();
        let _ = tokio::time::timeout(Duration::from_secs(10), self.process.wait()).await;
    }
}

impl Drop for Child {
    fn drop(&mut self) {
        // On an early return (a failed `wrk`), still stop it cleanly; a no-op once it exited.
        if matches!(self.process.try_wait(), Ok(None)) {
            self.signal();
        }
    }
}

fn on_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join(program).is_file()))
}

/// A second, `HTTP` listener on port 80 for `eks-app` (with the `/app` rule of its `HTTPS`
/// one) and for `foo-service` (forwarding to the provider), as a service may have in Lattice.
const HTTP_LISTENERS: &str = r#"
  BenchEksAppHttpListener:
    Type: AWS::VpcLattice::Listener
    Condition: CreateEksApp
    Properties:
      ServiceIdentifier: !Ref EksAppService
      Protocol: HTTP
      Port: 80
      DefaultAction:
        FixedResponse:
          StatusCode: 404

  BenchEksAppHttpRule:
    Type: AWS::VpcLattice::Rule
    Condition: CreateEksApp
    Properties:
      ServiceIdentifier: !Ref EksAppService
      ListenerIdentifier: !Ref BenchEksAppHttpListener
      Priority: 10
      Match:
        HttpMatch:
          PathMatch:
            Match:
              Prefix: /app
      Action:
        Forward:
          TargetGroups:
            - TargetGroupIdentifier: !Ref EksAppTargetGroup
              Weight: 100

  BenchProviderHttpListener:
    Type: AWS::VpcLattice::Listener
    Properties:
      ServiceIdentifier: !Ref ProviderService
      Protocol: HTTP
      Port: 80
      DefaultAction:
        Forward:
          TargetGroups:
            - TargetGroupIdentifier: !Ref ProviderTargetGroup
              Weight: 100

"#;

/// The workspace's template with [`HTTP_LISTENERS`] added at the end of its `Resources`
/// (just before `Outputs`), written to `dir`.
fn template_with_http_listeners(workspace: &Workspace, dir: &Path) -> Result<PathBuf, BenchError> {
    let template = std::fs::read_to_string(workspace.template())?;
    let outputs = template
        .find("\nOutputs:")
        .ok_or("template.yaml has no Outputs section to insert the HTTP listeners before")?;
    let mut text = template[..=outputs].to_owned();
    text.push_str(HTTP_LISTENERS);
    text.push_str(&template[outputs + 1..]);
    let path = dir.join("template-http-and-https.yaml");
    std::fs::write(&path, text)?;
    Ok(path)
}

fn free_port() -> Result<u16, BenchError> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

fn nginx_config(dir: &Path, port: u16, upstream: SocketAddr) -> String {
    let dir = dir.display();
    format!(
        "worker_processes auto;\npid {dir}/nginx.pid;\nerror_log {dir}/error.log warn;\n\
         events {{ worker_connections 1024; }}\n\
         http {{\n  access_log {dir}/access.log;\n\
         upstream pod {{ server {upstream}; keepalive 64; }}\n\
         server {{\n    listen 127.0.0.1:{port};\n\
         location / {{ proxy_pass http://pod; proxy_http_version 1.1; proxy_set_header Connection \"\"; }}\n  }}\n}}\n"
    )
}

/// The version line of `nginx -v`.
pub fn nginx_version() -> String {
    std::process::Command::new("nginx")
        .arg("-v")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stderr).trim().to_owned())
        .unwrap_or_default()
}

async fn wait_for_port(port: u16) -> Result<(), BenchError> {
    for _ in 0..200 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Err(format!("nothing listens on port {port}").into())
}

/// Runs `wrk` against `url` with `connections` connections for `seconds`.
pub async fn wrk(url: &str, connections: usize, seconds: u64) -> Result<Wrk, BenchError> {
    let threads = connections.min(2).to_string();
    let output = tokio::process::Command::new("wrk")
        .args(["-t", &threads, "-c", &connections.to_string()])
        .args(["-d", &format!("{seconds}s"), "--latency", url])
        .output()
        .await?;
    let text = String::from_utf8_lossy(&output.stdout);
    let mut result = Wrk::default();
    for line in text.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            ["Requests/sec:", rps] => result.rps = rps.parse()?,
            ["50%", value] => result.p50_ms = millis(value)?,
            ["99%", value] => result.p99_ms = millis(value)?,
            _ => {}
        }
        if line.contains("Non-2xx") || line.contains("Socket errors") {
            return Err(format!("wrk reported errors for {url}:\n{text}").into());
        }
    }
    if result.rps == 0.0 {
        return Err(format!("wrk printed no rate for {url}:\n{text}").into());
    }
    Ok(result)
}

/// `wrk`'s `123.45us`, `1.20ms`, `2.00s` in milliseconds.
fn millis(value: &str) -> Result<f64, BenchError> {
    let (number, factor) = if let Some(n) = value.strip_suffix("us") {
        (n, 0.001)
    } else if let Some(n) = value.strip_suffix("ms") {
        (n, 1.0)
    } else if let Some(n) = value.strip_suffix('s') {
        (n, 1000.0)
    } else {
        return Err(format!("unknown wrk duration {value:?}").into());
    };
    Ok(number.parse::<f64>()? * factor)
}

/// The median of each field over `runs`.
fn median(runs: &[Wrk]) -> Wrk {
    let pick = |f: fn(&Wrk) -> f64| {
        let mut values: Vec<f64> = runs.iter().map(f).collect();
        values.sort_by(f64::total_cmp);
        values[values.len() / 2]
    };
    Wrk {
        rps: pick(|w| w.rps),
        p50_ms: pick(|w| w.p50_ms),
        p99_ms: pick(|w| w.p99_ms),
    }
}

/// What the comparison measured (medians).
pub struct Comparison {
    pub lattice_16: Wrk,
    pub nginx_16: Wrk,
    pub lattice_1: Wrk,
    pub nginx_1: Wrk,
    pub lambda_16: Wrk,
    /// The same paths through the `HTTPS` listeners (TLS, keep-alive).
    pub lattice_tls_16: Wrk,
    pub lattice_tls_1: Wrk,
    pub lambda_tls_16: Wrk,
    pub rounds: usize,
}

/// Starts `lattice-local up` and nginx in front of `upstream` and measures both; `None` when
/// `nginx` or `wrk` is missing.
pub async fn compare(
    workspace: &Workspace,
    upstream: SocketAddr,
    rounds: usize,
    seconds: u64,
) -> Result<Option<Comparison>, BenchError> {
    if !on_path("nginx") || !on_path("wrk") {
        println!("(nginx or wrk not found: the nginx comparison is skipped)");
        return Ok(None);
    }
    let dir: PathBuf = std::env::temp_dir().join(format!("lattice-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let (nginx_port, eks_port, foo_port) = (free_port()?, free_port()?, free_port()?);
    let (eks_tls_port, foo_tls_port) = (free_port()?, free_port()?);
    let template = template_with_http_listeners(workspace, &dir)?;
    let config = dir.join("nginx.conf");
    std::fs::write(&config, nginx_config(&dir, nginx_port, upstream))?;
    let nginx_process = Child {
        signal: libc::SIGTERM,
        process: tokio::process::Command::new("nginx")
            .arg("-c")
            .arg(&config)
            .arg("-p")
            .arg(&dir)
            .args(["-g", "daemon off;"])
            .spawn()?,
    };
    let access_log = std::fs::File::create(dir.join("lattice-local.log"))?;
    let lattice_process = Child {
        signal: libc::SIGINT,
        process: tokio::process::Command::new(workspace.binary("lattice-local"))
            .args(["up", "--no-build", "--port", "0", "--https-port", "0"])
            .args(["--invoke-port", "0", "--template"])
            .arg(&template)
            // The bench's own CA, not the user's state directory.
            .arg("--state-dir")
            .arg(dir.join("state"))
            .args(["--parameter", "EksAppMode=template"])
            .args(["--parameter", "EksAppAuthType=NONE"])
            .args(inspector_args())
            .arg("--upstream")
            .arg(format!("EksAppTargetGroup=http://{upstream}"))
            .arg("--service-port")
            .arg(format!("eks-app:80={eks_port}"))
            .arg("--service-port")
            .arg(format!("eks-app:443={eks_tls_port}"))
            .arg("--service-port")
            .arg(format!("foo-service:80={foo_port}"))
            .arg("--service-port")
            .arg(format!("foo-service:443={foo_tls_port}"))
            .stdout(Stdio::from(access_log))
            .stderr(Stdio::null())
            .spawn()?,
    };
    wait_for_port(nginx_port).await?;
    for port in [eks_port, eks_tls_port, foo_port, foo_tls_port] {
        wait_for_port(port).await?;
    }
    let lattice = format!("http://127.0.0.1:{eks_port}/app");
    let lattice_tls = format!("https://127.0.0.1:{eks_tls_port}/app");
    let nginx = format!("http://127.0.0.1:{nginx_port}/app");
    let lambda = format!("http://127.0.0.1:{foo_port}/");
    let lambda_tls = format!("https://127.0.0.1:{foo_tls_port}/");
    // Warm: connections, upstream pools, function instances.
    for url in [&lattice, &lattice_tls, &nginx, &lambda, &lambda_tls] {
        wrk(url, 16, 2).await?;
    }
    let mut runs: [Vec<Wrk>; 8] = Default::default();
    for _ in 0..rounds {
        runs[0].push(wrk(&lattice, 16, seconds).await?);
        runs[1].push(wrk(&nginx, 16, seconds).await?);
        runs[2].push(wrk(&lattice, 1, seconds).await?);
        runs[3].push(wrk(&nginx, 1, seconds).await?);
        runs[4].push(wrk(&lambda, 16, seconds).await?);
        runs[5].push(wrk(&lattice_tls, 16, seconds).await?);
        runs[6].push(wrk(&lattice_tls, 1, seconds).await?);
        runs[7].push(wrk(&lambda_tls, 16, seconds).await?);
    }
    lattice_process.stop().await;
    nginx_process.stop().await;
    let _ = std::fs::remove_dir_all(&dir);
    Ok(Some(Comparison {
        lattice_16: median(&runs[0]),
        nginx_16: median(&runs[1]),
        lattice_1: median(&runs[2]),
        nginx_1: median(&runs[3]),
        lambda_16: median(&runs[4]),
        lattice_tls_16: median(&runs[5]),
        lattice_tls_1: median(&runs[6]),
        lambda_tls_16: median(&runs[7]),
        rounds,
    }))
}

impl Comparison {
    /// The table, the ratios and the goals.
    pub fn print(&self, version: &str) {
        println!();
        println!(
            "lattice-local vs {version} as reverse proxies (wrk, median of {} rounds):",
            self.rounds
        );
        println!();
        println!("| path | connections | req/s | p50 ms | p99 ms |");
        println!("|---|---:|---:|---:|---:|");
        let row = |name: &str, c: usize, w: &Wrk| {
            println!(
                "| {name} | {c} | {:.0} | {:.3} | {:.3} |",
                w.rps, w.p50_ms, w.p99_ms
            );
        };
        row(
            "lattice-local -> upstream (HTTP target)",
            16,
            &self.lattice_16,
        );
        row("nginx -> upstream", 16, &self.nginx_16);
        row(
            "lattice-local -> upstream (HTTP target)",
            1,
            &self.lattice_1,
        );
        row("nginx -> upstream", 1, &self.nginx_1);
        row(
            "lattice-local -> provider (LAMBDA target)",
            16,
            &self.lambda_16,
        );
        println!();
        println!(
            "The same lattice-local, same run, through its HTTPS listeners (TLS, keep-alive):"
        );
        println!();
        println!(
            "| path | connections | HTTP req/s | HTTPS req/s | HTTP p50 ms | HTTPS p50 ms | HTTP p99 ms | HTTPS p99 ms |"
        );
        println!("|---|---:|---:|---:|---:|---:|---:|---:|");
        let pair = |name: &str, c: usize, http: &Wrk, https: &Wrk| {
            println!(
                "| {name} | {c} | {:.0} | {:.0} | {:.3} | {:.3} | {:.3} | {:.3} |",
                http.rps, https.rps, http.p50_ms, https.p50_ms, http.p99_ms, https.p99_ms
            );
        };
        pair(
            "lattice-local -> upstream (HTTP target)",
            16,
            &self.lattice_16,
            &self.lattice_tls_16,
        );
        pair(
            "lattice-local -> upstream (HTTP target)",
            1,
            &self.lattice_1,
            &self.lattice_tls_1,
        );
        pair(
            "lattice-local -> provider (LAMBDA target)",
            16,
            &self.lambda_16,
            &self.lambda_tls_16,
        );
        let rps = self.lattice_16.rps / self.nginx_16.rps;
        let p99 = self.lattice_16.p99_ms / self.nginx_16.p99_ms;
        let p50 = self.lattice_1.p50_ms / self.nginx_1.p50_ms;
        println!();
        println!(
            "vs nginx: 16 connections {rps:.2}x req/s, p99 {p99:.2}x; 1 connection p50 {p50:.2}x"
        );
        let goals = [
            ("16 connections: >= 1.0x nginx req/s", rps >= 1.0),
            ("16 connections: p99 <= 2x nginx's", p99 <= 2.0),
            ("1 connection: p50 <= 1.2x nginx's", p50 <= 1.2),
            (
                "LAMBDA target: >= 5,000 req/s at 16 connections",
                self.lambda_16.rps >= 5000.0,
            ),
            ("LAMBDA target: p99 < 5 ms", self.lambda_16.p99_ms < 5.0),
        ];
        for (goal, met) in goals {
            println!("goal {goal}: {}", if met { "met" } else { "NOT met" });
        }
    }
}

/// `--no-inspector` unless `BENCH_INSPECTOR=on`: the proxies are compared as proxies (nginx
/// keeps no exchanges either); with it on, the same rows show what the inspector costs.
fn inspector_args() -> &'static [&'static str] {
    match std::env::var("BENCH_INSPECTOR").as_deref() {
        Ok("on") => &["--inspector-port", "0"],
        _ => &["--no-inspector"],
    }
}
