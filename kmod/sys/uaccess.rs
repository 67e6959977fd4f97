// SPDX-License-Identifier: GPL-2.0

//! Copies between kernel and user memory, the `Pod` types that may cross,
//! and the clock their timestamps come from.
//!
//! C header: [include/linux/uaccess.h](srctree/include/linux/uaccess.h)
//!
//! `kernel::uaccess::UserSlice` exists on every supported kernel but its
//! pointer type changed in 6.17; one glue function per direction avoids a cfg.

use core::ffi::c_void;
use core::mem::{size_of, MaybeUninit};
use kernel::prelude::*;

use crate::abi;
use crate::sys::ffi;

/// `CLOCK_MONOTONIC` now, in nanoseconds (`ktime_get_ns()`).
pub(crate) fn now_ns() -> u64 {
    // SAFETY: ktime_get_ns() may be called from any context.
    unsafe { ffi::kbridge_glue_ktime_ns() }
}

/// Plain-old-data: `#[repr(C)]`, integers and arrays of integers only, no
/// padding, every bit pattern valid.
///
/// # Safety
///
/// Implementors must be exactly that; the ABI's size assertions pin the
/// "no padding" part for the types below.
pub(crate) unsafe trait Pod: Copy {}

// SAFETY: repr(C) structs of u32/u64/[u8; N]/[u32; N] with no padding
// (kbridge-abi asserts each size equals the sum of its fields).
unsafe impl Pod for abi::IocBoardInfo {}
// SAFETY: as above.
unsafe impl Pod for abi::IocLineInfo {}
// SAFETY: as above.
unsafe impl Pod for abi::IocValues {}
// SAFETY: as above.
unsafe impl Pod for abi::IocToggle {}
// SAFETY: as above.
unsafe impl Pod for abi::IocBits {}
// SAFETY: a u32 is plain old data.
unsafe impl Pod for u32 {}

/// A user-space address range handed to a file operation.
#[derive(Clone, Copy)]
pub(crate) struct UserPtr {
    addr: usize,
    len: usize,
}

impl UserPtr {
    pub(crate) fn new(addr: usize, len: usize) -> Self {
        UserPtr { addr, len }
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// The range starting `offset` bytes in.
    pub(crate) fn skip(&self, offset: usize) -> Result<Self> {
        let addr = self.addr.checked_add(offset).ok_or(EFAULT)?;
        let len = self.len.checked_sub(offset).ok_or(EINVAL)?;
        Ok(UserPtr { addr, len })
    }

    /// Copies `dst.len()` bytes from the start of the range.
    pub(crate) fn read_bytes(&self, dst: &mut [u8]) -> Result {
        if dst.len() > self.len {
            return Err(EINVAL);
        }
        let n = core::ffi::c_ulong::try_from(dst.len()).map_err(|_| EINVAL)?;
        // SAFETY: `dst` is valid for `n` bytes of writes; copy_from_user checks
        // the user address itself and returns the number of bytes not copied.
        let left = unsafe {
            ffi::kbridge_glue_copy_from_user(dst.as_mut_ptr().cast(), self.addr as *const c_void, n)
        };
        if left != 0 {
            return Err(EFAULT);
        }
        Ok(())
    }

    /// Copies `src` to the start of the range.
    pub(crate) fn write_bytes(&self, src: &[u8]) -> Result {
        if src.len() > self.len {
            return Err(EINVAL);
        }
        let n = core::ffi::c_ulong::try_from(src.len()).map_err(|_| EINVAL)?;
        // SAFETY: `src` is valid for `n` bytes of reads; copy_to_user checks the
        // user address itself and returns the number of bytes not copied.
        let left = unsafe {
            ffi::kbridge_glue_copy_to_user(self.addr as *mut c_void, src.as_ptr().cast(), n)
        };
        if left != 0 {
            return Err(EFAULT);
        }
        Ok(())
    }

    /// Reads a `T` from the start of the range.
    pub(crate) fn read<T: Pod>(&self) -> Result<T> {
        let mut v = MaybeUninit::<T>::zeroed();
        // SAFETY: `v` is `size_of::<T>()` bytes of writable memory; viewing it as
        // bytes is fine because `T: Pod` (and it is zero-initialised).
        let bytes =
            unsafe { core::slice::from_raw_parts_mut(v.as_mut_ptr().cast::<u8>(), size_of::<T>()) };
        self.read_bytes(bytes)?;
        // SAFETY: fully initialised above; any bit pattern is a valid `T: Pod`.
        Ok(unsafe { v.assume_init() })
    }

    /// Writes `min(len, size_of::<T>())` bytes of `v` to the start of the range.
    pub(crate) fn write_prefix<T: Pod>(&self, v: &T) -> Result {
        // SAFETY: `T: Pod` has no padding, so all its bytes are initialised.
        let bytes =
            unsafe { core::slice::from_raw_parts((v as *const T).cast::<u8>(), size_of::<T>()) };
        let n = bytes.len().min(self.len);
        self.write_bytes(bytes.get(..n).ok_or(EINVAL)?)
    }
}
