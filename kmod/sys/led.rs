// SPDX-License-Identifier: GPL-2.0

//! LEDs through the LED core's consumer API (LED class devices registered by
//! another driver, e.g. leds-gpio, referenced from the board node by phandle).
//!
//! C header: [include/linux/leds.h](srctree/include/linux/leds.h)

use core::ffi::CStr;
use core::ptr::NonNull;
use kernel::prelude::*;

use crate::sys::ffi::{self, led_classdev};
use crate::sys::platform::Device;

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
// SAFETY: `&Led` only reads fields the LED core itself reads without locking
// (brightness, max_brightness, name) or calls functions that take the LED's
// own locks (trigger_lock); writes go through `set`, which the board calls
// with its state lock held, so kbridge never races itself on one LED.
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
        let led = NonNull::new(led).map(|led| Led { led }).ok_or(EINVAL)?;
        // SAFETY: `led` is valid (type invariant).
        let supplier = unsafe { ffi::kbridge_glue_led_supplier(led.led.as_ptr()) };
        // leds-gpio keeps its led_classdev in devm memory: unbinding it must
        // unbind kbridge first, or the LED poll would read freed memory.
        dev.link_supplier(NonNull::new(supplier))?;
        Ok(led)
    }

    /// Sets the brightness with the LED-core call that suits the driver: the
    /// blocking setter when the driver has one (it can fail), else the
    /// driver's non-sleeping setter (it cannot). Process context.
    ///
    /// EBUSY while a trigger drives the LED (kbridge would fight it). On any
    /// error the LED core's brightness is left as it was. Errnos private to
    /// the kernel (>= 512, e.g. ENOTSUPP) become EIO.
    pub(crate) fn set(&self, value: u32) -> Result {
        if self.has_trigger() {
            return Err(EBUSY);
        }
        let led = self.led.as_ptr();
        let old = self.brightness();
        // SAFETY: `led` is valid (type invariant).
        if !unsafe { ffi::kbridge_glue_led_can_sleep(led) } {
            // SAFETY: `led` is valid (type invariant); callable in any context.
            unsafe { ffi::kbridge_glue_led_set_nosleep(led, value) };
            return Ok(());
        }
        // SAFETY: `led` is valid (type invariant); process context, may sleep.
        let r = kernel::error::to_result(unsafe { ffi::kbridge_glue_led_set_sync(led, value) });
        if r.is_err() {
            // led_set_brightness_sync() stores the new value before calling the
            // driver: put the old one back so readers don't see a write that
            // never reached the LED.
            // SAFETY: `led` is valid (type invariant).
            unsafe { ffi::kbridge_glue_led_store_brightness(led, old) };
        }
        r.map_err(|e| if e.to_errno() <= -512 { EIO } else { e })
    }

    /// Whether an LED trigger currently drives this LED.
    pub(crate) fn has_trigger(&self) -> bool {
        // SAFETY: `led` is valid (type invariant); process context.
        unsafe { ffi::kbridge_glue_led_has_trigger(self.led.as_ptr()) }
    }

    /// Detaches the LED's trigger, if any (the LED core then turns it off).
    pub(crate) fn remove_trigger(&self) {
        // SAFETY: `led` is valid (type invariant); process context.
        unsafe { ffi::kbridge_glue_led_trigger_remove(self.led.as_ptr()) }
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
