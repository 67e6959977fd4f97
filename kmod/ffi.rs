// SPDX-License-Identifier: GPL-2.0

//! Raw declarations of the C glue in `kbridge_glue.c`.
//!
//! C header: [kbridge_glue.h](kbridge_glue.h)
//!
//! Nothing outside the thin wrapper modules (`platform`, `dt`, `gpio`, `led`)
//! calls these. Each declaration mirrors one prototype of the header; the host
//! test `tests/host/glue-abi.sh` regenerates them with bindgen and diffs.

use core::ffi::{c_char, c_int, c_uint, c_void};
use core::marker::{PhantomData, PhantomPinned};

// Opaque stand-ins for the C structs the glue passes around. Rust never looks
// inside them, so their layout (which differs across kernels and configs) is
// irrelevant, and the FFI signatures stay FFI-safe.
macro_rules! opaque {
    ($($(#[$m:meta])* $name:ident;)*) => {$(
        $(#[$m])*
        #[repr(C)]
        pub(crate) struct $name {
            _data: [u8; 0],
            _marker: PhantomData<(*mut u8, PhantomPinned)>,
        }
    )*};
}

opaque! {
    /// `struct device`.
    device;
    /// `struct gpio_desc`.
    gpio_desc;
    /// `struct led_classdev`.
    led_classdev;
}

// The block mirrors the whole header; some entries serve code paths that a
// given build doesn't reach yet.
#[allow(dead_code)]
extern "C" {
    pub(crate) fn kbridge_glue_platform_register() -> c_int;
    pub(crate) fn kbridge_glue_platform_unregister();
    pub(crate) fn kbridge_glue_set_drvdata(dev: *mut device, data: *mut c_void);
    pub(crate) fn kbridge_glue_get_drvdata(dev: *mut device) -> *mut c_void;

    pub(crate) fn kbridge_glue_property_present(dev: *mut device, prop: *const c_char) -> bool;
    pub(crate) fn kbridge_glue_string_count(dev: *mut device, prop: *const c_char) -> c_int;
    pub(crate) fn kbridge_glue_read_strings(
        dev: *mut device,
        prop: *const c_char,
        out: *mut *const c_char,
        n: usize,
    ) -> c_int;
    pub(crate) fn kbridge_glue_gpio_count(dev: *mut device, con_id: *const c_char) -> c_int;

    pub(crate) fn kbridge_glue_gpiod_get(
        dev: *mut device,
        con_id: *const c_char,
        idx: c_uint,
        output: bool,
        out: *mut *mut gpio_desc,
    ) -> c_int;
    pub(crate) fn kbridge_glue_gpiod_set(desc: *mut gpio_desc, value: c_int) -> c_int;
    pub(crate) fn kbridge_glue_gpiod_get_value(desc: *mut gpio_desc) -> c_int;
    pub(crate) fn kbridge_glue_gpiod_is_active_low(desc: *mut gpio_desc) -> bool;

    pub(crate) fn kbridge_glue_led_count(dev: *mut device) -> c_int;
    pub(crate) fn kbridge_glue_led_get(
        dev: *mut device,
        idx: c_uint,
        out: *mut *mut led_classdev,
    ) -> c_int;
    pub(crate) fn kbridge_glue_led_set(led: *mut led_classdev, value: c_uint) -> c_int;
    pub(crate) fn kbridge_glue_led_brightness(led: *mut led_classdev) -> c_uint;
    pub(crate) fn kbridge_glue_led_max_brightness(led: *mut led_classdev) -> c_uint;
    pub(crate) fn kbridge_glue_led_name(led: *mut led_classdev) -> *const c_char;
}
