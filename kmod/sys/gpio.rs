// SPDX-License-Identifier: GPL-2.0

//! GPIO lines through gpiolib's consumer API.
//!
//! C header: [include/linux/gpio/consumer.h](srctree/include/linux/gpio/consumer.h)
//!
//! Linux 6.12's bindings have no `gpiod_*`, so each call goes through one glue
//! function. All calls here may sleep (`*_cansleep`): process context only.

use core::ffi::CStr;
use core::ptr::NonNull;
use kernel::prelude::*;

use crate::sys::ffi::{self, gpio_desc};
use crate::sys::platform::Device;

/// A GPIO line requested by kbridge for the bound device.
///
/// # Invariants
///
/// `desc` was returned by `devm_gpiod_get_index()` for the bound device and
/// stays valid until devres releases it, which happens after `remove` returns;
/// a `Gpio` is owned by the device's `Board`, which is dropped in `remove`.
pub(crate) struct Gpio {
    desc: NonNull<gpio_desc>,
}

// SAFETY: gpiolib's consumer calls may be made from any thread; the
// descriptor is not tied to the thread that requested it.
unsafe impl Send for Gpio {}
// SAFETY: as above; gpiolib serialises concurrent calls itself.
unsafe impl Sync for Gpio {}

impl Gpio {
    /// Requests line `idx` of `<con_id>-gpios`, as an output driven to its
    /// inactive level or as an input, and names kbridge its consumer as
    /// `kbridge:<label>` (what `gpioinfo` and debugfs show).
    pub(crate) fn get(
        dev: &Device<'_>,
        con_id: &CStr,
        idx: u32,
        output: bool,
        label: &[u8],
    ) -> Result<Self> {
        let mut desc: *mut gpio_desc = core::ptr::null_mut();
        // SAFETY: `dev` is bound; `con_id` is NUL-terminated; `desc` is a
        // valid out-pointer.
        let ret = unsafe {
            ffi::kbridge_glue_gpiod_get(dev.as_raw(), con_id.as_ptr(), idx, output, &mut desc)
        };
        kernel::error::to_result(ret)?;
        // INVARIANT: a successful devm get returns a valid descriptor.
        let gpio = NonNull::new(desc).map(|desc| Gpio { desc }).ok_or(EINVAL)?;
        // SAFETY: `desc` is valid (type invariant).
        let supplier = unsafe { ffi::kbridge_glue_gpiod_supplier(gpio.desc.as_ptr()) };
        dev.link_supplier(NonNull::new(supplier))?;
        const NAME_BUF: usize = 64;
        let mut name = [0u8; NAME_BUF];
        let prefix = b"kbridge:";
        for (d, s) in name
            .iter_mut()
            .take(NAME_BUF - 1)
            .zip(Iterator::chain(prefix.iter(), label))
        {
            *d = *s;
        }
        // SAFETY: `desc` is valid (type invariant); `name` is NUL-terminated
        // (its last byte stays 0) and gpiolib copies it.
        kernel::error::to_result(unsafe {
            ffi::kbridge_glue_gpiod_set_consumer_name(gpio.desc.as_ptr(), name.as_ptr().cast())
        })?;
        Ok(gpio)
    }

    /// Sets the logical value (active-low already applied by gpiolib).
    pub(crate) fn set(&self, value: bool) -> Result {
        // SAFETY: `desc` is valid (type invariant); process context.
        kernel::error::to_result(unsafe {
            ffi::kbridge_glue_gpiod_set(self.desc.as_ptr(), value.into())
        })
    }

    /// The line's interrupt number.
    pub(crate) fn irq(&self) -> Result<u32> {
        // SAFETY: `desc` is valid (type invariant).
        let irq = unsafe { ffi::kbridge_glue_gpiod_to_irq(self.desc.as_ptr()) };
        kernel::error::to_result(irq)?;
        u32::try_from(irq).map_err(|_| EINVAL)
    }

    /// Reads the logical value.
    pub(crate) fn value(&self) -> Result<bool> {
        // SAFETY: `desc` is valid (type invariant); process context.
        let v = unsafe { ffi::kbridge_glue_gpiod_get_value(self.desc.as_ptr()) };
        kernel::error::to_result(v)?;
        Ok(v != 0)
    }

    /// Whether the firmware marked the line active-low.
    pub(crate) fn is_active_low(&self) -> bool {
        // SAFETY: `desc` is valid (type invariant).
        unsafe { ffi::kbridge_glue_gpiod_is_active_low(self.desc.as_ptr()) }
    }
}
