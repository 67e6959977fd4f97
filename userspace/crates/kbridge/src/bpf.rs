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
    ("kbridge_lines", PIN_LINES),
    ("kbridge_events", PIN_EVENTS),
    ("kbridge_stats", PIN_STATS),
];
/// Pinned line map.
pub const PIN_LINES: &str = "lines";
/// Pinned ring buffer.
pub const PIN_EVENTS: &str = "events";
/// Pinned statistics map.
pub const PIN_STATS: &str = "stats";
/// Pinned link.
pub const PIN_LINK: &str = "link";
/// Everything [`attach`] pins, in the order [`detach`] removes it (the link first).
pub const PINS: [&str; 4] = [PIN_LINK, PIN_LINES, PIN_EVENTS, PIN_STATS];
/// Seeding attempts before [`attach`] gives up on a board that never stops changing.
pub const SEED_ROUNDS: u32 = 100;

/// `statfs` magic of bpffs (`BPF_FS_MAGIC`).
const BPF_FS_MAGIC: i64 = 0xcafe_4a11;

/// Size of a [`LineEntry`] in the map.
pub const LINE_ENTRY_SIZE: usize = 32;
/// Size of the statistics value.
pub const STATS_SIZE: usize = 24;
/// [`LineEntry::flags`]: the entry holds a real state (seeded or written by the program).
pub const LINE_VALID: u8 = 1 << 0;
/// [`LineEntry::flags`]: the entry was last written by the seeding, not by a change.
pub const LINE_SEEDED: u8 = 1 << 1;

/// One line's entry in the `lines` map (`struct kbridge_bpf_line`, 32 bytes, native endian).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LineEntry {
    /// Global sequence number the entry is current as of: the change's when the program wrote
    /// it, the snapshot's when it was seeded.
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
    /// [`LINE_VALID`], [`LINE_SEEDED`].
    pub flags: u8,
}

impl LineEntry {
    /// Decodes the map's bytes.
    pub fn from_bytes(b: &[u8; LINE_ENTRY_SIZE]) -> Self {
        LineEntry {
            seq: u64_at(b, 0),
            timestamp_ns: u64_at(b, 8),
            changes: u64_at(b, 16),
            value: u32::from_ne_bytes([b[24], b[25], b[26], b[27]]),
            source: b[28],
            kind: b[29],
            flags: b[30],
        }
    }

    /// Encodes it as the map stores it.
    pub fn to_bytes(&self) -> [u8; LINE_ENTRY_SIZE] {
        let mut b = [0u8; LINE_ENTRY_SIZE];
        b[0..8].copy_from_slice(&self.seq.to_ne_bytes());
        b[8..16].copy_from_slice(&self.timestamp_ns.to_ne_bytes());
        b[16..24].copy_from_slice(&self.changes.to_ne_bytes());
        b[24..28].copy_from_slice(&self.value.to_ne_bytes());
        b[28] = self.source;
        b[29] = self.kind;
        b[30] = self.flags;
        b
    }
}

fn u64_at(b: &[u8], off: usize) -> u64 {
    let mut x = [0u8; 8];
    if let Some(s) = b.get(off..off + 8) {
        x.copy_from_slice(s);
    }
    u64::from_ne_bytes(x)
}

/// The program's counters (`struct kbridge_bpf_stats`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BpfStats {
    /// Tracepoint hits since attach.
    pub events: u64,
    /// Ring buffer records lost because the ring buffer was full.
    pub ringbuf_dropped: u64,
    /// Hits with a line index outside the map (never expected).
    pub bad_line: u64,
}

impl BpfStats {
    /// Decodes the map's bytes.
    pub fn from_bytes(b: &[u8; STATS_SIZE]) -> Self {
        BpfStats {
            events: u64_at(b, 0),
            ringbuf_dropped: u64_at(b, 8),
            bad_line: u64_at(b, 16),
        }
    }
}

