// SPDX-License-Identifier: GPL-2.0-only OR MIT

//! The kbridge user ABI: the one place where every byte user space and the kernel exchange is
//! defined.
//!
//! # Where this file is compiled
//!
//! 1. As the body of the `kbridge-abi` crate (`lib.rs` does `mod abi; pub use abi::*;`), for
//!    user space and for the host unit tests.
//! 2. Inside the kernel module, under the kernel's rustc flags (`-Dwarnings` with
//!    `CONFIG_WERROR`, `missing_docs`, `unreachable_pub`, clippy), with
//!
//!    ```text
//!    // The kernel uses only part of the ABI, and its items are `pub` for user space.
//!    #[allow(dead_code, unreachable_pub)]
//!    #[path = "../userspace/crates/kbridge-abi/src/abi.rs"]
//!    mod abi;
//!    ```
//!
//!    (Or `pub mod abi;` without the `allow`.) `tests/kernel_build.rs` compiles this file the
//!    same way with the kernel's rustc lint flags and `-D warnings`.
//!
//! # Rules for editing this file
//!
//! - No inner attributes (`#![...]`), no `crate::`/`super::` paths, nothing but `core`.
//! - Derives only from `core`: `Clone`, `Copy`, `Debug`, `PartialEq`, `Eq`.
//! - Every item is `pub` and documented; helpers that are not part of the ABI stay private
//!   and are used by a `pub` item.
//! - No panics: no indexing or slicing that can fail, checked arithmetic, no `unwrap`. This
//!   code runs in the kernel, where a panic is a `BUG()`.
//! - Structs crossing the boundary are `#[repr(C)]`, have no implicit padding (explicit
//!   `reserved` fields instead, which must be zero) and have their size pinned by a
//!   compile-time assert. Field order and sizes never change within an ABI version; new fields
//!   are only appended (ioctl structs are size-versioned, see [`check_user_size`]).
//! - Numbers are in the CPU's native byte order (little-endian on every supported target:
//!   arm64 and x86_64).
//!
//! # Interfaces at a glance
//!
//! | interface | path / name                                   | state access |
//! |-----------|-----------------------------------------------|--------------|
//! | procfs    | [`PROC_PATH`] (text, [`ProcBoard`] and friends)| read-only    |
//! | sysfs     | [`SYSFS_LINES_DIR`]`/<name>/`[`SYSFS_ATTR_VALUE`] ...| read/write |
//! | chardev   | [`DEV_PATH`]: `write()` text [`Command`]s, `read()` [`EventRecord`]s, `poll()` | read events / write |
//! | ioctl     | [`DEV_PATH`]: [`IOC_BOARD_INFO`] ...          | read/write   |
//! | mmap      | [`DEV_PATH`]: one read-only page, [`SharedState`] | read-only |
//! | netlink   | generic netlink family [`GENL_FAMILY_NAME`], numbers in [`nl`] | read/write |
//! | bpf       | maps pinned under [`BPF_PIN_DIR`]              | read-only    |
//!
//! Only sysfs, chardev, ioctl and netlink change state; procfs, mmap and bpf never do.

// ---------------------------------------------------------------------------------------------
// Version and limits
// ---------------------------------------------------------------------------------------------

/// Version of this ABI. Bumped only for incompatible changes; appending fields to
/// size-versioned ioctl structs or new records/keys in text formats does not bump it.
pub const ABI_VERSION: u32 = 1;

/// Maximum number of lines a board can have. Line indices are `0..MAX_LINES`, so a line set
/// fits in a `u64` mask (bit `i` = line `i`).
pub const MAX_LINES: usize = 64;

/// Size in bytes of a NUL-padded name field (line names, board name).
pub const NAME_LEN: usize = 32;

/// Longest valid name in bytes: one byte of [`NAME_LEN`] is always a NUL terminator.
pub const NAME_MAX_LEN: usize = NAME_LEN - 1;

// ---------------------------------------------------------------------------------------------
// Names
// ---------------------------------------------------------------------------------------------

/// Why a byte string is not a valid line or board name.
///
/// Valid names are 1 to [`NAME_MAX_LEN`] bytes of `[a-z0-9_-]` starting with `[a-z]`. They are
/// unique per board, stable across boots (they come from the device tree) and are what every
/// interface except the binary ones uses to address a line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NameError {
    /// The name is empty.
    Empty,
    /// The name is longer than [`NAME_MAX_LEN`] bytes.
    TooLong,
    /// The first byte is not a lowercase ASCII letter.
    BadStart,
    /// A byte is outside `[a-z0-9_-]`.
    BadChar,
}

impl core::fmt::Display for NameError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            NameError::Empty => "name is empty",
            NameError::TooLong => "name is longer than 31 bytes",
            NameError::BadStart => "name must start with a lowercase letter",
            NameError::BadChar => "name may only contain a-z, 0-9, '_' and '-'",
        })
    }
}

/// Checks that `name` is a valid line or board name (see [`NameError`]) and returns it as
/// `&str`.
pub fn validate_name(name: &[u8]) -> Result<&str, NameError> {
    let Some(&first) = name.first() else {
        return Err(NameError::Empty);
    };
    if name.len() > NAME_MAX_LEN {
        return Err(NameError::TooLong);
    }
    if !first.is_ascii_lowercase() {
        return Err(NameError::BadStart);
    }
    if !name
        .iter()
        .all(|&b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
    {
        return Err(NameError::BadChar);
    }
    core::str::from_utf8(name).map_err(|_| NameError::BadChar)
}

/// Encodes a valid name into a NUL-padded [`NAME_LEN`] field.
pub fn name_to_field(name: &str) -> Result<[u8; NAME_LEN], NameError> {
    let name = validate_name(name.as_bytes())?;
    let mut field = [0u8; NAME_LEN];
    for (dst, &src) in field.iter_mut().zip(name.as_bytes()) {
        *dst = src;
    }
    Ok(field)
}

/// Decodes a NUL-padded [`NAME_LEN`] field: the bytes before the first NUL must be a valid
/// name and every byte after it must be NUL.
pub fn name_from_field(field: &[u8; NAME_LEN]) -> Result<&str, NameError> {
    let len = field.iter().position(|&b| b == 0).unwrap_or(NAME_LEN);
    let (name, padding) = field.split_at(len.min(NAME_LEN));
    if padding.iter().any(|&b| b != 0) {
        return Err(NameError::BadChar);
    }
    validate_name(name)
}

// ---------------------------------------------------------------------------------------------
// Line kinds, change sources, line flags
// ---------------------------------------------------------------------------------------------

/// Line kind: a GPIO output the board drives. Values `0..=1`, writable.
pub const KIND_OUTPUT: u8 = 0;
/// Line kind: a GPIO input (edge interrupt). Values `0..=1`, read-only.
pub const KIND_INPUT: u8 = 1;
/// Line kind: an LED class device. Values `0..=max` (brightness; `max` = max_brightness),
/// writable.
pub const KIND_LED: u8 = 2;

/// Name of a line kind as used by every text interface (procfs, sysfs, CLI).
pub const fn kind_name(kind: u8) -> Option<&'static str> {
    match kind {
        KIND_OUTPUT => Some("output"),
        KIND_INPUT => Some("input"),
        KIND_LED => Some("led"),
        _ => None,
    }
}

/// Inverse of [`kind_name`].
pub fn kind_from_name(name: &str) -> Option<u8> {
    match name {
        "output" => Some(KIND_OUTPUT),
        "input" => Some(KIND_INPUT),
        "led" => Some(KIND_LED),
        _ => None,
    }
}

/// Whether lines of `kind` may be set by user space.
pub const fn kind_is_writable(kind: u8) -> bool {
    matches!(kind, KIND_OUTPUT | KIND_LED)
}

/// Change source: initial value at probe. Also the `last_source` of a line never changed.
pub const SOURCE_INIT: u8 = 0;
/// Change source: the hardware (edge interrupt on an input line).
pub const SOURCE_HARDWARE: u8 = 1;
/// Change source: a write to the sysfs `value` attribute.
pub const SOURCE_SYSFS: u8 = 2;
/// Change source: a text command written to [`DEV_PATH`].
pub const SOURCE_CHARDEV: u8 = 3;
/// Change source: [`IOC_SET_VALUES`] or [`IOC_TOGGLE`].
pub const SOURCE_IOCTL: u8 = 4;
/// Change source: a generic netlink command.
pub const SOURCE_NETLINK: u8 = 5;
/// Change source: something else in the kernel (e.g. an LED trigger or the LED class
/// `brightness` attribute changed the LED behind kbridge's back).
pub const SOURCE_KERNEL: u8 = 6;

/// Name of a change source as used by every text interface.
pub const fn source_name(source: u8) -> Option<&'static str> {
    match source {
        SOURCE_INIT => Some("init"),
        SOURCE_HARDWARE => Some("hardware"),
        SOURCE_SYSFS => Some("sysfs"),
        SOURCE_CHARDEV => Some("chardev"),
        SOURCE_IOCTL => Some("ioctl"),
        SOURCE_NETLINK => Some("netlink"),
        SOURCE_KERNEL => Some("kernel"),
        _ => None,
    }
}

/// Inverse of [`source_name`].
pub fn source_from_name(name: &str) -> Option<u8> {
    match name {
        "init" => Some(SOURCE_INIT),
        "hardware" => Some(SOURCE_HARDWARE),
        "sysfs" => Some(SOURCE_SYSFS),
        "chardev" => Some(SOURCE_CHARDEV),
        "ioctl" => Some(SOURCE_IOCTL),
        "netlink" => Some(SOURCE_NETLINK),
        "kernel" => Some(SOURCE_KERNEL),
        _ => None,
    }
}

