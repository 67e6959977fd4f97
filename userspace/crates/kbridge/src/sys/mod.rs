//! The system-call edge: the only module of this crate allowed to use `unsafe`.
//!
//! Thin, safe wrappers and nothing else:
//! - [`ioctl`]: the kbridge ioctls on `/dev/kbridge`, numbers from [`kbridge_abi`];
//! - [`shm`]: seqcount-protected snapshots of the read-only shared state page;
//! - [`ringbuf`]: a consumer of the bpf backend's BPF ring buffer.

pub(crate) mod ioctl;
pub(crate) mod ringbuf;
pub(crate) mod shm;
