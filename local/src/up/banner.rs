//! The part of `up`'s start-up banner about the manifests: which route each service comes
//! from (with the ARN a template parameter such as `TargetServiceArn` may need), and where each
//! backend Service's requests go, or that they get `503` and how to give it targets.

use std::collections::BTreeMap;

use super::backend_process::BackendProcess;
use crate::k8s::{ManifestTopology, ObjectKey};

/// Prints the manifests' services and backends. `upstreams` maps target groups to URLs (after
/// `--upstream` and `--run` were resolved); `backends` are the `--run` processes.
pub(super) fn print_manifest_backends(
    mapped: &ManifestTopology,
    upstreams: &BTreeMap<String, String>,
    backends: &[BackendProcess],
) {
    for service in &mapped.topology.services {
        let route = mapped
            .routes
            .get(&service.logical_id)
            .map_or_else(|| service.logical_id.clone(), ToString::to_string);
        println!("  {:<16} is {route}, ARN {}", service.name, service.arn);
    }
    let mut services: BTreeMap<(&str, &ObjectKey), Vec<&str>> = BTreeMap::new();
    for (group, backend) in &mapped.backends {
        services
            .entry((backend.kind.as_str(), &backend.object))
            .or_default()
            .push(group);
    }
    for ((kind, object), groups) in services {
        let key = object.to_string();
        let target = match groups.iter().find_map(|g| upstreams.get(*g)) {
            Some(url) => match backends.iter().find(|b| b.key() == key) {
                Some(process) => format!("{url} (--run `{}`)", process.command()),
                None => url.clone(),
            },
            None => format!(
                "no targets: requests get 503 (pass --upstream {key}=http://127.0.0.1:PORT or --run {key}='COMMAND')"
            ),
        };
        println!("  {kind} {key} -> {target}");
    }
}