/// Line flag: the line is active-low in hardware. Values everywhere are logical (1 = active);
/// the kernel does the inversion. Informational only.
pub const LINE_FLAG_ACTIVE_LOW: u32 = 1 << 0;
/// Every line flag this ABI version defines. Bits outside it are reserved (zero).
pub const LINE_FLAGS_KNOWN: u32 = LINE_FLAG_ACTIVE_LOW;

/// Text name of [`LINE_FLAG_ACTIVE_LOW`] in procfs.
pub const LINE_FLAG_ACTIVE_LOW_NAME: &str = "active-low";

/// The value a toggle produces: zero becomes `max_value`, anything else becomes zero
/// (outputs: 0 <-> 1, LEDs: off <-> full brightness).
pub const fn toggled_value(value: u32, max_value: u32) -> u32 {
    if value == 0 {
        max_value
    } else {
        0
    }
}

/// Why a value may not be set on a line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SetError {
    /// The line is an input (or of an unknown kind).
    NotWritable,
    /// The value is greater than the line's `max_value`.
    OutOfRange,
}

impl core::fmt::Display for SetError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            SetError::NotWritable => "line is not writable",
            SetError::OutOfRange => "value is greater than the line's maximum",
        })
    }
}

/// The rule every writing interface applies before changing a line (kernel: `EINVAL`).
pub const fn check_set(kind: u8, max_value: u32, value: u32) -> Result<(), SetError> {
    if !kind_is_writable(kind) {
        Err(SetError::NotWritable)
    } else if value > max_value {
        Err(SetError::OutOfRange)
    } else {
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// Paths and names of the interfaces
// ---------------------------------------------------------------------------------------------

/// Character device (misc device, dynamic minor): text writes, event reads, poll, ioctl, mmap.
pub const DEV_PATH: &str = "/dev/kbridge";
/// Name of the misc device (`/sys/class/misc/<name>`).
pub const MISC_NAME: &str = "kbridge";
/// procfs file (mode 0444), format: see [`ProcBoard`].
pub const PROC_PATH: &str = "/proc/kbridge";
/// Directory holding one directory per line, named after the line.
pub const SYSFS_LINES_DIR: &str = "/sys/class/misc/kbridge/device/lines";
/// sysfs attribute: logical value, `"<decimal>\n"`; mode 0664 (group `kbridge` may write,
/// through the udev rule). Writes take a decimal value with an optional trailing newline
/// ([`parse_sysfs_value`]); a write to an input line gives `EPERM`, a value above the maximum
/// or one that doesn't parse `EINVAL`.
pub const SYSFS_ATTR_VALUE: &str = "value";
/// sysfs attribute: `"<max_value>\n"`, read-only.
pub const SYSFS_ATTR_MAX_VALUE: &str = "max_value";
/// sysfs attribute: `"<kind name>\n"` ([`kind_name`]), read-only.
pub const SYSFS_ATTR_KIND: &str = "kind";
/// sysfs attribute: `"<line name>\n"`, read-only (same as the directory name).
pub const SYSFS_ATTR_NAME: &str = "name";
/// sysfs attribute: `"0\n"` or `"1\n"`, read-only.
pub const SYSFS_ATTR_ACTIVE_LOW: &str = "active_low";
/// Generic netlink family name.
pub const GENL_FAMILY_NAME: &str = "kbridge";
/// Generic netlink multicast group carrying change events.
pub const GENL_MCGRP_EVENTS: &str = "events";
/// The generic netlink family's numbers and attribute stream format, defined once for the
/// module and user space (`docs/netlink/kbridge.yaml` is the spec; `tests/host/netlink-spec.sh`
/// checks these against the C that the kernel's YNL generator makes from it).
pub mod nl {
    /// Family version.
    pub const VERSION: u8 = 1;
    /// `NLA_TYPE_MASK`: an attribute type without the nested/byte-order flags.
    pub const NLA_TYPE_MASK: u16 = 0x3fff;
    /// `NLA_F_NESTED`.
    pub const NLA_F_NESTED: u16 = 0x8000;

    /// Commands (`KBRIDGE_CMD_*`).
    pub mod cmd {
        /// Board information.
        pub const BOARD_GET: u8 = 1;
        /// One line (do) or every line (dump).
        pub const LINE_GET: u8 = 2;
        /// Set lines atomically.
        pub const LINE_SET: u8 = 3;
        /// Toggle one line.
        pub const LINE_TOGGLE: u8 = 4;
        /// A change event (multicast).
        pub const EVENT: u8 = 5;
    }

    /// Board attributes (`KBRIDGE_A_BOARD_*`).
    pub mod board {
        /// Padding for 64-bit attributes.
        pub const PAD: u16 = 1;
        /// Board label (string).
        pub const LABEL: u16 = 2;
        /// ABI version (u32).
        pub const ABI_VERSION: u16 = 3;
        /// Number of lines (u32).
        pub const LINE_COUNT: u16 = 4;
        /// Sequence number of the newest event (u64).
        pub const SEQ: u16 = 5;
    }

    /// Line attributes (`KBRIDGE_A_LINE_*`).
    pub mod line {
        /// Padding for 64-bit attributes.
        pub const PAD: u16 = 1;
        /// Line index (u32).
        pub const INDEX: u16 = 2;
        /// Line name (string).
        pub const NAME: u16 = 3;
        /// Kind (u8, `KIND_*`).
        pub const KIND: u16 = 4;
        /// Value (u32).
        pub const VALUE: u16 = 5;
        /// Maximum value (u32).
        pub const MAX_VALUE: u16 = 6;
        /// Flags (u32, `LINE_FLAG_*`).
        pub const FLAGS: u16 = 7;
        /// Changes since probe (u64).
        pub const CHANGES: u16 = 8;
        /// Source of the last change (u8, `SOURCE_*`).
        pub const LAST_SOURCE: u16 = 9;
        /// Time of the last change, ns (u64).
        pub const LAST_CHANGE_NS: u16 = 10;
    }

    /// Change request attributes (`KBRIDGE_A_CHANGE_*`).
    pub mod change {
        /// Padding for 64-bit attributes.
        pub const PAD: u16 = 1;
        /// One assignment (nest of a target and a value).
        pub const ASSIGN: u16 = 2;
        /// The line: index (u32) or name (string).
        pub const TARGET: u16 = 3;
        /// Sequence number after the change (u64, in the reply).
        pub const SEQ: u16 = 4;
    }

    /// Event attributes (`KBRIDGE_A_EVENT_*`).
    pub mod event {
        /// Padding for 64-bit attributes.
        pub const PAD: u16 = 1;
        /// Sequence number (u64).
        pub const SEQ: u16 = 2;
        /// Timestamp, ns (u64).
        pub const TIMESTAMP_NS: u16 = 3;
        /// Line index (u32).
        pub const LINE_INDEX: u16 = 4;
        /// Line name (string).
        pub const LINE_NAME: u16 = 5;
        /// Value before (u32).
        pub const OLD_VALUE: u16 = 6;
        /// Value after (u32).
        pub const NEW_VALUE: u16 = 7;
        /// Who made the change (u8, `SOURCE_*`).
        pub const SOURCE: u16 = 8;
        /// Kind of the line (u8).
        pub const KIND: u16 = 9;
    }

    /// One attribute of a netlink attribute stream.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct Attr<'a> {
        /// Type, flags stripped ([`NLA_TYPE_MASK`]).
        pub ty: u16,
        /// Header and payload (for error reports that point at the attribute).
        pub raw: &'a [u8],
        /// Payload.
        pub data: &'a [u8],
    }

    impl<'a> Attr<'a> {
        /// The payload as a native-endian u32, if it has 4 bytes or more.
        pub fn u32(&self) -> Option<u32> {
            Some(u32::from_ne_bytes(self.data.get(..4)?.try_into().ok()?))
        }

        /// The payload as a native-endian u64, if it has 8 bytes or more.
        pub fn u64(&self) -> Option<u64> {
            Some(u64::from_ne_bytes(self.data.get(..8)?.try_into().ok()?))
        }

        /// A string payload's bytes, up to its NUL (or the whole payload).
        pub fn str(&self) -> &'a [u8] {
            let end = self
                .data
                .iter()
                .position(|&b| b == 0)
                .unwrap_or(self.data.len());
            self.data.get(..end).unwrap_or(&[])
        }
    }

    /// The attributes of `buf`, a netlink attribute stream, in order. Stops at the first
    /// malformed header (length below 4 or past the end), as `nla_for_each_attr` does.
    pub fn attrs(buf: &[u8]) -> impl Iterator<Item = Attr<'_>> {
        let mut rest = buf;
        core::iter::from_fn(move || {
            let hdr: [u8; 4] = rest.get(..4)?.try_into().ok()?;
            let [l0, l1, t0, t1] = hdr;
            let len = usize::from(u16::from_ne_bytes([l0, l1]));
            let ty = u16::from_ne_bytes([t0, t1]) & NLA_TYPE_MASK;
            if len < 4 || len > rest.len() {
                return None;
            }
            let raw = rest.get(..len)?;
            let data = raw.get(4..)?;
            let aligned = len.checked_add(3).map_or(usize::MAX, |n| n & !3);
            rest = rest.get(aligned..).unwrap_or(&[]);
            Some(Attr { ty, raw, data })
        })
    }
}

/// bpffs directory where the module's BPF maps are pinned.
pub const BPF_PIN_DIR: &str = "/sys/fs/bpf/kbridge";

