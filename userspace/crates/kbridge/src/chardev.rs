//! chardev backend: text commands written to `/dev/kbridge`, change events read from it.
//!
//! Writes use the grammar of [`kbridge_abi::Command`]: every command of one request goes into
//! a single `write()`, which the kernel checks completely before applying anything, so a
//! multi-line set or toggle is atomic. The requests are formatted and checked with the same
//! code the kernel parses them with before they are sent.
//!
//! The character device has no "read state" operation: `read()` returns change events only.
//! Board info, listing and get are therefore unsupported here. To name the lines in events
//! (the records carry indices) the static line table is read once with `LINE_INFO` on the same
//! file descriptor.

use std::collections::VecDeque;
use std::fs::File;
use std::io::{self, Read, Write};
use std::os::fd::{AsFd, BorrowedFd};
use std::time::{Duration, Instant};

use kbridge_abi as abi;
use nix::poll::PollFlags;

use crate::backend::{check_set_request, check_toggle_request, check_unique, Backend};
use crate::device::Device;
use crate::error::libc_errno;
use crate::events::{event_from_record, wait_readable, EventSource, EventStream};
use crate::{BoardInfo, Config, Error, Event, Interface, LineInfo, Result};

const VIA: Interface = Interface::Chardev;

/// Backend over the character device's read/write/poll.
#[derive(Debug)]
pub struct ChardevBackend {
    dev: Device,
    config: Config,
}

