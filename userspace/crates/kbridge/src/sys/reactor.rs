//! Registering a descriptor with the tokio reactor (feature `tokio`).
//!
//! [`AsyncFd::register_with_interest`] is `unsafe`: the descriptor must stay open, refer to
//! the same open file description and be the one `as_raw_fd` returns for as long as the
//! `AsyncFd` lives. [`Owned`] guarantees that by construction: it owns its own duplicate of the
//! descriptor (so whatever the wrapped value does with its descriptor cannot break the
//! contract), never replaces it, and closes it only when dropped, after `AsyncFd` has
//! deregistered it.

use std::io;
use std::os::fd::{AsFd, AsRawFd, OwnedFd, RawFd};

use tokio::io::unix::AsyncFd;
use tokio::io::Interest;

/// A value together with a private duplicate of the descriptor it is polled through.
#[derive(Debug)]
pub(crate) struct Owned<T> {
    fd: OwnedFd,
    inner: T,
}

impl<T> Owned<T> {
    pub(crate) fn get_ref(&self) -> &T {
        &self.inner
    }

    pub(crate) fn get_mut(&mut self) -> &mut T {
        &mut self.inner
    }

    pub(crate) fn into_inner(self) -> T {
        self.inner
    }
}

impl<T> AsRawFd for Owned<T> {
    fn as_raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }
}

/// Registers a duplicate of `inner`'s descriptor (readable interest) with the current tokio
/// runtime's reactor, keeping `inner` alongside.
///
/// Errors: no tokio runtime on this thread, `dup` failed, or the reactor refused the
/// descriptor. Panics (inside tokio) if the runtime was built without I/O enabled.
pub(crate) fn register<T: AsFd>(inner: T) -> io::Result<AsyncFd<Owned<T>>> {
    if tokio::runtime::Handle::try_current().is_err() {
        return Err(io::Error::other("no tokio runtime on this thread"));
    }
    let owned = Owned {
        fd: inner.as_fd().try_clone_to_owned()?,
        inner,
    };
    // SAFETY: `owned.fd` is an open descriptor owned by `owned`, which the `AsyncFd` owns
    // from here on; the field is private to this module and never reassigned, so it stays
    // open, refers to the same file description and is what `as_raw_fd` returns until the
    // `AsyncFd` is dropped or `into_inner` hands `owned` back.
    unsafe { AsyncFd::register_with_interest(owned, Interest::READABLE) }.map_err(io::Error::from)
}