// ---------------------------------------------------------------------------------------------
// Byte helpers (private; no panics)
// ---------------------------------------------------------------------------------------------

fn put_bytes(buf: &mut [u8], offset: usize, bytes: &[u8]) {
    let Some(end) = offset.checked_add(bytes.len()) else {
        return;
    };
    if let Some(dst) = buf.get_mut(offset..end) {
        dst.copy_from_slice(bytes);
    }
}

fn get_array<const N: usize>(buf: &[u8], offset: usize) -> [u8; N] {
    offset
        .checked_add(N)
        .and_then(|end| buf.get(offset..end))
        .and_then(|s| <[u8; N]>::try_from(s).ok())
        .unwrap_or([0u8; N])
}

fn get_u8(buf: &[u8], offset: usize) -> u8 {
    buf.get(offset).copied().unwrap_or(0)
}

fn get_u16(buf: &[u8], offset: usize) -> u16 {
    u16::from_ne_bytes(get_array(buf, offset))
}

fn get_u32(buf: &[u8], offset: usize) -> u32 {
    u32::from_ne_bytes(get_array(buf, offset))
}

fn get_u64(buf: &[u8], offset: usize) -> u64 {
    u64::from_ne_bytes(get_array(buf, offset))
}

// ---------------------------------------------------------------------------------------------
// Event records: read() from DEV_PATH
// ---------------------------------------------------------------------------------------------

/// One change of one line, as returned by `read()` on [`DEV_PATH`].
///
/// Every open file of [`DEV_PATH`] is an independent reader with its own bounded queue that
/// receives every change made after `open()`. `read()` needs a buffer of at least
/// [`EVENT_SIZE`] bytes (else `EINVAL`) and returns as many whole records as fit; it blocks
/// until one is available unless the file is `O_NONBLOCK` (then `EAGAIN`). `poll()` reports
/// `POLLIN` while records are queued. When the queue is full the oldest records are discarded
/// and counted in the `dropped` field of the next record delivered to that reader.
///
/// Only real changes (old value != new value) produce records.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EventRecord {
    /// Global sequence number of the change: 1 for the first change after probe, then +1 per
    /// change of any line (shared by all readers, so gaps mean another line changed or records
    /// were dropped).
    pub seq: u64,
    /// `CLOCK_MONOTONIC` time of the change, in nanoseconds.
    pub timestamp_ns: u64,
    /// Index of the line (`0..num_lines`).
    pub line: u16,
    /// Who made the change (`SOURCE_*`).
    pub source: u8,
    /// Kind of the line (`KIND_*`), so readers need no lookup to interpret values.
    pub kind: u8,
    /// Logical value before the change.
    pub old_value: u32,
    /// Logical value after the change.
    pub new_value: u32,
    /// Number of records this reader lost to queue overflow immediately before this one.
    pub dropped: u32,
}

/// Size of an [`EventRecord`] in bytes.
pub const EVENT_SIZE: usize = 32;
const _: () = assert!(core::mem::size_of::<EventRecord>() == EVENT_SIZE);

const EV_SEQ: usize = core::mem::offset_of!(EventRecord, seq);
const EV_TIMESTAMP: usize = core::mem::offset_of!(EventRecord, timestamp_ns);
const EV_LINE: usize = core::mem::offset_of!(EventRecord, line);
const EV_SOURCE: usize = core::mem::offset_of!(EventRecord, source);
const EV_KIND: usize = core::mem::offset_of!(EventRecord, kind);
const EV_OLD: usize = core::mem::offset_of!(EventRecord, old_value);
const EV_NEW: usize = core::mem::offset_of!(EventRecord, new_value);
const EV_DROPPED: usize = core::mem::offset_of!(EventRecord, dropped);

impl EventRecord {
    /// Encodes the record exactly as it is laid out in memory (no `unsafe`, no transmute).
    pub fn to_bytes(&self) -> [u8; EVENT_SIZE] {
        let mut b = [0u8; EVENT_SIZE];
        put_bytes(&mut b, EV_SEQ, &self.seq.to_ne_bytes());
        put_bytes(&mut b, EV_TIMESTAMP, &self.timestamp_ns.to_ne_bytes());
        put_bytes(&mut b, EV_LINE, &self.line.to_ne_bytes());
        put_bytes(&mut b, EV_SOURCE, &[self.source]);
        put_bytes(&mut b, EV_KIND, &[self.kind]);
        put_bytes(&mut b, EV_OLD, &self.old_value.to_ne_bytes());
        put_bytes(&mut b, EV_NEW, &self.new_value.to_ne_bytes());
        put_bytes(&mut b, EV_DROPPED, &self.dropped.to_ne_bytes());
        b
    }

    /// Decodes a record produced by [`EventRecord::to_bytes`] or by the kernel.
    pub fn from_bytes(b: &[u8; EVENT_SIZE]) -> Self {
        EventRecord {
            seq: get_u64(b, EV_SEQ),
            timestamp_ns: get_u64(b, EV_TIMESTAMP),
            line: get_u16(b, EV_LINE),
            source: get_u8(b, EV_SOURCE),
            kind: get_u8(b, EV_KIND),
            old_value: get_u32(b, EV_OLD),
            new_value: get_u32(b, EV_NEW),
            dropped: get_u32(b, EV_DROPPED),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// eBPF maps: what the BPF program (userspace/crates/kbridge/bpf/kbridge.bpf.c) keeps pinned
// under BPF_PIN_DIR. The program includes the C view of these (kmod/uapi/kbridge-bpf.h,
// generated from here); its ring buffer carries EventRecord.
// ---------------------------------------------------------------------------------------------

/// Name of the line map in the BPF object (`ARRAY[MAX_LINES]`, key: line index as `u32`,
/// value: [`BpfLine`]).
pub const BPF_MAP_LINES: &str = "kbridge_lines";
/// Name of the ring buffer in the BPF object (records: [`EventRecord`]).
pub const BPF_MAP_EVENTS: &str = "kbridge_events";
/// Name of the statistics map in the BPF object (`ARRAY[1]`, value: [`BpfStats`]).
pub const BPF_MAP_STATS: &str = "kbridge_stats";
/// File under [`BPF_PIN_DIR`] the line map is pinned as.
pub const BPF_PIN_LINES: &str = "lines";
/// File under [`BPF_PIN_DIR`] the ring buffer is pinned as.
pub const BPF_PIN_EVENTS: &str = "events";
/// File under [`BPF_PIN_DIR`] the statistics map is pinned as.
pub const BPF_PIN_STATS: &str = "stats";
/// File under [`BPF_PIN_DIR`] the program's link is pinned as.
pub const BPF_PIN_LINK: &str = "link";
/// Size of the array maps' key (the line index, or 0 for the statistics map).
pub const BPF_KEY_SIZE: usize = core::mem::size_of::<u32>();
/// Size of the ring buffer in bytes (a power of two, a multiple of the page size).
pub const BPF_RINGBUF_BYTES: u32 = 64 * 1024;

/// [`BpfLine::flags`]: the entry holds a real state (seeded or written by the program).
pub const BPF_LINE_VALID: u8 = 1 << 0;
/// [`BpfLine::flags`]: the entry was last written by the seeding, not by a change.
pub const BPF_LINE_SEEDED: u8 = 1 << 1;

/// One line's entry in the line map (`struct kbridge_bpf_line`), native endian.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BpfLine {
    /// Global sequence number the entry is current as of: the change's when the program wrote
    /// it, the snapshot's when user space seeded it.
    pub seq: u64,
    /// `CLOCK_MONOTONIC` nanoseconds of the line's latest change.
    pub timestamp_ns: u64,
    /// Changes of the line since the module's probe.
    pub changes: u64,
    /// Current logical value.
    pub value: u32,
    /// `SOURCE_*` of the latest change.
    pub source: u8,
    /// `KIND_*` of the line.
    pub kind: u8,
    /// [`BPF_LINE_VALID`], [`BPF_LINE_SEEDED`].
    pub flags: u8,
    /// Zero.
    pub reserved: u8,
}

/// Size of a [`BpfLine`] in bytes.
pub const BPF_LINE_SIZE: usize = 32;
const _: () = assert!(core::mem::size_of::<BpfLine>() == BPF_LINE_SIZE);

const BL_SEQ: usize = core::mem::offset_of!(BpfLine, seq);
const BL_TIMESTAMP: usize = core::mem::offset_of!(BpfLine, timestamp_ns);
const BL_CHANGES: usize = core::mem::offset_of!(BpfLine, changes);
const BL_VALUE: usize = core::mem::offset_of!(BpfLine, value);
const BL_SOURCE: usize = core::mem::offset_of!(BpfLine, source);
const BL_KIND: usize = core::mem::offset_of!(BpfLine, kind);
const BL_FLAGS: usize = core::mem::offset_of!(BpfLine, flags);
const BL_RESERVED: usize = core::mem::offset_of!(BpfLine, reserved);

impl BpfLine {
    /// Encodes the entry exactly as the map stores it.
    pub fn to_bytes(&self) -> [u8; BPF_LINE_SIZE] {
        let mut b = [0u8; BPF_LINE_SIZE];
        put_bytes(&mut b, BL_SEQ, &self.seq.to_ne_bytes());
        put_bytes(&mut b, BL_TIMESTAMP, &self.timestamp_ns.to_ne_bytes());
        put_bytes(&mut b, BL_CHANGES, &self.changes.to_ne_bytes());
        put_bytes(&mut b, BL_VALUE, &self.value.to_ne_bytes());
        put_bytes(&mut b, BL_SOURCE, &[self.source]);
        put_bytes(&mut b, BL_KIND, &[self.kind]);
        put_bytes(&mut b, BL_FLAGS, &[self.flags]);
        put_bytes(&mut b, BL_RESERVED, &[self.reserved]);
        b
    }

    /// Decodes the map's bytes.
    pub fn from_bytes(b: &[u8; BPF_LINE_SIZE]) -> Self {
        BpfLine {
            seq: get_u64(b, BL_SEQ),
            timestamp_ns: get_u64(b, BL_TIMESTAMP),
            changes: get_u64(b, BL_CHANGES),
            value: get_u32(b, BL_VALUE),
            source: get_u8(b, BL_SOURCE),
            kind: get_u8(b, BL_KIND),
            flags: get_u8(b, BL_FLAGS),
            reserved: get_u8(b, BL_RESERVED),
        }
    }
}

/// The program's counters, the statistics map's only value (`struct kbridge_bpf_stats`).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BpfStats {
    /// Tracepoint hits since attach.
    pub events: u64,
    /// Ring buffer records lost because the ring buffer was full.
    pub ringbuf_dropped: u64,
    /// Hits with a line index outside the map (never expected).
    pub bad_line: u64,
}

/// Size of a [`BpfStats`] in bytes.
pub const BPF_STATS_SIZE: usize = 24;
const _: () = assert!(core::mem::size_of::<BpfStats>() == BPF_STATS_SIZE);

const BS_EVENTS: usize = core::mem::offset_of!(BpfStats, events);
const BS_RINGBUF_DROPPED: usize = core::mem::offset_of!(BpfStats, ringbuf_dropped);
const BS_BAD_LINE: usize = core::mem::offset_of!(BpfStats, bad_line);

impl BpfStats {
    /// Encodes the counters exactly as the map stores them.
    pub fn to_bytes(&self) -> [u8; BPF_STATS_SIZE] {
        let mut b = [0u8; BPF_STATS_SIZE];
        put_bytes(&mut b, BS_EVENTS, &self.events.to_ne_bytes());
        put_bytes(
            &mut b,
            BS_RINGBUF_DROPPED,
            &self.ringbuf_dropped.to_ne_bytes(),
        );
        put_bytes(&mut b, BS_BAD_LINE, &self.bad_line.to_ne_bytes());
        b
    }

