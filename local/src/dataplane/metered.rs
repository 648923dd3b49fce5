//! [`MeteredBody`]: a response body that counts the bytes it hands to the connection and, once
//! the last one is out (or the client went away and hyper dropped it), reports the count. The
//! recording layer uses it to finish an access record when the response is really over, which
//! is what Lattice's `duration` and `bytesSent` describe.

use std::pin::Pin;
use std::task::{Context, Poll, ready};

use bytes::Buf;
use hyper::body::{Body, Frame, SizeHint};

/// What to do with the count once the body is over.
pub(crate) type OnDone = Box<dyn FnOnce(u64) + Send>;

pin_project_lite::pin_project! {
    /// `inner`, counted; `on_done` runs once, with the body bytes sent.
    pub(crate) struct MeteredBody<B> {
        #[pin]
        inner: B,
        sent: u64,
        on_done: Option<OnDone>,
    }

    impl<B> PinnedDrop for MeteredBody<B> {
        fn drop(this: Pin<&mut Self>) {
            let this = this.project();
            if let Some(on_done) = this.on_done.take() {
                on_done(*this.sent);
            }
        }
    }
}

impl<B> MeteredBody<B> {
    /// `inner`, reporting to `on_done` (nothing is counted without one).
    pub fn new(inner: B, on_done: Option<OnDone>) -> Self {
        MeteredBody {
            inner,
            sent: 0,
            on_done,
        }
    }
}

impl<B: Body> Body for MeteredBody<B> {
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        let mut this = self.project();
        let frame = ready!(this.inner.as_mut().poll_frame(cx));
        if this.on_done.is_none() {
            return Poll::Ready(frame);
        }
        if let Some(Ok(data)) = frame.as_ref().map(|f| f.as_ref().map(Frame::data_ref)) {
            *this.sent += data.map_or(0, |d| d.remaining() as u64);
        }
        // The end: no more frames, an error, or a last frame (hyper may not poll again).
        let over = !matches!(frame, Some(Ok(_))) || this.inner.is_end_stream();
        if over && let Some(on_done) = this.on_done.take() {
            on_done(*this.sent);
        }
        Poll::Ready(frame)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use bytes::Bytes;
    use http_body_util::{BodyExt, Empty, Full, StreamBody};

    use super::*;

    fn reporter() -> (Arc<Mutex<Vec<u64>>>, Option<OnDone>) {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&seen);
        let on_done: OnDone = Box::new(move |sent| sink.lock().unwrap().push(sent));
        (seen, Some(on_done))
    }

    #[tokio::test]
    async fn the_count_is_reported_once_when_the_body_is_over() {
        let (seen, on_done) = reporter();
        let body = MeteredBody::new(Full::new(Bytes::from_static(b"hello")), on_done);
        let bytes = body.collect().await.unwrap().to_bytes();
        assert_eq!(bytes, "hello");
        assert_eq!(*seen.lock().unwrap(), [5]);

        let frames = futures_util::stream::iter(
            [b"ab".as_slice(), b"cde".as_slice()]
                .map(|chunk| Ok::<_, std::convert::Infallible>(Frame::data(Bytes::from(chunk)))),
        );
        let (seen, on_done) = reporter();
        let body = MeteredBody::new(StreamBody::new(frames), on_done);
        body.collect().await.unwrap();
        assert_eq!(*seen.lock().unwrap(), [5]);
    }

    #[test]
    fn a_body_never_polled_reports_when_dropped() {
        // hyper does not poll a body that says it is empty; a client may also go away.
        let (seen, on_done) = reporter();
        drop(MeteredBody::new(Empty::<Bytes>::new(), on_done));
        assert_eq!(*seen.lock().unwrap(), [0]);
        // Without a reporter nothing is counted or reported.
        drop(MeteredBody::new(Empty::<Bytes>::new(), None));
    }
}
