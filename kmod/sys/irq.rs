// SPDX-License-Identifier: GPL-2.0

//! Interrupts with a threaded handler, per registration.
//!
//! C header: [include/linux/interrupt.h](srctree/include/linux/interrupt.h)
//!
//! The handler runs in a kernel thread (it may sleep: gpiolib's `_cansleep`
//! reads, the board mutex). The glue's one C trampoline calls
//! `kbridge_rust_irq_thread` below with the registration's cookie: a pinned
//! [`Slot`] whose first field says how to call its handler, so every
//! registration carries its own [`Handler`] and nothing is global. The
//! trigger flags are chosen here, in Rust (`IRQF_*` from the bindings).

use core::ffi::{c_int, c_uint, c_ulong, c_void};
use kernel::bindings;
use kernel::prelude::*;

use crate::sys::ffi;

/// What an interrupt's thread does.
pub(crate) trait Handler: Send + Sync {
    /// The interrupt fired (thread context, may sleep).
    fn thread(&self);
}

/// Both edges, threaded only (ONESHOT keeps the line masked until the
/// thread has run).
pub(crate) const BOTH_EDGES: c_ulong = (bindings::IRQF_ONESHOT
    | bindings::IRQF_TRIGGER_RISING
    | bindings::IRQF_TRIGGER_FALLING) as c_ulong;

/// IRQ_HANDLED.
const IRQ_HANDLED: c_uint = 1;

/// The start of every [`Slot`]: how to call its handler.
#[repr(C)]
struct Header {
    call: unsafe fn(*const Header),
}

/// A handler with the header the trampoline reads (`repr(C)`: `header` is
/// at offset 0, so a `*const Slot<T>` is a `*const Header`).
#[repr(C)]
struct Slot<T: Handler> {
    header: Header,
    handler: T,
}

/// # Safety
///
/// `h` is the header of a live `Slot<T>`.
unsafe fn call<T: Handler>(h: *const Header) {
    // SAFETY: per the contract, `h` starts a live `Slot<T>` (repr(C)).
    let slot = unsafe { &*h.cast::<Slot<T>>() };
    slot.handler.thread();
}

/// One requested interrupt; dropping it frees the IRQ (waiting for a running
/// handler to finish), then the handler.
///
/// # Invariants
///
/// `irq` was requested with `slot`'s address as the cookie and not yet
/// freed; `slot` never moves (boxed) while it is.
pub(crate) struct Registration<T: Handler> {
    irq: u32,
    slot: KBox<Slot<T>>,
}

impl<T: Handler> Registration<T> {
    /// Requests `irq` with `flags` for `handler` (shown as "kbridge" in
    /// /proc/interrupts).
    pub(crate) fn new(irq: u32, flags: c_ulong, handler: T) -> Result<Self> {
        let slot = KBox::new(
            Slot {
                header: Header { call: call::<T> },
                handler,
            },
            GFP_KERNEL,
        )?;
        let cookie = (&*slot as *const Slot<T>).cast_mut().cast::<c_void>();
        // SAFETY: the name is a static C string; the cookie is the boxed
        // slot, which stays put until the IRQ is freed (drop).
        let ret = unsafe { ffi::kbridge_glue_request_irq(irq, flags, c"kbridge".as_ptr(), cookie) };
        kernel::error::to_result(ret)?;
        // INVARIANT: requested just now with the slot's address.
        Ok(Registration { irq, slot })
    }
}

impl<T: Handler> Drop for Registration<T> {
    fn drop(&mut self) {
        let cookie = (&*self.slot as *const Slot<T>).cast_mut().cast::<c_void>();
        // SAFETY: requested in `new` with this cookie (type invariant);
        // free_irq() waits for a running thread, so the slot is unused after.
        unsafe { ffi::kbridge_glue_free_irq(self.irq, cookie) };
    }
}

/// The glue's threaded handler: runs the handler of the registration whose
/// cookie this is.
#[no_mangle]
extern "C" fn kbridge_rust_irq_thread(_irq: c_int, cookie: *mut c_void) -> c_uint {
    let h = cookie.cast_const().cast::<Header>();
    if !h.is_null() {
        // SAFETY: the glue passes the cookie of a live registration (freed
        // only after its thread finished), whose slot starts with a Header.
        unsafe { ((*h).call)(h) };
    }
    IRQ_HANDLED
}
