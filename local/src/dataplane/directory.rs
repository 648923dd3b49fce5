//! [`Directory`]: the topology as the request path reads it, built once at start: each
//! service with its access settings (its network's and its own auth policies, parsed) and its
//! listeners' routers, each target group with what
//! serves it, and the settings every request shares.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use super::router::Router;
use super::{DataPlaneError, DataPlaneOptions};
use crate::auth::{CredentialStore, ServiceAccess};
use crate::targets::Target;
use crate::template::{LOCAL_DOMAIN, Topology};

/// One service, ready to serve.
#[derive(Debug)]
pub(crate) struct ServicePlane {
    pub name: Arc<str>,
    pub arn: String,
    pub service_network_arn: String,
    /// The network's and the service's access control, as `ServiceAccess::authorize` reads it.
    pub access: ServiceAccess,
    /// Its listeners, in template order.
    pub listeners: Vec<Arc<ListenerPlane>>,
}

impl ServicePlane {
    /// The listener a `Host`-routed port of this transport serves: the first over TLS on the
    /// HTTPS port, the first in plain HTTP on the HTTP port.
    pub fn listener_over(&self, tls: bool) -> Option<&Arc<ListenerPlane>> {
        self.listeners.iter().find(|l| l.tls == tls)
    }
}

/// A listener of a service.
#[derive(Debug)]
pub(crate) struct ListenerPlane {
    /// The port Lattice listens on (`x-forwarded-port`, `vpc-lattice-svcs:Port`).
    pub port: u16,
    /// An `HTTPS` listener (`x-forwarded-proto: https`).
    pub https: bool,
    /// Served over TLS locally (an `HTTPS` listener when the data plane has certificates).
    pub tls: bool,
    pub router: Router,
}

/// A target group and what serves it.
#[derive(Debug)]
pub(crate) struct TargetGroupPlane {
    pub arn: String,
    pub target: Target,
    /// `lambda:<function>`, `http:<url>` or `unavailable`, for the access log.
    pub described: Arc<str>,
}

/// Everything requests read, shared by every connection.
#[derive(Debug)]
pub(crate) struct Directory {
    pub services: Vec<Arc<ServicePlane>>,
    /// Target groups by logical id.
    pub groups: HashMap<String, Arc<TargetGroupPlane>>,
    pub credentials: Arc<CredentialStore>,
    pub region: String,
    pub source_vpc_arn: Option<String>,
    pub upstream_timeout: Duration,
    /// The data plane listens beyond loopback: `Host`s that are IP literals are accepted.
    pub exposed: bool,
    /// The access-log target of a fixed response.
    pub fixed_response: Arc<str>,
    /// Whether something reads records (the access log or the inspector); if not, layers
    /// need not collect their facts, such as a copy of the caller's identity.
    pub recording: bool,
    /// The `Host`-routed ports: plain HTTP, and TLS if served (for messages).
    pub host_ports: (u16, Option<u16>),
}

impl Directory {
    /// Parses every auth policy (one that is not understood stops the start: fail closed) and
    /// pairs each target group with its target (`503` for groups without one).
    pub fn build(
        topology: &Topology,
        mut targets: BTreeMap<String, Target>,
        options: &DataPlaneOptions,
    ) -> Result<Self, DataPlaneError> {
        let mut services = Vec::with_capacity(topology.services.len());
        for service in &topology.services {
            let access = ServiceAccess::new(topology, service)?;
            let listeners = service
                .listeners
                .iter()
                .map(|l| {
                    Arc::new(ListenerPlane {
                        port: l.port,
                        https: l.is_https(),
                        tls: l.is_https() && options.tls.is_some(),
                        router: Router::new(l.rules.clone(), l.default_action.clone()),
                    })
                })
                .collect();
            services.push(Arc::new(ServicePlane {
                name: Arc::from(service.name.as_str()),
                arn: service.arn.clone(),
                service_network_arn: service.service_network_arn.clone(),
                access,
                listeners,
            }));
        }
        let groups = topology
            .target_groups
            .values()
            .map(|group| {
                let target = targets.remove(&group.logical_id).unwrap_or_else(|| {
                    Target::Unavailable(format!(
                        "target group {} has nothing to forward to",
                        group.logical_id
                    ))
                });
                let plane = TargetGroupPlane {
                    arn: group.arn.clone(),
                    described: Arc::from(target.describe()),
                    target,
                };
                (group.logical_id.clone(), Arc::new(plane))
            })
            .collect();
        Ok(Directory {
            services,
            groups,
            credentials: Arc::clone(&options.credentials),
            region: options.region.clone(),
            source_vpc_arn: options.source_vpc_arn.clone(),
            upstream_timeout: options.upstream_timeout,
            exposed: !options.bind.is_loopback(),
            fixed_response: Arc::from("fixed-response"),
            recording: options.access_log.is_on() || options.inspector.is_some(),
            host_ports: (0, None),
        })
    }

