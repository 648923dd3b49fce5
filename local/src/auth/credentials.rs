//! The local credentials file: access key id -> secret, principal ARN, org id and path,
//! principal tags.
//!
//! ```json
//! { "principals": [ { "access_key_id": "AKIALOCAL0EXAMPLE001", "secret_access_key": "…",
//!                     "principal_arn": "arn:aws:sts::000000000000:assumed-role/app/local",
//!                     "tags": { "team": "blue" } } ] }
//! ```
//!
//! Derived signing keys are cached next to each principal, so a request costs one hash of the
//! canonical request and one HMAC (SigV4) or one ECDSA verification (SigV4A).

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use serde::Deserialize;

use super::arn::{Arn, account_of, vpc_id_of};
use super::principal_tags::{check_org_path, check_tags};
use super::sigv4::SigningKeyCache;
use super::sigv4a::VerifyingKeyCell;

/// One principal of the local credentials file. `Debug` never shows the secret or the token.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LocalPrincipal {
    /// Access key id the client signs with (letters and digits, e.g. `AKIALOCAL0EXAMPLE001`).
    pub access_key_id: String,
    /// Secret access key the client signs with.
    pub secret_access_key: String,
    /// Session token; when set, requests must carry it in `x-amz-security-token`.
    #[serde(default)]
    pub session_token: Option<String>,
    /// ARN of the principal, e.g. `arn:aws:sts::000000000000:assumed-role/role-name/session`.
    pub principal_arn: String,
    /// Organization id (`aws:PrincipalOrgID`), e.g. `o-exampleorgid`.
    #[serde(default)]
    pub principal_org_id: Option<String>,
    /// Path of the principal's account in its organization (`aws:PrincipalOrgPaths`), e.g.
    /// `o-exampleorgid/r-ab12/ou-ab12-11111111/`; requires `principal_org_id`.
    #[serde(default)]
    pub principal_org_path: Option<String>,
    /// Principal tags (`aws:PrincipalTag/<key>`, and `x-amzn-lattice-identity-tags` toward
    /// targets), e.g. `{"team": "blue"}`.
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
    /// Session name reported in `x-amzn-lattice-identity` (`SessionName=`).
    #[serde(default)]
    pub session_name: Option<String>,
    /// VPC the principal's requests come from (`arn:aws:ec2:<region>:<account>:vpc/vpc-…`).
    #[serde(default)]
    pub source_vpc_arn: Option<String>,
}

impl LocalPrincipal {
    /// The 12-digit account of [`LocalPrincipal::principal_arn`] (empty if the ARN is invalid).
    pub fn account(&self) -> &str {
        account_of(&self.principal_arn)
    }

    /// The VPC id (`vpc-…`) at the end of [`LocalPrincipal::source_vpc_arn`].
    pub fn source_vpc_id(&self) -> Option<&str> {
        vpc_id_of(self.source_vpc_arn.as_deref())
    }
}

impl fmt::Debug for LocalPrincipal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalPrincipal")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"<redacted>")
            .field(
                "session_token",
                &self.session_token.as_ref().map(|_| "<redacted>"),
            )
            .field("principal_arn", &self.principal_arn)
            .field("principal_org_id", &self.principal_org_id)
            .field("principal_org_path", &self.principal_org_path)
            .field("tags", &self.tags)
            .field("session_name", &self.session_name)
            .field("source_vpc_arn", &self.source_vpc_arn)
            .finish()
    }
}

/// Why the credentials file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum AuthConfigError {
    /// The file could not be read.
    #[error("cannot read credentials file {path}: {source}")]
    Read {
        /// Path of the file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not valid JSON of the expected shape.
    #[error("credentials file {path} is not valid: {source}")]
    Parse {
        /// Path of the file.
        path: PathBuf,
        /// The JSON error (names the line and the unexpected field).
        source: serde_json::Error,
    },
    /// A principal entry has an invalid field.
    #[error("credentials entry {index} ({access_key_id:?}): field {field} {reason}")]
    InvalidEntry {
        /// Position of the entry in the file (0-based).
        index: usize,
        /// Its access key id (not a secret).
        access_key_id: String,
        /// The field at fault.
        field: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// Two entries share an access key id.
    #[error("access key id {0} appears more than once in the credentials file")]
    DuplicateAccessKey(String),
}

/// The file's top-level shape.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CredentialsFile {
    principals: Vec<LocalPrincipal>,
}

/// A principal with its cached derived keys.
pub(crate) struct StoredPrincipal {
    pub(crate) principal: LocalPrincipal,
    pub(crate) sigv4_keys: SigningKeyCache,
    pub(crate) sigv4a_key: VerifyingKeyCell,
}

