//! A BPF ring buffer (`BPF_MAP_TYPE_RINGBUF`) consumer: the protocol of libbpf's
//! `ringbuf_process_ring()`, over memmap2 mappings of the map's file descriptor.
//!
//! aya 0.13's `RingBuf` can't be used for a *pinned* ring buffer that was read before: it
//! starts with a producer-position cache of 0, so when the shared consumer position is not 0
//! it treats unwritten memory as records and never stops. This reader loads both positions.
//!
//! Layout (kernel/bpf/ringbuf.c): page 0 holds the consumer position (user-writable),
//! page 1 the producer position, then the data pages, mapped twice in a row so a record that
//! wraps around the end reads contiguously. Each record starts with an 8-byte header whose
//! first `u32` is its length plus the BUSY (still being written) and DISCARD bits.
//!
//! The kernel writes the data pages and the producer position while we read them, so no Rust
//! reference to them is ever created: positions and headers are atomic loads through raw
//! pointers, record bodies are copied out once the header says they are committed.

use std::io;
use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};

use memmap2::{MmapOptions, MmapRaw};

const BUSY_BIT: u32 = 1 << 31;
const DISCARD_BIT: u32 = 1 << 30;
const HDR_SZ: usize = 8;

/// One consumer of one BPF ring buffer.
#[derive(Debug)]
pub(crate) struct RingReader {
    /// Page 0: the consumer position, read-write.
    consumer: MmapRaw,
    /// Page 1 (producer position) and the data pages twice, read-only.
    producer: MmapRaw,
    page: usize,
    mask: usize,
    /// Our copy of the consumer position.
    pos: usize,
}

