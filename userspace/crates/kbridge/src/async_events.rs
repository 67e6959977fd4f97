//! [`AsyncEventStream`]: an [`EventStream`] as an async [`Stream`] on a tokio runtime
//! (cargo feature `tokio`).
//!
//! Every [`EventSource`](crate::EventSource) is backed by one pollable descriptor. The stream
//! registers that descriptor with the runtime's reactor through [`AsyncFd`] (epoll on Linux):
//! no thread per stream, no busy polling. When the reactor reports the descriptor readable
//! the stream calls [`EventStream::next_timeout`] with a zero timeout, which never blocks.
//!
//! ```no_run
//! # async fn demo() -> kbridge::Result<()> {
//! use kbridge::{AsyncEventStream, Backend, ChardevBackend, Config};
//!
//! let mut board = ChardevBackend::open(&Config::new())?;
//! let mut events = AsyncEventStream::new(board.events()?)?;
//! while let Some(event) = events.next().await {
//!     let event = event?;
//!     println!("{} {} -> {}", event.line, event.old_value, event.new_value);
//! }
//! # Ok(())
//! # }
//! ```

use std::future::poll_fn;
#[cfg(test)]
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use futures_core::Stream;
use tokio::io::unix::AsyncFd;

use crate::sys::reactor::{self, Owned};
use crate::{Error, Event, EventStream, Interface, Result};

/// An [`EventStream`] driven by a tokio runtime: a [`Stream`] of `Result<Event>`.
///
/// Items are the same as the blocking stream's, in the same order, with the same
/// [`Event::dropped`] accounting. The stream never ends by itself; an error is yielded as an
/// item and the stream can be polled again (a read error usually repeats).
///
/// Must be created and polled inside a tokio runtime with I/O enabled (`enable_io()`, or
/// `#[tokio::main]`); either flavour of runtime works.
#[derive(Debug)]
pub struct AsyncEventStream {
    fd: AsyncFd<Owned<EventStream>>,
}

impl AsyncEventStream {
    /// Registers (a duplicate of) `stream`'s descriptor with the current tokio runtime.
    ///
    /// Fails with [`Error::Os`] outside a tokio runtime.
    ///
    /// # Panics
    ///
    /// Inside a runtime built without I/O (tokio panics there; there is no way to ask first).
    pub fn new(stream: EventStream) -> Result<Self> {
        let via = stream.via();
        let fd = reactor::register(stream).map_err(|e| Error::Os {
            via,
            op: "register the event stream with the tokio reactor",
            source: e,
        })?;
        Ok(AsyncEventStream { fd })
    }

    /// The interface the events come through.
    pub fn via(&self) -> Interface {
        self.fd.get_ref().get_ref().via()
    }

    /// The next event, waiting without blocking the thread. Never `None` in practice (the
    /// stream does not end); `Option` only so that it reads like [`Stream`].
    pub async fn next(&mut self) -> Option<Result<Event>> {
        poll_fn(|cx| self.poll_event(cx))
            .await
            .map(Some)
            .transpose()
    }

    /// The next event if one is already there, without waiting: for draining what happened
    /// before some point.
    pub fn try_next(&mut self) -> Result<Option<Event>> {
        self.fd
            .get_mut()
            .get_mut()
            .next_timeout(Some(Duration::ZERO))
    }

    /// The blocking stream back (deregistered from the reactor).
    pub fn into_inner(self) -> EventStream {
        self.fd.into_inner().into_inner()
    }

    /// Polls for the next event.
    ///
    /// Readiness is cleared only after a zero-timeout read found nothing, so events the source
    /// already buffered (one `read()` may fetch several) are returned before waiting again.
    /// tokio's readiness tick makes the clear safe against an event that arrives between the
    /// read and the clear: that event sets readiness anew.
    pub fn poll_event(&mut self, cx: &mut Context<'_>) -> Poll<Result<Event>> {
        loop {
            let mut guard = match self.fd.poll_read_ready_mut(cx) {
                Poll::Ready(Ok(guard)) => guard,
                Poll::Ready(Err(e)) => {
                    return Poll::Ready(Err(Error::Os {
                        via: self.via(),
                        op: "wait for events",
                        source: e,
                    }))
                }
                Poll::Pending => return Poll::Pending,
            };
            match guard
                .get_inner_mut()
                .get_mut()
                .next_timeout(Some(Duration::ZERO))
            {
                Ok(Some(event)) => return Poll::Ready(Ok(event)),
                Ok(None) => guard.clear_ready(),
                Err(e) => return Poll::Ready(Err(e)),
            }
        }
    }
}

impl Stream for AsyncEventStream {
    type Item = Result<Event>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        // `AsyncEventStream` is `Unpin` (AsyncFd and the boxed source are).
        self.get_mut().poll_event(cx).map(Some)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{EventSource, LineKind, Source};
    use std::io::{Read, Write};
    use std::os::fd::{AsFd, BorrowedFd};
    use std::os::unix::net::UnixStream;
    use std::time::Instant;

    /// A source over one end of a socket pair: every byte written to the other end is one
    /// event whose `new_value` is the byte; byte 0xff makes `next_timeout` fail. Reads up to
    /// four bytes at a time and buffers them, like the chardev source's batches.
    #[derive(Debug)]
    struct PipeSource {
        rx: UnixStream,
        seq: u64,
        pending: Vec<u8>,
    }

