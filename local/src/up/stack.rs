//! [`Stack`]: a topology running on this machine: the data plane with a target for every
//! target group, and a [`FunctionPool`] for every function of the template.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use super::error::UpError;
use super::service_urls::rewrite_service_urls;
use crate::auth::LocalPrincipal;
use crate::dataplane::{BoundDataPlane, DataPlane, DataPlaneOptions};
use crate::functions::{FunctionConfig, FunctionPool, LogSink, TracingLogSink};
use crate::targets::{HttpTargetGroup, LambdaTarget, Target, target_urls};
use crate::template::{TargetKind, Topology};
use crate::tls::write_trust_bundle;

/// The variable `lattice_lambda::client` (and so `eks-client`) reads an extra CA bundle from.
pub const CA_BUNDLE_ENV: &str = "LATTICE_CA_BUNDLE";

/// The variable OpenSSL, rustls-native-certs (reqwest, the AWS SDKs) read their roots from.
pub const SSL_CERT_FILE_ENV: &str = "SSL_CERT_FILE";

/// How to run a topology's functions and targets.
#[derive(Clone)]
pub struct StackOptions {
    /// Data-plane options (ports, region, credentials, access log, limits).
    pub data_plane: DataPlaneOptions,
    /// `URL[,URL…]` per HTTP target group (logical id or name): its targets, replacing the
    /// template's.
    pub upstreams: BTreeMap<String, String>,
    /// Most concurrent instances per function.
    pub max_instances: usize,
    /// Invocations one instance of a function (logical id or name) runs at once
    /// (`--max-concurrency NAME=N`, `AWS_LAMBDA_MAX_CONCURRENCY`).
    pub max_concurrency: BTreeMap<String, usize>,
    /// Credentials given to every function (its "execution role"), if any.
    pub function_principal: Option<LocalPrincipal>,
    /// Extra environment per function (logical id), applied last.
    pub extra_env: BTreeMap<String, Vec<(String, String)>>,
    /// Where function output goes.
    pub log_sink: Arc<dyn LogSink>,
}

impl std::fmt::Debug for StackOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StackOptions")
            .field("data_plane", &self.data_plane)
            .field("upstreams", &self.upstreams)
            .field("max_instances", &self.max_instances)
            .field("max_concurrency", &self.max_concurrency)
            .finish_non_exhaustive()
    }
}

impl StackOptions {
    /// Defaults: 4 instances per function, function output to `tracing`.
    pub fn new(data_plane: DataPlaneOptions) -> Self {
        StackOptions {
            data_plane,
            upstreams: BTreeMap::new(),
            max_instances: 4,
            max_concurrency: BTreeMap::new(),
            function_principal: None,
            extra_env: BTreeMap::new(),
            log_sink: Arc::new(TracingLogSink),
        }
    }
}

/// A running topology: the data plane and the function pools.
#[derive(Debug)]
pub struct Stack {
    /// The data plane.
    pub data_plane: DataPlane,
    /// Function pools by logical id.
    pub pools: BTreeMap<String, FunctionPool>,
}