    /// Decodes the map's bytes.
    pub fn from_bytes(b: &[u8; BPF_STATS_SIZE]) -> Self {
        BpfStats {
            events: get_u64(b, BS_EVENTS),
            ringbuf_dropped: get_u64(b, BS_RINGBUF_DROPPED),
            bad_line: get_u64(b, BS_BAD_LINE),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// ioctl
// ---------------------------------------------------------------------------------------------

/// ioctl type ("magic") byte of kbridge: `'J'` (0x4A).
///
/// `'K'` would be the natural pick but belongs to `linux/kd.h`. `'J'` has no entry in
/// `Documentation/userspace-api/ioctl/ioctl-number.rst` and no `_IO*('J', ...)` user in the
/// Linux 6.12 tree; sequence numbers 0x00-0x1F are reserved for kbridge.
pub const IOC_MAGIC: u8 = b'J';

/// ioctl direction: no data.
pub const IOC_NONE: u32 = 0;
/// ioctl direction: user space writes, the kernel reads (`_IOW`).
pub const IOC_WRITE: u32 = 1;
/// ioctl direction: the kernel writes, user space reads (`_IOR`).
pub const IOC_READ: u32 = 2;

const IOC_NRSHIFT: u32 = 0;
const IOC_TYPESHIFT: u32 = 8;
const IOC_SIZESHIFT: u32 = 16;
const IOC_DIRSHIFT: u32 = 30;
const IOC_SIZEMASK: u32 = (1 << 14) - 1;
const IOC_DIRMASK: u32 = (1 << 2) - 1;

/// Encodes an ioctl number like the kernel's `_IOC()` (asm-generic layout: 2 direction bits,
/// 14 size bits, 8 type bits, 8 number bits). Valid on arm64, x86_64, riscv and every other
/// architecture using `asm-generic/ioctl.h`; not on alpha, mips, powerpc or sparc.
///
/// Out-of-range `dir`/`size` are masked, never a panic; the constants below assert their sizes
/// fit at compile time.
pub const fn ioc(dir: u32, ty: u8, nr: u8, size: usize) -> u32 {
    ((dir & IOC_DIRMASK) << IOC_DIRSHIFT)
        | (((size & IOC_SIZEMASK as usize) as u32) << IOC_SIZESHIFT)
        | ((ty as u32) << IOC_TYPESHIFT)
        | ((nr as u32) << IOC_NRSHIFT)
}

/// `_IO(ty, nr)`.
pub const fn io(ty: u8, nr: u8) -> u32 {
    ioc(IOC_NONE, ty, nr, 0)
}

/// `_IOR(ty, nr, size)`.
pub const fn ior(ty: u8, nr: u8, size: usize) -> u32 {
    ioc(IOC_READ, ty, nr, size)
}

/// `_IOW(ty, nr, size)`.
pub const fn iow(ty: u8, nr: u8, size: usize) -> u32 {
    ioc(IOC_WRITE, ty, nr, size)
}

/// `_IOWR(ty, nr, size)`.
pub const fn iowr(ty: u8, nr: u8, size: usize) -> u32 {
    ioc(IOC_READ | IOC_WRITE, ty, nr, size)
}

/// Largest `size` a caller may declare in an ioctl struct (larger: `E2BIG`). Bounds the
/// kernel's scan of a tail it does not know.
pub const IOC_STRUCT_MAX_SIZE: u32 = 4096;

/// Result of comparing a caller-declared struct `size` with the size a side knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UserSize {
    /// The caller's struct is exactly the known size.
    Exact,
    /// The caller's struct is newer (larger): the `extra` bytes after the known size must all
    /// be zero ([`all_zero`]), else `E2BIG`.
    Larger {
        /// Number of bytes after the known size.
        extra: usize,
    },
}

/// Why a caller-declared struct size is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SizeError {
    /// Smaller than the v1 size of the struct (`EINVAL`).
    TooSmall,
    /// Larger than [`IOC_STRUCT_MAX_SIZE`] (`E2BIG`).
    TooBig,
}

impl core::fmt::Display for SizeError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            SizeError::TooSmall => "struct size smaller than ABI v1",
            SizeError::TooBig => "struct size larger than 4096",
        })
    }
}

/// `copy_struct_from_user()`-style size check of the leading `size` field of every ioctl
/// struct. `known` is the size this side implements (the `*_SIZE_V1` constant in ABI v1).
///
/// The kernel never writes `size` back, and copies back only `min(size, known)` bytes.
pub const fn check_user_size(user_size: u32, known: usize) -> Result<UserSize, SizeError> {
    if user_size > IOC_STRUCT_MAX_SIZE {
        return Err(SizeError::TooBig);
    }
    let user = user_size as usize;
    if user < known {
        Err(SizeError::TooSmall)
    } else if user == known {
        Ok(UserSize::Exact)
    } else {
        Ok(UserSize::Larger {
            extra: user.saturating_sub(known),
        })
    }
}

/// Whether every byte is zero (reserved fields, unknown tails).
pub fn all_zero(bytes: &[u8]) -> bool {
    bytes.iter().all(|&b| b == 0)
}

fn all_zero_u32(words: &[u32]) -> bool {
    words.iter().all(|&w| w == 0)
}

/// Mask with one bit for each of the first `num_lines` lines.
pub const fn lines_mask(num_lines: u32) -> u64 {
    if num_lines >= 64 {
        u64::MAX
    } else {
        (1u64 << num_lines).wrapping_sub(1)
    }
}

/// Why the input fields of an ioctl struct are refused (the kernel returns `EINVAL` for all).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IocInputError {
    /// `flags` has a bit this ABI version does not define.
    Flags,
    /// A `reserved` field is not zero.
    Reserved,
    /// `mask` is zero or has a bit for a line that does not exist.
    Mask,
    /// `index` is not a line of this board.
    Index,
}

impl core::fmt::Display for IocInputError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            IocInputError::Flags => "unknown flags",
            IocInputError::Reserved => "reserved field not zero",
            IocInputError::Mask => "mask empty or names a line that does not exist",
            IocInputError::Index => "line index out of range",
        })
    }
}

fn check_mask(mask: u64, num_lines: u32) -> Result<(), IocInputError> {
    if mask == 0 || mask & !lines_mask(num_lines) != 0 {
        Err(IocInputError::Mask)
    } else {
        Ok(())
    }
}

/// `KBRIDGE_IOC_BOARD_INFO`: describes the board.
///
/// In: `size`. Out: everything else. `_IOWR` because the kernel reads `size`.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IocBoardInfo {
    /// Caller's `sizeof` of this struct (in), see [`check_user_size`].
    pub size: u32,
    /// The kernel's [`ABI_VERSION`] (out).
    pub abi_version: u32,
    /// Number of lines, `<= MAX_LINES` (out). Line indices are `0..num_lines`.
    pub num_lines: u32,
    /// Board flags (out); none are defined in ABI v1, always 0.
    pub flags: u32,
    /// Current global sequence number: `seq` of the latest change, 0 if none yet (out).
    pub seq: u64,
    /// Board name from the device tree (`model`/node name), NUL-padded (out).
    pub name: [u8; NAME_LEN],
    /// Reserved, zero.
    pub reserved: [u32; 8],
}

/// v1 size of [`IocBoardInfo`].
pub const IOC_BOARD_INFO_SIZE_V1: usize = 88;
const _: () = assert!(core::mem::size_of::<IocBoardInfo>() == IOC_BOARD_INFO_SIZE_V1);

