// SPDX-License-Identifier: GPL-2.0

//! Platform driver registration and the probe/remove trampolines.
//!
//! C header: [include/linux/platform_device.h](srctree/include/linux/platform_device.h)
//!
//! Linux 6.12 has no Rust platform-driver abstraction, so the `struct
//! platform_driver` and its OF match table live in the C glue; probe and remove
//! land here, turn the raw `struct device` into a [`Device`] and call the safe
//! board code. Errors become negative errnos at this boundary and nowhere else.

use core::ffi::{c_int, c_void};
use core::ptr::NonNull;
use kernel::prelude::*;

use crate::board::Board;
use crate::ffi;

/// The `struct device` of a platform device while it is bound to kbridge.
///
/// # Invariants
///
/// `ptr` is a valid `struct device` whose driver is kbridge, and it stays bound
/// for the lifetime `'a` (it is only handed out inside probe and remove).
pub(crate) struct Device<'a> {
    ptr: NonNull<ffi::device>,
    _bound: core::marker::PhantomData<&'a ()>,
}

impl Device<'_> {
    /// The raw pointer, for the other thin wrappers' FFI calls.
    pub(crate) fn as_raw(&self) -> *mut ffi::device {
        self.ptr.as_ptr()
    }
}

/// The registered platform driver; dropping it unregisters (and so unbinds).
pub(crate) struct Registration(());

impl Registration {
    pub(crate) fn new() -> Result<Self> {
        // SAFETY: the glue's driver struct is static and not yet registered
        // (one `Registration` exists per module instance, made once in init).
        kernel::error::to_result(unsafe { ffi::kbridge_glue_platform_register() })?;
        Ok(Registration(()))
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        // SAFETY: `self` exists only after a successful register.
        unsafe { ffi::kbridge_glue_platform_unregister() };
    }
}

/// Called by the glue's `probe` for a device matching `kbridge,board`.
///
/// # Safety
///
/// `dev` must be the valid `struct device` of a platform device being probed
/// by kbridge's driver.
#[no_mangle]
unsafe extern "C" fn kbridge_rust_probe(dev: *mut ffi::device) -> c_int {
    let Some(ptr) = NonNull::new(dev) else {
        return EINVAL.to_errno();
    };
    // INVARIANT: the caller guarantees a device being probed by kbridge; it
    // stays bound at least until this function returns.
    let device = Device {
        ptr,
        _bound: core::marker::PhantomData,
    };
    match Board::probe(&device) {
        Ok(board) => {
            let raw = KBox::into_raw(board);
            // SAFETY: `dev` is valid (see above); drvdata is ours to set while bound.
            unsafe { ffi::kbridge_glue_set_drvdata(dev, raw.cast::<c_void>()) };
            0
        }
        Err(e) => e.to_errno(),
    }
}

/// Called by the glue's `remove` for a device kbridge had bound.
///
/// # Safety
///
/// `dev` must be the valid `struct device` of a platform device that
/// [`kbridge_rust_probe`] bound successfully and that has not been removed yet.
#[no_mangle]
unsafe extern "C" fn kbridge_rust_remove(dev: *mut ffi::device) {
    // SAFETY: `dev` is valid per the function's safety contract.
    let raw = unsafe { ffi::kbridge_glue_get_drvdata(dev) }.cast::<Board>();
    if raw.is_null() {
        return;
    }
    // SAFETY: drvdata was set by `kbridge_rust_probe` from `KBox::into_raw` and
    // is reclaimed exactly once, here; clear it so nothing sees a stale pointer.
    let board = unsafe {
        ffi::kbridge_glue_set_drvdata(dev, core::ptr::null_mut());
        KBox::from_raw(raw)
    };
    board.remove();
}
