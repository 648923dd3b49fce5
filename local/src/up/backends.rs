//! Which target groups `--upstream KEY=…` and `--run KEY=…` give targets to: KEY is a target
//! group of the topology (logical id or name, the template's form), or a Kubernetes Service
//! `namespace/name` of the manifests, which stands for every target group built for it (the
//! controller builds one per route that has the Service as a backend). The one place that
//! tells the two forms apart; the value (a URL, a command) passes through untouched.

use std::collections::BTreeMap;

use super::error::UpError;
use crate::k8s::{ManifestTopology, ObjectKey};
use crate::model::{TargetKind, Topology};

/// Replaces each `namespace/name` key of `entries` by the target groups of that Service;
/// other keys stay as they are (the stack checks that they name target groups). A target group
/// reached through two keys is an error naming both.
pub fn target_group_keys<V: Clone>(
    option: &'static str,
    entries: BTreeMap<String, V>,
    manifests: Option<&ManifestTopology>,
) -> Result<BTreeMap<String, V>, UpError> {
    let mut resolved: BTreeMap<String, (String, V)> = BTreeMap::new();
    for (key, value) in entries {
        for group in groups_of(option, &key, manifests)? {
            if let Some((first, _)) = resolved.get(&group) {
                return Err(UpError::BackendGivenTwice {
                    group,
                    first: first.clone(),
                    second: key,
                });
            }
            resolved.insert(group, (key.clone(), value.clone()));
        }
    }
    Ok(resolved
        .into_iter()
        .map(|(group, (_, value))| (group, value))
        .collect())
}

/// Checks that every key of `resolved` (after [`target_group_keys`]) is an HTTP target group
/// of `topology`, before anything is started for it.
pub fn check_http_groups<V>(
    option: &'static str,
    resolved: &BTreeMap<String, V>,
    topology: &Topology,
) -> Result<(), UpError> {
    for key in resolved.keys() {
        let http = topology
            .target_group(key)
            .is_some_and(|g| matches!(g.kind, TargetKind::Http { .. }));
        if !http {
            return Err(UpError::UnknownBackend {
                option,
                key: key.clone(),
                reason: "not an IP/INSTANCE/ALB target group of the template (nor a Service namespace/name of the manifests)".into(),
            });
        }
    }
    Ok(())
}

/// The target groups `key` stands for.
fn groups_of(
    option: &'static str,
    key: &str,
    manifests: Option<&ManifestTopology>,
) -> Result<Vec<String>, UpError> {
    let Some((namespace, name)) = key.split_once('/') else {
        return Ok(vec![key.to_owned()]);
    };
    let unknown = |reason: String| UpError::UnknownBackend {
        option,
        key: key.to_owned(),
        reason,
    };
    if namespace.is_empty() || name.is_empty() || name.contains('/') {
        return Err(unknown(
            "expected a target group or a Service as namespace/name".into(),
        ));
    }
    let Some(manifests) = manifests else {
        return Err(unknown(
            "a Kubernetes Service needs the manifests: pass --k8s DIR".into(),
        ));
    };
    let service = ObjectKey::new(None, namespace, name);
    let groups = manifests.target_groups_of(&service);
    if groups.is_empty() {
        let mut backends: Vec<String> = manifests
            .backends
            .values()
            .map(|b| b.object.to_string())
            .collect();
        backends.sort();
        backends.dedup();
        return Err(unknown(format!(
            "no HTTPRoute of the manifests has Service {service} as a backend (backends: {})",
            if backends.is_empty() {
                "none".to_owned()
            } else {
                backends.join(", ")
            }
        )));
    }
    Ok(groups.into_iter().map(str::to_owned).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    const MANIFESTS: &str = r#"
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: net}
spec:
  gatewayClassName: amazon-vpc-lattice
  listeners: [{name: http, protocol: HTTP, port: 80}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: a, namespace: shop}
spec:
  parentRefs: [{name: net, namespace: default, sectionName: http}]
  rules: [{backendRefs: [{name: inventory, port: 80}]}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: b, namespace: shop}
spec:
  parentRefs: [{name: net, namespace: default, sectionName: http}]
  rules: [{backendRefs: [{name: inventory, port: 80}]}]
---
apiVersion: v1
kind: Service
metadata: {name: inventory, namespace: shop}
spec: {selector: {app: inventory}, ports: [{port: 80, targetPort: 8090}]}
"#;

    fn mapped() -> ManifestTopology {
        crate::k8s::mapped_for_test("shop.yaml", MANIFESTS)
    }

    #[test]
    fn a_service_stands_for_the_target_group_of_every_route_that_uses_it() {
        let mapped = mapped();
        let entries = BTreeMap::from([
            ("shop/inventory".to_owned(), "http://127.0.0.1:1"),
            ("TemplateGroup".to_owned(), "http://127.0.0.1:2"),
        ]);
        let resolved = target_group_keys("--upstream", entries, Some(&mapped)).unwrap();
        let groups = mapped.target_groups_of(&ObjectKey::new(None, "shop", "inventory"));
        assert_eq!(groups.len(), 2, "one group per route");
        for group in groups {
            assert_eq!(resolved[group], "http://127.0.0.1:1");
        }
        assert_eq!(resolved["TemplateGroup"], "http://127.0.0.1:2");
        assert_eq!(resolved.len(), 3);
    }

    #[test]
    fn unknown_services_and_missing_manifests_are_named() {
        let mapped = mapped();
        let one = |key: &str| BTreeMap::from([(key.to_owned(), "x")]);
        let error = target_group_keys("--run", one("shop/orders"), Some(&mapped)).unwrap_err();
        assert_eq!(
            error.to_string(),
            "--run shop/orders: no HTTPRoute of the manifests has Service shop/orders as a backend (backends: shop/inventory)"
        );
        let error = target_group_keys("--upstream", one("shop/inventory"), None).unwrap_err();
        assert!(error.to_string().contains("pass --k8s DIR"), "{error}");
        let error = target_group_keys("--upstream", one("/inventory"), Some(&mapped)).unwrap_err();
        assert!(error.to_string().contains("namespace/name"), "{error}");
    }

    #[test]
    fn only_http_target_groups_take_backends() {
        let mapped = mapped();
        let resolved = target_group_keys(
            "--run",
            BTreeMap::from([("shop/inventory".to_owned(), "cmd")]),
            Some(&mapped),
        )
        .unwrap();
        check_http_groups("--run", &resolved, &mapped.topology).unwrap();
        let unknown = BTreeMap::from([("InventoryGroup".to_owned(), "cmd")]);
        let error = check_http_groups("--run", &unknown, &mapped.topology).unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("--run InventoryGroup: not an IP/INSTANCE/ALB target group"),
            "{error}"
        );
    }

    #[test]
    fn a_group_reached_twice_names_both_keys() {
        let mapped = mapped();
        let group = mapped.target_groups_of(&ObjectKey::new(None, "shop", "inventory"))[0];
        let entries = BTreeMap::from([("shop/inventory".to_owned(), "a"), (group.to_owned(), "b")]);
        let error = target_group_keys("--upstream", entries, Some(&mapped)).unwrap_err();
        let text = error.to_string();
        assert!(
            text.contains("shop/inventory") && text.contains(group),
            "{text}"
        );
    }
}
