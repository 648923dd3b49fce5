//! [`RequestContext`]: where a request went through Lattice, when, and who sent it; read
//! from a V2 `requestContext` or from a V1 request's Lattice headers.

use std::time::SystemTime;

use http::HeaderMap;

use super::pairs::{Rules, join_pairs, read_pairs};
use super::{
    AuthType, IDENTITY_HEADER, IDENTITY_TAGS_HEADER, Identity, IdentityHeaderError, NETWORK_HEADER,
    TARGET_HEADER, single_header,
};

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
    /// Fail-closed like [`Identity::from_headers`]; prefer
    /// [`RequestContext::from_header_map`], which also reads the principal tags
    /// and reports an ambiguous header.
    pub fn from_headers(
        target: Option<&str>,
        identity: Option<&str>,
        network: Option<&str>,
    ) -> Self {
        let mut out = RequestContext {
            identity: Identity::from_headers(identity, network),
            ..RequestContext::default()
        };
        if target.is_some() || network.is_some() {
            mark_unauthenticated(&mut out.identity, identity);
        }
        out.read_target(target).unwrap_or_else(|error| {
            tracing::warn!(%error, "ignoring the target header");
        });
        out
    }

    /// Reads the context from a V1 request's Lattice headers
    /// (`x-amzn-lattice-target`, `-identity`, `-network`, `-identity-tags`);
    /// `None` when none of them is present. An ambiguous header — a key twice,
    /// a principal key after an X.509 field, the header itself twice — is an
    /// error rather than a guess.
    ///
    /// ```
    /// use http::{HeaderMap, HeaderValue};
    /// use lattice_lambda::RequestContext;
    /// let mut headers = HeaderMap::new();
    /// headers.insert("x-amzn-lattice-identity", HeaderValue::from_static(
    ///     "Principal=arn:aws:iam::1:role/app; X509Subject/CN=x; Principal=arn:aws:iam::1:role/admin"));
    /// assert!(RequestContext::from_header_map(&headers).is_err());
    /// assert!(RequestContext::from_header_map(&HeaderMap::new()).unwrap().is_none());
    /// ```
    pub fn from_header_map(headers: &HeaderMap) -> Result<Option<Self>, IdentityHeaderError> {
        let target = single_header(headers, TARGET_HEADER)?;
        let identity = single_header(headers, IDENTITY_HEADER)?;
        let network = single_header(headers, NETWORK_HEADER)?;
        let has_tags = headers.contains_key(IDENTITY_TAGS_HEADER);
        if target.is_none() && identity.is_none() && network.is_none() && !has_tags {
            return Ok(None);
        }
        let mut out = RequestContext {
            identity: Identity::try_from_headers(identity, network)?,
            ..RequestContext::default()
        };
        mark_unauthenticated(&mut out.identity, identity);
        out.identity.tags = Identity::tags_from_header_map(headers)?;
        out.read_target(target)?;
        Ok(Some(out))
    }

    fn read_target(&mut self, target: Option<&str>) -> Result<(), IdentityHeaderError> {
        let Some(value) = target else {
            return Ok(());
        };
        for (key, value) in read_pairs(TARGET_HEADER, value, Rules::UniqueKeys)? {
            let slot = match key.as_str() {
                "servicearn" => &mut self.service_arn,
                "servicenetworkarn" => &mut self.service_network_arn,
                "targetgrouparn" => &mut self.target_group_arn,
                _ => continue,
            };
            *slot = Some(value.to_owned());
        }
        Ok(())
    }

    /// Formats the `x-amzn-lattice-target` header value.
    pub fn target_header(&self) -> Option<String> {
        join_pairs(&[
            ("ServiceArn", self.service_arn.as_deref()),
            ("ServiceNetworkArn", self.service_network_arn.as_deref()),
            ("TargetGroupArn", self.target_group_arn.as_deref()),
        ])
    }

    /// The headers Lattice adds toward a target, as `(name, value)` pairs:
    /// identity, network and target, plus `x-amzn-lattice-identity-tags` when
    /// the identity has principal tags. Absent facts produce no header.
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
            (IDENTITY_TAGS_HEADER, self.identity.tags_header_if_tagged()),
        ]
        .into_iter()
        .filter_map(|(name, value)| value.map(|v| (name, v)))
        .collect()
    }
}

/// Lattice sends the identity header only for a caller that authenticated (User Guide, *HTTP
/// targets*): its absence beside the other Lattice headers says the caller did not, which V2
/// writes as `"type": "NONE"`.
fn mark_unauthenticated(identity: &mut Identity, identity_header: Option<&str>) {
    if identity_header.is_none() {
        identity.auth_type = Some(AuthType::None);
    }
}
