// SPDX-License-Identifier: GPL-2.0

//! The shared state page: one zeroed kernel page that user space maps
//! read-only (`mmap` of /dev/kbridge) and reads lock-free.
//!
//! C header: [include/linux/mm.h](srctree/include/linux/mm.h)
//!
//! Layout: `kbridge_abi::SharedState`. The writer (always under the board
//! lock, so there is one writer at a time) makes `seqcount` odd, updates the
//! fields, then makes it even again; readers retry while it is odd or changed.

use core::ffi::c_ulong;
use core::sync::atomic::{fence, Ordering};
use kernel::prelude::*;

use crate::abi;
use crate::sys::ffi;

/// The page.
///
/// # Invariants
///
/// `addr` is the kernel address of a page from `get_zeroed_page()`, owned by
/// this value and freed on drop; it is at least `abi::SHARED_PAGE_SIZE` bytes.
pub(crate) struct SharedPage {
    addr: c_ulong,
}

// SAFETY: the page is plain memory owned by this value.
unsafe impl Send for SharedPage {}
// SAFETY: `&SharedPage` can only write through a `PageWriter`, which exists
// only inside `update`, and `update`'s callers hold the board lock: one writer
// at a time. Concurrent readers (user-space mappings, and `read`) follow the
// seqcount protocol and discard what they read while a write was under way.
unsafe impl Sync for SharedPage {}

/// Read access to the page, handed out only inside [`SharedPage::read`].
pub(crate) struct PageReader<'a> {
    page: &'a SharedPage,
}

/// Write access to the page, handed out only inside [`SharedPage::update`].
pub(crate) struct PageWriter<'a> {
    page: &'a SharedPage,
}

impl SharedPage {
    pub(crate) fn new() -> Result<Self> {
        // SAFETY: plain page allocation.
        let addr = unsafe { ffi::kbridge_glue_get_zeroed_page() };
        if addr == 0 {
            return Err(ENOMEM);
        }
        // INVARIANT: a non-zero result is a zeroed page we now own.
        Ok(SharedPage { addr })
    }

    fn ptr(&self, off: usize, size: usize) -> Option<*mut u8> {
        if off.checked_add(size)? > abi::SHARED_PAGE_SIZE || off % size != 0 {
            return None;
        }
        Some((self.addr as usize + off) as *mut u8)
    }

