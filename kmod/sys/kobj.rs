// SPDX-License-Identifier: GPL-2.0

//! sysfs directories: kobjects under the bound device, with the glue's fixed
//! attribute group (`value`, `max_value`, `kind`, `name`, `active_low`), and
//! the poll notification on `value`.
//!
//! The notification is `sysfs_notify()` without its per-call lookup: each
//! line's `value` kernfs node is looked up once and kept (with a reference)
//! for as long as the directory exists, and it is notified only while a file
//! is open on it, since only an open file can `poll()`. With no open file a
//! change costs one pointer load here: no lookup, no `kernfs_notify()` and so
//! no workqueue item (whose kworker would be a context switch per change).
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

/// A line's sysfs directory and its `value` file, for notifications; owned by
/// [`LineDirs`].
///
/// # Invariants
///
/// `kobj` and `value` are live while the board holds this (the board drops
/// its copies in `kill`, before the registration puts them).
#[derive(Clone, Copy)]
pub(crate) struct LineDir {
    kobj: NonNull<ffi::kobject>,
    value: NonNull<ffi::kernfs_node>,
}

// SAFETY: kernfs_notify() may be called from any thread.
unsafe impl Send for LineDir {}
// SAFETY: as above.
unsafe impl Sync for LineDir {}

impl LineDir {
    pub(crate) fn is(&self, kobj: *mut ffi::kobject) -> bool {
        self.kobj.as_ptr() == kobj
    }

    /// The line's value changed: wakes `poll()`ers of `value`, if any file
    /// is open on it (none can poll otherwise). A file opened after the
    /// check reads the new value: it is recorded before the check.
    pub(crate) fn notify(&self) {
        // SAFETY: `value` is live (type invariant).
        if unsafe { ffi::kbridge_glue_kernfs_has_open(self.value.as_ptr()) } {
            // SAFETY: as above.
            unsafe { ffi::kbridge_glue_kernfs_notify(self.value.as_ptr()) };
        }
    }
}

/// The `lines` directory and one directory per line.
///
/// # Invariants
///
/// Every kobject and kernfs node pointer holds one reference of ours, put on
/// drop (nodes, then children, then `dir`); removal drains running
/// show/store callbacks.
pub(crate) struct LineDirs {
    dir: NonNull<ffi::kobject>,
    lines: KVec<LineDir>,
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
            // Undoes the creation of `k` (not owned by `reg` yet) as `drop` does for the
            // others: out of sysfs, then our reference.
            let put = |k: NonNull<ffi::kobject>| {
                // SAFETY: `k` is live and in sysfs (created and added above).
                unsafe { ffi::kbridge_glue_kobject_del(k.as_ptr()) };
                // SAFETY: our reference, given up once.
                unsafe { ffi::kbridge_glue_kobject_put(k.as_ptr()) };
            };
            // SAFETY: `k` is live.
            if let Err(e) = kernel::error::to_result(unsafe {
                ffi::kbridge_glue_sysfs_add_line_attrs(k.as_ptr())
            }) {
                put(k);
                return Err(e);
            }
            // SAFETY: `k` is live and has its attributes.
            let Some(value) =
                NonNull::new(unsafe { ffi::kbridge_glue_sysfs_value_node(k.as_ptr()) })
            else {
                put(k);
                return Err(ENOENT);
            };
            reg.lines
                .push(LineDir { kobj: k, value }, GFP_KERNEL)
                .inspect_err(|_| {
                    // SAFETY: our reference from the lookup above, not owned by `reg`.
                    unsafe { ffi::kbridge_glue_kernfs_put(value.as_ptr()) };
                    put(k);
                })?;
        }
        Ok(reg)
    }

    /// The directories the board notifies, in line order.
    pub(crate) fn dirs(&self) -> Result<KVec<LineDir>> {
        let mut v = KVec::with_capacity(self.lines.len(), GFP_KERNEL)?;
        for d in self.lines.iter() {
            // INVARIANT: the board drops these in `kill`, before `self` is dropped.
            v.push(*d, GFP_KERNEL)?;
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
        for d in self.lines.iter() {
            // SAFETY: our reference on the node (type invariant), given up
            // once; kobject_del() below removes the file itself.
            unsafe { ffi::kbridge_glue_kernfs_put(d.value.as_ptr()) };
            // SAFETY: our reference (type invariant); the kobject is in sysfs.
            unsafe { ffi::kbridge_glue_kobject_del(d.kobj.as_ptr()) };
            // SAFETY: our reference (type invariant), given up once.
            unsafe { ffi::kbridge_glue_kobject_put(d.kobj.as_ptr()) };
        }
        // SAFETY: as above, for the `lines` directory (its children are gone).
        unsafe { ffi::kbridge_glue_kobject_del(self.dir.as_ptr()) };
        // SAFETY: our reference (type invariant), given up once.
        unsafe { ffi::kbridge_glue_kobject_put(self.dir.as_ptr()) };
    }
}
