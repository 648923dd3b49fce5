//! Local identifiers and ARNs: stable across runs, shaped like the real ones.

/// The account every synthesised ARN uses.
pub const LOCAL_ACCOUNT_ID: &str = "000000000000";

/// The region used when none is given.
pub const DEFAULT_REGION: &str = "us-west-2";

/// Domain under which services are reachable by `Host` (`<name>.lattice.localhost`).
pub const LOCAL_DOMAIN: &str = "lattice.localhost";

/// Where identifiers and ARNs are minted: one account and region.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LocalAccount {
    /// 12-digit account id.
    pub account_id: String,
    /// Region, e.g. `us-east-1`.
    pub region: String,
}

impl LocalAccount {
    /// The local account in `region`.
    pub fn new(region: impl Into<String>) -> Self {
        LocalAccount {
            account_id: LOCAL_ACCOUNT_ID.to_owned(),
            region: region.into(),
        }
    }

    /// `arn:aws:vpc-lattice:<region>:<account>:<resource>`.
    pub fn lattice_arn(&self, resource: &str) -> String {
        format!(
            "arn:aws:vpc-lattice:{}:{}:{resource}",
            self.region, self.account_id
        )
    }

    /// `arn:aws:lambda:<region>:<account>:function:<name>`.
    pub fn function_arn(&self, name: &str) -> String {
        format!(
            "arn:aws:lambda:{}:{}:function:{name}",
            self.region, self.account_id
        )
    }

    /// `arn:aws:ec2:<region>:<account>:vpc/<vpc-id>`.
    pub fn vpc_arn(&self, vpc_id: &str) -> String {
        format!(
            "arn:aws:ec2:{}:{}:vpc/{vpc_id}",
            self.region, self.account_id
        )
    }
}

/// A Lattice-style id: `prefix-` and 17 lower-case alphanumerics derived from
/// `seed`, so the same logical id gets the same id on every run.
///
/// ```
/// let id = lattice_local::model::local_id("svc", "ProviderService");
/// assert!(id.starts_with("svc-"));
/// assert_eq!(id.len(), 4 + 17);
/// assert_eq!(id, lattice_local::model::local_id("svc", "ProviderService"));
/// ```
pub fn local_id(prefix: &str, seed: &str) -> String {
    const ALPHABET: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut state = fnv1a(seed.as_bytes(), 0xcbf2_9ce4_8422_2325);
    let mut out = String::with_capacity(prefix.len() + 18);
    out.push_str(prefix);
    out.push('-');
    for i in 0..17u64 {
        if i % 8 == 0 {
            // Re-hash so that 17 characters draw on more than 64 bits.
            state = fnv1a(&state.to_le_bytes(), state ^ i);
        }
        out.push(char::from(ALPHABET[(state % 36) as usize]));
        state /= 36;
    }
    out
}

fn fnv1a(bytes: &[u8], seed: u64) -> u64 {
    bytes.iter().fold(seed, |hash, byte| {
        (hash ^ u64::from(*byte)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_differ_per_seed_and_have_lattice_shape() {
        let a = local_id("tg", "A");
        let b = local_id("tg", "B");
        assert_ne!(a, b);
        assert!(
            a[3..]
                .bytes()
                .all(|c| c.is_ascii_digit() || c.is_ascii_lowercase())
        );
    }

    #[test]
    fn arns_use_the_local_account() {
        let account = LocalAccount::new("eu-west-1");
        assert_eq!(
            account.lattice_arn("service/svc-1"),
            "arn:aws:vpc-lattice:eu-west-1:000000000000:service/svc-1"
        );
        assert_eq!(
            account.function_arn("f"),
            "arn:aws:lambda:eu-west-1:000000000000:function:f"
        );
    }
}
