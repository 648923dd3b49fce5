//! Who called and through what: the Lattice request context and caller identity.
//!
//! V2 events carry these in `requestContext`. V1 events have no request
//! context, but Lattice adds the same facts as headers
//! (`x-amzn-lattice-identity`, `x-amzn-lattice-network`,
//! `x-amzn-lattice-target`), which are parsed here; the same functions format
//! those headers for the local emulator, so both directions agree.

use std::time::SystemTime;

use serde::Serialize;

/// Header Lattice adds with the caller's identity (`Principal=…; PrincipalOrgID=…; …`).
pub const IDENTITY_HEADER: &str = "x-amzn-lattice-identity";
/// Header Lattice adds with the caller's network (`SourceVpcArn=…`).
pub const NETWORK_HEADER: &str = "x-amzn-lattice-network";
/// Header Lattice adds with the target (`ServiceArn=…; ServiceNetworkArn=…; TargetGroupArn=…`).
pub const TARGET_HEADER: &str = "x-amzn-lattice-target";

/// How the caller authenticated to Lattice.
///
/// ```
/// use lattice_lambda::AuthType;
/// assert_eq!(AuthType::from_wire("AWS_IAM"), AuthType::AwsIam);
/// assert_eq!(AuthType::from_wire("NONE").as_str(), "NONE");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum AuthType {
    /// Unauthenticated (`NONE`).
    None,
    /// Signed with SigV4 or SigV4A (`AWS_IAM`).
    AwsIam,
    /// A value this library does not know yet, kept verbatim.
    Other(String),
}

impl AuthType {
    /// Reads the wire value (`identity.type` or `Type=` in the identity header).
    pub fn from_wire(value: &str) -> Self {
        match value {
            "NONE" => AuthType::None,
            "AWS_IAM" => AuthType::AwsIam,
            other => AuthType::Other(other.to_owned()),
        }
    }

    /// The wire value.
    pub fn as_str(&self) -> &str {
        match self {
            AuthType::None => "NONE",
            AuthType::AwsIam => "AWS_IAM",
            AuthType::Other(other) => other,
        }
    }
}

impl Serialize for AuthType {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// X.509 facts of a caller that authenticated with IAM Roles Anywhere.
///
/// ```
/// let x509 = lattice_lambda::X509Identity::default();
/// assert!(x509.is_empty());
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct X509Identity {
    /// Issuer organisational unit.
    pub issuer_ou: Option<String>,
    /// Subject alternative name: DNS.
    pub san_dns: Option<String>,
    /// Subject alternative name: name CN.
    pub san_name_cn: Option<String>,
    /// Subject alternative name: URI.
    pub san_uri: Option<String>,
    /// Subject common name.
    pub subject_cn: Option<String>,
}

impl X509Identity {
    /// Whether no X.509 field is present.
    pub fn is_empty(&self) -> bool {
        self.issuer_ou.is_none()
            && self.san_dns.is_none()
            && self.san_name_cn.is_none()
            && self.san_uri.is_none()
            && self.subject_cn.is_none()
    }
}

/// The caller as Lattice saw it. Every field is optional: an unauthenticated
/// caller has only a source VPC, and even that may be absent.
///
/// These are claims made by Lattice about the caller; check them (for example
/// against an allow-list) rather than trusting them for more than they say.
///
/// ```
/// use lattice_lambda::{AuthType, Identity};
/// let identity = Identity::from_headers(
///     Some("Principal=arn:aws:iam::123456789012:role/app; PrincipalOrgID=o-abc; Type=AWS_IAM"),
///     Some("SourceVpcArn=arn:aws:ec2:us-west-2:123456789012:vpc/vpc-1"),
/// );
/// assert_eq!(identity.principal(), Some("arn:aws:iam::123456789012:role/app"));
/// assert_eq!(identity.auth_type(), Some(&AuthType::AwsIam));
/// assert_eq!(identity.source_vpc_arn(), Some("arn:aws:ec2:us-west-2:123456789012:vpc/vpc-1"));
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Identity {
    /// ARN of the VPC the request came from.
    pub source_vpc_arn: Option<String>,
    /// How the caller authenticated.
    pub auth_type: Option<AuthType>,
    /// The authenticated principal's ARN.
    pub principal: Option<String>,
    /// The principal's AWS Organizations id.
    pub principal_org_id: Option<String>,
    /// The role session name, for assumed roles.
    pub session_name: Option<String>,
    /// X.509 facts (IAM Roles Anywhere).
    pub x509: X509Identity,
}

impl Identity {
    /// ARN of the VPC the request came from.
    pub fn source_vpc_arn(&self) -> Option<&str> {
        self.source_vpc_arn.as_deref()
    }

    /// How the caller authenticated.
    pub fn auth_type(&self) -> Option<&AuthType> {
        self.auth_type.as_ref()
    }

