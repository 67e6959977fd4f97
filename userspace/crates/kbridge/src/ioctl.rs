//! ioctl backend: `KBRIDGE_IOC_*` on `/dev/kbridge`. The only backend that reads several
//! lines as one snapshot *and* writes several lines atomically.
//!
//! The name-based [`Backend`] methods look names up and build a request per call. The fast
//! path works on prepared [`Line`] handles and on requests built once and reused: no lookup
//! and no allocation per call ([`IoctlBackend::get_line`], [`IoctlBackend::set_line`],
//! [`IoctlBackend::get_bits`], [`IoctlBackend::set_bits`]).

use std::os::fd::AsFd;

use kbridge_abi as abi;

use crate::backend::{check_set_request, check_toggle_request, Backend};
use crate::device::Device;
use crate::error::libc_errno;
use crate::sys;
use crate::sys::shm::SharedPage;
use crate::{BoardInfo, Config, Error, Interface, Line, LineInfo, Result};

const VIA: Interface = Interface::Ioctl;

/// Attempts before a page read gives up (as in the mmap backend).
const MAX_ATTEMPTS: u32 = 10_000;

/// What [`Error::Unsupported`] says when the module has no `GET_BITS`/`SET_BITS`.
const NO_BITS: &str = "this kernel module has no GET_BITS/SET_BITS ioctls (ENOTTY): \
                       load a newer module, or use get/set";

/// Backend over the kbridge ioctls.
#[derive(Debug)]
pub struct IoctlBackend {
    dev: Device,
    /// The `GET_VALUES`/`SET_VALUES` request the fast path reuses.
    values: abi::IocValues,
    /// The `GET_BITS`/`SET_BITS` request the fast path reuses.
    bits: abi::IocBits,
    /// `Some(false)` once the kernel answered `ENOTTY` to `SET_BITS`.
    has_bits: Option<bool>,
    /// The shared page, when [`IoctlBackend::map_reads`] mapped it: prepared reads use it.
    page: Option<SharedPage>,
}

impl IoctlBackend {
    /// Opens `/dev/kbridge` read-only; it is reopened read-write on the first write.
    pub fn open(config: &Config) -> Result<Self> {
        Ok(IoctlBackend {
            dev: Device::open(VIA, config)?,
            values: abi::IocValues::request(0),
            bits: abi::IocBits::request(0, 0),
            has_bits: None,
            page: None,
        })
    }

    /// Maps the shared state page of the same device, so that [`IoctlBackend::get_line`]
    /// (and [`Backend::value_of`]) read a prepared line from memory under the seqcount
    /// instead of with a system call. Writes stay ioctls. Fails (and leaves reads on ioctl)
    /// when the page cannot be mapped or does not carry this ABI.
    pub fn map_reads(&mut self) -> Result<()> {
        let file = self.dev.file(false)?;
        let page = SharedPage::map(file)
            .map_err(|e| Error::io(Interface::Mmap, "map the shared page", self.dev.path(), e))?;
        crate::mmap::check_header(&page)?;
        self.page = Some(page);
        Ok(())
    }

