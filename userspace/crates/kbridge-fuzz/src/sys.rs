//! The raw system calls the campaign makes, with arguments no well-behaved caller would pass.
//! Every `unsafe` of the crate is here.

use std::ffi::c_void;
use std::fs::File;
use std::num::NonZeroUsize;
use std::os::fd::{AsFd, AsRawFd};
use std::ptr::NonNull;
use std::sync::atomic::{AtomicU32, Ordering};

use nix::errno::Errno;
use nix::sys::mman::{self, MRemapFlags, MapFlags, MmapAdvise, ProtFlags};

pub(crate) const PAGE: usize = 4096;

/// Two anonymous pages, the second one inaccessible: a buffer placed so that it ends inside
/// the second page straddles into unmapped memory (the kernel must answer EFAULT or a short
/// transfer, and never touch the guard).
#[derive(Debug)]
pub(crate) struct Guarded {
    base: NonNull<c_void>,
}

// SAFETY: the mapping is owned by this value and only accessed through raw pointers handed to
// the kernel or through atomics; nothing in Rust holds references into it.
unsafe impl Send for Guarded {}
// SAFETY: as above; concurrent access goes through `AtomicU32`.
unsafe impl Sync for Guarded {}

impl Guarded {
    pub(crate) fn new() -> Result<Self, Errno> {
        let len = NonZeroUsize::new(2 * PAGE).ok_or(Errno::EINVAL)?;
        // SAFETY: a fresh anonymous mapping at an address the kernel picks aliases nothing.
        let base = unsafe {
            mman::mmap_anonymous(
                None,
                len,
                ProtFlags::PROT_READ | ProtFlags::PROT_WRITE,
                MapFlags::MAP_PRIVATE,
            )
        }?;
        // SAFETY: the second page of the mapping just made.
        let guard = unsafe { NonNull::new_unchecked(base.as_ptr().cast::<u8>().add(PAGE)) };
        // SAFETY: `guard` is page-aligned, inside our own mapping, and nothing references it.
        unsafe { mman::mprotect(guard.cast(), PAGE, ProtFlags::PROT_NONE) }?;
        Ok(Guarded { base })
    }

    /// Copies `data` so that it ends `overhang` bytes past the guard's start (0: it ends
    /// right at the guard, fully readable). Returns the address of its first byte.
    pub(crate) fn place(&self, data: &[u8], overhang: usize) -> usize {
        let len = data.len().min(PAGE);
        let overhang = overhang.min(len);
        let start = PAGE + overhang - len;
        let readable = len - overhang;
        // SAFETY: `start..start + readable` lies inside the first (writable) page.
        unsafe {
            std::ptr::copy_nonoverlapping(
                data.as_ptr(),
                self.base.as_ptr().cast::<u8>().add(start),
                readable,
            )
        };
        self.base.as_ptr() as usize + start
    }

    /// Copies `data` (at most a page) to the start of the writable page; returns its address.
    pub(crate) fn place_start(&self, data: &[u8]) -> usize {
        let len = data.len().min(PAGE);
        // SAFETY: the first `len` bytes of the writable page.
        unsafe {
            std::ptr::copy_nonoverlapping(data.as_ptr(), self.base.as_ptr().cast::<u8>(), len)
        };
        self.base.as_ptr() as usize
    }

    /// The first u32 of the writable page, for a thread that changes a struct's `size` while
    /// the kernel reads it.
    pub(crate) fn first_word(&self) -> &AtomicU32 {
        // SAFETY: page-aligned, inside the writable page, which lives as long as `self`;
        // accessed only atomically from Rust.
        unsafe { &*self.base.as_ptr().cast::<AtomicU32>() }
    }
}

impl Drop for Guarded {
    fn drop(&mut self) {
        // SAFETY: our own mapping; no references into it outlive `self`.
        let _ = unsafe { mman::munmap(self.base, 2 * PAGE) };
    }
}

/// `ioctl(fd, cmd, arg)` with `arg` passed as is (it may be a bad pointer on purpose).
pub(crate) fn ioctl(file: &File, cmd: u32, arg: usize) -> Result<(), Errno> {
    // SAFETY: the kernel validates `arg`; when it points into our memory, it points into a
    // `Guarded` buffer that outlives the call (writes land in our own anonymous page).
    let rc = unsafe { nix::libc::ioctl(file.as_raw_fd(), cmd as _, arg) };
    Errno::result(rc).map(drop)
}

/// `read(fd, addr, len)` into a `Guarded` buffer (possibly straddling its guard).
pub(crate) fn read_raw(file: &File, addr: usize, len: usize) -> Result<usize, Errno> {
    // SAFETY: `addr..addr+len` is inside a live `Guarded` mapping (up to its guard page,
    // where the kernel's copy faults and the call returns EFAULT or a short count).
    let rc = unsafe { nix::libc::read(file.as_raw_fd(), addr as *mut c_void, len) };
    Errno::result(rc).map(|n| n as usize)
}

