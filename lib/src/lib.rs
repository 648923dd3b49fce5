#![doc = include_str!("../README.md")]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![warn(missing_docs)]
#![deny(unsafe_code)]

#[cfg(feature = "runtime")]
pub mod access;
#[cfg(feature = "axum")]
pub mod axum;
mod body;
mod content;
mod event;
mod identity;
mod query;
mod request;
pub mod response;
#[cfg(feature = "runtime")]
mod runtime;
#[cfg(any(test, feature = "testing"))]
pub mod testing;

#[cfg(feature = "client")]
pub mod client;

pub use body::Body;
pub use event::{EventError, EventVersion, LatticeRequest};
pub use identity::{
    AuthType, IDENTITY_HEADER, IDENTITY_TAGS_HEADER, Identity, IdentityHeaderError, NETWORK_HEADER,
    PrincipalTags, RequestContext, TARGET_HEADER, X509Identity,
};
pub use query::QueryParameters;
pub use request::RequestExt;
pub use response::{LatticeResponse, ResponseError};

#[cfg(feature = "runtime")]
pub use lambda_runtime;
#[cfg(feature = "runtime")]
pub use runtime::{
    InitErrorReportFailed, LatticeFuture, LatticeService, init_tracing, log_filter,
    report_init_error, run, runtime,
};
#[cfg(feature = "concurrency-tokio")]
pub use runtime::{run_concurrent, runtime_concurrent};
#[cfg(feature = "runtime")]
pub use tower::service_fn;

/// The error type [`run`] returns (the runtime's boxed error).
#[cfg(feature = "runtime")]
pub type Error = lambda_runtime::Error;
