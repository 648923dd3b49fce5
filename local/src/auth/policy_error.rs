//! Why an auth policy was rejected: the statement and the element or value at fault. A leaf
//! module, so the policy parser and the condition parser both report through it.

/// Why an auth policy was rejected: where, and what.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("auth policy {location}: {problem}")]
pub struct PolicyError {
    /// `policy`, or the statement (`Sid` or `Statement[<index>]`).
    pub location: String,
    /// What is wrong or unsupported.
    pub problem: PolicyProblem,
}

/// What is wrong with (or unsupported in) a policy.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PolicyProblem {
    /// An element has the wrong JSON type.
    #[error("{0} must be {1}")]
    WrongType(String, &'static str),
    /// A required element is absent.
    #[error("element {0} is missing")]
    MissingElement(&'static str),
    /// An element lattice-local does not evaluate (e.g. `NotPrincipal`, `NotAction`).
    #[error("element {0} is not supported by lattice-local (rejected rather than ignored)")]
    UnsupportedElement(String),
    /// An element's value is invalid.
    #[error("{element}: {reason}")]
    InvalidValue {
        /// The element (e.g. `Principal.AWS`, `Condition aws:PrincipalOrgID`).
        element: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A condition operator lattice-local does not implement.
    #[error("condition operator {0} is not supported")]
    UnsupportedOperator(String),
    /// A condition key lattice-local cannot supply.
    #[error("condition key {0} is not supported")]
    UnsupportedConditionKey(String),
    /// A principal type other than `AWS` (`Service`, `Federated`, `CanonicalUser`).
    #[error("principal type {0} is not supported (only \"*\" and AWS principals)")]
    UnsupportedPrincipalType(String),
    /// A `Version` other than `2012-10-17`/`2008-10-17`.
    #[error("policy version {0} is not supported (use 2012-10-17)")]
    UnsupportedVersion(String),
    /// A policy variable such as `${aws:username}`.
    #[error("policy variables are not supported: {0}")]
    PolicyVariable(String),
}
