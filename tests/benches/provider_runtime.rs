//! `provider` beside a minimal baseline function, through the same Runtime API.
//!
//! ```sh
//! cargo bench -p lattice-tests --bench provider_runtime
//! ```
//!
//! Builds the release `provider` (`cargo build --release -p provider --bin provider`, alone,
//! so it carries only its own features) and the release baseline (the source of
//! `tests/src/bin/baseline-function.rs`, built as a standalone crate under
//! `target/bench-baseline/`; see [`build_standalone_baseline`]). Set `PROVIDER_BIN` /
//! `BASELINE_BIN` to measure prebuilt binaries instead.
//! Then, with lattice_local's `FunctionPool` (one instance per function):
//!
//! - init: `COLD_STARTS` fresh processes of each, spawn -> first `/invocation/next`;
//! - latency: `INVOCATIONS` invokes of `events/v2-get.json` each (after `WARMUP`), in
//!   alternating blocks so that load from elsewhere on the machine hits both alike;
//! - peak RSS: `VmHWM` of the long-lived instance after all invocations;
//! - size: the release binary (the workspace release profile strips it).
//!
//! Prints a Markdown table with the ratios and the goals.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use lattice_local::functions::{
    DiscardLogSink, FunctionConfig, FunctionPool, InvokeOptions, InvokeOutcome,
};

const INVOCATIONS: usize = 2000;
const WARMUP: usize = 100;
const BLOCK: usize = 20;
const COLD_STARTS: usize = 20;

const GOAL_P50_RATIO: f64 = 1.2;
const GOAL_INIT: Duration = Duration::from_millis(5);
const GOAL_RSS_KIB: u64 = 6 * 1024;
const GOAL_SIZE_BYTES: u64 = 3 * 1024 * 1024;

type BenchResult<T> = Result<T, Box<dyn std::error::Error>>;

/// One function under measurement.
struct Subject {
    name: &'static str,
    binary: PathBuf,
    inits: Vec<Duration>,
    latencies: Vec<Duration>,
    peak_rss_kib: u64,
    size_bytes: u64,
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}

/// `cargo build --release -p <package> --bin <bin>`, returning the executable cargo reports.
fn build_release(package: &str, bin: &str) -> BenchResult<PathBuf> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    eprintln!("building: cargo build --release -p {package} --bin {bin}");
    let output = Command::new(cargo)
        .current_dir(workspace_root())
        .args(["build", "--release", "-p", package, "--bin", bin])
        .args(["--message-format", "json-render-diagnostics"])
        .output()?;
    if !output.status.success() {
        return Err(format!(
            "cargo build --release -p {package} --bin {bin} failed:\n{}",
            String::from_utf8_lossy(&output.stderr)
        )
        .into());
    }
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|message| message["target"]["name"] == bin)
        .find_map(|message| message["executable"].as_str().map(PathBuf::from))
        .ok_or_else(|| format!("cargo did not report an executable for {bin}").into())
}

/// Builds the baseline as a crate of its own under `target/`, so that it carries only its own
/// dependencies' features: inside the workspace, cargo would unify them with everything
/// `lattice-tests` uses (a hyper server, tracing-subscriber's defaults, ...) and the
/// baseline would no longer be minimal. The workspace `Cargo.lock` is reused (same crate
/// versions) and the release profile is the workspace's.
fn build_standalone_baseline() -> BenchResult<PathBuf> {
    let root = workspace_root();
    let dir = root.join("target/bench-baseline");
    std::fs::create_dir_all(&dir)?;
    let source = root.join("tests/src/bin/baseline-function.rs");
    let manifest = format!(
        r#"# Written by tests/benches/provider_runtime.rs: the benchmark baseline, built alone.
[package]
name = "baseline-function"
version = "0.0.0"
edition = "2024"
publish = false

[[bin]]
name = "baseline-function"
path = "{source}"

[dependencies]
lambda_runtime = {{ version = "1.5", default-features = false, features = ["tracing"] }}
aws_lambda_events = {{ version = "1.2.1", default-features = false, features = ["vpc_lattice"] }}
tokio = {{ version = "1", default-features = false, features = ["macros", "rt"] }}
serde_json = "1"

[profile.release]
lto = "thin"
codegen-units = 1
strip = true
panic = "unwind"
opt-level = 3

[workspace]
"#,
        source = source.display()
    );
    std::fs::write(dir.join("Cargo.toml"), manifest)?;
    std::fs::copy(root.join("Cargo.lock"), dir.join("Cargo.lock"))?;
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    eprintln!("building: the baseline alone, in {}", dir.display());
    let status = Command::new(cargo)
        .current_dir(&dir)
        .args(["build", "--release", "--offline", "--quiet"])
        .status()?;
    if !status.success() {
        return Err(format!(
            "building the standalone baseline in {} failed",
            dir.display()
        )
        .into());
    }
    Ok(dir.join("target/release/baseline-function"))
}