/// Formats commands into the body of one `write()`, checked with the kernel's parser.
pub fn format_commands(commands: &[abi::Command<'_>]) -> Result<Vec<u8>> {
    let mut buf = Vec::new();
    for command in commands {
        abi::validate_name(command.name().as_bytes()).map_err(|reason| Error::InvalidName {
            name: command.name().to_owned(),
            reason,
        })?;
        buf.extend_from_slice(command.to_string().as_bytes());
        buf.push(b'\n');
    }
    match abi::validate_commands(&buf) {
        Ok(n) if n == commands.len() => Ok(buf),
        Ok(n) => Err(Error::protocol(
            VIA,
            format!(
                "formatted {} commands but the parser sees {n}",
                commands.len()
            ),
        )),
        Err(e) => Err(Error::protocol(
            VIA,
            format!("request would be refused: {e}"),
        )),
    }
}

impl ChardevBackend {
    /// Opens `/dev/kbridge` read-only; it is reopened read-write on the first write.
    pub fn open(config: &Config) -> Result<Self> {
        Ok(ChardevBackend {
            dev: Device::open(VIA, config)?,
            config: config.clone(),
        })
    }

    fn send(&mut self, body: &[u8], check: impl FnOnce(&[LineInfo]) -> Result<()>) -> Result<()> {
        let mut file = self.dev.file(true)?;
        match file.write(body) {
            Ok(n) if n == body.len() => Ok(()),
            Ok(n) => Err(Error::protocol(
                VIA,
                format!("short write: {n} of {} bytes accepted", body.len()),
            )),
            Err(e) if e.raw_os_error() == Some(libc_errno::EINVAL) => {
                // Explain the refusal from the static line table when possible.
                if let Ok(lines) = self.dev.static_lines() {
                    check(&lines)?;
                }
                Err(self.dev.os("write commands", e))
            }
            Err(e) => Err(self.dev.os("write commands", e)),
        }
    }
}

fn unsupported_read(op: &'static str) -> Error {
    Error::Unsupported {
        via: VIA,
        op,
        reason: "the character device only reports changes; use ioctl, procfs, sysfs or mmap",
    }
}

impl Backend for ChardevBackend {
    fn via(&self) -> Interface {
        VIA
    }

    fn board(&mut self) -> Result<BoardInfo> {
        Err(unsupported_read("read board info"))
    }

    fn lines(&mut self) -> Result<Vec<LineInfo>> {
        Err(unsupported_read("list lines"))
    }

    fn line(&mut self, _name: &str) -> Result<LineInfo> {
        Err(unsupported_read("read a line"))
    }

    fn get(&mut self, _names: &[&str]) -> Result<Vec<u32>> {
        Err(unsupported_read("read values"))
    }

    /// One `write()` of `set` commands: atomic.
    fn set(&mut self, values: &[(&str, u32)]) -> Result<()> {
        check_unique(values.iter().map(|(n, _)| *n))?;
        let commands: Vec<abi::Command<'_>> = values
            .iter()
            .map(|&(name, value)| abi::Command::Set { name, value })
            .collect();
        let body = format_commands(&commands)?;
        self.send(&body, |lines| check_set_request(lines, values))
    }

    /// One `write()` of `toggle` commands: atomic.
    fn toggle(&mut self, names: &[&str]) -> Result<()> {
        check_unique(names.iter().copied())?;
        let commands: Vec<abi::Command<'_>> = names
            .iter()
            .map(|&name| abi::Command::Toggle { name })
            .collect();
        let body = format_commands(&commands)?;
        self.send(&body, |lines| check_toggle_request(lines, names))
    }

    fn events(&mut self) -> Result<EventStream> {
        Ok(EventStream::new(Box::new(ChardevEvents::open(
            &self.config,
        )?)))
    }
}

/// Change events from `/dev/kbridge`: each stream is its own reader (own file, own queue) and
/// sees the changes made after it was opened.
#[derive(Debug)]
pub struct ChardevEvents {
    file: File,
    names: Vec<String>,
    pending: VecDeque<Event>,
    buf: Vec<u8>,
}

/// Records fetched per `read()`.
const BATCH: usize = 16;

/// Decodes the records of one `read()`; the length must be a whole number of records.
pub fn decode_records(bytes: &[u8]) -> Result<Vec<abi::EventRecord>> {
    let chunks = bytes.chunks_exact(abi::EVENT_SIZE);
    if !chunks.remainder().is_empty() {
        return Err(Error::protocol(
            VIA,
            format!(
                "read returned {} bytes, not a whole number of {}-byte records",
                bytes.len(),
                abi::EVENT_SIZE
            ),
        ));
    }
    Ok(chunks
        .filter_map(|c| <&[u8; abi::EVENT_SIZE]>::try_from(c).ok())
        .map(abi::EventRecord::from_bytes)
        .collect())
}

impl ChardevEvents {
    /// Opens a new reader on `/dev/kbridge`.
    pub fn open(config: &Config) -> Result<Self> {
        let mut dev = Device::open(VIA, config)?;
        let names = dev.table()?.iter().map(|l| l.name.clone()).collect();
        // A separate open file: the reader's queue starts now.
        let path = config.dev_path();
        let file = File::open(&path).map_err(|e| Error::open(VIA, "open", &path, e))?;
        Ok(ChardevEvents {
            file,
            names,
            pending: VecDeque::new(),
            buf: vec![0; abi::EVENT_SIZE * BATCH],
        })
    }

    fn to_event(&self, rec: &abi::EventRecord) -> Result<Event> {
        event_from_record(rec, &self.names, VIA, rec.dropped)
    }

    /// Waits for readability; `false` on timeout. POLLERR/POLLHUP: the board is gone.
    fn wait(&self, timeout: Option<Duration>) -> Result<bool> {
        let deadline = timeout.map(|t| Instant::now() + t);
        wait_readable(self.file.as_fd(), deadline, PollFlags::POLLIN, VIA)
    }
}

impl EventSource for ChardevEvents {
    fn via(&self) -> Interface {
        VIA
    }

    fn as_fd(&self) -> BorrowedFd<'_> {
        self.file.as_fd()
    }

    fn next_timeout(&mut self, timeout: Option<Duration>) -> Result<Option<Event>> {
        if let Some(ev) = self.pending.pop_front() {
            return Ok(Some(ev));
        }
        if !self.wait(timeout)? {
            return Ok(None);
        }
        let n = loop {
            match self.file.read(&mut self.buf) {
                Ok(0) => return Err(Error::protocol(VIA, "end of file on the event stream")),
                Ok(n) => break n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    return Err(Error::Os {
                        via: VIA,
                        op: "read events",
                        source: e,
                    })
                }
            }
        };
        for rec in decode_records(self.buf.get(..n).unwrap_or(&[]))? {
            let ev = self.to_event(&rec)?;
            self.pending.push_back(ev);
        }
        Ok(self.pending.pop_front())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_are_formatted_for_one_write() {
        let body = format_commands(&[
            abi::Command::Set {
                name: "led0",
                value: 255,
            },
            abi::Command::Toggle { name: "relay" },
        ])
        .unwrap();
        assert_eq!(body, b"set led0 255\ntoggle relay\n");
        assert!(matches!(
            format_commands(&[abi::Command::Toggle { name: "Bad Name" }]),
            Err(Error::InvalidName { .. })
        ));
    }

    #[test]
    fn records_decode() {
        let fixture = include_bytes!("../tests/fixtures/events.bin");
        let recs = decode_records(fixture).unwrap();
        assert_eq!(recs.len(), 3);
        assert_eq!(recs[0].seq, 1);
        assert_eq!(recs[0].source, abi::SOURCE_SYSFS);
        assert_eq!(recs[2].dropped, 4);
        assert!(decode_records(&fixture[..40]).is_err());
        assert!(decode_records(&[]).unwrap().is_empty());
    }
}