/// What [`attach`] did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AttachReport {
    /// Where everything is pinned.
    pub pin_dir: PathBuf,
    /// Lines seeded from the module.
    pub seeded: u32,
    /// The global sequence number of the snapshot the map was seeded from.
    pub seed_seq: u64,
    /// Seeding rounds needed (1 unless changes raced with it).
    pub seed_rounds: u32,
}

/// What [`status`] found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BpfStatus {
    /// The pin directory.
    pub pin_dir: PathBuf,
    /// Which of [`PINS`] exist.
    pub pinned: Vec<&'static str>,
    /// The link is pinned: the program is attached.
    pub attached: bool,
    /// Ids of the loaded BPF programs called [`PROGRAM`] (empty once detached and freed).
    pub program_ids: Vec<u32>,
    /// The program's counters, when the statistics map is pinned.
    pub stats: Option<BpfStats>,
}

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

/// Fails unless bpffs is mounted on the pin directory's parent (`/sys/fs/bpf`).
fn check_bpffs(dir: &Path) -> Result<()> {
    let parent = dir.parent().unwrap_or(dir);
    let st = nix::sys::statfs::statfs(parent).map_err(|e| {
        io_error(
            "check bpffs",
            parent,
            io::Error::from_raw_os_error(e as i32),
        )
    })?;
    if st.filesystem_type() != nix::sys::statfs::FsType(BPF_FS_MAGIC as _) {
        return Err(Error::Bpf {
            op: "check bpffs",
            detail: format!(
                "{} is not a bpf filesystem (mount -t bpf bpf {})",
                parent.display(),
                parent.display()
            ),
            errno: None,
        });
    }
    Ok(())
}

/// Loads the program, attaches it to the tracepoint, seeds the line map and pins the link and
/// the maps under [`pin_dir`]. Needs root (`CAP_BPF` + `CAP_PERFMON`), the module loaded,
/// bpffs on `/sys/fs/bpf` and tracefs on `/sys/kernel/tracing`.
///
/// Fails with `EEXIST` when already attached (see [`detach`]); leftovers of an interrupted
/// attach (maps pinned without a link) are removed first.
pub fn attach(config: &Config) -> Result<AttachReport> {
    let dir = pin_dir(config);
    if dir.join(PIN_LINK).exists() {
        return Err(Error::Bpf {
            op: "attach",
            detail: format!(
                "already attached ({} exists); `kbridge bpf detach` first",
                dir.join(PIN_LINK).display()
            ),
            errno: Some(nix::errno::Errno::EEXIST as i32),
        });
    }
    let mut dev = Device::open(VIA, config)?;
    let board = dev.board_info()?;
    check_bpffs(&dir)?;
    remove_pins(&dir)?;

    let mut ebpf = Ebpf::load(OBJECT).map_err(|e| bpf_error("load the BPF object", e))?;
    let program: &mut TracePoint = ebpf
        .program_mut(PROGRAM)
        .ok_or_else(|| Error::protocol(VIA, format!("the BPF object has no program {PROGRAM}")))?
        .try_into()
        .map_err(|e| bpf_error("load the program", e))?;
    program
        .load()
        .map_err(|e| bpf_error("load the program", e))?;
    let link_id = program
        .attach(TRACEPOINT.0, TRACEPOINT.1)
        .map_err(|e| bpf_error("attach to kbridge:kbridge_line_change", e))?;
    let link = program
        .take_link(link_id)
        .map_err(|e| bpf_error("take the link", e))?;
    let link = FdLink::try_from(link).map_err(|e| bpf_error("take the link", e))?;

    // Attached: from here on every change reaches the maps. Now seed them.
    let (seeded, seed_seq, seed_rounds) = {
        let map = ebpf
            .map_mut(MAPS[0].0)
            .ok_or_else(|| Error::protocol(VIA, "the BPF object has no line map"))?;
        let mut lines: Array<&mut MapData, [u8; LINE_ENTRY_SIZE]> =
            Array::try_from(map).map_err(|e| bpf_error("open the line map", e))?;
        seed(&mut dev, &mut lines, board.num_lines)?
    };

    // Pin the maps, then the link; on failure remove what was pinned (dropping `link`
    // detaches the program).
    fs::create_dir_all(&dir).map_err(|e| io_error("create the pin directory", &dir, e))?;
    let pinned = (|| {
        for (name, file) in MAPS {
            ebpf.map(name)
                .ok_or_else(|| Error::protocol(VIA, format!("the BPF object has no map {name}")))?
                .pin(dir.join(file))
                .map_err(|e| bpf_error("pin a map", e))?;
        }
        link.pin(dir.join(PIN_LINK))
            .map_err(|e| bpf_error("pin the link", e))
    })();
    if let Err(e) = pinned {
        let _ = remove_pins(&dir);
        return Err(e);
    }
    Ok(AttachReport {
        pin_dir: dir,
        seeded,
        seed_seq,
        seed_rounds,
    })
}

