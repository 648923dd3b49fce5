//! Evaluating an [`AuthPolicy`] for one request: explicit Deny wins, then Allow, else
//! implicit deny.

use super::arn::Arn;
use super::policy::{AuthPolicy, AwsPrincipal, Effect, PrincipalSpec, Statement};
use super::policy_request::PolicyRequest;
use super::verify::Caller;
use super::wildcard::wildcard_match;

/// The outcome of evaluating a policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PolicyDecision {
    /// A statement allows the request and none denies it.
    Allow {
        /// The allowing statement (`Sid`, or `Statement[<index>]`).
        statement: Option<String>,
    },
    /// A Deny statement matches (it wins over any Allow).
    ExplicitDeny {
        /// The denying statement (`Sid`, or `Statement[<index>]`).
        statement: Option<String>,
    },
    /// No statement allows the request.
    ImplicitDeny,
}

impl PolicyDecision {
    /// Whether the request may proceed.
    pub fn is_allowed(&self) -> bool {
        matches!(self, PolicyDecision::Allow { .. })
    }
}

impl AuthPolicy {
    /// Evaluates the policy for `facts` (action `vpc-lattice-svcs:Invoke`).
    pub fn evaluate(&self, facts: &PolicyRequest<'_>) -> PolicyDecision {
        // Built only if a statement names a resource other than `*`.
        let mut resource: Option<String> = None;
        let mut allowed_by: Option<&Statement> = None;
        for statement in &self.statements {
            if !statement.covers_invoke || !principal_matches(&statement.principal, facts.caller) {
                continue;
            }
            let resource_matches = statement.resources.iter().any(|pattern| {
                pattern == "*"
                    || wildcard_match(
                        pattern,
                        resource.get_or_insert_with(|| facts.resource()),
                        false,
                    )
            });
            if !resource_matches || !statement.conditions.iter().all(|c| c.holds(facts)) {
                continue;
            }
            match statement.effect {
                Effect::Deny => {
                    return PolicyDecision::ExplicitDeny {
                        statement: Some(statement.label.clone()),
                    };
                }
                Effect::Allow => {
                    allowed_by.get_or_insert(statement);
                }
            }
        }
        match allowed_by {
            Some(statement) => PolicyDecision::Allow {
                statement: Some(statement.label.clone()),
            },
            None => PolicyDecision::ImplicitDeny,
        }
    }
}

