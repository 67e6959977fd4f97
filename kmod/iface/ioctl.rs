// SPDX-License-Identifier: GPL-2.0

//! ioctl commands on `/dev/kbridge` (numbers and structs: `kbridge_abi`).
//!
//! Every struct starts with `size`, checked `copy_struct_from_user()`-style:
//! smaller than v1 → EINVAL, larger with a non-zero tail → E2BIG. Reserved
//! fields and unknown flags must be zero (EINVAL). Unknown commands → ENOTTY,
//! bad pointers → EFAULT, changes through a file opened read-only → EBADF.
//! Nothing changes on any error.
//!
//! The hot paths allocate nothing and take the board lock at most once: gets
//! of GPIO lines read the shared page lock-free ([`Board::values`]), a change
//! is one [`Board::apply`] with its ops built on the stack.

use kernel::prelude::*;

use crate::abi;
use crate::board::{Board, Iface, Op};
use crate::sys::uaccess::{Pod, UserPtr};

/// An ioctl struct: every one starts with the caller's `size`.
trait IocStruct: Pod {
    fn size(&self) -> u32;
}

macro_rules! sized {
    ($($t:ty),*) => {$(
        impl IocStruct for $t {
            fn size(&self) -> u32 {
                self.size
            }
        }
    )*};
}
sized!(
    abi::IocBoardInfo,
    abi::IocLineInfo,
    abi::IocValues,
    abi::IocToggle,
    abi::IocBits
);

/// Reads the caller's struct: its `size` word, the v1 part, and checks that
/// any tail beyond v1 is zero.
///
/// One copy in the usual case (the v1 struct is readable: its `size` word
/// decides). When it is not, the `size` word alone is read, so that a
/// `size` below v1 is still EINVAL and an unreadable struct EFAULT.
fn read_struct<T: IocStruct>(arg: usize, known: usize) -> Result<(T, UserPtr)> {
    let (size, whole) = match UserPtr::new(arg, known).read::<T>() {
        Ok(v) => (v.size(), Some(v)),
        Err(_) => (UserPtr::new(arg, 4).read::<u32>()?, None),
    };
    let extra = match abi::check_user_size(size, known) {
        Ok(abi::UserSize::Exact) => 0,
        Ok(abi::UserSize::Larger { extra }) => extra,
        Err(abi::SizeError::TooSmall) => return Err(EINVAL),
        Err(abi::SizeError::TooBig) => return Err(E2BIG),
    };
    let user = UserPtr::new(arg, known + extra);
    let v: T = match whole {
        Some(v) => v,
        None => user.read()?,
    };
    let mut tail = user.skip(known)?;
    let mut chunk = [0u8; 64];
    while tail.len() > 0 {
        let n = tail.len().min(chunk.len());
        let part = chunk.get_mut(..n).ok_or(EINVAL)?;
        tail.read_bytes(part)?;
        if !abi::all_zero(part) {
            return Err(E2BIG);
        }
        tail = tail.skip(n)?;
    }
    Ok((v, user))
}

/// Applies one op per line in `mask`, in line order, built by `op` as the
/// board walks them (nothing is collected or allocated).
fn apply_mask(board: &Board, mask: u64, op: impl Fn(usize) -> Op) -> Result<u64> {
    board.apply(crate::model::bits(mask).map(op), abi::SOURCE_IOCTL)
}

pub(crate) fn dispatch(board: &Board, cmd: u32, arg: usize, writable: bool) -> Result {
    board.count(Iface::Ioctl);
    if matches!(
        cmd,
        abi::IOC_SET_VALUES | abi::IOC_TOGGLE | abi::IOC_SET_BITS
    ) && !writable
    {
        return Err(EBADF);
    }
    let n = board.lines.len() as u32;
    match cmd {
        abi::IOC_BOARD_INFO => {
            let (mut v, user) = read_struct::<abi::IocBoardInfo>(arg, abi::IOC_BOARD_INFO_SIZE_V1)?;
            if v.reserved.iter().any(|w| *w != 0) || v.flags != 0 {
                // Output-only fields: nothing to validate but the caller must
                // not smuggle data in reserved words.
                return Err(EINVAL);
            }
            v.abi_version = abi::ABI_VERSION;
            v.num_lines = n;
            v.seq = board.with_state(|st| st.seq())?;
            v.name = [0; abi::NAME_LEN];
            copy_name(&mut v.name, board.label.as_bytes());
            user.write_prefix(&v)
        }
        abi::IOC_LINE_INFO => {
            let (mut v, user) = read_struct::<abi::IocLineInfo>(arg, abi::IOC_LINE_INFO_SIZE_V1)?;
            v.check_input(n).map_err(|_| EINVAL)?;
            if v.reserved0 != 0 || v.reserved.iter().any(|w| *w != 0) {
                return Err(EINVAL);
            }
            let i = v.index as usize;
            let d = board.lines.get(i).ok_or(EINVAL)?;
            board.with_state(|st| {
                let l = st.line(i);
                v.value = l.value;
                v.changes = l.changes;
                v.last_change_ns = l.last_ns;
                v.last_source = u32::from(l.last_source);
            })?;
            v.kind = u32::from(d.kind);
            v.flags = d.flags;
            v.max_value = d.max;
            v.name = [0; abi::NAME_LEN];
            copy_name(&mut v.name, d.name.as_bytes());
            user.write_prefix(&v)
        }
        abi::IOC_GET_VALUES => {
            let (mut v, user) = read_struct::<abi::IocValues>(arg, abi::IOC_VALUES_SIZE_V1)?;
            v.check_input(n).map_err(|_| EINVAL)?;
            v.seq = board.values(v.mask, &mut v.values)?;
            user.write_prefix(&v)
        }
        abi::IOC_GET_BITS => {
            let (mut v, user) = read_struct::<abi::IocBits>(arg, abi::IOC_BITS_SIZE_V1)?;
            v.check_input(n).map_err(|_| EINVAL)?;
            (v.bits, v.seq) = board.bits(v.mask)?;
            user.write_prefix(&v)
        }
        abi::IOC_SET_BITS => {
            let (mut v, user) = read_struct::<abi::IocBits>(arg, abi::IOC_BITS_SIZE_V1)?;
            v.check_input(n).map_err(|_| EINVAL)?;
            let bits = v.bits;
            v.seq = apply_mask(board, v.mask, |i| {
                let max = board.lines.get(i).map_or(0, |d| d.max);
                Op::Set(i, abi::bit_value(bits & (1u64 << i) != 0, max))
            })?;
            user.write_prefix(&v)
        }
        abi::IOC_SET_VALUES => {
            let (mut v, user) = read_struct::<abi::IocValues>(arg, abi::IOC_VALUES_SIZE_V1)?;
            v.check_input(n).map_err(|_| EINVAL)?;
            let values = v.values;
            v.seq = apply_mask(board, v.mask, |i| {
                Op::Set(i, values.get(i).copied().unwrap_or(0))
            })?;
            user.write_prefix(&v)
        }
        abi::IOC_TOGGLE => {
            let (v, _) = read_struct::<abi::IocToggle>(arg, abi::IOC_TOGGLE_SIZE_V1)?;
            v.check_input(n).map_err(|_| EINVAL)?;
            apply_mask(board, v.mask, Op::Toggle).map(|_| ())
        }
        _ => Err(ENOTTY),
    }
}

fn copy_name(dst: &mut [u8; abi::NAME_LEN], src: &[u8]) {
    for (d, s) in dst.iter_mut().zip(src.iter().take(abi::NAME_LEN - 1)) {
        *d = *s;
    }
}
