//! The system-call edge: the only module of this crate allowed to use `unsafe`.
//!
//! Two thin, safe wrappers and nothing else:
//! - [`ioctl`]: the kbridge ioctls on `/dev/kbridge`, numbers from [`kbridge_abi`];
//! - [`shm`]: seqcount-protected snapshots of the read-only shared state page;
//! - `reactor` (feature `tokio`): registering a descriptor with the tokio reactor.

pub(crate) mod ioctl;
#[cfg(feature = "tokio")]
pub(crate) mod reactor;
pub(crate) mod shm;