impl RingReader {
    /// Maps the ring buffer behind `fd`, whose data area is `size` bytes (the map's
    /// `max_entries`: a power-of-two multiple of the page size).
    pub(crate) fn map(fd: &impl AsRawFd, size: usize, page: usize) -> io::Result<Self> {
        if !size.is_power_of_two() || !page.is_power_of_two() || size % page != 0 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("ring buffer size {size} is not a power-of-two multiple of {page}"),
            ));
        }
        let consumer = MmapOptions::new().len(page).map_raw(fd.as_raw_fd())?;
        let producer = MmapOptions::new()
            .offset(page as u64)
            .len(page + 2 * size)
            .map_raw_read_only(fd.as_raw_fd())?;
        if consumer.len() < page
            || producer.len() < page + 2 * size
            || consumer.as_ptr().align_offset(page) != 0
            || producer.as_ptr().align_offset(page) != 0
        {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "ring buffer mapping too small or misaligned",
            ));
        }
        let mut r = RingReader {
            consumer,
            producer,
            page,
            mask: size - 1,
            pos: 0,
        };
        r.pos = r.consumer_pos().load(Ordering::Acquire);
        Ok(r)
    }

    fn consumer_pos(&self) -> &AtomicUsize {
        // SAFETY: the consumer mapping is one page (checked in `map`), page-aligned, alive as
        // long as `self`, and read-write; an `unsigned long` (usize) at its start is the
        // consumer position. The kernel only reads it; other processes may write it, which
        // atomics allow. `AtomicUsize` has the layout of `usize`.
        unsafe { AtomicUsize::from_ptr(self.consumer.as_mut_ptr().cast::<usize>()) }
    }

    fn producer_pos(&self) -> usize {
        // SAFETY: the producer mapping starts with the page-aligned producer position
        // (`unsigned long`), alive as long as `self`. Read-only memory: only a load, of a
        // lock-free size, which is allowed there; the kernel's concurrent stores are what
        // atomics are for. Acquire pairs with the kernel's release store after a commit.
        let p = unsafe { AtomicUsize::from_ptr(self.producer.as_ptr().cast::<usize>().cast_mut()) };
        p.load(Ordering::Acquire)
    }

    /// The header word at data offset `off` (`off < size`, 8-aligned).
    fn header(&self, off: usize) -> u32 {
        // SAFETY: `off <= mask` and data starts at `page`, so the 4 bytes lie within the
        // mapping (page + 2 * size long); records are 8-aligned, so the u32 is 4-aligned.
        // Read-only memory, a lock-free atomic load, as in `producer_pos`.
        let h = unsafe {
            AtomicU32::from_ptr(
                self.producer
                    .as_ptr()
                    .add(self.page + off)
                    .cast::<u32>()
                    .cast_mut(),
            )
        };
        h.load(Ordering::Acquire)
    }

    /// The next committed record (discarded ones are skipped), or `None` when the ring is
    /// empty or the next record is still being written.
    pub(crate) fn next(&mut self) -> Option<Vec<u8>> {
        loop {
            if self.pos == self.producer_pos() {
                return None;
            }
            let off = self.pos & self.mask;
            let header = self.header(off);
            if header & BUSY_BIT != 0 {
                return None;
            }
            let len = (header & !(BUSY_BIT | DISCARD_BIT)) as usize;
            if len > self.mask + 1 - HDR_SZ {
                // Corrupt: give up on this ring rather than read past it.
                return None;
            }
            let mut body = vec![0u8; len];
            if header & DISCARD_BIT == 0 {
                // SAFETY: `off + HDR_SZ + len <= 2 * size`, inside the double-mapped data
                // area, which is alive as long as `self`. The record is committed (the
                // acquire load of its header saw BUSY clear) and the kernel won't reuse its
                // space until we advance the consumer position below, so nothing writes these
                // bytes during the copy; `body` is a separate allocation.
                unsafe {
                    std::ptr::copy_nonoverlapping(
                        self.producer.as_ptr().add(self.page + off + HDR_SZ),
                        body.as_mut_ptr(),
                        len,
                    );
                }
            }
            self.pos = self.pos.wrapping_add((len + HDR_SZ + 7) & !7);
            self.consumer_pos().store(self.pos, Ordering::Release);
            if header & DISCARD_BIT == 0 {
                return Some(body);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::FileExt;

    const PAGE: usize = 4096;
    const SIZE: usize = 4096;

    /// A file laid out like a ring buffer map: consumer page, producer page, data (the real
    /// map's second copy of the data pages is not needed while records don't wrap).
    fn ring_file(consumer: usize, records: &[(u32, &[u8])]) -> std::fs::File {
        let path = std::env::temp_dir().join(format!(
            "kbridge-ringbuf-test-{}-{consumer}",
            std::process::id()
        ));
        let f = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(&path)
            .unwrap();
        std::fs::remove_file(&path).unwrap();
        f.set_len((2 * PAGE + 2 * SIZE) as u64).unwrap();
        let mut pos = 0usize;
        for &(flags, body) in records {
            let header = (body.len() as u32) | flags;
            f.write_at(&header.to_ne_bytes(), (2 * PAGE + pos) as u64)
                .unwrap();
            f.write_at(body, (2 * PAGE + pos + HDR_SZ) as u64).unwrap();
            pos += (body.len() + HDR_SZ + 7) & !7;
        }
        f.write_at(&consumer.to_ne_bytes(), 0).unwrap();
        f.write_at(&pos.to_ne_bytes(), PAGE as u64).unwrap();
        f
    }

    fn read_all(r: &mut RingReader) -> Vec<Vec<u8>> {
        std::iter::from_fn(|| r.next()).collect()
    }

    #[test]
    fn reads_committed_records_and_skips_discarded_ones() {
        let f = ring_file(0, &[(0, b"abcd"), (DISCARD_BIT, b"gone"), (0, &[7u8; 32])]);
        let mut r = RingReader::map(&f, SIZE, PAGE).unwrap();
        assert_eq!(read_all(&mut r), vec![b"abcd".to_vec(), vec![7u8; 32]]);
        let mut pos = [0u8; 8];
        f.read_at(&mut pos, 0).unwrap();
        assert_eq!(
            usize::from_ne_bytes(pos),
            16 + 16 + 40,
            "consumer position published"
        );
    }

    #[test]
    fn starts_at_the_shared_consumer_position() {
        // What aya 0.13's RingBuf gets wrong: a ring already read up to 32 by someone else.
        let f = ring_file(32, &[(0, b"old1"), (0, b"old2"), (0, b"new!")]);
        let mut r = RingReader::map(&f, SIZE, PAGE).unwrap();
        assert_eq!(read_all(&mut r), vec![b"new!".to_vec()]);
        assert!(r.next().is_none());
    }

    #[test]
    fn stops_at_a_busy_record() {
        let f = ring_file(0, &[(0, b"done"), (BUSY_BIT, b"wip!")]);
        let mut r = RingReader::map(&f, SIZE, PAGE).unwrap();
        assert_eq!(read_all(&mut r), vec![b"done".to_vec()]);
    }

    #[test]
    fn rejects_bad_sizes() {
        let f = ring_file(0, &[]);
        assert!(RingReader::map(&f, 3000, PAGE).is_err());
    }
}