    /// The authenticated principal's ARN.
    pub fn principal(&self) -> Option<&str> {
        self.principal.as_deref()
    }

    /// The principal's AWS Organizations id.
    pub fn principal_org_id(&self) -> Option<&str> {
        self.principal_org_id.as_deref()
    }

    /// The role session name.
    pub fn session_name(&self) -> Option<&str> {
        self.session_name.as_deref()
    }

    /// Whether nothing at all is known about the caller.
    pub fn is_empty(&self) -> bool {
        self == &Identity::default()
    }

    /// Reads the identity from the `x-amzn-lattice-identity` and
    /// `x-amzn-lattice-network` header values (V1 events carry it only there).
    /// Unknown keys are ignored; malformed pairs are skipped.
    pub fn from_headers(identity: Option<&str>, network: Option<&str>) -> Self {
        let mut out = Identity::default();
        for (key, value) in identity.into_iter().flat_map(header_pairs) {
            let slot = match key {
                "Principal" => &mut out.principal,
                "PrincipalOrgID" => &mut out.principal_org_id,
                "SessionName" => &mut out.session_name,
                "X509Issuer/OU" => &mut out.x509.issuer_ou,
                "X509SAN/DNS" => &mut out.x509.san_dns,
                "X509SAN/NameCN" => &mut out.x509.san_name_cn,
                "X509SAN/URI" => &mut out.x509.san_uri,
                "X509Subject/CN" => &mut out.x509.subject_cn,
                "Type" => {
                    out.auth_type = Some(AuthType::from_wire(value));
                    continue;
                }
                _ => continue,
            };
            *slot = Some(value.to_owned());
        }
        for (key, value) in network.into_iter().flat_map(header_pairs) {
            if key == "SourceVpcArn" {
                out.source_vpc_arn = Some(value.to_owned());
            }
        }
        out
    }

    /// Formats the `x-amzn-lattice-identity` header value, or `None` when
    /// there is nothing to say.
    ///
    /// ```
    /// let identity = lattice_lambda::Identity {
    ///     principal: Some("arn:aws:iam::1:role/r".into()),
    ///     ..Default::default()
    /// };
    /// assert_eq!(identity.identity_header().as_deref(), Some("Principal=arn:aws:iam::1:role/r"));
    /// ```
    pub fn identity_header(&self) -> Option<String> {
        let auth = self.auth_type.as_ref().map(AuthType::as_str);
        join_pairs(&[
            ("Principal", self.principal.as_deref()),
            ("PrincipalOrgID", self.principal_org_id.as_deref()),
            ("SessionName", self.session_name.as_deref()),
            ("Type", auth),
            ("X509Issuer/OU", self.x509.issuer_ou.as_deref()),
            ("X509SAN/DNS", self.x509.san_dns.as_deref()),
            ("X509SAN/NameCN", self.x509.san_name_cn.as_deref()),
            ("X509SAN/URI", self.x509.san_uri.as_deref()),
            ("X509Subject/CN", self.x509.subject_cn.as_deref()),
        ])
    }

    /// Formats the `x-amzn-lattice-network` header value.
    pub fn network_header(&self) -> Option<String> {
        join_pairs(&[("SourceVpcArn", self.source_vpc_arn.as_deref())])
    }
}

/// Where a request went through Lattice, when, and who sent it.
///
/// V2 events always carry every ARN, the region and the time; V1 events carry
/// only what Lattice put in its headers, so every field is optional.
///
/// ```
/// let context = lattice_lambda::RequestContext::from_headers(
///     Some("ServiceArn=arn:aws:vpc-lattice:us-west-2:1:service/svc-1; TargetGroupArn=arn:aws:vpc-lattice:us-west-2:1:targetgroup/tg-1"),
///     None,
///     None,
/// );
/// assert_eq!(context.service_arn(), Some("arn:aws:vpc-lattice:us-west-2:1:service/svc-1"));
/// assert_eq!(context.service_network_arn(), None);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RequestContext {
    /// ARN of the service network the request came through.
    pub service_network_arn: Option<String>,
    /// ARN of the Lattice service.
    pub service_arn: Option<String>,
    /// ARN of the target group that forwarded to this function.
    pub target_group_arn: Option<String>,
    /// Region of the service.
    pub region: Option<String>,
    /// When Lattice received the request (`timeEpoch`, microsecond precision).
    pub time: Option<SystemTime>,
    /// The caller.
    pub identity: Identity,
}

impl RequestContext {
    /// ARN of the service network.
    pub fn service_network_arn(&self) -> Option<&str> {
        self.service_network_arn.as_deref()
    }

    /// ARN of the Lattice service.
    pub fn service_arn(&self) -> Option<&str> {
        self.service_arn.as_deref()
    }

