//! `lattice-local up`: build the template's functions, start them behind the
//! data plane, print the URLs, serve until Ctrl-C.

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use crate::access_log::AccessLog;
use crate::auth::{AuthConfigError, CredentialStore, LocalPrincipal};
use crate::functions::{
    FunctionConfig, FunctionConfigError, FunctionPool, LogSink, TracingLogSink,
};
use crate::invoke_api::InvokeApi;
use crate::server::{BoundServer, LatticeServer, ServerError, ServerOptions};
use crate::targets::{HttpTarget, LambdaTarget, ProxyError, Target};
use crate::template::{LOCAL_DOMAIN, LoadOptions, TargetKind, TemplateError, Topology};

/// Why `up` (or `demo`) could not start.
#[derive(Debug, thiserror::Error)]
pub enum UpError {
    /// The template cannot be used.
    #[error(transparent)]
    Template(#[from] TemplateError),
    /// The credentials file cannot be used.
    #[error(transparent)]
    Credentials(#[from] AuthConfigError),
    /// The data plane could not start.
    #[error(transparent)]
    Server(#[from] ServerError),
    /// The workspace (and its `target/` directory) could not be found.
    #[error("cannot locate the workspace: {0}")]
    Workspace(String),
    /// `cargo build` could not be run.
    #[error("cannot run `{command}`: {source}")]
    BuildSpawn {
        /// The command line.
        command: String,
        /// What the OS said.
        source: std::io::Error,
    },
    /// `cargo build` failed.
    #[error("`{command}` failed ({status})")]
    Build {
        /// The command line.
        command: String,
        /// Its exit status.
        status: std::process::ExitStatus,
    },
    /// A function binary is missing (not built).
    #[error("function {function}: binary {} does not exist (build it, or drop --no-build)", path.display())]
    MissingBinary {
        /// Function logical id.
        function: String,
        /// Where it was expected.
        path: PathBuf,
    },
    /// A function's configuration is invalid.
    #[error("function {function}: {source}")]
    Function {
        /// Function logical id.
        function: String,
        /// What is wrong.
        source: FunctionConfigError,
    },
    /// `--upstream` named a target group the template does not have.
    #[error("--upstream names {0:?}, which is not an IP/INSTANCE/ALB target group of the template")]
    UnknownUpstream(String),
    /// `--upstream` URL is unusable.
    #[error("--upstream for {group}: {source}")]
    Upstream {
        /// Target group.
        group: String,
        /// What is wrong.
        source: ProxyError,
    },
    /// The Invoke API could not listen.
    #[error("cannot start the Lambda Invoke API on {addr}: {source}")]
    InvokeApi {
        /// The address.
        addr: SocketAddr,
        /// What the OS said.
        source: std::io::Error,
    },
    /// A `KEY=VALUE` argument without `=`.
    #[error("{option} expects KEY=VALUE, got {value:?}")]
    KeyValue {
        /// The option.
        option: &'static str,
        /// What was given.
        value: String,
    },
}

/// Where the workspace is and where its binaries are built.
#[derive(Clone, Debug)]
pub struct Workspace {
    /// The workspace root (holds the root `Cargo.toml` and `template.yaml`).
    pub root: PathBuf,
    /// The directory binaries of this profile land in (`target/release`).
    pub bin_dir: PathBuf,
    /// Whether binaries are built with `--release`.
    pub release: bool,
}

impl Workspace {
    /// The workspace lattice-local was built from, and the profile directory
    /// it runs from (so functions are built with the same profile, beside it).
    pub fn locate() -> Result<Self, UpError> {
        let exe = std::env::current_exe()
            .map_err(|e| UpError::Workspace(format!("cannot find the running executable: {e}")))?;
        let mut bin_dir = exe
            .parent()
            .ok_or_else(|| UpError::Workspace("the executable has no directory".into()))?
            .to_owned();
        // Test binaries live in `target/<profile>/deps`.
        if bin_dir.file_name().is_some_and(|n| n == "deps") {
            bin_dir.pop();
        }
        let compiled_root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let root = if compiled_root.join("Cargo.toml").is_file() {
            compiled_root
        } else {
            // Copied elsewhere: assume `<root>/target/<profile>/lattice-local`.
            bin_dir
                .parent()
                .and_then(Path::parent)
                .map(Path::to_owned)
                .filter(|r| r.join("Cargo.toml").is_file())
                .ok_or_else(|| {
                    UpError::Workspace(format!(
                        "no Cargo.toml at {} or above {}",
                        compiled_root.display(),
                        bin_dir.display()
                    ))
                })?
        };
        let root = std::fs::canonicalize(&root).unwrap_or(root);
        Ok(Workspace {
            root,
            bin_dir,
            release: !cfg!(debug_assertions),
        })
    }

    /// `cargo build [--release] --bin a --bin b` in the workspace root.
    pub fn build_command(&self, binaries: &[&str]) -> Command {
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let mut command = Command::new(cargo);
        command.current_dir(&self.root).arg("build");
        if self.release {
            command.arg("--release");
        }
        for binary in binaries {
            command.args(["--bin", binary]);
        }
        command
    }

    /// Runs [`Workspace::build_command`], printing it first.
    pub fn build(&self, binaries: &[&str]) -> Result<(), UpError> {
        let mut command = self.build_command(binaries);
        let line = describe(&command);
        println!("    $ {line}");
        let status = command.status().map_err(|source| UpError::BuildSpawn {
            command: line.clone(),
            source,
        })?;
        if !status.success() {
            return Err(UpError::Build {
                command: line,
                status,
            });
        }
        Ok(())
    }

    /// Where binary `name` is built.
    pub fn binary(&self, name: &str) -> PathBuf {
        self.bin_dir.join(name)
    }

    /// The project's `template.yaml`.
    pub fn template(&self) -> PathBuf {
        self.root.join("template.yaml")
    }

    /// The demo principal's credentials file.
    pub fn demo_credentials(&self) -> PathBuf {
        self.root.join("local/demo/credentials.json")
    }
}

fn describe(command: &Command) -> String {
    let mut line = command.get_program().to_string_lossy().into_owned();
    for arg in command.get_args() {
        line.push(' ');
        line.push_str(&arg.to_string_lossy());
    }
    line
}

/// Splits `KEY=VALUE`.
pub fn key_value(option: &'static str, value: &str) -> Result<(String, String), UpError> {
    value
        .split_once('=')
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .filter(|(k, _)| !k.is_empty())
        .ok_or_else(|| UpError::KeyValue {
            option,
            value: value.to_owned(),
        })
}

/// How to run a topology's functions and targets.
#[derive(Clone)]
pub struct StackOptions {
    /// Data-plane options (ports, region, credentials, access log).
    pub server: ServerOptions,
    /// Upstream URL per HTTP target group (logical id or name).
    pub upstreams: BTreeMap<String, String>,
    /// Most concurrent instances per function.
    pub max_instances: usize,
    /// Credentials given to every function (its "execution role"), if any.
    pub function_principal: Option<LocalPrincipal>,
    /// Extra environment per function (logical id), applied last.
    pub extra_env: BTreeMap<String, Vec<(String, String)>>,
    /// Where function output goes.
    pub log_sink: Arc<dyn LogSink>,
}

impl std::fmt::Debug for StackOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StackOptions")
            .field("server", &self.server)
            .field("upstreams", &self.upstreams)
            .field("max_instances", &self.max_instances)
            .finish_non_exhaustive()
    }
}

impl StackOptions {
    /// Defaults: 4 instances per function, function output to `tracing`.
    pub fn new(server: ServerOptions) -> Self {
        StackOptions {
            server,
            upstreams: BTreeMap::new(),
            max_instances: 4,
            function_principal: None,
            extra_env: BTreeMap::new(),
            log_sink: Arc::new(TracingLogSink),
        }
    }
}

/// A running topology: the data plane and the function pools.
#[derive(Debug)]
pub struct Stack {
    /// The data plane.
    pub server: LatticeServer,
    /// Function pools by logical id.
    pub pools: BTreeMap<String, FunctionPool>,
}

impl Stack {
    /// Binds the ports, configures every function (service URLs in their
    /// environment point at the local endpoints) and starts serving.
    /// `binary` maps a binary name to its path.
    pub async fn start(
        topology: &Topology,
        options: StackOptions,
        binary: impl Fn(&str) -> PathBuf,
    ) -> Result<Self, UpError> {
        let bound = BoundServer::bind(topology, &options.server).await?;
        let mut pools = BTreeMap::new();
        for function in topology.functions.values() {
            let path = binary(&function.binary);
            if !path.is_file() {
                return Err(UpError::MissingBinary {
                    function: function.logical_id.clone(),
                    path,
                });
            }
            let mut config = FunctionConfig::new(function.name.clone(), path)
                .with_timeout(function.timeout)
                .with_memory_mb(function.memory_mb)
                .with_region(options.server.region.clone())
                .with_max_instances(options.max_instances);
            for (name, value) in &function.env {
                config = config.with_env(name.clone(), local_urls(value, &bound));
            }
            if let Some(principal) = &options.function_principal {
                config = config
                    .with_env("AWS_ACCESS_KEY_ID", principal.access_key_id.clone())
                    .with_env("AWS_SECRET_ACCESS_KEY", principal.secret_access_key.clone());
                if let Some(token) = &principal.session_token {
                    config = config.with_env("AWS_SESSION_TOKEN", token.clone());
                }
            }
            for (name, value) in options
                .extra_env
                .get(&function.logical_id)
                .into_iter()
                .flatten()
            {
                config = config.with_env(name.clone(), local_urls(value, &bound));
            }
            let pool = FunctionPool::with_log_sink(config, Arc::clone(&options.log_sink)).map_err(
                |source| UpError::Function {
                    function: function.logical_id.clone(),
                    source,
                },
            )?;
            pools.insert(function.logical_id.clone(), pool);
        }

        for group in options.upstreams.keys() {
            let known = topology
                .target_group(group)
                .is_some_and(|g| matches!(g.kind, TargetKind::Http { .. }));
            if !known {
                return Err(UpError::UnknownUpstream(group.clone()));
            }
        }
        let mut targets = BTreeMap::new();
        for group in topology.target_groups.values() {
            let target = match &group.kind {
                TargetKind::Lambda {
                    event_version,
                    function: Some(function),
                    ..
                } => match pools.get(function) {
                    Some(pool) => Target::Lambda(LambdaTarget::new(pool.clone(), *event_version)),
                    None => Target::Unavailable(format!("function {function} is not run locally")),
                },
                TargetKind::Lambda { target_id, .. } => Target::Unavailable(format!(
                    "LAMBDA target {target_id:?} is not a function of the template"
                )),
                TargetKind::Http { .. } => {
                    let url = options
                        .upstreams
                        .get(&group.logical_id)
                        .or_else(|| options.upstreams.get(&group.name));
                    match url {
                        Some(url) => {
                            Target::Http(Box::new(HttpTarget::new(url).map_err(|source| {
                                UpError::Upstream {
                                    group: group.logical_id.clone(),
                                    source,
                                }
                            })?))
                        }
                        None => Target::Unavailable(format!(
                            "no upstream for target group {}: pass --upstream {}=http://127.0.0.1:PORT",
                            group.logical_id, group.logical_id
                        )),
                    }
                }
            };
            targets.insert(group.logical_id.clone(), target);
        }
        let server = bound.serve(topology, targets, options.server)?;
        Ok(Stack { server, pools })
    }

