//! `lattice-local policy check`: decides one request described on the command line against the
//! auth policies of a template (and/or Gateway API manifests), with the same function the data
//! plane uses ([`ServiceAccess::authorize`]), so a check and a live request cannot disagree.
//!
//! ```text
//! lattice-local policy check --template template.yaml --parameter AuthType=AWS_IAM \
//!     --service foo-service --principal arn:aws:sts::000000000000:assumed-role/eks-client-role/eks-client \
//!     --method GET --path /health --expect allow
//! ```
//!
//! Exit status: 0 allow, 1 deny; with `--expect`, 0 when the outcome is the expected one and 1
//! otherwise; 2 for a usage or configuration error (unknown service, unreadable template, a
//! policy lattice-local does not understand).
//!
//! [`run`] is the whole command (argument struct in, exit status out); [`check`] is the same
//! without printing, for tests.

mod report;
mod request;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::ValueEnum;

use crate::auth::{
    AccessSetupError, AuthConfigError, Authorization, CredentialStore, ServiceAccess,
};
use crate::k8s::{ManifestError, Manifests, MapOptions};
use crate::model::{DEFAULT_REGION, Topology};
use crate::template::{LoadOptions, TemplateError};
use crate::up::Workspace;

pub use request::CheckRequest;

/// The outcome `--expect` names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Expectation {
    /// The request must be allowed.
    Allow,
    /// The request must be denied.
    Deny,
}

/// `lattice-local policy check` arguments.
#[derive(clap::Args, Clone, Debug, Default)]
pub struct PolicyCheckArgs {
    /// The SAM/CloudFormation template (default: template.yaml, unless --k8s is given alone).
    #[arg(long)]
    pub template: Option<PathBuf>,
    /// Template parameter override, KEY=VALUE (repeatable).
    #[arg(long = "parameter", value_name = "KEY=VALUE")]
    pub parameters: Vec<String>,
    /// Gateway API manifests directory (the EKS side), read as `kubectl apply -f DIR` would.
    #[arg(long)]
    pub k8s: Option<PathBuf>,
    /// Region used in ARNs.
    #[arg(long, default_value = DEFAULT_REGION)]
    pub region: String,
    /// Credentials file whose principals bring their org and tags (default: the demo's).
    #[arg(long)]
    pub credentials: Option<PathBuf>,
    /// The Lattice service called (its name).
    #[arg(long)]
    pub service: String,
    /// The caller's principal ARN; without it the request is anonymous (unsigned).
    #[arg(long)]
    pub principal: Option<String>,
    /// HTTP method.
    #[arg(long)]
    pub method: String,
    /// Request path, optionally with a query (`/app?x=1`).
    #[arg(long)]
    pub path: String,
    /// Request header, NAME:VALUE (repeatable; repeat a name to send it twice).
    #[arg(long = "header", value_name = "NAME:VALUE")]
    pub headers: Vec<String>,
    /// Query parameter, KEY=VALUE (repeatable), added to the path's query.
    #[arg(long = "query", value_name = "KEY=VALUE")]
    pub query: Vec<String>,
    /// Source VPC (ARN or vpc-… id); default: the principal's from the credentials file.
    #[arg(long)]
    pub source_vpc: Option<String>,
    /// Principal tag, KEY=VALUE (repeatable); adds to or replaces the credentials file's.
    #[arg(long = "tag", value_name = "KEY=VALUE")]
    pub tags: Vec<String>,
    /// The client's address (aws:SourceIp); default 127.0.0.1, as a local client has.
    #[arg(long)]
    pub source_ip: Option<std::net::IpAddr>,
    /// Exit 0 only when the outcome is this one (for CI).
    #[arg(long, value_enum)]
    pub expect: Option<Expectation>,
    /// Print the result as one JSON object.
    #[arg(long)]
    pub json: bool,
}

