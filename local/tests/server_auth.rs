//! Every auth outcome through the data plane: unsigned, bad signature,
//! expired date, good signature (SigV4 and SigV4A), policy deny and the
//! organization condition. Requests are signed with `aws-sigv4`.

mod common;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use common::{
    Algorithm, REGION, Signer, echo_upstream, get, local_principal, reported_header, send,
};
use http::StatusCode;
use lattice_local::auth::{CredentialStore, LocalPrincipal};
use lattice_local::dataplane::DataPlaneOptions;
use lattice_local::template::{LoadOptions, Topology};
use lattice_local::up::{Stack, StackOptions};

const TEMPLATE: &str = r#"
Resources:
  Secure:
    Type: AWS::VpcLattice::Service
    Properties: { Name: secure, AuthType: AWS_IAM }
  Open:
    Type: AWS::VpcLattice::Service
    Properties: { Name: open, AuthType: NONE }
  Pods:
    Type: AWS::VpcLattice::TargetGroup
    Properties: { Type: IP, Config: { Port: 80 } }
  SecureListener:
    Type: AWS::VpcLattice::Listener
    Properties:
      ServiceIdentifier: !Ref Secure
      Protocol: HTTPS
      DefaultAction: { Forward: { TargetGroups: [ { TargetGroupIdentifier: !Ref Pods } ] } }
  OpenListener:
    Type: AWS::VpcLattice::Listener
    Properties:
      ServiceIdentifier: !Ref Open
      Protocol: HTTPS
      DefaultAction: { Forward: { TargetGroups: [ { TargetGroupIdentifier: !Ref Pods } ] } }
  SecurePolicy:
    Type: AWS::VpcLattice::AuthPolicy
    Properties:
      ResourceIdentifier: !Ref Secure
      Policy:
        Version: "2012-10-17"
        Statement:
          - Sid: OrgMembers
            Effect: Allow
            Principal: "*"
            Action: vpc-lattice-svcs:Invoke
            Resource: !Sub "${Secure.Arn}/*"
            Condition:
              StringEquals:
                aws:PrincipalOrgID: o-goodorg123
          - Sid: NoAdmin
            Effect: Deny
            Principal: "*"
            Action: vpc-lattice-svcs:Invoke
            Resource: !Sub "${Secure.Arn}/admin*"
"#;

const MEMBER_KEY: &str = "AKIALOCALMEMBER00001";
const MEMBER_SECRET: &str = "local/Member+Secret/Key00000000000000000";
const MEMBER_ARN: &str = "arn:aws:sts::000000000000:assumed-role/app/member";
const OUTSIDER_KEY: &str = "AKIALOCALOUTSIDER001";
const OUTSIDER_SECRET: &str = "local/Outsider+Secret/Key000000000000000";

fn principal(key: &str, secret: &str, arn: &str, org: &str) -> LocalPrincipal {
    LocalPrincipal {
        principal_org_id: Some(org.into()),
        source_vpc_arn: Some("arn:aws:ec2:us-west-2:000000000000:vpc/vpc-0member".into()),
        ..local_principal(key, secret, arn)
    }
}

async fn start() -> (Stack, SocketAddr, SocketAddr) {
    let topology = Topology::from_yaml(TEMPLATE, &LoadOptions::new(REGION)).expect("template");
    let store = CredentialStore::from_entries(vec![
        principal(MEMBER_KEY, MEMBER_SECRET, MEMBER_ARN, "o-goodorg123"),
        principal(
            OUTSIDER_KEY,
            OUTSIDER_SECRET,
            "arn:aws:sts::000000000000:assumed-role/app/outsider",
            "o-otherorg456",
        ),
    ])
    .expect("store");
    let upstream = echo_upstream("pods").await;
    let mut options = StackOptions::new(DataPlaneOptions::new(REGION, Arc::new(store)));
    options.upstreams = BTreeMap::from([("Pods".to_owned(), format!("http://{upstream}"))]);
    let stack = Stack::start(&topology, options, |_| unreachable!())
        .await
        .expect("stack");
    let secure = stack.data_plane.endpoint("secure").unwrap().addr;
    let open = stack.data_plane.endpoint("open").unwrap().addr;
    (stack, secure, open)
}

fn signed(
    addr: SocketAddr,
    path: &str,
    key: &str,
    secret: &str,
    time: SystemTime,
    sigv4a: bool,
) -> http::Request<http_body_util::Full<bytes::Bytes>> {
    let mut request = get(addr, &addr.to_string(), path);
    Signer {
        time,
        algorithm: if sigv4a {
            Algorithm::SigV4A
        } else {
            Algorithm::SigV4
        },
        ..Signer::lattice(key, secret, REGION)
    }
    .sign(&mut request);
    request
}

