// SPDX-License-Identifier: GPL-2.0

//! Thin safe wrappers over the kernel, one per service: the only Rust that
//! calls C. Each owns what it registers and releases it on drop; each
//! `unsafe` block says why it is sound. The C they call is in `glue/`, one
//! file per wrapper, declared in [`ffi`] (and [`ffi_genl`], [`ffi_rcu`],
//! [`ffi_trace`]); tests/host/glue-abi.sh checks the declarations against the
//! headers.
//!
//! Nothing here knows the board: `crate::board`, `crate::iface` and
//! `crate::driver` use these, never the other way round.

pub(crate) mod dt;
pub(crate) mod fault;
pub(crate) mod ffi;
pub(crate) mod ffi_genl;
pub(crate) mod ffi_rcu;
pub(crate) mod ffi_trace;
pub(crate) mod genl;
pub(crate) mod gpio;
pub(crate) mod irq;
pub(crate) mod kobj;
pub(crate) mod led;
pub(crate) mod param;
pub(crate) mod platform;
pub(crate) mod rcu;
pub(crate) mod shmem;
pub(crate) mod trace;
pub(crate) mod uaccess;
pub(crate) mod work;
