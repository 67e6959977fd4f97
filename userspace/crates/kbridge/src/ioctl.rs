//! ioctl backend: `KBRIDGE_IOC_*` on `/dev/kbridge`. The only backend that reads several
//! lines as one snapshot *and* writes several lines atomically.

use std::os::fd::AsFd;

use kbridge_abi as abi;

use crate::backend::{check_set_request, check_toggle_request, Backend};
use crate::device::Device;
use crate::error::libc_errno;
use crate::sys;
use crate::{BoardInfo, Config, Error, Interface, LineInfo, Result};

const VIA: Interface = Interface::Ioctl;

/// Backend over the kbridge ioctls.
#[derive(Debug)]
pub struct IoctlBackend {
    dev: Device,
}

impl IoctlBackend {
    /// Opens `/dev/kbridge` read-only; it is reopened read-write on the first write.
    pub fn open(config: &Config) -> Result<Self> {
        Ok(IoctlBackend {
            dev: Device::open(VIA, config)?,
        })
    }

    /// Sets lines and returns the global sequence number after the change.
    pub fn set_with_seq(&mut self, values: &[(&str, u32)]) -> Result<u64> {
        let names: Vec<&str> = values.iter().map(|(n, _)| *n).collect();
        let (mask, indices) = self.dev.mask_of(&names)?;
        let mut arg = abi::IocValues::request(mask);
        for (&index, &(_, value)) in indices.iter().zip(values) {
            if let Some(slot) = arg.values.get_mut(index) {
                *slot = value;
            }
        }
        let fd = self.dev.file(true)?.as_fd();
        match sys::ioctl::set_values(fd, arg) {
            Ok(seq) => Ok(seq),
            Err(e) => Err(self.explain(e, |lines| check_set_request(lines, values))),
        }
    }

    /// Turns a refused request into a precise error when the static line table explains it.
    fn explain(
        &mut self,
        e: std::io::Error,
        check: impl FnOnce(&[LineInfo]) -> Result<()>,
    ) -> Error {
        if e.raw_os_error() == Some(libc_errno::EINVAL) {
            if let Ok(lines) = self.dev.static_lines() {
                if let Err(precise) = check(&lines) {
                    return precise;
                }
            }
        }
        self.dev.os("write", e)
    }
}

impl Backend for IoctlBackend {
    fn via(&self) -> Interface {
        VIA
    }

    fn board(&mut self) -> Result<BoardInfo> {
        self.dev.board_info()
    }

    fn lines(&mut self) -> Result<Vec<LineInfo>> {
        self.dev.all_line_info()
    }

    fn line(&mut self, name: &str) -> Result<LineInfo> {
        let index = self.dev.index_of(name)?;
        self.dev.line_info(index as u32)
    }

    /// One `GET_VALUES`: a consistent snapshot.
    fn get(&mut self, names: &[&str]) -> Result<Vec<u32>> {
        let mut unique: Vec<&str> = names.to_vec();
        unique.sort_unstable();
        unique.dedup();
        let (mask, _) = self.dev.mask_of(&unique)?;
        let indices: Vec<usize> = names
            .iter()
            .map(|n| self.dev.index_of(n))
            .collect::<Result<_>>()?;
        let fd = self.dev.file(false)?.as_fd();
        let out = sys::ioctl::get_values(fd, mask).map_err(|e| self.dev.os("read values", e))?;
        indices
            .into_iter()
            .map(|i| {
                out.values
                    .get(i)
                    .copied()
                    .ok_or_else(|| Error::protocol(VIA, "line index out of range"))
            })
            .collect()
    }

    /// One `SET_VALUES`: atomic.
    fn set(&mut self, values: &[(&str, u32)]) -> Result<()> {
        self.set_with_seq(values).map(|_| ())
    }

    /// One `TOGGLE`: atomic.
    fn toggle(&mut self, names: &[&str]) -> Result<()> {
        let (mask, _) = self.dev.mask_of(names)?;
        let fd = self.dev.file(true)?.as_fd();
        match sys::ioctl::toggle(fd, mask) {
            Ok(()) => Ok(()),
            Err(e) => Err(self.explain(e, |lines| check_toggle_request(lines, names))),
        }
    }
}
