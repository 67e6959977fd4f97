//! Malformed ioctls on `/dev/kbridge`: each must fail with the documented errno and change
//! nothing (the global sequence number and every value stay the same).

use std::fs::File;

use kbridge_abi as abi;
use nix::errno::Errno;

use crate::raw::{self, Bytes, Straddle};
use crate::report::Report;

/// Global sequence number and all values, through the well-formed GET_VALUES.
pub(crate) fn snapshot(f: &File, n: u32) -> Result<(u64, Vec<u32>), String> {
    let mut v = abi::IocValues::request(abi::lines_mask(n)).to_vec();
    raw::ioctl_buf(f, abi::IOC_GET_VALUES, &mut v).map_err(|e| format!("GET_VALUES: {e}"))?;
    let word = |off: usize| -> u32 {
        v.get(off..off + 4)
            .and_then(|b| b.try_into().ok())
            .map_or(0, u32::from_ne_bytes)
    };
    let values_off = 16; // size, flags, mask
    let values = (0..n as usize).map(|i| word(values_off + 4 * i)).collect();
    let seq_off = values_off + 4 * abi::MAX_LINES;
    let seq = u64::from(word(seq_off)) | (u64::from(word(seq_off + 4)) << 32);
    Ok((seq, values))
}

/// Runs `call`, expects `want`, and checks that nothing changed.
fn expect(
    r: &mut Report,
    f: &File,
    n: u32,
    case: &str,
    want: Errno,
    call: impl FnOnce() -> Result<(), Errno>,
) {
    let before = match snapshot(f, n) {
        Ok(s) => s,
        Err(e) => return r.fail(case, e),
    };
    let got = call();
    let after = match snapshot(f, n) {
        Ok(s) => s,
        Err(e) => return r.fail(case, e),
    };
    if got != Err(want) {
        r.fail(case, format!("expected {want}, got {got:?}"));
    } else if before != after {
        r.fail(case, format!("state changed: {before:?} -> {after:?}"));
    } else {
        r.pass(case);
    }
}

/// Index of the first line of `kind`.
fn line_of(f: &File, n: u32, kind: u8) -> Option<u32> {
    (0..n).find(|&i| {
        let mut li = abi::IocLineInfo::request(i).to_vec();
        raw::ioctl_buf(f, abi::IOC_LINE_INFO, &mut li).is_ok()
            && li.get(8..12) == Some(&u32::from(kind).to_ne_bytes()[..])
    })
}