#[tokio::test]
async fn unsigned_requests_to_an_aws_iam_service_are_denied() {
    let (_stack, secure, open) = start().await;
    let reply = send(get(secure, &secure.to_string(), "/app")).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    assert!(reply.text().contains("User: anonymous"), "{}", reply.text());
    // The same request to an auth-type NONE service is served.
    assert_eq!(
        send(get(open, &open.to_string(), "/app")).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_good_signature_is_allowed_and_the_target_sees_the_caller() {
    let (_stack, secure, _) = start().await;
    for sigv4a in [false, true] {
        let reply = send(signed(
            secure,
            "/app",
            MEMBER_KEY,
            MEMBER_SECRET,
            SystemTime::now(),
            sigv4a,
        ))
        .await;
        assert_eq!(
            reply.status,
            StatusCode::OK,
            "sigv4a={sigv4a}: {}",
            reply.text()
        );
        let report = reply.json();
        let identity = reported_header(&report, "x-amzn-lattice-identity").unwrap();
        assert!(
            identity.contains(&format!("Principal={MEMBER_ARN}")),
            "{identity}"
        );
        assert!(
            identity.contains("PrincipalOrgID=o-goodorg123"),
            "{identity}"
        );
        assert!(identity.contains("Type=AWS_IAM"), "{identity}");
        assert_eq!(
            reported_header(&report, "x-amzn-lattice-network"),
            Some("SourceVpcArn=arn:aws:ec2:us-west-2:000000000000:vpc/vpc-0member")
        );
        // The signature headers still reach the target, as with Lattice.
        assert!(reported_header(&report, "authorization").is_some());
    }
}

#[tokio::test]
async fn a_bad_signature_is_denied_even_on_an_auth_type_none_service() {
    let (_stack, secure, open) = start().await;
    let wrong_secret = "local/Wrong+Secret/Key000000000000000000";
    for addr in [secure, open] {
        let reply = send(signed(
            addr,
            "/app",
            MEMBER_KEY,
            wrong_secret,
            SystemTime::now(),
            false,
        ))
        .await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "{addr}");
        assert!(
            reply.text().contains("signature does not match"),
            "{}",
            reply.text()
        );
        assert!(!reply.text().contains(wrong_secret));
    }
    // A signed request whose path was changed after signing.
    let mut altered = signed(
        secure,
        "/app",
        MEMBER_KEY,
        MEMBER_SECRET,
        SystemTime::now(),
        false,
    );
    *altered.uri_mut() = format!("http://{secure}/app2").parse().unwrap();
    assert_eq!(send(altered).await.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn an_expired_date_is_denied() {
    let (_stack, secure, _) = start().await;
    let an_hour_ago = SystemTime::now() - Duration::from_secs(3600);
    let reply = send(signed(
        secure,
        "/app",
        MEMBER_KEY,
        MEMBER_SECRET,
        an_hour_ago,
        false,
    ))
    .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    assert!(reply.text().contains("before"), "{}", reply.text());
}

#[tokio::test]
async fn an_explicit_deny_in_the_policy_wins() {
    let (_stack, secure, _) = start().await;
    let reply = send(signed(
        secure,
        "/admin/users",
        MEMBER_KEY,
        MEMBER_SECRET,
        SystemTime::now(),
        false,
    ))
    .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    assert!(reply.text().contains("NoAdmin"), "{}", reply.text());
    assert!(reply.text().contains(MEMBER_ARN), "{}", reply.text());
}

#[tokio::test]
async fn the_organization_condition_admits_members_only() {
    let (_stack, secure, _) = start().await;
    let outsider = send(signed(
        secure,
        "/app",
        OUTSIDER_KEY,
        OUTSIDER_SECRET,
        SystemTime::now(),
        false,
    ))
    .await;
    assert_eq!(outsider.status, StatusCode::FORBIDDEN);
    assert!(
        outsider.text().contains("no statement"),
        "{}",
        outsider.text()
    );
    let member = send(signed(
        secure,
        "/app",
        MEMBER_KEY,
        MEMBER_SECRET,
        SystemTime::now(),
        false,
    ))
    .await;
    assert_eq!(member.status, StatusCode::OK);
}

#[tokio::test]
async fn an_unknown_access_key_is_denied() {
    let (_stack, secure, _) = start().await;
    let reply = send(signed(
        secure,
        "/app",
        "AKIALOCALNOBODY00001",
        MEMBER_SECRET,
        SystemTime::now(),
        false,
    ))
    .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    assert!(
        reply.text().contains("AKIALOCALNOBODY00001"),
        "{}",
        reply.text()
    );
}

#[tokio::test]
async fn an_aws_iam_service_without_policy_denies_everything() {
    let yaml = TEMPLATE.split("  SecurePolicy:").next().unwrap();
    let topology = Topology::from_yaml(yaml, &LoadOptions::new(REGION)).unwrap();
    let store = CredentialStore::from_entries(vec![principal(
        MEMBER_KEY,
        MEMBER_SECRET,
        MEMBER_ARN,
        "o-goodorg123",
    )])
    .unwrap();
    let upstream = echo_upstream("pods").await;
    let mut options = StackOptions::new(DataPlaneOptions::new(REGION, Arc::new(store)));
    options.upstreams = BTreeMap::from([("Pods".to_owned(), format!("http://{upstream}"))]);
    let stack = Stack::start(&topology, options, |_| unreachable!())
        .await
        .unwrap();
    let secure = stack.data_plane.endpoint("secure").unwrap().addr;
    let reply = send(signed(
        secure,
        "/app",
        MEMBER_KEY,
        MEMBER_SECRET,
        SystemTime::now(),
        false,
    ))
    .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    assert!(reply.text().contains("no auth policy"), "{}", reply.text());
}