    /// The pool of a function (logical id or name).
    pub fn pool(&self, function: &str) -> Option<&FunctionPool> {
        self.pools
            .get(function)
            .or_else(|| self.pools.values().find(|p| p.name() == function))
    }

    /// Stops every function process.
    pub async fn shutdown(self) {
        for pool in self.pools.values() {
            pool.shutdown().await;
        }
    }
}

/// Rewrites `https://<service>.lattice.localhost` (what `DnsEntry.DomainName`
/// gives in a template) to the service's local endpoint, in template and
/// extra environment values alike.
fn local_urls(value: &str, bound: &BoundServer) -> String {
    let mut value = value.to_owned();
    for endpoint in bound.endpoints() {
        let remote = format!("https://{}.{LOCAL_DOMAIN}", endpoint.name);
        if value.contains(&remote) {
            value = value.replace(&remote, &endpoint.url());
        }
    }
    value
}

/// Options of `lattice-local up`.
#[derive(Clone, Debug)]
pub struct UpOptions {
    /// Path of the template.
    pub template: Option<PathBuf>,
    /// `--parameter KEY=VALUE`.
    pub parameters: Vec<(String, String)>,
    /// Region.
    pub region: String,
    /// Credentials file (default: the demo credentials).
    pub credentials: Option<PathBuf>,
    /// `--upstream GROUP=URL`.
    pub upstreams: BTreeMap<String, String>,
    /// Address to listen on.
    pub bind: IpAddr,
    /// Port of the `Host`-routed listener.
    pub port: u16,
    /// `--service-port NAME=PORT`.
    pub service_ports: BTreeMap<String, u16>,
    /// Port of the Lambda Invoke API (0: any).
    pub invoke_port: u16,
    /// Most concurrent instances per function.
    pub max_instances: usize,
    /// Source VPC ARN for callers whose credentials name none.
    pub source_vpc_arn: Option<String>,
    /// Skip `cargo build`.
    pub no_build: bool,
}

/// Runs `lattice-local up` until Ctrl-C.
pub async fn run(options: UpOptions) -> Result<(), UpError> {
    let workspace = Workspace::locate()?;
    let template = options
        .template
        .clone()
        .unwrap_or_else(|| PathBuf::from("template.yaml"));
    let mut load = LoadOptions::new(options.region.clone());
    load.parameters = options.parameters.clone();
    let topology = Topology::load(&template, &load)?;
    print_notes(&topology);

    let binaries: Vec<&str> = topology
        .functions
        .values()
        .map(|f| f.binary.as_str())
        .collect();
    if !options.no_build && !binaries.is_empty() {
        println!("building the template's functions:");
        workspace.build(&binaries)?;
    }
    let credentials_path = options
        .credentials
        .clone()
        .unwrap_or_else(|| workspace.demo_credentials());
    let store = Arc::new(CredentialStore::load(&credentials_path)?);
    let function_principal = store.principals().next().cloned();

    let mut server = ServerOptions::new(options.region.clone(), Arc::clone(&store));
    server.bind = options.bind;
    server.host_port = options.port;
    server.service_ports = options.service_ports.clone();
    server.source_vpc_arn = options.source_vpc_arn.clone();
    server.access_log = AccessLog::Stdout;
    let mut stack_options = StackOptions::new(server);
    stack_options.upstreams = options.upstreams.clone();
    stack_options.max_instances = options.max_instances;
    stack_options.function_principal = function_principal.clone();
    let stack = Stack::start(&topology, stack_options, |name| workspace.binary(name)).await?;

    let invoke_addr = SocketAddr::new(options.bind, options.invoke_port);
    let invoke = InvokeApi::bind(invoke_addr, stack.pools.values().cloned())
        .await
        .map_err(|source| UpError::InvokeApi {
            addr: invoke_addr,
            source,
        })?;

    println!(
        "lattice-local is serving {} (region {}):",
        template.display(),
        options.region
    );
    for endpoint in stack.server.endpoints() {
        let auth = topology
            .service(&endpoint.name)
            .map_or("", |s| s.auth_type.as_str());
        println!(
            "  {:<16} {}  or  {}  (auth {auth})",
            endpoint.name,
            endpoint.url(),
            endpoint.host_url
        );
    }
    println!(
        "  Lambda Invoke API: {} (functions: {})",
        invoke.endpoint_url(),
        stack
            .pools
            .values()
            .map(|p| p.name().to_owned())
            .collect::<Vec<_>>()
            .join(", ")
    );
    println!(
        "  credentials: {} ({} principal(s)){}",
        credentials_path.display(),
        store.len(),
        function_principal
            .map(|p| format!("; functions sign as {}", p.principal_arn))
            .unwrap_or_default()
    );
    println!("press Ctrl-C to stop");
    // Ctrl-C or SIGTERM stops; a failure to install the handler also ends the wait.
    let _ = tokio::signal::ctrl_c().await;
    println!("stopping");
    drop(invoke);
    stack.shutdown().await;
    Ok(())
}

/// Prints what the template contains that lattice-local does not emulate.
pub fn print_notes(topology: &Topology) {
    if topology.notes.is_empty() {
        return;
    }
    println!("not emulated (from the template):");
    for note in &topology.notes {
        println!("  - {note}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_values_split_on_the_first_equals_sign() {
        assert_eq!(
            key_value("--parameter", "A=b=c").unwrap(),
            ("A".to_owned(), "b=c".to_owned())
        );
        assert!(matches!(
            key_value("--parameter", "novalue"),
            Err(UpError::KeyValue {
                option: "--parameter",
                ..
            })
        ));
        assert!(key_value("--upstream", "=x").is_err());
    }

    #[test]
    fn the_workspace_is_found_with_its_template_and_demo_credentials() {
        let workspace = Workspace::locate().unwrap();
        assert!(workspace.template().is_file());
        assert!(workspace.demo_credentials().is_file());
        let command = describe(&workspace.build_command(&["provider", "eks-client"]));
        assert!(
            command.ends_with("build --bin provider --bin eks-client"),
            "{command}"
        );
    }
}
