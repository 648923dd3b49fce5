//! [`UpError`]: why `up` (or `demo`, or a [`Stack`](super::Stack)) could not start.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;

use super::backend_process::RunError;
use crate::auth::AuthConfigError;
use crate::dataplane::DataPlaneError;
use crate::functions::FunctionConfigError;
use crate::k8s::{JoinError, ManifestError};
use crate::targets::ProxyError;
use crate::template::TemplateError;
use crate::tls::TlsError;

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
    DataPlane(#[from] DataPlaneError),
    /// The local CA or the trust bundle could not be made or used.
    #[error(transparent)]
    Tls(#[from] TlsError),
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
    /// `--max-concurrency` named a function the template does not have.
    #[error(
        "--max-concurrency names {0:?}, which is not a function of the template (logical id or FunctionName)"
    )]
    UnknownFunction(String),
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
    /// The inspector's page could not be served.
    #[error(
        "cannot serve the inspector on 127.0.0.1:{port}: {source} (pass --inspector-port N, or \
         --no-inspector)"
    )]
    Inspector {
        /// The port asked for.
        port: u16,
        /// What the OS said.
        source: std::io::Error,
    },
    /// The Ctrl-C (`SIGINT`) handler could not be installed.
    #[error("cannot install the Ctrl-C handler: {0}")]
    Signal(std::io::Error),
    /// The access-log writer thread could not start.
    #[error("cannot start the access-log writer: {0}")]
    AccessLog(std::io::Error),
    /// `--bind` exposes the data plane beyond this machine while the credentials file holds
    /// keys committed to this repository, which anyone can sign with.
    #[error(
        "--bind {bind} would expose the data plane beyond this machine, but {} holds keys \
         committed to the lattice-local repository (anyone can sign with them): pass \
         --credentials FILE with keys of your own (copy local/credentials.example.json and \
         change every access key and secret), or keep the default loopback bind",
        credentials.display()
    )]
    PublicCredentialsExposed {
        /// The address asked for.
        bind: IpAddr,
        /// The credentials file in use.
        credentials: PathBuf,
    },
    /// `--function-principal` names no principal of the credentials file.
    #[error(
        "--function-principal {arn} is not a principal_arn of {}",
        credentials.display()
    )]
    UnknownFunctionPrincipal {
        /// The ARN given.
        arn: String,
        /// The credentials file in use.
        credentials: PathBuf,
    },
    /// A `KEY=VALUE` argument without `=`.
    #[error("{option} expects KEY=VALUE, got {value:?}")]
    KeyValue {
        /// The option.
        option: &'static str,
        /// What was given.
        value: String,
    },
    /// The manifests of `--k8s` cannot be read, checked or mapped.
    #[error(transparent)]
    Manifests(#[from] ManifestError),
    /// The manifests cannot be served beside the template.
    #[error(transparent)]
    Join(#[from] JoinError),
    /// Neither a template nor manifests to serve.
    #[error("nothing to serve: give a template (--template) or manifests (--k8s DIR)")]
    NothingToServe,
    /// A `--run` command did not become a backend.
    #[error(transparent)]
    Run(#[from] RunError),
    /// `--upstream`/`--run` names no backend that exists.
    #[error("{option} {key}: {reason}")]
    UnknownBackend {
        /// The option.
        option: &'static str,
        /// The key given (target group or `namespace/service`).
        key: String,
        /// What is missing.
        reason: String,
    },
    /// Two `--upstream`/`--run` arguments give targets to one target group.
    #[error("target group {group} is given two backends: {first} and {second}")]
    BackendGivenTwice {
        /// The target group.
        group: String,
        /// The first key that reached it.
        first: String,
        /// The second.
        second: String,
    },
}
