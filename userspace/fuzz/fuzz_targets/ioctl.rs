// SPDX-License-Identifier: GPL-2.0-only OR MIT

//! ioctl validators: `check_user_size` and every `Ioc*::check_input` over arbitrary bytes read
//! as the structs, the way the module reads them (`kmod/iface/ioctl.rs`: the `size` word, the
//! v1 struct, the zero tail). Each verdict is checked against the rule it implements, written
//! out independently in `userspace/test-support/abi_rules.rs` (shared with kbridge-abi's
//! property tests).
//!
//! Input: byte 0 picks the struct, byte 1 the board's number of lines (0..=71, past
//! `MAX_LINES` = 64 on purpose), bytes 2..4 an arbitrary `known` size; the rest is the caller's
//! buffer.

#![no_main]

use kbridge_abi::{
    self as abi, IocBits, IocBoardInfo, IocInputError, IocLineInfo, IocToggle, IocValues, UserSize,
    IOC_STRUCT_MAX_SIZE,
};
use libfuzzer_sys::fuzz_target;

#[path = "../../test-support/abi_rules.rs"]
mod abi_rules;
use abi_rules::{input_rule, mask_ok, size_rule};

/// A struct every bit pattern of which is a valid value.
///
/// # Safety
///
/// Only for `repr(C)` structs of integers and integer arrays (no padding either: the
/// `*_SIZE_V1` asserts in kbridge-abi pin their sizes), as `copy_from_user()` fills them.
unsafe trait Pod: Copy {}
// SAFETY: repr(C), integers and integer arrays only.
unsafe impl Pod for IocBoardInfo {}
// SAFETY: as above.
unsafe impl Pod for IocLineInfo {}
// SAFETY: as above.
unsafe impl Pod for IocValues {}
// SAFETY: as above.
unsafe impl Pod for IocToggle {}
// SAFETY: as above.
unsafe impl Pod for IocBits {}

/// The struct at the start of `buf`, if `buf` holds one (else the kernel's read faults).
fn read<T: Pod>(buf: &[u8]) -> Option<T> {
    let bytes = buf.get(..core::mem::size_of::<T>())?;
    // SAFETY: `bytes` has size_of::<T>() bytes, read_unaligned needs no alignment, and T: Pod
    // makes any bytes a valid T.
    Some(unsafe { core::ptr::read_unaligned(bytes.as_ptr().cast::<T>()) })
}

/// `check_user_size` against its rule, for one `known` size.
fn check_size(user: u32, known: usize) {
    let got = abi::check_user_size(user, known);
    assert_eq!(
        got,
        size_rule(user, known),
        "check_user_size({user}, {known})"
    );
    if let Ok(UserSize::Larger { extra }) = got {
        let u = user as usize;
        assert!(extra > 0 && known + extra == u && u <= IOC_STRUCT_MAX_SIZE as usize);
    }
}

/// The module's `read_struct`: size word, size check, struct, zero tail. None where it
/// returns an error (or the read faults).
fn read_struct<T: Pod>(buf: &[u8], known: usize) -> Option<T> {
    assert_eq!(core::mem::size_of::<T>(), known);
    let size = u32::from_ne_bytes(buf.get(..4)?.try_into().ok()?);
    check_size(size, known);
    let extra = match abi::check_user_size(size, known) {
        Ok(UserSize::Exact) => 0,
        Ok(UserSize::Larger { extra }) => extra,
        Err(_) => return None,
    };
    let v = read::<T>(buf)?;
    let tail = buf.get(known..known + extra)?;
    assert_eq!(abi::all_zero(tail), tail.iter().all(|&b| b == 0));
    abi::all_zero(tail).then_some(v)
}

fuzz_target!(|data: &[u8]| {
    let [which, lines, k0, k1, buf @ ..] = data else {
        return;
    };
    let n = u32::from(*lines % 72);
    let user = buf
        .get(..4)
        .map_or(0, |b| u32::from_ne_bytes(b.try_into().unwrap_or([0; 4])));

    // The size rule, for every struct's size and for any size at all.
    for known in [
        abi::IOC_BOARD_INFO_SIZE_V1,
        abi::IOC_LINE_INFO_SIZE_V1,
        abi::IOC_VALUES_SIZE_V1,
        abi::IOC_TOGGLE_SIZE_V1,
        abi::IOC_BITS_SIZE_V1,
        usize::from(u16::from_ne_bytes([*k0, *k1])),
    ] {
        check_size(user, known);
    }

    let mask = abi::lines_mask(n);
    assert_eq!(mask.count_ones(), n.min(64));
    assert_eq!(mask_ok(mask, n), n > 0, "lines_mask({n})");

    match which % 5 {
        0 => {
            // Output-only struct: the size check is all there is.
            let _ = read_struct::<IocBoardInfo>(buf, abi::IOC_BOARD_INFO_SIZE_V1);
        }
        1 => {
            if let Some(v) = read_struct::<IocLineInfo>(buf, abi::IOC_LINE_INFO_SIZE_V1) {
                let want = if v.index < n {
                    Ok(())
                } else {
                    Err(IocInputError::Index)
                };
                assert_eq!(v.check_input(n), want, "{v:?} with {n} lines");
            }
        }
        2 => {
            if let Some(v) = read_struct::<IocValues>(buf, abi::IOC_VALUES_SIZE_V1) {
                let want = input_rule(v.flags, &v.reserved, v.mask, n);
                assert_eq!(v.check_input(n), want, "{v:?} with {n} lines");
            }
        }
        3 => {
            if let Some(v) = read_struct::<IocToggle>(buf, abi::IOC_TOGGLE_SIZE_V1) {
                let want = input_rule(v.flags, &v.reserved, v.mask, n);
                assert_eq!(v.check_input(n), want, "{v:?} with {n} lines");
            }
        }
        _ => {
            // No reserved words in IocBits.
            if let Some(v) = read_struct::<IocBits>(buf, abi::IOC_BITS_SIZE_V1) {
                let want = input_rule(v.flags, &[], v.mask, n);
                assert_eq!(v.check_input(n), want, "{v:?} with {n} lines");
            }
        }
    }
});
