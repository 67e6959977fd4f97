// SPDX-License-Identifier: GPL-2.0-only OR MIT

//! Netlink attribute decoding: `nl::attrs()`, the one walker the module and the library share,
//! over arbitrary bytes and into nests. It never panics, terminates, yields attributes that lie
//! within the buffer at 4-byte aligned offsets, in order and without overlap, and stops only
//! where the next header is malformed (as `nla_for_each_attr` does).

#![no_main]

use kbridge_abi::nl::{self, NLA_TYPE_MASK};
use libfuzzer_sys::fuzz_target;

/// Offset of `part` within `buf`, asserting it lies inside.
fn offset_in(buf: &[u8], part: &[u8]) -> usize {
    let start = part.as_ptr() as usize;
    let base = buf.as_ptr() as usize;
    assert!(
        start >= base && start + part.len() <= base + buf.len(),
        "attribute outside the buffer"
    );
    start - base
}

fn walk(buf: &[u8], depth: u32) {
    let mut next = 0usize;
    let mut count = 0usize;
    for a in nl::attrs(buf) {
        count += 1;
        // Each attribute takes 4 bytes or more, so the walk ends.
        assert!(
            count <= buf.len() / 4,
            "more attributes than the buffer holds"
        );
        let off = offset_in(buf, a.raw);
        assert_eq!(off, next, "attribute not where the previous one ends");
        assert_eq!(off % 4, 0);
        let len = usize::from(u16::from_ne_bytes([a.raw[0], a.raw[1]]));
        let ty = u16::from_ne_bytes([a.raw[2], a.raw[3]]);
        assert_eq!(a.raw.len(), len);
        assert!(len >= 4);
        assert_eq!(a.ty, ty & NLA_TYPE_MASK);
        assert_eq!(offset_in(buf, a.data), off + 4);
        assert_eq!(a.data.len(), len - 4);
        // The typed readers.
        assert_eq!(a.u32().is_some(), a.data.len() >= 4);
        assert_eq!(a.u64().is_some(), a.data.len() >= 8);
        let s = a.str();
        assert!(a.data.starts_with(s) && !s.contains(&0));
        assert!(s.len() == a.data.len() || a.data[s.len()] == 0);
        if depth < 4 {
            walk(a.data, depth + 1);
        }
        next = (off + len + 3) & !3;
    }
    // It stopped at the end or at a malformed header.
    let rest = buf.get(next..).unwrap_or(&[]);
    if let [l0, l1, _, _, ..] = rest {
        let len = usize::from(u16::from_ne_bytes([*l0, *l1]));
        assert!(
            len < 4 || len > rest.len(),
            "stopped before a well-formed attribute at {next}"
        );
    }
}

fuzz_target!(|data: &[u8]| {
    walk(data, 0);
});
