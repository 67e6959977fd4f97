// SPDX-License-Identifier: GPL-2.0

//! kbridge's board model on the host.
//!
//! The model is kernel code: `kmod/model/` is compiled into kbridge.ko, where
//! `crate::abi` is the shared ABI file. This crate compiles the very same
//! files (`#[path]`), with `crate::abi` bound to `kbridge-abi`, so that the
//! state machine can be unit-tested and property-tested here, with no kernel
//! and no emulator. It is not a library for user space: user space talks to
//! the module through `kbridge`.

#![no_std]
#![forbid(unsafe_code)]

#[cfg(test)]
extern crate std;

/// The ABI, at the path the model's files expect (`crate::abi`).
pub use kbridge_abi as abi;

#[clippy::msrv = "1.78"]
#[path = "../../../../kmod/model/mod.rs"]
pub mod model;

pub use model::*;

#[cfg(test)]
mod tests;