/// Local principals by access key id, in file order. Cheap to clone (shared).
#[derive(Clone, Default)]
pub struct CredentialStore {
    by_access_key: Arc<HashMap<String, Arc<StoredPrincipal>>>,
    /// The same principals in the order of the file: "the first principal" means the same one
    /// on every run.
    in_order: Arc<Vec<Arc<StoredPrincipal>>>,
}

impl CredentialStore {
    /// Reads a credentials file (`{"principals": [LocalPrincipal, …]}`).
    pub fn load(path: impl AsRef<Path>) -> Result<Self, AuthConfigError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| AuthConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        let file: CredentialsFile =
            serde_json::from_str(&text).map_err(|source| AuthConfigError::Parse {
                path: path.to_owned(),
                source,
            })?;
        Self::from_entries(file.principals)
    }

    /// Builds a store from principals, validating each (non-empty secret, valid ARNs, …).
    pub fn from_entries(entries: Vec<LocalPrincipal>) -> Result<Self, AuthConfigError> {
        let mut by_access_key = HashMap::with_capacity(entries.len());
        let mut in_order = Vec::with_capacity(entries.len());
        for (index, principal) in entries.into_iter().enumerate() {
            validate(index, &principal)?;
            let key = principal.access_key_id.clone();
            if by_access_key.contains_key(&key) {
                return Err(AuthConfigError::DuplicateAccessKey(key));
            }
            let stored = StoredPrincipal {
                principal,
                sigv4_keys: SigningKeyCache::default(),
                sigv4a_key: OnceLock::new(),
            };
            let stored = Arc::new(stored);
            in_order.push(Arc::clone(&stored));
            by_access_key.insert(key, stored);
        }
        Ok(CredentialStore {
            by_access_key: Arc::new(by_access_key),
            in_order: Arc::new(in_order),
        })
    }

    /// The principal owning `access_key_id`.
    pub fn get(&self, access_key_id: &str) -> Option<&LocalPrincipal> {
        self.by_access_key
            .get(access_key_id)
            .map(|stored| &stored.principal)
    }

    /// The first principal (in file order) whose ARN is `principal_arn`.
    pub fn by_principal_arn(&self, principal_arn: &str) -> Option<&LocalPrincipal> {
        self.principals().find(|p| p.principal_arn == principal_arn)
    }

    /// All principals, in the order of the file.
    pub fn principals(&self) -> impl Iterator<Item = &LocalPrincipal> {
        self.in_order.iter().map(|stored| &stored.principal)
    }

    /// Number of principals.
    pub fn len(&self) -> usize {
        self.by_access_key.len()
    }

    /// Whether the store has no principal.
    pub fn is_empty(&self) -> bool {
        self.by_access_key.is_empty()
    }

    pub(crate) fn stored(&self, access_key_id: &str) -> Option<&StoredPrincipal> {
        self.by_access_key.get(access_key_id).map(Arc::as_ref)
    }
}

impl fmt::Debug for CredentialStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CredentialStore")
            .field("principals", &self.by_access_key.len())
            .finish()
    }
}

fn validate(index: usize, p: &LocalPrincipal) -> Result<(), AuthConfigError> {
    let invalid = |field, reason: &str| AuthConfigError::InvalidEntry {
        index,
        access_key_id: p.access_key_id.clone(),
        field,
        reason: reason.to_owned(),
    };
    // The access key id is cut out of `Credential=<id>/<date>/…`, so it must not hold separators.
    if p.access_key_id.is_empty() || !p.access_key_id.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(invalid(
            "access_key_id",
            "must be non-empty letters and digits",
        ));
    }
    if p.secret_access_key.is_empty() {
        return Err(invalid("secret_access_key", "must not be empty"));
    }
    if p.session_token.as_deref() == Some("") {
        return Err(invalid(
            "session_token",
            "must not be empty (omit it instead)",
        ));
    }
    let arn = Arn::parse(&p.principal_arn).ok_or_else(|| {
        invalid(
            "principal_arn",
            "is not an ARN (arn:aws:<iam|sts>::<12-digit account>:…)",
        )
    })?;
    if !matches!(arn.service, "iam" | "sts") || !is_account_id(arn.account) {
        return Err(invalid(
            "principal_arn",
            "must be an iam or sts ARN with a 12-digit account",
        ));
    }
    if let Some(org) = &p.principal_org_id
        && !(org.starts_with("o-") && org.len() > 2)
    {
        return Err(invalid("principal_org_id", "must look like o-exampleorgid"));
    }
    if let Some(path) = &p.principal_org_path {
        check_org_path(path, p.principal_org_id.as_deref())
            .map_err(|reason| invalid("principal_org_path", &reason))?;
    }
    check_tags(&p.tags).map_err(|reason| invalid("tags", &reason))?;
    if let Some(vpc) = &p.source_vpc_arn {
        let ok = Arn::parse(vpc)
            .is_some_and(|a| a.service == "ec2" && a.resource.starts_with("vpc/vpc-"));
        if !ok {
            return Err(invalid(
                "source_vpc_arn",
                "must look like arn:aws:ec2:<region>:<account>:vpc/vpc-…",
            ));
        }
    }
    Ok(())
}