/// A binary from `env` (absolute, or relative to the workspace root), else built.
fn binary(env: &str, build: impl FnOnce() -> BenchResult<PathBuf>) -> BenchResult<PathBuf> {
    let path = match std::env::var_os(env) {
        Some(path) => workspace_root().join(path),
        None => build()?,
    };
    if path.is_file() {
        Ok(path)
    } else {
        Err(format!("{} ({env}) is not a file", path.display()).into())
    }
}

fn pool(subject: &Subject) -> BenchResult<FunctionPool> {
    let config = FunctionConfig::new(subject.name, &subject.binary).with_max_instances(1);
    Ok(FunctionPool::with_log_sink(
        config,
        Arc::new(DiscardLogSink),
    )?)
}

/// Spawn -> first `/next` of one fresh process.
async fn cold_start(subject: &Subject) -> BenchResult<Duration> {
    let pool = pool(subject)?;
    pool.warm(1).await?;
    let init = pool
        .instances()
        .first()
        .and_then(|instance| instance.init_duration)
        .ok_or("the pool reported no init duration")?;
    pool.shutdown().await;
    Ok(init)
}

async fn invoke(pool: &FunctionPool, event: &Bytes) -> BenchResult<Duration> {
    let started = Instant::now();
    let outcome = pool.invoke(event.clone(), InvokeOptions::default()).await?;
    let elapsed = started.elapsed();
    match outcome {
        InvokeOutcome::Response(body)
            if String::from_utf8_lossy(&body).contains("Hello Foo Lambda!!") =>
        {
            Ok(elapsed)
        }
        other => Err(format!("{} answered {other:?}", pool.name()).into()),
    }
}

/// `VmHWM` (peak resident set) of a process, in KiB.
fn peak_rss_kib(pid: u32) -> BenchResult<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        .ok_or_else(|| format!("no VmHWM in /proc/{pid}/status").into())
}

/// Whether the ELF file still has a symbol table (`.symtab` in its section names).
fn has_symbols(path: &Path) -> BenchResult<bool> {
    let bytes = std::fs::read(path)?;
    Ok(bytes.windows(8).any(|window| window == b".symtab\0"))
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let rank = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted.get(rank).copied().unwrap_or_default()
}

fn micros(duration: Duration) -> String {
    format!("{:.0} µs", duration.as_secs_f64() * 1e6)
}

fn millis(duration: Duration) -> String {
    format!("{:.2} ms", duration.as_secs_f64() * 1e3)
}

fn ratio(provider: f64, baseline: f64) -> String {
    if baseline > 0.0 {
        format!("{:.2}x", provider / baseline)
    } else {
        "-".to_owned()
    }
}

fn verdict(ok: bool) -> &'static str {
    if ok { "met" } else { "MISSED" }
}

async fn measure(subjects: &mut [Subject; 2], event: &Bytes) -> BenchResult<()> {
    for round in 0..COLD_STARTS {
        for index in order(round) {
            let init = cold_start(&subjects[index]).await?;
            subjects[index].inits.push(init);
        }
    }

    let pools = [pool(&subjects[0])?, pool(&subjects[1])?];
    for pool in &pools {
        pool.warm(1).await?;
        for _ in 0..WARMUP {
            invoke(pool, event).await?;
        }
    }
    for round in 0..INVOCATIONS / BLOCK {
        for index in order(round) {
            for _ in 0..BLOCK {
                let latency = invoke(&pools[index], event).await?;
                subjects[index].latencies.push(latency);
            }
        }
    }
    for (subject, pool) in subjects.iter_mut().zip(&pools) {
        let pid = pool
            .instances()
            .first()
            .and_then(|instance| instance.pid)
            .ok_or("the pool reported no process id")?;
        subject.peak_rss_kib = peak_rss_kib(pid)?;
        pool.shutdown().await;
    }
    Ok(())
}

/// Which subject goes first in a round: alternate, so neither always runs warmer.
fn order(round: usize) -> [usize; 2] {
    if round.is_multiple_of(2) {
        [0, 1]
    } else {
        [1, 0]
    }
}