    impl PipeSource {
        fn pair() -> (PipeSource, UnixStream) {
            let (rx, tx) = UnixStream::pair().unwrap();
            rx.set_nonblocking(true).unwrap();
            (
                PipeSource {
                    rx,
                    seq: 0,
                    pending: Vec::new(),
                },
                tx,
            )
        }
    }

    impl EventSource for PipeSource {
        fn via(&self) -> Interface {
            Interface::Chardev
        }

        fn as_fd(&self) -> BorrowedFd<'_> {
            self.rx.as_fd()
        }

        fn next_timeout(&mut self, timeout: Option<Duration>) -> Result<Option<Event>> {
            // The async stream must only ever ask without waiting.
            assert_eq!(timeout, Some(Duration::ZERO));
            if self.pending.is_empty() {
                let mut buf = [0u8; 4];
                match self.rx.read(&mut buf) {
                    Ok(n) => self.pending.extend_from_slice(&buf[..n]),
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(None),
                    Err(e) => panic!("{e}"),
                }
            }
            if self.pending.is_empty() {
                return Ok(None);
            }
            let byte = self.pending.remove(0);
            if byte == 0xff {
                return Err(Error::Os {
                    via: Interface::Chardev,
                    op: "read events",
                    source: io::Error::other("test source failure"),
                });
            }
            self.seq += 1;
            Ok(Some(Event {
                seq: self.seq,
                timestamp_ns: 0,
                line: "relay".into(),
                kind: LineKind::Output,
                source: Source::Ioctl,
                old_value: 0,
                new_value: u32::from(byte),
                dropped: 0,
            }))
        }
    }

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .enable_time()
            .build()
            .unwrap()
    }

    #[test]
    fn outside_a_runtime_is_an_error_not_a_panic() {
        let (src, _tx) = PipeSource::pair();
        let err = AsyncEventStream::new(EventStream::new(Box::new(src))).unwrap_err();
        assert!(matches!(err, Error::Os { .. }), "{err:?}");
    }

    #[test]
    fn events_from_another_thread_wake_the_stream_in_order() {
        runtime().block_on(async {
            let (src, mut tx) = PipeSource::pair();
            let mut events = AsyncEventStream::new(EventStream::new(Box::new(src))).unwrap();
            assert_eq!(events.via(), Interface::Chardev);
            assert!(events.try_next().unwrap().is_none());
            let writer = std::thread::spawn(move || {
                for chunk in [&[1u8, 2][..], &[3, 4, 5, 6, 7, 8, 9], &[10]] {
                    std::thread::sleep(Duration::from_millis(30));
                    tx.write_all(chunk).unwrap();
                }
                tx
            });
            let start = Instant::now();
            let mut seen = Vec::new();
            while seen.len() < 10 {
                let ev = tokio::time::timeout(Duration::from_secs(5), events.next())
                    .await
                    .expect("stream hung")
                    .unwrap()
                    .unwrap();
                assert_eq!(ev.seq, seen.len() as u64 + 1);
                seen.push(ev.new_value);
            }
            assert_eq!(seen, (1..=10).collect::<Vec<u32>>());
            // It waited for the writer rather than spinning on an empty source.
            assert!(start.elapsed() >= Duration::from_millis(80));
            let _tx = writer.join().unwrap();
            assert!(events.try_next().unwrap().is_none());
        });
    }

    #[test]
    fn buffered_events_are_served_before_waiting_again() {
        runtime().block_on(async {
            let (src, mut tx) = PipeSource::pair();
            let mut events = AsyncEventStream::new(EventStream::new(Box::new(src))).unwrap();
            // One burst: the source reads 4 at a time, the socket is empty after two reads.
            tx.write_all(&[1, 2, 3, 4, 5, 6]).unwrap();
            for want in 1..=6 {
                let ev = tokio::time::timeout(Duration::from_secs(5), events.next())
                    .await
                    .expect("a buffered event was not returned")
                    .unwrap()
                    .unwrap();
                assert_eq!(ev.new_value, want);
            }
            // Nothing left: the stream waits (times out) instead of inventing events.
            assert!(
                tokio::time::timeout(Duration::from_millis(50), events.next())
                    .await
                    .is_err()
            );
        });
    }

    #[test]
    fn errors_are_items_and_the_stream_goes_on() {
        runtime().block_on(async {
            let (src, mut tx) = PipeSource::pair();
            let mut events = AsyncEventStream::new(EventStream::new(Box::new(src))).unwrap();
            tx.write_all(&[7, 0xff, 8]).unwrap();
            assert_eq!(events.next().await.unwrap().unwrap().new_value, 7);
            assert!(matches!(events.next().await, Some(Err(Error::Os { .. }))));
            assert_eq!(events.next().await.unwrap().unwrap().new_value, 8);
            let back = events.into_inner();
            assert_eq!(back.via(), Interface::Chardev);
        });
    }

    #[test]
    fn it_is_a_futures_stream() {
        fn assert_stream<S: Stream<Item = Result<Event>> + Unpin + Send>(_: &S) {}
        runtime().block_on(async {
            let (src, mut tx) = PipeSource::pair();
            let mut events = AsyncEventStream::new(EventStream::new(Box::new(src))).unwrap();
            assert_stream(&events);
            tx.write_all(&[5]).unwrap();
            let ev = poll_fn(|cx| Pin::new(&mut events).poll_next(cx)).await;
            assert_eq!(ev.unwrap().unwrap().new_value, 5);
        });
    }
}
