//! Two start-up decisions about credentials: whether `--bind` may expose the data plane with
//! the credentials in use, and which principal the functions sign as.

use std::collections::BTreeSet;
use std::net::IpAddr;
use std::path::Path;

use super::error::UpError;
use crate::auth::{CredentialStore, LocalPrincipal};

/// The credentials files committed to this repository: their keys are public.
const COMMITTED_CREDENTIALS: [&str; 2] = [
    include_str!("../../demo/credentials.json"),
    include_str!("../../credentials.example.json"),
];

/// The access key ids of the committed credentials files.
fn committed_access_keys() -> BTreeSet<String> {
    COMMITTED_CREDENTIALS
        .iter()
        .filter_map(|text| serde_json::from_str::<serde_json::Value>(text).ok())
        .flat_map(|file| {
            file["principals"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|p| p["access_key_id"].as_str().map(str::to_owned))
                .collect::<Vec<_>>()
        })
        .collect()
}

/// Refuses a non-loopback `bind` while `store` holds a key of a committed credentials file:
/// anyone who can reach the port could sign as that principal.
pub fn check_exposure(bind: IpAddr, store: &CredentialStore, path: &Path) -> Result<(), UpError> {
    if bind.is_loopback() {
        return Ok(());
    }
    let committed = committed_access_keys();
    if store
        .principals()
        .any(|p| committed.contains(&p.access_key_id))
    {
        return Err(UpError::PublicCredentialsExposed {
            bind,
            credentials: path.to_owned(),
        });
    }
    Ok(())
}

/// The principal the functions sign as: the one whose ARN is `arn`, or else the first of the
/// credentials file in file order (so the choice, and every policy outcome, is the same on
/// every run).
pub fn function_principal(
    store: &CredentialStore,
    arn: Option<&str>,
    path: &Path,
) -> Result<Option<LocalPrincipal>, UpError> {
    match arn {
        None => Ok(store.principals().next().cloned()),
        Some(arn) => store
            .principals()
            .find(|p| p.principal_arn == arn)
            .cloned()
            .map(Some)
            .ok_or_else(|| UpError::UnknownFunctionPrincipal {
                arn: arn.to_owned(),
                credentials: path.to_owned(),
            }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn principal(index: usize) -> LocalPrincipal {
        LocalPrincipal {
            access_key_id: format!("AKIALOCALORDER{index:06}"),
            secret_access_key: format!("local/Order{index}+Secret"),
            session_token: None,
            principal_arn: format!("arn:aws:sts::000000000000:assumed-role/role-{index}/s"),
            principal_org_id: None,
            principal_org_path: None,
            tags: Default::default(),
            session_name: None,
            source_vpc_arn: None,
        }
    }

    #[test]
    fn functions_sign_as_the_first_principal_in_file_order_or_the_one_named() {
        let path = Path::new("credentials.json");
        // Many principals: a hash order would put another one first on some runs.
        for count in [2, 16] {
            let store = CredentialStore::from_entries((0..count).map(principal).collect()).unwrap();
            let chosen = function_principal(&store, None, path).unwrap().unwrap();
            assert_eq!(chosen.principal_arn, principal(0).principal_arn);
        }
        let store = CredentialStore::from_entries(vec![principal(0), principal(1)]).unwrap();
        let named = principal(1).principal_arn;
        let chosen = function_principal(&store, Some(&named), path)
            .unwrap()
            .unwrap();
        assert_eq!(chosen.access_key_id, principal(1).access_key_id);
        let unknown = function_principal(&store, Some("arn:aws:iam::000000000000:user/x"), path);
        assert!(
            matches!(&unknown, Err(UpError::UnknownFunctionPrincipal { arn, .. }) if arn.ends_with("user/x")),
            "{unknown:?}"
        );
        let empty = CredentialStore::from_entries(Vec::new()).unwrap();
        assert!(function_principal(&empty, None, path).unwrap().is_none());
    }

    #[test]
    fn committed_keys_may_not_be_exposed_beyond_loopback() {
        let demo_path = concat!(env!("CARGO_MANIFEST_DIR"), "/demo/credentials.json");
        let example_path = concat!(env!("CARGO_MANIFEST_DIR"), "/credentials.example.json");
        let everywhere: IpAddr = "0.0.0.0".parse().unwrap();
        let lan: IpAddr = "192.168.1.20".parse().unwrap();
        for path in [demo_path, example_path] {
            let store = CredentialStore::load(path).unwrap();
            for bind in [everywhere, lan] {
                let error = check_exposure(bind, &store, Path::new(path)).unwrap_err();
                let message = error.to_string();
                assert!(message.contains("--credentials FILE"), "{message}");
                assert!(message.contains("committed"), "{message}");
            }
            for loopback in ["127.0.0.1", "::1"] {
                check_exposure(loopback.parse().unwrap(), &store, Path::new(path)).unwrap();
            }
        }
        let own = CredentialStore::from_entries(vec![principal(7)]).unwrap();
        check_exposure(everywhere, &own, Path::new("mine.json")).unwrap();
    }
}
