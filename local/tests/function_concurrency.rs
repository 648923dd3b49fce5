//! `--max-concurrency NAME=N`: one function process runs several invocations at once, as on
//! Lambda Managed Instances (`AWS_LAMBDA_MAX_CONCURRENCY`, served with `run_concurrent`); without
//! it a process runs one at a time. Overlap is observed by the function itself (how many of its
//! invocations were running when each started), never by timing.

mod common;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;

use common::{REGION, get, raw_event_target_binary, send};
use http::StatusCode;
use lattice_local::auth::CredentialStore;
use lattice_local::dataplane::DataPlaneOptions;
use lattice_local::functions::DiscardLogSink;
use lattice_local::template::{LoadOptions, Topology};
use lattice_local::up::{Stack, StackOptions, UpError};
use serde_json::Value;

const TEMPLATE: &str = r#"
Resources:
  Worker:
    Type: AWS::Serverless::Function
    Metadata: { BuildMethod: rust-cargolambda, BuildProperties: { Binary: raw-event-target } }
    Properties: { FunctionName: worker, Timeout: 10 }
  Api:
    Type: AWS::VpcLattice::Service
    Properties: { Name: api }
  Workers:
    Type: AWS::VpcLattice::TargetGroup
    Properties:
      Type: LAMBDA
      Config: { LambdaEventStructureVersion: V2 }
      Targets: [ { Id: !GetAtt Worker.Arn } ]
  Listener:
    Type: AWS::VpcLattice::Listener
    Properties:
      ServiceIdentifier: !Ref Api
      Protocol: HTTPS
      DefaultAction: { Forward: { TargetGroups: [ { TargetGroupIdentifier: !Ref Workers } ] } }
"#;

async fn start(max_instances: usize, concurrency: &[(&str, usize)]) -> Result<Stack, UpError> {
    let raw = raw_event_target_binary();
    let topology = Topology::from_yaml(TEMPLATE, &LoadOptions::new(REGION)).expect("template");
    let store = Arc::new(CredentialStore::from_entries(Vec::new()).unwrap());
    let mut options = StackOptions::new(DataPlaneOptions::new(REGION, store));
    options.max_instances = max_instances;
    options.max_concurrency = concurrency
        .iter()
        .map(|(name, n)| ((*name).to_owned(), *n))
        .collect::<BTreeMap<_, _>>();
    options.log_sink = Arc::new(DiscardLogSink);
    Stack::start(&topology, options, move |_| raw.clone()).await
}

/// Sends `count` requests at once; each answer's `(pid, in_flight)`.
async fn concurrently(addr: SocketAddr, count: usize) -> Vec<(u64, u64)> {
    let requests: Vec<_> = (0..count)
        .map(|_| tokio::spawn(send(get(addr, "api", "/concurrent"))))
        .collect();
    let mut reports = Vec::new();
    for request in requests {
        let reply = request.await.expect("request task");
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
        let report: Value = reply.json();
        reports.push((
            report["pid"].as_u64().expect("pid"),
            report["in_flight"].as_u64().expect("in_flight"),
        ));
    }
    reports
}

#[tokio::test]
async fn sixteen_invocations_overlap_in_one_process_when_asked() {
    // Four instances may exist, but one process with room takes every invocation.
    let stack = start(4, &[("worker", 16)]).await.expect("stack");
    let addr = stack.data_plane.endpoint("api").unwrap().addr;
    let reports = concurrently(addr, 16).await;
    let pids: std::collections::BTreeSet<u64> = reports.iter().map(|(pid, _)| *pid).collect();
    assert_eq!(pids.len(), 1, "one process: {reports:?}");
    let most = reports.iter().map(|(_, n)| *n).max().unwrap_or(0);
    assert!(
        most >= 2,
        "invocations overlapped in the process: {reports:?}"
    );
    let pool = stack.pool("Worker").expect("pool");
    assert_eq!(pool.instances().len(), 1, "{:?}", pool.instances());
    assert_eq!(pool.config().max_concurrency, Some(16));
    stack.shutdown().await;
}

#[tokio::test]
async fn without_it_a_process_runs_one_invocation_at_a_time() {
    let stack = start(1, &[]).await.expect("stack");
    let addr = stack.data_plane.endpoint("api").unwrap().addr;
    let reports = concurrently(addr, 3).await;
    assert!(
        reports.iter().all(|(_, in_flight)| *in_flight == 1),
        "{reports:?}"
    );
    stack.shutdown().await;
}

#[tokio::test]
async fn an_unknown_function_or_a_concurrency_out_of_range_is_refused_by_name() {
    let unknown = start(1, &[("nope", 4)])
        .await
        .expect_err("unknown function");
    assert!(
        matches!(&unknown, UpError::UnknownFunction(name) if name == "nope"),
        "{unknown}"
    );
    let zero = start(1, &[("Worker", 0)]).await.expect_err("zero");
    assert!(zero.to_string().contains("max concurrency 0"), "{zero}");
}
