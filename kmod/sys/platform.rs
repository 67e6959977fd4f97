// SPDX-License-Identifier: GPL-2.0

//! The platform driver: its registration, the bound device, and the
//! probe/remove trampolines.
//!
//! C header: [include/linux/platform_device.h](srctree/include/linux/platform_device.h)
//!
//! Linux 6.12 has no Rust platform-driver abstraction, so the `struct
//! platform_driver` and its OF match table live in the C glue; probe and remove
//! land here ([`callbacks!`]), turn the raw `struct device` into a [`Device`]
//! and call the [`Driver`] (`crate::driver`). Errors become negative errnos
//! at this boundary and nowhere else.

use core::ffi::{c_int, c_void};
use core::fmt;
use core::ptr::NonNull;
use kernel::prelude::*;
use kernel::str::CString;

use crate::sys::ffi;

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

    /// Makes kbridge a consumer of `supplier` (the device whose driver
    /// provides a line: a GPIO chip's or an LED's): unbinding that driver
    /// unbinds kbridge first, while the lines and their IRQs are still valid.
    /// The link goes away when kbridge unbinds. Nothing to do for `None`.
    pub(crate) fn link_supplier(&self, supplier: Option<NonNull<ffi::device>>) -> Result {
        let Some(s) = supplier else {
            return Ok(());
        };
        // SAFETY: both devices are valid: `self` by the type invariant,
        // `supplier` because a line kbridge holds keeps its provider's device.
        kernel::error::to_result(unsafe {
            ffi::kbridge_glue_device_link_supplier(self.as_raw(), s.as_ptr())
        })
    }

    /// Reports why the probe fails, the kernel way (`dev_err_probe()`): an
    /// error line prefixed with the device, or for `EPROBE_DEFER` a debug
    /// line and the deferral reason in `devices_deferred`. Returns `err`.
    pub(crate) fn err_probe(&self, err: Error, msg: fmt::Arguments<'_>) -> Error {
        let text = CString::try_from_fmt(msg);
        let p = match &text {
            Ok(t) => t.as_char_ptr(),
            Err(_) => c"(no memory for the message)".as_ptr(),
        };
        // SAFETY: the device is valid (type invariant) and `p` is a
        // NUL-terminated string that outlives the call.
        unsafe { ffi::kbridge_glue_dev_err_probe(self.as_raw(), err.to_errno(), p) };
        err
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

/// A platform driver: what binding a device makes, and unbinding drops.
pub(crate) trait Driver: Sized {
    /// Binds `dev`; the result lives until the device is unbound.
    fn probe(dev: &Device<'_>) -> Result<KBox<Self>>;
    /// The device is being unbound; `self` is dropped right after.
    fn remove(&self) {}
}

/// The glue's `probe` for a device matching `kbridge,board`, for driver `D`.
///
/// # Safety
///
/// `dev` must be the valid `struct device` of a platform device being probed
/// by kbridge's driver.
pub(crate) unsafe fn probe<D: Driver>(dev: *mut ffi::device) -> c_int {
    let Some(ptr) = NonNull::new(dev) else {
        return EINVAL.to_errno();
    };
    // INVARIANT: the caller guarantees a device being probed by kbridge; it
    // stays bound at least until this function returns.
    let device = Device {
        ptr,
        _bound: core::marker::PhantomData,
    };
    match D::probe(&device) {
        Ok(bound) => {
            let raw = KBox::into_raw(bound);
            // SAFETY: `dev` is valid (see above); drvdata is ours to set while bound.
            unsafe { ffi::kbridge_glue_set_drvdata(dev, raw.cast::<c_void>()) };
            0
        }
        // The reason was reported where it was found (Device::err_probe);
        // the driver core logs the failure itself.
        Err(e) => e.to_errno(),
    }
}

/// The glue's `remove` for a device kbridge had bound, for driver `D`.
///
/// # Safety
///
/// `dev` must be the valid `struct device` of a platform device that
/// [`probe`]`::<D>` bound successfully and that has not been removed yet.
pub(crate) unsafe fn remove<D: Driver>(dev: *mut ffi::device) {
    // SAFETY: `dev` is valid per the function's safety contract.
    let raw = unsafe { ffi::kbridge_glue_get_drvdata(dev) }.cast::<D>();
    if raw.is_null() {
        return;
    }
    // SAFETY: drvdata was set by `probe::<D>` from `KBox::into_raw` and is
    // reclaimed exactly once, here; clear it so nothing sees a stale pointer.
    let bound = unsafe {
        ffi::kbridge_glue_set_drvdata(dev, core::ptr::null_mut());
        KBox::from_raw(raw)
    };
    bound.remove();
    drop(bound);
}

/// Defines the probe and remove functions the glue's `struct platform_driver`
/// calls (`kbridge_rust_probe`, `kbridge_rust_remove`) for driver type `$d`.
/// One driver per module: the symbols are fixed.
macro_rules! callbacks {
    ($d:ty) => {
        /// Called by the glue's `probe`.
        ///
        /// # Safety
        ///
        /// `dev` is the `struct device` the driver core is probing.
        #[no_mangle]
        unsafe extern "C" fn kbridge_rust_probe(
            dev: *mut $crate::sys::ffi::device,
        ) -> core::ffi::c_int {
            // SAFETY: the driver core calls this with a device being probed by
            // kbridge's driver.
            unsafe { $crate::sys::platform::probe::<$d>(dev) }
        }

        /// Called by the glue's `remove`.
        ///
        /// # Safety
        ///
        /// `dev` is a device `kbridge_rust_probe` bound and not yet removed.
        #[no_mangle]
        unsafe extern "C" fn kbridge_rust_remove(dev: *mut $crate::sys::ffi::device) {
            // SAFETY: the driver core calls this once for a device that
            // `kbridge_rust_probe` bound.
            unsafe { $crate::sys::platform::remove::<$d>(dev) }
        }
    };
}
pub(crate) use callbacks;