/// Whether `s` is a 12-digit AWS account id.
pub(crate) fn is_account_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn principal(access_key_id: &str) -> LocalPrincipal {
        LocalPrincipal {
            access_key_id: access_key_id.to_owned(),
            secret_access_key: "secret/KEY+example".to_owned(),
            session_token: None,
            principal_arn: "arn:aws:sts::111122223333:assumed-role/app/session".to_owned(),
            principal_org_id: Some("o-exampleorg".to_owned()),
            principal_org_path: None,
            tags: BTreeMap::new(),
            session_name: Some("session".to_owned()),
            source_vpc_arn: Some("arn:aws:ec2:us-west-2:111122223333:vpc/vpc-0abc".to_owned()),
        }
    }

    #[test]
    fn debug_hides_secret_and_token() {
        let mut p = principal("AKIA1");
        p.session_token = Some("TOKENVALUE".to_owned());
        let shown = format!("{p:?}");
        assert!(!shown.contains("secret/KEY"), "{shown}");
        assert!(!shown.contains("TOKENVALUE"), "{shown}");
        assert!(shown.contains("AKIA1"));
    }

    #[test]
    fn loads_the_example_file() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/credentials.example.json");
        let store = CredentialStore::load(path).expect("example file loads");
        assert!(!store.is_empty());
        for p in store.principals() {
            assert_eq!(p.account().len(), 12, "{p:?}");
        }
    }

    #[test]
    fn principals_come_in_file_order() {
        let keys: Vec<String> = (0..20).map(|i| format!("AKIAORDER{i:02}")).collect();
        let store =
            CredentialStore::from_entries(keys.iter().map(|k| principal(k)).collect()).unwrap();
        let listed: Vec<&str> = store
            .principals()
            .map(|p| p.access_key_id.as_str())
            .collect();
        assert_eq!(listed, keys);
    }

    #[test]
    fn helpers_extract_account_and_vpc() {
        let p = principal("AKIA1");
        assert_eq!(p.account(), "111122223333");
        assert_eq!(p.source_vpc_id(), Some("vpc-0abc"));
    }

    #[test]
    fn rejects_duplicates_and_bad_fields() {
        let dup = CredentialStore::from_entries(vec![principal("AKIA1"), principal("AKIA1")]);
        assert!(matches!(dup, Err(AuthConfigError::DuplicateAccessKey(k)) if k == "AKIA1"));

        let mut bad = principal("AKIA/1");
        let err = CredentialStore::from_entries(vec![bad.clone()]).unwrap_err();
        assert!(err.to_string().contains("access_key_id"), "{err}");

        bad = principal("AKIA1");
        bad.principal_arn = "arn:aws:iam::12:role/x".to_owned();
        let err = CredentialStore::from_entries(vec![bad]).unwrap_err();
        assert!(err.to_string().contains("principal_arn"), "{err}");

        let mut bad = principal("AKIA1");
        bad.secret_access_key.clear();
        let err = CredentialStore::from_entries(vec![bad]).unwrap_err();
        assert!(err.to_string().contains("secret_access_key"), "{err}");
        assert!(!err.to_string().contains("secret/KEY"));
    }

    #[test]
    fn unknown_fields_and_missing_files_are_errors() {
        let dir = std::env::temp_dir().join(format!("lattice-auth-creds-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let file = dir.join("typo.json");
        std::fs::write(
            &file,
            r#"{"principals":[{"access_key_id":"AKIA1","secret_acess_key":"x","principal_arn":"arn:aws:iam::111122223333:user/u"}]}"#,
        )
        .expect("write");
        let err = CredentialStore::load(&file).unwrap_err();
        assert!(matches!(err, AuthConfigError::Parse { .. }), "{err}");
        assert!(err.to_string().contains("secret_acess_key"), "{err}");

        let err = CredentialStore::load(dir.join("absent.json")).unwrap_err();
        assert!(matches!(err, AuthConfigError::Read { .. }), "{err}");
        std::fs::remove_dir_all(&dir).ok();
    }
}
