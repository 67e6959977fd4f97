//! The raw system calls the probes make, with arguments no well-behaved caller would pass.
//! Every `unsafe` of the crate is here.

use std::ffi::c_void;
use std::fs::{File, OpenOptions};
use std::num::NonZeroUsize;
use std::os::fd::{AsFd, AsRawFd};
use std::ptr::NonNull;

use kbridge_abi as abi;
use nix::errno::Errno;
use nix::sys::mman::{self, MRemapFlags, MapFlags, ProtFlags};

/// The device node under test.
pub(crate) const DEV: &str = "/dev/kbridge";

/// Opens the device read-write or read-only.
pub(crate) fn open(writable: bool) -> std::io::Result<File> {
    OpenOptions::new().read(true).write(writable).open(DEV)
}

/// `ioctl(fd, cmd, arg)` with `arg` passed as is (it may be a bad pointer on purpose).
pub(crate) fn ioctl(file: &File, cmd: u32, arg: usize) -> Result<(), Errno> {
    // SAFETY: the kernel validates `arg` (copy_from_user/copy_to_user fail with EFAULT on a
    // bad address). When `arg` points into our memory, callers pass a buffer of at least the
    // size encoded in its `size` field that stays alive across the call.
    let rc = unsafe { nix::libc::ioctl(file.as_raw_fd(), cmd as _, arg) };
    Errno::result(rc).map(drop)
}

/// `ioctl(fd, cmd, buf.as_mut_ptr())`.
pub(crate) fn ioctl_buf(file: &File, cmd: u32, buf: &mut [u8]) -> Result<(), Errno> {
    ioctl(file, cmd, buf.as_mut_ptr() as usize)
}

/// A plain-old-data ABI struct as bytes.
pub(crate) trait Bytes: Copy {
    fn to_vec(&self) -> Vec<u8> {
        let len = size_of::<Self>();
        let mut v = vec![0u8; len];
        // SAFETY: `Self` is one of the `#[repr(C)]` ioctl structs of kbridge-abi: plain
        // integers and byte arrays without padding (their sizes are asserted in abi.rs), so
        // every byte is initialised; `v` has exactly `len` bytes.
        unsafe {
            std::ptr::copy_nonoverlapping((self as *const Self).cast::<u8>(), v.as_mut_ptr(), len)
        };
        v
    }
}
impl Bytes for abi::IocBoardInfo {}
impl Bytes for abi::IocLineInfo {}
impl Bytes for abi::IocValues {}
impl Bytes for abi::IocToggle {}
impl Bytes for abi::IocBits {}

/// A mapping made by [`map`]; unmapped on drop.
#[derive(Debug)]
pub(crate) struct Mapping {
    addr: NonNull<c_void>,
    len: NonZeroUsize,
}

/// Sets line `line` to `value` with one well-formed `SET_VALUES`.
pub(crate) fn set_line(file: &File, line: u32, value: u32) -> Result<(), Errno> {
    let mut v = abi::IocValues::request(1u64.checked_shl(line).ok_or(Errno::EINVAL)?);
    *v.values.get_mut(line as usize).ok_or(Errno::EINVAL)? = value;
    ioctl_buf(file, abi::IOC_SET_VALUES, &mut v.to_vec())
}

/// `mmap(NULL, len, prot, flags, fd, offset)`.
pub(crate) fn map(
    file: &File,
    len: usize,
    prot: ProtFlags,
    flags: MapFlags,
    offset: i64,
) -> Result<Mapping, Errno> {
    let len = NonZeroUsize::new(len).ok_or(Errno::EINVAL)?;
    // SAFETY: a fresh mapping at an address the kernel chooses cannot alias Rust memory.
    let addr = unsafe { mman::mmap(None, len, prot, flags, file.as_fd(), offset) }?;
    Ok(Mapping { addr, len })
}

impl Mapping {
    /// `mprotect()` of the whole mapping.
    pub(crate) fn protect(&self, prot: ProtFlags) -> Result<(), Errno> {
        // SAFETY: `addr..addr+len` is exactly our mapping; changing its protection affects
        // no Rust object (we only ever read it through volatile loads).
        unsafe { mman::mprotect(self.addr, self.len.get(), prot) }
    }

    /// `madvise(MADV_DONTNEED)`: drops the mapping's page table entries; the next access
    /// faults the page in again.
    pub(crate) fn dontneed(&self) -> Result<(), Errno> {
        // SAFETY: `addr..addr+len` is exactly our mapping; no Rust reference points into it.
        unsafe { mman::madvise(self.addr, self.len.get(), mman::MmapAdvise::MADV_DONTNEED) }
    }

    /// `mremap()` to `new_len`, letting the kernel move the mapping. On success
    /// the old mapping is gone and the new one is returned.
    pub(crate) fn grow(self, new_len: usize) -> Result<Mapping, (Mapping, Errno)> {
        let Some(len) = NonZeroUsize::new(new_len) else {
            return Err((self, Errno::EINVAL));
        };
        // SAFETY: `addr..addr+len` is exactly our mapping and no Rust reference points
        // into it; on success `self` is forgotten, so the moved range is unmapped once,
        // through the returned `Mapping`.
        match unsafe {
            mman::mremap(
                self.addr,
                self.len.get(),
                new_len,
                MRemapFlags::MREMAP_MAYMOVE,
                None,
            )
        } {
            Ok(addr) => {
                std::mem::forget(self);
                Ok(Mapping { addr, len })
            }
            Err(e) => Err((self, e)),
        }
    }

