// SPDX-License-Identifier: GPL-2.0

//! A misc character device, per registration, whose `open` finds what the
//! registration was made with.
//!
//! C header: [include/linux/miscdevice.h](srctree/include/linux/miscdevice.h)
//!
//! In the style of `rust/kernel/miscdevice.rs` (which 6.12 lacks, and whose
//! later versions have no `poll` nor `.owner`): the registration owns its
//! `struct miscdevice` (allocated by the glue: 6.12's bindings have no such
//! type to embed) and an `Arc<T>` that every `open` gets a new reference
//! to; dropping the registration deregisters the device, then frees both.
//! The file operations are the glue's table, which lands in
//! `crate::iface::chardev`.

use core::ffi::CStr;
use core::marker::PhantomData;
use core::ptr::NonNull;
use kernel::prelude::*;
use kernel::sync::{Arc, ArcBorrow};

use crate::sys::ffi;
use crate::sys::platform::Device;

/// A registered misc device.
///
/// # Invariants
///
/// `misc` is a registered device from `kbridge_glue_misc_alloc` whose data is
/// `data`, which came from `Arc::into_raw` and holds one reference; both are
/// released in drop, after the device is deregistered.
pub(crate) struct Registration<T: Send + Sync> {
    misc: NonNull<ffi::miscdevice>,
    data: *const T,
    _t: PhantomData<Arc<T>>,
}

// SAFETY: the device is deregistered from any thread; `data` is an `Arc<T>`
// with `T: Send + Sync`.
unsafe impl<T: Send + Sync> Send for Registration<T> {}
// SAFETY: shared access does nothing.
unsafe impl<T: Send + Sync> Sync for Registration<T> {}

impl<T: Send + Sync> Registration<T> {
    /// Registers `/dev/<name>` with `mode` under `parent`; every open gets
    /// `data` ([`Self::opened`]).
    pub(crate) fn new(
        name: &'static CStr,
        mode: ffi::umode_t,
        parent: &Device<'_>,
        data: Arc<T>,
    ) -> Result<Self> {
        let raw = Arc::into_raw(data);
        // SAFETY: `name` is static; `parent` is bound; `raw` is passed back
        // to us only by `open` while registered.
        let misc = unsafe {
            ffi::kbridge_glue_misc_alloc(name.as_ptr(), mode, parent.as_raw(), raw.cast())
        };
        let Some(misc) = NonNull::new(misc) else {
            // SAFETY: `raw` came from `into_raw` above and was never shared.
            drop(unsafe { Arc::from_raw(raw) });
            return Err(ENOMEM);
        };
        // SAFETY: a freshly allocated, filled-in misc device.
        let ret = unsafe { ffi::kbridge_glue_misc_register(misc.as_ptr()) };
        if let Err(e) = kernel::error::to_result(ret) {
            // SAFETY: registration failed: nothing else knows `misc` or `raw`.
            unsafe { ffi::kbridge_glue_misc_free(misc.as_ptr()) };
            // SAFETY: as above.
            drop(unsafe { Arc::from_raw(raw) });
            return Err(e);
        }
        // INVARIANT: registered, with `raw` as its data.
        Ok(Registration {
            misc,
            data: raw,
            _t: PhantomData,
        })
    }

    /// In `open`: a new reference to the data of the registration `file` is
    /// being opened through.
    ///
    /// # Safety
    ///
    /// Only from the `open` file operation of a device registered by a
    /// `Registration<T>` (this `T`), before the file's private data is
    /// replaced.
    pub(crate) unsafe fn opened(file: *mut ffi::file) -> Arc<T> {
        // SAFETY: misc_open() set the private data to our misc device, whose
        // data is the registration's `Arc<T>` pointer (type invariant); the
        // registration outlives this call, because misc_deregister() waits
        // for opens in progress (misc_mtx).
        let data = unsafe { ffi::kbridge_glue_misc_open_data(file) }.cast::<T>();
        // SAFETY: `data` came from `Arc::into_raw` and its reference is held
        // by the registration for the duration of this call (see above).
        let borrowed = unsafe { ArcBorrow::from_raw(data) };
        borrowed.into()
    }
}

impl<T: Send + Sync> Drop for Registration<T> {
    fn drop(&mut self) {
        // SAFETY: registered (type invariant); after this no open can start.
        unsafe { ffi::kbridge_glue_misc_deregister(self.misc.as_ptr()) };
        // SAFETY: deregistered above; allocated by the glue (type invariant).
        unsafe { ffi::kbridge_glue_misc_free(self.misc.as_ptr()) };
        // SAFETY: the reference from `into_raw` (type invariant), given back once.
        drop(unsafe { Arc::from_raw(self.data) });
    }
}
