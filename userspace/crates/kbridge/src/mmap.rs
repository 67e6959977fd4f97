//! mmap backend: the read-only shared state page of `/dev/kbridge`.
//!
//! Values, change counters and the sequence number come from the page (no system call per
//! read). Names and maxima are static after probe and the page does not carry them: they are
//! read once with `LINE_INFO` on the same file descriptor when the backend opens.
//!
//! [`MmapBackend::value`] and [`MmapBackend::bits`] are the fast path: a few loads from the
//! page under the seqcount, no copy of the page, no system call, no allocation.

use kbridge_abi as abi;

use crate::backend::Backend;
use crate::device::{Device, StaticLine};
use crate::sys::shm::{read_consistent, PageWords, SharedPage};
use crate::{BoardInfo, Config, Error, Interface, Line, LineInfo, LineKind, Result};

const VIA: Interface = Interface::Mmap;

/// Attempts before a snapshot gives up (the kernel holds the seqcount odd only for a few
/// stores, so this is only reached if something is badly wrong).
const MAX_ATTEMPTS: u32 = 10_000;

/// A line's value slot in the shared page ([`MmapBackend::slot`], [`MmapBackend::read`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Slot {
    off: usize,
}

/// Read-only backend over the shared page.
#[derive(Debug)]
pub struct MmapBackend {
    dev: Device,
    page: SharedPage,
    table: Vec<StaticLine>,
    board_name: String,
}

impl MmapBackend {
    /// Opens `/dev/kbridge`, reads the static line table and maps the page.
    pub fn open(config: &Config) -> Result<Self> {
        let mut dev = Device::open(VIA, config)?;
        let board_name = dev.board_name()?;
        let table = dev.table()?.to_vec();
        let page = SharedPage::map(dev.file(false)?)
            .map_err(|e| Error::io(VIA, "map the shared page", dev.path(), e))?;
        Ok(MmapBackend {
            dev,
            page,
            table,
            board_name,
        })
    }

    /// The current value of a prepared line, read from its slot under the seqcount: three
    /// loads and two fences when the kernel is not writing; no copy, no allocation.
    #[inline]
    pub fn value(&self, line: &Line) -> Result<u32> {
        let index = line.index();
        // The table has at most MAX_LINES entries, so an index below its length has a slot:
        // the offset needs no second check.
        if index >= self.table.len() {
            return Err(not_a_line(line));
        }
        let off =
            abi::SHARED_OFF_LINES + index * abi::SHARED_LINE_SIZE + abi::SHARED_LINE_OFF_VALUE;
        match read_consistent(&self.page, MAX_ATTEMPTS, |p| p.load_u32(off)) {
            Some(v) => Ok(v),
            None => Err(busy()),
        }
    }

    /// A line's value slot in the page, resolved once for [`MmapBackend::read`] (`NotFound`
    /// for a line this board doesn't have).
    pub fn slot(&self, line: &Line) -> Result<Slot> {
        let index = line.index();
        if index >= self.table.len() {
            return Err(not_a_line(line));
        }
        Ok(Slot {
            off: abi::SHARED_OFF_LINES + index * abi::SHARED_LINE_SIZE + abi::SHARED_LINE_OFF_VALUE,
        })
    }

    /// The value in `slot`: the fastest read, for polling loops. Everything that can fail was
    /// checked by [`MmapBackend::slot`], so this returns the value itself: the seqcount loop
    /// a C client writes (it retries while the kernel is inside an update, which lasts a few
    /// stores).
    #[inline]
    pub fn read(&self, slot: Slot) -> u32 {
        loop {
            if let Some(v) = read_consistent(&self.page, MAX_ATTEMPTS, |p| p.load_u32(slot.off)) {
                return v;
            }
        }
    }

    /// The values bitmap: bit `i` set iff line `i` is not 0, one consistent read.
    #[inline]
    pub fn bits(&self) -> Result<u64> {
        read_consistent(&self.page, MAX_ATTEMPTS, |p| {
            p.load_u64(abi::SHARED_OFF_VALUES_BITMAP)
        })
        .ok_or_else(busy)
    }