impl IocBoardInfo {
    /// A request: `size` set, everything else zero.
    pub const fn request() -> Self {
        IocBoardInfo {
            size: IOC_BOARD_INFO_SIZE_V1 as u32,
            abi_version: 0,
            num_lines: 0,
            flags: 0,
            seq: 0,
            name: [0; NAME_LEN],
            reserved: [0; 8],
        }
    }
}

/// `KBRIDGE_IOC_LINE_INFO`: describes one line.
///
/// In: `size`, `index`. Out: everything else. `index >= num_lines` gives `EINVAL`.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IocLineInfo {
    /// Caller's `sizeof` of this struct (in).
    pub size: u32,
    /// Line index, `0..num_lines` (in).
    pub index: u32,
    /// Line kind, `KIND_*` (out).
    pub kind: u32,
    /// Line flags, `LINE_FLAG_*` (out).
    pub flags: u32,
    /// Current logical value (out).
    pub value: u32,
    /// Largest value the line takes: 1 for GPIOs, max_brightness for LEDs (out).
    pub max_value: u32,
    /// `SOURCE_*` of the latest change; [`SOURCE_INIT`] if never changed (out).
    pub last_source: u32,
    /// Reserved, zero (keeps `changes` 8-byte aligned).
    pub reserved0: u32,
    /// Number of changes of this line since probe (out).
    pub changes: u64,
    /// `CLOCK_MONOTONIC` time of the latest change in nanoseconds; the probe time if never
    /// changed (out).
    pub last_change_ns: u64,
    /// Line name, NUL-padded (out).
    pub name: [u8; NAME_LEN],
    /// Reserved, zero.
    pub reserved: [u32; 8],
}

/// v1 size of [`IocLineInfo`].
pub const IOC_LINE_INFO_SIZE_V1: usize = 112;
const _: () = assert!(core::mem::size_of::<IocLineInfo>() == IOC_LINE_INFO_SIZE_V1);

impl IocLineInfo {
    /// A request for line `index`: `size` and `index` set, everything else zero.
    pub const fn request(index: u32) -> Self {
        IocLineInfo {
            size: IOC_LINE_INFO_SIZE_V1 as u32,
            index,
            kind: 0,
            flags: 0,
            value: 0,
            max_value: 0,
            last_source: 0,
            reserved0: 0,
            changes: 0,
            last_change_ns: 0,
            name: [0; NAME_LEN],
            reserved: [0; 8],
        }
    }

    /// Kernel-side check of the input fields (the output fields are ignored on input).
    pub fn check_input(&self, num_lines: u32) -> Result<(), IocInputError> {
        if self.index >= num_lines {
            Err(IocInputError::Index)
        } else {
            Ok(())
        }
    }
}

/// `KBRIDGE_IOC_GET_VALUES` and `KBRIDGE_IOC_SET_VALUES`: several lines at once.
///
/// GET — in: `size`, `flags`, `mask`; out: `values` (lines not in `mask` read as 0), `seq`
/// (the global sequence number the values are consistent with).
///
/// SET — in: `size`, `flags`, `mask`, `values` (entries not in `mask` are ignored); out:
/// `seq` (global sequence number after the operation). Atomic, all or nothing: if any line in
/// `mask` is not writable or its value exceeds its `max_value` ([`check_set`]), nothing
/// changes and the result is `EINVAL`. Lines already at the requested value produce no event.
///
/// Both: `mask` must be non-zero and name existing lines only, `flags` and `reserved` zero,
/// else `EINVAL`.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IocValues {
    /// Caller's `sizeof` of this struct (in).
    pub size: u32,
    /// Flags (in); none defined in ABI v1, must be 0.
    pub flags: u32,
    /// Lines to read or write, bit `i` = line `i` (in).
    pub mask: u64,
    /// Logical values indexed by line (GET: out, SET: in).
    pub values: [u32; MAX_LINES],
    /// Global sequence number after the operation (out).
    pub seq: u64,
    /// Reserved, zero.
    pub reserved: [u32; 4],
}

/// v1 size of [`IocValues`].
pub const IOC_VALUES_SIZE_V1: usize = 296;
const _: () = assert!(core::mem::size_of::<IocValues>() == IOC_VALUES_SIZE_V1);

impl IocValues {
    /// A request for the lines in `mask`, all values zero.
    pub const fn request(mask: u64) -> Self {
        IocValues {
            size: IOC_VALUES_SIZE_V1 as u32,
            flags: 0,
            mask,
            values: [0; MAX_LINES],
            seq: 0,
            reserved: [0; 4],
        }
    }

    /// Kernel-side check of the input fields.
    pub fn check_input(&self, num_lines: u32) -> Result<(), IocInputError> {
        if self.flags != 0 {
            return Err(IocInputError::Flags);
        }
        if !all_zero_u32(&self.reserved) {
            return Err(IocInputError::Reserved);
        }
        check_mask(self.mask, num_lines)
    }
}

/// `KBRIDGE_IOC_TOGGLE`: toggles every line in `mask` atomically ([`toggled_value`]).
///
/// All or nothing: any input line in `mask` gives `EINVAL` and nothing changes. `mask`,
/// `flags` and `reserved` as for [`IocValues`].
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IocToggle {
    /// Caller's `sizeof` of this struct (in).
    pub size: u32,
    /// Flags (in); none defined in ABI v1, must be 0.
    pub flags: u32,
    /// Lines to toggle, bit `i` = line `i` (in).
    pub mask: u64,
    /// Reserved, zero.
    pub reserved: [u32; 4],
}

/// v1 size of [`IocToggle`].
pub const IOC_TOGGLE_SIZE_V1: usize = 32;
const _: () = assert!(core::mem::size_of::<IocToggle>() == IOC_TOGGLE_SIZE_V1);

impl IocToggle {
    /// A request to toggle the lines in `mask`.
    pub const fn request(mask: u64) -> Self {
        IocToggle {
            size: IOC_TOGGLE_SIZE_V1 as u32,
            flags: 0,
            mask,
            reserved: [0; 4],
        }
    }

    /// Kernel-side check of the input fields.
    pub fn check_input(&self, num_lines: u32) -> Result<(), IocInputError> {
        if self.flags != 0 {
            return Err(IocInputError::Flags);
        }
        if !all_zero_u32(&self.reserved) {
            return Err(IocInputError::Reserved);
        }
        check_mask(self.mask, num_lines)
    }
}

/// `KBRIDGE_IOC_GET_BITS` and `KBRIDGE_IOC_SET_BITS`: up to 64 lines as one bit each, the
/// compact form of [`IocValues`] (32 bytes each way instead of 296), like GPIO v2's
/// `GPIO_V2_LINE_GET_VALUES`/`SET_VALUES`.
///
/// Bit `i` of `bits` is line `i`: on means a non-zero value, exactly as
/// [`SharedState::values_bitmap`].
///
/// GET — in: `size`, `flags`, `mask`; out: `bits` (lines not in `mask` read as 0), `seq`.
///
/// SET — in: `size`, `flags`, `mask`, `bits` (bits not in `mask` are ignored); out: `seq`. A
/// line whose bit is on is set to its `max_value` (1 for a GPIO, full brightness for an LED),
/// off to 0. Atomic and all or nothing, with the rules of `IOC_SET_VALUES`: an input line in
/// `mask`, or an LED a trigger drives (`EBUSY`), changes nothing. Needs the file open for
/// writing, else `EBADF`.
///
/// Both: `mask` must be non-zero and name existing lines only, `flags` zero, else `EINVAL`;
/// `size` is checked like every other struct's.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IocBits {
    /// Caller's `sizeof` of this struct (in).
    pub size: u32,
    /// Flags (in); none defined, must be 0.
    pub flags: u32,
    /// Lines to read or write, bit `i` = line `i` (in).
    pub mask: u64,
    /// Values, bit `i` = line `i` on (GET: out, SET: in).
    pub bits: u64,
    /// Global sequence number after the operation (out).
    pub seq: u64,
}

/// v1 size of [`IocBits`].
pub const IOC_BITS_SIZE_V1: usize = 32;
const _: () = assert!(core::mem::size_of::<IocBits>() == IOC_BITS_SIZE_V1);

impl IocBits {
    /// A request for the lines in `mask` with `bits` (ignored by GET).
    pub const fn request(mask: u64, bits: u64) -> Self {
        IocBits {
            size: IOC_BITS_SIZE_V1 as u32,
            flags: 0,
            mask,
            bits,
            seq: 0,
        }
    }

    /// Kernel-side check of the input fields.
    pub fn check_input(&self, num_lines: u32) -> Result<(), IocInputError> {
        if self.flags != 0 {
            return Err(IocInputError::Flags);
        }
        check_mask(self.mask, num_lines)
    }
}

/// The value a line is set to by `KBRIDGE_IOC_SET_BITS`: its maximum when `on`, else 0.
pub const fn bit_value(on: bool, max_value: u32) -> u32 {
    if on {
        max_value
    } else {
        0
    }
}

/// Sequence number of [`IOC_BOARD_INFO`].
pub const IOC_NR_BOARD_INFO: u8 = 0x00;
/// Sequence number of [`IOC_LINE_INFO`].
pub const IOC_NR_LINE_INFO: u8 = 0x01;
/// Sequence number of [`IOC_GET_VALUES`].
pub const IOC_NR_GET_VALUES: u8 = 0x02;
/// Sequence number of [`IOC_SET_VALUES`].
pub const IOC_NR_SET_VALUES: u8 = 0x03;
/// Sequence number of [`IOC_TOGGLE`].
pub const IOC_NR_TOGGLE: u8 = 0x04;
/// Sequence number of [`IOC_GET_BITS`].
pub const IOC_NR_GET_BITS: u8 = 0x05;
/// Sequence number of [`IOC_SET_BITS`].
pub const IOC_NR_SET_BITS: u8 = 0x06;

