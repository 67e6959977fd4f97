// SPDX-License-Identifier: GPL-2.0

//! LEDs changed behind kbridge's back (LED class `brightness`, triggers).
//!
//! C header: [include/linux/workqueue.h](srctree/include/linux/workqueue.h)
//!
//! The LED core does not tell consumers about brightness changes, so while a
//! board with LED lines is bound, a delayed work looks at them every
//! [`POLL_MS`] and records what changed (source `kernel`), exactly as any
//! kbridge access does. A change outside kbridge therefore produces its event
//! within one period, even when nobody touches kbridge.

use core::ffi::c_uint;

use crate::ffi;

/// The poll period in milliseconds.
pub(crate) const POLL_MS: c_uint = 100;

/// The running poll; dropping it stops it, waiting for a running check.
pub(crate) struct Registration(());

impl Registration {
    /// Starts the poll (one per system: kbridge binds one board).
    pub(crate) fn new() -> Self {
        // SAFETY: starts the glue's static delayed work; stopped in drop.
        unsafe { ffi::kbridge_glue_led_poll_start(POLL_MS) };
        Registration(())
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        // SAFETY: cancel_delayed_work_sync() waits for a running check and
        // stops a work that requeues itself.
        unsafe { ffi::kbridge_glue_led_poll_stop() };
    }
}

/// Called by the glue's delayed work: refreshes the LEDs, returns the delay
/// until the next check, 0 to stop (no board, or it is going away).
#[no_mangle]
unsafe extern "C" fn kbridge_rust_led_poll() -> c_uint {
    let Some(board) = crate::platform::current() else {
        return 0;
    };
    match board.with_state(|_| ()) {
        Ok(()) => POLL_MS,
        Err(_) => 0,
    }
}