    /// The mapped page as the shared state, read with the seqcount retry protocol.
    pub(crate) fn state(&self) -> Option<abi::SharedState> {
        if self.len.get() < abi::SHARED_STATE_SIZE {
            return None;
        }
        let p = self.addr.as_ptr().cast::<u8>();
        let word = |off: usize| {
            // SAFETY: `off + 4 <= SHARED_STATE_SIZE <= len` and the offsets are 4-aligned
            // field offsets, so the read is inside the readable mapping.
            unsafe { std::ptr::read_volatile(p.add(off).cast::<u32>()) }
        };
        for _ in 0..1000 {
            let before = word(abi::SHARED_OFF_SEQCOUNT);
            if before % 2 == 1 {
                std::hint::spin_loop();
                continue;
            }
            std::sync::atomic::fence(std::sync::atomic::Ordering::Acquire);
            // SAFETY: the mapping holds at least SHARED_STATE_SIZE readable bytes and
            // `SharedState` is plain integers (any bit pattern is valid); the page is
            // page-aligned, so the pointer is aligned for it.
            let st = unsafe { std::ptr::read_volatile(p.cast::<abi::SharedState>()) };
            std::sync::atomic::fence(std::sync::atomic::Ordering::Acquire);
            if word(abi::SHARED_OFF_SEQCOUNT) == before {
                return Some(st);
            }
        }
        None
    }
}

impl Drop for Mapping {
    fn drop(&mut self) {
        // SAFETY: we own this mapping (made by `map`) and nothing borrows it.
        let _ = unsafe { mman::munmap(self.addr, self.len.get()) };
    }
}

/// Two pages with the second unmapped: for structs that straddle into unmapped memory.
#[derive(Debug)]
pub(crate) struct Straddle {
    first: Mapping,
}

impl Straddle {
    pub(crate) fn new() -> Result<Self, Errno> {
        let page = page_size();
        let len = NonZeroUsize::new(2 * page).ok_or(Errno::EINVAL)?;
        // SAFETY: anonymous mapping at a kernel-chosen address: aliases nothing.
        let addr = unsafe {
            mman::mmap_anonymous(
                None,
                len,
                ProtFlags::PROT_READ | ProtFlags::PROT_WRITE,
                MapFlags::MAP_PRIVATE,
            )
        }?;
        // SAFETY: the second page of our own fresh mapping; nothing refers to it.
        let second = unsafe { NonNull::new_unchecked(addr.as_ptr().cast::<u8>().add(page).cast()) };
        // SAFETY: as above.
        unsafe { mman::munmap(second, page) }?;
        let first = Mapping {
            addr,
            len: NonZeroUsize::new(page).ok_or(Errno::EINVAL)?,
        };
        Ok(Straddle { first })
    }

    /// Writes `bytes` so that only the first `inside` of them are in the mapped page and
    /// returns the address of the copy (the rest would fall into the unmapped page).
    pub(crate) fn place(&self, bytes: &[u8], inside: usize) -> usize {
        let page = self.first.len.get();
        let inside = inside.min(bytes.len()).min(page);
        let start = page - inside;
        let base = self.first.addr.as_ptr().cast::<u8>();
        // SAFETY: `start + inside == page`: the copy stays inside the mapped first page.
        unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), base.add(start), inside) };
        base as usize + start
    }
}

impl Straddle {
    /// The address where the unmapped second page starts.
    pub(crate) fn unmapped(&self) -> usize {
        self.first.addr.as_ptr() as usize + self.first.len.get()
    }

    /// A copy of the `len` bytes at `addr`, which must lie inside the mapped first page
    /// (None otherwise).
    pub(crate) fn read_back(&self, addr: usize, len: usize) -> Option<Vec<u8>> {
        let base = self.first.addr.as_ptr() as usize;
        if addr < base || addr.checked_add(len)? > base + self.first.len.get() {
            return None;
        }
        // SAFETY: `addr..addr+len` is inside our mapped, readable first page (checked), which
        // only ever holds plain bytes.
        Some(unsafe { std::slice::from_raw_parts(addr as *const u8, len) }.to_vec())
    }
}

/// `read(fd, addr, len)` into memory that may be unmapped: the kernel checks it, never Rust.
pub(crate) fn read_raw(file: &File, addr: usize, len: usize) -> Result<usize, Errno> {
    // SAFETY: the kernel validates `addr..addr+len` and fails with EFAULT where it is not
    // writable; Rust holds no reference into that range while the call runs.
    let n = unsafe { nix::libc::read(file.as_raw_fd(), addr as *mut c_void, len) };
    usize::try_from(n).map_err(|_| Errno::last())
}

/// The page size the ABI assumes (arm64 4K-page kernels; the shared page is one page).
pub(crate) fn page_size() -> usize {
    abi::SHARED_PAGE_SIZE
}
