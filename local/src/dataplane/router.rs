//! Listener rules as Lattice applies them: rules in priority order (lowest number first), the
//! first whose match holds decides; otherwise the listener's default action. An action forwards
//! to weighted target groups or answers with a fixed status.
//!
//! Matching compares ASCII case-insensitively when `CaseSensitive` is false: HTTP/1.1 paths and
//! header values that reach here are ASCII, so this is what full case folding would give, without
//! an allocation per request.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use http::{HeaderMap, Method, StatusCode};

use crate::model::{
    Action, HeaderMatch, HeaderMatchKind, HttpMatch, PathMatch, PathMatchKind, Rule,
};

/// The parts of a request rules look at.
#[derive(Clone, Copy, Debug)]
pub struct MatchInput<'a> {
    /// Method.
    pub method: &'a Method,
    /// Path without the query (the canonical path: see `dataplane::path`).
    pub path: &'a str,
    /// Headers.
    pub headers: &'a HeaderMap,
}

/// Where routing sends a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Destination<'a> {
    /// Forward to this target group (logical id).
    Forward(&'a str),
    /// Answer with this status and no body.
    FixedResponse(StatusCode),
    /// A forward action whose weights are all zero: nothing can serve it.
    NoTarget,
}

/// The routing outcome and which rule produced it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Route<'a> {
    /// The matching rule, or `None` for the listener's default action.
    pub rule: Option<&'a Rule>,
    /// The rule's logical id, or `default` (shared, for the access log).
    pub rule_name: &'a Arc<str>,
    /// What to do.
    pub decision: Destination<'a>,
}

/// A rule ready to route: its action's weighted picker and its name for the access log.
#[derive(Debug)]
struct ReadyRule {
    rule: Rule,
    name: Arc<str>,
    picker: Picker,
}

/// One listener's rules, ready to route.
#[derive(Debug)]
pub struct Router {
    rules: Vec<ReadyRule>,
    default: (Action, Picker),
    default_name: Arc<str>,
}

impl Router {
    /// Sorts `rules` by priority (ties keep template order).
    pub fn new(mut rules: Vec<Rule>, default: Action) -> Self {
        rules.sort_by_key(|r| r.priority);
        Router {
            rules: rules
                .into_iter()
                .map(|rule| ReadyRule {
                    name: Arc::from(rule.name.as_str()),
                    picker: Picker::new(&rule.action),
                    rule,
                })
                .collect(),
            default_name: Arc::from("default"),
            default: (default.clone(), Picker::new(&default)),
        }
    }

    /// The rules in evaluation order.
    pub fn rules(&self) -> impl Iterator<Item = &Rule> {
        self.rules.iter().map(|r| &r.rule)
    }

    /// Routes one request.
    pub fn route(&self, request: &MatchInput<'_>) -> Route<'_> {
        for ready in &self.rules {
            if ready.rule.matcher.matches(request) {
                return Route {
                    rule: Some(&ready.rule),
                    rule_name: &ready.name,
                    decision: ready.picker.pick(&ready.rule.action),
                };
            }
        }
        let (action, picker) = &self.default;
        Route {
            rule: None,
            rule_name: &self.default_name,
            decision: picker.pick(action),
        }
    }
}

impl HttpMatch {
    /// Whether every condition holds for `request`.
    pub fn matches(&self, request: &MatchInput<'_>) -> bool {
        if let Some(method) = &self.method
            && method != request.method
        {
            return false;
        }
        if let Some(path) = &self.path
            && !path.matches(request.path)
        {
            return false;
        }
        self.headers.iter().all(|h| h.matches(request.headers))
    }
}

impl PathMatch {
    /// Whether `path` satisfies this condition.
    pub fn matches(&self, path: &str) -> bool {
        let (path, value) = (path.as_bytes(), self.value.as_bytes());
        match self.kind {
            PathMatchKind::Exact => equal(path, value, self.case_sensitive),
            PathMatchKind::Prefix => {
                path.len() >= value.len() && equal(&path[..value.len()], value, self.case_sensitive)
            }
        }
    }
}

impl HeaderMatch {
    /// Whether any value of the header satisfies this condition.
    pub fn matches(&self, headers: &HeaderMap) -> bool {
        let expected = self.value.as_bytes();
        headers.get_all(&self.name).iter().any(|value| {
            if value.to_str().is_err() {
                return false;
            }
            let value = value.as_bytes();
            match self.kind {
                HeaderMatchKind::Exact => equal(value, expected, self.case_sensitive),
                HeaderMatchKind::Prefix => {
                    value.len() >= expected.len()
                        && equal(&value[..expected.len()], expected, self.case_sensitive)
                }
                HeaderMatchKind::Contains => {
                    expected.is_empty()
                        || value
                            .windows(expected.len())
                            .any(|window| equal(window, expected, self.case_sensitive))
                }
            }
        })
    }
}

fn equal(a: &[u8], b: &[u8], case_sensitive: bool) -> bool {
    if case_sensitive {
        a == b
    } else {
        a.eq_ignore_ascii_case(b)
    }
}

/// Chooses among weighted targets without locks and without randomness: the
/// n-th request lands on slot `n * stride mod total` of the cumulative
/// weights. With `stride` coprime to `total`, every `total` consecutive
/// requests visit every slot exactly once, so a 90/10 split is exact over each
/// 100 requests and the two groups are interleaved rather than batched.
#[derive(Debug)]
struct Picker {
    counter: AtomicU64,
    total: u64,
    stride: u64,
}

impl Picker {
    fn new(action: &Action) -> Self {
        let total = match action {
            Action::Forward(targets) => targets.iter().map(|t| u64::from(t.weight)).sum(),
            Action::FixedResponse(_) => 0,
        };
        Picker {
            counter: AtomicU64::new(0),
            total,
            stride: coprime_stride(total),
        }
    }