/// Why a check could not be made (exit status 2).
#[derive(Debug, thiserror::Error)]
pub enum PolicyCheckError {
    /// The template cannot be read.
    #[error(transparent)]
    Template(#[from] TemplateError),
    /// The manifests cannot be read or mapped.
    #[error(transparent)]
    Manifests(#[from] ManifestError),
    /// The credentials file cannot be used.
    #[error(transparent)]
    Credentials(#[from] AuthConfigError),
    /// A policy lattice-local does not understand (the data plane would refuse to start).
    #[error(transparent)]
    Policy(#[from] AccessSetupError),
    /// `--service` names no service of the template or manifests.
    #[error("no service named {name:?}; the services are: {known}")]
    UnknownService {
        /// The name given.
        name: String,
        /// The services there are, comma-separated.
        known: String,
    },
    /// Both the template and the manifests create the service.
    #[error("service {0:?} is in both the template and the manifests; check one at a time")]
    AmbiguousService(String),
    /// An argument that cannot be used.
    #[error("{option} {value:?}: {reason}")]
    Argument {
        /// The option.
        option: &'static str,
        /// What was given.
        value: String,
        /// What is wrong.
        reason: String,
    },
}

/// The result of a check: the service and caller it was about, and the decision.
#[derive(Debug, Clone)]
pub struct Checked {
    /// The service's access settings (names, ARNs, both levels).
    pub access: ServiceAccess,
    /// The caller (`None`: anonymous).
    pub principal: Option<String>,
    /// The request line as checked (`GET /app?x=1`).
    pub request_line: String,
    /// The decision, from the data plane's own function.
    pub authorization: Authorization,
}

/// Runs the command: prints the decision (text or JSON) and returns the exit status.
pub fn run(args: &PolicyCheckArgs) -> ExitCode {
    match check(args) {
        Ok(checked) => {
            let allowed = checked.authorization.is_allowed();
            let matches = args
                .expect
                .map(|expected| (expected == Expectation::Allow) == allowed);
            if args.json {
                println!("{}", report::json(&checked, args.expect, matches));
            } else {
                print!("{}", report::text(&checked, args.expect, matches));
            }
            let success = matches.unwrap_or(allowed);
            if success {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            }
        }
        Err(error) => {
            eprintln!("lattice-local policy check: {error}");
            ExitCode::from(2)
        }
    }
}

/// Loads the topology and credentials `args` name and decides the request.
pub fn check(args: &PolicyCheckArgs) -> Result<Checked, PolicyCheckError> {
    let topologies = load_topologies(args)?;
    let store = load_credentials(args)?;
    let request = CheckRequest::from_args(args)?;
    decide(&topologies, &store, &request)
}

/// Decides `request` against the service it names in `topologies`.
pub fn decide(
    topologies: &[Topology],
    store: &CredentialStore,
    request: &CheckRequest,
) -> Result<Checked, PolicyCheckError> {
    let mut found = topologies
        .iter()
        .filter_map(|t| t.service(&request.service).map(|s| (t, s)));
    let Some((topology, service)) = found.next() else {
        let known: Vec<&str> = topologies
            .iter()
            .flat_map(|t| t.services.iter().map(|s| s.name.as_str()))
            .collect();
        return Err(PolicyCheckError::UnknownService {
            name: request.service.clone(),
            known: known.join(", "),
        });
    };
    if found.next().is_some() {
        return Err(PolicyCheckError::AmbiguousService(request.service.clone()));
    }
    let access = ServiceAccess::new(topology, service)?;
    let caller = request.caller(store)?;
    let source_vpc_arn = request.source_vpc_arn(caller.as_ref(), &topology.account);
    let origin = crate::auth::RequestOrigin {
        source_vpc_arn: source_vpc_arn.as_deref(),
        source_ip: Some(request.source_ip),
        listener_port: None,
    };
    let authorization = access.authorize(&request.parts, caller.as_ref(), &origin);
    Ok(Checked {
        principal: caller.map(|c| c.principal_arn),
        request_line: format!("{} {}", request.parts.method, request.parts.uri),
        access,
        authorization,
    })
}

fn load_topologies(args: &PolicyCheckArgs) -> Result<Vec<Topology>, PolicyCheckError> {
    let mut topologies = Vec::new();
    let template = match (&args.template, &args.k8s) {
        (Some(path), _) => Some(path.clone()),
        (None, None) => Some(PathBuf::from("template.yaml")),
        (None, Some(_)) => None,
    };
    if let Some(path) = template {
        let mut options = LoadOptions::new(args.region.clone());
        for parameter in &args.parameters {
            let (key, value) = request::key_value("--parameter", parameter)?;
            options = options.with_parameter(key, value);
        }
        topologies.push(Topology::load(&path, &options)?);
    }
    if let Some(dir) = &args.k8s {
        let manifests = Manifests::load_dir(dir)?;
        topologies.push(
            manifests
                .to_topology(&MapOptions::new(args.region.clone()))?
                .topology,
        );
    }
    Ok(topologies)
}

/// The credentials file given, else the demo's when lattice-local runs from its workspace,
/// else none (every `--principal` is then taken as given, without org or tags).
fn load_credentials(args: &PolicyCheckArgs) -> Result<CredentialStore, PolicyCheckError> {
    let path = match &args.credentials {
        Some(path) => path.clone(),
        None => match Workspace::locate().map(|w| w.demo_credentials()) {
            Ok(path) if path.is_file() => path,
            _ => return Ok(CredentialStore::default()),
        },
    };
    Ok(CredentialStore::load(path)?)
}
