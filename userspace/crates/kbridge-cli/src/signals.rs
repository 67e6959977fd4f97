//! Signals as file descriptor events, for the long-running commands (`watch`, `blink`,
//! `agent`).
//!
//! SIGINT, SIGTERM and SIGHUP are blocked and read from a `signalfd`, which is polled together
//! with the event stream: one loop handles events, timers and signals, with no handler code
//! running at an arbitrary point, no flag polling and no extra thread. Blocked signals are
//! queued even where the parent set them to "ignore" (a background job of a non-interactive
//! shell ignores SIGINT), so `kill -INT` still stops a backgrounded `kbridge watch`.

use std::io;
use std::os::fd::{AsFd, BorrowedFd};
use std::time::{Duration, Instant};

use nix::poll::{PollFd, PollFlags, PollTimeout};
use nix::sys::signal::{SigSet, Signal};
use nix::sys::signalfd::{SfdFlags, SignalFd};

use crate::Failure;

/// The blocked signals and the descriptor they are read from.
#[derive(Debug)]
pub(crate) struct Signals {
    fd: SignalFd,
}

impl Signals {
    /// Blocks SIGINT, SIGTERM and SIGHUP (the process is single-threaded) and opens a
    /// non-blocking signalfd for them.
    pub(crate) fn new() -> io::Result<Self> {
        let mut mask = SigSet::empty();
        mask.add(Signal::SIGINT);
        mask.add(Signal::SIGTERM);
        mask.add(Signal::SIGHUP);
        mask.thread_block().map_err(io::Error::from)?;
        let fd = SignalFd::with_flags(&mask, SfdFlags::SFD_NONBLOCK | SfdFlags::SFD_CLOEXEC)
            .map_err(io::Error::from)?;
        Ok(Signals { fd })
    }

    /// The next pending signal, without waiting.
    pub(crate) fn pending(&self) -> io::Result<Option<Signal>> {
        match self.fd.read_signal() {
            Ok(Some(info)) => Ok(i32::try_from(info.ssi_signo)
                .ok()
                .and_then(|n| Signal::try_from(n).ok())),
            Ok(None) => Ok(None),
            Err(nix::errno::Errno::EINTR) => Ok(None),
            Err(e) => Err(io::Error::from(e)),
        }
    }
}

impl AsFd for Signals {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

/// Which of the polled descriptors are ready.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Ready {
    /// The signalfd has a signal.
    pub(crate) signal: bool,
    /// The other descriptor is readable or reports an error/hang-up (its reader tells which).
    pub(crate) other: bool,
}

/// Waits until a signal arrives, `other` (if any) is ready, or `deadline` (if any) passes.
pub(crate) fn wait(
    signals: &Signals,
    other: Option<BorrowedFd<'_>>,
    deadline: Option<Instant>,
) -> io::Result<Ready> {
    let (signal, others) = wait_any(signals, other.as_slice(), deadline)?;
    Ok(Ready {
        signal,
        other: others.first().copied().unwrap_or(false),
    })
}

/// Waits until a signal arrives, one of `others` is ready, or `deadline` (if any) passes.
/// Returns whether a signal is pending and, index-aligned with `others`, which are ready
/// (readable, or reporting an error or hang-up).
pub(crate) fn wait_any(
    signals: &Signals,
    others: &[BorrowedFd<'_>],
    deadline: Option<Instant>,
) -> io::Result<(bool, Vec<bool>)> {
    let timeout = match deadline {
        None => PollTimeout::NONE,
        Some(d) => {
            let left = d.saturating_duration_since(Instant::now());
            // Round up to whole milliseconds so a wait never ends just before its deadline.
            let ms = left.as_nanos().div_ceil(1_000_000);
            PollTimeout::try_from(Duration::from_millis(u64::try_from(ms).unwrap_or(u64::MAX)))
                .unwrap_or(PollTimeout::MAX)
        }
    };
    let mut fds = vec![PollFd::new(signals.as_fd(), PollFlags::POLLIN)];
    fds.extend(others.iter().map(|fd| PollFd::new(*fd, PollFlags::POLLIN)));
    match nix::poll::poll(&mut fds, timeout) {
        Ok(_) => {}
        Err(nix::errno::Errno::EINTR) => return Ok((false, vec![false; others.len()])),
        Err(e) => return Err(io::Error::from(e)),
    }
    let ready = |i: usize| {
        fds.get(i)
            .and_then(PollFd::revents)
            .is_some_and(|r| !r.is_empty())
    };
    Ok((ready(0), (1..=others.len()).map(ready).collect()))
}

/// What [`wait_for_stop`] saw.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Woken {
    /// SIGINT or SIGTERM arrived: the command stops.
    pub(crate) stop: Option<Signal>,
    /// The other descriptor is ready, as in [`Ready::other`].
    pub(crate) other: bool,
}

impl Signals {
    /// [`Signals::new`] for the commands that stop on a signal (`watch`, `blink`).
    pub(crate) fn for_command() -> Result<Self, Failure> {
        Signals::new().map_err(|e| Failure::Usage(format!("signals: {e}")))
    }
}

/// For the commands that stop on SIGINT or SIGTERM and carry on through SIGHUP (`watch`,
/// `blink`): [`wait`], then, if the signalfd is ready, reads one signal; `stop` is that
/// signal unless it is SIGHUP.
pub(crate) fn wait_for_stop(
    signals: &Signals,
    other: Option<BorrowedFd<'_>>,
    deadline: Option<Instant>,
) -> Result<Woken, Failure> {
    let ready = wait(signals, other, deadline).map_err(|e| Failure::Usage(format!("poll: {e}")))?;
    let stop = if ready.signal {
        signals
            .pending()
            .map_err(|e| Failure::Usage(format!("signals: {e}")))?
            .filter(|&sig| sig != Signal::SIGHUP)
    } else {
        None
    };
    Ok(Woken {
        stop,
        other: ready.other,
    })
}

/// A signal's conventional name, for messages.
pub(crate) fn name(sig: Signal) -> &'static str {
    sig.as_str()
}