impl Stack {
    /// Binds the ports, configures every function (service URLs in their environment point at
    /// the local endpoints; with a CA, `LATTICE_CA_BUNDLE` names it and `SSL_CERT_FILE` a bundle
    /// of the system's roots and it) and starts serving. `binary` maps a binary name to its
    /// path.
    pub async fn start(
        topology: &Topology,
        options: StackOptions,
        binary: impl Fn(&str) -> PathBuf,
    ) -> Result<Self, UpError> {
        let bound = BoundDataPlane::bind(topology, &options.data_plane).await?;
        for named in options.max_concurrency.keys() {
            let known = topology
                .functions
                .values()
                .any(|f| &f.logical_id == named || &f.name == named);
            if !known {
                return Err(UpError::UnknownFunction(named.clone()));
            }
        }
        let trust = match &options.data_plane.tls {
            Some(authority) => vec![
                (CA_BUNDLE_ENV, authority.ca_file().display().to_string()),
                (
                    SSL_CERT_FILE_ENV,
                    write_trust_bundle(authority)?.display().to_string(),
                ),
            ],
            None => Vec::new(),
        };
        let mut pools = BTreeMap::new();
        for function in topology.functions.values() {
            let path = binary(&function.binary);
            if !path.is_file() {
                return Err(UpError::MissingBinary {
                    function: function.logical_id.clone(),
                    path,
                });
            }
            let mut config = FunctionConfig::new(function.name.clone(), path)
                .with_timeout(function.timeout)
                .with_memory_mb(function.memory_mb)
                .with_region(options.data_plane.region.clone())
                .with_max_instances(options.max_instances);
            let concurrency = options
                .max_concurrency
                .get(&function.logical_id)
                .or_else(|| options.max_concurrency.get(&function.name));
            if let Some(&n) = concurrency {
                config = config.with_max_concurrency(n);
            }
            for (name, value) in &function.env {
                config =
                    config.with_env(name.clone(), rewrite_service_urls(value, bound.endpoints()));
            }
            // After the template's: a CA path written for AWS means nothing here.
            for (name, value) in &trust {
                config = config.with_env(*name, value.clone());
            }
            if let Some(principal) = &options.function_principal {
                config = config
                    .with_env("AWS_ACCESS_KEY_ID", principal.access_key_id.clone())
                    .with_env("AWS_SECRET_ACCESS_KEY", principal.secret_access_key.clone());
                if let Some(token) = &principal.session_token {
                    config = config.with_env("AWS_SESSION_TOKEN", token.clone());
                }
            }
            for (name, value) in options
                .extra_env
                .get(&function.logical_id)
                .into_iter()
                .flatten()
            {
                config =
                    config.with_env(name.clone(), rewrite_service_urls(value, bound.endpoints()));
            }
            let pool = FunctionPool::with_log_sink(config, Arc::clone(&options.log_sink)).map_err(
                |source| UpError::Function {
                    function: function.logical_id.clone(),
                    source,
                },
            )?;
            pools.insert(function.logical_id.clone(), pool);
        }

        for group in options.upstreams.keys() {
            let known = topology
                .target_group(group)
                .is_some_and(|g| matches!(g.kind, TargetKind::Http { .. }));
            if !known {
                return Err(UpError::UnknownUpstream(group.clone()));
            }
        }
        let mut targets = BTreeMap::new();
        for group in topology.target_groups.values() {
            let target = match &group.kind {
                TargetKind::Lambda {
                    event_version,
                    function: Some(function),
                    ..
                } => match pools.get(function) {
                    Some(pool) => Target::Lambda(LambdaTarget::new(pool.clone(), *event_version)),
                    None => Target::Unavailable(format!("function {function} is not run locally")),
                },
                TargetKind::Lambda { target_id, .. } => Target::Unavailable(format!(
                    "LAMBDA target {target_id:?} is not a function of the template"
                )),
                TargetKind::Http {
                    protocol_version,
                    port,
                    health_check,
                    ..
                } => {
                    let upstream = options
                        .upstreams
                        .get(&group.logical_id)
                        .or_else(|| options.upstreams.get(&group.name));
                    match target_urls(group, upstream.map(String::as_str)) {
                        Ok(urls) => {
                            let targets = HttpTargetGroup::new(
                                group.logical_id.clone(),
                                &urls,
                                *protocol_version,
                                health_check.clone(),
                                *port,
                            )
                            .map_err(|source| UpError::Upstream {
                                group: group.logical_id.clone(),
                                source,
                            })?;
                            Target::Http(Arc::new(targets))
                        }
                        Err(none) => Target::Unavailable(none.to_string()),
                    }
                }
            };
            targets.insert(group.logical_id.clone(), target);
        }
        let data_plane = bound.serve(topology, targets, options.data_plane)?;
        Ok(Stack { data_plane, pools })
    }

    /// The pool of a function (logical id or name).
    pub fn pool(&self, function: &str) -> Option<&FunctionPool> {
        self.pools
            .get(function)
            .or_else(|| self.pools.values().find(|p| p.name() == function))
    }

    /// Stops accepting requests (closing every connection) and hands back the pools, which
    /// keep running until shut down.
    pub fn stop_serving(self) -> BTreeMap<String, FunctionPool> {
        drop(self.data_plane);
        self.pools
    }

    /// Stops serving, then every function process.
    pub async fn shutdown(self) {
        for pool in self.pools.values() {
            pool.shutdown().await;
        }
    }
}
