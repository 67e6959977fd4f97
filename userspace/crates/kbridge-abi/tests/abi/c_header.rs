//! kmod/uapi/kbridge.h, the C view of the ABI, and kmod/uapi/kbridge-bpf.h, its part a BPF
//! program can include (the eBPF maps and the event record), are generated from abi.rs by
//! these tests and committed; they fail when a committed file differs from what abi.rs gives
//! now.
//! Regenerate with `KBRIDGE_BLESS=1 cargo test -p kbridge-abi --test abi c_header`.
//!
//! The C structs are written out here field by field, but every offset and size in them is
//! asserted in the header itself (`_Static_assert`, with the values Rust computes with
//! `offset_of!`/`size_of`), and every field named here must exist in the Rust struct
//! (`offset_of!` would not compile otherwise). So a C compiler that includes the header
//! checks that the C layout is the Rust one; the C examples (examples/c) are built that way
//! in `make test`.

use std::fmt::Write as _;
use std::mem::{offset_of, size_of};
use std::path::Path;

use kbridge_abi as abi;

/// One C struct: its name, the Rust struct's size, and (C type, field, array suffix,
/// offset) per field.
struct CStruct {
    name: &'static str,
    doc: &'static str,
    size: usize,
    fields: Vec<(&'static str, &'static str, &'static str, usize)>,
}

macro_rules! cstruct {
    ($name:literal, $doc:literal, $t:ty, [$(($cty:literal, $f:ident $(, $arr:literal)?)),* $(,)?]) => {
        CStruct {
            name: $name,
            doc: $doc,
            size: size_of::<$t>(),
            fields: vec![$(($cty, stringify!($f), concat!("" $(, $arr)?), offset_of!($t, $f))),*],
        }
    };
}

/// The structs of kbridge-bpf.h: what a BPF program reads and writes.
fn bpf_structs() -> Vec<CStruct> {
    vec![
        cstruct!("kbridge_event",
            "One change, as read() from /dev/kbridge returns it and as the BPF program\n * writes it to the kbridge_events ring buffer (32 bytes).",
            abi::EventRecord, [
            ("__u64", seq), ("__u64", timestamp_ns), ("__u16", line), ("__u8", source),
            ("__u8", kind), ("__u32", old_value), ("__u32", new_value), ("__u32", dropped),
        ]),
        cstruct!("kbridge_bpf_line",
            "Value of the kbridge_lines array map (key: line index, __u32): one line's state.\n * `seq` is the change's when the program wrote it, the snapshot's when seeded;\n * `flags` holds KBRIDGE_BPF_LINE_*.",
            abi::BpfLine, [
            ("__u64", seq), ("__u64", timestamp_ns), ("__u64", changes), ("__u32", value),
            ("__u8", source), ("__u8", kind), ("__u8", flags), ("__u8", reserved),
        ]),
        cstruct!("kbridge_bpf_stats", "Value of kbridge_stats[0]: the program's counters.",
            abi::BpfStats, [
            ("__u64", events), ("__u64", ringbuf_dropped), ("__u64", bad_line),
        ]),
    ]
}

/// Writes the C definitions of `structs` to `s` and their layout asserts to `asserts`,
/// with `offsetof` spelled as given (`__builtin_offsetof` where no stddef.h is included).
fn render_structs(structs: Vec<CStruct>, offsetof: &str, s: &mut String, asserts: &mut String) {
    for c in structs {
        writeln!(s, "\n/* {} */\nstruct {} {{", c.doc, c.name).unwrap();
        for (ty, f, arr, off) in &c.fields {
            writeln!(s, "\t{ty} {f}{arr};").unwrap();
            writeln!(
                asserts,
                "_Static_assert({offsetof}(struct {}, {f}) == {off}, \"kbridge ABI: {}.{f}\");",
                c.name, c.name
            )
            .unwrap();
        }
        writeln!(s, "}};").unwrap();
        writeln!(
            asserts,
            "_Static_assert(sizeof(struct {}) == {}, \"kbridge ABI: sizeof {}\");",
            c.name, c.size, c.name
        )
        .unwrap();
    }
}

/// kmod/uapi/kbridge-bpf.h: the BPF maps' names, values and ring record. Self-contained
/// (only __u8..__u64 and kbridge-nl-uapi.h), so the BPF program, which includes no system
/// header, can include it.
fn render_bpf() -> String {
    let mut h = String::new();
    for (name, value, doc) in [
        (
            "KBRIDGE_BPF_MAP_LINES",
            c_string(abi::BPF_MAP_LINES),
            "The maps' names in the BPF object and the kernel.",
        ),
        ("KBRIDGE_BPF_MAP_EVENTS", c_string(abi::BPF_MAP_EVENTS), ""),
        ("KBRIDGE_BPF_MAP_STATS", c_string(abi::BPF_MAP_STATS), ""),
        (
            "KBRIDGE_BPF_PIN_LINES",
            c_string(abi::BPF_PIN_LINES),
            "The files they (and the program's link) are pinned as, under KBRIDGE_BPF_PIN_DIR.",
        ),
        ("KBRIDGE_BPF_PIN_EVENTS", c_string(abi::BPF_PIN_EVENTS), ""),
        ("KBRIDGE_BPF_PIN_STATS", c_string(abi::BPF_PIN_STATS), ""),
        ("KBRIDGE_BPF_PIN_LINK", c_string(abi::BPF_PIN_LINK), ""),
        (
            "KBRIDGE_BPF_RINGBUF_BYTES",
            abi::BPF_RINGBUF_BYTES.to_string(),
            "Size of the kbridge_events ring buffer.",
        ),
        (
            "KBRIDGE_BPF_LINE_VALID",
            format!("{:#x}", abi::BPF_LINE_VALID),
            "kbridge_bpf_line.flags: the entry holds a real state (seeded or written).",
        ),
        (
            "KBRIDGE_BPF_LINE_SEEDED",
            format!("{:#x}", abi::BPF_LINE_SEEDED),
            "kbridge_bpf_line.flags: last written by the seeding, not by a change.",
        ),
    ] {
        if !doc.is_empty() {
            writeln!(h, "/* {doc} */").unwrap();
        }
        writeln!(h, "#define {name} {value}").unwrap();
    }
    let mut s = String::new();
    let mut asserts = String::new();
    writeln!(
        asserts,
        "_Static_assert(sizeof(__u32) == {}, \"kbridge ABI: BPF map key\");",
        abi::BPF_KEY_SIZE
    )
    .unwrap();
    render_structs(bpf_structs(), "__builtin_offsetof", &mut s, &mut asserts);
    format!(
        "/* SPDX-License-Identifier: (GPL-2.0-only WITH Linux-syscall-note) OR MIT */
/*
 * kbridge user ABI for C and BPF: the event record and the eBPF maps that
 * `kbridge bpf attach` pins (docs/bpf.md). Self-contained: it needs __u8 to
 * __u64 defined (by <linux/types.h>, or by a BPF program's own typedefs) and
 * includes only kbridge-nl-uapi.h, so the BPF program
 * (userspace/crates/kbridge/bpf/kbridge.bpf.c) includes it as it is.
 * kbridge.h includes it.
 *
 * GENERATED from userspace/crates/kbridge-abi/src/abi.rs by the kbridge-abi
 * test c_header: do not edit. Regenerate with
 *   KBRIDGE_BLESS=1 cargo test -p kbridge-abi --test abi c_header
 */
#ifndef _UAPI_LINUX_KBRIDGE_BPF_H
#define _UAPI_LINUX_KBRIDGE_BPF_H

#include \"kbridge-nl-uapi.h\"

{h}{s}
/* The layout above is the Rust one: checked by every C compiler that includes this. */
{asserts}
#endif /* _UAPI_LINUX_KBRIDGE_BPF_H */
"
    )
}

fn structs() -> Vec<CStruct> {
    vec![
        cstruct!("kbridge_board_info", "KBRIDGE_IOC_BOARD_INFO: in `size`, out the rest.",
            abi::IocBoardInfo, [
            ("__u32", size), ("__u32", abi_version), ("__u32", num_lines), ("__u32", flags),
            ("__u64", seq), ("__u8", name, "[KBRIDGE_NAME_LEN]"), ("__u32", reserved, "[8]"),
        ]),
        cstruct!("kbridge_line_info", "KBRIDGE_IOC_LINE_INFO: in `size` and `index`, out the rest.",
            abi::IocLineInfo, [
            ("__u32", size), ("__u32", index), ("__u32", kind), ("__u32", flags), ("__u32", value),
            ("__u32", max_value), ("__u32", last_source), ("__u32", reserved0), ("__u64", changes),
            ("__u64", last_change_ns), ("__u8", name, "[KBRIDGE_NAME_LEN]"),
            ("__u32", reserved, "[8]"),
        ]),
        cstruct!("kbridge_values",
            "KBRIDGE_IOC_GET_VALUES / KBRIDGE_IOC_SET_VALUES: the lines in `mask` (bit i = line i),\n * atomically; `seq` out.",
            abi::IocValues, [
            ("__u32", size), ("__u32", flags), ("__u64", mask),
            ("__u32", values, "[KBRIDGE_MAX_LINES]"), ("__u64", seq), ("__u32", reserved, "[4]"),
        ]),
        cstruct!("kbridge_toggle", "KBRIDGE_IOC_TOGGLE: toggles the lines in `mask` atomically.",
            abi::IocToggle, [
            ("__u32", size), ("__u32", flags), ("__u64", mask), ("__u32", reserved, "[4]"),
        ]),
        cstruct!("kbridge_bits",
            "KBRIDGE_IOC_GET_BITS / KBRIDGE_IOC_SET_BITS: the lines in `mask` as one bit each\n * (on = non-zero; SET sets an on line to its max_value); `seq` out.",
            abi::IocBits, [
            ("__u32", size), ("__u32", flags), ("__u64", mask), ("__u64", bits), ("__u64", seq),
        ]),
        cstruct!("kbridge_shared_line", "One line in the shared page.", abi::SharedLine, [
            ("__u32", value), ("__u8", kind), ("__u8", flags), ("__u16", reserved),
            ("__u64", changes), ("__u64", last_change_ns),
        ]),
        cstruct!("kbridge_shared_state",
            "The page mmap() of /dev/kbridge gives (read-only, offset 0, one page). Read it\n * with the seqcount protocol: see kbridge_shared_read_value() below.",
            abi::SharedState, [
            ("__u32", magic), ("__u32", abi_version), ("__u32", header_size), ("__u32", num_lines),
            ("__u32", seqcount), ("__u32", reserved), ("__u64", seq), ("__u64", values_bitmap),
            ("struct kbridge_shared_line", lines, "[KBRIDGE_MAX_LINES]"),
        ]),
    ]
}

fn c_string(s: &str) -> String {
    format!("{s:?}")
}

fn render() -> String {
    let mut h = String::new();
    let mut def = |name: &str, value: String, doc: &str| {
        if !doc.is_empty() {
            writeln!(h, "/* {doc} */").unwrap();
        }
        writeln!(h, "#define {name} {value}").unwrap();
    };
    def("KBRIDGE_ABI_VERSION", abi::ABI_VERSION.to_string(), "");
    def(
        "KBRIDGE_NAME_LEN",
        abi::NAME_LEN.to_string(),
        "Name buffers, NUL included.",
    );
    def(
        "KBRIDGE_DEV_PATH",
        c_string(abi::DEV_PATH),
        "The character device (read, write, poll, ioctl, mmap).",
    );
    def(
        "KBRIDGE_PROC_PATH",
        c_string(abi::PROC_PATH),
        "The whole state as text.",
    );
    def(
        "KBRIDGE_SYSFS_LINES_DIR",
        c_string(abi::SYSFS_LINES_DIR),
        "One directory per line: value (poll it), max_value, kind, name, active_low.",
    );
    def(
        "KBRIDGE_GENL_MCGRP_EVENTS",
        c_string(abi::GENL_MCGRP_EVENTS),
        "The generic netlink family's event group.",
    );
    def(
        "KBRIDGE_BPF_PIN_DIR",
        c_string(abi::BPF_PIN_DIR),
        "Where `kbridge bpf attach` pins the BPF maps.",
    );
    def(
        "KBRIDGE_CHARDEV_MAX_WRITE",
        abi::CHARDEV_MAX_WRITE.to_string(),
        "Longest write() of text commands.",
    );
    let mut b = String::new();
    writeln!(b).unwrap();
    writeln!(
        b,
        "#define KBRIDGE_SHARED_MAGIC {:#x} /* \"KBRG\" */",
        abi::SHARED_MAGIC
    )
    .unwrap();
    writeln!(
        b,
        "#define KBRIDGE_SHARED_PAGE_SIZE {}",
        abi::SHARED_PAGE_SIZE
    )
    .unwrap();
    h.push_str(&b);

    let mut s = String::new();
    let mut asserts = String::new();
    // Numbers kbridge-nl-uapi.h (generated from the netlink spec) defines too.
    for (name, v) in [
        ("KBRIDGE_MAX_LINES", abi::MAX_LINES as u64),
        ("KBRIDGE_NAME_MAX_LEN", abi::NAME_MAX_LEN as u64),
        ("KBRIDGE_LINE_KIND_OUTPUT", abi::KIND_OUTPUT.into()),
        ("KBRIDGE_LINE_KIND_INPUT", abi::KIND_INPUT.into()),
        ("KBRIDGE_LINE_KIND_LED", abi::KIND_LED.into()),
        ("KBRIDGE_SOURCE_INIT", abi::SOURCE_INIT.into()),
        ("KBRIDGE_SOURCE_HARDWARE", abi::SOURCE_HARDWARE.into()),
        ("KBRIDGE_SOURCE_SYSFS", abi::SOURCE_SYSFS.into()),
        ("KBRIDGE_SOURCE_CHARDEV", abi::SOURCE_CHARDEV.into()),
        ("KBRIDGE_SOURCE_IOCTL", abi::SOURCE_IOCTL.into()),
        ("KBRIDGE_SOURCE_NETLINK", abi::SOURCE_NETLINK.into()),
        ("KBRIDGE_SOURCE_KERNEL", abi::SOURCE_KERNEL.into()),
        (
            "KBRIDGE_LINE_FLAGS_ACTIVE_LOW",
            abi::LINE_FLAG_ACTIVE_LOW.into(),
        ),
    ] {
        writeln!(
            asserts,
            "_Static_assert({name} == {v}, \"kbridge ABI: {name}\");"
        )
        .unwrap();
    }
    render_structs(structs(), "offsetof", &mut s, &mut asserts);

    let mut io = String::new();
    writeln!(
        io,
        "\n#define KBRIDGE_IOC_MAGIC '{}'",
        abi::IOC_MAGIC as char
    )
    .unwrap();
    for (name, dir, nr, st, value) in [
        (
            "KBRIDGE_IOC_BOARD_INFO",
            "_IOWR",
            abi::IOC_NR_BOARD_INFO,
            "kbridge_board_info",
            abi::IOC_BOARD_INFO,
        ),
        (
            "KBRIDGE_IOC_LINE_INFO",
            "_IOWR",
            abi::IOC_NR_LINE_INFO,
            "kbridge_line_info",
            abi::IOC_LINE_INFO,
        ),
        (
            "KBRIDGE_IOC_GET_VALUES",
            "_IOWR",
            abi::IOC_NR_GET_VALUES,
            "kbridge_values",
            abi::IOC_GET_VALUES,
        ),
        (
            "KBRIDGE_IOC_SET_VALUES",
            "_IOWR",
            abi::IOC_NR_SET_VALUES,
            "kbridge_values",
            abi::IOC_SET_VALUES,
        ),
        (
            "KBRIDGE_IOC_TOGGLE",
            "_IOW",
            abi::IOC_NR_TOGGLE,
            "kbridge_toggle",
            abi::IOC_TOGGLE,
        ),
        (
            "KBRIDGE_IOC_GET_BITS",
            "_IOWR",
            abi::IOC_NR_GET_BITS,
            "kbridge_bits",
            abi::IOC_GET_BITS,
        ),
        (
            "KBRIDGE_IOC_SET_BITS",
            "_IOWR",
            abi::IOC_NR_SET_BITS,
            "kbridge_bits",
            abi::IOC_SET_BITS,
        ),
    ] {
        writeln!(
            io,
            "#define {name} {dir}(KBRIDGE_IOC_MAGIC, {nr:#04x}, struct {st})"
        )
        .unwrap();
        writeln!(
            asserts,
            "_Static_assert({name} == {value:#010x}u, \"kbridge ABI: {name}\");"
        )
        .unwrap();
    }

    format!(
        "/* SPDX-License-Identifier: (GPL-2.0-only WITH Linux-syscall-note) OR MIT */
/*
 * kbridge user ABI for C: the character device's ioctls and shared page, and
 * the names of the other interfaces; the event record and the BPF maps are in
 * kbridge-bpf.h, included below. docs/interfaces.md
 * describes them; examples/c/ uses each.
 *
 * GENERATED from userspace/crates/kbridge-abi/src/abi.rs (the one definition
 * the module and user space compile) by the kbridge-abi test c_header: do
 * not edit. Regenerate with
 *   KBRIDGE_BLESS=1 cargo test -p kbridge-abi --test abi c_header
 * Line kinds, sources, flags, limits and the generic netlink numbers come
 * from kbridge-nl-uapi.h (generated from docs/netlink/kbridge.yaml).
 */
#ifndef _UAPI_LINUX_KBRIDGE_ABI_H
#define _UAPI_LINUX_KBRIDGE_ABI_H

#include <linux/ioctl.h>
#include <linux/types.h>
#include \"kbridge-nl-uapi.h\"
#include \"kbridge-bpf.h\"
#ifndef __KERNEL__
#include <stddef.h>
#endif

{h}{s}{io}
/*
 * The shared page's seqcount protocol: the kernel makes `seqcount` odd, updates
 * the fields, and makes it even again. A reader retries while it is odd or
 * while it changed during the read. Returns the value of line `i` (0 if `i` is
 * not a line).
 */
static inline __u32
kbridge_shared_read_value(const volatile struct kbridge_shared_state *s, unsigned int i)
{{
\t__u32 start, value;

\tif (i >= KBRIDGE_MAX_LINES)
\t\treturn 0;
\tdo {{
\t\tstart = __atomic_load_n(&s->seqcount, __ATOMIC_ACQUIRE);
\t\tif (start & 1)
\t\t\tcontinue;
\t\tvalue = s->lines[i].value;
\t\t__atomic_thread_fence(__ATOMIC_ACQUIRE);
\t}} while ((start & 1) || __atomic_load_n(&s->seqcount, __ATOMIC_RELAXED) != start);
\treturn value;
}}

/* The layout above is the Rust one: checked by every C compiler that includes this. */
{asserts}
#endif /* _UAPI_LINUX_KBRIDGE_ABI_H */
"
    )
}

/// Compares kmod/uapi/`file` with `want` (writes it first under KBRIDGE_BLESS).
fn check_generated(file: &str, want: &str) {
    // CARGO_MANIFEST_DIR at run time, as in kernel_build.rs.
    let manifest_dir =
        std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo test sets CARGO_MANIFEST_DIR");
    let path = Path::new(&manifest_dir)
        .join("../../../kmod/uapi")
        .join(file);
    if std::env::var_os("KBRIDGE_BLESS").is_some() {
        std::fs::write(&path, want).unwrap();
    }
    let have = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        have == want,
        "{} is not what abi.rs gives: regenerate it with \
         KBRIDGE_BLESS=1 cargo test -p kbridge-abi --test abi c_header",
        path.display()
    );
}

#[test]
fn c_header() {
    check_generated("kbridge.h", &render());
}

#[test]
fn c_header_bpf() {
    check_generated("kbridge-bpf.h", &render_bpf());
}