/// Fills the line map from the module; see the module documentation for why it is safe
/// against concurrent changes. Returns (lines seeded, snapshot seq, rounds).
fn seed(
    dev: &mut Device,
    lines: &mut Array<&mut MapData, [u8; LINE_ENTRY_SIZE]>,
    num_lines: u32,
) -> Result<(u32, u64, u32)> {
    let mask = abi::lines_mask(num_lines);
    let snapshot = |dev: &mut Device| -> Result<abi::IocValues> {
        let fd = dev.file(false)?.as_fd();
        sys::ioctl::get_values(fd, mask).map_err(|e| dev.os("read values", e))
    };
    for round in 1..=SEED_ROUNDS {
        let snap = snapshot(dev)?;
        let infos = (0..num_lines)
            .map(|i| dev.line_info(i))
            .collect::<Result<Vec<LineInfo>>>()?;
        let mut seeded = 0;
        for (i, info) in (0..num_lines).zip(&infos) {
            let cur = lines
                .get(&i, 0)
                .map_err(|e| bpf_error("read the line map", e))?;
            let cur = LineEntry::from_bytes(&cur);
            if cur.flags & LINE_VALID != 0 && cur.seq > snap.seq {
                // The program recorded a change made after the snapshot: keep it (this round
                // will be repeated anyway, since the sequence number moved).
                continue;
            }
            let entry = LineEntry {
                seq: snap.seq,
                timestamp_ns: info.last_change_ns.unwrap_or(0),
                changes: info.changes.unwrap_or(0),
                value: snap.values.get(i as usize).copied().unwrap_or(0),
                source: info.last_source.map_or(abi::SOURCE_INIT, Source::to_abi),
                kind: info.kind.to_abi(),
                flags: LINE_VALID | LINE_SEEDED,
            };
            lines
                .set(i, entry.to_bytes(), 0)
                .map_err(|e| bpf_error("seed the line map", e))?;
            seeded += 1;
        }
        if snapshot(dev)?.seq == snap.seq {
            return Ok((seeded, snap.seq, round));
        }
    }
    Err(Error::Bpf {
        op: "seed the line map",
        detail: format!("the board changed during each of {SEED_ROUNDS} attempts"),
        errno: Some(nix::errno::Errno::EBUSY as i32),
    })
}

/// Removes whatever of [`PINS`] exists, then the directory. The link goes first and its last
/// descriptor is closed here, so the program is detached (and the module's reference dropped)
/// before this returns.
fn remove_pins(dir: &Path) -> Result<Vec<&'static str>> {
    let mut removed = Vec::new();
    for name in PINS {
        let path = dir.join(name);
        if fs::symlink_metadata(&path).is_err() {
            continue;
        }
        if name == PIN_LINK {
            // Hold the link while unpinning so the final put is our close() (synchronous),
            // not the pin's (a deferred work item).
            let link = PinnedLink::from_pin(&path).map_err(|e| bpf_error("open the link", e))?;
            let fd_link = link
                .unpin()
                .map_err(|e| io_error("unpin the link", &path, e))?;
            drop(fd_link);
        } else {
            fs::remove_file(&path).map_err(|e| io_error("unpin a map", &path, e))?;
        }
        removed.push(name);
    }
    match fs::remove_dir(dir) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(io_error("remove the pin directory", dir, e)),
    }
    Ok(removed)
}

