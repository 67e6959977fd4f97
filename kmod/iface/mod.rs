// SPDX-License-Identifier: GPL-2.0

//! The user interfaces: each turns its kernel callbacks into calls on the
//! bound [`crate::board::Board`] (`board::current()`), and reports changes
//! back to user space through the hooks the driver gives the board.
//!
//! - [`procfs`]: `/proc/kbridge`, the whole state as text.
//! - [`sysfs`]: `lines/<name>/value` and friends, `poll()` on `value`.
//! - [`chardev`]: `/dev/kbridge`: event records (read, poll), text commands
//!   (write), [`ioctl`] and mmap of the shared page.
//! - [`netlink`]: the generic netlink family `kbridge` (commands and the
//!   `events` multicast group).
//!
//! The tracepoint BPF programs attach to is fired by the board itself
//! (`crate::sys::trace`).

pub(crate) mod chardev;
pub(crate) mod ioctl;
pub(crate) mod netlink;
pub(crate) mod procfs;
pub(crate) mod sysfs;
