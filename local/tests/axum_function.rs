//! The workspace's axum example function (`examples/axum-function`: path parameters, a query,
//! a JSON body, the caller and context extractors) as a Lattice target under lattice-local,
//! with V1 and V2 events, several invocations in flight in its process (`run_concurrent`).

mod common;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use common::{REGION, Signer, axum_function_binary, get, local_principal, send};
use http::{Request, StatusCode};
use http_body_util::Full;
use lattice_local::auth::{CredentialStore, LocalPrincipal};
use lattice_local::dataplane::DataPlaneOptions;
use lattice_local::functions::DiscardLogSink;
use lattice_local::template::{LoadOptions, Topology};
use lattice_local::up::{Stack, StackOptions};

const KEY: &str = "AKIALOCALSHOPPER0001";
const SECRET: &str = "local/Shopper+Secret/Key0000000000000000";
const PRINCIPAL: &str = "arn:aws:sts::000000000000:assumed-role/shopper/s-1";
const SOURCE_VPC: &str = "arn:aws:ec2:us-west-2:000000000000:vpc/vpc-0shopper";

async fn start() -> (Stack, Topology) {
    let binary = axum_function_binary();
    let topology = Topology::from_yaml(
        &common::v1_and_v2_services("axum-function", Some("items"), "shop"),
        &LoadOptions::new(REGION),
    )
    .expect("template");
    let store = CredentialStore::from_entries(vec![LocalPrincipal {
        session_name: Some("s-1".into()),
        source_vpc_arn: Some(SOURCE_VPC.into()),
        ..local_principal(KEY, SECRET, PRINCIPAL)
    }])
    .expect("store");
    let mut options = StackOptions::new(DataPlaneOptions::new(REGION, Arc::new(store)));
    options.max_instances = 1;
    options.max_concurrency = BTreeMap::from([("items".to_owned(), 4)]);
    options.log_sink = Arc::new(DiscardLogSink);
    let stack = Stack::start(&topology, options, move |_| binary.clone())
        .await
        .expect("stack");
    (stack, topology)
}

fn post_item(addr: SocketAddr, signed: bool) -> Request<Full<Bytes>> {
    let mut request = Request::post(format!("http://{addr}/items"))
        .header("host", addr.to_string())
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from_static(
            br#"{"name":"lamp","quantity":2}"#,
        )))
        .expect("request");
    if signed {
        Signer::lattice(KEY, SECRET, REGION).sign(&mut request);
    }
    request
}

#[tokio::test]
async fn the_axum_example_serves_v1_and_v2_events_through_lattice_local() {
    let (stack, topology) = start().await;
    for (service, group) in [("shop-v1", "GroupV1"), ("shop-v2", "GroupV2")] {
        let addr = stack.data_plane.endpoint(service).unwrap().addr;
        // Path parameter, query, no caller.
        let reply = send(get(addr, &addr.to_string(), "/items/7?verbose=true")).await;
        assert_eq!(reply.status, StatusCode::OK, "{service}: {}", reply.text());
        let item = reply.json();
        assert_eq!(item["id"], 7, "{service}: {item}");
        assert_eq!(item["caller"], serde_json::Value::Null, "{service}: {item}");
        assert_eq!(
            item["description"], "item 7, as stored",
            "{service}: {item}"
        );

        // A JSON body that needs a caller: refused without one, served with a signature.
        let reply = send(post_item(addr, false)).await;
        assert_eq!(
            reply.status,
            StatusCode::UNAUTHORIZED,
            "{service}: {}",
            reply.text()
        );
        let reply = send(post_item(addr, true)).await;
        assert_eq!(
            reply.status,
            StatusCode::CREATED,
            "{service}: {}",
            reply.text()
        );
        let created = reply.json();
        assert_eq!(created["name"], "lamp", "{service}: {created}");
        assert_eq!(created["quantity"], 2, "{service}: {created}");
        assert_eq!(created["createdBy"], PRINCIPAL, "{service}: {created}");
        assert_eq!(
            created["createdFromVpc"], SOURCE_VPC,
            "{service}: {created}"
        );

        // The context extractor sees the ARNs lattice-local gave the request.
        let reply = send(get(addr, &addr.to_string(), "/context")).await;
        assert_eq!(reply.status, StatusCode::OK, "{service}: {}", reply.text());
        let context = reply.json();
        let service_arn = &topology.service(service).unwrap().arn;
        let group_arn = &topology.target_group(group).unwrap().arn;
        assert_eq!(
            context["serviceArn"],
            service_arn.as_str(),
            "{service}: {context}"
        );
        assert_eq!(
            context["targetGroupArn"],
            group_arn.as_str(),
            "{service}: {context}"
        );
        if service == "shop-v2" {
            // V1 events carry no region; V2's requestContext does.
            assert_eq!(context["region"], REGION, "{context}");
        }
    }
    stack.shutdown().await;
}
