//! bpf backend: the module's state mirrored into BPF maps by a BPF program on the module's
//! tracepoint (docs/bpf.md).
//!
//! The program (`bpf/kbridge.bpf.c`, compiled by `build.rs` and embedded here) runs on
//! `kbridge:kbridge_line_change`, which the module fires once per recorded change, and keeps
//! three maps up to date:
//!
//! | pin (under [`abi::BPF_PIN_DIR`]) | map | content |
//! |---|---|---|
//! | `lines` | `ARRAY[64]` `kbridge_lines` | one [`LineEntry`] per line index |
//! | `events` | `RINGBUF` `kbridge_events` | one 32-byte [`abi::EventRecord`] per change |
//! | `stats` | `ARRAY[1]` `kbridge_stats` | [`BpfStats`] |
//! | `link` | the program's perf-event link | keeps the program attached |
//!
//! [`attach`] loads and attaches the program, seeds the line map from the module's current
//! state and pins everything, so the program keeps working after the process exits;
//! [`detach`] removes the pins, which detaches and frees it all; [`status`] reports.
//!
//! [`BpfBackend`] reads the pinned map (read-only: BPF maps can't drive the hardware) and
//! [`BpfEvents`] the ring buffer. Loading, attaching, pinning and map access go through aya
//! (pure Rust, no libbpf); the ring buffer is consumed by [`crate::sys::ringbuf`] because
//! aya 0.13's reader mishandles a pinned ring buffer that was read before. No `unsafe` here.
//!
//! # Seeding, and the race with the first changes
//!
//! The program only sees changes made after it is attached, so the line map starts empty and
//! [`attach`] fills it from the module (`GET_VALUES` + `LINE_INFO`). Attaching *first* and
//! seeding *second* means no change can be missed; the danger is the opposite, a seed value
//! overwriting a newer one the program has just written. The seeding therefore works like a
//! seqlock reader: take a snapshot with its global sequence number `S`, write every entry whose
//! `seq` is not newer than `S`, then read the sequence number again. If it is still `S`, no
//! change happened while seeding, so the program wrote nothing meanwhile and every entry is
//! exact; otherwise a change raced with the seeding and the whole round is repeated with a
//! fresh snapshot (at most [`SEED_ROUNDS`] times). The program's writes all carry the change's
//! `seq`, which is why "newer than `S`" can be told apart.
//!
//! Files: `attach` (load, attach, seed, pin; [`detach`], [`status`]), `maps` (the pinned maps
//! opened by path), `backend` ([`BpfBackend`] over the line map), `events` ([`BpfEvents`] from
//! the ring buffer). The layouts of the maps' values are kbridge-abi's ([`abi::BpfLine`],
//! [`abi::BpfStats`], [`abi::EventRecord`]), the same the BPF program includes as C. The
//! imports below are shared by all four (`use super::*`).

use std::fmt;
use std::fs::{self, File};
use std::io;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use aya::maps::{Array, Map, MapData};
use aya::programs::links::{FdLink, PinnedLink};
use aya::programs::TracePoint;
use aya::Ebpf;
use kbridge_abi as abi;
use nix::poll::PollFlags;

use crate::backend::Backend;
use crate::device::Device;
use crate::events::{event_from_record, wait_readable, EventSource, EventStream};
use crate::sys;
use crate::{BoardInfo, Config, Error, Event, Interface, LineInfo, Result, Source};

const VIA: Interface = Interface::Bpf;

/// The BPF object, built from `bpf/kbridge.bpf.c` by `build.rs`.
static OBJECT: &[u8] = aya::include_bytes_aligned!(concat!(env!("OUT_DIR"), "/kbridge.bpf.o"));

/// The program's name in the object and in the kernel.
pub const PROGRAM: &str = "kbridge_mirror";
/// The tracepoint it attaches to: category and name.
pub const TRACEPOINT: (&str, &str) = ("kbridge", "kbridge_line_change");
/// The tracepoint record as the program reads it (`struct kbridge_line_change_ctx`): field
/// name, offset, size. The same as the `format` file in tracefs describes (checked in the
/// guest by `kbridge-test bpf`) and as the C struct (checked at compile time by the
/// `CTX_FIELD` asserts in `bpf/kbridge.bpf.c`, which a unit test compares with this table).
pub const CTX_FIELDS: [(&str, u32, u32); 11] = [
    ("common_type", 0, 2),
    ("common_flags", 2, 1),
    ("common_preempt_count", 3, 1),
    ("common_pid", 4, 4),
    ("seq", 8, 8),
    ("timestamp_ns", 16, 8),
    ("line", 24, 4),
    ("old_value", 28, 4),
    ("new_value", 32, 4),
    ("source", 36, 1),
    ("kind", 37, 1),
];

/// Map names in the object (and the kernel), with the file each is pinned as.
pub const MAPS: [(&str, &str); 3] = [
    (abi::BPF_MAP_LINES, PIN_LINES),
    (abi::BPF_MAP_EVENTS, PIN_EVENTS),
    (abi::BPF_MAP_STATS, PIN_STATS),
];
/// Pinned line map.
pub const PIN_LINES: &str = abi::BPF_PIN_LINES;
/// Pinned ring buffer.
pub const PIN_EVENTS: &str = abi::BPF_PIN_EVENTS;
/// Pinned statistics map.
pub const PIN_STATS: &str = abi::BPF_PIN_STATS;
/// Pinned link.
pub const PIN_LINK: &str = abi::BPF_PIN_LINK;
/// Everything [`attach`] pins, in the order [`detach`] removes it (the link first).
pub const PINS: [&str; 4] = [PIN_LINK, PIN_LINES, PIN_EVENTS, PIN_STATS];
/// Seeding attempts before [`attach`] gives up on a board that never stops changing.
pub const SEED_ROUNDS: u32 = 100;

