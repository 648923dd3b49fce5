//! `lattice-local policy check`: allow and deny for the project template's policies and for a
//! network + service pair, the deciding policy and statement named, principals of a credentials
//! file with their tags, source IPs, the project's `k8s/` manifests, and the exit statuses of the
//! real binary (0 allow, 1 deny, `--expect`, 2 usage or configuration error).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};

use lattice_local::policy_check::{PolicyCheckArgs, check};
use serde_json::Value;

const WORKSPACE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
const DEMO_CLIENT: &str = "arn:aws:sts::000000000000:assumed-role/EksClientFunctionRole/eks-client";

/// A network that denies `/admin*` to everyone and a service that allows its members (by org
/// and principal tag) and denies `DELETE` explicitly.
const PAIR: &str = r#"
Resources:
  Net:
    Type: AWS::VpcLattice::ServiceNetwork
    Properties: { Name: shop-network, AuthType: AWS_IAM }
  NetPolicy:
    Type: AWS::VpcLattice::AuthPolicy
    Properties:
      ResourceIdentifier: !Ref Net
      Policy:
        Statement:
          - Sid: EveryoneButAdmin
            Effect: Allow
            Principal: "*"
            Action: vpc-lattice-svcs:Invoke
            Resource: "*"
          - Sid: NoAdmin
            Effect: Deny
            Principal: "*"
            Action: vpc-lattice-svcs:Invoke
            Resource: "*/admin*"
  Orders:
    Type: AWS::VpcLattice::Service
    Properties:
      Name: orders
      AuthType: AWS_IAM
      Tags: [ { Key: Environment, Value: gamma } ]
  Assoc:
    Type: AWS::VpcLattice::ServiceNetworkServiceAssociation
    Properties: { ServiceIdentifier: !Ref Orders, ServiceNetworkIdentifier: !Ref Net }
  OrdersPolicy:
    Type: AWS::VpcLattice::AuthPolicy
    Properties:
      ResourceIdentifier: !Ref Orders
      Policy:
        Statement:
          - Sid: BlueTeamFromLoopback
            Effect: Allow
            Principal: "*"
            Action: vpc-lattice-svcs:Invoke
            Resource: "*"
            Condition:
              StringEquals: { aws:PrincipalTag/team: blue, aws:ResourceTag/Environment: gamma }
              IpAddress: { aws:SourceIp: 127.0.0.0/8 }
          - Sid: NoDelete
            Effect: Deny
            Principal: "*"
            Action: vpc-lattice-svcs:Invoke
            Resource: "*"
            Condition: { StringEquals: { vpc-lattice-svcs:RequestMethod: DELETE } }
"#;

const CREDENTIALS: &str = r#"{"principals": [
  {"access_key_id": "AKIALOCALBLUE0000001", "secret_access_key": "local/Blue+Secret",
   "principal_arn": "arn:aws:sts::000000000000:assumed-role/app/blue",
   "principal_org_id": "o-exampleorg", "tags": {"team": "blue"}},
  {"access_key_id": "AKIALOCALRED00000001", "secret_access_key": "local/Red+Secret",
   "principal_arn": "arn:aws:sts::000000000000:assumed-role/app/red", "tags": {"team": "red"}}
]}"#;

