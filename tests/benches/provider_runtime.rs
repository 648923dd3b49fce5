//! `provider` beside a minimal baseline function, through the same Runtime API.
//!
//! ```sh
//! cargo bench -p lattice-tests --bench provider_runtime
//! ```
//!
//! Builds the release `provider` (`cargo build --release -p provider --bin provider`, alone
//! and into `target/bench-provider/`, so it carries only its own features, as
//! `cargo lambda build -p provider` would) and the release baseline (the source of
//! `tests/src/bin/baseline-function.rs`, built as a standalone crate under
//! `target/bench-baseline/`; see [`build_standalone_baseline`]). Set `PROVIDER_BIN` /
//! `BASELINE_BIN` to measure prebuilt binaries instead.
//! Then, with lattice_local's `FunctionPool` (one instance per function), for the provider,
//! the provider with its request line filtered out (`RUST_LOG`, to show what the line costs),
//! the provider with `AWS_LAMBDA_LOG_LEVEL=WARN` (no line and no per-invocation span) and the
//! baseline:
//!
//! - init: `COLD_STARTS` fresh processes of each, spawn -> first `/invocation/next`;
//! - latency: `INVOCATIONS` invokes of `events/v2-get.json` each (after `WARMUP`), in
//!   rotating blocks so that load from elsewhere on the machine hits all alike, with the
//!   whole benchmark pinned to one CPU (see [`pin_to_one_cpu`]);
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
/// The request line may cost at most this at p50 (provider minus provider without it).
const GOAL_LINE_COST: Duration = Duration::from_micros(3);
/// `RUST_LOG` that keeps `INFO` but filters out the library's request line (its target).
const REQUEST_LINE_OFF: &str = "info,lattice_lambda::runtime::request_log=warn";
const GOAL_INIT: Duration = Duration::from_millis(5);
const GOAL_RSS_KIB: u64 = 6 * 1024;
const GOAL_SIZE_BYTES: u64 = 3 * 1024 * 1024;

type BenchResult<T> = Result<T, Box<dyn std::error::Error>>;

