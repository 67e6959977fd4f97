// SPDX-License-Identifier: GPL-2.0

//! LEDs through the LED core's consumer API (LED class devices registered by
//! another driver, e.g. leds-gpio, referenced from the board node by phandle).
//!
//! C header: [include/linux/leds.h](srctree/include/linux/leds.h)

use core::ffi::CStr;
use core::ptr::NonNull;
use kernel::prelude::*;

use crate::ffi::{self, led_classdev};
use crate::platform::Device;

/// An LED class device held by kbridge for the bound device.
///
/// # Invariants
///
/// `led` was returned by `devm_of_led_get()` for the bound device, which holds
/// a reference on the LED class device until devres releases it after `remove`;
/// an `Led` is owned by the device's `Board`, dropped in `remove`.
pub(crate) struct Led {
    led: NonNull<led_classdev>,
}

// SAFETY: the LED core's consumer calls may be made from any thread.
unsafe impl Send for Led {}
// SAFETY: as above; the LED core serialises brightness changes itself.
unsafe impl Sync for Led {}

impl Led {
    /// Gets the LED of entry `idx` of the board node's `leds` property.
    pub(crate) fn get(dev: &Device<'_>, idx: u32) -> Result<Self> {
        let mut led: *mut led_classdev = core::ptr::null_mut();
        // SAFETY: `dev` is bound; `led` is a valid out-pointer.
        kernel::error::to_result(unsafe {
            ffi::kbridge_glue_led_get(dev.as_raw(), idx, &mut led)
        })?;
        // INVARIANT: a successful devm get returns a valid, referenced LED.
        NonNull::new(led).map(|led| Led { led }).ok_or(EINVAL)
    }

    /// Sets the brightness synchronously (may sleep).
    pub(crate) fn set(&self, value: u32) -> Result {
        // SAFETY: `led` is valid (type invariant); process context.
        kernel::error::to_result(unsafe { ffi::kbridge_glue_led_set(self.led.as_ptr(), value) })
    }

    /// The LED core's current brightness.
    pub(crate) fn brightness(&self) -> u32 {
        // SAFETY: `led` is valid (type invariant).
        unsafe { ffi::kbridge_glue_led_brightness(self.led.as_ptr()) }
    }

    /// The LED's maximum brightness.
    pub(crate) fn max_brightness(&self) -> u32 {
        // SAFETY: `led` is valid (type invariant).
        unsafe { ffi::kbridge_glue_led_max_brightness(self.led.as_ptr()) }
    }

    /// The LED class device's name (e.g. `board:green:status`).
    pub(crate) fn name(&self) -> &CStr {
        // SAFETY: `led` is valid (type invariant).
        let p = unsafe { ffi::kbridge_glue_led_name(self.led.as_ptr()) };
        if p.is_null() {
            return c"";
        }
        // SAFETY: a non-NULL device name is NUL-terminated and lives as long as
        // the class device, which our reference keeps registered while `self` lives.
        unsafe { CStr::from_ptr(p) }
    }
}
