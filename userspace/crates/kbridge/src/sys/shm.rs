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

    fn seqcount(&self) -> u32 {
        // SAFETY: the mapping is at least SHARED_PAGE_SIZE bytes (checked in `map`) and lives
        // as long as `self`; SHARED_OFF_SEQCOUNT + 4 is inside it, and the page is 8-aligned,
        // so the u32 there is 4-aligned. `AtomicU32` has the layout of `u32`. The memory is
        // only read, with a relaxed load of a lock-free size, which is allowed on read-only
        // memory, and concurrent kernel writes are what atomics are for.
        let word = unsafe {
            AtomicU32::from_ptr(
                self.map
                    .as_ptr()
                    .add(abi::SHARED_OFF_SEQCOUNT)
                    .cast::<u32>()
                    .cast_mut(),
            )
        };
        word.load(Ordering::Relaxed)
    }

    fn copy_words(&self, out: &mut [u8; abi::SHARED_STATE_SIZE]) {
        let base = self.map.as_ptr().cast::<u64>();
        for (i, chunk) in out.chunks_exact_mut(8).enumerate().take(WORDS) {
            // SAFETY: `i < WORDS`, so the 8 bytes at `base + i` lie within the first
            // SHARED_STATE_SIZE bytes of the mapping (at least SHARED_PAGE_SIZE long, alive
            // as long as `self`), 8-aligned because the page is. Relaxed atomic load of a
            // lock-free size: fine on read-only memory and against concurrent kernel writes.
            let word = unsafe { AtomicU64::from_ptr(base.add(i).cast_mut()) };
            chunk.copy_from_slice(&word.load(Ordering::Relaxed).to_ne_bytes());
        }
    }

    /// A consistent copy of the state, or `None` if the kernel kept writing for
    /// `max_attempts` attempts.
    pub(crate) fn snapshot(&self, max_attempts: u32) -> Option<[u8; abi::SHARED_STATE_SIZE]> {
        let mut out = [0u8; abi::SHARED_STATE_SIZE];
        for attempt in 0..max_attempts {
            let before = self.seqcount();
            if abi::seqcount_is_writing(before) {
                backoff(attempt);
                continue;
            }
            fence(Ordering::Acquire);
            self.copy_words(&mut out);
            fence(Ordering::Acquire);
            if self.seqcount() == before {
                return Some(out);
            }
            backoff(attempt);
        }
        None
    }
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
}
