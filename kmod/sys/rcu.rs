// SPDX-License-Identifier: GPL-2.0

//! A pointer published under RCU: [`Slot`] holds one `Arc` that readers in
//! any context can take a reference to, and that its publisher withdraws.
//!
//! C header: [include/linux/rcupdate.h](srctree/include/linux/rcupdate.h)
//! (glue: `kbridge_rcu.c`, declarations in [`super::ffi_rcu`]).

use core::mem::ManuallyDrop;
use core::sync::atomic::{AtomicPtr, Ordering};
use kernel::prelude::*;
use kernel::sync::Arc;

use super::ffi_rcu;

/// A slot for one published `Arc<T>`.
///
/// # Invariants
///
/// While non-null, `ptr` comes from `Arc::into_raw` and the slot owns that
/// one strong reference. It is released only by [`Published::drop`], after
/// clearing `ptr` and waiting for an RCU grace period, so a reader that loaded
/// the pointer inside `rcu_read_lock()` can still take its own reference.
pub(crate) struct Slot<T> {
    ptr: AtomicPtr<T>,
}

impl<T: Send + Sync> Slot<T> {
    /// An empty slot.
    pub(crate) const fn new() -> Self {
        Slot {
            ptr: AtomicPtr::new(core::ptr::null_mut()),
        }
    }

    /// A new reference to the published value, if any.
    pub(crate) fn get(&self) -> Option<Arc<T>> {
        // SAFETY: paired with the unlock below; nothing in between sleeps.
        unsafe { ffi_rcu::kbridge_rcu_read_lock() };
        let p = self.ptr.load(Ordering::Acquire);
        let v = if p.is_null() {
            None
        } else {
            // SAFETY: non-null means the slot owns a reference (type
            // invariant), released only after a grace period that waits for
            // this read-side section.
            let held = ManuallyDrop::new(unsafe { Arc::from_raw(p) });
            Some((*held).clone())
        };
        // SAFETY: the read-side section opened above.
        unsafe { ffi_rcu::kbridge_rcu_read_unlock() };
        v
    }

    /// Publishes `v` until the returned guard is dropped; EBUSY if the slot
    /// holds a value already.
    pub(crate) fn publish(&'static self, v: &Arc<T>) -> Result<Published<T>> {
        let raw = Arc::into_raw(v.clone());
        if self
            .ptr
            .compare_exchange(
                core::ptr::null_mut(),
                raw.cast_mut(),
                Ordering::AcqRel,
                Ordering::Acquire,
            )
            .is_err()
        {
            // SAFETY: undo `into_raw`; nobody else saw `raw`.
            drop(unsafe { Arc::from_raw(raw) });
            return Err(EBUSY);
        }
        // INVARIANT: the slot now owns the reference `raw` stands for.
        Ok(Published { raw, slot: self })
    }
}

/// A value published in a [`Slot`]; dropping it withdraws the value and
/// releases the slot's reference once no reader can be using the pointer.
pub(crate) struct Published<T: Send + Sync + 'static> {
    raw: *const T,
    slot: &'static Slot<T>,
}

impl<T: Send + Sync + 'static> Drop for Published<T> {
    fn drop(&mut self) {
        self.slot
            .ptr
            .store(core::ptr::null_mut(), Ordering::Release);
        // SAFETY: waits for every reader that may have seen the pointer.
        unsafe { ffi_rcu::kbridge_rcu_synchronize() };
        // SAFETY: the reference `publish` moved into the slot; no reader can
        // reach it any more.
        drop(unsafe { Arc::from_raw(self.raw) });
    }
}