    /// The service `name` designates: `<service>` or `<service>.lattice.localhost`, in any
    /// letter case.
    pub fn service_named(&self, name: &str) -> Option<&Arc<ServicePlane>> {
        let bare = strip_local_domain(name).unwrap_or(name);
        self.services
            .iter()
            .find(|s| s.name.eq_ignore_ascii_case(bare))
    }

    /// The names of every service, for messages.
    pub fn service_names(&self) -> Vec<Arc<str>> {
        self.services.iter().map(|s| Arc::clone(&s.name)).collect()
    }
}

/// `name` without `.lattice.localhost` (any case), if it ends with it.
pub(crate) fn strip_local_domain(name: &str) -> Option<&str> {
    let split = name.len().checked_sub(LOCAL_DOMAIN.len() + 1)?;
    let (head, tail) = name.split_at_checked(split)?;
    (tail.starts_with('.') && tail[1..].eq_ignore_ascii_case(LOCAL_DOMAIN)).then_some(head)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::{AccessControl, PolicyScope};
    use crate::template::LoadOptions;

    fn project_template() -> String {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../template.yaml");
        std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {path}: {e}"))
    }

    fn options() -> DataPlaneOptions {
        let store = Arc::new(CredentialStore::from_entries(Vec::new()).unwrap());
        DataPlaneOptions::new("us-west-2", store)
    }

    #[test]
    fn every_auth_policy_of_the_project_template_is_understood() {
        let variants: [&[(&str, &str)]; 4] = [
            &[("AuthType", "AWS_IAM")],
            &[
                ("AuthType", "AWS_IAM"),
                ("ServiceNetworkAuthType", "AWS_IAM"),
                ("AllowedPrincipalOrgId", "o-abcdefghij"),
            ],
            &[
                ("AuthType", "AWS_IAM"),
                ("AllowedPrincipalOrgId", "o-abcdefghij"),
                ("AllowedSourceVpcId", "vpc-0123456789abcdef0"),
            ],
            &[
                ("AuthType", "AWS_IAM"),
                ("AllowedSourceVpcId", "vpc-0123456789abcdef0"),
            ],
        ];
        for parameters in variants {
            let mut load = LoadOptions::new("us-west-2").with_parameter("EksAppMode", "template");
            for (k, v) in parameters {
                load = load.with_parameter(*k, *v);
            }
            let topology = Topology::from_yaml(&project_template(), &load).unwrap();
            let directory = Directory::build(&topology, BTreeMap::new(), &options())
                .unwrap_or_else(|e| panic!("{parameters:?}: {e}"));
            let with_policy = directory
                .services
                .iter()
                .filter(|s| matches!(s.access.service, AccessControl::Iam(Some(_))))
                .count();
            assert_eq!(with_policy, 2, "{parameters:?}");
        }
    }

    #[test]
    fn a_policy_that_is_not_understood_stops_the_start_by_name() {
        let yaml = r#"
Resources:
  Svc: { Type: AWS::VpcLattice::Service, Properties: { Name: strict, AuthType: AWS_IAM } }
  Policy:
    Type: AWS::VpcLattice::AuthPolicy
    Properties:
      ResourceIdentifier: !Ref Svc
      Policy:
        Statement:
          - Effect: Allow
            Principal: "*"
            Action: vpc-lattice-svcs:Invoke
            Resource: "*"
            Condition: { DateGreaterThan: { "aws:CurrentTime": "2020-01-01T00:00:00Z" } }
"#;
        let topology = Topology::from_yaml(yaml, &LoadOptions::new("us-west-2")).unwrap();
        let error = Directory::build(&topology, BTreeMap::new(), &options())
            .expect_err("an unsupported condition fails closed");
        assert!(
            matches!(&error, DataPlaneError::Policy(e) if e.name == "strict" && e.scope == PolicyScope::Service),
            "{error}"
        );
    }

    #[test]
    fn services_are_named_bare_or_under_the_local_domain_in_any_case() {
        let yaml = r#"
Resources:
  Svc: { Type: AWS::VpcLattice::Service, Properties: { Name: foo-service } }
"#;
        let topology = Topology::from_yaml(yaml, &LoadOptions::new("us-west-2")).unwrap();
        let directory = Directory::build(&topology, BTreeMap::new(), &options()).unwrap();
        for name in [
            "foo-service",
            "FOO-SERVICE.lattice.localhost",
            "foo-service.Lattice.LocalHost",
        ] {
            assert!(directory.service_named(name).is_some(), "{name}");
        }
        for name in [
            "bar.lattice.localhost",
            "foo-service.localhost",
            "lattice.localhost",
        ] {
            assert!(directory.service_named(name).is_none(), "{name}");
        }
    }
}
