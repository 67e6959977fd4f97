// SPDX-License-Identifier: GPL-2.0

//! `/dev/kbridge`: a misc device whose file operations land here.
//!
//! C header: [include/linux/miscdevice.h](srctree/include/linux/miscdevice.h)
//!
//! Linux 6.12 has no Rust misc-device or file abstraction, so the glue owns
//! the `struct miscdevice` and a `file_operations` table (with `.owner`, so the
//! module can't be unloaded under an open file) whose entries are the
//! `extern "C"` functions below. Each one turns raw arguments into safe types,
//! calls safe code and turns the `Result` into an errno.
//!
//! - `read()`: [`abi::EventRecord`]s, blocking or `O_NONBLOCK`; `poll()`.
//! - `write()`: text commands (`abi::parse_commands`), all-or-nothing.
//! - `ioctl()`: see [`crate::iface::ioctl`]. `mmap()`: the shared page, read-only.

use core::ffi::{c_char, c_int, c_long, c_uint, c_ulong, c_void};
use core::sync::atomic::{AtomicU64, Ordering};
use kernel::prelude::*;
use kernel::sync::Arc;

use crate::abi;
use crate::board::{Board, Iface, Op};
use crate::sys::ffi;
use crate::sys::platform::Device;
use crate::sys::uaccess::UserPtr;

/// The registered misc device; dropping it deregisters (no new opens after).
pub(crate) struct Registration(());

impl Registration {
    pub(crate) fn new(parent: &Device<'_>) -> Result<Self> {
        // SAFETY: the glue's static miscdevice is not registered (one
        // Registration per bound board, and kbridge binds one board).
        kernel::error::to_result(unsafe { ffi::kbridge_glue_misc_register(parent.as_raw()) })?;
        Ok(Registration(()))
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        // SAFETY: registered in `new`.
        unsafe { ffi::kbridge_glue_misc_deregister() };
    }
}

/// Wakes blocked readers and pollers after a change (EPOLLIN): the board's
/// `changed` hook. With nobody waiting this is one barrier and a load:
/// `wq_has_sleeper()` pairs with the waiter's barrier, so a reader that is
/// about to sleep either sees the new `seq` or is seen here.
pub(crate) fn wake_readers_on_change(_board: &Board) {
    // SAFETY: the glue's wait queue is static.
    if unsafe { ffi::kbridge_glue_readers_waiting() } {
        // SAFETY: as above.
        unsafe { ffi::kbridge_glue_wake_readers(POLL_READABLE) };
    }
}

/// Wakes every blocked reader and poller because the board is gone
/// (EPOLLIN | EPOLLHUP | EPOLLERR): epoll waits for any of them, whatever
/// events it asked for, all see the hang-up.
pub(crate) fn wake_readers_gone() {
    // SAFETY: the glue's wait queue is static.
    unsafe { ffi::kbridge_glue_wake_readers(POLL_READABLE | POLL_GONE) };
}

/// Per-open-file state: the board and this reader's position in the events.
struct OpenFile {
    board: Arc<Board>,
    /// Sequence number of the last event this reader consumed.
    cursor: AtomicU64,
}

impl OpenFile {
    fn ready(&self) -> bool {
        self.board.seq() > self.cursor.load(Ordering::Acquire) || self.board.gone()
    }
}

/// # Safety
///
/// `file` must be a kbridge file whose private data was set by `kbridge_rust_open`
/// and not yet released.
unsafe fn open_file<'a>(file: *mut ffi::file) -> Option<&'a OpenFile> {
    // SAFETY: per the contract, private data is a live `OpenFile` until release.
    unsafe {
        ffi::kbridge_glue_file_private(file)
            .cast::<OpenFile>()
            .as_ref()
    }
}

#[no_mangle]
unsafe extern "C" fn kbridge_rust_open(_inode: *mut ffi::inode, file: *mut ffi::file) -> c_int {
    let Some(board) = crate::board::current() else {
        return ENODEV.to_errno();
    };
    let cursor = AtomicU64::new(board.seq());
    match KBox::new(OpenFile { board, cursor }, GFP_KERNEL) {
        Ok(of) => {
            // SAFETY: `file` is being opened; its private data is ours from now on.
            unsafe { ffi::kbridge_glue_file_set_private(file, KBox::into_raw(of).cast()) };
            0
        }
        Err(_) => ENOMEM.to_errno(),
    }
}

