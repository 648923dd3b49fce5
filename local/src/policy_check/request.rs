//! The request `policy check` decides, built from the command line: method, path and query,
//! headers (repeatable, bytes kept), the caller (a principal of the credentials file brings its
//! org, org path and tags; `--tag` adds to them) and where it comes from.

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr};

use http::request::Parts;
use http::{HeaderName, HeaderValue, Method, Uri};
use lattice_lambda::QueryParameters;

use super::{PolicyCheckArgs, PolicyCheckError};
use crate::auth::{Caller, CredentialStore, LocalPrincipal, SigningAlgorithm};
use crate::model::LocalAccount;

/// One request to decide.
#[derive(Debug)]
pub struct CheckRequest {
    /// The service's name.
    pub service: String,
    /// Method, URI (path and query) and headers, as the data plane would receive them.
    pub parts: Parts,
    /// The caller's principal ARN (`None`: anonymous).
    pub principal: Option<String>,
    /// Principal tags added to (or replacing) the credentials file's.
    pub tags: BTreeMap<String, String>,
    /// Source VPC, as an ARN or a `vpc-…` id.
    pub source_vpc: Option<String>,
    /// The client's address.
    pub source_ip: IpAddr,
}

fn argument(option: &'static str, value: &str, reason: impl Into<String>) -> PolicyCheckError {
    PolicyCheckError::Argument {
        option,
        value: value.to_owned(),
        reason: reason.into(),
    }
}

/// Splits `KEY=VALUE` (the key must not be empty).
pub(super) fn key_value(
    option: &'static str,
    text: &str,
) -> Result<(String, String), PolicyCheckError> {
    crate::up::key_value(option, text).map_err(|_| argument(option, text, "expected KEY=VALUE"))
}

impl CheckRequest {
    /// Reads the request out of the command line.
    pub fn from_args(args: &PolicyCheckArgs) -> Result<Self, PolicyCheckError> {
        let method = Method::from_bytes(args.method.as_bytes())
            .map_err(|_| argument("--method", &args.method, "is not an HTTP method"))?;
        if !args.path.starts_with('/') {
            return Err(argument("--path", &args.path, "must start with /"));
        }
        let mut query = QueryParameters::default();
        for pair in &args.query {
            let (key, value) = key_value("--query", pair)?;
            query.push(key, value);
        }
        let uri_text = match (args.path.contains('?'), query.is_empty()) {
            (_, true) => args.path.clone(),
            (true, false) => format!("{}&{}", args.path, query.to_query_string()),
            (false, false) => format!("{}?{}", args.path, query.to_query_string()),
        };
        let uri: Uri = uri_text.parse().map_err(|e| {
            argument(
                "--path",
                &args.path,
                format!("is not a request target: {e}"),
            )
        })?;
        let mut request = http::Request::builder().method(method).uri(uri);
        for header in &args.headers {
            let (name, value) = header
                .split_once(':')
                .ok_or_else(|| argument("--header", header, "expected NAME:VALUE"))?;
            let name = HeaderName::from_bytes(name.trim().as_bytes())
                .map_err(|_| argument("--header", header, "the name is not a header name"))?;
            // Bytes, not text: a value with non-ASCII characters reaches the policy as it
            // would over the wire.
            let value = HeaderValue::from_bytes(value.trim().as_bytes())
                .map_err(|_| argument("--header", header, "the value holds a control character"))?;
            request = request.header(name, value);
        }
        let (parts, ()) = request
            .body(())
            .map_err(|e| argument("--path", &args.path, e.to_string()))?
            .into_parts();
        let mut tags = BTreeMap::new();
        for tag in &args.tags {
            let (key, value) = key_value("--tag", tag)?;
            tags.insert(key, value);
        }
        if args.principal.is_none() && !tags.is_empty() {
            return Err(argument(
                "--tag",
                &args.tags.join(" "),
                "needs --principal: an anonymous caller has no tags",
            ));
        }
        Ok(CheckRequest {
            service: args.service.clone(),
            parts,
            principal: args.principal.clone(),
            tags,
            source_vpc: args.source_vpc.clone(),
            source_ip: args.source_ip.unwrap_or(IpAddr::V4(Ipv4Addr::LOCALHOST)),
        })
    }

    /// The caller: the credentials file's principal of that ARN (its org, path and tags, then
    /// `--tag`s on top), or the ARN alone; `None` when anonymous.
    pub fn caller(&self, store: &CredentialStore) -> Result<Option<Caller>, PolicyCheckError> {
        let Some(arn) = &self.principal else {
            return Ok(None);
        };
        let mut principal = match store.by_principal_arn(arn) {
            Some(known) => known.clone(),
            None => LocalPrincipal {
                access_key_id: "POLICYCHECK".to_owned(),
                secret_access_key: "unused".to_owned(),
                session_token: None,
                principal_arn: arn.clone(),
                principal_org_id: None,
                principal_org_path: None,
                tags: BTreeMap::new(),
                session_name: None,
                source_vpc_arn: None,
            },
        };
        principal.tags.extend(self.tags.clone());
        // The credentials file's own checks: an ARN or a tag a signed caller could not have is
        // refused here as it would be at `up`.
        CredentialStore::from_entries(vec![principal.clone()])
            .map_err(|e| argument("--principal", arn, e.to_string()))?;
        Ok(Some(Caller::from_principal(
            &principal,
            SigningAlgorithm::SigV4,
        )))
    }

    /// `--source-vpc` (an id becomes a local ARN), else the caller's own.
    pub fn source_vpc_arn(
        &self,
        caller: Option<&Caller>,
        account: &LocalAccount,
    ) -> Option<String> {
        match &self.source_vpc {
            Some(id) if id.starts_with("vpc-") => Some(account.vpc_arn(id)),
            Some(arn) => Some(arn.clone()),
            None => caller.and_then(|c| c.source_vpc_arn.clone()),
        }
    }
}