/// Whether `caller` is one of the principals a statement names.
///
/// Unauthenticated requests match only `"*"` (or `{"AWS": "*"}`).
fn principal_matches(spec: &PrincipalSpec, caller: Option<&Caller>) -> bool {
    let principals = match spec {
        PrincipalSpec::Anyone => return true,
        PrincipalSpec::Aws(principals) => principals,
    };
    let Some(caller) = caller else {
        return false;
    };
    let caller_arn = Arn::parse(&caller.principal_arn);
    principals.iter().any(|principal| match principal {
        AwsPrincipal::Account(account) => caller_arn.is_some_and(|arn| arn.account == account),
        AwsPrincipal::Exact(arn) => *arn == caller.principal_arn,
        AwsPrincipal::Role {
            arn,
            partition,
            account,
            name,
        } => {
            // A role in a resource policy also matches its sessions:
            // arn:aws:sts::<account>:assumed-role/<name>/<session>.
            *arn == caller.principal_arn
                || caller_arn.is_some_and(|c| {
                    c.service == "sts"
                        && c.partition == partition
                        && c.account == account
                        && c.resource
                            .strip_prefix("assumed-role/")
                            .and_then(|rest| rest.split_once('/'))
                            .is_some_and(|(role, _session)| role == name)
                })
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::SigningAlgorithm;
    use http::{HeaderMap, HeaderValue};
    use serde_json::json;

    const SERVICE: &str = "arn:aws:vpc-lattice:us-west-2:111122223333:service/svc-123";

    fn caller(arn: &str, org: Option<&str>) -> Caller {
        Caller {
            principal_arn: arn.to_owned(),
            principal_org_id: org.map(str::to_owned),
            principal_org_path: None,
            tags: Default::default(),
            session_name: None,
            access_key_id: "AKIA1".to_owned(),
            source_vpc_arn: None,
            algorithm: SigningAlgorithm::SigV4,
        }
    }

    fn decide(
        policy: serde_json::Value,
        caller: Option<&Caller>,
        method: &str,
        path: &str,
        headers: &HeaderMap,
    ) -> PolicyDecision {
        let policy = AuthPolicy::from_json(&policy).expect("policy parses");
        let facts = PolicyRequest {
            caller,
            method,
            path,
            headers,
            query: &[],
            source_vpc_id: Some("vpc-0abc"),
            source_vpc_owner_account: Some("111122223333"),
            service_arn: SERVICE,
            service_network_arn: None,
            port: 443,
            source_ip: None,
            resource_tags: &crate::auth::NO_TAGS,
        };
        policy.evaluate(&facts)
    }

    fn get(policy: serde_json::Value, caller: Option<&Caller>) -> PolicyDecision {
        decide(policy, caller, "GET", "/app/items", &HeaderMap::new())
    }

    fn allow(sid: &str) -> PolicyDecision {
        PolicyDecision::Allow {
            statement: Some(sid.to_owned()),
        }
    }

    #[test]
    fn allow_statement_allows() {
        let policy = json!({"Version": "2012-10-17", "Statement": {
            "Sid": "everyone", "Effect": "Allow", "Principal": "*",
            "Action": "vpc-lattice-svcs:Invoke", "Resource": "*"}});
        assert_eq!(get(policy.clone(), None), allow("everyone"));
        let c = caller("arn:aws:iam::111122223333:user/u", None);
        assert_eq!(get(policy, Some(&c)), allow("everyone"));
    }

    #[test]
    fn explicit_deny_wins_over_allow() {
        let policy = json!({"Statement": [
            {"Sid": "all", "Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"},
            {"Sid": "no-admin", "Effect": "Deny", "Principal": "*", "Action": "vpc-lattice-svcs:*",
             "Resource": format!("{SERVICE}/admin/*")}]});
        assert_eq!(
            decide(
                policy.clone(),
                None,
                "GET",
                "/admin/users",
                &HeaderMap::new()
            ),
            PolicyDecision::ExplicitDeny {
                statement: Some("no-admin".to_owned())
            }
        );
        assert_eq!(
            decide(policy, None, "GET", "/app", &HeaderMap::new()),
            allow("all")
        );
    }

    #[test]
    fn no_matching_allow_is_an_implicit_deny() {
        let policy = json!({"Statement": [{"Effect": "Allow", "Principal": {"AWS": "222233334444"},
            "Action": "vpc-lattice-svcs:Invoke", "Resource": "*"}]});
        let c = caller("arn:aws:iam::111122223333:user/u", None);
        assert_eq!(get(policy.clone(), Some(&c)), PolicyDecision::ImplicitDeny);
        assert_eq!(get(policy, None), PolicyDecision::ImplicitDeny);
        assert_eq!(
            get(json!({"Statement": []}), None),
            PolicyDecision::ImplicitDeny
        );
    }

    #[test]
    fn unauthenticated_callers_only_match_star() {
        let policy = json!({"Statement": {"Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "*", "Resource": "*"}});
        assert_eq!(get(policy, None), PolicyDecision::ImplicitDeny);
        let star = json!({"Statement": {"Effect": "Allow", "Principal": {"AWS": ["*"]}, "Action": "*", "Resource": "*"}});
        assert_eq!(get(star, None), allow("Statement[0]"));
    }

    #[test]
    fn account_root_and_role_match_assumed_role_sessions() {
        let session = caller(
            "arn:aws:sts::111122223333:assumed-role/eks-client/pod-1",
            None,
        );
        for principal in [
            json!("arn:aws:iam::111122223333:root"),
            json!("111122223333"),
            json!("arn:aws:iam::111122223333:role/eks-client"),
            json!("arn:aws:iam::111122223333:role/team/path/eks-client"),
            json!([
                "arn:aws:iam::999999999999:root",
                "arn:aws:sts::111122223333:assumed-role/eks-client/pod-1"
            ]),
        ] {
            let policy = json!({"Statement": {"Effect": "Allow", "Principal": {"AWS": principal},
                "Action": "vpc-lattice-svcs:Invoke", "Resource": "*"}});
            assert_eq!(
                get(policy, Some(&session)),
                allow("Statement[0]"),
                "{principal}"
            );
        }
        for principal in [
            json!("arn:aws:iam::222233334444:root"),
            json!("arn:aws:iam::111122223333:role/other"),
            json!("arn:aws:iam::111122223333:user/eks-client"),
        ] {
            let policy = json!({"Statement": {"Effect": "Allow", "Principal": {"AWS": principal},
                "Action": "vpc-lattice-svcs:Invoke", "Resource": "*"}});
            assert_eq!(
                get(policy, Some(&session)),
                PolicyDecision::ImplicitDeny,
                "{principal}"
            );
        }
    }

    #[test]
    fn org_condition_matches_and_mismatches() {
        let policy = json!({"Statement": {"Sid": "org", "Effect": "Allow", "Principal": "*",
            "Action": "vpc-lattice-svcs:Invoke", "Resource": "*",
            "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-good"}}}});
        let good = caller("arn:aws:iam::111122223333:user/u", Some("o-good"));
        let bad = caller("arn:aws:iam::111122223333:user/u", Some("o-other"));
        let none = caller("arn:aws:iam::111122223333:user/u", None);
        assert_eq!(get(policy.clone(), Some(&good)), allow("org"));
        assert_eq!(
            get(policy.clone(), Some(&bad)),
            PolicyDecision::ImplicitDeny
        );
        assert_eq!(
            get(policy.clone(), Some(&none)),
            PolicyDecision::ImplicitDeny
        );
        assert_eq!(get(policy, None), PolicyDecision::ImplicitDeny);
    }

    #[test]
    fn path_method_and_header_conditions() {
        let policy = json!({"Statement": {"Sid": "narrow", "Effect": "Allow", "Principal": "*",
            "Action": "vpc-lattice-svcs:Invoke", "Resource": format!("{SERVICE}/*"),
            "Condition": {
                "StringEquals": {"vpc-lattice-svcs:RequestMethod": ["GET", "HEAD"],
                                 "vpc-lattice-svcs:RequestHeader/x-team": "blue",
                                 "vpc-lattice-svcs:SourceVpc": "vpc-0abc"},
                "StringLike": {"vpc-lattice-svcs:RequestPath": "/app/*"}}}});
        let mut blue = HeaderMap::new();
        blue.insert("x-team", HeaderValue::from_static("blue"));
        let mut red = HeaderMap::new();
        red.insert("x-team", HeaderValue::from_static("red"));
        assert_eq!(
            decide(policy.clone(), None, "GET", "/app/items", &blue),
            allow("narrow")
        );
        assert_eq!(
            decide(policy.clone(), None, "POST", "/app/items", &blue),
            PolicyDecision::ImplicitDeny
        );
        assert_eq!(
            decide(policy.clone(), None, "GET", "/other", &blue),
            PolicyDecision::ImplicitDeny
        );
        assert_eq!(
            decide(policy.clone(), None, "GET", "/app/items", &red),
            PolicyDecision::ImplicitDeny
        );
        assert_eq!(
            decide(policy, None, "GET", "/app/items", &HeaderMap::new()),
            PolicyDecision::ImplicitDeny
        );
    }

    #[test]
    fn lattice_authenticated_only_template() {
        // The console's "Allow only authenticated access" policy.
        let policy = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*",
            "Action": "vpc-lattice-svcs:Invoke", "Resource": "*",
            "Condition": {"StringNotEqualsIgnoreCase": {"aws:PrincipalType": "anonymous"}}}]});
        let c = caller("arn:aws:iam::111122223333:user/u", None);
        assert!(get(policy.clone(), Some(&c)).is_allowed());
        assert_eq!(get(policy, None), PolicyDecision::ImplicitDeny);
    }

    #[test]
    fn resource_patterns_are_case_sensitive_arns() {
        let policy = json!({"Statement": {"Effect": "Allow", "Principal": "*", "Action": "*",
            "Resource": format!("{SERVICE}/App/*")}});
        assert_eq!(get(policy, None), PolicyDecision::ImplicitDeny);
        let facts_path = PolicyRequest {
            caller: None,
            method: "GET",
            path: "x",
            headers: &HeaderMap::new(),
            query: &[],
            source_vpc_id: None,
            source_vpc_owner_account: None,
            service_arn: SERVICE,
            service_network_arn: None,
            port: 80,
            source_ip: None,
            resource_tags: &crate::auth::NO_TAGS,
        };
        assert_eq!(facts_path.resource(), format!("{SERVICE}/x"));
    }

    #[test]
    fn the_user_guides_wildcard_resource_forms_match_the_path() {
        for (resource, path, allowed) in [
            ("*/*", "/anything", true),
            ("*/rates", "/rates", true),
            ("*/rates", "/rates/x", false),
            ("*/rates*", "/rates/x", true),
        ] {
            let policy = json!({"Statement": {"Effect": "Allow", "Principal": "*",
                "Action": "vpc-lattice-svcs:Invoke", "Resource": resource}});
            assert_eq!(
                decide(policy, None, "GET", path, &HeaderMap::new()).is_allowed(),
                allowed,
                "{resource} {path}"
            );
        }
        let bad = json!({"Statement": {"Effect": "Allow", "Principal": "*", "Action": "*",
            "Resource": "svc-123/rates"}});
        let err = AuthPolicy::from_json(&bad).expect_err("not a resource form");
        assert!(err.to_string().contains("svc-123/rates"), "{err}");
    }

    #[test]
    fn policy_may_be_a_json_string() {
        let text = json!(
            r#"{"Statement": {"Sid": "s", "Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}}"#
        );
        assert_eq!(get(text, None), allow("s"));
        let err = AuthPolicy::from_json(&json!("{not json")).expect_err("invalid");
        assert!(err.to_string().contains("not JSON"), "{err}");
    }

    #[test]
    fn unsupported_constructs_are_rejected_by_name() {
        let cases = [
            (
                json!({"Statement": {"Effect": "Allow", "NotPrincipal": {"AWS": "1"}, "Action": "*", "Resource": "*"}}),
                "NotPrincipal",
            ),
            (
                json!({"Statement": {"Effect": "Allow", "Principal": "*", "NotAction": "*", "Resource": "*"}}),
                "NotAction",
            ),
            (
                json!({"Statement": {"Effect": "Allow", "Principal": "*", "Action": "*", "NotResource": "*"}}),
                "NotResource",
            ),
            (
                json!({"Statement": {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "*", "Resource": "*"}}),
                "Service",
            ),
            (
                json!({"Statement": {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "*"}}),
                "s3:GetObject",
            ),
            (
                json!({"Statement": {"Effect": "Allow", "Principal": "*", "Action": "vpc-lattice-svcs:Connect", "Resource": "*"}}),
                "vpc-lattice-svcs:Connect",
            ),
            (
                json!({"Statement": {"Effect": "Permit", "Principal": "*", "Action": "*", "Resource": "*"}}),
                "Permit",
            ),
            (
                json!({"Statement": {"Effect": "Allow", "Principal": "*", "Action": "*"}}),
                "Resource",
            ),
            (
                json!({"Statement": {"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*",
                "Condition": {"IpAddress": {"aws:VpcSourceIp": "10.0.0.0/8"}}}}),
                "aws:VpcSourceIp",
            ),
            (
                json!({"Statement": {"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*",
                "Condition": {"StringEquals": {"aws:username": "x"}}}}),
                "aws:username",
            ),
            (
                json!({"Statement": {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:role/*"}, "Action": "*", "Resource": "*"}}),
                "wildcard",
            ),
            (
                json!({"Statement": {"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": {"Fn::Sub": "x"}}}),
                "Resource",
            ),
            (
                json!({"Version": "2021-01-01", "Statement": []}),
                "2021-01-01",
            ),
            (json!({"Statement": [], "Extra": 1}), "Extra"),
        ];
        for (policy, needle) in cases {
            let err = AuthPolicy::from_json(&policy)
                .expect_err(needle)
                .to_string();
            assert!(err.contains(needle), "expected {needle:?} in {err:?}");
        }
    }
}
