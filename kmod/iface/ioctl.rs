// SPDX-License-Identifier: GPL-2.0

//! ioctl commands on `/dev/kbridge` (numbers and structs: `kbridge_abi`).
//!
//! Every struct starts with `size`, checked `copy_struct_from_user()`-style:
//! smaller than v1 → EINVAL, larger with a non-zero tail → E2BIG. Reserved
//! fields and unknown flags must be zero (EINVAL). Unknown commands → ENOTTY,
//! bad pointers → EFAULT, changes through a file opened read-only → EBADF.
//! Nothing changes on any error.

use kernel::prelude::*;

use crate::abi;
use crate::board::{Board, Iface, Op};
use crate::sys::uaccess::{Pod, UserPtr};

/// Reads the caller's struct: its `size` word, the v1 part, and checks that
/// any tail beyond v1 is zero.
fn read_struct<T: Pod>(arg: usize, known: usize) -> Result<(T, UserPtr)> {
    let size: u32 = UserPtr::new(arg, 4).read()?;
    let extra = match abi::check_user_size(size, known) {
        Ok(abi::UserSize::Exact) => 0,
        Ok(abi::UserSize::Larger { extra }) => extra,
        Err(abi::SizeError::TooSmall) => return Err(EINVAL),
        Err(abi::SizeError::TooBig) => return Err(E2BIG),
    };
    let user = UserPtr::new(arg, known + extra);
    let v: T = user.read()?;
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

pub(crate) fn dispatch(board: &Board, cmd: u32, arg: usize, writable: bool) -> Result {
    board.count(Iface::Ioctl);
    if matches!(cmd, abi::IOC_SET_VALUES | abi::IOC_TOGGLE) && !writable {
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
            let mask = v.mask;
            board.with_state(|st| {
                for (i, out) in v.values.iter_mut().enumerate() {
                    *out = if mask & (1u64 << i) != 0 {
                        st.line(i).value
                    } else {
                        0
                    };
                }
                v.seq = st.seq();
            })?;
            user.write_prefix(&v)
        }
        abi::IOC_SET_VALUES => {
            let (mut v, user) = read_struct::<abi::IocValues>(arg, abi::IOC_VALUES_SIZE_V1)?;
            v.check_input(n).map_err(|_| EINVAL)?;
            let mut ops: KVec<Op> = KVec::new();
            for (i, val) in v.values.iter().enumerate() {
                if v.mask & (1u64 << i) != 0 {
                    ops.push(Op::Set(i, *val), GFP_KERNEL)?;
                }
            }
            v.seq = board.apply(&ops, abi::SOURCE_IOCTL)?;
            user.write_prefix(&v)
        }
        abi::IOC_TOGGLE => {
            let (v, _) = read_struct::<abi::IocToggle>(arg, abi::IOC_TOGGLE_SIZE_V1)?;
            v.check_input(n).map_err(|_| EINVAL)?;
            let mut ops: KVec<Op> = KVec::new();
            for i in 0..n as usize {
                if v.mask & (1u64 << i) != 0 {
                    ops.push(Op::Toggle(i), GFP_KERNEL)?;
                }
            }
            board.apply(&ops, abi::SOURCE_IOCTL).map(|_| ())
        }
        _ => Err(ENOTTY),
    }
}

fn copy_name(dst: &mut [u8; abi::NAME_LEN], src: &[u8]) {
    for (d, s) in dst.iter_mut().zip(src.iter().take(abi::NAME_LEN - 1)) {
        *d = *s;
    }
}