    /// ARN of the target group.
    pub fn target_group_arn(&self) -> Option<&str> {
        self.target_group_arn.as_deref()
    }

    /// Region of the service.
    pub fn region(&self) -> Option<&str> {
        self.region.as_deref()
    }

    /// When Lattice received the request.
    pub fn time(&self) -> Option<SystemTime> {
        self.time
    }

    /// The caller.
    pub fn identity(&self) -> &Identity {
        &self.identity
    }

    /// Reads the context from the three Lattice header values (V1 events).
    pub fn from_headers(
        target: Option<&str>,
        identity: Option<&str>,
        network: Option<&str>,
    ) -> Self {
        let mut out = RequestContext {
            identity: Identity::from_headers(identity, network),
            ..RequestContext::default()
        };
        for (key, value) in target.into_iter().flat_map(header_pairs) {
            let slot = match key {
                "ServiceArn" => &mut out.service_arn,
                "ServiceNetworkArn" => &mut out.service_network_arn,
                "TargetGroupArn" => &mut out.target_group_arn,
                _ => continue,
            };
            *slot = Some(value.to_owned());
        }
        out
    }

    /// Formats the `x-amzn-lattice-target` header value.
    pub fn target_header(&self) -> Option<String> {
        join_pairs(&[
            ("ServiceArn", self.service_arn.as_deref()),
            ("ServiceNetworkArn", self.service_network_arn.as_deref()),
            ("TargetGroupArn", self.target_group_arn.as_deref()),
        ])
    }

    /// The three headers Lattice adds toward a target, as `(name, value)`
    /// pairs; absent facts produce no header.
    ///
    /// ```
    /// let context = lattice_lambda::RequestContext {
    ///     service_arn: Some("arn:svc".into()),
    ///     ..Default::default()
    /// };
    /// assert_eq!(context.lattice_headers(), [("x-amzn-lattice-target", "ServiceArn=arn:svc".to_string())]);
    /// ```
    pub fn lattice_headers(&self) -> Vec<(&'static str, String)> {
        [
            (IDENTITY_HEADER, self.identity.identity_header()),
            (NETWORK_HEADER, self.identity.network_header()),
            (TARGET_HEADER, self.target_header()),
        ]
        .into_iter()
        .filter_map(|(name, value)| value.map(|v| (name, v)))
        .collect()
    }
}

/// Splits `Key=value; Key2=value2` into pairs; values may contain `=`.
fn header_pairs(value: &str) -> impl Iterator<Item = (&str, &str)> {
    value
        .split(';')
        .filter_map(|pair| pair.trim().split_once('='))
        .map(|(k, v)| (k.trim(), v.trim()))
}

fn join_pairs(pairs: &[(&str, Option<&str>)]) -> Option<String> {
    let parts: Vec<String> = pairs
        .iter()
        .filter_map(|(key, value)| value.map(|v| format!("{key}={v}")))
        .collect();
    (!parts.is_empty()).then(|| parts.join("; "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_header_round_trips_every_field() {
        let identity = Identity {
            source_vpc_arn: Some("arn:aws:ec2:eu-west-1:1:vpc/vpc-9".into()),
            auth_type: Some(AuthType::AwsIam),
            principal: Some("arn:aws:sts::1:assumed-role/r/s".into()),
            principal_org_id: Some("o-1".into()),
            session_name: Some("s".into()),
            x509: X509Identity {
                issuer_ou: Some("Eng".into()),
                san_dns: Some("a.example.com".into()),
                san_name_cn: Some("cn".into()),
                san_uri: Some("https://a.example.com/x?y=z".into()),
                subject_cn: Some("subj".into()),
            },
        };
        let parsed = Identity::from_headers(
            identity.identity_header().as_deref(),
            identity.network_header().as_deref(),
        );
        assert_eq!(parsed, identity);
    }

    #[test]
    fn context_headers_round_trip() {
        let context = RequestContext {
            service_network_arn: Some("arn:sn".into()),
            service_arn: Some("arn:svc".into()),
            target_group_arn: Some("arn:tg".into()),
            identity: Identity {
                principal: Some("arn:p".into()),
                ..Identity::default()
            },
            ..RequestContext::default()
        };
        let headers = context.lattice_headers();
        let find = |name: &str| {
            headers
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.as_str())
        };
        let parsed = RequestContext::from_headers(
            find(TARGET_HEADER),
            find(IDENTITY_HEADER),
            find(NETWORK_HEADER),
        );
        assert_eq!(parsed, context);
        assert!(find(NETWORK_HEADER).is_none());
    }

    #[test]
    fn malformed_header_pairs_are_skipped() {
        let identity = Identity::from_headers(Some("garbage; Principal=arn:p;;=x"), Some("nope"));
        assert_eq!(identity.principal(), Some("arn:p"));
        assert_eq!(identity.source_vpc_arn(), None);
    }
}
