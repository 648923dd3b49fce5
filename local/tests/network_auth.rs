//! Authorization through the live data plane as Lattice combines it: the service network's
//! policy and the service's (a network Deny beats a service Allow; an `AWS_IAM` network without a
//! policy denies), principal tags, resource tags and source IPs both ways, repeated and
//! non-ASCII headers, and the deciding statement in the access log.

mod common;

use std::net::SocketAddr;

use common::{network_auth_request, network_auth_stack, send};
use http::{HeaderValue, StatusCode};
use lattice_local::access_log::AccessLog;
use lattice_local::up::Stack;

struct Plane {
    stack: Stack,
    log: AccessLog,
}

impl Plane {
    async fn start() -> Self {
        let log = AccessLog::memory();
        Plane {
            stack: network_auth_stack(log.clone()).await,
            log,
        }
    }

    fn addr(&self, service: &str) -> SocketAddr {
        self.stack
            .data_plane
            .endpoint(service)
            .expect("service")
            .addr
    }

    /// `GET path` to `service`, signed by `who` (see [`network_auth_request`]).
    async fn get(&self, service: &str, path: &str, who: Option<usize>) -> common::Reply {
        send(network_auth_request(
            self.addr(service),
            "GET",
            path,
            who,
            &[],
        ))
        .await
    }

    /// The `auth=` of the last access-log record.
    fn last_decision(&self) -> String {
        let record = self.log.records().last().cloned().expect("a record");
        record.auth.as_deref().unwrap_or("-").to_owned()
    }
}

const BLUE: Option<usize> = Some(0);
const RED: Option<usize> = Some(1);

#[tokio::test]
async fn a_network_deny_beats_a_service_allow() {
    let plane = Plane::start().await;
    let allowed = plane.get("orders", "/orders", BLUE).await;
    assert_eq!(allowed.status, StatusCode::OK, "{}", allowed.text());
    assert_eq!(plane.last_decision(), "service:BlueTeamFromLoopback");

    let denied = plane.get("orders", "/admin/users", BLUE).await;
    assert_eq!(denied.status, StatusCode::FORBIDDEN);
    assert!(
        denied.text().contains("network policy, statement NoAdmin"),
        "{}",
        denied.text()
    );
    assert_eq!(plane.last_decision(), "network:NoAdmin");
}

#[tokio::test]
async fn an_iam_network_without_a_policy_denies_every_request() {
    let plane = Plane::start().await;
    for who in [None, BLUE] {
        let reply = plane.get("legacy", "/", who).await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "{who:?}");
        assert!(reply.text().contains("no auth policy"), "{}", reply.text());
        assert_eq!(plane.last_decision(), "network:no-policy");
    }
}

#[tokio::test]
async fn principal_tags_allow_blue_and_deny_red() {
    let plane = Plane::start().await;
    assert_eq!(
        plane.get("orders", "/orders", BLUE).await.status,
        StatusCode::OK
    );
    let red = plane.get("orders", "/orders", RED).await;
    assert_eq!(red.status, StatusCode::FORBIDDEN);
    assert!(
        red.text()
            .contains("User: arn:aws:sts::000000000000:assumed-role/app/red")
    );
    assert_eq!(plane.last_decision(), "service:no-statement-allowed");
}

#[tokio::test]
async fn resource_tags_let_gamma_services_through_the_network_and_stop_prod_ones() {
    let plane = Plane::start().await;
    // billing is NONE itself, but tagged prod: the network's policy has nothing for it.
    let billing = plane.get("billing", "/", BLUE).await;
    assert_eq!(billing.status, StatusCode::FORBIDDEN);
    assert_eq!(plane.last_decision(), "network:no-statement-allowed");
    // orders is gamma: the network lets it through, the service decides.
    assert_eq!(plane.get("orders", "/", BLUE).await.status, StatusCode::OK);
}

#[tokio::test]
async fn source_ip_conditions_both_ways() {
    let plane = Plane::start().await;
    // orders wants 127.0.0.0/8 (the client here), internal wants 10.0.0.0/8.
    assert_eq!(plane.get("orders", "/", BLUE).await.status, StatusCode::OK);
    let internal = plane.get("internal", "/", BLUE).await;
    assert_eq!(internal.status, StatusCode::FORBIDDEN);
    assert_eq!(plane.last_decision(), "service:no-statement-allowed");
    // A client cannot claim another address.
    let mut spoofed = network_auth_request(plane.addr("internal"), "GET", "/", BLUE, &[]);
    spoofed
        .headers_mut()
        .insert("x-forwarded-for", HeaderValue::from_static("10.0.0.1"));
    assert_eq!(send(spoofed).await.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn repeated_headers_are_judged_joined_and_non_ascii_values_compared() {
    let plane = Plane::start().await;
    let orders = plane.addr("orders");
    let both: &[&[u8]] = &[b"bleu", "équipe".as_bytes()];
    let reply = send(network_auth_request(
        orders,
        "GET",
        "/list?page=2",
        None,
        both,
    ))
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    assert_eq!(plane.last_decision(), "service:TeamHeaderSecondPage");
    // The target sees the same joined value the policy judged.
    let report = reply.json();
    assert_eq!(report["headers"]["x-team"][0], "bleu");
    assert_eq!(report["headers"]["x-team"][1], "équipe");
    // One copy alone, or the copies in another order, is another value.
    for headers in [
        &[b"bleu".as_slice()][..],
        &["équipe".as_bytes(), b"bleu"][..],
        &[b"bleu".as_slice(), b"equipe"][..],
    ] {
        let reply = send(network_auth_request(
            orders,
            "GET",
            "/list?page=2",
            None,
            headers,
        ))
        .await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "{headers:?}");
    }
}

#[tokio::test]
async fn a_client_copy_of_the_identity_tags_header_never_reaches_the_target() {
    let plane = Plane::start().await;
    let mut request = network_auth_request(plane.addr("orders"), "GET", "/", BLUE, &[]);
    request.headers_mut().append(
        "x-amzn-lattice-identity-tags",
        HeaderValue::from_static("principal=arn:aws:iam::999999999999:root;team=admins"),
    );
    let reply = send(request).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    let text = reply.json()["headers"].to_string();
    assert!(!text.contains("999999999999"), "{text}");
    assert!(!text.contains("admins"), "{text}");
}
