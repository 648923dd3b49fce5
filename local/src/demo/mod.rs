//! `lattice-local demo`: the reference scenario end to end, on one machine.
//!
//! 1. build `provider` and `eks-client`; read the EKS side from `k8s/` as the AWS Gateway API
//!    Controller maps it (`HTTPRoute` `eks-app` -> service `eks-app-default`, `AWS_IAM` with the
//!    `IAMAuthPolicy`, `/app` prefix rule) and `template.yaml` in `EksAppMode=gateway-api` for
//!    the Lambda side and the network, the client pointed at that service (`LatticeServiceUrl`,
//!    `TargetServiceArn`) — the split of the reference architecture. With
//!    [`EksSide::Template`] the template's `EksAppMode=template` resources make the EKS side
//!    (`eks-app`) instead. A stand-in pod serves the Service; the provider serves `foo-service`;
//! 2. EKS -> Lattice -> Lambda: `GET https://foo-service.lattice.localhost:<port>/` (TLS,
//!    verified against the local CA) -> `Hello Foo Lambda!!`;
//! 3. Lambda -> Lattice -> EKS: invoke `eks-client` through the Runtime API, SigV4-signed over
//!    HTTPS when the EKS-side listener is `HTTPS` (the function trusts the local CA through
//!    `LATTICE_CA_BUNDLE`) -> `{"statusCode":200,"body":"from EKS: Hello Bar EKS Pod!!"}`;
//! 4. an unsigned request to the EKS-side service -> `403`.
//!
//! With `--keep` it stays up afterwards, with the request inspector, until Ctrl-C.
//!
//! The EKS side is built in `eks_side`, the stand-in pod is `stand_in_pod`, steps 2-4 are
//! `steps`.

mod eks_side;
mod stand_in_pod;
mod steps;

use std::path::PathBuf;
use std::sync::Arc;

pub use stand_in_pod::StandInPod;

use crate::access_log::AccessLog;
use crate::auth::CredentialStore;
use crate::dataplane::DataPlaneOptions;
use crate::functions::DiscardLogSink;
use crate::inspector::{Inspector, InspectorOptions};
use crate::template::DEFAULT_REGION;
use crate::tls::LocalAuthority;
use crate::tls::client::client_config;
use crate::up::{
    Stack, StackOptions, UpError, Workspace, print_ca, serve_inspector, topology_view,
};
use eks_side::{eks_side_from_manifests, eks_side_from_template};
use steps::DemoClient;

/// What the stand-in pod answers on `/app`.
pub const POD_GREETING: &str = "Hello Bar EKS Pod!!";
/// What the provider answers on `/`.
pub const PROVIDER_GREETING: &str = "Hello Foo Lambda!!";

/// A demo step that failed.
#[derive(Debug, thiserror::Error)]
#[error("step {step} ({title}) failed: {reason}")]
pub struct DemoError {
    /// 1-4.
    pub step: u8,
    /// What the step does.
    pub title: &'static str,
    /// Why it failed.
    pub reason: String,
}

const STEP_TITLES: [&str; 4] = [
    "build and start the topology",
    "EKS -> Lattice -> Lambda",
    "Lambda -> Lattice -> EKS",
    "denied call",
];

fn fail(step: u8, reason: impl std::fmt::Display) -> DemoError {
    DemoError {
        step,
        title: STEP_TITLES[usize::from(step - 1)],
        reason: reason.to_string(),
    }
}

/// Where the demo's EKS side comes from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum EksSide {
    /// The Gateway API manifests of the workspace's `k8s/`, mapped as the AWS Gateway API
    /// Controller maps them, beside the template in `EksAppMode=gateway-api`.
    #[default]
    K8s,
    /// The template's own `EksAppMode=template` resources.
    Template,
}

/// Options of `lattice-local demo`.
#[derive(Clone, Debug, Default)]
pub struct DemoOptions {
    /// Template path (default: the workspace's `template.yaml`).
    pub template: Option<PathBuf>,
    /// Where the EKS side comes from.
    pub eks_side: EksSide,
    /// Skip `cargo build` (binaries must exist).
    pub no_build: bool,
    /// Stay up after the steps until Ctrl-C.
    pub keep: bool,
    /// The request inspector (served from the start, so it shows the steps too).
    pub inspector: Option<InspectorOptions>,
    /// Where the local CA is kept (default: as for `up`).
    pub state_dir: Option<PathBuf>,
}