pub(crate) fn run(r: &mut Report) {
    let f = match raw::open(true) {
        Ok(f) => f,
        Err(e) => return r.fail("open", format!("{}: {e}", raw::DEV)),
    };
    let mut bi = abi::IocBoardInfo::request().to_vec();
    if let Err(e) = raw::ioctl_buf(&f, abi::IOC_BOARD_INFO, &mut bi) {
        return r.fail("board-info", e);
    }
    let n = bi
        .get(8..12)
        .and_then(|b| b.try_into().ok())
        .map_or(0, u32::from_ne_bytes);
    if n == 0 || n as usize > abi::MAX_LINES {
        return r.fail("board-info", format!("num_lines {n}"));
    }
    r.pass("board-info");
    let (Some(out), Some(input)) = (
        line_of(&f, n, abi::KIND_OUTPUT),
        line_of(&f, n, abi::KIND_INPUT),
    ) else {
        return r.fail("lines", "the board needs an output and an input line");
    };
    let set = |mask: u64, vals: &[(u32, u32)], edit: &dyn Fn(&mut abi::IocValues)| {
        let mut v = abi::IocValues::request(mask);
        for &(i, val) in vals {
            if let Some(slot) = v.values.get_mut(i as usize) {
                *slot = val;
            }
        }
        edit(&mut v);
        v.to_vec()
    };
    let cur = snapshot(&f, n).map(|(_, v)| v).unwrap_or_default();
    let cur_out = cur.get(out as usize).copied().unwrap_or(0);

    // Unknown commands.
    let unknown_nr =
        nix::request_code_readwrite!(abi::IOC_MAGIC, 0x1f, abi::IOC_VALUES_SIZE_V1) as u32;
    expect(r, &f, n, "unknown-nr-enotty", Errno::ENOTTY, || {
        raw::ioctl_buf(&f, unknown_nr, &mut set(1 << out, &[], &|_| {}))
    });
    let other_magic = nix::request_code_readwrite!(b'x', 0x03, abi::IOC_VALUES_SIZE_V1) as u32;
    expect(r, &f, n, "other-magic-enotty", Errno::ENOTTY, || {
        raw::ioctl_buf(
            &f,
            other_magic,
            &mut set(1 << out, &[(out, 1 - cur_out)], &|_| {}),
        )
    });

    // Sizes, copy_struct_from_user style.
    expect(r, &f, n, "size-small-einval", Errno::EINVAL, || {
        raw::ioctl_buf(
            &f,
            abi::IOC_SET_VALUES,
            &mut set(1 << out, &[(out, 1 - cur_out)], &|v| v.size = 8),
        )
    });
    expect(r, &f, n, "size-zero-einval", Errno::EINVAL, || {
        raw::ioctl_buf(
            &f,
            abi::IOC_BOARD_INFO,
            &mut {
                let mut b = abi::IocBoardInfo::request();
                b.size = 0;
                b
            }
            .to_vec(),
        )
    });
    let mut big = set(1 << out, &[(out, 1 - cur_out)], &|v| {
        v.size = abi::IOC_VALUES_SIZE_V1 as u32 + 64
    });
    big.resize(abi::IOC_VALUES_SIZE_V1 + 64, 0);
    if let Some(b) = big.last_mut() {
        *b = 1;
    }
    expect(
        r,
        &f,
        n,
        "size-larger-nonzero-tail-e2big",
        Errno::E2BIG,
        || raw::ioctl_buf(&f, abi::IOC_SET_VALUES, &mut big),
    );
    expect(r, &f, n, "size-over-max-e2big", Errno::E2BIG, || {
        let mut v = set(1 << out, &[(out, 1 - cur_out)], &|v| {
            v.size = abi::IOC_STRUCT_MAX_SIZE + 1
        });
        v.resize(abi::IOC_STRUCT_MAX_SIZE as usize + 8, 0);
        raw::ioctl_buf(&f, abi::IOC_SET_VALUES, &mut v)
    });
    // A larger struct with a zero tail is a newer caller: accepted.
    let mut newer = abi::IocBoardInfo::request().to_vec();
    newer.resize(abi::IOC_BOARD_INFO_SIZE_V1 + 32, 0);
    let newer_len = newer.len() as u32;
    if let Some(s) = newer.get_mut(0..4) {
        s.copy_from_slice(&newer_len.to_ne_bytes());
    }
    r.check(
        "size-larger-zero-tail-ok",
        raw::ioctl_buf(&f, abi::IOC_BOARD_INFO, &mut newer),
    );

    // Reserved fields, flags, masks.
    expect(r, &f, n, "set-flags-einval", Errno::EINVAL, || {
        raw::ioctl_buf(
            &f,
            abi::IOC_SET_VALUES,
            &mut set(1 << out, &[(out, 1 - cur_out)], &|v| v.flags = 1),
        )
    });
    expect(r, &f, n, "set-reserved-einval", Errno::EINVAL, || {
        raw::ioctl_buf(
            &f,
            abi::IOC_SET_VALUES,
            &mut set(1 << out, &[(out, 1 - cur_out)], &|v| v.reserved[3] = 7),
        )
    });
    expect(r, &f, n, "set-mask-zero-einval", Errno::EINVAL, || {
        raw::ioctl_buf(&f, abi::IOC_SET_VALUES, &mut set(0, &[], &|_| {}))
    });
    expect(
        r,
        &f,
        n,
        "set-mask-beyond-lines-einval",
        Errno::EINVAL,
        || {
            raw::ioctl_buf(
                &f,
                abi::IOC_SET_VALUES,
                &mut set((1 << out) | (1 << n), &[(out, 1 - cur_out)], &|_| {}),
            )
        },
    );
    expect(
        r,
        &f,
        n,
        "board-info-reserved-einval",
        Errno::EINVAL,
        || {
            raw::ioctl_buf(
                &f,
                abi::IOC_BOARD_INFO,
                &mut {
                    let mut b = abi::IocBoardInfo::request();
                    b.reserved[0] = 1;
                    b
                }
                .to_vec(),
            )
        },
    );
    expect(r, &f, n, "line-info-index-einval", Errno::EINVAL, || {
        raw::ioctl_buf(
            &f,
            abi::IOC_LINE_INFO,
            &mut abi::IocLineInfo::request(n).to_vec(),
        )
    });
    expect(r, &f, n, "toggle-reserved-einval", Errno::EINVAL, || {
        raw::ioctl_buf(
            &f,
            abi::IOC_TOGGLE,
            &mut {
                let mut t = abi::IocToggle::request(1 << out);
                t.reserved[0] = 1;
                t
            }
            .to_vec(),
        )
    });

    // Semantics: all or nothing.
    expect(r, &f, n, "set-input-einval", Errno::EINVAL, || {
        raw::ioctl_buf(
            &f,
            abi::IOC_SET_VALUES,
            &mut set(1 << input, &[(input, 1)], &|_| {}),
        )
    });
    expect(r, &f, n, "set-out-of-range-einval", Errno::EINVAL, || {
        raw::ioctl_buf(
            &f,
            abi::IOC_SET_VALUES,
            &mut set(1 << out, &[(out, 2)], &|_| {}),
        )
    });
    expect(
        r,
        &f,
        n,
        "set-valid-plus-invalid-einval",
        Errno::EINVAL,
        || {
            raw::ioctl_buf(
                &f,
                abi::IOC_SET_VALUES,
                &mut set(
                    (1 << out) | (1 << input),
                    &[(out, 1 - cur_out), (input, 1)],
                    &|_| {},
                ),
            )
        },
    );
    expect(r, &f, n, "toggle-input-einval", Errno::EINVAL, || {
        raw::ioctl_buf(
            &f,
            abi::IOC_TOGGLE,
            &mut abi::IocToggle::request((1 << out) | (1 << input)).to_vec(),
        )
    });
    expect(r, &f, n, "toggle-mask-zero-einval", Errno::EINVAL, || {
        raw::ioctl_buf(
            &f,
            abi::IOC_TOGGLE,
            &mut abi::IocToggle::request(0).to_vec(),
        )
    });

    // Bad pointers.
    expect(r, &f, n, "null-pointer-efault", Errno::EFAULT, || {
        raw::ioctl(&f, abi::IOC_SET_VALUES, 0)
    });
    expect(r, &f, n, "kernel-pointer-efault", Errno::EFAULT, || {
        raw::ioctl(&f, abi::IOC_SET_VALUES, 0xffff_8000_0000_0000)
    });
    match Straddle::new() {
        Err(e) => r.fail("straddle-setup", e),
        Ok(st) => {
            // `size` readable, the rest of the struct in an unmapped page.
            let req = set(1 << out, &[(out, 1 - cur_out)], &|_| {});
            let addr = st.place(&req, 16);
            expect(
                r,
                &f,
                n,
                "struct-straddles-unmapped-efault",
                Errno::EFAULT,
                || raw::ioctl(&f, abi::IOC_SET_VALUES, addr),
            );
            // Well-formed v1 struct, but `size` claims a tail that is unmapped.
            let mut longer = req.clone();
            if let Some(s) = longer.get_mut(0..4) {
                s.copy_from_slice(&(abi::IOC_VALUES_SIZE_V1 as u32 + 64).to_ne_bytes());
            }
            let addr = st.place(&longer, longer.len());
            expect(r, &f, n, "tail-unmapped-efault", Errno::EFAULT, || {
                raw::ioctl(&f, abi::IOC_SET_VALUES, addr)
            });
        }
    }

    // Writes through a read-only file.
    match raw::open(false) {
        Err(e) => r.fail("open-readonly", e),
        Ok(ro) => {
            expect(r, &f, n, "set-readonly-fd-ebadf", Errno::EBADF, || {
                raw::ioctl_buf(
                    &ro,
                    abi::IOC_SET_VALUES,
                    &mut set(1 << out, &[(out, 1 - cur_out)], &|_| {}),
                )
            });
            expect(r, &f, n, "toggle-readonly-fd-ebadf", Errno::EBADF, || {
                raw::ioctl_buf(
                    &ro,
                    abi::IOC_TOGGLE,
                    &mut abi::IocToggle::request(1 << out).to_vec(),
                )
            });
            // Reads are fine on a read-only file.
            r.check("get-readonly-fd-ok", snapshot(&ro, n).map(drop));
        }
    }

    // And the well-formed request does change state (so the checks above can fail).
    let before = snapshot(&f, n);
    let res = raw::ioctl_buf(
        &f,
        abi::IOC_SET_VALUES,
        &mut set(1 << out, &[(out, 1 - cur_out)], &|_| {}),
    );
    let after = snapshot(&f, n);
    match (before, res, after) {
        (Ok((s0, _)), Ok(()), Ok((s1, v1)))
            if s1 == s0 + 1 && v1.get(out as usize) == Some(&(1 - cur_out)) =>
        {
            r.pass("valid-set-changes-state");
        }
        other => r.fail("valid-set-changes-state", format!("{other:?}")),
    }
    // Put the line back.
    let _ = raw::ioctl_buf(
        &f,
        abi::IOC_SET_VALUES,
        &mut set(1 << out, &[(out, cur_out)], &|_| {}),
    );
    bits(r, &f, n, out, input);
}

