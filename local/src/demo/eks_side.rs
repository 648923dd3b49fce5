//! Where the demo's EKS side comes from: `k8s/` beside the template in
//! `EksAppMode=gateway-api` (the reference architecture's split), or the template's own
//! `EksAppMode=template` resources; either way every backend of the EKS side is the stand-in pod.

use std::collections::BTreeMap;
use std::path::Path;

use super::{DemoError, StandInPod, fail};
use crate::k8s::controller_service_name;
use crate::template::{DEFAULT_REGION, LOCAL_DOMAIN, LoadOptions, TargetKind, Topology};
use crate::up::{Sources, map_manifests, print_notes};

/// The route of `k8s/` the client calls: `default/eks-app`, served as `eks-app-default`.
const EKS_ROUTE: (&str, &str) = ("default", "eks-app");

/// The topology the demo serves and what in it plays which part.
pub(super) struct Scenario {
    pub(super) topology: Topology,
    /// The EKS-side Lattice service's name.
    pub(super) eks_service: String,
    /// Target group -> the stand-in pod, for every group of the EKS side.
    pub(super) upstreams: BTreeMap<String, String>,
}
/// The EKS side from the template's `EksAppMode=template` resources: `eks-app`, its IP target
/// group on the pod.
pub(super) fn eks_side_from_template(
    template: &Path,
    pod: &StandInPod,
) -> Result<Scenario, DemoError> {
    let load = LoadOptions::new(DEFAULT_REGION).with_parameter("EksAppMode", "template");
    let topology = Topology::load(template, &load).map_err(|e| fail(1, e))?;
    println!(
        "    read {} with EksAppMode=template (region {DEFAULT_REGION}): the template makes both sides",
        template.display()
    );
    print_notes("the template", &topology.notes);
    let upstreams = topology
        .target_groups
        .values()
        .filter(|g| matches!(g.kind, TargetKind::Http { .. }))
        .map(|g| (g.logical_id.clone(), pod.url()))
        .collect();
    Ok(Scenario {
        topology,
        eks_service: "eks-app".into(),
        upstreams,
    })
}

/// The EKS side from the manifests of `k8s`, the Lambda side and the network from the template
/// in `EksAppMode=gateway-api`, the client pointed at the route's service as `README.md`'s
/// deploy steps point it (`LatticeServiceUrl`, `TargetServiceArn`); every backend Service is
/// the pod.
pub(super) fn eks_side_from_manifests(
    template: &Path,
    k8s: &Path,
    client_principal: &str,
    pod: &StandInPod,
) -> Result<Scenario, DemoError> {
    let mapped =
        map_manifests(k8s, DEFAULT_REGION, Some(client_principal)).map_err(|e| fail(1, e))?;
    let (namespace, route) = EKS_ROUTE;
    let name = controller_service_name(route, namespace, None);
    let service = mapped.topology.service(&name).ok_or_else(|| {
        fail(
            1,
            format!(
                "{} has no HTTPRoute {namespace}/{route} (Lattice service {name})",
                k8s.display()
            ),
        )
    })?;
    let load = LoadOptions::new(DEFAULT_REGION)
        .with_parameter("EksAppMode", "gateway-api")
        .with_parameter(
            "LatticeServiceUrl",
            format!("https://{name}.{LOCAL_DOMAIN}/app"),
        )
        .with_parameter("TargetServiceArn", service.arn.clone());
    let topology = Topology::load(template, &load).map_err(|e| fail(1, e))?;
    println!(
        "    read {} with EksAppMode=gateway-api (the Lambda side and the network) and {} (the \
         EKS side, as the AWS Gateway API Controller maps it; region {DEFAULT_REGION})",
        template.display(),
        k8s.display()
    );
    println!(
        "    HTTPRoute {namespace}/{route} -> Lattice service {name} ({})",
        service.arn
    );
    let upstreams = mapped
        .backends
        .keys()
        .map(|group| (group.clone(), pod.url()))
        .collect();
    let sources = Sources::join(
        Some((template.to_owned(), topology)),
        Some((k8s.to_owned(), mapped)),
    )
    .map_err(|e| fail(1, e))?;
    Ok(Scenario {
        topology: sources.topology,
        eks_service: name,
        upstreams,
    })
}
