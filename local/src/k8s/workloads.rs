//! Core kinds: `apps/v1` `Deployment` and `v1` `Service`.
//!
//! How strict: the fields the checks and the mapping read are typed. Objects whose upstream
//! schema is small and stable (`ServiceSpec`, `ServicePort`, `DeploymentSpec`, `Container`,
//! `ContainerPort`, `LabelSelector`) list every upstream field and reject anything else, so a typo
//! such as `targetport` is an error rather than a silently defaulted port. The pod spec around
//! the containers (volumes, affinity, …) is large and belongs to the API server to validate; it is
//! read leniently and ignored. Fields that are accepted but unused are kept as
//! [`IgnoredAny`](serde::de::IgnoredAny).

use std::collections::BTreeMap;

use serde::Deserialize;
use serde::de::IgnoredAny;

use super::meta::Object;

/// An `apps/v1` `Deployment`.
pub type Deployment = Object<DeploymentSpec>;

/// A `v1` `Service`.
pub type Service = Object<ServiceSpec>;

/// `Deployment.spec` (every upstream field is known).
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct DeploymentSpec {
    /// `replicas`.
    #[serde(default)]
    pub replicas: Option<u32>,
    /// `selector`.
    pub selector: LabelSelector,
    /// `template`: the pods.
    pub template: PodTemplateSpec,
    #[serde(default, rename = "minReadySeconds")]
    _min_ready_seconds: Option<IgnoredAny>,
    #[serde(default, rename = "paused")]
    _paused: Option<IgnoredAny>,
    #[serde(default, rename = "progressDeadlineSeconds")]
    _progress_deadline_seconds: Option<IgnoredAny>,
    #[serde(default, rename = "revisionHistoryLimit")]
    _revision_history_limit: Option<IgnoredAny>,
    #[serde(default, rename = "strategy")]
    _strategy: Option<IgnoredAny>,
}

/// A label selector.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct LabelSelector {
    /// `matchLabels`.
    #[serde(default)]
    pub match_labels: BTreeMap<String, String>,
    #[serde(default, rename = "matchExpressions")]
    _match_expressions: Option<IgnoredAny>,
}

/// `Deployment.spec.template`.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PodTemplateSpec {
    /// The pods' labels (what Services select).
    #[serde(default)]
    pub metadata: PodTemplateMeta,
    /// The pod spec.
    pub spec: PodSpec,
}

/// `Deployment.spec.template.metadata`.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PodTemplateMeta {
    /// Labels.
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    /// Annotations.
    #[serde(default)]
    pub annotations: BTreeMap<String, String>,
}

/// A pod spec: only the containers are read; the rest is the API server's to validate.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PodSpec {
    /// `containers`.
    pub containers: Vec<Container>,
}

/// A container (every upstream field is known).
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Container {
    /// `name`.
    pub name: String,
    /// `image`.
    #[serde(default)]
    pub image: Option<String>,
    /// `command`.
    #[serde(default)]
    pub command: Vec<String>,
    /// `args`.
    #[serde(default)]
    pub args: Vec<String>,
    /// `ports`.
    #[serde(default)]
    pub ports: Vec<ContainerPort>,
    #[serde(default, rename = "env")]
    _env: Option<IgnoredAny>,
    #[serde(default, rename = "envFrom")]
    _env_from: Option<IgnoredAny>,
    #[serde(default, rename = "imagePullPolicy")]
    _image_pull_policy: Option<IgnoredAny>,
    #[serde(default, rename = "lifecycle")]
    _lifecycle: Option<IgnoredAny>,
    #[serde(default, rename = "livenessProbe")]
    _liveness_probe: Option<IgnoredAny>,
    #[serde(default, rename = "readinessProbe")]
    _readiness_probe: Option<IgnoredAny>,
    #[serde(default, rename = "startupProbe")]
    _startup_probe: Option<IgnoredAny>,
    #[serde(default, rename = "resizePolicy")]
    _resize_policy: Option<IgnoredAny>,
    #[serde(default, rename = "resources")]
    _resources: Option<IgnoredAny>,
    #[serde(default, rename = "restartPolicy")]
    _restart_policy: Option<IgnoredAny>,
    #[serde(default, rename = "securityContext")]
    _security_context: Option<IgnoredAny>,
    #[serde(default, rename = "stdin")]
    _stdin: Option<IgnoredAny>,
    #[serde(default, rename = "stdinOnce")]
    _stdin_once: Option<IgnoredAny>,
    #[serde(default, rename = "terminationMessagePath")]
    _termination_message_path: Option<IgnoredAny>,
    #[serde(default, rename = "terminationMessagePolicy")]
    _termination_message_policy: Option<IgnoredAny>,
    #[serde(default, rename = "tty")]
    _tty: Option<IgnoredAny>,
    #[serde(default, rename = "volumeDevices")]
    _volume_devices: Option<IgnoredAny>,
    #[serde(default, rename = "volumeMounts")]
    _volume_mounts: Option<IgnoredAny>,
    #[serde(default, rename = "workingDir")]
    _working_dir: Option<IgnoredAny>,
}

