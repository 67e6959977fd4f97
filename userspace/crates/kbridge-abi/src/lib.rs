// SPDX-License-Identifier: GPL-2.0-only OR MIT

//! The kbridge user ABI for user space: ioctl numbers and structs, the event record, the
//! shared page layout and the text protocols (chardev commands, procfs, sysfs).
//!
//! Everything is defined in `src/abi.rs`, which the kernel module compiles in as well (see
//! that module's documentation for the rules it follows). This crate only wraps it:
//! `no_std`, no dependencies, no `unsafe`. Byte-level encoders and decoders
//! ([`EventRecord::from_bytes`], [`SharedState::from_bytes`], ...) let user space talk to the
//! kernel without `unsafe` transmutes.

#![no_std]
#![forbid(unsafe_code)]

// abi.rs is built by the kernel too, whose minimum rustc (Linux 6.12) is 1.78: clippy's
// incompatible_msrv lint checks it against that instead of the workspace MSRV.
#[clippy::msrv = "1.78"]
mod abi;

pub use abi::*;