    /// Whether prepared reads come from the shared page ([`IoctlBackend::map_reads`]).
    pub fn reads_mapped(&self) -> bool {
        self.page.is_some()
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

    /// The value of a prepared line: from the shared page if [`IoctlBackend::map_reads`]
    /// mapped it; else, for a line whose maximum is 1 (its bit is its value), one 32-byte
    /// `GET_BITS`; else (or on a module without it) one `GET_VALUES`. Requests are reused:
    /// no allocation.
    pub fn get_line(&mut self, line: &Line) -> Result<u32> {
        if let Some(page) = &self.page {
            return crate::mmap::read_value(page, line.index(), MAX_ATTEMPTS);
        }
        if line.max_value() == 1 && self.has_bits != Some(false) {
            self.bits.mask = line.mask();
            self.bits.flags = 0;
            let fd = self.dev.file(false)?.as_fd();
            match sys::ioctl::bits_in_place(fd, false, &mut self.bits) {
                Ok(()) => return Ok(u32::from(self.bits.bits & line.mask() != 0)),
                Err(e) if e.raw_os_error() == Some(libc_errno::ENOTTY) => {
                    self.has_bits = Some(false);
                }
                Err(e) => return Err(self.dev.os("read bits", e)),
            }
        }
        let index = line.index();
        self.values.mask = line.mask();
        let fd = self.dev.file(false)?.as_fd();
        if let Err(e) = sys::ioctl::values_in_place(fd, false, &mut self.values) {
            return Err(self.dev.os("read values", e));
        }
        self.values
            .values
            .get(index)
            .copied()
            .ok_or_else(|| Error::protocol(VIA, "line index out of range"))
    }

    /// Sets a prepared line; returns the global sequence number after the change. 0 and the
    /// line's maximum go through `SET_BITS` (32 bytes), other values (LED brightness) and
    /// kernels without `SET_BITS` through `SET_VALUES`, on reused requests: no allocation.
    pub fn set_line_seq(&mut self, line: &Line, value: u32) -> Result<u64> {
        let mask = line.mask();
        if (value == 0 || value == line.max_value()) && self.has_bits != Some(false) {
            self.bits.mask = mask;
            self.bits.bits = if value == 0 { 0 } else { mask };
            self.bits.flags = 0;
            let fd = self.dev.file(true)?.as_fd();
            match sys::ioctl::bits_in_place(fd, true, &mut self.bits) {
                Ok(()) => {
                    self.has_bits = Some(true);
                    return Ok(self.bits.seq);
                }
                Err(e) if e.raw_os_error() == Some(libc_errno::ENOTTY) => {
                    self.has_bits = Some(false);
                }
                Err(e) => return Err(self.explain_line(e, line, value)),
            }
        }
        let index = line.index();
        self.values.mask = mask;
        if let Some(slot) = self.values.values.get_mut(index) {
            *slot = value;
        }
        let fd = self.dev.file(true)?.as_fd();
        match sys::ioctl::values_in_place(fd, true, &mut self.values) {
            Ok(()) => Ok(self.values.seq),
            Err(e) => Err(self.explain_line(e, line, value)),
        }
    }

    /// `GET_BITS`: bit `i` set iff line `i` (in `mask`) is not 0, in one 32-byte ioctl.
    /// [`Error::Unsupported`] on a module without it (`ENOTTY`).
    pub fn get_bits(&mut self, mask: u64) -> Result<u64> {
        self.bits.mask = mask;
        self.bits.flags = 0;
        let fd = self.dev.file(false)?.as_fd();
        match sys::ioctl::bits_in_place(fd, false, &mut self.bits) {
            Ok(()) => Ok(self.bits.bits),
            Err(e) => Err(self.bits_error("read bits", e)),
        }
    }

    /// `SET_BITS`: every line in `mask` to its maximum (bit on) or 0 (bit off), atomically;
    /// returns the global sequence number after the change. [`Error::Unsupported`] on a
    /// module without it (`ENOTTY`).
    pub fn set_bits(&mut self, mask: u64, bits: u64) -> Result<u64> {
        self.bits.mask = mask;
        self.bits.bits = bits;
        self.bits.flags = 0;
        let fd = self.dev.file(true)?.as_fd();
        match sys::ioctl::bits_in_place(fd, true, &mut self.bits) {
            Ok(()) => Ok(self.bits.seq),
            Err(e) => Err(self.bits_error("write bits", e)),
        }
    }

    /// The bare system call under [`IoctlBackend::get_line`]/[`IoctlBackend::set_line_seq`]:
    /// `GET_VALUES` or `SET_VALUES` on the caller's prebuilt request, errors as `io::Error`.
    /// For baselines (`kbridge bench`); programs want the methods above.
    #[doc(hidden)]
    pub fn bare_values(&mut self, set: bool, arg: &mut abi::IocValues) -> std::io::Result<()> {
        let fd = self.dev.file(set).map_err(std::io::Error::other)?.as_fd();
        sys::ioctl::values_in_place(fd, set, arg)
    }

    /// As [`IoctlBackend::bare_values`] for `GET_BITS`/`SET_BITS`.
    #[doc(hidden)]
    pub fn bare_bits(&mut self, set: bool, arg: &mut abi::IocBits) -> std::io::Result<()> {
        let fd = self.dev.file(set).map_err(std::io::Error::other)?.as_fd();
        sys::ioctl::bits_in_place(fd, set, arg)
    }

    fn bits_error(&mut self, op: &'static str, e: std::io::Error) -> Error {
        if e.raw_os_error() == Some(libc_errno::ENOTTY) {
            self.has_bits = Some(false);
            return Error::Unsupported {
                via: VIA,
                op,
                reason: NO_BITS,
            };
        }
        self.dev.os(op, e)
    }

    fn explain_line(&mut self, e: std::io::Error, line: &Line, value: u32) -> Error {
        self.explain(e, |lines| check_set_request(lines, &[(line.name(), value)]))
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

    /// From the static line table read once (no `LINE_INFO` per call).
    fn prepare(&mut self, name: &str) -> Result<Line> {
        self.dev.prepare(name)
    }

    fn value_of(&mut self, line: &Line) -> Result<u32> {
        self.get_line(line)
    }

    fn set_line(&mut self, line: &Line, value: u32) -> Result<()> {
        self.set_line_seq(line, value).map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use kbridge_abi as abi;

    /// The reused requests start as valid v1 requests: the kernel checks size, flags and
    /// reserved fields on every call.
    #[test]
    fn reused_requests_are_v1() {
        let v = abi::IocValues::request(0);
        assert_eq!(v.size as usize, abi::IOC_VALUES_SIZE_V1);
        assert_eq!(v.check_input(8), Err(abi::IocInputError::Mask));
        let mut v = v;
        v.mask = 1 << 3;
        v.values[3] = 1;
        assert_eq!(v.check_input(8), Ok(()));
        let mut b = abi::IocBits::request(0, 0);
        assert_eq!(b.size as usize, abi::IOC_BITS_SIZE_V1);
        b.mask = 1 << 7;
        b.bits = b.mask;
        assert_eq!(b.check_input(8), Ok(()));
        assert_eq!(abi::bit_value(true, 255), 255);
    }
}
