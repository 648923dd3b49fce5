//! Listener rules as the template declares them: match conditions and actions. The data
//! plane's [`Router`](crate::dataplane::router::Router) applies them.

use http::{HeaderName, Method, StatusCode};

/// How a path is compared.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PathMatchKind {
    /// The whole path equals the value.
    Exact,
    /// The path starts with the value.
    Prefix,
}

/// A rule's path condition.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PathMatch {
    /// Exact or prefix.
    pub kind: PathMatchKind,
    /// The path (or prefix) to compare with.
    pub value: String,
    /// Whether letter case must agree (CloudFormation's default is `false`).
    pub case_sensitive: bool,
}

/// How a header value is compared.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HeaderMatchKind {
    /// The value equals.
    Exact,
    /// The value starts with.
    Prefix,
    /// The value contains.
    Contains,
}

/// A rule's header condition; any value of the header may satisfy it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HeaderMatch {
    /// The header (names are case-insensitive in HTTP).
    pub name: HeaderName,
    /// Exact, prefix or contains.
    pub kind: HeaderMatchKind,
    /// The value to compare with.
    pub value: String,
    /// Whether letter case must agree.
    pub case_sensitive: bool,
}

/// Everything a rule's `HttpMatch` requires; all present conditions must hold.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HttpMatch {
    /// The method, if restricted.
    pub method: Option<Method>,
    /// The path condition, if any.
    pub path: Option<PathMatch>,
    /// Header conditions (all must hold).
    pub headers: Vec<HeaderMatch>,
}

/// One target group of a forward action and its relative weight.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WeightedTarget {
    /// The target group's logical id in the template.
    pub target_group: String,
    /// Relative weight (0 receives nothing).
    pub weight: u32,
}

/// What a rule (or a listener by default) does with a request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// Forward to one of the target groups, chosen by weight.
    Forward(Vec<WeightedTarget>),
    /// Answer with this status and no body.
    FixedResponse(StatusCode),
}

/// A listener rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rule {
    /// Logical id (shown in the access log).
    pub name: String,
    /// Local ARN.
    pub arn: String,
    /// Lower numbers are evaluated first.
    pub priority: u32,
    /// The conditions.
    pub matcher: HttpMatch,
    /// What to do on a match.
    pub action: Action,
}

// The template's own tests (owned by the template split, H1b) still import the router from here
// under its former names; remove these once they import `dataplane::router` directly.
#[doc(hidden)]
pub use crate::dataplane::router::{Destination as Decision, MatchInput as RequestFacts, Router};
