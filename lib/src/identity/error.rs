//! Why Lattice's identity headers could not be trusted, read or written.

/// An identity header that is ambiguous (and so could have been bent by a caller-controlled
/// value), or identity facts that Lattice's header format cannot carry.
///
/// Messages name the header and the key, never a value: values are the caller's data.
///
/// ```
/// use lattice_lambda::{Identity, IdentityHeaderError};
/// let forged = "Principal=arn:aws:iam::1:role/app; X509Subject/CN=x; Principal=arn:aws:iam::1:role/admin";
/// let err = Identity::try_from_headers(Some(forged), None).unwrap_err();
/// assert!(matches!(err, IdentityHeaderError::RepeatedKey { .. }));
/// assert!(!err.to_string().contains("admin"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IdentityHeaderError {
    /// A key appears twice in one header. Lattice writes each key once, so a second copy can
    /// only come from a value that carries `; Key=…` (an X.509 subject, for example): the
    /// whole header is refused rather than trusting either copy.
    #[error(
        "{header} names `{key}` more than once; a value may be forging pairs, so the header is not trusted"
    )]
    RepeatedKey {
        /// The header.
        header: &'static str,
        /// The repeated key, as spelled in its second occurrence.
        key: String,
    },
    /// A key naming the principal follows an X.509 field. Lattice writes the principal's keys
    /// first and the X.509 fields (whose values the caller's certificate chooses) last, so a
    /// principal key after them can only have come out of a certificate value.
    #[error(
        "{header} has `{key}` after an X.509 field, where only a certificate value could have put it; the header is not trusted"
    )]
    KeyAfterX509 {
        /// The header.
        header: &'static str,
        /// The misplaced key.
        key: String,
    },
    /// The header appears more than once in the request.
    #[error("{header} appears more than once in the request; Lattice sets it once")]
    RepeatedHeader {
        /// The header.
        header: &'static str,
    },
    /// The header's bytes are not UTF-8 text.
    #[error("{header} is not UTF-8 text")]
    NotText {
        /// The header.
        header: &'static str,
    },
    /// A principal tag key that `x-amzn-lattice-identity-tags` cannot carry unambiguously
    /// (formatting only).
    #[error(
        "principal tag key {key:?} cannot be written to x-amzn-lattice-identity-tags: {reason}"
    )]
    InvalidTagKey {
        /// The key.
        key: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A principal tag value holding a control character, which no HTTP header can carry
    /// (formatting only; the value itself is not echoed).
    #[error("the value of principal tag {key:?} holds a control character")]
    InvalidTagValue {
        /// The tag's key.
        key: String,
    },
}
