// SPDX-License-Identifier: GPL-2.0

//! The module parameters, read through the glue (`glue/param.c`: Linux
//! 6.12's `module!` takes no parameters) and validated here.
//!
//! C header: [include/linux/moduleparam.h](srctree/include/linux/moduleparam.h)
//!
//! Both are read-only in sysfs (0444), so they can't change while loaded.

use kernel::prelude::*;

use crate::sys::ffi;

/// Smallest and largest `ring_size`.
pub(crate) const RING_SIZE_MIN: usize = 16;
pub(crate) const RING_SIZE_MAX: usize = 65536;

/// `ring_size`: how many events the ring keeps for readers (a reader more
/// than this many behind loses the oldest). EINVAL, with a log line, unless
/// a power of two within [`RING_SIZE_MIN`]..=[`RING_SIZE_MAX`].
pub(crate) fn ring_size() -> Result<usize> {
    // SAFETY: reads a plain module parameter, set before init runs.
    let n = unsafe { ffi::kbridge_glue_param_ring_size() } as usize;
    if !(RING_SIZE_MIN..=RING_SIZE_MAX).contains(&n) || !n.is_power_of_two() {
        pr_err!(
            "ring_size={} is not a power of two from {} to {}\n",
            n,
            RING_SIZE_MIN,
            RING_SIZE_MAX
        );
        return Err(EINVAL);
    }
    Ok(n)
}
