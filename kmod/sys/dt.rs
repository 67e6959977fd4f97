// SPDX-License-Identifier: GPL-2.0

//! Firmware (device-tree) properties of the bound device.
//!
//! C header: [include/linux/property.h](srctree/include/linux/property.h)

use core::ffi::{c_char, CStr};
use kernel::prelude::*;

use crate::sys::ffi;
use crate::sys::platform::Device;

/// Whether the device's firmware node has property `prop`.
pub(crate) fn present(dev: &Device<'_>, prop: &CStr) -> bool {
    // SAFETY: `dev` is a bound device (type invariant) and `prop` is NUL-terminated.
    unsafe { ffi::kbridge_glue_property_present(dev.as_raw(), prop.as_ptr()) }
}

/// Number of entries in a string-array property; 0 when it is absent, an
/// error when it is present but malformed.
pub(crate) fn string_count(dev: &Device<'_>, prop: &CStr) -> Result<usize> {
    if !present(dev, prop) {
        return Ok(0);
    }
    // SAFETY: `dev` is a bound device (type invariant) and `prop` is NUL-terminated.
    let n = unsafe { ffi::kbridge_glue_string_count(dev.as_raw(), prop.as_ptr()) };
    to_count(n)
}

/// Reads every string of a string-array property and passes each to `f` in
/// order. The strings borrow the firmware node, which outlives the binding.
pub(crate) fn for_each_string(
    dev: &Device<'_>,
    prop: &CStr,
    mut f: impl FnMut(usize, &[u8]) -> Result,
) -> Result {
    let n = string_count(dev, prop)?;
    if n == 0 {
        return Ok(());
    }
    let mut ptrs: KVec<*const c_char> = KVec::with_capacity(n, GFP_KERNEL)?;
    for _ in 0..n {
        ptrs.push(core::ptr::null(), GFP_KERNEL)?;
    }
    // SAFETY: `ptrs` has room for `n` pointers; `dev` is bound; `prop` is
    // NUL-terminated. The glue stores at most `n` pointers.
    let got = unsafe {
        ffi::kbridge_glue_read_strings(dev.as_raw(), prop.as_ptr(), ptrs.as_mut_ptr(), n)
    };
    let got = to_count(got)?;
    for (i, p) in ptrs.iter().take(got).enumerate() {
        if p.is_null() {
            return Err(EINVAL);
        }
        // SAFETY: the property API returned a NUL-terminated string that lives
        // in the firmware node, valid while the device is bound.
        let s = unsafe { CStr::from_ptr(*p) };
        f(i, s.to_bytes())?;
    }
    Ok(())
}

/// Number of GPIOs in `<con_id>-gpios`; 0 when the property is absent.
pub(crate) fn gpio_count(dev: &Device<'_>, con_id: &CStr) -> Result<usize> {
    // SAFETY: `dev` is bound; `con_id` is NUL-terminated.
    count_or_absent(unsafe { ffi::kbridge_glue_gpio_count(dev.as_raw(), con_id.as_ptr()) })
}

/// Number of phandles in `leds`; 0 when the property is absent.
pub(crate) fn led_count(dev: &Device<'_>) -> Result<usize> {
    // SAFETY: `dev` is bound.
    count_or_absent(unsafe { ffi::kbridge_glue_led_count(dev.as_raw()) })
}

/// `gpiod_count()` and `of_count_phandle_with_args()` say -ENOENT for "no such property".
fn count_or_absent(ret: core::ffi::c_int) -> Result<usize> {
    if ret == ENOENT.to_errno() {
        return Ok(0);
    }
    to_count(ret)
}

fn to_count(ret: core::ffi::c_int) -> Result<usize> {
    if ret < 0 {
        return Err(Error::from_errno(ret));
    }
    usize::try_from(ret).map_err(|_| EINVAL)
}
