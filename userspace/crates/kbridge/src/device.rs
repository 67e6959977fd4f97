//! `/dev/kbridge`, shared by the ioctl, chardev and mmap backends: opening, the ABI check
//! and the static line table (names, kinds, maxima never change after probe).

use std::fs::{File, OpenOptions};
use std::os::fd::AsFd;
use std::path::PathBuf;

use kbridge_abi as abi;

use crate::sys;
use crate::{BoardInfo, Config, Error, Interface, LineInfo, LineKind, Result, Source};

/// What never changes about a line after probe.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct StaticLine {
    pub(crate) name: String,
    pub(crate) kind: LineKind,
    pub(crate) max_value: u32,
}

#[derive(Debug)]
pub(crate) struct Device {
    via: Interface,
    path: PathBuf,
    file: File,
    writable: bool,
    board_name: Option<String>,
    table: Option<Vec<StaticLine>>,
}

impl Device {
    /// Opens the device read-only (enough for everything but writes), so that a missing module
    /// or missing permission shows up at once.
    pub(crate) fn open(via: Interface, config: &Config) -> Result<Self> {
        let path = config.dev_path();
        let file = File::open(&path).map_err(|e| Error::open(via, "open", &path, e))?;
        Ok(Device {
            via,
            path,
            file,
            writable: false,
            board_name: None,
            table: None,
        })
    }

    pub(crate) fn path(&self) -> &std::path::Path {
        &self.path
    }

    /// The device file; reopened read-write on the first `write` need (the kernel requires a
    /// writable file for writes and for the mutating ioctls).
    pub(crate) fn file(&mut self, write: bool) -> Result<&File> {
        if write && !self.writable {
            self.file = OpenOptions::new()
                .read(true)
                .write(true)
                .open(&self.path)
                .map_err(|e| Error::open(self.via, "open for writing", &self.path, e))?;
            self.writable = true;
        }
        Ok(&self.file)
    }

    pub(crate) fn os(&self, op: &'static str, e: std::io::Error) -> Error {
        Error::io(self.via, op, &self.path, e)
    }

    /// `BOARD_INFO`, with the ABI version checked.
    pub(crate) fn board_info(&mut self) -> Result<BoardInfo> {
        let info =
            sys::ioctl::board_info(self.file.as_fd()).map_err(|e| self.os("read board info", e))?;
        if info.abi_version != abi::ABI_VERSION {
            return Err(Error::AbiMismatch {
                via: self.via,
                kernel: info.abi_version,
                user: abi::ABI_VERSION,
            });
        }
        if info.num_lines as usize > abi::MAX_LINES {
            return Err(Error::protocol(
                self.via,
                format!(
                    "board reports {} lines (max {})",
                    info.num_lines,
                    abi::MAX_LINES
                ),
            ));
        }
        let name = abi::name_from_field(&info.name)
            .map_err(|e| Error::protocol(self.via, format!("board name: {e}")))?
            .to_owned();
        self.board_name = Some(name.clone());
        Ok(BoardInfo {
            name,
            abi_version: info.abi_version,
            num_lines: info.num_lines,
            seq: info.seq,
        })
    }

    /// The board name (cached after the first `BOARD_INFO`).
    pub(crate) fn board_name(&mut self) -> Result<String> {
        match &self.board_name {
            Some(name) => Ok(name.clone()),
            None => Ok(self.board_info()?.name),
        }
    }

    /// `LINE_INFO` for `index`, decoded.
    pub(crate) fn line_info(&mut self, index: u32) -> Result<LineInfo> {
        let raw = sys::ioctl::line_info(self.file.as_fd(), index)
            .map_err(|e| self.os("read line info", e))?;
        let name = abi::name_from_field(&raw.name)
            .map_err(|e| Error::protocol(self.via, format!("name of line {index}: {e}")))?;
        let kind = u8::try_from(raw.kind).map_or(LineKind::Unknown(u8::MAX), LineKind::from_abi);
        let mut info = LineInfo::new(name, kind, raw.value, raw.max_value);
        info.active_low = raw.flags & abi::LINE_FLAG_ACTIVE_LOW != 0;
        info.changes = Some(raw.changes);
        info.last_source =
            Some(u8::try_from(raw.last_source).map_or(Source::Unknown(u8::MAX), Source::from_abi));
        info.last_change_ns = Some(raw.last_change_ns);
        Ok(info)
    }

    /// Every line's `LINE_INFO`, in index order.
    pub(crate) fn all_line_info(&mut self) -> Result<Vec<LineInfo>> {
        let board = self.board_info()?;
        let lines: Vec<LineInfo> = (0..board.num_lines)
            .map(|i| self.line_info(i))
            .collect::<Result<_>>()?;
        self.table = Some(
            lines
                .iter()
                .map(|l| StaticLine {
                    name: l.name.clone(),
                    kind: l.kind,
                    max_value: l.max_value,
                })
                .collect(),
        );
        Ok(lines)
    }

    /// The static line table, read once.
    pub(crate) fn table(&mut self) -> Result<&[StaticLine]> {
        if self.table.is_none() {
            self.all_line_info()?;
        }
        Ok(self.table.as_deref().unwrap_or(&[]))
    }

    /// Index of line `name`, or [`Error::UnknownLine`] with a suggestion.
    pub(crate) fn index_of(&mut self, name: &str) -> Result<usize> {
        let table = self.table()?;
        table.iter().position(|l| l.name == name).ok_or_else(|| {
            crate::backend::unknown_line(name, table.iter().map(|l| l.name.as_str()))
        })
    }

    /// A prepared handle for line `name`, from the static table.
    pub(crate) fn prepare(&mut self, name: &str) -> Result<crate::Line> {
        let index = self.index_of(name)?;
        let via = self.via;
        let line = self
            .table()?
            .get(index)
            .ok_or_else(|| Error::protocol(via, "line index out of range"))?;
        crate::Line::new(line.name.clone(), index, line.kind, line.max_value)
            .ok_or_else(|| Error::protocol(via, "line index above the ABI's maximum"))
    }

    /// Bit mask for `names`, checking that every name exists and none repeats.
    pub(crate) fn mask_of(&mut self, names: &[&str]) -> Result<(u64, Vec<usize>)> {
        crate::backend::check_unique(names.iter().copied())?;
        let mut mask = 0u64;
        let mut indices = Vec::with_capacity(names.len());
        for name in names {
            let index = self.index_of(name)?;
            mask |= 1u64 << index;
            indices.push(index);
        }
        Ok((mask, indices))
    }

    /// Lines as [`LineInfo`] with only static fields, for checking requests.
    pub(crate) fn static_lines(&mut self) -> Result<Vec<LineInfo>> {
        Ok(self
            .table()?
            .iter()
            .map(|l| LineInfo::new(l.name.clone(), l.kind, 0, l.max_value))
            .collect())
    }
}
