// SPDX-License-Identifier: GPL-2.0

//! sysfs: `<device>/lines/<name>/{value,max_value,kind,name,active_low}`,
//! reachable as `/sys/class/misc/kbridge/device/lines/<name>/` (the misc
//! device's parent is the platform device).
//!
//! C header: [include/linux/kobject.h](srctree/include/linux/kobject.h)
//!
//! One kobject per line with the glue's fixed attribute group; the glue's
//! show/store trampolines add only the attribute id. `value` is 0664 and
//! accepts a decimal value (`abi::parse_sysfs_value`); every change to a line
//! calls `sysfs_notify()` on its `value`, so `poll()` on it wakes.

use core::ffi::{c_char, c_uint};
use core::ptr::NonNull;
use kernel::prelude::*;

use crate::abi;
use crate::board::{Board, Iface, Op};
use crate::ffi;
use crate::platform::Device;

/// A line's sysfs directory, for `sysfs_notify()`; owned by [`Registration`].
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
pub(crate) struct Registration {
    dir: NonNull<ffi::kobject>,
    lines: KVec<NonNull<ffi::kobject>>,
}

// SAFETY: kobject_put() may be called from any thread.
unsafe impl Send for Registration {}
// SAFETY: no shared access.
unsafe impl Sync for Registration {}

impl Registration {
    pub(crate) fn new(dev: &Device<'_>, board: &Board) -> Result<Self> {
        // SAFETY: `dev` is bound; the kobject is created under it.
        let dir = unsafe {
            ffi::kbridge_glue_kobject_create(
                c"lines".as_ptr(),
                ffi::kbridge_glue_device_kobj(dev.as_raw()),
            )
        };
        let dir = NonNull::new(dir).ok_or(ENOMEM)?;
        // INVARIANT: each kobject is added to `reg` right after creation.
        let mut reg = Registration {
            dir,
            lines: KVec::new(),
        };
        for l in board.lines.iter() {
            let mut name = [0u8; abi::NAME_LEN + 1];
            for (d, s) in name.iter_mut().zip(l.name.as_bytes()) {
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

impl Drop for Registration {
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

/// Writes `args` into the sysfs page buffer; returns the length.
fn emit(buf: &mut [u8], args: core::fmt::Arguments<'_>) -> Result<usize> {
    struct W<'a>(&'a mut [u8], usize);
    impl core::fmt::Write for W<'_> {
        fn write_str(&mut self, s: &str) -> core::fmt::Result {
            let end = self.1.checked_add(s.len()).ok_or(core::fmt::Error)?;
            self.0
                .get_mut(self.1..end)
                .ok_or(core::fmt::Error)?
                .copy_from_slice(s.as_bytes());
            self.1 = end;
            Ok(())
        }
    }
    let mut w = W(buf, 0);
    core::fmt::write(&mut w, args).map_err(|_| EINVAL)?;
    Ok(w.1)
}

fn show(board: &Board, i: usize, attr: c_uint, buf: &mut [u8]) -> Result<usize> {
    board.count(Iface::Sysfs);
    let l = board.lines.get(i).ok_or(ENODEV)?;
    match attr {
        ffi::ATTR_VALUE => {
            let v = board.with_state(|st| st.values.get(i).copied().unwrap_or(0))?;
            emit(buf, format_args!("{v}\n"))
        }
        ffi::ATTR_MAX_VALUE => emit(buf, format_args!("{}\n", l.max)),
        ffi::ATTR_KIND => emit(
            buf,
            format_args!("{}\n", abi::kind_name(l.kind).unwrap_or("?")),
        ),
        ffi::ATTR_NAME => emit(buf, format_args!("{}\n", l.name.as_str())),
        ffi::ATTR_ACTIVE_LOW => emit(
            buf,
            format_args!("{}\n", u8::from(l.flags & abi::LINE_FLAG_ACTIVE_LOW != 0)),
        ),
        _ => Err(EIO),
    }
}

fn store(board: &Board, i: usize, attr: c_uint, text: &[u8]) -> Result {
    board.count(Iface::Sysfs);
    if attr != ffi::ATTR_VALUE {
        return Err(EIO);
    }
    let l = board.lines.get(i).ok_or(ENODEV)?;
    if !abi::kind_is_writable(l.kind) {
        return Err(EPERM);
    }
    let v = abi::parse_sysfs_value(text).map_err(|_| EINVAL)?;
    board.apply(&[Op::Set(i, v)], abi::SOURCE_SYSFS).map(|_| ())
}

/// The line behind `kobj`, if the board is bound.
fn lookup(kobj: *mut ffi::kobject) -> Option<(kernel::sync::Arc<Board>, usize)> {
    let board = crate::platform::current()?;
    let i = board.sysfs_line(kobj)?;
    Some((board, i))
}

#[no_mangle]
unsafe extern "C" fn kbridge_rust_sysfs_show(
    kobj: *mut ffi::kobject,
    attr: c_uint,
    buf: *mut c_char,
) -> isize {
    let Some((board, i)) = lookup(kobj) else {
        return ENODEV.to_errno() as isize;
    };
    // SAFETY: sysfs passes a PAGE_SIZE buffer for show.
    let buf = unsafe { core::slice::from_raw_parts_mut(buf.cast::<u8>(), kernel::page::PAGE_SIZE) };
    match show(&board, i, attr, buf) {
        Ok(n) => n as isize,
        Err(e) => e.to_errno() as isize,
    }
}

#[no_mangle]
unsafe extern "C" fn kbridge_rust_sysfs_store(
    kobj: *mut ffi::kobject,
    attr: c_uint,
    buf: *const c_char,
    len: usize,
) -> isize {
    let Some((board, i)) = lookup(kobj) else {
        return ENODEV.to_errno() as isize;
    };
    // SAFETY: sysfs passes `len` readable bytes for store.
    let text = unsafe { core::slice::from_raw_parts(buf.cast::<u8>(), len) };
    match store(&board, i, attr, text) {
        Ok(()) => len as isize,
        Err(e) => e.to_errno() as isize,
    }
}
