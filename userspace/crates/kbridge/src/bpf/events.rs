//! [`BpfEvents`]: change events from the pinned ring buffer.

use super::*;

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
    fn drop_deltas_wrap() {
        assert_eq!(drop_delta(5, 5), 0);
        assert_eq!(drop_delta(5, 9), 4);
        assert_eq!(drop_delta(u32::MAX - 1, 2), 4);
    }
}
