//! Step 4: the listener's rules pick a target group, or answer with a fixed response.

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
        let Admitted {
            service,
            listener,
            identity,
            auth,
        } = &exchange.stage;
        // A request answered here (fixed response, no target) is logged with its caller and
        // the statement that let it through too.
        let note = |rule: Option<&Arc<str>>| AccessNote {
            rule: rule.cloned(),
            caller: self.directory.recording.then(|| identity.clone()),
            auth: auth.clone(),
            ..AccessNote::service(service)
        };
        let route = listener.router.route(&MatchInput {
            method: &exchange.parts.method,
            path: exchange.parts.uri.path(),
            headers: &exchange.parts.headers,
        });
        let group = match route.decision {
            Destination::Forward(group) => group,
            Destination::FixedResponse(status) => {
                let note = AccessNote {
                    target: Some(Arc::clone(&self.directory.fixed_response)),
                    ..note(Some(route.rule_name))
                };
                let mut response = Response::new(Either::Left(Full::new(Bytes::new())));
                *response.status_mut() = status;
                return ControlFlow::Break(Answer { response, note });
            }
            Destination::NoTarget => {
                let note = note(Some(route.rule_name));
                return ControlFlow::Break(Answer::rejected(Rejection::NoTarget, note));
            }
        };
        let Some(group) = self.directory.groups.get(group) else {
            let rejection = Rejection::TargetUnavailable {
                reason: format!("target group {group} is not in the template"),
            };
            return ControlFlow::Break(Answer::rejected(rejection, note(Some(route.rule_name))));
        };
        let group = Arc::clone(group);
        let rule = Arc::clone(route.rule_name);
        let Admitted {
            service,
            listener,
            identity,
            auth,
        } = exchange.stage;
        let stage = Routed {
            service,
            listener,
            identity,
            auth,
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