#[no_mangle]
unsafe extern "C" fn kbridge_rust_release(_inode: *mut ffi::inode, file: *mut ffi::file) -> c_int {
    // SAFETY: release is called once per successful open; the pointer came
    // from `KBox::into_raw` in `kbridge_rust_open`.
    let p = unsafe { ffi::kbridge_glue_file_private(file) }.cast::<OpenFile>();
    if !p.is_null() {
        // SAFETY: see above; reclaimed exactly once.
        let of = unsafe { KBox::from_raw(p) };
        of.board.close_reader(of.cursor.load(Ordering::Acquire));
    }
    0
}

unsafe extern "C" fn ready_cb(arg: *mut c_void) -> bool {
    // SAFETY: `arg` is the `OpenFile` passed by `read`, alive for the call.
    unsafe { arg.cast::<OpenFile>().as_ref() }.map_or(true, OpenFile::ready)
}

fn read(of: &OpenFile, file: *mut ffi::file, user: UserPtr) -> Result<usize> {
    of.board.count(Iface::Chardev);
    if user.len() < abi::EVENT_SIZE {
        return Err(EINVAL);
    }
    let mut recs = [abi::EventRecord::from_bytes(&[0; abi::EVENT_SIZE]); 16];
    let max = (user.len() / abi::EVENT_SIZE).min(recs.len());
    loop {
        let cursor = of.cursor.load(Ordering::Acquire);
        let peek = of
            .board
            .peek_events(cursor, recs.get_mut(..max).ok_or(EINVAL)?)?;
        if peek.n > 0 {
            // Copy, then consume only what reached user space: a fault part-way
            // returns the records before it, a fault on the first returns
            // EFAULT, and no event is lost either way.
            let mut copied = 0;
            let mut fault = Ok(());
            for (k, r) in recs.iter().take(peek.n).enumerate() {
                fault = user
                    .skip(k * abi::EVENT_SIZE)
                    .and_then(|u| u.write_bytes(&r.to_bytes()));
                if fault.is_err() {
                    break;
                }
                copied += 1;
            }
            if !of.board.consume(&of.cursor, &peek, copied) {
                // Another read of this file consumed events meanwhile: what we
                // copied may repeat them, so start over.
                continue;
            }
            fault.or(if copied > 0 { Ok(()) } else { Err(EFAULT) })?;
            return Ok(copied * abi::EVENT_SIZE);
        }
        // SAFETY: `file` is a live kbridge file.
        if unsafe { ffi::kbridge_glue_file_nonblock(file) } {
            return Err(EAGAIN);
        }
        let arg = (of as *const OpenFile).cast_mut().cast::<c_void>();
        // SAFETY: `ready_cb` only reads the `OpenFile`, which outlives the wait.
        if unsafe { ffi::kbridge_glue_wait_event(Some(ready_cb), arg) } != 0 {
            return Err(ERESTARTSYS);
        }
    }
}

#[no_mangle]
unsafe extern "C" fn kbridge_rust_read(
    file: *mut ffi::file,
    buf: *mut c_char,
    len: usize,
    _off: *mut i64,
) -> isize {
    // SAFETY: called by the VFS on an open kbridge file.
    let Some(of) = (unsafe { open_file(file) }) else {
        return ENODEV.to_errno() as isize;
    };
    match read(of, file, UserPtr::new(buf as usize, len)) {
        Ok(n) => n as isize,
        Err(e) => e.to_errno() as isize,
    }
}

/// Writes up to this long are copied onto the stack (a few commands); longer
/// ones into an allocated buffer.
const STACK_WRITE: usize = 128;

fn write(of: &OpenFile, user: UserPtr) -> Result<usize> {
    of.board.count(Iface::Chardev);
    let len = user.len();
    if len > abi::CHARDEV_MAX_WRITE {
        return Err(EINVAL);
    }
    if len <= STACK_WRITE {
        let mut buf = [0u8; STACK_WRITE];
        let text = buf.get_mut(..len).ok_or(EINVAL)?;
        user.read_bytes(text)?;
        apply_text(&of.board, text)?;
    } else {
        let mut text: KVec<u8> = KVec::from_elem(0, len, GFP_KERNEL)?;
        user.read_bytes(&mut text)?;
        apply_text(&of.board, &text)?;
    }
    Ok(len)
}

