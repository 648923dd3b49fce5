//! The one request-body reader: whole bodies, at most `limit` bytes, within
//! [`BODY_READ_TIMEOUT`].

use bytes::Bytes;
use http::HeaderMap;
use http_body_util::{BodyExt, LengthLimitError, Limited};
use hyper::body::Incoming;

use super::limits::BODY_READ_TIMEOUT;

/// A body read whole, with its trailers (streamed responses carry errors there).
#[derive(Debug)]
pub struct ReadBody {
    /// The bytes.
    pub bytes: Bytes,
    /// The trailers, if the body had any.
    pub trailers: Option<HeaderMap>,
}

/// Why a body could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyError {
    /// More than the limit was sent.
    TooLarge,
    /// The connection failed mid-body, or the body did not arrive within the read timeout.
    Broken,
}

/// Reads `body`, refusing more than `limit` bytes or taking longer than
/// [`BODY_READ_TIMEOUT`]. A single-chunk body is not copied.
pub async fn read_limited(body: Incoming, limit: usize) -> Result<ReadBody, BodyError> {
    let collected = tokio::time::timeout(BODY_READ_TIMEOUT, Limited::new(body, limit).collect())
        .await
        .map_err(|_| BodyError::Broken)?;
    match collected {
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
