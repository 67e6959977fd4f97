// SPDX-License-Identifier: GPL-2.0

//! Raw declarations of the C glue in `kbridge_glue.c`.
//!
//! C header: [kbridge_glue.h](kbridge_glue.h)
//!
//! Nothing outside the thin wrapper modules (`platform`, `dt`, `gpio`, `led`)
//! calls these. Each declaration mirrors one prototype of the header; the host
//! test `tests/host/glue-abi.sh` regenerates them with bindgen and diffs.

use core::ffi::{c_char, c_int, c_uint, c_ulong, c_void};

// Opaque stand-ins for the C structs the glue passes around. Rust never looks
// inside them, so their layout (which differs across kernels and configs) is
// irrelevant, and the FFI signatures stay FFI-safe. The other `ffi_*.rs` files
// declare theirs with the same macro (`use crate::sys::ffi::opaque;`).
macro_rules! opaque {
    ($($(#[$m:meta])* $name:ident;)*) => {$(
        $(#[$m])*
        #[repr(C)]
        pub(crate) struct $name {
            _data: [u8; 0],
            _marker: ::core::marker::PhantomData<(*mut u8, ::core::marker::PhantomPinned)>,
        }
    )*};
}
pub(crate) use opaque;

opaque! {
    /// `struct device`.
    device;
    /// `struct file`.
    file;
    /// `struct gpio_desc`.
    gpio_desc;
    /// `struct inode`.
    inode;
    /// `struct kernfs_node`.
    kernfs_node;
    /// `struct kobject`.
    kobject;
    /// `struct led_classdev`.
    led_classdev;
    /// `struct poll_table_struct`.
    poll_table_struct;
    /// `struct proc_dir_entry`.
    proc_dir_entry;
    /// `struct seq_file`.
    seq_file;
    /// `struct vm_area_struct`.
    vm_area_struct;
}

/// `enum kbridge_attr` of the glue header: which sysfs attribute a callback serves.
pub(crate) const ATTR_VALUE: c_uint = 0;
pub(crate) const ATTR_MAX_VALUE: c_uint = 1;
pub(crate) const ATTR_KIND: c_uint = 2;
pub(crate) const ATTR_NAME: c_uint = 3;
pub(crate) const ATTR_ACTIVE_LOW: c_uint = 4;

// The block mirrors the whole header; some entries serve code paths that a
// given build doesn't reach yet.
#[allow(dead_code)]
extern "C" {
    pub(crate) fn kbridge_glue_platform_register() -> c_int;
    pub(crate) fn kbridge_glue_device_link_supplier(
        consumer: *mut device,
        supplier: *mut device,
    ) -> c_int;
    pub(crate) fn kbridge_glue_platform_unregister();
    pub(crate) fn kbridge_glue_set_drvdata(dev: *mut device, data: *mut c_void);
    pub(crate) fn kbridge_glue_get_drvdata(dev: *mut device) -> *mut c_void;
    pub(crate) fn kbridge_glue_dev_err_probe(
        dev: *mut device,
        err: c_int,
        msg: *const c_char,
    ) -> c_int;

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
    pub(crate) fn kbridge_glue_gpiod_set_consumer_name(
        desc: *mut gpio_desc,
        name: *const c_char,
    ) -> c_int;
    pub(crate) fn kbridge_glue_gpiod_supplier(desc: *mut gpio_desc) -> *mut device;

    pub(crate) fn kbridge_glue_led_count(dev: *mut device) -> c_int;
    pub(crate) fn kbridge_glue_led_get(
        dev: *mut device,
        idx: c_uint,
        out: *mut *mut led_classdev,
    ) -> c_int;
    pub(crate) fn kbridge_glue_led_can_sleep(led: *mut led_classdev) -> bool;
    pub(crate) fn kbridge_glue_led_set_sync(led: *mut led_classdev, value: c_uint) -> c_int;
    pub(crate) fn kbridge_glue_led_set_nosleep(led: *mut led_classdev, value: c_uint);
    pub(crate) fn kbridge_glue_led_store_brightness(led: *mut led_classdev, value: c_uint);
    pub(crate) fn kbridge_glue_led_has_trigger(led: *mut led_classdev) -> bool;
    pub(crate) fn kbridge_glue_led_trigger_remove(led: *mut led_classdev);
    pub(crate) fn kbridge_glue_led_brightness(led: *mut led_classdev) -> c_uint;
    pub(crate) fn kbridge_glue_led_supplier(led: *mut led_classdev) -> *mut device;
    pub(crate) fn kbridge_glue_led_max_brightness(led: *mut led_classdev) -> c_uint;
    pub(crate) fn kbridge_glue_led_name(led: *mut led_classdev) -> *const c_char;

    pub(crate) fn kbridge_glue_ktime_ns() -> u64;
    pub(crate) fn kbridge_glue_copy_to_user(
        to: *mut c_void,
        from: *const c_void,
        n: c_ulong,
    ) -> c_ulong;
    pub(crate) fn kbridge_glue_copy_from_user(
        to: *mut c_void,
        from: *const c_void,
        n: c_ulong,
    ) -> c_ulong;

    pub(crate) fn kbridge_glue_misc_register(parent: *mut device) -> c_int;
    pub(crate) fn kbridge_glue_misc_deregister();
    pub(crate) fn kbridge_glue_file_private(file: *mut file) -> *mut c_void;
    pub(crate) fn kbridge_glue_file_set_private(file: *mut file, data: *mut c_void);
    pub(crate) fn kbridge_glue_file_nonblock(file: *mut file) -> bool;
    pub(crate) fn kbridge_glue_file_writable(file: *mut file) -> bool;
    pub(crate) fn kbridge_glue_wait_event(
        ready: Option<unsafe extern "C" fn(arg: *mut c_void) -> bool>,
        arg: *mut c_void,
    ) -> c_int;
    pub(crate) fn kbridge_glue_poll_wait(file: *mut file, pt: *mut poll_table_struct);
    pub(crate) fn kbridge_glue_readers_waiting() -> bool;
    pub(crate) fn kbridge_glue_wake_readers(events: c_uint);

    pub(crate) fn kbridge_glue_led_poll_start(delay_ms: c_uint);
    pub(crate) fn kbridge_glue_led_poll_stop();

    pub(crate) fn kbridge_glue_get_zeroed_page() -> c_ulong;
    pub(crate) fn kbridge_glue_free_page(addr: c_ulong);

    pub(crate) fn kbridge_glue_fault_init();
    pub(crate) fn kbridge_glue_fault_exit();
    pub(crate) fn kbridge_glue_fail_hw_write() -> bool;
    pub(crate) fn kbridge_glue_vma_info(
        vma: *mut vm_area_struct,
        len: *mut c_ulong,
        pgoff: *mut c_ulong,
        write: *mut bool,
        exec: *mut bool,
    );
    pub(crate) fn kbridge_glue_vma_seal(vma: *mut vm_area_struct);
    pub(crate) fn kbridge_glue_vma_map_page(vma: *mut vm_area_struct, addr: c_ulong);

    pub(crate) fn kbridge_glue_proc_create(data: *mut c_void) -> *mut proc_dir_entry;
    pub(crate) fn kbridge_glue_proc_remove(entry: *mut proc_dir_entry);
    pub(crate) fn kbridge_glue_seq_private(m: *mut seq_file) -> *mut c_void;
    pub(crate) fn kbridge_glue_seq_write(m: *mut seq_file, buf: *const c_void, len: usize);

    pub(crate) fn kbridge_glue_param_ring_size() -> c_uint;

    pub(crate) fn kbridge_glue_device_kobj(dev: *mut device) -> *mut kobject;
    pub(crate) fn kbridge_glue_kobject_create(
        name: *const c_char,
        parent: *mut kobject,
    ) -> *mut kobject;
    pub(crate) fn kbridge_glue_kobject_del(kobj: *mut kobject);
    pub(crate) fn kbridge_glue_kobject_put(kobj: *mut kobject);
    pub(crate) fn kbridge_glue_sysfs_add_line_attrs(kobj: *mut kobject) -> c_int;
    pub(crate) fn kbridge_glue_sysfs_value_node(kobj: *mut kobject) -> *mut kernfs_node;
    pub(crate) fn kbridge_glue_kernfs_put(kn: *mut kernfs_node);
    pub(crate) fn kbridge_glue_kernfs_has_open(kn: *mut kernfs_node) -> bool;
    pub(crate) fn kbridge_glue_kernfs_notify(kn: *mut kernfs_node);

    pub(crate) fn kbridge_glue_gpiod_to_irq(desc: *mut gpio_desc) -> c_int;
    pub(crate) fn kbridge_glue_request_irq(
        irq: c_uint,
        name: *const c_char,
        cookie: *mut c_void,
    ) -> c_int;
    pub(crate) fn kbridge_glue_free_irq(irq: c_uint, cookie: *mut c_void);
}
