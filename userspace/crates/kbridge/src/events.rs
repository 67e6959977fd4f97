//! Change events, whatever transport carries them.
//!
//! Each interface that can deliver events (the character device, generic netlink, the BPF
//! ring buffer) implements [`EventSource`]; [`EventStream`] is what callers hold. Every
//! source is backed by one pollable file descriptor, so a stream can be driven by a blocking
//! loop ([`EventStream::next_timeout`], [`Iterator`]) or by an event loop
//! ([`EventStream::as_fd`] + `next_timeout(Some(Duration::ZERO))`).

use std::fmt;
use std::io;
use std::os::fd::{AsFd, BorrowedFd};
use std::time::{Duration, Instant};

use nix::errno::Errno;
use nix::poll::{PollFd, PollFlags, PollTimeout};

use kbridge_abi as abi;

use crate::{Error, Event, Interface, LineKind, Result, Source};

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

/// Waits until `fd` polls with any of the `ready` flags set, or `deadline` passes (`None`:
/// forever). `Ok(true)`: ready; `Ok(false)`: the deadline passed first.
///
/// `ready` is `POLLIN` for a descriptor whose error bits mean the other side is gone; a
/// socket whose pending error the next read reports (a netlink overrun's `ENOBUFS`) adds
/// `POLLERR`. `POLLERR`, `POLLHUP` or `POLLNVAL` without a ready flag is an error naming
/// what poll reported. A signal (`EINTR`) restarts the wait with the time that is left.
pub(crate) fn wait_readable(
    fd: BorrowedFd<'_>,
    deadline: Option<Instant>,
    ready: PollFlags,
    via: Interface,
) -> Result<bool> {
    loop {
        let remaining = match deadline {
            None => PollTimeout::NONE,
            Some(d) => {
                let left = d.saturating_duration_since(Instant::now());
                PollTimeout::try_from(left).unwrap_or(PollTimeout::MAX)
            }
        };
        let mut fds = [PollFd::new(fd, PollFlags::POLLIN)];
        match nix::poll::poll(&mut fds, remaining) {
            Ok(0) => return Ok(false),
            Ok(_) => {
                let revents = fds
                    .first()
                    .and_then(PollFd::revents)
                    .unwrap_or(PollFlags::empty());
                if revents.intersects(ready) {
                    return Ok(true);
                }
                if revents.intersects(PollFlags::POLLERR | PollFlags::POLLHUP | PollFlags::POLLNVAL)
                {
                    return Err(Error::protocol(via, format!("poll reported {revents:?}")));
                }
            }
            Err(Errno::EINTR) => {}
            Err(e) => {
                return Err(Error::Os {
                    via,
                    op: "poll",
                    source: io::Error::from(e),
                })
            }
        }
    }
}

/// A kernel event record (line by index) as an [`Event`] (line by name, from `names`, the
/// line table in index order), with `dropped` events lost just before it.
pub(crate) fn event_from_record(
    rec: &abi::EventRecord,
    names: &[String],
    via: Interface,
    dropped: u32,
) -> Result<Event> {
    let line = names.get(usize::from(rec.line)).ok_or_else(|| {
        Error::protocol(via, format!("event for unknown line index {}", rec.line))
    })?;
    Ok(Event {
        seq: rec.seq,
        timestamp_ns: rec.timestamp_ns,
        line: line.clone(),
        kind: LineKind::from_abi(rec.kind),
        source: Source::from_abi(rec.source),
        old_value: rec.old_value,
        new_value: rec.new_value,
        dropped,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    use std::io::Write;

    fn pipe() -> (std::fs::File, std::fs::File) {
        let (r, w) = nix::unistd::pipe().expect("pipe");
        (std::fs::File::from(r), std::fs::File::from(w))
    }

    fn soon() -> Option<Instant> {
        Some(Instant::now() + Duration::from_millis(20))
    }

    #[test]
    fn wait_readable_times_out_then_sees_data() {
        let (r, mut w) = pipe();
        let wait = |r: &std::fs::File| {
            wait_readable(r.as_fd(), soon(), PollFlags::POLLIN, Interface::Chardev)
        };
        assert!(!wait(&r).expect("empty pipe"));
        w.write_all(b"x").expect("write");
        assert!(wait(&r).expect("pipe with data"));
    }

    #[test]
    fn wait_readable_reports_a_hangup() {
        let (r, w) = pipe();
        drop(w);
        let err = wait_readable(r.as_fd(), soon(), PollFlags::POLLIN, Interface::Chardev)
            .expect_err("writer gone");
        assert!(err.to_string().contains("POLLHUP"), "{err}");
        // A caller that counts the hang-up as ready sees it as such.
        let ready = PollFlags::POLLIN | PollFlags::POLLHUP;
        assert!(wait_readable(r.as_fd(), None, ready, Interface::Chardev).expect("ready"));
    }
}
