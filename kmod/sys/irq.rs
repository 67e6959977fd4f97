// SPDX-License-Identifier: GPL-2.0

//! Input lines' interrupts: a threaded handler on both edges per input line.
//!
//! C header: [include/linux/interrupt.h](srctree/include/linux/interrupt.h)
//!
//! The handler runs in a kernel thread (it may sleep: gpiolib's `_cansleep`
//! reads, the board mutex): the glue calls `kbridge_rust_irq_thread` (in
//! `crate::driver`) with the registration's cookie, from which [`line_of`]
//! gives the line back.

use core::ffi::c_void;
use kernel::prelude::*;

use crate::sys::ffi;

/// One requested interrupt; dropping it frees the IRQ (waiting for a running
/// handler to finish).
///
/// # Invariants
///
/// `irq` was requested with `cookie` and not yet freed.
pub(crate) struct Registration {
    irq: u32,
    cookie: usize,
}

impl Registration {
    /// Requests `irq` for line `line` (shown as "kbridge" in /proc/interrupts).
    pub(crate) fn new(irq: u32, line: usize) -> Result<Self> {
        // The cookie identifies the line; +1 keeps it non-NULL.
        let cookie = line + 1;
        // SAFETY: the name is a static C string; the handler only interprets
        // the cookie as a line number.
        let ret = unsafe {
            ffi::kbridge_glue_request_irq(irq, c"kbridge".as_ptr(), cookie as *mut c_void)
        };
        kernel::error::to_result(ret)?;
        // INVARIANT: requested just now.
        Ok(Registration { irq, cookie })
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        // SAFETY: requested in `new` with this cookie (type invariant).
        unsafe { ffi::kbridge_glue_free_irq(self.irq, self.cookie as *mut c_void) };
    }
}

/// The line a handler's cookie stands for.
pub(crate) fn line_of(cookie: *mut c_void) -> usize {
    (cookie as usize).wrapping_sub(1)
}
