//! `lattice-local`: the Lattice topology of `template.yaml` on one machine.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use lattice_local::demo::{self, DemoOptions};
use lattice_local::template::DEFAULT_REGION;
use lattice_local::up::{self, UpError, UpOptions, key_value, service_port};

// glibc's malloc and free were 7% of the samples of a proxied request under load (`perf record
// -e cpu-clock`), the largest user-space item; mimalloc's thread-local free lists serve the
// data plane's one-thread-per-core runtimes better.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// A local Amazon VPC Lattice data plane driven by template.yaml.
#[derive(Parser, Debug)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Serve the template's Lattice services locally until Ctrl-C.
    Up(UpArgs),
    /// Run the reference scenario end to end (both directions), then exit.
    Demo(DemoArgs),
}

#[derive(clap::Args, Debug)]
struct UpArgs {
    /// The SAM/CloudFormation template.
    #[arg(long, default_value = "template.yaml")]
    template: PathBuf,
    /// Template parameter override, KEY=VALUE (repeatable).
    #[arg(long = "parameter", value_name = "KEY=VALUE")]
    parameters: Vec<String>,
    /// Region used in ARNs, for signature verification and given to functions.
    #[arg(long, default_value = DEFAULT_REGION)]
    region: String,
    /// Local credentials file (default: local/demo/credentials.json).
    #[arg(long)]
    credentials: Option<PathBuf>,
    /// Principal the functions sign as (a principal_arn of the credentials file; default: the
    /// file's first principal).
    #[arg(long, value_name = "ARN")]
    function_principal: Option<String>,
    /// Upstream of an HTTP (IP/INSTANCE) target group, GROUP=URL (repeatable).
    #[arg(long = "upstream", value_name = "GROUP=URL")]
    upstreams: Vec<String>,
    /// Address the data plane listens on (the Invoke API always listens on 127.0.0.1).
    #[arg(long, default_value = "127.0.0.1")]
    bind: IpAddr,
    /// Port of the Host-routed HTTP listener (http://<service>.lattice.localhost); 0 = any.
    #[arg(long, default_value_t = 8080)]
    port: u16,
    /// Port of the Host-routed HTTPS listener (https://<service>.lattice.localhost); 0 = any.
    #[arg(long, default_value_t = 8443)]
    https_port: u16,
    /// Port of a service's first listener, NAME=PORT, or of its listener on a Lattice port,
    /// NAME:LISTENER_PORT=PORT (repeatable); others get free ports.
    #[arg(long = "service-port", value_name = "NAME[:LISTENER_PORT]=PORT")]
    service_ports: Vec<String>,
    /// Where the local CA and the services' certificates are kept (default:
    /// $XDG_STATE_HOME/lattice-local, else ~/.local/state/lattice-local).
    #[arg(long, value_name = "DIR")]
    state_dir: Option<PathBuf>,
    /// Port of the Lambda Invoke API on 127.0.0.1; 0 = any.
    #[arg(long, default_value_t = 9001)]
    invoke_port: u16,
    /// Most concurrent instances per function.
    #[arg(long, default_value_t = 4)]
    max_instances: usize,
    /// Source VPC ARN reported for callers whose credentials name none.
    #[arg(long)]
    source_vpc_arn: Option<String>,
    /// Do not run cargo build first.
    #[arg(long)]
    no_build: bool,
}

#[derive(clap::Args, Debug)]
struct DemoArgs {
    /// The template (default: the workspace's template.yaml).
    #[arg(long)]
    template: Option<PathBuf>,
    /// Do not run cargo build first (binaries must exist).
    #[arg(long)]
    no_build: bool,
    /// Where the local CA is kept (as for `up`).
    #[arg(long, value_name = "DIR")]
    state_dir: Option<PathBuf>,
}

fn up_options(args: UpArgs) -> Result<UpOptions, UpError> {
    let parameters = args
        .parameters
        .iter()
        .map(|p| key_value("--parameter", p))
        .collect::<Result<Vec<_>, _>>()?;
    let upstreams = args
        .upstreams
        .iter()
        .map(|u| key_value("--upstream", u))
        .collect::<Result<BTreeMap<_, _>, _>>()?;
    let mut service_ports = BTreeMap::new();
    let mut listener_ports = BTreeMap::new();
    for entry in &args.service_ports {
        match service_port(entry)? {
            (name, None, port) => service_ports.insert(name, port),
            (name, Some(listener), port) => listener_ports.insert((name, listener), port),
        };
    }
    Ok(UpOptions {
        template: Some(args.template),
        parameters,
        region: args.region,
        credentials: args.credentials,
        function_principal: args.function_principal,
        upstreams,
        bind: args.bind,
        port: args.port,
        https_port: args.https_port,
        service_ports,
        listener_ports,
        state_dir: args.state_dir,
        invoke_port: args.invoke_port,
        max_instances: args.max_instances,
        source_vpc_arn: args.source_vpc_arn,
        no_build: args.no_build,
    })
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Up(args) => match up_options(args) {
            Ok(options) => up::run(options).await.map_err(|e| e.to_string()),
            Err(e) => Err(e.to_string()),
        },
        Command::Demo(args) => demo::run(DemoOptions {
            template: args.template,
            no_build: args.no_build,
            state_dir: args.state_dir,
        })
        .await
        .map_err(|e| e.to_string()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("lattice-local: {message}");
            ExitCode::FAILURE
        }
    }
}
