// SPDX-License-Identifier: GPL-2.0

//! The LED poll's delayed work (one per system: kbridge binds one board).
//!
//! C header: [include/linux/workqueue.h](srctree/include/linux/workqueue.h)
//!
//! The glue's static delayed work calls `kbridge_rust_led_poll` (in
//! `crate::driver`), which returns the delay until its next run, or 0 to stop.

use core::ffi::c_uint;

use crate::sys::ffi;

/// The running poll; dropping it stops it, waiting for a running check.
pub(crate) struct LedPoll(());

impl LedPoll {
    /// Starts the poll, first run in `period_ms`.
    pub(crate) fn new(period_ms: c_uint) -> Self {
        // SAFETY: starts the glue's static delayed work; stopped in drop.
        unsafe { ffi::kbridge_glue_led_poll_start(period_ms) };
        LedPoll(())
    }
}

impl Drop for LedPoll {
    fn drop(&mut self) {
        // SAFETY: cancel_delayed_work_sync() waits for a running check and
        // stops a work that requeues itself.
        unsafe { ffi::kbridge_glue_led_poll_stop() };
    }
}
