//! Allow-lists on the caller, in the function, as defence in depth behind Lattice's own
//! auth policy: [`AllowList`] (exact ARNs, or prefixes that end on `:` or `/`),
//! [`AccessPolicy`] (principals and source VPCs) and [`AccessLayer`] (the policy as a
//! `tower::Layer` that answers `403`).
//!
//! Lattice's auth policy is the real gate: it is evaluated before the function is invoked
//! and can use every condition key. These lists help when one function serves several
//! services or when a policy is loosened by mistake; they read the caller identity Lattice
//! sent ([`RequestExt::caller_identity`](crate::RequestExt::caller_identity)).

mod allow_list;
mod layer;
mod policy;

pub use allow_list::{AllowList, AllowListError, Pattern};
pub use layer::{AccessFuture, AccessLayer, AccessService};
pub use policy::{AccessPolicy, Denial};

#[cfg(test)]
mod tests;