    /// The bare read under [`MmapBackend::value`]: the seqcount loop a C client writes, with
    /// no index check and no `Result` (it spins while the kernel writes). For baselines
    /// (`kbridge bench`); programs want [`MmapBackend::value`].
    #[doc(hidden)]
    #[inline]
    pub fn bare_value(&self, index: usize) -> u32 {
        let off = abi::shared_line_offset(index).unwrap_or(0) + abi::SHARED_LINE_OFF_VALUE;
        loop {
            if let Some(v) = read_consistent(&self.page, u32::MAX, |p| p.load_u32(off)) {
                return v;
            }
        }
    }

    /// A consistent, validated snapshot of the page.
    pub fn snapshot(&self) -> Result<abi::SharedState> {
        let bytes = self.page.snapshot(MAX_ATTEMPTS).ok_or_else(busy)?;
        let state = abi::SharedState::from_bytes(&bytes);
        if state.magic != abi::SHARED_MAGIC {
            return Err(Error::protocol(
                VIA,
                format!("bad magic {:#010x} in the shared page", state.magic),
            ));
        }
        if state.abi_version != abi::ABI_VERSION {
            return Err(Error::AbiMismatch {
                via: VIA,
                kernel: state.abi_version,
                user: abi::ABI_VERSION,
            });
        }
        if (state.header_size as usize) < abi::SHARED_STATE_SIZE
            || state.num_lines as usize != self.table.len()
        {
            return Err(Error::protocol(
                VIA,
                format!(
                    "shared page header_size {} / num_lines {} do not match the device ({} lines)",
                    state.header_size,
                    state.num_lines,
                    self.table.len()
                ),
            ));
        }
        Ok(state)
    }

    /// The device this page belongs to (for diagnostics).
    pub fn device_path(&self) -> &std::path::Path {
        self.dev.path()
    }
}

impl Backend for MmapBackend {
    fn via(&self) -> Interface {
        VIA
    }

    fn board(&mut self) -> Result<BoardInfo> {
        let state = self.snapshot()?;
        Ok(BoardInfo {
            name: self.board_name.clone(),
            abi_version: state.abi_version,
            num_lines: state.num_lines,
            seq: state.seq,
        })
    }

    fn lines(&mut self) -> Result<Vec<LineInfo>> {
        let state = self.snapshot()?;
        Ok(self
            .table
            .iter()
            .zip(state.lines.iter())
            .map(|(fixed, live)| {
                let mut info = LineInfo::new(
                    fixed.name.clone(),
                    LineKind::from_abi(live.kind),
                    live.value,
                    fixed.max_value,
                );
                info.active_low = u32::from(live.flags) & abi::LINE_FLAG_ACTIVE_LOW != 0;
                info.changes = Some(live.changes);
                info.last_change_ns = Some(live.last_change_ns);
                info
            })
            .collect())
    }

    fn prepare(&mut self, name: &str) -> Result<Line> {
        self.dev.prepare(name)
    }

    fn value_of(&mut self, line: &Line) -> Result<u32> {
        self.value(line)
    }
}

#[cold]
fn not_a_line(line: &Line) -> Error {
    Error::protocol(
        VIA,
        format!("line `{}` is not a line of this board", line.name()),
    )
}

#[cold]
fn busy() -> Error {
    Error::protocol(
        VIA,
        "the kernel kept the shared page busy (seqcount stayed odd)",
    )
}

/// The value of line `index` from `page` under the seqcount.
#[inline]
pub(crate) fn read_value<P: PageWords>(page: &P, index: usize, attempts: u32) -> Result<u32> {
    let off = abi::shared_line_offset(index)
        .ok_or_else(|| Error::protocol(VIA, "line index above the ABI's maximum"))?
        + abi::SHARED_LINE_OFF_VALUE;
    read_consistent(page, attempts, |p| p.load_u32(off)).ok_or_else(busy)
}

/// Checks the page's magic and ABI version (they never change after probe).
pub(crate) fn check_header<P: PageWords>(page: &P) -> Result<()> {
    let magic = page.load_u32(abi::SHARED_OFF_MAGIC);
    if magic != abi::SHARED_MAGIC {
        return Err(Error::protocol(
            VIA,
            format!("bad magic {magic:#010x} in the shared page"),
        ));
    }
    let kernel = page.load_u32(abi::SHARED_OFF_ABI_VERSION);
    if kernel != abi::ABI_VERSION {
        return Err(Error::AbiMismatch {
            via: VIA,
            kernel,
            user: abi::ABI_VERSION,
        });
    }
    Ok(())
}
