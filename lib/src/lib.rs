#![doc = include_str!("../README.md")]
#![warn(missing_docs)]
#![deny(unsafe_code)]

mod body;
pub mod content;
mod event;
mod identity;
#[cfg(feature = "runtime")]
mod init_error;
mod query;
mod request;
pub mod response;
#[cfg(feature = "runtime")]
mod runtime;
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
pub use init_error::{InitErrorReportFailed, report_init_error};
#[cfg(feature = "runtime")]
pub use lambda_runtime;
#[cfg(feature = "runtime")]
pub use runtime::{LatticeService, init_tracing, run};
#[cfg(feature = "runtime")]
pub use tower::service_fn;

/// The error type [`run`] returns (the runtime's boxed error).
#[cfg(feature = "runtime")]
pub type Error = lambda_runtime::Error;
