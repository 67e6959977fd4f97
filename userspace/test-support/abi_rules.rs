// SPDX-License-Identifier: GPL-2.0-only OR MIT

//! The ioctl validators' rules, written out independently of kbridge-abi's code, as the
//! reference both its property tests (`kbridge-abi/tests/abi/fuzz.rs`) and the cargo-fuzz
//! target (`userspace/fuzz/fuzz_targets/ioctl.rs`) check `check_user_size` and the
//! `Ioc*::check_input` methods against. Included with `#[path]` by each.

use kbridge_abi::{IocInputError, SizeError, UserSize, IOC_STRUCT_MAX_SIZE};

/// What `check_user_size(user, known)` must say: larger than the maximum is too big, below
/// the known size too small, else exact or larger by the difference.
pub(crate) fn size_rule(user: u32, known: usize) -> Result<UserSize, SizeError> {
    let u = user as usize;
    if user > IOC_STRUCT_MAX_SIZE {
        Err(SizeError::TooBig)
    } else if u < known {
        Err(SizeError::TooSmall)
    } else if u == known {
        Ok(UserSize::Exact)
    } else {
        Ok(UserSize::Larger { extra: u - known })
    }
}

/// `mask` is non-empty and names lines of a board of `num_lines` only.
pub(crate) fn mask_ok(mask: u64, num_lines: u32) -> bool {
    mask != 0 && (0..64).all(|i| mask & (1u64 << i) == 0 || i < num_lines)
}

/// What the mask structs' `check_input` must say: flags zero, then reserved words zero,
/// then a mask of existing lines, in that order.
pub(crate) fn input_rule(
    flags: u32,
    reserved: &[u32],
    mask: u64,
    num_lines: u32,
) -> Result<(), IocInputError> {
    if flags != 0 {
        Err(IocInputError::Flags)
    } else if reserved.iter().any(|&w| w != 0) {
        Err(IocInputError::Reserved)
    } else if !mask_ok(mask, num_lines) {
        Err(IocInputError::Mask)
    } else {
        Ok(())
    }
}
