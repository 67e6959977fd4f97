//! Control and observe a kbridge board through any of the module's interfaces.
//!
//! The kernel module exposes the same state (LEDs and GPIO lines of one board) through
//! procfs, sysfs, a character device (text writes, event reads, poll), ioctl, a shared mmap
//! page, generic netlink and BPF maps. Each interface but BPF has a backend here
//! implementing [`Backend`]; [`open`] picks one by [`Interface`]. The API takes line *names*:
//! indices are an ABI detail.
//!
//! ```no_run
//! use kbridge::{Backend, Config, Interface};
//!
//! let mut board = kbridge::open(Interface::Ioctl, &Config::new())?;
//! board.set(&[("led0", 255), ("relay", 1)])?; // atomic via ioctl
//! for line in board.lines()? {
//!     println!("{} = {}", line.name, line.value);
//! }
//! # Ok::<(), kbridge::Error>(())
//! ```
//!
//! The byte-level ABI lives in [`kbridge_abi`], shared with the kernel module. All `unsafe`
//! code (the ioctl calls, the shared page reads, borrowing a socket's fd) is in one private
//! module.
//!
//! Cargo feature `tokio` (off by default) adds [`AsyncEventStream`]: the event stream as an
//! async `Stream` on a tokio runtime, driven by the runtime's reactor (no thread per stream).

#![deny(unsafe_code)]
#![warn(missing_docs)]

#[cfg(feature = "tokio")]
mod async_events;
mod backend;
pub mod bpf;
pub mod chardev;
mod config;
mod device;
mod error;
mod events;
mod interface;
pub mod ioctl;
mod line;
pub mod mmap;
pub mod netlink;
pub mod procfs;
mod suggest;
#[allow(unsafe_code)]
mod sys;
pub mod sysfs;
mod types;

#[cfg(feature = "tokio")]
pub use async_events::AsyncEventStream;
pub use backend::{find, Backend};
pub use bpf::{BpfBackend, BpfEvents};
pub use chardev::{ChardevBackend, ChardevEvents};
pub use config::Config;
pub use error::{Error, Result};
pub use events::{EventSource, EventStream};
pub use interface::{Capabilities, Interface, UnknownInterface};
pub use ioctl::IoctlBackend;
pub use kbridge_abi::ABI_VERSION;
pub use line::Line;
pub use mmap::{MmapBackend, Slot};
pub use netlink::{NetlinkBackend, NetlinkEvents};
pub use procfs::ProcfsBackend;
pub use sysfs::SysfsBackend;
pub use types::{BoardInfo, Event, LineInfo, LineKind, Source};

/// Opens the backend for `via`.
///
/// Fails with [`Error::NotLoaded`] when the interface's entry point is missing and
/// [`Error::BpfNotAttached`] for bpf before [`bpf::attach`]. The netlink backend ignores
/// `config`'s root: a socket has no path.
pub fn open(via: Interface, config: &Config) -> Result<Box<dyn Backend>> {
    Ok(match via {
        Interface::Procfs => Box::new(ProcfsBackend::open(config)?),
        Interface::Sysfs => Box::new(SysfsBackend::open(config)?),
        Interface::Chardev => Box::new(ChardevBackend::open(config)?),
        Interface::Ioctl => Box::new(IoctlBackend::open(config)?),
        Interface::Mmap => Box::new(MmapBackend::open(config)?),
        Interface::Netlink => Box::new(NetlinkBackend::open()?),
        Interface::Bpf => Box::new(BpfBackend::open(config)?),
    })
}
