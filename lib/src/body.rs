//! The request and response body type: one contiguous buffer.

use std::convert::Infallible;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::{Frame, SizeHint};

/// A complete, in-memory HTTP body.
///
/// Lattice delivers the whole body inside the event (at most 6 MB), so there is
/// nothing to stream: the body is one [`Bytes`] buffer that is cheap to clone.
/// It implements [`http_body::Body`], so it works with any `tower` service
/// (an axum `Router`, for example).
///
/// ```
/// use lattice_lambda::Body;
/// let body = Body::from("hello");
/// assert_eq!(body.as_bytes(), b"hello");
/// assert_eq!(body.as_str(), Some("hello"));
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Body(Bytes);

impl Body {
    /// An empty body.
    ///
    /// ```
    /// assert!(lattice_lambda::Body::empty().is_empty());
    /// ```
    pub const fn empty() -> Self {
        Body(Bytes::new())
    }

    /// The body's bytes.
    ///
    /// ```
    /// assert_eq!(lattice_lambda::Body::from(vec![1, 2]).as_bytes(), &[1, 2]);
    /// ```
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The body as UTF-8 text, or `None` if it is not valid UTF-8.
    ///
    /// ```
    /// assert_eq!(lattice_lambda::Body::from(vec![0xff]).as_str(), None);
    /// ```
    pub fn as_str(&self) -> Option<&str> {
        std::str::from_utf8(&self.0).ok()
    }

    /// Whether the body has no bytes.
    ///
    /// ```
    /// assert!(!lattice_lambda::Body::from("x").is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Length in bytes.
    ///
    /// ```
    /// assert_eq!(lattice_lambda::Body::from("abc").len(), 3);
    /// ```
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// The underlying buffer.
    ///
    /// ```
    /// let bytes = lattice_lambda::Body::from("x").into_bytes();
    /// assert_eq!(&bytes[..], b"x");
    /// ```
    pub fn into_bytes(self) -> Bytes {
        self.0
    }
}

impl From<Bytes> for Body {
    fn from(bytes: Bytes) -> Self {
        Body(bytes)
    }
}

impl From<Vec<u8>> for Body {
    fn from(bytes: Vec<u8>) -> Self {
        Body(Bytes::from(bytes))
    }
}

impl From<String> for Body {
    fn from(text: String) -> Self {
        Body(Bytes::from(text))
    }
}

impl From<&'static str> for Body {
    fn from(text: &'static str) -> Self {
        Body(Bytes::from_static(text.as_bytes()))
    }
}

impl From<&'static [u8]> for Body {
    fn from(bytes: &'static [u8]) -> Self {
        Body(Bytes::from_static(bytes))
    }
}

impl From<()> for Body {
    fn from(_: ()) -> Self {
        Body::empty()
    }
}

impl http_body::Body for Body {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        if self.0.is_empty() {
            return Poll::Ready(None);
        }
        Poll::Ready(Some(Ok(Frame::data(std::mem::take(&mut self.0)))))
    }

    fn is_end_stream(&self) -> bool {
        self.0.is_empty()
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.0.len() as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt;

    #[tokio::test]
    async fn body_yields_its_bytes_once() {
        let body = Body::from("abc");
        assert_eq!(http_body::Body::size_hint(&body).exact(), Some(3));
        let collected = body.collect().await.unwrap().to_bytes();
        assert_eq!(&collected[..], b"abc");
    }

    #[tokio::test]
    async fn empty_body_ends_immediately() {
        let body = Body::empty();
        assert!(http_body::Body::is_end_stream(&body));
        assert!(body.collect().await.unwrap().to_bytes().is_empty());
    }
}
