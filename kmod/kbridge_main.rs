// SPDX-License-Identifier: GPL-2.0

//! kbridge: a board's LEDs and GPIO lines, one state, every kernel↔user
//! interface.
//!
//! The crate root: module registration and the map of the code.
//!
//! The layers, each importing only from those below it:
//!
//! - [`driver`]: binds the `kbridge,board` node: makes the [`board::Board`],
//!   registers the interfaces, interrupts and LED poll around it, and gives
//!   the board its hooks (what to do on a change).
//! - [`iface`]: the user interfaces: procfs, sysfs, chardev (read, write,
//!   poll, ioctl, mmap) and generic netlink.
//! - [`board`]: the bound board: the model under one lock, with the kernel
//!   around it (hardware handles, shared page, tracepoint, sysfs notify).
//! - [`model`]: the board model: state, event ring, validation, atomic
//!   requests. Pure `no_std` Rust, also built and tested on the host.
//! - [`sys`]: thin safe wrappers over the kernel (platform, dt, gpio, led,
//!   irq, uaccess, shmem, genl, ...), the only Rust that calls the C glue
//!   (`glue/`).
//! - [`abi`]: the user ABI, compiled from the same file as user space's
//!   `kbridge-abi` crate so the two can't drift.
//!
//! tests/host/kmod-layers.sh checks that no file imports from a layer above
//! its own.
//!
//! docs/rust-c-split.md explains the split and why.

use kernel::prelude::*;

// The shared ABI file: the kernel uses only part of it, and its items are
// `pub` for user space.
#[allow(dead_code, unreachable_pub)]
#[path = "../userspace/crates/kbridge-abi/src/abi.rs"]
mod abi;
mod board;
mod driver;
mod iface;
// The board model (pure Rust, also built and tested on the host as the
// kbridge-model crate, whose public API its items are).
#[allow(dead_code, unreachable_pub, unused_imports)]
mod model;
mod sys;

use sys::{fault, genl, platform};

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
        let ring = sys::param::ring_size()?;
        pr_info!("loaded (ABI {}, ring_size {})\n", abi::ABI_VERSION, ring);
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
