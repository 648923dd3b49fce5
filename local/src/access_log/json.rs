//! `--access-log json`: one [`AccessRecord`] as the JSON object Lattice publishes to
//! `VpcLatticeAccessLogs`, with its field names and types, so that a query written for real
//! access logs (CloudWatch Logs Insights, Athena) runs on local ones.
//!
//! Field names and types follow the User Guide's *Access log contents* (Amazon VPC Lattice,
//! *Access logs*) and real records: numbers (`responseCode`, `bytesReceived`, `bytesSent`,
//! `duration`, `requestToTargetDuration`, `responseFromTargetDuration`) are JSON integers,
//! durations in milliseconds, `0` when nothing was timed (a denied request has
//! `requestToTargetDuration: 0`); every other field is a string, `-` when absent; `startTime`
//! is RFC 3339 UTC to the second (`2024-08-04T11:28:40Z`). `docs/lattice-local.md` lists each
//! field and what lattice-local puts in it.

use std::time::Duration;

use serde::Serialize;

use super::record::AccessRecord;

/// What Lattice writes for an absent value.
const ABSENT: &str = "-";

/// The `VpcLatticeAccessLogs` object of one record (borrowing from it).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LatticeAccessLog<'a> {
    start_time: String,
    service_network_arn: &'a str,
    service_arn: &'a str,
    target_group_arn: &'a str,
    resolved_user: &'a str,
    auth_denied_reason: &'a str,
    failure_reason: &'a str,
    source_vpc_arn: &'a str,
    source_vpc_id: &'a str,
    destination_vpc_id: &'a str,
    source_ip_port: String,
    target_ip_port: &'a str,
    request_method: &'a str,
    request_path: &'a str,
    protocol: &'static str,
    response_code: u16,
    bytes_received: u64,
    bytes_sent: u64,
    duration: u64,
    request_to_target_duration: u64,
    response_from_target_duration: u64,
    user_agent: &'a str,
    host_header: &'a str,
    server_name_indication: &'a str,
    tls_version: &'a str,
    ssl_cipher: &'a str,
    caller_principal: &'a str,
    #[serde(rename = "callerPrincipalOrgID")]
    caller_principal_org_id: &'a str,
    #[serde(rename = "callerX509IssuerOU")]
    caller_x509_issuer_ou: &'a str,
    #[serde(rename = "callerX509SubjectCN")]
    caller_x509_subject_cn: &'a str,
    #[serde(rename = "callerX509SANNameCN")]
    caller_x509_san_name_cn: &'a str,
    #[serde(rename = "callerX509SANDNS")]
    caller_x509_san_dns: &'a str,
    #[serde(rename = "callerX509SANURI")]
    caller_x509_san_uri: &'a str,
}

/// `value`, or `-`.
fn or_absent(value: Option<&str>) -> &str {
    value.unwrap_or(ABSENT)
}

/// Whole milliseconds, as Lattice counts them.
fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

/// How Lattice names the HTTP version (`HTTP/1.1`).
fn protocol(version: http::Version) -> &'static str {
    match version {
        http::Version::HTTP_09 => "HTTP/0.9",
        http::Version::HTTP_10 => "HTTP/1.0",
        http::Version::HTTP_2 => "HTTP/2",
        http::Version::HTTP_3 => "HTTP/3",
        _ => "HTTP/1.1",
    }
}

