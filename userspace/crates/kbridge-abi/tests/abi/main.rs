//! kbridge-abi's integration tests, one test crate: the binary ABI (layout), the text
//! protocols (commands, names, procfs_format) and the kernel-style build of abi.rs.

// Tests may index, panic and use std: the no-panic, core-only lints guard src/abi.rs.
#![allow(
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc,
    clippy::cast_lossless
)]

#[path = "../../../../test-support/ptest.rs"]
mod ptest;
// The validators' rules, shared with the cargo-fuzz targets (userspace/fuzz).
#[path = "../../../../test-support/abi_rules.rs"]
mod abi_rules;

mod c_header;
mod commands;
mod fuzz;
mod kernel_build;
mod layout;
mod names;
mod netlink;
mod procfs_format;
mod ptest_guard;
