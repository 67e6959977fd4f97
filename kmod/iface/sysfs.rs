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
//! notifies its `value` (`crate::sys::kobj::LineDir::notify`: while a file
//! is open on it), so `poll()` on it wakes.

use core::ffi::{c_char, c_uint};
use kernel::prelude::*;

use crate::abi;
use crate::board::{self, Board, Iface, Op};
use crate::sys::ffi;
use crate::sys::kobj::LineDirs;
use crate::sys::platform::Device;

/// The `lines` directory and its line directories, made for `board`'s lines
/// under `dev`; dropping it removes them.
pub(crate) fn register(dev: &Device<'_>, board: &Board) -> Result<LineDirs> {
    LineDirs::new(dev, board.lines.iter().map(|l| l.name.as_bytes()))
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
            let mut v = [0u32; abi::MAX_LINES];
            board.values(1u64 << i, &mut v)?;
            emit(buf, format_args!("{}\n", v.get(i).copied().unwrap_or(0)))
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
    let board = board::current()?;
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
