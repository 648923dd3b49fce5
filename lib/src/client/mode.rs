//! [`SigningMode`]: whether and how outgoing requests are signed, and its spelling in
//! `LATTICE_SIGNING`.

use std::fmt;
use std::str::FromStr;

/// How outgoing requests are authenticated to Lattice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SigningMode {
    /// Unsigned requests (Lattice `AuthType: NONE`).
    #[default]
    None,
    /// SigV4 (`AWS4-HMAC-SHA256`) for service `vpc-lattice-svcs`.
    SigV4,
    /// SigV4A (`AWS4-ECDSA-P256-SHA256`) for service `vpc-lattice-svcs`.
    SigV4a,
}

impl SigningMode {
    /// The spelling used in `LATTICE_SIGNING`.
    pub fn as_str(self) -> &'static str {
        match self {
            SigningMode::None => "none",
            SigningMode::SigV4 => "sigv4",
            SigningMode::SigV4a => "sigv4a",
        }
    }
}

impl fmt::Display for SigningMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The rejected spelling of a [`SigningMode`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown signing mode {0:?}: expected none, sigv4 or sigv4a")]
pub struct UnknownSigningMode(pub String);

impl FromStr for SigningMode {
    type Err = UnknownSigningMode;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "none" | "" => Ok(SigningMode::None),
            "sigv4" => Ok(SigningMode::SigV4),
            "sigv4a" => Ok(SigningMode::SigV4a),
            _ => Err(UnknownSigningMode(s.to_owned())),
        }
    }
}