    fn pick<'a>(&self, action: &'a Action) -> Destination<'a> {
        let targets = match action {
            Action::FixedResponse(status) => return Destination::FixedResponse(*status),
            Action::Forward(targets) => targets,
        };
        if self.total == 0 {
            return Destination::NoTarget;
        }
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        let mut slot = (n % self.total) * self.stride % self.total;
        for target in targets {
            let weight = u64::from(target.weight);
            if slot < weight {
                return Destination::Forward(&target.target_group);
            }
            slot -= weight;
        }
        // Unreachable when the weights sum to `total`; answer safely anyway.
        Destination::NoTarget
    }
}

/// The smallest stride at or above `0.618 * total` that is coprime with it
/// (the golden ratio spreads consecutive slots evenly).
fn coprime_stride(total: u64) -> u64 {
    if total <= 1 {
        return 1;
    }
    let mut stride = (total * 618 / 1000).max(1);
    while gcd(stride, total) != 1 {
        stride += 1;
    }
    stride
}

fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::WeightedTarget;
    use http::{HeaderName, HeaderValue};

    fn forward(group: &str) -> Action {
        Action::Forward(vec![WeightedTarget {
            target_group: group.into(),
            weight: 100,
        }])
    }

    fn rule(name: &str, priority: u32, matcher: HttpMatch, group: &str) -> Rule {
        Rule {
            name: name.into(),
            arn: format!("arn:{name}"),
            priority,
            matcher,
            action: forward(group),
        }
    }

    fn prefix(value: &str, case_sensitive: bool) -> HttpMatch {
        HttpMatch {
            path: Some(PathMatch {
                kind: PathMatchKind::Prefix,
                value: value.into(),
                case_sensitive,
            }),
            ..HttpMatch::default()
        }
    }

    fn route_path<'a>(router: &'a Router, method: &Method, path: &str) -> Route<'a> {
        let headers = HeaderMap::new();
        router.route(&MatchInput {
            method,
            path,
            headers: &headers,
        })
    }

    #[test]
    fn lowest_priority_number_wins_regardless_of_declaration_order() {
        let router = Router::new(
            vec![
                rule("Broad", 20, prefix("/", true), "broad"),
                rule("Narrow", 5, prefix("/api", true), "narrow"),
            ],
            Action::FixedResponse(StatusCode::NOT_FOUND),
        );
        let names: Vec<_> = router.rules().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["Narrow", "Broad"]);
        let route = route_path(&router, &Method::GET, "/api/x");
        assert_eq!(&**route.rule_name, "Narrow");
        assert_eq!(route.decision, Destination::Forward("narrow"));
        let route = route_path(&router, &Method::GET, "/other");
        assert_eq!(route.decision, Destination::Forward("broad"));
    }

    #[test]
    fn unmatched_requests_take_the_default_action() {
        let router = Router::new(
            vec![rule("App", 10, prefix("/app", true), "pods")],
            Action::FixedResponse(StatusCode::NOT_FOUND),
        );
        let route = route_path(&router, &Method::GET, "/elsewhere");
        assert_eq!(&**route.rule_name, "default");
        assert_eq!(
            route.decision,
            Destination::FixedResponse(StatusCode::NOT_FOUND)
        );
    }

    #[test]
    fn exact_and_prefix_paths_respect_case_sensitivity() {
        let exact = PathMatch {
            kind: PathMatchKind::Exact,
            value: "/Health".into(),
            case_sensitive: true,
        };
        assert!(exact.matches("/Health"));
        assert!(!exact.matches("/health"));
        assert!(!exact.matches("/Health/x"));
        let insensitive = PathMatch {
            case_sensitive: false,
            ..exact.clone()
        };
        assert!(insensitive.matches("/HEALTH"));
        let prefix = PathMatch {
            kind: PathMatchKind::Prefix,
            value: "/App".into(),
            case_sensitive: true,
        };
        assert!(prefix.matches("/App/items"));
        assert!(!prefix.matches("/app/items"));
        assert!(
            PathMatch {
                case_sensitive: false,
                ..prefix
            }
            .matches("/app/items")
        );
    }

    #[test]
    fn header_matches_exact_prefix_contains_with_and_without_case() {
        let mut headers = HeaderMap::new();
        headers.append("x-env", HeaderValue::from_static("Canary-Blue"));
        headers.append("x-env", HeaderValue::from_static("other"));
        let check = |kind, value: &str, case_sensitive| {
            HeaderMatch {
                name: HeaderName::from_static("x-env"),
                kind,
                value: value.into(),
                case_sensitive,
            }
            .matches(&headers)
        };
        assert!(check(HeaderMatchKind::Exact, "Canary-Blue", true));
        assert!(!check(HeaderMatchKind::Exact, "canary-blue", true));
        assert!(check(HeaderMatchKind::Exact, "canary-blue", false));
        assert!(check(HeaderMatchKind::Prefix, "Canary", true));
        assert!(!check(HeaderMatchKind::Prefix, "Blue", true));
        assert!(check(HeaderMatchKind::Contains, "ry-Bl", true));
        assert!(!check(HeaderMatchKind::Contains, "RY-BL", true));
        assert!(check(HeaderMatchKind::Contains, "RY-BL", false));
        // Any value of a repeated header may match.
        assert!(check(HeaderMatchKind::Exact, "other", true));
        let absent = HeaderMatch {
            name: HeaderName::from_static("x-missing"),
            kind: HeaderMatchKind::Contains,
            value: String::new(),
            case_sensitive: true,
        };
        assert!(!absent.matches(&headers));
    }

    #[test]
    fn method_and_all_conditions_must_hold() {
        let matcher = HttpMatch {
            method: Some(Method::GET),
            path: prefix("/health", false).path,
            headers: vec![HeaderMatch {
                name: HeaderName::from_static("x-probe"),
                kind: HeaderMatchKind::Exact,
                value: "1".into(),
                case_sensitive: true,
            }],
        };
        fn facts<'a>(method: &'a Method, headers: &'a HeaderMap) -> MatchInput<'a> {
            MatchInput {
                method,
                path: "/health",
                headers,
            }
        }
        let mut headers = HeaderMap::new();
        assert!(!matcher.matches(&facts(&Method::GET, &headers)));
        headers.insert("x-probe", HeaderValue::from_static("1"));
        assert!(matcher.matches(&facts(&Method::GET, &headers)));
        assert!(!matcher.matches(&facts(&Method::POST, &headers)));
    }

    #[test]
    fn weighted_forward_splits_ninety_ten_exactly_per_hundred_and_interleaves() {
        let action = Action::Forward(vec![
            WeightedTarget {
                target_group: "stable".into(),
                weight: 90,
            },
            WeightedTarget {
                target_group: "canary".into(),
                weight: 10,
            },
        ]);
        let router = Router::new(Vec::new(), action);
        let picks: Vec<_> = (0..1000)
            .map(|_| route_path(&router, &Method::GET, "/").decision)
            .collect();
        let canary = picks
            .iter()
            .filter(|d| **d == Destination::Forward("canary"))
            .count();
        assert_eq!(canary, 100);
        // Every window of 100 consecutive requests gets exactly 10 canaries.
        for window in picks.chunks(100) {
            let n = window
                .iter()
                .filter(|d| **d == Destination::Forward("canary"))
                .count();
            assert_eq!(n, 10);
        }
        // Interleaved: the first 20 requests already include a canary.
        assert!(picks[..20].contains(&Destination::Forward("canary")));
    }

    #[test]
    fn zero_weights_route_nowhere_and_zero_weight_groups_get_nothing() {
        let none = Router::new(
            Vec::new(),
            Action::Forward(vec![WeightedTarget {
                target_group: "a".into(),
                weight: 0,
            }]),
        );
        assert_eq!(
            route_path(&none, &Method::GET, "/").decision,
            Destination::NoTarget
        );
        let one_sided = Router::new(
            Vec::new(),
            Action::Forward(vec![
                WeightedTarget {
                    target_group: "off".into(),
                    weight: 0,
                },
                WeightedTarget {
                    target_group: "on".into(),
                    weight: 3,
                },
            ]),
        );
        for _ in 0..10 {
            assert_eq!(
                route_path(&one_sided, &Method::GET, "/").decision,
                Destination::Forward("on")
            );
        }
    }
}