/// `_IOWR('J', 0x00, struct IocBoardInfo)` = `0xC058_4A00`.
pub const IOC_BOARD_INFO: u32 = iowr(IOC_MAGIC, IOC_NR_BOARD_INFO, IOC_BOARD_INFO_SIZE_V1);
/// `_IOWR('J', 0x01, struct IocLineInfo)` = `0xC070_4A01`.
pub const IOC_LINE_INFO: u32 = iowr(IOC_MAGIC, IOC_NR_LINE_INFO, IOC_LINE_INFO_SIZE_V1);
/// `_IOWR('J', 0x02, struct IocValues)` = `0xC128_4A02`.
pub const IOC_GET_VALUES: u32 = iowr(IOC_MAGIC, IOC_NR_GET_VALUES, IOC_VALUES_SIZE_V1);
/// `_IOWR('J', 0x03, struct IocValues)` = `0xC128_4A03`. `_IOWR` (not `_IOW`) because `seq`
/// is written back. Needs the file open for writing, else `EBADF`.
pub const IOC_SET_VALUES: u32 = iowr(IOC_MAGIC, IOC_NR_SET_VALUES, IOC_VALUES_SIZE_V1);
/// `_IOW('J', 0x04, struct IocToggle)` = `0x4020_4A04`. Needs the file open for writing, else
/// `EBADF`.
pub const IOC_TOGGLE: u32 = iow(IOC_MAGIC, IOC_NR_TOGGLE, IOC_TOGGLE_SIZE_V1);
/// `_IOWR('J', 0x05, struct IocBits)` = `0xC020_4A05`.
pub const IOC_GET_BITS: u32 = iowr(IOC_MAGIC, IOC_NR_GET_BITS, IOC_BITS_SIZE_V1);
/// `_IOWR('J', 0x06, struct IocBits)` = `0xC020_4A06`. Needs the file open for writing, else
/// `EBADF`.
pub const IOC_SET_BITS: u32 = iowr(IOC_MAGIC, IOC_NR_SET_BITS, IOC_BITS_SIZE_V1);

const _: () = assert!(IOC_VALUES_SIZE_V1 <= IOC_SIZEMASK as usize);

// ---------------------------------------------------------------------------------------------
// mmap: the shared state page
// ---------------------------------------------------------------------------------------------

/// Size of the mapping: `mmap(NULL, SHARED_PAGE_SIZE, PROT_READ, MAP_SHARED, fd, 0)` on
/// [`DEV_PATH`]. Writable or executable mappings, other offsets and other lengths are refused
/// (`EINVAL`/`EPERM`). Bytes after [`SharedState`] read as zero.
pub const SHARED_PAGE_SIZE: usize = 4096;

/// [`SharedState::magic`]: `"KBRG"` read as a big-endian number.
pub const SHARED_MAGIC: u32 = 0x4B42_5247;

/// One line in the shared page.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SharedLine {
    /// Current logical value.
    pub value: u32,
    /// Line kind, `KIND_*`.
    pub kind: u8,
    /// Low 8 bits of the line flags (`LINE_FLAG_*`).
    pub flags: u8,
    /// Reserved, zero.
    pub reserved: u16,
    /// Number of changes since probe.
    pub changes: u64,
    /// `CLOCK_MONOTONIC` time of the latest change in nanoseconds (probe time if none).
    pub last_change_ns: u64,
}

/// Size of a [`SharedLine`] in bytes.
pub const SHARED_LINE_SIZE: usize = 24;
const _: () = assert!(core::mem::size_of::<SharedLine>() == SHARED_LINE_SIZE);

/// The state page user space maps read-only (names and `max_value` are static after probe and
/// come from [`IOC_LINE_INFO`]).
///
/// # Consistency protocol (a seqcount)
///
/// The kernel, for every change: increments `seqcount` (now odd), `smp_wmb()`, updates the
/// fields, `smp_wmb()`, increments `seqcount` (even again).
///
/// A reader: loads `seqcount` (acquire); if odd, retries; copies what it needs; issues an
/// acquire fence; loads `seqcount` again; if it differs, retries. The header fields `magic`
/// to `num_lines` never change after probe.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SharedState {
    /// [`SHARED_MAGIC`].
    pub magic: u32,
    /// [`ABI_VERSION`].
    pub abi_version: u32,
    /// Size of this struct as the kernel knows it (`SHARED_STATE_SIZE` in ABI v1).
    pub header_size: u32,
    /// Number of valid entries in `lines`.
    pub num_lines: u32,
    /// Odd while the kernel is updating the page.
    pub seqcount: u32,
    /// Reserved, zero.
    pub reserved: u32,
    /// Global sequence number of the latest change (0 if none).
    pub seq: u64,
    /// Bit `i` set iff line `i` has a non-zero value.
    pub values_bitmap: u64,
    /// Per-line state, indexed by line; entries `num_lines..` are zero.
    pub lines: [SharedLine; MAX_LINES],
}

/// Size of [`SharedState`] in bytes.
pub const SHARED_STATE_SIZE: usize = 1576;
const _: () = assert!(core::mem::size_of::<SharedState>() == SHARED_STATE_SIZE);
const _: () = assert!(SHARED_STATE_SIZE <= SHARED_PAGE_SIZE);

/// Byte offset of [`SharedState::magic`].
pub const SHARED_OFF_MAGIC: usize = core::mem::offset_of!(SharedState, magic);
/// Byte offset of [`SharedState::abi_version`].
pub const SHARED_OFF_ABI_VERSION: usize = core::mem::offset_of!(SharedState, abi_version);
/// Byte offset of [`SharedState::header_size`].
pub const SHARED_OFF_HEADER_SIZE: usize = core::mem::offset_of!(SharedState, header_size);
/// Byte offset of [`SharedState::num_lines`].
pub const SHARED_OFF_NUM_LINES: usize = core::mem::offset_of!(SharedState, num_lines);
/// Byte offset of [`SharedState::seqcount`].
pub const SHARED_OFF_SEQCOUNT: usize = core::mem::offset_of!(SharedState, seqcount);
/// Byte offset of [`SharedState::seq`].
pub const SHARED_OFF_SEQ: usize = core::mem::offset_of!(SharedState, seq);
/// Byte offset of [`SharedState::values_bitmap`].
pub const SHARED_OFF_VALUES_BITMAP: usize = core::mem::offset_of!(SharedState, values_bitmap);
/// Byte offset of [`SharedState::lines`].
pub const SHARED_OFF_LINES: usize = core::mem::offset_of!(SharedState, lines);

/// Byte offset of [`SharedLine::value`] within a line entry.
pub const SHARED_LINE_OFF_VALUE: usize = core::mem::offset_of!(SharedLine, value);
/// Byte offset of [`SharedLine::kind`] within a line entry.
pub const SHARED_LINE_OFF_KIND: usize = core::mem::offset_of!(SharedLine, kind);
/// Byte offset of [`SharedLine::flags`] within a line entry.
pub const SHARED_LINE_OFF_FLAGS: usize = core::mem::offset_of!(SharedLine, flags);
/// Byte offset of [`SharedLine::reserved`] within a line entry.
pub const SHARED_LINE_OFF_RESERVED: usize = core::mem::offset_of!(SharedLine, reserved);
/// Byte offset of [`SharedLine::changes`] within a line entry.
pub const SHARED_LINE_OFF_CHANGES: usize = core::mem::offset_of!(SharedLine, changes);
/// Byte offset of [`SharedLine::last_change_ns`] within a line entry.
pub const SHARED_LINE_OFF_LAST_CHANGE_NS: usize = core::mem::offset_of!(SharedLine, last_change_ns);

/// Byte offset of line `index` in the page, `None` if `index >= MAX_LINES`.
pub const fn shared_line_offset(index: usize) -> Option<usize> {
    if index >= MAX_LINES {
        return None;
    }
    match index.checked_mul(SHARED_LINE_SIZE) {
        Some(off) => off.checked_add(SHARED_OFF_LINES),
        None => None,
    }
}

/// Whether a `seqcount` value means the kernel is in the middle of an update.
pub const fn seqcount_is_writing(seqcount: u32) -> bool {
    seqcount & 1 != 0
}

impl SharedLine {
    /// An all-zero entry.
    pub const ZERO: SharedLine = SharedLine {
        value: 0,
        kind: 0,
        flags: 0,
        reserved: 0,
        changes: 0,
        last_change_ns: 0,
    };

    /// Decodes an entry from the first [`SHARED_LINE_SIZE`] bytes of `b` (missing bytes read
    /// as zero).
    pub fn from_bytes(b: &[u8]) -> Self {
        SharedLine {
            value: get_u32(b, SHARED_LINE_OFF_VALUE),
            kind: get_u8(b, SHARED_LINE_OFF_KIND),
            flags: get_u8(b, SHARED_LINE_OFF_FLAGS),
            reserved: get_u16(b, SHARED_LINE_OFF_RESERVED),
            changes: get_u64(b, SHARED_LINE_OFF_CHANGES),
            last_change_ns: get_u64(b, SHARED_LINE_OFF_LAST_CHANGE_NS),
        }
    }