/// Runs the demo, printing each step.
pub async fn run(options: DemoOptions) -> Result<(), DemoError> {
    println!("step 1: {}", STEP_TITLES[0]);
    let workspace = Workspace::locate().map_err(|e| fail(1, e))?;
    if options.no_build {
        println!(
            "    (--no-build: using binaries in {})",
            workspace.bin_dir.display()
        );
    } else {
        workspace
            .build(&["provider", "eks-client"])
            .map_err(|e| fail(1, e))?;
    }
    let template = options
        .template
        .clone()
        .unwrap_or_else(|| workspace.template());
    let credentials_path = workspace.demo_credentials();
    let store = Arc::new(CredentialStore::load(&credentials_path).map_err(|e| fail(1, e))?);
    let principal = store.principals().next().cloned().ok_or_else(|| {
        fail(
            1,
            format!("{} has no principal", credentials_path.display()),
        )
    })?;
    let pod = StandInPod::start()
        .await
        .map_err(|e| fail(1, format!("stand-in pod: {e}")))?;
    let (scenario, source) = match options.eks_side {
        EksSide::K8s => {
            let k8s = workspace.root.join("k8s");
            let scenario =
                eks_side_from_manifests(&template, &k8s, &principal.principal_arn, &pod)?;
            (
                scenario,
                format!("{} + {}", template.display(), k8s.display()),
            )
        }
        EksSide::Template => (
            eks_side_from_template(&template, &pod)?,
            template.display().to_string(),
        ),
    };
    let topology = &scenario.topology;
    let eks_service = topology
        .service(&scenario.eks_service)
        .ok_or_else(|| fail(1, format!("{} is not served", scenario.eks_service)))?;
    println!(
        "    {} auth type: {}",
        eks_service.name,
        eks_service.auth_type.as_str()
    );
    let client_function = topology
        .functions
        .values()
        .find(|f| f.binary == "eks-client")
        .ok_or_else(|| fail(1, "the template has no function built from eks-client"))?
        .logical_id
        .clone();

    let authority =
        Arc::new(LocalAuthority::open_in(options.state_dir.as_deref()).map_err(|e| fail(1, e))?);
    print_ca(&authority);
    let client = DemoClient {
        tls: client_config(authority.ca_certificate()).map_err(|e| fail(1, e))?,
    };
    let log = AccessLog::memory();
    let mut data_plane = DataPlaneOptions::new(DEFAULT_REGION, Arc::clone(&store));
    data_plane.access_log = log.clone();
    data_plane.tls = Some(authority);
    let inspector = options.inspector.clone().map(Inspector::new);
    data_plane.inspector = inspector.clone();
    let mut stack_options = StackOptions::new(data_plane);
    stack_options.upstreams = scenario.upstreams.clone();
    stack_options.log_sink = Arc::new(DiscardLogSink);
    stack_options.max_instances = 2;
    // The functions' "execution role", as in `up`: eks-client signs with it.
    stack_options.function_principal = Some(principal);
    let stack = Stack::start(topology, stack_options, |name| workspace.binary(name))
        .await
        .map_err(|e: UpError| fail(1, e))?;
    let inspector = match inspector {
        Some(inspector) => {
            let view = topology_view(&source, topology, &scenario.upstreams, &stack);
            let server = serve_inspector(inspector, &view, &stack)
                .await
                .map_err(|e| fail(1, e))?;
            println!("    inspector: {}", server.url());
            Some(server)
        }
        None => None,
    };
    let outcome = steps::run(&stack, &scenario, &pod, &log, &client, &client_function).await;
    if options.keep {
        match &outcome {
            Ok(()) => println!("all steps passed; still serving"),
            Err(error) => println!("{error}; still serving, to look into it"),
        }
        if let Some(inspector) = &inspector {
            println!("    inspector: {}", inspector.url());
        }
        println!("press Ctrl-C to stop");
        // Ctrl-C stops; a failure to install the handler also ends the wait.
        let _ = tokio::signal::ctrl_c().await;
        println!("stopping");
    }
    drop(inspector);
    stack.shutdown().await;
    outcome?;
    println!("demo finished: both directions work");
    Ok(())
}