fn report(provider: &mut Subject, baseline: &mut Subject) {
    for subject in [&mut *provider, &mut *baseline] {
        subject.inits.sort();
        subject.latencies.sort();
    }
    let (p, b) = (&*provider, &*baseline);
    let init_p50 = |s: &Subject| percentile(&s.inits, 0.5);
    let init_max = |s: &Subject| s.inits.last().copied().unwrap_or_default();
    let lat = |s: &Subject, q| percentile(&s.latencies, q);
    let secs = |d: Duration| d.as_secs_f64();

    println!(
        "\n{INVOCATIONS} invocations each of events/v2-get.json (after {WARMUP} warm-up), {COLD_STARTS} cold starts each\n"
    );
    println!("| | provider | baseline | ratio | goal |");
    println!("|---|---|---|---|---|");
    println!(
        "| init, median (spawn -> first /next) | {} | {} | {} | < 5 ms: {} |",
        millis(init_p50(p)),
        millis(init_p50(b)),
        ratio(secs(init_p50(p)), secs(init_p50(b))),
        verdict(init_p50(p) < GOAL_INIT)
    );
    println!(
        "| init, max | {} | {} | {} | |",
        millis(init_max(p)),
        millis(init_max(b)),
        ratio(secs(init_max(p)), secs(init_max(b)))
    );
    let p50_ratio = secs(lat(p, 0.5)) / secs(lat(b, 0.5)).max(f64::MIN_POSITIVE);
    println!(
        "| invoke p50 | {} | {} | {} | <= {GOAL_P50_RATIO}x: {} |",
        micros(lat(p, 0.5)),
        micros(lat(b, 0.5)),
        ratio(secs(lat(p, 0.5)), secs(lat(b, 0.5))),
        verdict(p50_ratio <= GOAL_P50_RATIO)
    );
    println!(
        "| invoke p99 | {} | {} | {} | |",
        micros(lat(p, 0.99)),
        micros(lat(b, 0.99)),
        ratio(secs(lat(p, 0.99)), secs(lat(b, 0.99)))
    );
    println!(
        "| peak RSS (VmHWM) | {:.2} MiB | {:.2} MiB | {} | < 6 MiB: {} |",
        p.peak_rss_kib as f64 / 1024.0,
        b.peak_rss_kib as f64 / 1024.0,
        ratio(p.peak_rss_kib as f64, b.peak_rss_kib as f64),
        verdict(p.peak_rss_kib < GOAL_RSS_KIB)
    );
    println!(
        "| stripped binary (x86_64) | {:.2} MiB | {:.2} MiB | {} | < 3 MiB: {} |",
        p.size_bytes as f64 / 1048576.0,
        b.size_bytes as f64 / 1048576.0,
        ratio(p.size_bytes as f64, b.size_bytes as f64),
        verdict(p.size_bytes < GOAL_SIZE_BYTES)
    );
    println!(
        "\nbinaries: {} and {}",
        p.binary.display(),
        b.binary.display()
    );
}

fn subject(name: &'static str, binary: PathBuf) -> BenchResult<Subject> {
    if has_symbols(&binary)? {
        eprintln!(
            "warning: {} is not stripped; its size is not comparable",
            binary.display()
        );
    }
    let size_bytes = std::fs::metadata(&binary)?.len();
    Ok(Subject {
        name,
        binary,
        inits: Vec::new(),
        latencies: Vec::new(),
        peak_rss_kib: 0,
        size_bytes,
    })
}

fn main() -> BenchResult<()> {
    // `cargo bench` passes `--bench`; `cargo test --benches` passes nothing extra and
    // should not spend minutes here.
    if !std::env::args().any(|arg| arg == "--bench") {
        println!(
            "provider_runtime: run with `cargo bench -p lattice-tests --bench provider_runtime`"
        );
        return Ok(());
    }
    let provider = binary("PROVIDER_BIN", || build_release("provider", "provider"))?;
    let baseline = binary("BASELINE_BIN", build_standalone_baseline)?;
    let event_path = workspace_root().join("events/v2-get.json");
    let event = Bytes::from(
        std::fs::read(&event_path).map_err(|e| format!("{}: {e}", event_path.display()))?,
    );
    let mut subjects = [
        subject("provider", provider)?,
        subject("baseline", baseline)?,
    ];
    // One thread for the Runtime API, the pool and the log readers, leaving the other core
    // to the function process: fewer threads fighting over two cores, less noise.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(measure(&mut subjects, &event))?;
    let [provider, baseline] = &mut subjects;
    report(provider, baseline);
    Ok(())
}