/// `(bits, seq)` of a GET_BITS of `mask` through `f`.
fn get_bits(f: &File, mask: u64) -> Result<(u64, u64), Errno> {
    let mut b = abi::IocBits::request(mask, 0).to_vec();
    raw::ioctl_buf(f, abi::IOC_GET_BITS, &mut b)?;
    let word = |off: usize| -> u64 {
        b.get(off..off + 8)
            .and_then(|x| x.try_into().ok())
            .map_or(0, u64::from_ne_bytes)
    };
    Ok((word(16), word(24)))
}

/// GET_BITS / SET_BITS: the same state as GET_VALUES, the same checks as
/// SET_VALUES, and an on bit sets a line to its maximum.
fn bits(r: &mut Report, f: &File, n: u32, out: u32, input: u32) {
    let all = abi::lines_mask(n);
    let bits_of = |v: &[u32]| {
        v.iter()
            .enumerate()
            .filter(|(_, x)| **x != 0)
            .fold(0u64, |b, (i, _)| b | (1 << i))
    };
    // Every line (LEDs included: the locked path) and the GPIO output alone
    // (the lock-free path) agree with GET_VALUES.
    match (snapshot(f, n), get_bits(f, all), get_bits(f, 1 << out)) {
        (Ok((seq, v)), Ok((b, s)), Ok((bo, so)))
            if b == bits_of(&v) && s == seq && so == seq && bo == b & (1 << out) =>
        {
            r.pass("get-bits-matches-get-values")
        }
        other => r.fail("get-bits-matches-get-values", format!("{other:?}")),
    }
    let cur = snapshot(f, n).map(|(_, v)| v).unwrap_or_default();
    let cur_out = cur.get(out as usize).copied().unwrap_or(0);
    let flip = if cur_out == 0 { 1u64 << out } else { 0 };
    let req = |mask: u64, bits: u64, edit: &dyn Fn(&mut abi::IocBits)| {
        let mut b = abi::IocBits::request(mask, bits);
        edit(&mut b);
        b.to_vec()
    };
    expect(r, f, n, "set-bits-input-einval", Errno::EINVAL, || {
        raw::ioctl_buf(
            f,
            abi::IOC_SET_BITS,
            &mut req((1 << out) | (1 << input), flip, &|_| {}),
        )
    });
    expect(r, f, n, "set-bits-flags-einval", Errno::EINVAL, || {
        raw::ioctl_buf(
            f,
            abi::IOC_SET_BITS,
            &mut req(1 << out, flip, &|b| b.flags = 1),
        )
    });
    expect(r, f, n, "set-bits-mask-zero-einval", Errno::EINVAL, || {
        raw::ioctl_buf(f, abi::IOC_SET_BITS, &mut req(0, 0, &|_| {}))
    });
    expect(
        r,
        f,
        n,
        "get-bits-mask-beyond-lines-einval",
        Errno::EINVAL,
        || raw::ioctl_buf(f, abi::IOC_GET_BITS, &mut req(1 << n, 0, &|_| {})),
    );
    expect(r, f, n, "set-bits-size-small-einval", Errno::EINVAL, || {
        raw::ioctl_buf(
            f,
            abi::IOC_SET_BITS,
            &mut req(1 << out, flip, &|b| b.size = 16),
        )
    });
    let mut big = req(1 << out, flip, &|b| {
        b.size = abi::IOC_BITS_SIZE_V1 as u32 + 8
    });
    big.resize(abi::IOC_BITS_SIZE_V1 + 8, 0);
    if let Some(x) = big.last_mut() {
        *x = 1;
    }
    expect(
        r,
        f,
        n,
        "set-bits-larger-nonzero-tail-e2big",
        Errno::E2BIG,
        || raw::ioctl_buf(f, abi::IOC_SET_BITS, &mut big),
    );
    match raw::open(false) {
        Err(e) => r.fail("open-readonly", e),
        Ok(ro) => {
            expect(r, f, n, "set-bits-readonly-fd-ebadf", Errno::EBADF, || {
                raw::ioctl_buf(&ro, abi::IOC_SET_BITS, &mut req(1 << out, flip, &|_| {}))
            });
            r.check("get-bits-readonly-fd-ok", get_bits(&ro, all).map(drop));
        }
    }
    // A real change: the output flips, seq moves by one, GET_VALUES agrees.
    let mut b = req(1 << out, flip, &|_| {});
    let res = raw::ioctl_buf(f, abi::IOC_SET_BITS, &mut b);
    match (res, snapshot(f, n), get_bits(f, 1 << out)) {
        (Ok(()), Ok((seq, v)), Ok((got, s)))
            if v.get(out as usize) == Some(&(1 - cur_out)) && got == flip && s == seq =>
        {
            r.pass("set-bits-changes-state")
        }
        other => r.fail("set-bits-changes-state", format!("{other:?}")),
    }
    // An on bit sets an LED to its maximum brightness, off to 0.
    if let Some(led) = line_of(f, n, abi::KIND_LED) {
        let mut li = abi::IocLineInfo::request(led).to_vec();
        let max = raw::ioctl_buf(f, abi::IOC_LINE_INFO, &mut li)
            .ok()
            .and_then(|()| li.get(20..24)?.try_into().ok())
            .map_or(0, u32::from_ne_bytes);
        let on = raw::ioctl_buf(f, abi::IOC_SET_BITS, &mut req(1 << led, 1 << led, &|_| {}));
        let v_on = snapshot(f, n).map(|(_, v)| v.get(led as usize).copied());
        let off = raw::ioctl_buf(f, abi::IOC_SET_BITS, &mut req(1 << led, 0, &|_| {}));
        let v_off = snapshot(f, n).map(|(_, v)| v.get(led as usize).copied());
        match (on, v_on, off, v_off) {
            (Ok(()), Ok(Some(a)), Ok(()), Ok(Some(0))) if a == max && max > 0 => {
                r.pass("set-bits-led-max")
            }
            other => r.fail("set-bits-led-max", format!("max {max}: {other:?}")),
        }
    } else {
        r.skip("set-bits-led-max", "the board has no LED line");
    }
    let _ = raw::ioctl_buf(
        f,
        abi::IOC_SET_BITS,
        &mut req(1 << out, u64::from(cur_out) << out, &|_| {}),
    );
}