/// A container port.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ContainerPort {
    /// `containerPort`.
    pub container_port: u16,
    /// `name` (what a Service's named `targetPort` refers to).
    #[serde(default)]
    pub name: Option<String>,
    /// `protocol` (TCP by default).
    #[serde(default)]
    pub protocol: Option<String>,
    #[serde(default, rename = "hostIP")]
    _host_ip: Option<IgnoredAny>,
    #[serde(default, rename = "hostPort")]
    _host_port: Option<IgnoredAny>,
}

/// `Service.spec` (every upstream field is known).
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ServiceSpec {
    /// `selector`: the pods' labels.
    #[serde(default)]
    pub selector: BTreeMap<String, String>,
    /// `ports`.
    #[serde(default)]
    pub ports: Vec<ServicePort>,
    /// `type` (`ClusterIP` by default).
    #[serde(default, rename = "type")]
    pub service_type: Option<String>,
    #[serde(default, rename = "allocateLoadBalancerNodePorts")]
    _allocate_load_balancer_node_ports: Option<IgnoredAny>,
    #[serde(default, rename = "clusterIP")]
    _cluster_ip: Option<IgnoredAny>,
    #[serde(default, rename = "clusterIPs")]
    _cluster_ips: Option<IgnoredAny>,
    #[serde(default, rename = "externalIPs")]
    _external_ips: Option<IgnoredAny>,
    #[serde(default, rename = "externalName")]
    _external_name: Option<IgnoredAny>,
    #[serde(default, rename = "externalTrafficPolicy")]
    _external_traffic_policy: Option<IgnoredAny>,
    #[serde(default, rename = "healthCheckNodePort")]
    _health_check_node_port: Option<IgnoredAny>,
    #[serde(default, rename = "internalTrafficPolicy")]
    _internal_traffic_policy: Option<IgnoredAny>,
    #[serde(default, rename = "ipFamilies")]
    _ip_families: Option<IgnoredAny>,
    #[serde(default, rename = "ipFamilyPolicy")]
    _ip_family_policy: Option<IgnoredAny>,
    #[serde(default, rename = "loadBalancerClass")]
    _load_balancer_class: Option<IgnoredAny>,
    #[serde(default, rename = "loadBalancerIP")]
    _load_balancer_ip: Option<IgnoredAny>,
    #[serde(default, rename = "loadBalancerSourceRanges")]
    _load_balancer_source_ranges: Option<IgnoredAny>,
    #[serde(default, rename = "publishNotReadyAddresses")]
    _publish_not_ready_addresses: Option<IgnoredAny>,
    #[serde(default, rename = "sessionAffinity")]
    _session_affinity: Option<IgnoredAny>,
    #[serde(default, rename = "sessionAffinityConfig")]
    _session_affinity_config: Option<IgnoredAny>,
    #[serde(default, rename = "trafficDistribution")]
    _traffic_distribution: Option<IgnoredAny>,
}

/// A Service port.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ServicePort {
    /// `port`: what `backendRef.port` names.
    pub port: u16,
    /// `name`.
    #[serde(default)]
    pub name: Option<String>,
    /// `protocol` (TCP by default).
    #[serde(default)]
    pub protocol: Option<String>,
    /// `targetPort`: the pods' port; `port` when absent.
    #[serde(default)]
    pub target_port: Option<TargetPort>,
    #[serde(default, rename = "appProtocol")]
    _app_protocol: Option<IgnoredAny>,
    #[serde(default, rename = "nodePort")]
    _node_port: Option<IgnoredAny>,
}

impl ServicePort {
    /// The pods' port when it is given as a number (or defaulted from `port`).
    pub fn numeric_target_port(&self) -> Option<u16> {
        match &self.target_port {
            None => Some(self.port),
            Some(TargetPort::Number(port)) => Some(*port),
            Some(TargetPort::Name(_)) => None,
        }
    }
}

/// `targetPort`: a number or the name of a container port.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum TargetPort {
    /// A port number.
    Number(u16),
    /// A container port's name.
    Name(String),
}

impl Service {
    /// The port `backendRef.port` names, if the Service has it.
    pub fn port(&self, port: u16) -> Option<&ServicePort> {
        self.spec.ports.iter().find(|p| p.port == port)
    }
}

impl Deployment {
    /// Whether this Deployment's pods carry every label of `selector` (an empty selector selects
    /// nothing: a Service without one has no endpoints of its own).
    pub fn pods_match(&self, selector: &BTreeMap<String, String>) -> bool {
        !selector.is_empty()
            && selector
                .iter()
                .all(|(k, v)| self.spec.template.metadata.labels.get(k) == Some(v))
    }
}