    /// Runs `f` as one seqcount write section; the only way to write the
    /// page. The caller must hold the board lock (one writer at a time);
    /// `seqcount` is the writer's copy of the counter, kept under that lock.
    /// Returns its new value.
    pub(crate) fn update(&self, seqcount: u32, f: impl FnOnce(&PageWriter<'_>)) -> u32 {
        let w = PageWriter { page: self };
        let odd = seqcount.wrapping_add(1);
        w.write_u32(abi::SHARED_OFF_SEQCOUNT, odd);
        fence(Ordering::Release);
        f(&w);
        fence(Ordering::Release);
        let even = odd.wrapping_add(1);
        w.write_u32(abi::SHARED_OFF_SEQCOUNT, even);
        even
    }

    /// Runs `f` on a consistent view of the page without the lock, by the
    /// seqcount protocol user space follows (docs/interfaces.md): retried
    /// while a writer is inside [`Self::update`]. None after `tries`
    /// attempts (a writer preempted mid-update): the caller takes the lock
    /// instead of spinning on.
    pub(crate) fn read<R>(&self, tries: u32, mut f: impl FnMut(&PageReader<'_>) -> R) -> Option<R> {
        let r = PageReader { page: self };
        for _ in 0..tries {
            let before = r.read_u32(abi::SHARED_OFF_SEQCOUNT);
            if before & 1 != 0 {
                core::hint::spin_loop();
                continue;
            }
            // Orders the seqcount load before the field loads (smp_rmb)...
            fence(Ordering::Acquire);
            let v = f(&r);
            // ... and the field loads before the second seqcount load.
            fence(Ordering::Acquire);
            if r.read_u32(abi::SHARED_OFF_SEQCOUNT) == before {
                return Some(v);
            }
        }
        None
    }

    /// Maps the page into `vma` read-only. Refuses writable or executable
    /// mappings (EPERM), a length other than one page or a non-zero offset
    /// (EINVAL). The mapping can never become writable or executable
    /// (mprotect: EACCES) nor grow (mremap: EFAULT).
    pub(crate) fn map(&self, vma: *mut ffi::vm_area_struct) -> Result {
        let (mut len, mut pgoff, mut write, mut exec) = (0, 0, false, false);
        // SAFETY: `vma` is the VMA the mmap file operation was called with.
        unsafe { ffi::kbridge_glue_vma_info(vma, &mut len, &mut pgoff, &mut write, &mut exec) };
        if write || exec {
            return Err(EPERM);
        }
        if usize::try_from(len).ok() != Some(kernel::page::PAGE_SIZE) || pgoff != 0 {
            return Err(EINVAL);
        }
        // SAFETY: `vma` is valid (see above); clearing VM_MAYWRITE/VM_MAYEXEC makes
        // a later mprotect(PROT_WRITE/PROT_EXEC) fail, VM_DONTEXPAND a growing mremap.
        unsafe { ffi::kbridge_glue_vma_seal(vma) };
        // SAFETY: `vma` is valid and one page long; `addr` is our page (type
        // invariant); the VMA takes its own reference on it, so the page
        // outlives this `SharedPage` for as long as it is mapped.
        unsafe { ffi::kbridge_glue_vma_map_page(vma, self.addr) };
        Ok(())
    }
}

impl PageReader<'_> {
    /// Reads one aligned u32 field (0 on a bad offset, which the ABI's
    /// constant offsets never produce).
    pub(crate) fn read_u32(&self, off: usize) -> u32 {
        match self.page.ptr(off, 4) {
            // SAFETY: in-bounds and aligned (checked); the page outlives the
            // reader. A racing writer is detected by the seqcount.
            Some(p) => unsafe { core::ptr::read_volatile(p.cast::<u32>()) },
            None => 0,
        }
    }

    /// Reads one aligned u64 field.
    pub(crate) fn read_u64(&self, off: usize) -> u64 {
        match self.page.ptr(off, 8) {
            // SAFETY: as for `read_u32`.
            Some(p) => unsafe { core::ptr::read_volatile(p.cast::<u64>()) },
            None => 0,
        }
    }
}

impl PageWriter<'_> {
    /// Writes one aligned u32 field (no-op on a bad offset, which the ABI's
    /// constant offsets never produce).
    pub(crate) fn write_u32(&self, off: usize, v: u32) {
        if let Some(p) = self.page.ptr(off, 4) {
            // SAFETY: in-bounds and aligned (checked); the page outlives the writer.
            unsafe { core::ptr::write_volatile(p.cast::<u32>(), v) };
        }
    }

    /// Writes one aligned u64 field.
    pub(crate) fn write_u64(&self, off: usize, v: u64) {
        if let Some(p) = self.page.ptr(off, 8) {
            // SAFETY: in-bounds and aligned (checked); the page outlives the writer.
            unsafe { core::ptr::write_volatile(p.cast::<u64>(), v) };
        }
    }

    /// Writes one u8 field.
    pub(crate) fn write_u8(&self, off: usize, v: u8) {
        if let Some(p) = self.page.ptr(off, 1) {
            // SAFETY: in-bounds (checked); the page outlives the writer.
            unsafe { core::ptr::write_volatile(p, v) };
        }
    }
}

impl Drop for SharedPage {
    fn drop(&mut self) {
        // SAFETY: `addr` came from get_zeroed_page (type invariant); mappings
        // hold their own page references, so freeing ours is safe while mapped.
        unsafe { ffi::kbridge_glue_free_page(self.addr) };
    }
}
