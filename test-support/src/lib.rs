//! Test support shared by `lattice-lambda`'s unit tests, `lattice-local`'s tests and the
//! cross-crate `lattice-tests`: one implementation of each helper the three need.
//!
//! - [`binaries`]: find (and build) a workspace binary or example in the profile the test runs under.
//! - [`fault_upstream`]: a scripted raw-TCP HTTP/1.1 upstream that records what it reads and
//!   misbehaves on cue (hangs, resets mid-body, answers late).
//! - [`signing`] (feature `signing`): a SigV4/SigV4A signer built on `aws-sigv4`, independent of
//!   the verifiers under test.
//!
//! This crate must never depend on `lattice-lambda` or `lattice-local` (see `Cargo.toml`).

#![warn(missing_docs)]

pub mod binaries;
pub mod fault_upstream;
#[cfg(feature = "signing")]
pub mod signing;
