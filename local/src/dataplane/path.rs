//! Step 2: one canonical path for everything: a request whose path is not canonical
//! ([`check_canonical_path`]) is refused (`400`) before anything reads it.

use std::ops::ControlFlow;

use super::canonical::check_canonical_path;
use super::exchange::{AccessNote, Answer, Exchange, Resolved};
use super::rejection::Rejection;
use super::step::Step;

/// Refuses non-canonical paths before anything reads them.
#[derive(Clone, Copy, Debug)]
pub(crate) struct CanonicalPath;

impl Step for CanonicalPath {
    type In = Resolved;
    type Out = Resolved;

    fn apply(&self, exchange: Exchange<Resolved>) -> ControlFlow<Answer, Exchange<Resolved>> {
        match check_canonical_path(exchange.parts.uri.path()) {
            Ok(()) => ControlFlow::Continue(exchange),
            Err(problem) => {
                let rejection = Rejection::NonCanonicalPath {
                    path: exchange.parts.uri.path().to_owned(),
                    problem,
                };
                let note = AccessNote::service(&exchange.stage.service);
                ControlFlow::Break(Answer::rejected(rejection, note))
            }
        }
    }
}
