//! Kubernetes manifests of the EKS side, as the AWS Gateway API Controller reads them:
//! `Gateway`, `HTTPRoute`, `IAMAuthPolicy`, `TargetGroupPolicy`, `VpcAssociationPolicy`, and the
//! `Deployment`/`Service` they point at.
//!
//! - [`Manifests::load_dir`] reads a directory the way `kubectl apply -f DIR` does into typed
//!   documents; a wrong `apiVersion`/`kind`, an unknown field or a wrong type is a
//!   [`ManifestError`] naming the file, the document and the field path. Kinds lattice-local does
//!   not emulate (`ServiceExport`, `AccessLogPolicy`, …) are listed in [`Manifests::notes`].
//! - [`Manifests::check`] cross-checks names: parents, backends and policy targets exist, the
//!   `Gateway` is named after the service network, every auth policy parses with
//!   [`AuthPolicy::from_json`](crate::auth::AuthPolicy::from_json).
//! - [`Manifests::to_topology`] maps them onto lattice-local's [`Topology`](crate::template::Topology)
//!   following the controller's conventions (the table is in `docs/lattice-local.md`).
//! - [`ManifestTopology::join_into`] adds that EKS side to the template's topology, as
//!   `lattice-local up --k8s DIR` serves them; a name both define is a [`JoinError`] naming both.
//!
//! ```
//! use std::path::Path;
//! use lattice_local::k8s::{CheckOptions, MapOptions, Manifests};
//!
//! let yaml = r#"
//! apiVersion: gateway.networking.k8s.io/v1
//! kind: Gateway
//! metadata: {name: my-network}
//! spec:
//!   gatewayClassName: amazon-vpc-lattice
//!   listeners: [{name: http, protocol: HTTP, port: 80}]
//! ---
//! apiVersion: gateway.networking.k8s.io/v1
//! kind: HTTPRoute
//! metadata: {name: inventory}
//! spec:
//!   parentRefs: [{name: my-network, sectionName: http}]
//!   rules: [{backendRefs: [{name: inventory, port: 80}]}]
//! ---
//! apiVersion: v1
//! kind: Service
//! metadata: {name: inventory}
//! spec: {selector: {app: inventory}, ports: [{port: 80, targetPort: 8090}]}
//! "#;
//! let mut manifests = Manifests::default();
//! manifests.add_yaml(Path::new("example.yaml"), yaml).unwrap();
//! manifests.check(&CheckOptions::default()).unwrap();
//! let mapped = manifests.to_topology(&MapOptions::new("us-west-2")).unwrap();
//! let service = mapped.topology.service("inventory-default").unwrap();
//! assert_eq!(service.listeners[0].port, 80);
//! ```

mod check;
mod error;
mod gateway_api;
mod join;
mod mapping;
mod meta;
mod policies;
mod read;
mod workloads;

#[cfg(test)]
mod tests;

/// Test support for other modules' tests: `yaml` read as the file `file` and mapped for
/// `us-west-2`; panics on an error (a test's fixture is wrong).
#[cfg(test)]
pub(crate) fn mapped_for_test(file: &str, yaml: &str) -> ManifestTopology {
    let mut manifests = Manifests::default();
    manifests
        .add_yaml(std::path::Path::new(file), yaml)
        .expect("the fixture reads");
    manifests
        .to_topology(&MapOptions::new("us-west-2"))
        .expect("the fixture maps")
}

pub use check::{CLIENT_ROLE_PLACEHOLDER, CheckOptions};
pub use error::{ManifestError, Origin};
pub use gateway_api::{
    GATEWAY_API_GROUP, GATEWAY_API_VERSION, Gateway, GatewayListener, GatewaySpec, HttpBackendRef,
    HttpHeaderMatch, HttpPathMatch, HttpRoute, HttpRouteMatch, HttpRouteRule, HttpRouteSpec,
    LATTICE_GATEWAY_CLASS, ParentRef,
};
pub use join::JoinError;
pub use mapping::{Backend, ManifestTopology, MapOptions, ServiceNetwork, controller_service_name};
pub use meta::{
    DEFAULT_NAMESPACE, Located, Object, ObjectKey, ObjectMeta, PolicyTargetRef, Source,
};
pub use policies::{
    CONTROLLER_API_GROUP, CONTROLLER_API_VERSION, HealthCheck, IamAuthPolicy, IamAuthPolicySpec,
    TargetGroupPolicy, TargetGroupPolicySpec, VpcAssociationPolicy, VpcAssociationPolicySpec,
};
pub use workloads::{
    Container, ContainerPort, Deployment, DeploymentSpec, LabelSelector, PodSpec, PodTemplateMeta,
    PodTemplateSpec, Service, ServicePort, ServiceSpec, TargetPort,
};

use crate::template::Note;

/// Every document of a manifest set, typed, each with its [`Source`].
#[derive(Clone, Debug, Default)]
pub struct Manifests {
    /// `apps/v1` `Deployment`s.
    pub deployments: Vec<Located<Deployment>>,
    /// `v1` `Service`s.
    pub services: Vec<Located<Service>>,
    /// `Gateway`s.
    pub gateways: Vec<Located<Gateway>>,
    /// `HTTPRoute`s.
    pub http_routes: Vec<Located<HttpRoute>>,
    /// `IAMAuthPolicy`s.
    pub iam_auth_policies: Vec<Located<IamAuthPolicy>>,
    /// `TargetGroupPolicy`s.
    pub target_group_policies: Vec<Located<TargetGroupPolicy>>,
    /// `VpcAssociationPolicy`s.
    pub vpc_association_policies: Vec<Located<VpcAssociationPolicy>>,
    /// Documents of kinds lattice-local does not emulate, by name.
    pub notes: Vec<Note>,
}

impl Manifests {
    /// The Service `key`.
    pub fn service(&self, key: &ObjectKey) -> Option<&Located<Service>> {
        self.services.iter().find(|s| s.object.key() == *key)
    }

    /// The Gateway `key`.
    pub fn gateway(&self, key: &ObjectKey) -> Option<&Located<Gateway>> {
        self.gateways.iter().find(|g| g.object.key() == *key)
    }

    /// The HTTPRoute `key`.
    pub fn http_route(&self, key: &ObjectKey) -> Option<&Located<HttpRoute>> {
        self.http_routes.iter().find(|r| r.object.key() == *key)
    }
}
