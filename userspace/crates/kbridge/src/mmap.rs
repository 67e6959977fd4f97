//! mmap backend: the read-only shared state page of `/dev/kbridge`.
//!
//! Values, change counters and the sequence number come from the page (no system call per
//! read). Names and maxima are static after probe and the page does not carry them: they are
//! read once with `LINE_INFO` on the same file descriptor when the backend opens.

use kbridge_abi as abi;

use crate::backend::Backend;
use crate::device::{Device, StaticLine};
use crate::sys::shm::SharedPage;
use crate::{BoardInfo, Config, Error, Interface, LineInfo, LineKind, Result};

const VIA: Interface = Interface::Mmap;

/// Attempts before a snapshot gives up (the kernel holds the seqcount odd only for a few
/// stores, so this is only reached if something is badly wrong).
const MAX_ATTEMPTS: u32 = 10_000;

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

    /// A consistent, validated snapshot of the page.
    pub fn snapshot(&self) -> Result<abi::SharedState> {
        let bytes = self.page.snapshot(MAX_ATTEMPTS).ok_or_else(|| {
            Error::protocol(
                VIA,
                "the kernel kept the shared page busy (seqcount stayed odd)",
            )
        })?;
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
}
