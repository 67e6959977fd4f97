//! The shared state page: mapped read-only, read with the seqcount protocol documented at
//! [`kbridge_abi::SharedState`].
//!
//! The kernel writes the page while we read it, so no Rust reference to its bytes is ever
//! created (`memmap2::MmapRaw` hands out raw pointers only). Every read is a relaxed atomic
//! load and the protocol's ordering comes from acquire fences: the C11/Rust way to write a
//! seqlock reader ("Can seqlocks get along with programming language memory models?",
//! Boehm 2012). Relaxed loads of at most pointer size are also what the standard library
//! allows on read-only memory.

use std::fs::File;
use std::io;
use std::sync::atomic::{fence, AtomicU32, AtomicU64, Ordering};

use kbridge_abi as abi;
use memmap2::{MmapOptions, MmapRaw};

/// The snapshot buffer: [`abi::SHARED_STATE_SIZE`] bytes, filled 8 bytes at a time.
const WORDS: usize = abi::SHARED_STATE_SIZE / 8;
const _: () = assert!(abi::SHARED_STATE_SIZE % 8 == 0);
const _: () = assert!(abi::SHARED_OFF_SEQCOUNT % 4 == 0);

/// A read-only mapping of the state page.
#[derive(Debug)]
pub(crate) struct SharedPage {
    map: MmapRaw,
}

impl SharedPage {
    /// Maps [`abi::SHARED_PAGE_SIZE`] bytes of `file` at offset 0, `PROT_READ`, `MAP_SHARED`.
    pub(crate) fn map(file: &File) -> io::Result<Self> {
        let map = MmapOptions::new()
            .len(abi::SHARED_PAGE_SIZE)
            .map_raw_read_only(file)?;
        if map.len() < abi::SHARED_PAGE_SIZE || map.as_ptr().align_offset(8) != 0 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "shared page mapping too small or misaligned",
            ));
        }
        Ok(SharedPage { map })
    }

    /// A consistent copy of the state, or `None` if the kernel kept writing for
    /// `max_attempts` attempts.
    pub(crate) fn snapshot(&self, max_attempts: u32) -> Option<[u8; abi::SHARED_STATE_SIZE]> {
        read_consistent(self, max_attempts, |page| {
            let mut out = [0u8; abi::SHARED_STATE_SIZE];
            for (i, chunk) in out.chunks_exact_mut(8).enumerate().take(WORDS) {
                chunk.copy_from_slice(&page.load_u64(i * 8).to_ne_bytes());
            }
            out
        })
    }
}

/// Word loads from the state page: the shared mapping, or a page in memory in the tests.
pub(crate) trait PageWords {
    /// The u32 at byte offset `off` (4-aligned, inside the state), relaxed.
    fn load_u32(&self, off: usize) -> u32;
    /// The u64 at byte offset `off` (8-aligned, inside the state), relaxed.
    fn load_u64(&self, off: usize) -> u64;
}

impl PageWords for SharedPage {
    #[inline]
    fn load_u32(&self, off: usize) -> u32 {
        if off % 4 != 0 || off + 4 > abi::SHARED_STATE_SIZE {
            return 0;
        }
        // SAFETY: `off + 4 <= SHARED_STATE_SIZE <= SHARED_PAGE_SIZE` (checked just above) and
        // the mapping is at least SHARED_PAGE_SIZE bytes (checked in `map`), alive as long as
        // `self`; the page is 8-aligned and `off` 4-aligned, so the u32 is aligned.
        // `AtomicU32` has the layout of `u32`. The memory is only read, with a relaxed load of
        // a lock-free size, which is allowed on read-only memory, and concurrent kernel writes
        // are what atomics are for.
        let word =
            unsafe { AtomicU32::from_ptr(self.map.as_ptr().add(off).cast::<u32>().cast_mut()) };
        word.load(Ordering::Relaxed)
    }

    #[inline]
    fn load_u64(&self, off: usize) -> u64 {
        if off % 8 != 0 || off + 8 > abi::SHARED_STATE_SIZE {
            return 0;
        }
        // SAFETY: as in `load_u32`, with `off` 8-aligned and `off + 8` inside the state.
        let word =
            unsafe { AtomicU64::from_ptr(self.map.as_ptr().add(off).cast::<u64>().cast_mut()) };
        word.load(Ordering::Relaxed)
    }
}

/// Runs `read` on `page` under the seqcount protocol of [`abi::SharedState`]: waits while
/// the seqcount is odd, reads, and retries when the seqcount changed meanwhile (a torn read).
/// `None` if the kernel kept writing for `max_attempts` attempts. Nothing is copied but what
/// `read` loads, and nothing is allocated.
///
/// The orderings are the C11 seqlock reader's (Boehm 2012): the first seqcount load is
/// followed by an acquire fence (it acts as an acquire load, so the data loads cannot move
/// before it), the data loads are relaxed, and an acquire fence before the second seqcount
/// load keeps them before it.
#[inline]
pub(crate) fn read_consistent<P: PageWords + ?Sized, T>(
    page: &P,
    max_attempts: u32,
    read: impl Fn(&P) -> T,
) -> Option<T> {
    for attempt in 0..max_attempts {
        let before = page.load_u32(abi::SHARED_OFF_SEQCOUNT);
        if abi::seqcount_is_writing(before) {
            backoff(attempt);
            continue;
        }
        fence(Ordering::Acquire);
        let value = read(page);
        fence(Ordering::Acquire);
        if page.load_u32(abi::SHARED_OFF_SEQCOUNT) == before {
            return Some(value);
        }
        backoff(attempt);
    }
    None
}