/// `write(fd, addr, len)` from a `Guarded` buffer (possibly straddling its guard).
pub(crate) fn write_raw(file: &File, addr: usize, len: usize) -> Result<usize, Errno> {
    // SAFETY: as for `read_raw`; the kernel only reads.
    let rc = unsafe { nix::libc::write(file.as_raw_fd(), addr as *const c_void, len) };
    Errno::result(rc).map(|n| n as usize)
}

/// A mapping of the device; unmapped on drop.
#[derive(Debug)]
pub(crate) struct Mapping {
    addr: NonNull<c_void>,
    len: usize,
    prot: ProtFlags,
}

pub(crate) fn map(
    file: &File,
    len: usize,
    prot: ProtFlags,
    flags: MapFlags,
    offset: i64,
) -> Result<Mapping, Errno> {
    let nz = NonZeroUsize::new(len).ok_or(Errno::EINVAL)?;
    // SAFETY: a fresh mapping at an address the kernel chooses cannot alias Rust memory.
    let addr = unsafe { mman::mmap(None, nz, prot, flags, file.as_fd(), offset) }?;
    Ok(Mapping { addr, len, prot })
}

impl Mapping {
    /// Reads a u32 of the mapping (volatile: the kernel changes it under us), if the
    /// mapping is readable and covers it.
    pub(crate) fn read_u32(&self, off: usize) -> Option<u32> {
        if !self.prot.contains(ProtFlags::PROT_READ) || off + 4 > self.len || off % 4 != 0 {
            return None;
        }
        // SAFETY: in bounds (checked), 4-aligned, readable (checked); the page stays mapped
        // while `self` lives.
        Some(unsafe {
            self.addr
                .as_ptr()
                .cast::<u8>()
                .add(off)
                .cast::<u32>()
                .read_volatile()
        })
    }

    pub(crate) fn protect(&mut self, prot: ProtFlags) -> Result<(), Errno> {
        // SAFETY: our own mapping; Rust holds no references into it.
        unsafe { mman::mprotect(self.addr, self.len, prot) }?;
        self.prot = prot;
        Ok(())
    }

    pub(crate) fn remap(&mut self, new_len: usize, may_move: bool) -> Result<(), Errno> {
        let flags = if may_move {
            MRemapFlags::MREMAP_MAYMOVE
        } else {
            MRemapFlags::empty()
        };
        // SAFETY: our own mapping; on success the old range is gone and we keep the new one.
        let addr = unsafe { mman::mremap(self.addr, self.len, new_len, flags, None) }?;
        self.addr = addr;
        self.len = new_len;
        Ok(())
    }

    pub(crate) fn dontneed(&self) -> Result<(), Errno> {
        // SAFETY: our own mapping; MADV_DONTNEED on a device mapping only drops our PTEs.
        unsafe { mman::madvise(self.addr, self.len, MmapAdvise::MADV_DONTNEED) }
    }

    /// Forks a child that reads the first word of the mapping and exits; waits for it.
    pub(crate) fn fork_read(&self) -> Result<(), Errno> {
        let readable = self.prot.contains(ProtFlags::PROT_READ);
        let p = self.addr.as_ptr().cast::<u32>();
        // SAFETY: the child only reads memory that is mapped (and inherited) and calls
        // `_exit`, both async-signal-safe, as required after fork in a threaded process.
        match unsafe { nix::unistd::fork() }? {
            nix::unistd::ForkResult::Child => {
                let code = if readable {
                    // SAFETY: mapped and readable (checked before the fork).
                    (unsafe { p.read_volatile() } & 1) as i32
                } else {
                    0
                };
                // SAFETY: ends the child without running the parent's destructors.
                unsafe { nix::libc::_exit(code) }
            }
            nix::unistd::ForkResult::Parent { child } => {
                nix::sys::wait::waitpid(child, None).map(drop)
            }
        }
    }
}

impl Drop for Mapping {
    fn drop(&mut self) {
        // SAFETY: our own mapping; nothing references it after this.
        let _ = unsafe { mman::munmap(self.addr, self.len) };
    }
}

/// Flips the `size` word of `buf`'s page between `a` and `b` until `stop` is set.
pub(crate) fn flip_size(buf: &Guarded, a: u32, b: u32, stop: &std::sync::atomic::AtomicBool) {
    let w = buf.first_word();
    while !stop.load(Ordering::Relaxed) {
        w.store(a, Ordering::Relaxed);
        w.store(b, Ordering::Relaxed);
    }
}