/// Unpins the link and the maps and removes the pin directory: the program is detached, and
/// the kernel frees it and the maps once no reader (such as a running `watch`) holds them.
/// Returns what was removed; [`Error::BpfNotAttached`] if nothing was pinned.
pub fn detach(config: &Config) -> Result<Vec<&'static str>> {
    let dir = pin_dir(config);
    let removed = remove_pins(&dir)?;
    if removed.is_empty() {
        return Err(Error::BpfNotAttached {
            path: dir.join(PIN_LINK),
        });
    }
    Ok(removed)
}

/// What is pinned, whether the program is loaded, and its counters.
pub fn status(config: &Config) -> Result<BpfStatus> {
    let dir = pin_dir(config);
    let pinned: Vec<&'static str> = PINS
        .into_iter()
        .filter(|n| fs::symlink_metadata(dir.join(n)).is_ok())
        .collect();
    let stats = if pinned.contains(&PIN_STATS) {
        Some(read_stats(&dir)?)
    } else {
        None
    };
    let mut program_ids = Vec::new();
    for info in aya::programs::loaded_programs() {
        let info = info.map_err(|e| bpf_error("list loaded programs", e))?;
        if info.name_as_str() == Some(PROGRAM) {
            program_ids.push(info.id());
        }
    }
    Ok(BpfStatus {
        pin_dir: dir,
        attached: pinned.contains(&PIN_LINK),
        pinned,
        program_ids,
        stats,
    })
}

fn open_pinned(dir: &Path, file: &str) -> Result<MapData> {
    let path = dir.join(file);
    if fs::symlink_metadata(&path).is_err() {
        return Err(Error::BpfNotAttached { path });
    }
    MapData::from_pin(&path).map_err(|e| bpf_error("open a pinned map", e))
}

fn read_stats(dir: &Path) -> Result<BpfStats> {
    let stats: Array<MapData, [u8; STATS_SIZE]> =
        Array::try_from(Map::Array(open_pinned(dir, PIN_STATS)?))
            .map_err(|e| bpf_error("open the statistics map", e))?;
    let raw = stats
        .get(&0, 0)
        .map_err(|e| bpf_error("read the statistics map", e))?;
    Ok(BpfStats::from_bytes(&raw))
}

/// The program's counters from the pinned statistics map.
pub fn stats(config: &Config) -> Result<BpfStats> {
    read_stats(&pin_dir(config))
}

/// Read-only backend over the pinned line map. Names, kinds, maxima and the active-low flag
/// (static after probe) come from `LINE_INFO` once, when it opens; values, change counts and
/// last changes from the map.
pub struct BpfBackend {
    dev: Device,
    config: Config,
    statics: Vec<LineInfo>,
    lines: Array<MapData, [u8; LINE_ENTRY_SIZE]>,
}

impl fmt::Debug for BpfBackend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BpfBackend")
            .field("dev", &self.dev)
            .field("lines", &self.statics.len())
            .finish_non_exhaustive()
    }
}

impl BpfBackend {
    /// Opens `/dev/kbridge` for the static line table and the pinned line map.
    pub fn open(config: &Config) -> Result<Self> {
        let mut dev = Device::open(VIA, config)?;
        let lines = Array::try_from(Map::Array(open_pinned(&pin_dir(config), PIN_LINES)?))
            .map_err(|e| bpf_error("open the line map", e))?;
        let statics = dev.all_line_info()?;
        Ok(BpfBackend {
            dev,
            config: config.clone(),
            statics,
            lines,
        })
    }

    /// The raw map entry of line `index`.
    pub fn entry(&self, index: u32) -> Result<LineEntry> {
        let raw = self
            .lines
            .get(&index, 0)
            .map_err(|e| bpf_error("read the line map", e))?;
        Ok(LineEntry::from_bytes(&raw))
    }
}

impl Backend for BpfBackend {
    fn via(&self) -> Interface {
        VIA
    }