impl AccessRecord {
    /// This record as Lattice's `VpcLatticeAccessLogs` object.
    pub fn lattice_access_log(&self) -> LatticeAccessLog<'_> {
        let caller = self.caller.as_ref();
        let x509 = caller.map(|c| &c.x509);
        let source_vpc_arn = caller.and_then(|c| c.source_vpc_arn());
        let tls = self.tls.as_ref();
        LatticeAccessLog {
            start_time: humantime::format_rfc3339_seconds(self.start_time).to_string(),
            service_network_arn: or_absent(self.service_network_arn.as_deref()),
            service_arn: or_absent(self.service_arn.as_deref()),
            target_group_arn: or_absent(self.target_group_arn.as_deref()),
            resolved_user: or_absent(caller.and_then(|c| c.principal())),
            auth_denied_reason: or_absent(self.auth_denied_reason),
            failure_reason: or_absent(self.failure_reason),
            source_vpc_arn: or_absent(source_vpc_arn),
            source_vpc_id: or_absent(
                source_vpc_arn
                    .and_then(|arn| arn.rsplit_once(":vpc/"))
                    .map(|(_, id)| id),
            ),
            // The VPC of the target group: targets are local processes, in no VPC.
            destination_vpc_id: ABSENT,
            source_ip_port: self.client.to_string(),
            target_ip_port: or_absent(self.target_addr.as_deref()),
            request_method: self.method.as_str(),
            request_path: self.uri.path(),
            protocol: protocol(self.version),
            response_code: self.status.as_u16(),
            bytes_received: self.bytes_received,
            bytes_sent: self.bytes_sent,
            duration: millis(self.duration),
            request_to_target_duration: self.request_to_target.map_or(0, millis),
            response_from_target_duration: self.response_from_target.map_or(0, millis),
            user_agent: or_absent(self.user_agent.as_deref()),
            host_header: or_absent(self.host.as_deref()),
            server_name_indication: or_absent(tls.and_then(|t| t.server_name.as_deref())),
            tls_version: or_absent(tls.map(|t| t.version)),
            ssl_cipher: or_absent(tls.map(|t| t.cipher)),
            caller_principal: or_absent(caller.and_then(|c| c.principal())),
            caller_principal_org_id: or_absent(caller.and_then(|c| c.principal_org_id())),
            caller_x509_issuer_ou: or_absent(x509.and_then(|x| x.issuer_ou.as_deref())),
            caller_x509_subject_cn: or_absent(x509.and_then(|x| x.subject_cn.as_deref())),
            caller_x509_san_name_cn: or_absent(x509.and_then(|x| x.san_name_cn.as_deref())),
            caller_x509_san_dns: or_absent(x509.and_then(|x| x.san_dns.as_deref())),
            caller_x509_san_uri: or_absent(x509.and_then(|x| x.san_uri.as_deref())),
        }
    }

    /// This record as one line of JSON (no newline).
    pub fn to_json_line(&self) -> String {
        // Only strings and integers: serialisation cannot fail.
        serde_json::to_string(&self.lattice_access_log()).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use std::time::UNIX_EPOCH;

    use http::{Method, StatusCode, Uri};
    use lattice_lambda::{AuthType, Identity, X509Identity};
    use serde_json::Value;

    use super::*;
    use crate::access_log::TlsFacts;

    /// Every field of the User Guide's *Access log contents* that a local request can have, with
    /// the JSON type Lattice gives it.
    const INTEGER_FIELDS: [&str; 6] = [
        "responseCode",
        "bytesReceived",
        "bytesSent",
        "duration",
        "requestToTargetDuration",
        "responseFromTargetDuration",
    ];
    const STRING_FIELDS: [&str; 27] = [
        "startTime",
        "serviceNetworkArn",
        "serviceArn",
        "targetGroupArn",
        "resolvedUser",
        "authDeniedReason",
        "failureReason",
        "sourceVpcArn",
        "sourceVpcId",
        "destinationVpcId",
        "sourceIpPort",
        "targetIpPort",
        "requestMethod",
        "requestPath",
        "protocol",
        "userAgent",
        "hostHeader",
        "serverNameIndication",
        "tlsVersion",
        "sslCipher",
        "callerPrincipal",
        "callerPrincipalOrgID",
        "callerX509IssuerOU",
        "callerX509SubjectCN",
        "callerX509SANNameCN",
        "callerX509SANDNS",
        "callerX509SANURI",
    ];

    fn parsed(record: &AccessRecord) -> serde_json::Map<String, Value> {
        let line = record.to_json_line();
        assert!(!line.contains('\n'), "{line}");
        match serde_json::from_str(&line) {
            Ok(Value::Object(map)) => map,
            other => panic!("not a JSON object: {other:?} from {line}"),
        }
    }

    fn served() -> AccessRecord {
        let mut record = AccessRecord::new(
            UNIX_EPOCH + Duration::from_millis(1_722_770_920_250),
            Method::POST,
            Uri::from_static("/orders/7?token=secret"),
            "127.0.0.1:57086".parse().unwrap(),
        );
        record.host = Some("orders.lattice.localhost:8080".into());
        record.user_agent = Some("curl/8.5.0".into());
        record.service = Some("orders".into());
        record.service_arn =
            Some("arn:aws:vpc-lattice:us-west-2:000000000000:service/svc-0orders".into());
        record.service_network_arn =
            Some("arn:aws:vpc-lattice:us-west-2:000000000000:servicenetwork/sn-0net".into());
        record.target_group_arn =
            Some("arn:aws:vpc-lattice:us-west-2:000000000000:targetgroup/tg-0pods".into());
        record.target_addr = Some("127.0.0.1:8090".into());
        record.caller = Some(Identity {
            source_vpc_arn: Some("arn:aws:ec2:us-west-2:000000000000:vpc/vpc-0caller".into()),
            auth_type: Some(AuthType::AwsIam),
            principal: Some("arn:aws:iam::000000000000:role/client".into()),
            principal_org_id: Some("o-abc".into()),
            x509: X509Identity {
                subject_cn: Some("device-7".into()),
                ..X509Identity::default()
            },
            ..Identity::default()
        });
        record.tls = Some(TlsFacts {
            server_name: Some("orders.lattice.localhost".into()),
            version: "TLSv1.3",
            cipher: "TLS_AES_128_GCM_SHA256",
        });
        record.status = StatusCode::CREATED;
        record.duration = Duration::from_micros(23_900);
        record.request_to_target = Some(Duration::from_micros(1_200));
        record.response_from_target = Some(Duration::from_micros(2_700));
        record.bytes_received = 135;
        record.bytes_sent = 1247;
        record
    }

    #[test]
    fn every_field_is_present_with_the_type_lattice_gives_it() {
        for record in [
            served(),
            AccessRecord::new(
                UNIX_EPOCH,
                Method::GET,
                Uri::from_static("/"),
                "127.0.0.1:1".parse().unwrap(),
            ),
        ] {
            let map = parsed(&record);
            for field in INTEGER_FIELDS {
                assert!(
                    map.get(field).is_some_and(Value::is_u64),
                    "{field}: {map:?}"
                );
            }
            for field in STRING_FIELDS {
                assert!(
                    map.get(field).is_some_and(Value::is_string),
                    "{field}: {map:?}"
                );
            }
            assert_eq!(
                map.len(),
                INTEGER_FIELDS.len() + STRING_FIELDS.len(),
                "{map:?}"
            );
        }
    }

    #[test]
    fn a_served_request_reads_like_a_real_record() {
        let map = parsed(&served());
        let text = |field: &str| map[field].as_str().unwrap().to_owned();
        assert_eq!(text("startTime"), "2024-08-04T11:28:40Z");
        assert_eq!(text("requestMethod"), "POST");
        // The query string never reaches the log: it may carry presigned credentials.
        assert_eq!(text("requestPath"), "/orders/7");
        assert_eq!(text("protocol"), "HTTP/1.1");
        assert_eq!(map["responseCode"], 201);
        assert_eq!(map["duration"], 23);
        assert_eq!(map["requestToTargetDuration"], 1);
        assert_eq!(map["responseFromTargetDuration"], 2);
        assert_eq!(map["bytesReceived"], 135);
        assert_eq!(map["bytesSent"], 1247);
        assert_eq!(text("sourceIpPort"), "127.0.0.1:57086");
        assert_eq!(text("targetIpPort"), "127.0.0.1:8090");
        assert_eq!(text("sourceVpcId"), "vpc-0caller");
        assert_eq!(text("destinationVpcId"), "-");
        assert_eq!(
            text("resolvedUser"),
            "arn:aws:iam::000000000000:role/client"
        );
        assert_eq!(
            text("callerPrincipal"),
            "arn:aws:iam::000000000000:role/client"
        );
        assert_eq!(text("callerPrincipalOrgID"), "o-abc");
        assert_eq!(text("callerX509SubjectCN"), "device-7");
        assert_eq!(text("callerX509SANDNS"), "-");
        assert_eq!(text("tlsVersion"), "TLSv1.3");
        assert_eq!(text("serverNameIndication"), "orders.lattice.localhost");
        assert_eq!(text("authDeniedReason"), "-");
        assert_eq!(text("failureReason"), "-");
    }

    #[test]
    fn a_request_refused_before_any_target_has_dashes_and_zero_timings() {
        let mut record = AccessRecord::new(
            UNIX_EPOCH,
            Method::GET,
            Uri::from_static("/admin"),
            "127.0.0.1:4000".parse().unwrap(),
        );
        record.status = StatusCode::FORBIDDEN;
        record.failure_reason = Some("ClientAccessDenied");
        record.auth_denied_reason = Some("Service");
        record.duration = Duration::from_millis(3);
        let map = parsed(&record);
        assert_eq!(map["startTime"], "1970-01-01T00:00:00Z");
        assert_eq!(map["authDeniedReason"], "Service");
        assert_eq!(map["failureReason"], "ClientAccessDenied");
        assert_eq!(map["requestToTargetDuration"], 0);
        assert_eq!(map["responseFromTargetDuration"], 0);
        assert_eq!(map["duration"], 3);
        for field in [
            "targetIpPort",
            "targetGroupArn",
            "resolvedUser",
            "sslCipher",
            "hostHeader",
        ] {
            assert_eq!(map[field], "-", "{field}");
        }
    }
}