    /// Encodes the entry into the first [`SHARED_LINE_SIZE`] bytes of `b` (as far as they
    /// exist).
    pub fn write_bytes(&self, b: &mut [u8]) {
        put_bytes(b, SHARED_LINE_OFF_VALUE, &self.value.to_ne_bytes());
        put_bytes(b, SHARED_LINE_OFF_KIND, &[self.kind]);
        put_bytes(b, SHARED_LINE_OFF_FLAGS, &[self.flags]);
        put_bytes(b, SHARED_LINE_OFF_RESERVED, &self.reserved.to_ne_bytes());
        put_bytes(b, SHARED_LINE_OFF_CHANGES, &self.changes.to_ne_bytes());
        put_bytes(
            b,
            SHARED_LINE_OFF_LAST_CHANGE_NS,
            &self.last_change_ns.to_ne_bytes(),
        );
    }
}

impl SharedState {
    /// Decodes a consistent snapshot (see the protocol above) of the page; missing bytes read
    /// as zero.
    pub fn from_bytes(b: &[u8]) -> Self {
        let mut lines = [SharedLine::ZERO; MAX_LINES];
        for (i, line) in lines.iter_mut().enumerate() {
            if let Some(off) = shared_line_offset(i) {
                *line = SharedLine::from_bytes(b.get(off..).unwrap_or(&[]));
            }
        }
        SharedState {
            magic: get_u32(b, SHARED_OFF_MAGIC),
            abi_version: get_u32(b, SHARED_OFF_ABI_VERSION),
            header_size: get_u32(b, SHARED_OFF_HEADER_SIZE),
            num_lines: get_u32(b, SHARED_OFF_NUM_LINES),
            seqcount: get_u32(b, SHARED_OFF_SEQCOUNT),
            reserved: get_u32(b, core::mem::offset_of!(SharedState, reserved)),
            seq: get_u64(b, SHARED_OFF_SEQ),
            values_bitmap: get_u64(b, SHARED_OFF_VALUES_BITMAP),
            lines,
        }
    }

    /// Encodes the state into the first [`SHARED_STATE_SIZE`] bytes of `b` (as far as they
    /// exist).
    pub fn write_bytes(&self, b: &mut [u8]) {
        put_bytes(b, SHARED_OFF_MAGIC, &self.magic.to_ne_bytes());
        put_bytes(b, SHARED_OFF_ABI_VERSION, &self.abi_version.to_ne_bytes());
        put_bytes(b, SHARED_OFF_HEADER_SIZE, &self.header_size.to_ne_bytes());
        put_bytes(b, SHARED_OFF_NUM_LINES, &self.num_lines.to_ne_bytes());
        put_bytes(b, SHARED_OFF_SEQCOUNT, &self.seqcount.to_ne_bytes());
        put_bytes(
            b,
            core::mem::offset_of!(SharedState, reserved),
            &self.reserved.to_ne_bytes(),
        );
        put_bytes(b, SHARED_OFF_SEQ, &self.seq.to_ne_bytes());
        put_bytes(
            b,
            SHARED_OFF_VALUES_BITMAP,
            &self.values_bitmap.to_ne_bytes(),
        );
        for (i, line) in self.lines.iter().enumerate() {
            if let Some(dst) = shared_line_offset(i).and_then(|off| b.get_mut(off..)) {
                line.write_bytes(dst);
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Text values (sysfs, chardev)
// ---------------------------------------------------------------------------------------------

/// Why a text value is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ValueError {
    /// No digits.
    Empty,
    /// Not a plain decimal number: sign, `0x`, leading zero, whitespace or other bytes.
    NotDecimal,
    /// Greater than `u32::MAX`.
    Overflow,
}

impl core::fmt::Display for ValueError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            ValueError::Empty => "value is missing",
            ValueError::NotDecimal => "value is not a plain decimal number",
            ValueError::Overflow => "value does not fit in 32 bits",
        })
    }
}

/// Parses a value: ASCII decimal digits only, no sign, no leading zeros (so nothing can be
/// read as octal), at most `u32::MAX`.
pub fn parse_value(text: &[u8]) -> Result<u32, ValueError> {
    if text.is_empty() {
        return Err(ValueError::Empty);
    }
    if text.len() > 1 && text.first() == Some(&b'0') {
        return Err(ValueError::NotDecimal);
    }
    let mut value: u32 = 0;
    for &b in text {
        if !b.is_ascii_digit() {
            return Err(ValueError::NotDecimal);
        }
        value = value
            .checked_mul(10)
            .and_then(|v| v.checked_add(u32::from(b.wrapping_sub(b'0'))))
            .ok_or(ValueError::Overflow)?;
    }
    Ok(value)
}

/// Parses a value written to (or read from) a sysfs attribute: [`parse_value`] with one
/// optional trailing `'\n'`.
pub fn parse_sysfs_value(text: &[u8]) -> Result<u32, ValueError> {
    parse_value(text.strip_suffix(b"\n").unwrap_or(text))
}

// ---------------------------------------------------------------------------------------------
// Chardev text commands: write() to DEV_PATH
// ---------------------------------------------------------------------------------------------

/// Largest `write()` accepted on [`DEV_PATH`], in bytes (larger: `EINVAL`).
pub const CHARDEV_MAX_WRITE: usize = 4096;

/// Verb of [`Command::Set`].
pub const CMD_SET: &str = "set";
/// Verb of [`Command::Toggle`].
pub const CMD_TOGGLE: &str = "toggle";

/// One text command written to [`DEV_PATH`].
///
/// # Grammar
///
/// ```text
/// write    = *( line "\n" ) [ line ]       ; at most CHARDEV_MAX_WRITE bytes
/// line     = "" / command                  ; empty lines are ignored
/// command  = "set" SEP name SEP value / "toggle" SEP name
/// SEP      = " " / "\t"                    ; exactly one
/// name     = see validate_name()
/// value    = "0" / %x31-39 *DIGIT          ; decimal, no sign, no leading zero, <= u32::MAX
/// ```
///
/// No leading or trailing whitespace, no `'\r'`, no NUL. The kernel validates every command of
/// one `write()` (syntax, line names, writability, ranges) before applying any, then applies
/// them all under one lock, in order; any error gives `EINVAL` and changes nothing. On success
/// `write()` returns the full length.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Command<'a> {
    /// `set <name> <value>`: set a line to a logical value.
    Set {
        /// Line name.
        name: &'a str,
        /// Logical value.
        value: u32,
    },
    /// `toggle <name>`: toggle a line ([`toggled_value`]).
    Toggle {
        /// Line name.
        name: &'a str,
    },
}

impl<'a> Command<'a> {
    /// The line the command addresses.
    pub fn name(&self) -> &'a str {
        match *self {
            Command::Set { name, .. } | Command::Toggle { name } => name,
        }
    }
}

/// Formats the command in its wire form, without the trailing newline.
impl core::fmt::Display for Command<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Command::Set { name, value } => write!(f, "{CMD_SET} {name} {value}"),
            Command::Toggle { name } => write!(f, "{CMD_TOGGLE} {name}"),
        }
    }
}

/// What is wrong with a `write()` to [`DEV_PATH`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParseErrorKind {
    /// The write is longer than [`CHARDEV_MAX_WRITE`].
    TooLong,
    /// A NUL byte.
    Nul,
    /// A byte that is not printable ASCII, space or tab (e.g. `'\r'`, UTF-8).
    BadByte,
    /// Leading, trailing or repeated whitespace.
    BadWhitespace,
    /// The first word is not a known verb.
    UnknownVerb,
    /// The line name is missing.
    MissingName,
    /// The value of `set` is missing.
    MissingValue,
    /// More words than the verb takes.
    TrailingWords,
    /// The line name is not a valid name.
    BadName(NameError),
    /// The value is not valid.
    BadValue(ValueError),
}

/// A parse error and the 1-based line of the write it is on (0 for [`ParseErrorKind::TooLong`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ParseError {
    /// 1-based line number within the write.
    pub line: u32,
    /// What is wrong.
    pub kind: ParseErrorKind,
}

impl core::fmt::Display for ParseError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        if self.line != 0 {
            write!(f, "line {}: ", self.line)?;
        }
        match self.kind {
            ParseErrorKind::TooLong => f.write_str("write longer than 4096 bytes"),
            ParseErrorKind::Nul => f.write_str("NUL byte"),
            ParseErrorKind::BadByte => f.write_str("byte that is not printable ASCII"),
            ParseErrorKind::BadWhitespace => {
                f.write_str("words must be separated by exactly one space or tab")
            }
            ParseErrorKind::UnknownVerb => f.write_str("unknown command (expected set or toggle)"),
            ParseErrorKind::MissingName => f.write_str("missing line name"),
            ParseErrorKind::MissingValue => f.write_str("missing value"),
            ParseErrorKind::TrailingWords => f.write_str("too many words"),
            ParseErrorKind::BadName(e) => write!(f, "{e}"),
            ParseErrorKind::BadValue(e) => write!(f, "{e}"),
        }
    }
}

/// Iterator over the commands of one `write()`, see [`parse_commands`].
#[derive(Clone, Debug)]
pub struct Commands<'a> {
    rest: &'a [u8],
    line: u32,
    state: CommandsState,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum CommandsState {
    Start,
    Running,
    Done,
}

/// Parses the commands of one `write()` to [`DEV_PATH`] without allocating.
///
/// Yields each command in order, or one error after which the iterator ends. A write with no
/// commands (empty, or only empty lines) yields nothing. Apply nothing before the iterator has
/// ended without an error ([`validate_commands`] does the first pass).
pub fn parse_commands(input: &[u8]) -> Commands<'_> {
    Commands {
        rest: input,
        line: 0,
        state: CommandsState::Start,
    }
}

