//! Step 4: the rules of the request's listener pick a target group, or answer with a fixed
//! response.

use std::ops::ControlFlow;
use std::sync::Arc;

use bytes::Bytes;
use http::Response;
use http_body_util::{Either, Full};

use super::directory::Directory;
use super::exchange::{AccessNote, Admitted, Answer, Exchange, Routed};
use super::rejection::Rejection;
use super::router::{Destination, MatchInput};
use super::step::Step;

/// Routes by the listener's rules.
#[derive(Clone, Debug)]
pub(crate) struct RouteByRules {
    directory: Arc<Directory>,
}

impl RouteByRules {
    pub fn new(directory: Arc<Directory>) -> Self {
        RouteByRules { directory }
    }
}

impl Step for RouteByRules {
    type In = Admitted;
    type Out = Routed;

    fn apply(&self, exchange: Exchange<Admitted>) -> ControlFlow<Answer, Exchange<Routed>> {
        let service = &exchange.stage.service;
        let mut note = AccessNote::service(service);
        let route = exchange.stage.listener.router.route(&MatchInput {
            method: &exchange.parts.method,
            path: exchange.parts.uri.path(),
            headers: &exchange.parts.headers,
        });
        note.rule = Some(Arc::clone(route.rule_name));
        let group = match route.decision {
            Destination::Forward(group) => group,
            Destination::FixedResponse(status) => {
                note.target = Some(Arc::clone(&self.directory.fixed_response));
                let mut response = Response::new(Either::Left(Full::new(Bytes::new())));
                *response.status_mut() = status;
                return ControlFlow::Break(Answer { response, note });
            }
            Destination::NoTarget => {
                return ControlFlow::Break(Answer::rejected(Rejection::NoTarget, note));
            }
        };
        let Some(group) = self.directory.groups.get(group) else {
            let rejection = Rejection::TargetUnavailable {
                reason: format!("target group {group} is not in the template"),
            };
            return ControlFlow::Break(Answer::rejected(rejection, note));
        };
        let group = Arc::clone(group);
        let rule = Arc::clone(route.rule_name);
        let Admitted {
            service,
            listener,
            identity,
        } = exchange.stage;
        let stage = Routed {
            service,
            listener,
            identity,
            rule,
            group,
        };
        ControlFlow::Continue(Exchange {
            parts: exchange.parts,
            body: exchange.body,
            client: exchange.client,
            stage,
        })
    }
}
