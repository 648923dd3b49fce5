//! `lattice-local`: the Lattice topology of `template.yaml` on one machine.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use lattice_local::access_log::AccessLogFormat;
use lattice_local::demo::{self, DemoOptions, EksSide};
use lattice_local::inspector::InspectorOptions;
use lattice_local::net::limits::INSPECTOR_HISTORY;
use lattice_local::policy_check::{self, PolicyCheckArgs};
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
    /// Serve the template's (and the --k8s manifests') Lattice services locally until Ctrl-C.
    Up(Box<UpArgs>),
    /// Run the reference scenario end to end (both directions), then exit.
    Demo(DemoArgs),
    /// Auth policies: decide a request without running anything.
    #[command(subcommand)]
    Policy(PolicyCommand),
}

#[derive(Subcommand, Debug)]
enum PolicyCommand {
    /// Decide one request with the template's (and manifests') auth policies, as the data plane
    /// would: exit 0 allow, 1 deny (with --expect: 0 as expected, 1 not), 2 usage error.
    Check(Box<PolicyCheckArgs>),
}

#[derive(clap::Args, Debug)]
struct UpArgs {
    /// The SAM/CloudFormation template.
    #[arg(long, default_value = "template.yaml")]
    template: PathBuf,
    /// Serve no template: only the manifests of --k8s.
    #[arg(long, requires = "k8s", conflicts_with = "template")]
    no_template: bool,
    /// Gateway API manifests (as `kubectl apply -f DIR` reads them) served beside the template:
    /// each HTTPRoute is a Lattice service, its Gateway the service network of the same name.
    #[arg(long, value_name = "DIR")]
    k8s: Option<PathBuf>,
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
    /// Targets of an HTTP (IP/INSTANCE/ALB) target group, GROUP=URL[,URL…], or of a Kubernetes
    /// Service of the manifests, NAMESPACE/SERVICE=URL[,URL…] (repeatable); they replace the
    /// template's Targets and share the group's requests round robin.
    #[arg(long = "upstream", value_name = "GROUP=URL[,URL…]")]
    upstreams: Vec<String>,
    /// Run COMMAND (with sh -c, PORT set to a free loopback port) as the targets of a target
    /// group or a Kubernetes Service, NAMESPACE/SERVICE=COMMAND (repeatable); stopped on exit.
    #[arg(long = "run", value_name = "NAMESPACE/SERVICE=COMMAND")]
    runs: Vec<String>,
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
    /// Invocations one instance of function NAME runs at once, NAME=N (repeatable): sets
    /// AWS_LAMBDA_MAX_CONCURRENCY=N, as Lambda Managed Instances do.
    #[arg(long = "max-concurrency", value_name = "NAME=N")]
    max_concurrency: Vec<String>,
    /// Source VPC ARN reported for callers whose credentials name none.
    #[arg(long)]
    source_vpc_arn: Option<String>,
    /// Do not run cargo build first.
    #[arg(long)]
    no_build: bool,
    #[command(flatten)]
    inspector: InspectorArgs,
    /// Access log on stdout: the short text line, Lattice's VpcLatticeAccessLogs JSON, or none.
    #[arg(long, value_enum, default_value_t = AccessLogArg::Text)]
    access_log: AccessLogArg,
}

/// `--access-log`.
#[derive(clap::ValueEnum, Clone, Copy, Debug)]
enum AccessLogArg {
    Text,
    Json,
    Off,
}

#[derive(clap::Args, Debug)]
struct DemoArgs {
    /// The template (default: the workspace's template.yaml).
    #[arg(long)]
    template: Option<PathBuf>,
    /// Where the EKS side comes from: the Gateway API manifests in k8s/ (as the AWS Gateway API
    /// Controller maps them), or the template's EksAppMode=template resources.
    #[arg(long, value_enum, default_value_t = EksSide::K8s)]
    eks_side: EksSide,
    /// Do not run cargo build first (binaries must exist).
    #[arg(long)]
    no_build: bool,
    /// Stay up after the steps (with the request inspector) until Ctrl-C.
    #[arg(long)]
    keep: bool,
    #[command(flatten)]
    inspector: InspectorArgs,
    /// Where the local CA is kept (as for `up`).
    #[arg(long, value_name = "DIR")]
    state_dir: Option<PathBuf>,
}

/// The request inspector's options, the same for `up` and `demo --keep`.
#[derive(clap::Args, Debug)]
struct InspectorArgs {
    /// Do not serve the request inspector.
    #[arg(long)]
    no_inspector: bool,
    /// Port of the request inspector on 127.0.0.1; 0 = any.
    #[arg(long, default_value_t = InspectorOptions::default().port)]
    inspector_port: u16,
    /// Exchanges the inspector keeps (the oldest is dropped first).
    #[arg(long, value_name = "N", default_value_t = INSPECTOR_HISTORY)]
    inspector_history: usize,
}

impl InspectorArgs {
    fn options(&self) -> Option<InspectorOptions> {
        (!self.no_inspector).then(|| InspectorOptions {
            port: self.inspector_port,
            history: self.inspector_history,
            ..InspectorOptions::default()
        })
    }
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
    let runs = args
        .runs
        .iter()
        .map(|r| key_value("--run", r))
        .collect::<Result<BTreeMap<_, _>, _>>()?;
    let mut max_concurrency = BTreeMap::new();
    for entry in &args.max_concurrency {
        let (name, count) = key_value("--max-concurrency", entry)?;
        let count = count.parse().map_err(|_| UpError::KeyValue {
            option: "--max-concurrency",
            value: entry.clone(),
        })?;
        max_concurrency.insert(name, count);
    }
    let mut service_ports = BTreeMap::new();
    let mut listener_ports = BTreeMap::new();
    for entry in &args.service_ports {
        match service_port(entry)? {
            (name, None, port) => service_ports.insert(name, port),
            (name, Some(listener), port) => listener_ports.insert((name, listener), port),
        };
    }
    Ok(UpOptions {
        template: (!args.no_template).then_some(args.template),
        k8s: args.k8s,
        parameters,
        region: args.region,
        credentials: args.credentials,
        function_principal: args.function_principal,
        upstreams,
        runs,
        bind: args.bind,
        port: args.port,
        https_port: args.https_port,
        service_ports,
        listener_ports,
        state_dir: args.state_dir,
        invoke_port: args.invoke_port,
        max_instances: args.max_instances,
        max_concurrency,
        source_vpc_arn: args.source_vpc_arn,
        no_build: args.no_build,
        access_log: match args.access_log {
            AccessLogArg::Text => Some(AccessLogFormat::Text),
            AccessLogArg::Json => Some(AccessLogFormat::Json),
            AccessLogArg::Off => None,
        },
        inspector: args.inspector.options(),
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
        Command::Policy(PolicyCommand::Check(args)) => return policy_check::run(&args),
        Command::Up(args) => match up_options(*args) {
            Ok(options) => up::run(options).await.map_err(|e| e.to_string()),
            Err(e) => Err(e.to_string()),
        },
        Command::Demo(args) => demo::run(DemoOptions {
            template: args.template,
            eks_side: args.eks_side,
            no_build: args.no_build,
            keep: args.keep,
            inspector: args.inspector.options().filter(|_| args.keep),
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
