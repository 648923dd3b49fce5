//! The EKS side beside the Lambda side: a [`ManifestTopology`] joined into the template's
//! [`Topology`], as the controller's services join the stack's in one account.
//!
//! In AWS both land in one account and one namespace of Lattice names, so a service name both
//! define is refused here as Lattice would refuse the second `CreateService` (names are unique
//! per account and Region). The manifests' services keep their network unless the template
//! creates a network of the same name, which they then join: a Gateway stands for the network
//! **of its name**, and the stack's is the one it names. An `IAMAuthPolicy` on that Gateway
//! becomes the shared network's policy, unless the template gives it one too.

use std::path::{Path, PathBuf};

use super::mapping::ManifestTopology;
use crate::model::Topology;

/// Why the manifests cannot be served beside the template. Each variant names both sources.
#[derive(Debug, thiserror::Error)]
pub enum JoinError {
    /// A Lattice service name both define.
    #[error(
        "Lattice service name {name:?} is defined twice: by {template_service} in {} and by {route} \
         (Lattice service names are unique per account and Region)",
        template.display()
    )]
    ServiceName {
        /// The name.
        name: String,
        /// The template's service (logical id).
        template_service: String,
        /// The template file.
        template: PathBuf,
        /// The route whose service has the name: file, document, kind and name.
        route: String,
    },
    /// A target group logical id or name both define.
    #[error(
        "target group {name:?} is defined twice: by {template_group} in {} and for a backend of {route}",
        template.display()
    )]
    TargetGroup {
        /// The clashing id or name.
        name: String,
        /// The template's target group (logical id).
        template_group: String,
        /// The template file.
        template: PathBuf,
        /// The route whose backend built the group: file, document, kind and name.
        route: String,
    },
    /// The template's service network has an auth policy and an `IAMAuthPolicy` targets the
    /// Gateway that stands for it: two owners of one policy.
    #[error(
        "service network {network:?} would get two auth policies: {template_network}'s in {} and \
         an IAMAuthPolicy on the Gateway of that name",
        template.display()
    )]
    NetworkAuthPolicy {
        /// The network's name (the Gateway's).
        network: String,
        /// The template's network (logical id).
        template_network: String,
        /// The template file.
        template: PathBuf,
    },
    /// The two were mapped for different accounts or Regions.
    #[error(
        "the manifests were mapped for {manifests} but {} for {template_account} (pass one --region to both)",
        template.display()
    )]
    Account {
        /// Account and Region of the template's ARNs.
        template_account: String,
        /// The template file.
        template: PathBuf,
        /// Account and Region of the manifests' ARNs.
        manifests: String,
    },
}