    /// Name and line count from the module; `seq` is the newest the map knows.
    fn board(&mut self) -> Result<BoardInfo> {
        let mut board = self.dev.board_info()?;
        let mut seq = 0;
        for i in 0..board.num_lines {
            seq = seq.max(self.entry(i)?.seq);
        }
        board.seq = seq;
        Ok(board)
    }

    fn lines(&mut self) -> Result<Vec<LineInfo>> {
        let mut out = Vec::with_capacity(self.statics.len());
        for (i, s) in (0u32..).zip(&self.statics) {
            let e = self.entry(i)?;
            if e.flags & LINE_VALID == 0 {
                return Err(Error::protocol(
                    VIA,
                    format!("map entry of line {i} was never written (attach did not seed it)"),
                ));
            }
            let mut line = s.clone();
            line.value = e.value;
            line.changes = Some(e.changes);
            line.last_source = Some(Source::from_abi(e.source));
            line.last_change_ns = Some(e.timestamp_ns);
            out.push(line);
        }
        Ok(out)
    }

    fn events(&mut self) -> Result<EventStream> {
        Ok(EventStream::new(Box::new(BpfEvents::open(&self.config)?)))
    }
}

/// Change events from the pinned ring buffer.
///
/// A BPF ring buffer has one consumer position, shared by everyone who maps it: two readers
/// would steal each other's records. A stream therefore takes an exclusive `flock` on the pin
/// directory and fails with `EBUSY` while another holds it. Records queued before the stream
/// opened are discarded, so it sees the changes made after it was opened, like the character
/// device's readers.
pub struct BpfEvents {
    ring: sys::ringbuf::RingReader,
    /// The ring buffer map (mapped by `ring`, polled for readability).
    fd: OwnedFd,
    _lock: nix::fcntl::Flock<File>,
    names: Vec<String>,
    /// The ring buffer's drop total (low 32 bits) the last record carried, or at open.
    dropped_total: u32,
}

impl fmt::Debug for BpfEvents {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BpfEvents")
            .field("fd", &self.fd)
            .field("dropped_total", &self.dropped_total)
            .finish_non_exhaustive()
    }
}

impl BpfEvents {
    /// Opens the pinned ring buffer as its only reader.
    pub fn open(config: &Config) -> Result<Self> {
        let dir = pin_dir(config);
        let mut dev = Device::open(VIA, config)?;
        let names = dev.table()?.iter().map(|l| l.name.clone()).collect();
        let data = open_pinned(&dir, PIN_EVENTS)?;
        let dir_file = File::open(&dir).map_err(|e| io_error("open", &dir, e))?;
        let lock = nix::fcntl::Flock::lock(dir_file, nix::fcntl::FlockArg::LockExclusiveNonblock)
            .map_err(|(_, e)| Error::Bpf {
            op: "read events",
            detail: format!(
                "another process is reading the ring buffer {} ({e})",
                dir.join(PIN_EVENTS).display()
            ),
            errno: Some(nix::errno::Errno::EBUSY as i32),
        })?;
        let size = data
            .info()
            .map_err(|e| bpf_error("read the ring buffer's size", e))?
            .max_entries() as usize;
        let fd = data
            .fd()
            .as_fd()
            .try_clone_to_owned()
            .map_err(|e| io_error("duplicate", &dir.join(PIN_EVENTS), e))?;
        let page = nix::unistd::sysconf(nix::unistd::SysconfVar::PAGE_SIZE)
            .ok()
            .flatten()
            .and_then(|p| usize::try_from(p).ok())
            .unwrap_or(4096);
        // Read the drop total before draining: every record submitted before that read is
        // drained below and every later one carries a total at least as large.
        let mut dropped_total = read_stats(&dir)?.ringbuf_dropped as u32;
        let mut ring = sys::ringbuf::RingReader::map(&fd, size, page)
            .map_err(|e| io_error("map the ring buffer", &dir.join(PIN_EVENTS), e))?;
        // Discard what was queued before this reader existed. A drained record carries the
        // total of its own time, older than the one just read when the ring was full: keep
        // the newer, or this reader's first event would count drops from before it existed.
        while let Some(item) = ring.next() {
            if let Some(rec) = decode(&item) {
                if (drop_delta(dropped_total, rec.dropped) as i32) > 0 {
                    dropped_total = rec.dropped;
                }
            }
        }
        Ok(BpfEvents {
            ring,
            fd,
            _lock: lock,
            names,
            dropped_total,
        })
    }