/// Parses `text` (every command checked first) and applies it as one
/// request; the ops go on the stack unless there are more than lines.
#[inline(never)]
fn apply_text(board: &Board, text: &[u8]) -> Result {
    let count = abi::validate_commands(text).map_err(|_| EINVAL)?;
    let mut stack = [Op::Toggle(0); abi::MAX_LINES];
    let mut heap: KVec<Op>;
    let ops: &mut [Op] = if count <= stack.len() {
        stack.get_mut(..count).ok_or(EINVAL)?
    } else {
        heap = KVec::from_elem(Op::Toggle(0), count, GFP_KERNEL)?;
        &mut heap
    };
    let mut filled = 0;
    for (slot, cmd) in ops.iter_mut().zip(abi::parse_commands(text)) {
        let cmd = cmd.map_err(|_| EINVAL)?;
        filled += 1;
        let i = board.find(cmd.name().as_bytes()).ok_or(EINVAL)?;
        *slot = match cmd {
            abi::Command::Set { value, .. } => Op::Set(i, value),
            abi::Command::Toggle { .. } => Op::Toggle(i),
        };
    }
    if filled != count {
        // validate_commands counts what parse_commands yields: can't happen.
        return Err(EINVAL);
    }
    board.apply(ops, abi::SOURCE_CHARDEV).map(|_| ())
}

#[no_mangle]
unsafe extern "C" fn kbridge_rust_write(
    file: *mut ffi::file,
    buf: *const c_char,
    len: usize,
    _off: *mut i64,
) -> isize {
    // SAFETY: called by the VFS on an open kbridge file.
    let Some(of) = (unsafe { open_file(file) }) else {
        return ENODEV.to_errno() as isize;
    };
    match write(of, UserPtr::new(buf as usize, len)) {
        Ok(n) => n as isize,
        Err(e) => e.to_errno() as isize,
    }
}

/// EPOLLIN | EPOLLRDNORM.
const POLL_READABLE: c_uint = 0x0001 | 0x0040;
/// EPOLLERR | EPOLLHUP: the board is gone.
const POLL_GONE: c_uint = 0x0008 | 0x0010;

#[no_mangle]
unsafe extern "C" fn kbridge_rust_poll(
    file: *mut ffi::file,
    pt: *mut ffi::poll_table_struct,
) -> c_uint {
    // SAFETY: called by the VFS on an open kbridge file.
    let Some(of) = (unsafe { open_file(file) }) else {
        return POLL_GONE;
    };
    // SAFETY: `file` and `pt` come from the VFS poll call.
    unsafe { ffi::kbridge_glue_poll_wait(file, pt) };
    if of.board.gone() {
        POLL_GONE
    } else if of.ready() {
        POLL_READABLE
    } else {
        0
    }
}

#[no_mangle]
unsafe extern "C" fn kbridge_rust_ioctl(file: *mut ffi::file, cmd: c_uint, arg: c_ulong) -> c_long {
    // SAFETY: called by the VFS on an open kbridge file.
    let Some(of) = (unsafe { open_file(file) }) else {
        return ENODEV.to_errno() as c_long;
    };
    // SAFETY: `file` is a live kbridge file.
    let writable = unsafe { ffi::kbridge_glue_file_writable(file) };
    match crate::iface::ioctl::dispatch(&of.board, cmd, arg as usize, writable) {
        Ok(()) => 0,
        Err(e) => e.to_errno() as c_long,
    }
}

#[no_mangle]
unsafe extern "C" fn kbridge_rust_mmap(
    file: *mut ffi::file,
    vma: *mut ffi::vm_area_struct,
) -> c_int {
    // SAFETY: called by the VFS on an open kbridge file.
    let Some(of) = (unsafe { open_file(file) }) else {
        return ENODEV.to_errno();
    };
    of.board.count(Iface::Mmap);
    if of.board.gone() {
        return ENODEV.to_errno();
    }
    match of.board.page().map(vma) {
        Ok(()) => 0,
        Err(e) => e.to_errno(),
    }
}