impl ManifestTopology {
    /// Joins these services and target groups into `template` (read from `template_file`):
    /// services whose Gateway is named after one of the template's service networks move into
    /// it; a service name or target group defined by both is an error naming both. The
    /// template's functions, parameters and notes stay; the manifests' notes follow them.
    pub fn join_into(
        &self,
        template: Topology,
        template_file: &Path,
    ) -> Result<Topology, JoinError> {
        let ManifestTopology {
            topology: manifests,
            routes,
            backends,
            ..
        } = self;
        // Every mapped service has its route recorded; a hand-built topology may not.
        let route_of = |service_id: &str| {
            routes
                .get(service_id)
                .map_or_else(|| format!("HTTPRoute {service_id}"), ToString::to_string)
        };
        if manifests.account != template.account {
            let describe =
                |a: &crate::model::LocalAccount| format!("{} {}", a.account_id, a.region);
            return Err(JoinError::Account {
                template_account: describe(&template.account),
                template: template_file.to_owned(),
                manifests: describe(&manifests.account),
            });
        }
        let mut joined = template;
        for service in &manifests.services {
            if let Some(existing) = joined.services.iter().find(|s| s.name == service.name) {
                return Err(JoinError::ServiceName {
                    name: service.name.clone(),
                    template_service: existing.logical_id.clone(),
                    template: template_file.to_owned(),
                    route: route_of(&service.logical_id),
                });
            }
        }
        for group in manifests.target_groups.values() {
            let clash = joined.target_groups.values().find(|t| {
                [&t.logical_id, &t.name]
                    .into_iter()
                    .any(|n| *n == group.logical_id || *n == group.name)
            });
            if let Some(existing) = clash {
                let route = backends
                    .get(&group.logical_id)
                    .map(|b| b.route.to_string())
                    .unwrap_or_default();
                return Err(JoinError::TargetGroup {
                    name: group.logical_id.clone(),
                    template_group: existing.logical_id.clone(),
                    template: template_file.to_owned(),
                    route: route_of(&route),
                });
            }
        }
        let mut services = manifests.services.clone();
        for network in &manifests.service_networks {
            let Some(shared) = joined
                .service_networks
                .iter_mut()
                .find(|n| n.name == network.name)
            else {
                joined.service_networks.push(network.clone());
                continue;
            };
            // The Gateway stands for the template's network: its routes' services join it.
            for service in services
                .iter_mut()
                .filter(|s| s.service_network_arn == network.arn)
            {
                service.service_network_arn.clone_from(&shared.arn);
            }
            if let Some(policy) = &network.auth_policy {
                if shared.auth_policy.is_some() {
                    return Err(JoinError::NetworkAuthPolicy {
                        network: network.name.clone(),
                        template_network: shared.logical_id.clone(),
                        template: template_file.to_owned(),
                    });
                }
                // As the controller does: the IAMAuthPolicy makes the network AWS_IAM.
                shared.auth_type = network.auth_type.clone();
                shared.auth_policy = Some(policy.clone());
            }
        }
        joined.services.extend(services);
        joined.target_groups.extend(
            manifests
                .target_groups
                .iter()
                .map(|(id, group)| (id.clone(), group.clone())),
        );
        joined.notes.extend(manifests.notes.iter().cloned());
        Ok(joined)
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::k8s::ObjectKey;
    use crate::template::LoadOptions;

    const TEMPLATE: &str = r#"
Resources:
  Network:
    Type: AWS::VpcLattice::ServiceNetwork
    Properties: {Name: shop-network}
  Orders:
    Type: AWS::VpcLattice::Service
    Properties: {Name: orders}
  OrdersGroup:
    Type: AWS::VpcLattice::TargetGroup
    Properties: {Type: IP, Config: {Port: 80, Protocol: HTTP}}
"#;

    const MANIFESTS: &str = r#"
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: shop-network}
spec:
  gatewayClassName: amazon-vpc-lattice
  listeners: [{name: http, protocol: HTTP, port: 80}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: inventory, namespace: shop}
spec:
  parentRefs: [{name: shop-network, namespace: default, sectionName: http}]
  rules: [{backendRefs: [{name: inventory, port: 80}]}]
---
apiVersion: v1
kind: Service
metadata: {name: inventory, namespace: shop}
spec: {selector: {app: inventory}, ports: [{port: 80, targetPort: 8090}]}
---
apiVersion: application-networking.k8s.aws/v1alpha1
kind: ServiceExport
metadata: {name: inventory, namespace: shop}
spec: {}
"#;

    fn template(yaml: &str, region: &str) -> Topology {
        Topology::from_yaml(yaml, &LoadOptions::new(region)).unwrap()
    }

    fn template_of(yaml: &str) -> Topology {
        template(yaml, "us-west-2")
    }

    fn mapped(yaml: &str) -> ManifestTopology {
        crate::k8s::mapped_for_test("k8s/shop.yaml", yaml)
    }

