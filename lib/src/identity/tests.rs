use super::*;
use http::HeaderValue;

fn every_field() -> Identity {
    Identity {
        source_vpc_arn: Some("arn:aws:ec2:eu-west-1:1:vpc/vpc-9".into()),
        auth_type: Some(AuthType::AwsIam),
        principal: Some("arn:aws:sts::1:assumed-role/r/s".into()),
        principal_org_id: Some("o-1".into()),
        principal_org_path: Some("o-1/r-ab12/ou-ab12-cdef3456/".into()),
        session_name: Some("s".into()),
        x509: X509Identity {
            issuer_ou: Some("Eng".into()),
            san_dns: Some("a.example.com".into()),
            san_name_cn: Some("cn".into()),
            san_uri: Some("https://a.example.com/x?y=z".into()),
            subject_cn: Some("subj".into()),
        },
        tags: vec![
            ("team".into(), "pay;ments".into()),
            ("cost-center".into(), String::new()),
        ],
    }
}

fn header_map(pairs: &[(&str, &str)]) -> HeaderMap {
    let mut headers = HeaderMap::new();
    for (name, value) in pairs {
        headers.append(
            http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
            HeaderValue::from_str(value).unwrap(),
        );
    }
    headers
}

#[test]
fn identity_header_round_trips_every_field() {
    let identity = every_field();
    let mut parsed = Identity::try_from_headers(
        identity.identity_header().as_deref(),
        identity.network_header().as_deref(),
    )
    .unwrap();
    assert!(parsed.tags.is_empty(), "tags travel in their own header");
    parsed.tags = Identity::tags_from_header_map(&header_map(&[(
        IDENTITY_TAGS_HEADER,
        &identity.identity_tags_header().unwrap().unwrap(),
    )]))
    .unwrap();
    assert_eq!(parsed, identity);
}

#[test]
fn context_headers_round_trip_through_a_header_map() {
    let context = RequestContext {
        service_network_arn: Some("arn:sn".into()),
        service_arn: Some("arn:svc".into()),
        target_group_arn: Some("arn:tg".into()),
        identity: every_field(),
        ..RequestContext::default()
    };
    let headers = context.lattice_headers();
    let names: Vec<&str> = headers.iter().map(|(n, _)| *n).collect();
    assert_eq!(
        names,
        [
            IDENTITY_HEADER,
            NETWORK_HEADER,
            TARGET_HEADER,
            IDENTITY_TAGS_HEADER
        ]
    );
    let pairs: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (*n, v.as_str())).collect();
    let parsed = RequestContext::from_header_map(&header_map(&pairs))
        .unwrap()
        .unwrap();
    assert_eq!(parsed, context);
}

#[test]
fn untagged_identities_get_no_tags_header_and_no_network_without_a_vpc() {
    let context = RequestContext {
        service_arn: Some("arn:svc".into()),
        identity: Identity {
            principal: Some("arn:p".into()),
            ..Identity::default()
        },
        ..RequestContext::default()
    };
    let names: Vec<&str> = context.lattice_headers().iter().map(|(n, _)| *n).collect();
    assert_eq!(names, [IDENTITY_HEADER, TARGET_HEADER]);
    // Asked for explicitly, the principal alone still makes a tags header.
    assert_eq!(
        context.identity.identity_tags_header().unwrap().as_deref(),
        Some("principal=arn:p;principalorgid=")
    );
    assert_eq!(Identity::default().identity_tags_header().unwrap(), None);
}

#[test]
fn malformed_header_pairs_are_skipped() {
    let identity = Identity::from_headers(Some("garbage; Principal=arn:p;;=x"), Some("nope"));
    assert_eq!(identity.principal(), Some("arn:p"));
    assert_eq!(identity.source_vpc_arn(), None);
}

/// A Roles Anywhere caller whose certificate subject CN carries a forged pair: the real
/// header Lattice would write, with the CN value verbatim (this header escapes nothing).
const FORGED_PRINCIPAL: &str = "Principal=arn:aws:sts::123456789012:assumed-role/device/s; \
     PrincipalOrgID=o-50dc6c495c0c9188; SessionName=s; \
     X509Issuer/OU=Devices; X509Subject/CN=device-17; Principal=arn:aws:iam::123456789012:role/admin";

#[test]
fn a_certificate_cannot_override_the_principal() {
    let err = Identity::try_from_headers(Some(FORGED_PRINCIPAL), None).unwrap_err();
    assert_eq!(
        err,
        IdentityHeaderError::RepeatedKey {
            header: IDENTITY_HEADER,
            key: "Principal".into()
        }
    );
    assert!(!err.to_string().contains("admin"), "{err}");
    // The infallible reader drops the whole identity: nothing of it is trusted, not even the
    // first principal; the network header is still read.
    let identity = Identity::from_headers(
        Some(FORGED_PRINCIPAL),
        Some("SourceVpcArn=arn:aws:ec2:us-west-2:1:vpc/vpc-1"),
    );
    assert_eq!(identity.principal(), None);
    assert_eq!(identity.principal_org_id(), None);
    assert_eq!(
        identity.source_vpc_arn(),
        Some("arn:aws:ec2:us-west-2:1:vpc/vpc-1")
    );
}

