// SPDX-License-Identifier: GPL-2.0

//! Self-rearming delayed works, per owner (the LED poll of a bound board).
//!
//! C header: [include/linux/workqueue.h](srctree/include/linux/workqueue.h)
//!
//! Each [`Poll`] embeds its own `struct delayed_work` (in a box that never
//! moves) followed by how to run it; the glue's one work function calls
//! `kbridge_rust_work_run` below with the work, which runs that owner's
//! [`Periodic::run`] and re-arms it with the delay it returns.

use core::ffi::c_uint;
use kernel::bindings;
use kernel::prelude::*;
use kernel::types::Opaque;

use crate::sys::ffi;

/// What a [`Poll`] runs.
pub(crate) trait Periodic: Send + Sync {
    /// Runs once (process context); returns the delay in ms until the next
    /// run, 0 to stop.
    fn run(&self) -> c_uint;
}

/// The start of every [`Slot`]: the work, then how to run its owner.
#[repr(C)]
struct Header {
    dwork: Opaque<bindings::delayed_work>,
    call: unsafe fn(*const Header) -> c_uint,
}

/// `repr(C)`: `header` (and so the work) is at offset 0, so the work's
/// address is the slot's.
#[repr(C)]
struct Slot<T: Periodic> {
    header: Header,
    job: T,
}

/// # Safety
///
/// `h` is the header of a live `Slot<T>`.
unsafe fn call<T: Periodic>(h: *const Header) -> c_uint {
    // SAFETY: per the contract, `h` starts a live `Slot<T>` (repr(C)).
    let slot = unsafe { &*h.cast::<Slot<T>>() };
    slot.job.run()
}

/// A running self-rearming work; dropping it stops it, waiting for a run in
/// progress (`cancel_delayed_work_sync()` also stops a work that re-arms
/// itself).
///
/// # Invariants
///
/// `slot.header.dwork` was initialised by the glue and is scheduled or
/// running until drop; the box never moves.
pub(crate) struct Poll<T: Periodic> {
    slot: KBox<Slot<T>>,
}

// SAFETY: the work is run by the workqueue on any CPU and cancelled from any
// thread; the job is `Send + Sync`; nothing else is reachable through `&Poll`.
unsafe impl<T: Periodic> Send for Poll<T> {}
// SAFETY: as above.
unsafe impl<T: Periodic> Sync for Poll<T> {}

impl<T: Periodic> Poll<T> {
    /// Starts `job`, first run in `first_ms`.
    pub(crate) fn new(first_ms: c_uint, job: T) -> Result<Self> {
        let slot = KBox::new(
            Slot {
                header: Header {
                    dwork: Opaque::uninit(),
                    call: call::<T>,
                },
                job,
            },
            GFP_KERNEL,
        )?;
        let dw = slot.header.dwork.get().cast::<ffi::delayed_work>();
        // SAFETY: `dw` is the boxed slot's work, which never moves; it is
        // initialised before it is scheduled.
        unsafe { ffi::kbridge_glue_delayed_work_init(dw) };
        // SAFETY: initialised just now; stopped in drop.
        unsafe { ffi::kbridge_glue_delayed_work_start(dw, first_ms) };
        // INVARIANT: initialised and scheduled.
        Ok(Poll { slot })
    }
}

impl<T: Periodic> Drop for Poll<T> {
    fn drop(&mut self) {
        let dw = self.slot.header.dwork.get().cast::<ffi::delayed_work>();
        // SAFETY: initialised (type invariant); after this the work neither
        // runs nor is queued, so the slot can go.
        unsafe { ffi::kbridge_glue_delayed_work_cancel(dw) };
    }
}

/// The glue's work function: runs the job of the [`Poll`] whose work this
/// is and returns its next delay.
#[no_mangle]
extern "C" fn kbridge_rust_work_run(dw: *mut ffi::delayed_work) -> c_uint {
    let h = dw.cast_const().cast::<Header>();
    if h.is_null() {
        return 0;
    }
    // SAFETY: the glue only runs works of live `Poll`s (cancelled, waiting
    // for a running one, before they are freed), whose work starts a Header.
    unsafe { ((*h).call)(h) }
}