/// One function under measurement.
struct Subject {
    /// Function name in the pool.
    name: &'static str,
    /// Column heading.
    label: &'static str,
    binary: PathBuf,
    /// Extra environment for the function.
    env: &'static [(&'static str, &'static str)],
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

/// `cargo build --release -p <package> --bin <bin>` into a target directory of its own,
/// returning the executable cargo reports. Its own directory, because a release build of
/// several workspace packages together unifies their features and overwrites
/// `target/release/<bin>` with a larger binary than `cargo lambda build -p <package>` ships.
fn build_release(package: &str, bin: &str) -> BenchResult<PathBuf> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let target_dir = workspace_root().join("target/bench-provider");
    eprintln!(
        "building: cargo build --release -p {package} --bin {bin} --target-dir {}",
        target_dir.display()
    );
    let output = Command::new(cargo)
        .current_dir(workspace_root())
        .args(["build", "--release", "-p", package, "--bin", bin])
        .arg("--target-dir")
        .arg(&target_dir)
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
    // An explicit target directory: a `CARGO_TARGET_DIR` in the environment would
    // otherwise send the build elsewhere (and into the workspace's feature-unified tree).
    let status = Command::new(cargo)
        .current_dir(&dir)
        .args(["build", "--release", "--quiet", "--target-dir"])
        .arg(dir.join("target"))
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
    let mut config = FunctionConfig::new(subject.name, &subject.binary).with_max_instances(1);
    for (key, value) in subject.env {
        config = config.with_env(*key, *value);
    }
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

async fn measure(subjects: &mut [Subject], event: &Bytes) -> BenchResult<()> {
    for round in 0..COLD_STARTS {
        for index in order(round, subjects.len()) {
            let init = cold_start(&subjects[index]).await?;
            subjects[index].inits.push(init);
        }
    }

    let pools = subjects.iter().map(pool).collect::<BenchResult<Vec<_>>>()?;
    for pool in &pools {
        pool.warm(1).await?;
        for _ in 0..WARMUP {
            invoke(pool, event).await?;
        }
    }
    for round in 0..INVOCATIONS / BLOCK {
        for index in order(round, subjects.len()) {
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

/// The order of the subjects in a round: rotated, so none always runs first (warmest).
fn order(round: usize, count: usize) -> Vec<usize> {
    (0..count).map(|i| (i + round) % count).collect()
}

/// One table row: a value per subject, the provider/baseline ratio and the goal verdict.
fn row(label: &str, subjects: &[Subject], value: impl Fn(&Subject) -> f64, unit: Unit, goal: &str) {
    let cells: Vec<String> = subjects.iter().map(|s| unit.format(value(s))).collect();
    let (provider, baseline) = (value(&subjects[0]), value(&subjects[subjects.len() - 1]));
    println!(
        "| {label} | {} | {} | {goal} |",
        cells.join(" | "),
        ratio(provider, baseline)
    );
}

/// How a row's values are printed.
#[derive(Clone, Copy)]
enum Unit {
    Millis,
    Micros,
    Mebibytes,
}

impl Unit {
    fn format(self, value: f64) -> String {
        match self {
            Unit::Millis => format!("{:.2} ms", value * 1e3),
            Unit::Micros => format!("{:.0} µs", value * 1e6),
            Unit::Mebibytes => format!("{:.2} MiB", value / 1048576.0),
        }
    }
}

fn report(subjects: &mut [Subject]) {
    for subject in subjects.iter_mut() {
        subject.inits.sort();
        subject.latencies.sort();
    }
    let subjects = &*subjects;
    let (provider, baseline) = (&subjects[0], &subjects[subjects.len() - 1]);
    let init = |s: &Subject| percentile(&s.inits, 0.5).as_secs_f64();
    let latency = |q: f64| move |s: &Subject| percentile(&s.latencies, q).as_secs_f64();
    let rss = |s: &Subject| s.peak_rss_kib as f64 * 1024.0;
    let size = |s: &Subject| s.size_bytes as f64;

    println!(
        "\n{INVOCATIONS} invocations each of events/v2-get.json (after {WARMUP} warm-up, in rotating blocks of {BLOCK}), {COLD_STARTS} cold starts each\n"
    );
    let names: Vec<&str> = subjects.iter().map(|s| s.label).collect();
    println!(
        "| | {} | provider / baseline | goal (provider) |",
        names.join(" | ")
    );
    println!("|---|{}---|---|", "---|".repeat(subjects.len()));
    let init_goal = format!(
        "< {} ms: {}",
        GOAL_INIT.as_millis(),
        verdict(init(provider) < GOAL_INIT.as_secs_f64())
    );
    row(
        "init, median (spawn -> first /next)",
        subjects,
        init,
        Unit::Millis,
        &init_goal,
    );
    let init_max = |s: &Subject| s.inits.last().copied().unwrap_or_default().as_secs_f64();
    row("init, max", subjects, init_max, Unit::Millis, "");
    let p50_ok = latency(0.5)(provider) <= GOAL_P50_RATIO * latency(0.5)(baseline);
    let p50_goal = format!("<= {GOAL_P50_RATIO}x: {}", verdict(p50_ok));
    row(
        "invoke p50",
        subjects,
        latency(0.5),
        Unit::Micros,
        &p50_goal,
    );
    row("invoke p99", subjects, latency(0.99), Unit::Micros, "");
    let rss_goal = format!("< 6 MiB: {}", verdict(provider.peak_rss_kib < GOAL_RSS_KIB));
    row(
        "peak RSS (VmHWM)",
        subjects,
        rss,
        Unit::Mebibytes,
        &rss_goal,
    );
    let size_goal = format!(
        "< 3 MiB: {}",
        verdict(provider.size_bytes < GOAL_SIZE_BYTES)
    );
    row(
        "stripped binary (x86_64)",
        subjects,
        size,
        Unit::Mebibytes,
        &size_goal,
    );
    println!();
    let line_cost = latency(0.5)(provider) - latency(0.5)(&subjects[1]);
    println!(
        "request line, p50 cost (provider - {}): {} (goal <= {} µs: {})",
        subjects[1].label,
        Unit::Micros.format(line_cost),
        GOAL_LINE_COST.as_micros(),
        verdict(line_cost <= GOAL_LINE_COST.as_secs_f64())
    );
    println!();
    for subject in subjects {
        println!("- {}: {}", subject.label, subject.binary.display());
    }
}

fn subject(
    name: &'static str,
    label: &'static str,
    binary: PathBuf,
    env: &'static [(&'static str, &'static str)],
) -> BenchResult<Subject> {
    if has_symbols(&binary)? {
        eprintln!(
            "warning: {} is not stripped; its size is not comparable",
            binary.display()
        );
    }
    let size_bytes = std::fs::metadata(&binary)?.len();
    Ok(Subject {
        name,
        label,
        binary,
        env,
        inits: Vec::new(),
        latencies: Vec::new(),
        peak_rss_kib: 0,
        size_bytes,
    })
}

/// Pins this process (all its threads, and so every function process it spawns) to one CPU,
/// `BENCH_CPU` (default 0). A Lambda function at up to 1,769 MB gets at most one vCPU, and
/// on a shared machine the scheduler otherwise places the function and the Runtime API on
/// the same or on different cores from run to run, which moves every latency by ~2x and
/// drowns differences of a few microseconds. Uses util-linux `taskset`; without it, runs
/// unpinned and says so.
fn pin_to_one_cpu() {
    let cpu = std::env::var("BENCH_CPU").unwrap_or_else(|_| "0".to_owned());
    let pinned = Command::new("taskset")
        .args(["--all-tasks", "--cpu-list", "--pid", &cpu])
        .arg(std::process::id().to_string())
        .output();
    match pinned {
        Ok(output) if output.status.success() => eprintln!("pinned to CPU {cpu}"),
        Ok(output) => eprintln!(
            "warning: not pinned to CPU {cpu} (taskset: {}); latencies will be noisier",
            String::from_utf8_lossy(&output.stderr).trim()
        ),
        Err(error) => eprintln!(
            "warning: not pinned to one CPU (taskset: {error}); latencies will be noisier"
        ),
    }
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
    // The provider three times: as deployed; with only its per-request log line filtered
    // out (which shows what that line costs); and at level WARN, which also drops
    // `lambda_runtime`'s per-invocation span. The baseline logs nothing per request.
    let mut subjects = [
        subject("provider", "provider", provider.clone(), &[])?,
        subject(
            "provider-no-line",
            "provider, request line filtered out",
            provider.clone(),
            &[("RUST_LOG", REQUEST_LINE_OFF)],
        )?,
        subject(
            "provider-quiet",
            "provider, log level WARN",
            provider,
            &[("AWS_LAMBDA_LOG_LEVEL", "WARN")],
        )?,
        subject("baseline", "baseline", baseline, &[])?,
    ];
    pin_to_one_cpu();
    // One thread for the Runtime API, the pool and the log readers: with the function
    // process pinned to the same CPU, every invocation takes the same path.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(measure(&mut subjects, &event))?;
    report(&mut subjects);
    Ok(())
}
