//! Who called and through what: the Lattice request context and caller identity.
//!
//! V2 events carry these in `requestContext`. V1 events have no request
//! context, but Lattice adds the same facts as headers
//! (`x-amzn-lattice-identity`, `x-amzn-lattice-network`,
//! `x-amzn-lattice-target`, `x-amzn-lattice-identity-tags`), which are parsed
//! here; the same functions format those headers for the local emulator, so
//! both directions agree.
//!
//! Reading is fail-closed: an identity header that could have been bent by a
//! value the caller chose (see [`IdentityHeaderError`]) is refused as a whole,
//! never half-trusted.

mod context;
mod error;
mod pairs;
mod tags;

use http::HeaderMap;
use serde::Serialize;

pub use context::RequestContext;
pub use error::IdentityHeaderError;
pub use tags::{IDENTITY_TAGS_HEADER, PrincipalTags};

use pairs::{Rules, join_pairs, read_pairs};

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
    /// The principal's AWS Organizations path (`o-…/r-…/ou-…/`), when Lattice gives it
    /// (`PrincipalOrgPath` in the V1 header, `principalOrgPath` in V2).
    pub principal_org_path: Option<String>,
    /// The role session name, for assumed roles.
    pub session_name: Option<String>,
    /// X.509 facts (IAM Roles Anywhere).
    pub x509: X509Identity,
    /// Principal tags from `x-amzn-lattice-identity-tags`, in header order.
    pub tags: Vec<(String, String)>,
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

    /// The principal's AWS Organizations path.
    pub fn principal_org_path(&self) -> Option<&str> {
        self.principal_org_path.as_deref()
    }

    /// The role session name.
    pub fn session_name(&self) -> Option<&str> {
        self.session_name.as_deref()
    }

    /// The principal tags (`x-amzn-lattice-identity-tags`), in header order.
    pub fn tags(&self) -> &[(String, String)] {
        &self.tags
    }

    /// The value of principal tag `key` (exact match).
    pub fn tag(&self, key: &str) -> Option<&str> {
        self.tags
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// Whether nothing at all is known about the caller.
    pub fn is_empty(&self) -> bool {
        self == &Identity::default()
    }

    /// Reads the identity from the `x-amzn-lattice-identity` and
    /// `x-amzn-lattice-network` header values (V1 events carry it only there).
    ///
    /// Fail-closed: when the identity header is ambiguous (see
    /// [`Identity::try_from_headers`]) none of its facts is kept, so the caller
    /// looks unauthenticated; the network header is still read. Keys are
    /// matched in any documented spelling (`PrincipalOrgID`/`principalOrgId`,
    /// `X509Subject/CN`/`X509SubjectCn`, any case); unknown keys are ignored and
    /// pairs without `=` are skipped.
    pub fn from_headers(identity: Option<&str>, network: Option<&str>) -> Self {
        match Self::try_from_headers(identity, network) {
            Ok(identity) => identity,
            Err(error) => {
                tracing::warn!(%error, "ignoring the caller identity header");
                Self::try_from_headers(None, network).unwrap_or_default()
            }
        }
    }

    /// Like [`Identity::from_headers`], but an ambiguous header is an error:
    /// a key given twice (a certificate value such as an X.509 subject CN of
    /// `x; Principal=arn:…:role/admin` would otherwise forge the principal), or
    /// a principal key after an X.509 field.
    ///
    /// ```
    /// use lattice_lambda::Identity;
    /// let identity = Identity::try_from_headers(
    ///     Some("Principal=arn:aws:iam::1:role/app; principalOrgId=o-1; PrincipalOrgPath=o-1/r-ab/ou-cd/"),
    ///     None,
    /// ).unwrap();
    /// assert_eq!(identity.principal_org_id(), Some("o-1"));
    /// assert_eq!(identity.principal_org_path(), Some("o-1/r-ab/ou-cd/"));
    /// ```
    pub fn try_from_headers(
        identity: Option<&str>,
        network: Option<&str>,
    ) -> Result<Self, IdentityHeaderError> {
        let mut out = Identity::default();
        if let Some(value) = identity {
            for (key, value) in read_pairs(IDENTITY_HEADER, value, Rules::Identity)? {
                let slot = match key.as_str() {
                    "principal" => &mut out.principal,
                    "principalorgid" => &mut out.principal_org_id,
                    "principalorgpath" => &mut out.principal_org_path,
                    "sessionname" => &mut out.session_name,
                    "x509issuerou" => &mut out.x509.issuer_ou,
                    "x509sandns" => &mut out.x509.san_dns,
                    "x509sannamecn" => &mut out.x509.san_name_cn,
                    "x509sanuri" => &mut out.x509.san_uri,
                    "x509subjectcn" => &mut out.x509.subject_cn,
                    "type" => {
                        out.auth_type = Some(AuthType::from_wire(value));
                        continue;
                    }
                    _ => continue,
                };
                *slot = Some(value.to_owned());
            }
        }
        if let Some(value) = network {
            for (key, value) in read_pairs(NETWORK_HEADER, value, Rules::UniqueKeys)? {
                if key == "sourcevpcarn" {
                    out.source_vpc_arn = Some(value.to_owned());
                }
            }
        }
        Ok(out)
    }

    /// Reads the principal tags of `x-amzn-lattice-identity-tags` in `headers`
    /// (empty when the header is absent).
    pub fn tags_from_header_map(
        headers: &HeaderMap,
    ) -> Result<Vec<(String, String)>, IdentityHeaderError> {
        Ok(match single_header(headers, IDENTITY_TAGS_HEADER)? {
            Some(value) => PrincipalTags::parse(value)?.tags,
            None => Vec::new(),
        })
    }

    /// Formats the `x-amzn-lattice-identity` header value, or `None` for a caller that did
    /// not authenticate (no principal, no X.509 fields), as Lattice sends none then.
    ///
    /// ```
    /// let identity = lattice_lambda::Identity {
    ///     principal: Some("arn:aws:iam::1:role/r".into()),
    ///     ..Default::default()
    /// };
    /// assert_eq!(identity.identity_header().as_deref(), Some("Principal=arn:aws:iam::1:role/r"));
    /// ```
    pub fn identity_header(&self) -> Option<String> {
        // Lattice writes the header's fields "if AWS authentication is successful" (User Guide,
        // *HTTP targets*), and its V1 example for an unauthenticated caller has no header: an
        // identity without a principal or an X.509 field says nothing a target could use.
        if self.principal.is_none() && self.x509.is_empty() {
            return None;
        }
        let auth = self.auth_type.as_ref().map(AuthType::as_str);
        join_pairs(&[
            ("Principal", self.principal.as_deref()),
            ("PrincipalOrgID", self.principal_org_id.as_deref()),
            ("PrincipalOrgPath", self.principal_org_path.as_deref()),
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

    /// Formats the `x-amzn-lattice-identity-tags` header value as Lattice
    /// writes it (`principal=…;principalorgid=…;<tag>=<value>;…`, `;` in values
    /// escaped), or `None` for a caller with neither a principal nor tags.
    /// Errors name a tag the format cannot carry (see [`PrincipalTags::to_header`]).
    ///
    /// ```
    /// let identity = lattice_lambda::Identity {
    ///     principal: Some("arn:aws:iam::1:role/r".into()),
    ///     principal_org_id: Some("o-1".into()),
    ///     tags: vec![("team".into(), "pay;ments".into())],
    ///     ..Default::default()
    /// };
    /// assert_eq!(
    ///     identity.identity_tags_header().unwrap().as_deref(),
    ///     Some(r"principal=arn:aws:iam::1:role/r;principalorgid=o-1;team=pay\;ments"),
    /// );
    /// ```
    pub fn identity_tags_header(&self) -> Result<Option<String>, IdentityHeaderError> {
        if self.principal.is_none() && self.tags.is_empty() {
            return Ok(None);
        }
        PrincipalTags {
            principal: self.principal.clone().unwrap_or_default(),
            principal_org_id: self.principal_org_id.clone().unwrap_or_default(),
            tags: self.tags.clone(),
        }
        .to_header()
        .map(Some)
    }
}

/// The one value of header `name`, as text; `None` when absent.
pub(super) fn single_header<'a>(
    headers: &'a HeaderMap,
    name: &'static str,
) -> Result<Option<&'a str>, IdentityHeaderError> {
    let mut values = headers.get_all(name).iter();
    let Some(value) = values.next() else {
        return Ok(None);
    };
    if values.next().is_some() {
        return Err(IdentityHeaderError::RepeatedHeader { header: name });
    }
    // Not `to_str`: X.509 names may hold UTF-8 beyond ASCII.
    std::str::from_utf8(value.as_bytes())
        .map(Some)
        .map_err(|_| IdentityHeaderError::NotText { header: name })
}

impl Identity {
    /// The tags header when there are tags to carry; a tag the format cannot
    /// carry drops the header with a warning (only hand-built identities have such tags).
    pub(crate) fn tags_header_if_tagged(&self) -> Option<String> {
        if self.tags.is_empty() {
            return None;
        }
        self.identity_tags_header().unwrap_or_else(|error| {
            tracing::warn!(%error, "not writing x-amzn-lattice-identity-tags");
            None
        })
    }
}

#[cfg(test)]
mod tests;