    #[test]
    fn both_sides_are_served_side_by_side_with_every_note() {
        let mapped = mapped(MANIFESTS);
        let joined = mapped
            .join_into(template_of(TEMPLATE), Path::new("template.yaml"))
            .unwrap();
        let names: Vec<&str> = joined.services.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["orders", "inventory-shop"]);
        assert!(joined.target_groups.contains_key("OrdersGroup"));
        let group = mapped.target_groups_of(&ObjectKey::new(None, "shop", "inventory"))[0];
        assert!(joined.target_groups.contains_key(group));
        // The manifests' notes follow the template's: the ServiceExport is named.
        assert!(
            joined
                .notes
                .iter()
                .any(|n| n.kind.starts_with("ServiceExport") && n.resource == "shop/inventory"),
            "{:?}",
            joined.notes
        );
    }

    #[test]
    fn a_gateway_named_after_the_templates_network_joins_it() {
        let template = template_of(TEMPLATE);
        let network = template.service_networks[0].clone();
        assert_eq!(network.name, "shop-network");
        let joined = mapped(MANIFESTS)
            .join_into(template, Path::new("template.yaml"))
            .unwrap();
        assert_eq!(joined.service_networks.len(), 1, "one network, shared");
        let service = joined.service("inventory-shop").unwrap();
        assert_eq!(service.service_network_arn, network.arn);

        // A Gateway of another name stands for another network, which it keeps.
        let other = MANIFESTS.replace("shop-network", "other-network");
        let mapped = mapped(&other);
        let joined = mapped
            .join_into(template_of(TEMPLATE), Path::new("template.yaml"))
            .unwrap();
        let names: Vec<&str> = joined
            .service_networks
            .iter()
            .map(|n| n.name.as_str())
            .collect();
        assert_eq!(names, ["shop-network", "other-network"]);
        let service = joined.service("inventory-shop").unwrap();
        assert_eq!(service.service_network_arn, mapped.service_networks[0].arn);
        assert_ne!(service.service_network_arn, network.arn);
    }

    #[test]
    fn a_gateways_iam_auth_policy_becomes_the_shared_networks_unless_it_has_one() {
        let with_policy = format!(
            "{MANIFESTS}---\n{}",
            r#"apiVersion: application-networking.k8s.aws/v1alpha1
kind: IAMAuthPolicy
metadata: {name: network, namespace: default}
spec:
  targetRef: {group: gateway.networking.k8s.io, kind: Gateway, name: shop-network}
  policy: '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "vpc-lattice-svcs:Invoke", "Resource": "*"}]}'
"#
        );
        let mapped = mapped(&with_policy);
        let joined = mapped
            .join_into(template_of(TEMPLATE), Path::new("template.yaml"))
            .unwrap();
        let network = &joined.service_networks[0];
        assert_eq!(network.logical_id, "Network", "the template's network");
        assert_eq!(network.auth_type, lattice_lambda::AuthType::AwsIam);
        assert!(network.auth_policy.is_some());

        let mut owned = template_of(TEMPLATE);
        owned.service_networks[0].auth_policy = Some(serde_json::json!({"Statement": []}));
        let error = mapped
            .join_into(owned, Path::new("template.yaml"))
            .unwrap_err();
        assert_eq!(
            error.to_string(),
            "service network \"shop-network\" would get two auth policies: Network's in \
             template.yaml and an IAMAuthPolicy on the Gateway of that name"
        );
    }

    #[test]
    fn a_service_name_both_define_is_an_error_naming_both_sources() {
        let clashing = TEMPLATE.replace("Name: orders", "Name: inventory-shop");
        let error = mapped(MANIFESTS)
            .join_into(template_of(&clashing), Path::new("template.yaml"))
            .unwrap_err();
        assert_eq!(
            error.to_string(),
            "Lattice service name \"inventory-shop\" is defined twice: by Orders in template.yaml \
             and by k8s/shop.yaml document 2: HTTPRoute shop/inventory (Lattice service names \
             are unique per account and Region)"
        );
    }

    #[test]
    fn a_target_group_both_define_is_an_error_naming_both_sources() {
        let mapped = mapped(MANIFESTS);
        let group = mapped.target_groups_of(&ObjectKey::new(None, "shop", "inventory"))[0];
        let clashing = TEMPLATE.replace(
            "Properties: {Type: IP,",
            &format!("Properties: {{Name: {group}, Type: IP,"),
        );
        let error = mapped
            .join_into(template_of(&clashing), Path::new("template.yaml"))
            .unwrap_err();
        let text = error.to_string();
        assert!(
            text.contains(&format!(
                "target group \"{group}\" is defined twice: by OrdersGroup in template.yaml"
            )) && text.contains("k8s/shop.yaml document 2: HTTPRoute shop/inventory"),
            "{text}"
        );
    }

    #[test]
    fn a_region_mismatch_is_refused() {
        let error = mapped(MANIFESTS)
            .join_into(template(TEMPLATE, "eu-west-1"), Path::new("template.yaml"))
            .unwrap_err();
        assert!(matches!(error, JoinError::Account { .. }), "{error}");
    }
}
