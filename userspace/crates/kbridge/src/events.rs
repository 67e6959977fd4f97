//! Change events, whatever transport carries them.
//!
//! Each interface that can deliver events (the character device, generic netlink, the BPF
//! ring buffer) implements [`EventSource`]; [`EventStream`] is what callers hold. Every
//! source is backed by one pollable file descriptor, so a stream can be driven by a blocking
//! loop ([`EventStream::next_timeout`], [`Iterator`]) or by an event loop
//! ([`EventStream::as_fd`] + `next_timeout(Some(Duration::ZERO))`).

use std::fmt;
use std::os::fd::{AsFd, BorrowedFd};
use std::time::Duration;

use crate::{Event, Interface, Result};

/// One transport's event reader.
pub trait EventSource: fmt::Debug + Send {
    /// The interface the events come through.
    fn via(&self) -> Interface;

    /// The next event, waiting at most `timeout` (`None`: forever). `Ok(None)` on timeout.
    /// Events lost before the returned one are counted in its [`Event::dropped`].
    fn next_timeout(&mut self, timeout: Option<Duration>) -> Result<Option<Event>>;

    /// A descriptor that polls readable when [`EventSource::next_timeout`] may have an
    /// event without waiting.
    fn as_fd(&self) -> BorrowedFd<'_>;
}

/// A stream of change events, made after the stream was opened, in sequence order.
#[derive(Debug)]
pub struct EventStream {
    source: Box<dyn EventSource>,
}

impl EventStream {
    /// Wraps a transport's reader.
    pub fn new(source: Box<dyn EventSource>) -> Self {
        EventStream { source }
    }

    /// The interface the events come through.
    pub fn via(&self) -> Interface {
        self.source.via()
    }

    /// The next event, waiting at most `timeout` (`None`: forever). `Ok(None)` on timeout.
    pub fn next_timeout(&mut self, timeout: Option<Duration>) -> Result<Option<Event>> {
        self.source.next_timeout(timeout)
    }
}

impl AsFd for EventStream {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.source.as_fd()
    }
}

impl Iterator for EventStream {
    type Item = Result<Event>;

    /// Blocks until the next event.
    fn next(&mut self) -> Option<Self::Item> {
        self.next_timeout(None).transpose()
    }
}