    fn take_event(&mut self, rec: &abi::EventRecord) -> Result<Event> {
        let event = event_from_record(
            rec,
            &self.names,
            VIA,
            drop_delta(self.dropped_total, rec.dropped),
        )?;
        self.dropped_total = rec.dropped;
        Ok(event)
    }

    /// Waits until the ring buffer polls readable; `false` on timeout.
    fn wait(&self, deadline: Option<Instant>) -> Result<bool> {
        wait_readable(self.fd.as_fd(), deadline, PollFlags::POLLIN, VIA)
    }
}

/// Records lost between two records: the program stamps each record with its running drop
/// total (low 32 bits), so the difference is what this reader missed.
fn drop_delta(previous_total: u32, total: u32) -> u32 {
    total.wrapping_sub(previous_total)
}

/// A ring buffer record, if it has the expected size.
fn decode(item: &[u8]) -> Option<abi::EventRecord> {
    <&[u8; abi::EVENT_SIZE]>::try_from(item)
        .ok()
        .map(abi::EventRecord::from_bytes)
}

impl EventSource for BpfEvents {
    fn via(&self) -> Interface {
        VIA
    }

    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }

    fn next_timeout(&mut self, timeout: Option<Duration>) -> Result<Option<Event>> {
        let deadline = timeout.map(|t| Instant::now() + t);
        loop {
            if let Some(item) = self.ring.next() {
                let rec = decode(&item).ok_or_else(|| {
                    Error::protocol(VIA, format!("ring buffer record of {} bytes", item.len()))
                })?;
                return self.take_event(&rec).map(Some);
            }
            if !self.wait(deadline)? {
                return Ok(None);
            }
            if deadline.is_some_and(|d| Instant::now() >= d) {
                // Readable but nothing to take (a wake-up without a record): give the ring one
                // more look, then time out.
                return match self.ring.next().map(|item| decode(&item)) {
                    Some(Some(rec)) => self.take_event(&rec).map(Some),
                    Some(None) => Err(Error::protocol(VIA, "malformed ring buffer record")),
                    None => Ok(None),
                };
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_entry_round_trips() {
        let e = LineEntry {
            seq: 7,
            timestamp_ns: 123_456_789,
            changes: 3,
            value: 255,
            source: abi::SOURCE_IOCTL,
            kind: abi::KIND_LED,
            flags: LINE_VALID | LINE_SEEDED,
        };
        assert_eq!(LineEntry::from_bytes(&e.to_bytes()), e);
        assert_eq!(e.to_bytes()[31], 0);
    }

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
        assert_eq!(lines.key_size(), 4);
        assert_eq!(lines.value_size() as usize, LINE_ENTRY_SIZE);
        assert_eq!(lines.max_entries() as usize, abi::MAX_LINES);
        let events = map(MAPS[1].0);
        assert_eq!(events.map_type(), 27); // BPF_MAP_TYPE_RINGBUF
        assert!(events.max_entries().is_power_of_two() && events.max_entries() >= 4096);
        let stats = map(MAPS[2].0);
        assert_eq!(stats.value_size() as usize, STATS_SIZE);
        assert_eq!(stats.max_entries(), 1);
    }

    #[test]
    fn ctx_fields_match_the_c_asserts() {
        let src = include_str!("../bpf/kbridge.bpf.c");
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

    #[test]
    fn drop_deltas_wrap() {
        assert_eq!(drop_delta(5, 5), 0);
        assert_eq!(drop_delta(5, 9), 4);
        assert_eq!(drop_delta(u32::MAX - 1, 2), 4);
    }
}
