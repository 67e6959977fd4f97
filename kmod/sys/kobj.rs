// SPDX-License-Identifier: GPL-2.0

//! sysfs directories: kobjects under the bound device, with the glue's fixed
//! attribute group (`value`, `max_value`, `kind`, `name`, `active_low`), and
//! `sysfs_notify()` on `value`.
//!
//! C header: [include/linux/kobject.h](srctree/include/linux/kobject.h)
//!
//! The attributes' show/store land in `crate::iface::sysfs`.

use core::ffi::c_char;
use core::ptr::NonNull;
use kernel::prelude::*;

use crate::abi;
use crate::sys::ffi;
use crate::sys::platform::Device;

/// A line's sysfs directory, for `sysfs_notify()`; owned by [`LineDirs`].
///
/// # Invariants
///
/// `kobj` is live while the board holds this (the board drops its copies in
/// `kill`, before the registration puts the kobjects).
#[derive(Clone, Copy)]
pub(crate) struct LineDir {
    kobj: NonNull<ffi::kobject>,
}

// SAFETY: sysfs_notify() may be called from any thread.
unsafe impl Send for LineDir {}
// SAFETY: as above.
unsafe impl Sync for LineDir {}

impl LineDir {
    pub(crate) fn is(&self, kobj: *mut ffi::kobject) -> bool {
        self.kobj.as_ptr() == kobj
    }

    pub(crate) fn notify(&self) {
        // SAFETY: `kobj` is live (type invariant).
        unsafe { ffi::kbridge_glue_sysfs_notify_value(self.kobj.as_ptr()) };
    }
}

/// The `lines` directory and one directory per line.
///
/// # Invariants
///
/// Every pointer is a kobject we hold one reference on, put on drop
/// (children first); removal drains running show/store callbacks.
pub(crate) struct LineDirs {
    dir: NonNull<ffi::kobject>,
    lines: KVec<NonNull<ffi::kobject>>,
}

// SAFETY: kobject_put() may be called from any thread.
unsafe impl Send for LineDirs {}
// SAFETY: no shared access.
unsafe impl Sync for LineDirs {}

impl LineDirs {
    /// Creates `<dev>/lines/` and one directory per name in it, each with
    /// the glue's line attribute group.
    pub(crate) fn new<'n>(dev: &Device<'_>, names: impl Iterator<Item = &'n [u8]>) -> Result<Self> {
        // SAFETY: `dev` is bound; the kobject is created under it.
        let dir = unsafe {
            ffi::kbridge_glue_kobject_create(
                c"lines".as_ptr(),
                ffi::kbridge_glue_device_kobj(dev.as_raw()),
            )
        };
        let dir = NonNull::new(dir).ok_or(ENOMEM)?;
        // INVARIANT: each kobject is added to `reg` right after creation.
        let mut reg = LineDirs {
            dir,
            lines: KVec::new(),
        };
        for n in names {
            let mut name = [0u8; abi::NAME_LEN + 1];
            for (d, s) in name.iter_mut().zip(n) {
                *d = *s;
            }
            // SAFETY: `name` is NUL-terminated; `dir` is live.
            let k = unsafe {
                ffi::kbridge_glue_kobject_create(name.as_ptr().cast::<c_char>(), reg.dir.as_ptr())
            };
            let k = NonNull::new(k).ok_or(ENOMEM)?;
            reg.lines.push(k, GFP_KERNEL).inspect_err(|_| {
                // SAFETY: not yet owned by `reg`; drop our reference.
                unsafe { ffi::kbridge_glue_kobject_put(k.as_ptr()) };
            })?;
            // SAFETY: `k` is live.
            kernel::error::to_result(unsafe {
                ffi::kbridge_glue_sysfs_add_line_attrs(k.as_ptr())
            })?;
        }
        Ok(reg)
    }

    /// The directories the board notifies, in line order.
    pub(crate) fn dirs(&self) -> Result<KVec<LineDir>> {
        let mut v = KVec::with_capacity(self.lines.len(), GFP_KERNEL)?;
        for k in self.lines.iter() {
            // INVARIANT: the board drops these in `kill`, before `self` is dropped.
            v.push(LineDir { kobj: *k }, GFP_KERNEL)?;
        }
        Ok(v)
    }
}

impl Drop for LineDirs {
    fn drop(&mut self) {
        // Remove each directory from sysfs now (kobject_del drains running
        // show/store calls and refuses new ones), then drop our reference: the
        // final release may come later (CONFIG_DEBUG_KOBJECT_RELEASE delays it
        // by seconds), by which time no callback may reach kbridge.
        for k in self.lines.iter() {
            // SAFETY: our reference (type invariant); the kobject is in sysfs.
            unsafe { ffi::kbridge_glue_kobject_del(k.as_ptr()) };
            // SAFETY: our reference (type invariant), given up once.
            unsafe { ffi::kbridge_glue_kobject_put(k.as_ptr()) };
        }
        // SAFETY: as above, for the `lines` directory (its children are gone).
        unsafe { ffi::kbridge_glue_kobject_del(self.dir.as_ptr()) };
        // SAFETY: our reference (type invariant), given up once.
        unsafe { ffi::kbridge_glue_kobject_put(self.dir.as_ptr()) };
    }
}
