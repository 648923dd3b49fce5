//! For random requests, `policy check` and the live data plane decide the same: each generated
//! request is sent (signed by a principal of the fixture's credentials, or unsigned) to the data
//! plane serving `fixtures/network-auth.yaml`, and described to `policy check` with the same
//! template and credentials; a 403 must be exactly a `deny`.

mod common;

use std::net::SocketAddr;
use std::path::PathBuf;

use common::{
    NETWORK_AUTH_CREDENTIALS, NETWORK_AUTH_TEMPLATE, network_auth_principals, network_auth_request,
    network_auth_stack, send,
};
use http::StatusCode;
use lattice_local::access_log::AccessLog;
use lattice_local::policy_check::{PolicyCheckArgs, check};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRng, TestRunner};

/// One request, as both sides get it.
#[derive(Debug, Clone)]
struct Case {
    service: &'static str,
    method: &'static str,
    path: &'static str,
    page: Option<&'static str>,
    /// Copies of `x-team`, in order.
    teams: Vec<&'static str>,
    /// Index into the fixture's principals (0 blue, 1 red); `None`: unsigned.
    principal: Option<usize>,
}

fn cases() -> impl Strategy<Value = Case> {
    (
        prop::sample::select(vec!["orders", "billing", "internal", "legacy"]),
        prop::sample::select(vec!["GET", "POST", "DELETE"]),
        prop::sample::select(vec![
            "/", "/orders", "/admin", "/admin/x", "/Admin", "/list",
        ]),
        prop::option::of(prop::sample::select(vec!["1", "2"])),
        prop::collection::vec(prop::sample::select(vec!["bleu", "équipe", "blue"]), 0..3),
        prop::option::of(0usize..2),
    )
        .prop_map(|(service, method, path, page, teams, principal)| Case {
            service,
            method,
            path,
            page,
            teams,
            principal,
        })
}

impl Case {
    fn path_and_query(&self) -> String {
        match self.page {
            Some(page) => format!("{}?page={page}", self.path),
            None => self.path.to_owned(),
        }
    }

    fn live_request(&self, addr: SocketAddr) -> http::Request<http_body_util::Full<bytes::Bytes>> {
        let teams: Vec<&[u8]> = self.teams.iter().map(|t| t.as_bytes()).collect();
        network_auth_request(
            addr,
            self.method,
            &self.path_and_query(),
            self.principal,
            &teams,
        )
    }

    fn policy_check_args(&self) -> PolicyCheckArgs {
        PolicyCheckArgs {
            template: Some(PathBuf::from(NETWORK_AUTH_TEMPLATE)),
            credentials: Some(PathBuf::from(NETWORK_AUTH_CREDENTIALS)),
            region: common::REGION.into(),
            service: self.service.into(),
            method: self.method.into(),
            path: self.path_and_query(),
            headers: self.teams.iter().map(|t| format!("x-team:{t}")).collect(),
            principal: self
                .principal
                .map(|index| network_auth_principals()[index].2.clone()),
            ..PolicyCheckArgs::default()
        }
    }
}

#[test]
fn policy_check_and_the_live_data_plane_decide_alike() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let stack = runtime.block_on(network_auth_stack(AccessLog::Off));
    // Modest, so CI stays fast; every case is one loopback request and one file read.
    let config = Config {
        cases: 64,
        failure_persistence: None,
        ..Config::default()
    };
    // A fixed seed: the same 64 requests every run, among which both outcomes occur (with a
    // random seed a run of only denials, about 3 % likely, would fail the check below).
    let rng = TestRng::deterministic_rng(config.rng_algorithm);
    let mut runner = TestRunner::new_with_rng(config, rng);
    // [denied, allowed] counts (the runner takes an `Fn`).
    let outcomes = [std::cell::Cell::new(0usize), std::cell::Cell::new(0usize)];
    runner
        .run(&cases(), |case| {
            let addr = stack
                .data_plane
                .endpoint(case.service)
                .expect("service")
                .addr;
            let reply = runtime.block_on(send(case.live_request(addr)));
            prop_assert!(
                reply.status == StatusCode::OK || reply.status == StatusCode::FORBIDDEN,
                "{case:?}: unexpected {} {}",
                reply.status,
                reply.text()
            );
            let checked = check(&case.policy_check_args())
                .map_err(|e| TestCaseError::fail(format!("{case:?}: {e}")))?;
            let allowed = checked.authorization.is_allowed();
            prop_assert_eq!(
                allowed,
                reply.status == StatusCode::OK,
                "{:?}: policy check says {}, the data plane answered {} {}",
                case,
                checked.authorization,
                reply.status,
                reply.text()
            );
            let count = &outcomes[usize::from(allowed)];
            count.set(count.get() + 1);
            Ok(())
        })
        .unwrap_or_else(|failure| panic!("{failure}"));
    // The generator reaches both outcomes, so agreement is not vacuous.
    let [denied, allowed] = outcomes.map(std::cell::Cell::into_inner);
    assert!(
        denied > 0 && allowed > 0,
        "denied {denied}, allowed {allowed}"
    );
}
