// SPDX-License-Identifier: GPL-2.0

//! kbridge: a board's LEDs and GPIO lines, one state, every kernel↔user
//! interface.
//!
//! The crate root: module registration and the map of the code.
//!
//! - [`board`]: the board model, its one lock and event ring (safe code).
//! - [`ioctl`]: the ioctl commands (safe code over [`uaccess`]).
//! - [`netlink`]: the generic netlink family `kbridge` (safe code over
//!   [`genl`], which owns the family registration; glue in `kbridge_genl.c`,
//!   policies and ops generated from docs/netlink/kbridge.yaml).
//! - Interfaces, each a thin wrapper that owns its registration and turns C
//!   callbacks into safe calls: [`procfs`], [`sysfs`], [`chardev`] (read,
//!   write, poll, ioctl, mmap), [`shmem`] (the shared page), [`irq`].
//! - Kernel services: [`platform`], [`dt`], [`gpio`], [`led`], [`uaccess`],
//!   [`fault`] (a debugfs fault attribute for line writes, tests only).
//!   These wrappers are the only places with `unsafe`; they call the kernel
//!   through the C glue ([`ffi`], `kbridge_glue.c`).
//! - [`trace`]: the `kbridge:kbridge_line_change` tracepoint BPF programs
//!   attach to (C glue: `kbridge_trace.c`, [`ffi_trace`]).
//! - [`abi`]: the user ABI, compiled from the same file as user space's
//!   `kbridge-abi` crate so the two can't drift.
//!
//! docs/rust-c-split.md explains the split and why.

use kernel::prelude::*;

// The shared ABI file: the kernel uses only part of it, and its items are
// `pub` for user space.
#[allow(dead_code, unreachable_pub)]
#[path = "../userspace/crates/kbridge-abi/src/abi.rs"]
mod abi;
mod board;
mod chardev;
mod dt;
mod fault;
mod ffi;
mod ffi_genl;
mod ffi_rcu;
mod ffi_trace;
mod genl;
mod gpio;
mod ioctl;
mod irq;
mod led;
mod ledpoll;
mod netlink;
mod platform;
mod procfs;
mod shmem;
mod sysfs;
mod trace;
mod uaccess;

module! {
    type: Kbridge,
    name: "kbridge",
    description: "Board LEDs and GPIO lines through procfs, sysfs, chardev, ioctl, mmap, netlink and BPF",
    license: "GPL",
}

// Fields drop in order: the driver (unbinding the board) before the family,
// the fault attribute last.
struct Kbridge {
    _driver: platform::Registration,
    _genl: genl::Registration,
    _fault: fault::Registration,
}

impl kernel::Module for Kbridge {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        pr_info!("loaded (ABI {})\n", abi::ABI_VERSION);
        let fault = fault::Registration::new();
        // The family first: the board's events are multicast through it.
        let genl = genl::Registration::new()?;
        Ok(Kbridge {
            _driver: platform::Registration::new()?,
            _genl: genl,
            _fault: fault,
        })
    }
}

impl Drop for Kbridge {
    fn drop(&mut self) {
        pr_info!("unloading\n");
    }
}