/// First pass over a write: checks every command and returns how many there are.
pub fn validate_commands(input: &[u8]) -> Result<usize, ParseError> {
    let mut count: usize = 0;
    for command in parse_commands(input) {
        command?;
        count = count.saturating_add(1);
    }
    Ok(count)
}

fn parse_line(line: &[u8]) -> Result<Command<'_>, ParseErrorKind> {
    for &b in line {
        if b == 0 {
            return Err(ParseErrorKind::Nul);
        }
        if !(b.is_ascii_graphic() || b == b' ' || b == b'\t') {
            return Err(ParseErrorKind::BadByte);
        }
    }
    let mut words = line.split(|&b| b == b' ' || b == b'\t');
    let mut next_word = || -> Result<Option<&[u8]>, ParseErrorKind> {
        match words.next() {
            None => Ok(None),
            Some([]) => Err(ParseErrorKind::BadWhitespace),
            Some(word) => Ok(Some(word)),
        }
    };
    let verb = next_word()?.ok_or(ParseErrorKind::UnknownVerb)?;
    let command = if verb == CMD_SET.as_bytes() {
        let name = next_word()?.ok_or(ParseErrorKind::MissingName)?;
        let value = next_word()?.ok_or(ParseErrorKind::MissingValue)?;
        let name = validate_name(name).map_err(ParseErrorKind::BadName)?;
        let value = parse_value(value).map_err(ParseErrorKind::BadValue)?;
        Command::Set { name, value }
    } else if verb == CMD_TOGGLE.as_bytes() {
        let name = next_word()?.ok_or(ParseErrorKind::MissingName)?;
        let name = validate_name(name).map_err(ParseErrorKind::BadName)?;
        Command::Toggle { name }
    } else {
        return Err(ParseErrorKind::UnknownVerb);
    };
    match next_word()? {
        None => Ok(command),
        Some(_) => Err(ParseErrorKind::TrailingWords),
    }
}

impl<'a> Iterator for Commands<'a> {
    type Item = Result<Command<'a>, ParseError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.state == CommandsState::Start {
            self.state = CommandsState::Running;
            if self.rest.len() > CHARDEV_MAX_WRITE {
                self.state = CommandsState::Done;
                return Some(Err(ParseError {
                    line: 0,
                    kind: ParseErrorKind::TooLong,
                }));
            }
        }
        while self.state == CommandsState::Running {
            if self.rest.is_empty() {
                self.state = CommandsState::Done;
                return None;
            }
            let (line, rest) = match self.rest.iter().position(|&b| b == b'\n') {
                Some(nl) => (
                    self.rest.get(..nl).unwrap_or(&[]),
                    self.rest.get(nl.saturating_add(1)..).unwrap_or(&[]),
                ),
                None => (self.rest, &[][..]),
            };
            self.rest = rest;
            self.line = self.line.saturating_add(1);
            if line.is_empty() {
                continue;
            }
            return Some(parse_line(line).map_err(|kind| {
                self.state = CommandsState::Done;
                ParseError {
                    line: self.line,
                    kind,
                }
            }));
        }
        None
    }
}

// ---------------------------------------------------------------------------------------------
// procfs text format: PROC_PATH
// ---------------------------------------------------------------------------------------------

/// procfs record key of the ABI version record: `abi <ABI_VERSION>`.
pub const PROC_KEY_ABI: &str = "abi";
/// procfs record key of the board record, see [`ProcBoard`].
pub const PROC_KEY_BOARD: &str = "board";
/// procfs record key of a line record, see [`ProcLine`].
pub const PROC_KEY_LINE: &str = "line";
/// procfs record key of the operation counters record, see [`ProcOps`].
pub const PROC_KEY_OPS: &str = "ops";
/// procfs record key of the event counters record, see [`ProcEvents`].
pub const PROC_KEY_EVENTS: &str = "events";
/// procfs record key of the netlink publisher's record, see [`ProcNetlink`].
pub const PROC_KEY_NETLINK: &str = "netlink";
/// procfs `flags=` value when no flag is set.
pub const PROC_NO_FLAGS: &str = "-";

/// procfs field names of a line record, in order.
pub const PROC_LINE_FIELDS: [&str; 7] = [
    "kind",
    "value",
    "max",
    "flags",
    "changes",
    "source",
    "changed_ns",
];

/// procfs field names of the ops record, in order (one per interface, counting handled
/// operations of any kind: reads, writes, ioctls, mmaps, netlink messages).
pub const PROC_OPS_FIELDS: [&str; 6] = ["procfs", "sysfs", "chardev", "ioctl", "mmap", "netlink"];

/// The board record of `/proc/kbridge`.
///
/// # The whole file
///
/// One record per line, `key` then space-separated words; `key=value` words where named.
/// Records appear in this order:
///
/// ```text
/// abi 1
/// board <name> lines <n> seq <seq>
/// line <idx> <name> kind=<kind> value=<v> max=<m> flags=<active-low|-> changes=<n> source=<src> changed_ns=<t>
/// ...one line record per line, in index order...
/// ops procfs=<n> sysfs=<n> chardev=<n> ioctl=<n> mmap=<n> netlink=<n>
/// events delivered=<n> dropped=<n>
/// netlink sent=<n> failed=<n> lost=<n> replies_lost=<n>
/// ```
///
/// `flags` is a comma-separated list of flag names or `-`. Readers must ignore records with
/// unknown keys and `key=value` words with unknown keys: later ABI versions may append both.
/// All numbers are decimal. The file is generated in one go under the state lock, so it is a
/// consistent snapshot (the `netlink` record is read just after, under the publisher's lock).
///
/// Each `Proc*` type formats its record (without the trailing newline) via `Display`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProcBoard<'a> {
    /// Board name.
    pub name: &'a str,
    /// Number of lines.
    pub num_lines: u32,
    /// Current global sequence number.
    pub seq: u64,
}

impl core::fmt::Display for ProcBoard<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "{PROC_KEY_BOARD} {} lines {} seq {}",
            self.name, self.num_lines, self.seq
        )
    }
}

/// The ABI record of `/proc/kbridge`: `abi <ABI_VERSION>`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProcAbi;

impl core::fmt::Display for ProcAbi {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{PROC_KEY_ABI} {ABI_VERSION}")
    }
}

/// A line record of `/proc/kbridge` (see [`ProcBoard`] for the file).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProcLine<'a> {
    /// Line index.
    pub index: u32,
    /// Line name.
    pub name: &'a str,
    /// `KIND_*`.
    pub kind: u8,
    /// Logical value.
    pub value: u32,
    /// Maximum value.
    pub max_value: u32,
    /// `LINE_FLAG_*`.
    pub flags: u32,
    /// Number of changes since probe.
    pub changes: u64,
    /// `SOURCE_*` of the latest change.
    pub last_source: u8,
    /// `CLOCK_MONOTONIC` nanoseconds of the latest change.
    pub last_change_ns: u64,
}

impl core::fmt::Display for ProcLine<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{PROC_KEY_LINE} {} {} kind=", self.index, self.name)?;
        match kind_name(self.kind) {
            Some(k) => f.write_str(k)?,
            None => write!(f, "{}", self.kind)?,
        }
        write!(f, " value={} max={} flags=", self.value, self.max_value)?;
        if self.flags & LINE_FLAG_ACTIVE_LOW != 0 {
            f.write_str(LINE_FLAG_ACTIVE_LOW_NAME)?;
        } else {
            f.write_str(PROC_NO_FLAGS)?;
        }
        write!(f, " changes={} source=", self.changes)?;
        match source_name(self.last_source) {
            Some(s) => f.write_str(s)?,
            None => write!(f, "{}", self.last_source)?,
        }
        write!(f, " changed_ns={}", self.last_change_ns)
    }
}

/// The ops record of `/proc/kbridge`: operations handled per interface since probe.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProcOps {
    /// Counters in [`PROC_OPS_FIELDS`] order.
    pub counts: [u64; 6],
}

impl core::fmt::Display for ProcOps {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(PROC_KEY_OPS)?;
        for (key, count) in PROC_OPS_FIELDS.iter().zip(self.counts.iter()) {
            write!(f, " {key}={count}")?;
        }
        Ok(())
    }
}

/// The events record of `/proc/kbridge`: records delivered to and dropped for all readers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProcEvents {
    /// Records copied to user space by `read()`.
    pub delivered: u64,
    /// Records discarded because a reader's queue was full.
    pub dropped: u64,
}

impl core::fmt::Display for ProcEvents {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "{PROC_KEY_EVENTS} delivered={} dropped={}",
            self.delivered, self.dropped
        )
    }
}

/// The netlink record of `/proc/kbridge`: what became of the events the generic netlink
/// publisher handled, and of the replies to changes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProcNetlink {
    /// Events multicast to the `events` group and taken by at least one listener.
    pub sent: u64,
    /// Events that could not be built or sent (out of memory, or a listener that set
    /// `NETLINK_BROADCAST_ERROR` had a full socket): every listener sees a gap in `seq`.
    pub failed: u64,
    /// Events the event ring overwrote before the publisher sent them.
    pub lost: u64,
    /// Replies to `line-set`/`line-toggle` that the requester's full socket refused; the
    /// change itself was made.
    pub replies_lost: u64,
}

impl core::fmt::Display for ProcNetlink {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "{PROC_KEY_NETLINK} sent={} failed={} lost={} replies_lost={}",
            self.sent, self.failed, self.lost, self.replies_lost
        )
    }
}