fn backoff(attempt: u32) {
    if attempt < 64 {
        std::hint::spin_loop();
    } else {
        std::thread::yield_now();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    /// A regular file stands in for the device: map it, read the page through the protocol.
    #[test]
    fn snapshot_of_a_file_backed_page() {
        let path = std::env::temp_dir().join(format!("kbridge-shm-{}", std::process::id()));
        let mut page = vec![0u8; abi::SHARED_PAGE_SIZE];
        let mut state = abi::SharedState::from_bytes(&[]);
        state.magic = abi::SHARED_MAGIC;
        state.num_lines = 1;
        state.seqcount = 2;
        state.seq = 5;
        state.lines[0].value = 1;
        state.write_bytes(&mut page);
        File::create(&path).unwrap().write_all(&page).unwrap();
        let file = File::open(&path).unwrap();
        let shm = SharedPage::map(&file).unwrap();
        let snap = shm.snapshot(10).unwrap();
        assert_eq!(abi::SharedState::from_bytes(&snap), state);

        // A writer that never finishes (odd seqcount): give up, do not hang.
        state.seqcount = 3;
        state.write_bytes(&mut page);
        File::create(&path).unwrap().write_all(&page).unwrap();
        let shm = SharedPage::map(&File::open(&path).unwrap()).unwrap();
        assert!(shm.snapshot(100).is_none());
        let _ = std::fs::remove_file(&path);
    }

    type Update = fn(&mut [u8]);

    /// A page in memory whose "kernel" can run an update between two of the reader's loads.
    struct FakePage {
        bytes: std::cell::RefCell<Vec<u8>>,
        loads: std::cell::Cell<u32>,
        /// Runs before load number `.0` (counting from 1).
        writer: Option<(u32, Update)>,
    }

    impl FakePage {
        fn new(value: u32, seqcount: u32) -> Self {
            let mut bytes = vec![0u8; abi::SHARED_PAGE_SIZE];
            put_u32(&mut bytes, abi::SHARED_OFF_SEQCOUNT, seqcount);
            put_u32(&mut bytes, value_off(), value);
            FakePage {
                bytes: std::cell::RefCell::new(bytes),
                loads: std::cell::Cell::new(0),
                writer: None,
            }
        }

        fn tick(&self) {
            let n = self.loads.get() + 1;
            self.loads.set(n);
            if let Some((at, write)) = self.writer {
                if n == at {
                    write(&mut self.bytes.borrow_mut());
                }
            }
        }
    }

    fn value_off() -> usize {
        abi::shared_line_offset(2).unwrap() + abi::SHARED_LINE_OFF_VALUE
    }

    fn put_u32(b: &mut [u8], off: usize, v: u32) {
        b[off..off + 4].copy_from_slice(&v.to_ne_bytes());
    }

    fn get_u32(b: &[u8], off: usize) -> u32 {
        u32::from_ne_bytes(b[off..off + 4].try_into().unwrap())
    }

    impl PageWords for FakePage {
        fn load_u32(&self, off: usize) -> u32 {
            self.tick();
            get_u32(&self.bytes.borrow(), off)
        }
        fn load_u64(&self, off: usize) -> u64 {
            self.tick();
            u64::from_ne_bytes(self.bytes.borrow()[off..off + 8].try_into().unwrap())
        }
    }

    /// One whole kernel update: seqcount odd, value 7, seqcount even again.
    fn full_update(b: &mut [u8]) {
        let sc = get_u32(b, abi::SHARED_OFF_SEQCOUNT);
        put_u32(b, abi::SHARED_OFF_SEQCOUNT, sc + 1);
        put_u32(b, value_off(), 7);
        put_u32(b, abi::SHARED_OFF_SEQCOUNT, sc + 2);
    }

    #[test]
    fn one_slot_read_is_three_loads() {
        let page = FakePage::new(5, 4);
        let v = read_consistent(&page, 10, |p| p.load_u32(value_off()));
        assert_eq!((v, page.loads.get()), (Some(5), 3));
    }

    #[test]
    fn torn_read_is_retried() {
        // The update lands between the reader's value load (load 2) and its second seqcount
        // load (load 3): the first attempt read the old value under a changed seqcount and
        // must not be returned.
        let mut page = FakePage::new(5, 4);
        page.writer = Some((3, full_update));
        let v = read_consistent(&page, 10, |p| p.load_u32(value_off()));
        assert_eq!((v, page.loads.get()), (Some(7), 6));
    }

    #[test]
    fn odd_seqcount_waits_for_the_writer() {
        // The writer is mid-update (odd) at the first load and finishes before the second
        // attempt's first load (load 2).
        let mut page = FakePage::new(5, 5);
        page.writer = Some((2, |b| {
            put_u32(b, value_off(), 9);
            put_u32(b, abi::SHARED_OFF_SEQCOUNT, 6);
        }));
        let v = read_consistent(&page, 10, |p| p.load_u32(value_off()));
        assert_eq!((v, page.loads.get()), (Some(9), 4));
        let stuck = FakePage::new(5, 5);
        assert_eq!(
            read_consistent(&stuck, 50, |p| p.load_u32(value_off())),
            None
        );
        assert_eq!(
            stuck.loads.get(),
            50,
            "one seqcount load per attempt while odd"
        );
    }
}
