//! `lattice-local up` as a test starts it.

use std::path::PathBuf;

/// `up` options for a test: `template` and/or the manifests of `k8s`, region [`REGION`](super::REGION), the
/// demo credentials, loopback, any free ports, one instance per function, no build.
pub fn up_options(template: Option<PathBuf>, k8s: Option<PathBuf>) -> lattice_local::up::UpOptions {
    lattice_local::up::UpOptions {
        template,
        k8s,
        parameters: Vec::new(),
        region: super::REGION.into(),
        credentials: None,
        function_principal: None,
        upstreams: std::collections::BTreeMap::new(),
        runs: std::collections::BTreeMap::new(),
        bind: std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST),
        port: 0,
        https_port: 0,
        service_ports: std::collections::BTreeMap::new(),
        listener_ports: std::collections::BTreeMap::new(),
        // A test never writes a CA into the user's state directory; one per call, so tests
        // running at once never create the same CA together.
        state_dir: Some(test_state_dir()),
        invoke_port: 0,
        max_instances: 1,
        max_concurrency: std::collections::BTreeMap::new(),
        source_vpc_arn: None,
        no_build: true,
        access_log: Some(lattice_local::access_log::AccessLogFormat::Text),
        inspector: None,
    }
}

/// A fresh state directory under the system's temporary directory.
fn test_state_dir() -> std::path::PathBuf {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    std::env::temp_dir().join(format!(
        "lattice-local-test-state-{}-{n}",
        std::process::id()
    ))
}
