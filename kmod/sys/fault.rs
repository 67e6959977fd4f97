// SPDX-License-Identifier: GPL-2.0

//! Fault injection: `/sys/kernel/debug/fail_kbridge_hw_write` (kernels with
//! `CONFIG_FAULT_INJECTION_DEBUG_FS`) makes writes to lines fail with EIO, so
//! the tests reach the undo path of an atomic multi-line set, including an
//! undo that fails too (tests/guest/t90-faults.sh). Without
//! `CONFIG_FAULT_INJECTION` the glue compiles to stubs and nothing ever fails.

use crate::sys::ffi;

/// The debugfs attribute, for the module's lifetime.
pub(crate) struct Registration(());

impl Registration {
    pub(crate) fn new() -> Self {
        // SAFETY: creates the module's one debugfs fault attribute (one
        // Registration, made once in init); a failure leaves it absent.
        unsafe { ffi::kbridge_glue_fault_init() };
        Registration(())
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        // SAFETY: removes what `new` created (or nothing).
        unsafe { ffi::kbridge_glue_fault_exit() };
    }
}

/// Whether this write to a line is to fail (as configured in debugfs).
pub(crate) fn hw_write() -> bool {
    // SAFETY: reads and updates the static fault attribute, which the kernel
    // serialises itself; callable from any context a line write happens in.
    unsafe { ffi::kbridge_glue_fail_hw_write() }
}