/// `statfs` magic of bpffs (`BPF_FS_MAGIC`).
const BPF_FS_MAGIC: i64 = 0xcafe_4a11;

/// One line's entry in the `lines` map: [`abi::BpfLine`] (`struct kbridge_bpf_line`).
pub type LineEntry = abi::BpfLine;
/// Size of a [`LineEntry`] in the map.
pub const LINE_ENTRY_SIZE: usize = abi::BPF_LINE_SIZE;
/// The program's counters: [`abi::BpfStats`] (`struct kbridge_bpf_stats`).
pub type BpfStats = abi::BpfStats;
/// Size of the statistics value.
pub const STATS_SIZE: usize = abi::BPF_STATS_SIZE;
/// [`LineEntry::flags`]: the entry holds a real state (seeded or written by the program).
pub const LINE_VALID: u8 = abi::BPF_LINE_VALID;
/// [`LineEntry::flags`]: the entry was last written by the seeding, not by a change.
pub const LINE_SEEDED: u8 = abi::BPF_LINE_SEEDED;

/// A BPF-side failure, with the errno found in the error's chain.
fn bpf_error(op: &'static str, e: impl std::error::Error) -> Error {
    let mut detail = e.to_string();
    let mut errno = None;
    let mut source = e.source();
    while let Some(s) = source {
        detail.push_str(": ");
        detail.push_str(&s.to_string());
        if let Some(io) = s.downcast_ref::<io::Error>() {
            errno = errno.or(io.raw_os_error());
        }
        source = s.source();
    }
    Error::Bpf { op, detail, errno }
}

fn io_error(op: &'static str, path: &Path, e: io::Error) -> Error {
    Error::io(VIA, op, path, e)
}

/// The pin directory for `config`.
pub fn pin_dir(config: &Config) -> PathBuf {
    config.path(abi::BPF_PIN_DIR)
}

mod attach;
mod backend;
mod events;
mod maps;

pub use attach::{attach, detach, status, AttachReport, BpfStatus};
pub use backend::BpfBackend;
pub use events::BpfEvents;
pub use maps::stats;
use maps::{open_pinned, read_stats};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn object_is_embedded() {
        // An ELF for the BPF machine (EM_BPF = 247) with the program's section.
        assert_eq!(&OBJECT[..4], b"\x7fELF");
        let machine = u16::from_le_bytes([OBJECT[18], OBJECT[19]]);
        assert_eq!(machine, 247);
        let needle = b"tracepoint/kbridge/kbridge_line_change";
        assert!(OBJECT.windows(needle.len()).any(|w| w == needle));
    }

    #[test]
    fn object_has_the_program_and_maps_with_the_documented_layout() {
        let obj = aya_obj::Object::parse(OBJECT).unwrap();
        assert!(
            obj.programs.contains_key(PROGRAM),
            "{:?}",
            obj.programs.keys()
        );
        let map = |name: &str| {
            obj.maps
                .get(name)
                .unwrap_or_else(|| panic!("no map {name}"))
        };
        let lines = map(MAPS[0].0);
        assert_eq!(lines.map_type(), 2); // BPF_MAP_TYPE_ARRAY
        assert_eq!(lines.key_size() as usize, abi::BPF_KEY_SIZE);
        assert_eq!(lines.value_size() as usize, LINE_ENTRY_SIZE);
        assert_eq!(lines.max_entries() as usize, abi::MAX_LINES);
        let events = map(MAPS[1].0);
        assert_eq!(events.map_type(), 27); // BPF_MAP_TYPE_RINGBUF
        assert_eq!(events.max_entries(), abi::BPF_RINGBUF_BYTES);
        assert!(events.max_entries().is_power_of_two() && events.max_entries() >= 4096);
        let stats = map(MAPS[2].0);
        assert_eq!(stats.key_size() as usize, abi::BPF_KEY_SIZE);
        assert_eq!(stats.value_size() as usize, STATS_SIZE);
        assert_eq!(stats.max_entries(), 1);
    }

    #[test]
    fn ctx_fields_match_the_c_asserts() {
        let src = include_str!("../../bpf/kbridge.bpf.c");
        let asserted: Vec<(String, u32, u32)> = src
            .lines()
            .filter_map(|l| l.strip_prefix("CTX_FIELD(")?.strip_suffix(");"))
            .map(|args| {
                let v: Vec<&str> = args.split(',').map(str::trim).collect();
                (
                    v[0].to_owned(),
                    v[1].parse().unwrap(),
                    v[2].parse().unwrap(),
                )
            })
            .collect();
        let ours: Vec<(String, u32, u32)> = CTX_FIELDS
            .iter()
            .map(|&(n, o, s)| (n.to_owned(), o, s))
            .collect();
        assert_eq!(asserted, ours);
    }
}