#[test]
fn a_certificate_cannot_add_a_principal_key_lattice_did_not_write() {
    // No PrincipalOrgID for this caller: the CN adds one. Only the order gives it away.
    for forged in [
        "Principal=arn:aws:iam::1:role/device; X509Subject/CN=d; PrincipalOrgID=o-trusted",
        "Principal=arn:aws:iam::1:role/device; X509SAN/URI=spiffe://x; principalorgpath=o-t/r-1/",
        "Principal=arn:aws:iam::1:role/device; X509Subject/CN=d; sessionName=admin",
    ] {
        let err = Identity::try_from_headers(Some(forged), None).unwrap_err();
        assert!(
            matches!(err, IdentityHeaderError::KeyAfterX509 { .. }),
            "{forged}: {err}"
        );
    }
    // Type may come anywhere: Lattice does not document its place, and it grants nothing.
    let identity = Identity::try_from_headers(
        Some("Principal=arn:p; X509Subject/CN=d; Type=AWS_IAM"),
        None,
    )
    .unwrap();
    assert_eq!(identity.auth_type(), Some(&AuthType::AwsIam));
}

#[test]
fn a_repeated_key_in_another_spelling_or_case_is_caught() {
    for forged in [
        "Principal=arn:a; principal=arn:b",
        "PrincipalOrgID=o-1; principalOrgId=o-2",
        "X509Subject/CN=a; X509SubjectCn=b",
    ] {
        assert!(
            matches!(
                Identity::try_from_headers(Some(forged), None),
                Err(IdentityHeaderError::RepeatedKey { .. })
            ),
            "{forged}"
        );
    }
    assert!(Identity::try_from_headers(None, Some("SourceVpcArn=a; SourceVpcArn=b")).is_err());
}

#[test]
fn documented_alternative_spellings_are_read() {
    let identity = Identity::try_from_headers(
        Some("principal=arn:p; principalOrgId=o-1; X509SubjectCn=cn; x509SanNameCn=n"),
        Some("sourceVpcArn=arn:vpc"),
    )
    .unwrap();
    assert_eq!(identity.principal(), Some("arn:p"));
    assert_eq!(identity.principal_org_id(), Some("o-1"));
    assert_eq!(identity.x509.subject_cn.as_deref(), Some("cn"));
    assert_eq!(identity.x509.san_name_cn.as_deref(), Some("n"));
    assert_eq!(identity.source_vpc_arn(), Some("arn:vpc"));
}

#[test]
fn a_lattice_header_sent_twice_is_refused() {
    let headers = header_map(&[
        (IDENTITY_HEADER, "Principal=arn:aws:iam::1:role/app"),
        (IDENTITY_HEADER, "Principal=arn:aws:iam::1:role/admin"),
    ]);
    assert_eq!(
        RequestContext::from_header_map(&headers).unwrap_err(),
        IdentityHeaderError::RepeatedHeader {
            header: IDENTITY_HEADER
        }
    );
}

#[test]
fn utf8_certificate_names_are_read_and_other_bytes_refused() {
    let mut headers = HeaderMap::new();
    headers.insert(
        IDENTITY_HEADER,
        HeaderValue::from_bytes("Principal=arn:p; X509Subject/CN=Zoë".as_bytes()).unwrap(),
    );
    let context = RequestContext::from_header_map(&headers).unwrap().unwrap();
    assert_eq!(context.identity.x509.subject_cn.as_deref(), Some("Zoë"));
    headers.insert(
        IDENTITY_HEADER,
        HeaderValue::from_bytes(b"Principal=\xff").unwrap(),
    );
    assert!(matches!(
        RequestContext::from_header_map(&headers),
        Err(IdentityHeaderError::NotText { .. })
    ));
}

#[test]
fn identity_tags_are_read_with_escapes() {
    let headers = header_map(&[(
        IDENTITY_TAGS_HEADER,
        r"principal=arn:aws:iam::1:role/app;principalorgid=o-1;team=a\;b;env=",
    )]);
    let context = RequestContext::from_header_map(&headers).unwrap().unwrap();
    assert_eq!(context.identity.tag("team"), Some("a;b"));
    assert_eq!(context.identity.tag("env"), Some(""));
    assert_eq!(context.identity.tags().len(), 2);
}

#[test]
fn an_unauthenticated_caller_gets_no_identity_header_and_is_read_back_as_none() {
    let context = RequestContext {
        service_arn: Some("arn:svc".into()),
        identity: Identity {
            auth_type: Some(AuthType::None),
            source_vpc_arn: Some("arn:aws:ec2:us-west-2:1:vpc/vpc-1".into()),
            ..Identity::default()
        },
        ..RequestContext::default()
    };
    // As in Lattice's V1 example for an unauthenticated caller: network and target only.
    let headers = context.lattice_headers();
    let names: Vec<&str> = headers.iter().map(|(n, _)| *n).collect();
    assert_eq!(names, [NETWORK_HEADER, TARGET_HEADER]);
    let pairs: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (*n, v.as_str())).collect();
    let read = RequestContext::from_header_map(&header_map(&pairs))
        .unwrap()
        .unwrap();
    assert_eq!(read, context);
    let legacy = RequestContext::from_headers(Some("ServiceArn=arn:svc"), None, None);
    assert_eq!(legacy.identity.auth_type(), Some(&AuthType::None));
}
