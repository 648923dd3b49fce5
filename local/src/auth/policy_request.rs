//! What an auth policy is evaluated against: one request as the condition keys and the
//! resource see it. A leaf module, so evaluation and the condition checks share it.

use std::collections::BTreeMap;
use std::net::IpAddr;

use super::verify::Caller;

/// No tags: for services without `Tags`.
pub static NO_TAGS: BTreeMap<String, String> = BTreeMap::new();

/// What a policy is evaluated against.
#[derive(Debug, Clone, Copy)]
pub struct PolicyRequest<'a> {
    /// The authenticated caller, `None` for an unsigned request.
    pub caller: Option<&'a Caller>,
    /// HTTP method (`vpc-lattice-svcs:RequestMethod`).
    pub method: &'a str,
    /// Request path without the query (`vpc-lattice-svcs:RequestPath`, and the resource).
    pub path: &'a str,
    /// Request headers (`vpc-lattice-svcs:RequestHeader/<name>`).
    pub headers: &'a http::HeaderMap,
    /// Decoded query parameters in order (`vpc-lattice-svcs:RequestQueryString/<key>`).
    pub query: &'a [(String, String)],
    /// Source VPC id, `vpc-…` (`vpc-lattice-svcs:SourceVpc`).
    pub source_vpc_id: Option<&'a str>,
    /// Account owning the source VPC (`vpc-lattice-svcs:SourceVpcOwnerAccount`).
    pub source_vpc_owner_account: Option<&'a str>,
    /// ARN of the service called (`vpc-lattice-svcs:ServiceArn`).
    pub service_arn: &'a str,
    /// ARN of the service network, if any (`vpc-lattice-svcs:ServiceNetworkArn`).
    pub service_network_arn: Option<&'a str>,
    /// Listener port (`vpc-lattice-svcs:Port`).
    pub port: u16,
    /// The client's address (`aws:SourceIp`).
    pub source_ip: Option<IpAddr>,
    /// The service's tags (`aws:ResourceTag/<key>`); [`NO_TAGS`] when it has none.
    pub resource_tags: &'a BTreeMap<String, String>,
}

impl PolicyRequest<'_> {
    /// The resource a request is for: `<service-arn>/<path>`, as Lattice auth policies name it.
    pub fn resource(&self) -> String {
        let mut resource = String::with_capacity(self.service_arn.len() + self.path.len() + 1);
        resource.push_str(self.service_arn);
        if !self.path.starts_with('/') {
            resource.push('/');
        }
        resource.push_str(self.path);
        resource
    }
}
