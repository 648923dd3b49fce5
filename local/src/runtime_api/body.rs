//! Reading request bodies with a size limit.

use http::HeaderMap;
use http_body_util::{BodyExt, LengthLimitError, Limited};
use hyper::body::Incoming;

/// A request body read whole, with its trailers (streamed responses carry errors there).
pub(crate) struct ReadBody {
    pub(crate) bytes: bytes::Bytes,
    pub(crate) trailers: Option<HeaderMap>,
}

/// Why a body could not be read.
pub(crate) enum BodyError {
    /// More than the limit was sent.
    TooLarge,
    /// The connection failed mid-body.
    Broken,
}

/// Read `body`, refusing more than `limit` bytes. A single-chunk body is not copied.
pub(crate) async fn read_limited(body: Incoming, limit: usize) -> Result<ReadBody, BodyError> {
    match Limited::new(body, limit).collect().await {
        Ok(collected) => {
            let trailers = collected.trailers().cloned();
            Ok(ReadBody {
                bytes: collected.to_bytes(),
                trailers,
            })
        }
        Err(error) if error.downcast_ref::<LengthLimitError>().is_some() => {
            Err(BodyError::TooLarge)
        }
        Err(_) => Err(BodyError::Broken),
    }
}
