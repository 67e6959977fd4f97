// SPDX-License-Identifier: GPL-2.0

//! A wait queue, embedded where it is used (the board's readers), with the
//! waits and wake-ups `/dev/kbridge` needs.
//!
//! C header: [include/linux/wait.h](srctree/include/linux/wait.h)
//!
//! Linux 6.12's `CondVar` waits only under a lock guard and doesn't expose
//! its queue to `poll_wait()`; kbridge's readers wait on a lock-free
//! condition and are polled, so this wraps the `wait_queue_head` itself, in
//! the style of `CondVar`: pinned, initialised in place by the glue.

use core::ffi::{c_uint, c_void};
use kernel::bindings;
use kernel::prelude::*;
use kernel::types::Opaque;

use crate::sys::ffi;

/// A wait queue head.
///
/// # Invariants
///
/// `wq` was initialised by `init_waitqueue_head()` and is pinned; a wait
/// queue head needs no teardown (every waiter has left before its owner can
/// be dropped: waiters hold a reference to the owner).
#[pin_data]
pub(crate) struct WaitQueue {
    #[pin]
    wq: Opaque<bindings::wait_queue_head>,
}

// SAFETY: a wait queue head is made to be used from any thread (its spinlock).
unsafe impl Send for WaitQueue {}
// SAFETY: as above.
unsafe impl Sync for WaitQueue {}

impl WaitQueue {
    /// An empty wait queue, initialised in place.
    pub(crate) fn new() -> impl PinInit<Self> {
        pin_init!(WaitQueue {
            // SAFETY: `slot` is the pinned, uninitialised head; the glue
            // initialises it (spinlock, empty list).
            wq <- Opaque::ffi_init(|slot: *mut bindings::wait_queue_head| unsafe {
                ffi::kbridge_glue_init_waitqueue(slot.cast())
            }),
        })
    }

    fn raw(&self) -> *mut ffi::wait_queue_head {
        self.wq.get().cast()
    }

    /// Sleeps (interruptibly) until `ready(arg)`: Err(ERESTARTSYS) on a
    /// signal.
    ///
    /// # Safety
    ///
    /// `ready` may be called with `arg` any number of times until this
    /// returns: `arg` must stay valid for it.
    pub(crate) unsafe fn wait(
        &self,
        ready: unsafe extern "C" fn(*mut c_void) -> bool,
        arg: *mut c_void,
    ) -> Result {
        // SAFETY: the head is initialised (type invariant); `ready`/`arg` per
        // the caller's contract.
        if unsafe { ffi::kbridge_glue_wait_event(self.raw(), Some(ready), arg) } != 0 {
            return Err(ERESTARTSYS);
        }
        Ok(())
    }

    /// `poll_wait()` on this queue for `file` (with the barrier that pairs
    /// with [`Self::wake_if_waiting`]).
    ///
    /// # Safety
    ///
    /// `file` and `pt` are the arguments of the file's `poll` operation.
    pub(crate) unsafe fn poll_wait(&self, file: *mut ffi::file, pt: *mut ffi::poll_table_struct) {
        // SAFETY: per the caller's contract; the head is initialised and
        // outlives the file (the file holds a reference to its owner).
        unsafe { ffi::kbridge_glue_poll_wait(file, self.raw(), pt) };
    }

    /// Wakes waiters and pollers with `events`, if there are any: with
    /// nobody waiting this is one barrier and a load (`wq_has_sleeper()`).
    pub(crate) fn wake_if_waiting(&self, events: c_uint) {
        // SAFETY: the head is initialised (type invariant).
        if unsafe { ffi::kbridge_glue_has_sleeper(self.raw()) } {
            // SAFETY: as above.
            unsafe { ffi::kbridge_glue_wake_up_poll(self.raw(), events) };
        }
    }
}
