//! [`BpfBackend`]: the read-only [`Backend`] over the pinned line map.

use super::*;

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
