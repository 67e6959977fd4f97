//! The system-call edge: the only module of this crate allowed to use `unsafe`.
//!
//! Thin, safe wrappers and nothing else:
//! - [`ioctl`]: the kbridge ioctls on `/dev/kbridge`, numbers from [`kbridge_abi`];
//! - [`shm`]: seqcount-protected snapshots of the read-only shared state page;
//! - `reactor` (feature `tokio`): registering a descriptor with the tokio reactor.
//! - [`borrow_fd`]: a socket's descriptor as a `BorrowedFd` (for `poll`).
//! - [`ringbuf`]: a consumer of the bpf backend's BPF ring buffer.

pub(crate) mod ioctl;
#[cfg(feature = "tokio")]
pub(crate) mod reactor;
pub(crate) mod ringbuf;
pub(crate) mod shm;

use std::os::fd::{AsRawFd, BorrowedFd};

/// The descriptor of `owner` (a socket that owns it and only exposes `AsRawFd`, like
/// `neli`'s socket handle), borrowed for as long as `owner` is.
pub(crate) fn borrow_fd<T: AsRawFd>(owner: &T) -> BorrowedFd<'_> {
    // SAFETY: `owner` owns the open descriptor and closes it only when dropped, which the
    // borrow of `owner` prevents for the returned lifetime.
    unsafe { BorrowedFd::borrow_raw(owner.as_raw_fd()) }
}