/// A fresh directory under the system's temp dir.
fn scratch(name: &str) -> PathBuf {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "lattice-policy-check-{}-{}-{name}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

fn write(dir: &Path, file: &str, text: &str) -> PathBuf {
    let path = dir.join(file);
    std::fs::write(&path, text).expect("write");
    path
}

/// A template file with one `AWS_IAM` service `name` whose policy has `statements` (YAML list
/// items indented for `Statement:`).
fn one_service_template(name: &str, statements: &str) -> PathBuf {
    let yaml = format!(
        r#"
Resources:
  Svc: {{ Type: AWS::VpcLattice::Service, Properties: {{ Name: {name}, AuthType: AWS_IAM }} }}
  Policy:
    Type: AWS::VpcLattice::AuthPolicy
    Properties:
      ResourceIdentifier: !Ref Svc
      Policy:
        Statement:{statements}
"#
    );
    write(&scratch(name), "template.yaml", &yaml)
}

/// Arguments for the pair template with its credentials file.
fn pair_args(service: &str, method: &str, path: &str) -> PolicyCheckArgs {
    let dir = scratch("pair");
    PolicyCheckArgs {
        template: Some(write(&dir, "template.yaml", PAIR)),
        credentials: Some(write(&dir, "credentials.json", CREDENTIALS)),
        region: "us-west-2".into(),
        service: service.into(),
        method: method.into(),
        path: path.into(),
        ..PolicyCheckArgs::default()
    }
}

fn project_args(parameters: &[&str], path: &str) -> PolicyCheckArgs {
    PolicyCheckArgs {
        template: Some(Path::new(WORKSPACE).join("template.yaml")),
        parameters: parameters.iter().map(|p| (*p).to_owned()).collect(),
        credentials: Some(Path::new(WORKSPACE).join("local/demo/credentials.json")),
        region: "us-west-2".into(),
        service: "foo-service".into(),
        method: "GET".into(),
        path: path.into(),
        ..PolicyCheckArgs::default()
    }
}

/// `(allowed, label)` of a check.
fn decide(args: &PolicyCheckArgs) -> (bool, String) {
    let checked = check(args).unwrap_or_else(|e| panic!("{e}"));
    (
        checked.authorization.is_allowed(),
        checked.authorization.label(),
    )
}

fn run_binary(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_lattice-local"))
        .current_dir(WORKSPACE)
        .arg("policy")
        .arg("check")
        .args(args)
        .output()
        .expect("run lattice-local")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn the_project_templates_policies_allow_and_deny_naming_the_statement() {
    // AuthType NONE on both levels: nothing to evaluate.
    assert_eq!(decide(&project_args(&[], "/")), (true, "-".into()));
    // AWS_IAM service: the account's signed principals only.
    let iam = ["AuthType=AWS_IAM"];
    assert_eq!(
        decide(&project_args(&iam, "/")),
        (false, "service:no-statement-allowed".into())
    );
    let mut signed = project_args(&iam, "/health");
    signed.principal = Some(DEMO_CLIENT.into());
    assert_eq!(
        decide(&signed),
        (true, "service:AccountOrOrgPrincipals".into())
    );
    let mut outsider = signed.clone();
    outsider.principal = Some("arn:aws:iam::111122223333:user/outsider".into());
    assert_eq!(
        decide(&outsider),
        (false, "service:no-statement-allowed".into())
    );
    // The network's policy when the network is AWS_IAM too: checked first.
    let both = ["AuthType=AWS_IAM", "ServiceNetworkAuthType=AWS_IAM"];
    let mut network_first = project_args(&both, "/");
    assert_eq!(
        decide(&network_first),
        (false, "network:no-statement-allowed".into())
    );
    network_first.principal = Some(DEMO_CLIENT.into());
    assert_eq!(
        decide(&network_first),
        (true, "service:AccountOrOrgPrincipals".into())
    );
    let network_only = ["ServiceNetworkAuthType=AWS_IAM"];
    let mut with_org = project_args(&network_only, "/");
    with_org
        .parameters
        .push("AllowedPrincipalOrgId=o-abcdefghij".into());
    with_org.principal = Some(DEMO_CLIENT.into());
    assert_eq!(
        decide(&with_org),
        (false, "network:no-statement-allowed".into()),
        "the demo principal has no org"
    );
}

#[test]
fn network_and_service_policies_each_decide_what_they_decide() {
    let blue = "arn:aws:sts::000000000000:assumed-role/app/blue";
    let mut args = pair_args("orders", "GET", "/orders");
    args.principal = Some(blue.into());
    assert_eq!(decide(&args), (true, "service:BlueTeamFromLoopback".into()));
    // The network's Deny beats the service's Allow.
    let mut admin = pair_args("orders", "GET", "/admin/users");
    admin.principal = Some(blue.into());
    let checked = check(&admin).expect("check");
    assert!(!checked.authorization.is_allowed());
    assert_eq!(checked.authorization.label(), "network:NoAdmin");
    assert_eq!(checked.authorization.service.kind(), "allow");
    // The service's own Deny.
    let mut delete = pair_args("orders", "DELETE", "/orders/7");
    delete.principal = Some(blue.into());
    assert_eq!(decide(&delete), (false, "service:NoDelete".into()));
    // Anonymous: the network allows, the service has nothing for it.
    assert_eq!(
        decide(&pair_args("orders", "GET", "/orders")),
        (false, "service:no-statement-allowed".into())
    );
}

#[test]
fn principal_tags_come_from_the_credentials_file_and_tag_flags() {
    let red = "arn:aws:sts::000000000000:assumed-role/app/red";
    let mut args = pair_args("orders", "GET", "/orders");
    args.principal = Some(red.into());
    assert!(!decide(&args).0, "red is not blue");
    args.tags = vec!["team=blue".into()];
    assert!(decide(&args).0, "--tag replaces the file's value");
    let mut unknown = pair_args("orders", "GET", "/orders");
    unknown.principal = Some("arn:aws:iam::000000000000:role/elsewhere".into());
    assert!(!decide(&unknown).0, "no tags at all");
    unknown.tags = vec!["team=blue".into()];
    assert!(decide(&unknown).0);
}

#[test]
fn the_source_ip_decides_ip_conditions_both_ways() {
    let mut args = pair_args("orders", "GET", "/orders");
    args.principal = Some("arn:aws:sts::000000000000:assumed-role/app/blue".into());
    args.source_ip = Some("127.0.0.9".parse().expect("ip"));
    assert!(decide(&args).0);
    args.source_ip = Some("10.0.0.1".parse().expect("ip"));
    assert_eq!(
        decide(&args),
        (false, "service:no-statement-allowed".into())
    );
}

#[test]
fn the_projects_k8s_manifests_are_checked_with_the_same_evaluator() {
    let args = PolicyCheckArgs {
        k8s: Some(Path::new(WORKSPACE).join("k8s")),
        credentials: Some(Path::new(WORKSPACE).join("local/demo/credentials.json")),
        region: "us-west-2".into(),
        service: "eks-app-default".into(),
        method: "GET".into(),
        path: "/app/orders".into(),
        principal: Some(DEMO_CLIENT.into()),
        ..PolicyCheckArgs::default()
    };
    assert_eq!(
        decide(&args),
        (true, "service:EksClientFunctionOnly".into())
    );
    let admin = PolicyCheckArgs {
        path: "/admin".into(),
        ..args.clone()
    };
    assert_eq!(
        decide(&admin),
        (false, "service:no-statement-allowed".into())
    );
    let anonymous = PolicyCheckArgs {
        principal: None,
        ..args
    };
    assert!(!decide(&anonymous).0);
}

#[test]
fn exit_statuses_and_output_of_the_binary() {
    let allow = run_binary(&["--service", "foo-service", "--method", "GET", "--path", "/"]);
    assert_eq!(allow.status.code(), Some(0), "{allow:?}");
    assert!(stdout(&allow).starts_with("allow GET / -> foo-service"));

    let iam = [
        "--parameter",
        "AuthType=AWS_IAM",
        "--service",
        "foo-service",
        "--method",
        "GET",
        "--path",
        "/",
    ];
    let deny = run_binary(&iam);
    assert_eq!(deny.status.code(), Some(1), "{deny:?}");
    let text = stdout(&deny);
    assert!(
        text.starts_with("deny GET / -> foo-service as anonymous"),
        "{text}"
    );
    assert!(
        text.contains("service foo-service: no-statement-allowed"),
        "{text}"
    );

    let expected = run_binary(&[&iam[..], &["--expect", "deny"]].concat());
    assert_eq!(expected.status.code(), Some(0), "{expected:?}");
    assert!(stdout(&expected).contains("expected deny: as expected"));
    let unexpected = run_binary(&[&iam[..], &["--expect", "allow"]].concat());
    assert_eq!(unexpected.status.code(), Some(1), "{unexpected:?}");
    assert!(stdout(&unexpected).contains("NOT as expected"));

    let signed = run_binary(&[&iam[..], &["--principal", DEMO_CLIENT, "--json"]].concat());
    assert_eq!(signed.status.code(), Some(0), "{signed:?}");
    let report: Value = serde_json::from_slice(&signed.stdout).expect("one JSON object");
    assert_eq!(report["decision"], "allow");
    assert_eq!(report["decidedBy"]["policy"], "service");
    assert_eq!(report["decidedBy"]["statement"], "AccountOrOrgPrincipals");
    assert_eq!(report["network"]["authType"], "NONE");
    assert_eq!(report["serviceLevel"]["outcome"], "allow");
    assert_eq!(report["principal"], DEMO_CLIENT);
}

#[test]
fn usage_and_configuration_errors_exit_2_naming_the_problem() {
    let base = ["--method", "GET", "--path", "/"];
    let unknown = run_binary(&[&base[..], &["--service", "nope"]].concat());
    assert_eq!(unknown.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("no service named \"nope\""));

    let missing = run_binary(&["--service", "foo-service", "--path", "/"]);
    assert_eq!(missing.status.code(), Some(2), "clap usage error");

    let bad_header = run_binary(
        &[
            &base[..],
            &["--service", "foo-service", "--header", "no-colon"],
        ]
        .concat(),
    );
    assert_eq!(bad_header.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad_header.stderr).contains("NAME:VALUE"));

    let anonymous_tag = run_binary(
        &[
            &base[..],
            &["--service", "foo-service", "--tag", "team=blue"],
        ]
        .concat(),
    );
    assert_eq!(anonymous_tag.status.code(), Some(2));

    let template = one_service_template(
        "strict",
        r#"
          - Effect: Allow
            Principal: "*"
            Action: vpc-lattice-svcs:Invoke
            Resource: "*"
            Condition: { StringEquals: { "aws:CalledVia": x } }"#,
    );
    let unsupported = run_binary(
        &[
            &base[..],
            &["--service", "strict", "--template"],
            &[template.to_str().expect("utf-8 path")],
        ]
        .concat(),
    );
    assert_eq!(unsupported.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&unsupported.stderr);
    assert!(stderr.contains("aws:CalledVia"), "{stderr}");
    assert!(stderr.contains("service strict"), "{stderr}");
}

#[test]
fn headers_and_queries_from_flags_reach_the_conditions() {
    let template = one_service_template(
        "api",
        r#"
          - Sid: BlueTeamPages
            Effect: Allow
            Principal: "*"
            Action: vpc-lattice-svcs:Invoke
            Resource: "*"
            Condition:
              StringEquals:
                vpc-lattice-svcs:RequestHeader/x-team: "bleu, équipe"
                vpc-lattice-svcs:RequestQueryString/page: "2""#,
    );
    let args = PolicyCheckArgs {
        template: Some(template),
        region: "us-west-2".into(),
        service: "api".into(),
        method: "GET".into(),
        path: "/list?page=2".into(),
        headers: vec!["x-team: bleu".into(), "X-Team:équipe".into()],
        ..PolicyCheckArgs::default()
    };
    assert_eq!(decide(&args), (true, "service:BlueTeamPages".into()));
    let one_copy = PolicyCheckArgs {
        headers: vec!["x-team: bleu".into()],
        ..args.clone()
    };
    assert!(!decide(&one_copy).0, "one copy is not the joined value");
    let query_flag = PolicyCheckArgs {
        path: "/list".into(),
        query: vec!["page=2".into()],
        ..args.clone()
    };
    assert!(decide(&query_flag).0);
    let other_page = PolicyCheckArgs {
        query: vec!["page=3".into()],
        path: "/list".into(),
        ..args
    };
    assert!(!decide(&other_page).0);
}
