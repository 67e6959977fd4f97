//! Reads of the event stream into bad buffers: a read whose buffer is not writable fails with
//! EFAULT and consumes nothing; a read whose buffer turns unwritable part-way returns the whole
//! records before that point and consumes only those. No event is lost either way.

use std::os::unix::fs::OpenOptionsExt;

use kbridge_abi as abi;

use crate::raw::{self, Straddle};
use crate::report::Report;

pub(crate) fn run(r: &mut Report) {
    let page = raw::page_size();
    // Non-blocking reader: with the events already queued, a read that would block means an
    // event was lost (EAGAIN), and the probe must not hang on it.
    let rd = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(nix::libc::O_NONBLOCK)
        .open(raw::DEV);
    let (rw, rd) = match (raw::open(true), rd) {
        (Ok(rw), Ok(rd)) => (rw, rd),
        (Err(e), _) | (_, Err(e)) => return r.fail("open", format!("{}: {e}", raw::DEV)),
    };
    let state = raw::map(
        &rd,
        page,
        nix::sys::mman::ProtFlags::PROT_READ,
        nix::sys::mman::MapFlags::MAP_SHARED,
        0,
    )
    .ok()
    .and_then(|m| m.state());
    let Some(st) = state else {
        return r.fail("state", "no consistent shared page");
    };
    let Some((out, old)) = (0..st.num_lines).find_map(|i| {
        let l = st.lines.get(i as usize)?;
        (l.kind == abi::KIND_OUTPUT).then_some((i, l.value.min(1)))
    }) else {
        return r.fail("state", "no output line");
    };
    // Two events after the reader's open: the output flipped, then flipped back.
    for v in [1 - old, old] {
        if let Err(e) = raw::set_line(&rw, out, v) {
            return r.fail("events", format!("SET_VALUES: {e}"));
        }
    }
    let seq_of = |b: &[u8]| -> Option<u64> {
        let rec: &[u8; abi::EVENT_SIZE] = b.get(..abi::EVENT_SIZE)?.try_into().ok()?;
        Some(abi::EventRecord::from_bytes(rec).seq)
    };
    let buf = match Straddle::new() {
        Ok(b) => b,
        Err(e) => return r.fail("straddle", e),
    };
    let ev = abi::EVENT_SIZE;

    match raw::read_raw(&rd, buf.unmapped(), ev) {
        Err(nix::errno::Errno::EFAULT) => r.pass("unwritable-buffer-efault"),
        other => r.fail("unwritable-buffer-efault", format!("{other:?}")),
    }
    // Room for two records, of which only the first is writable.
    let at = buf.unmapped() - ev;
    match raw::read_raw(&rd, at, 2 * ev) {
        Ok(n) if n == ev => r.pass("partly-writable-short-read"),
        other => r.fail(
            "partly-writable-short-read",
            format!("{other:?}, expected Ok({ev})"),
        ),
    }
    let got = buf.read_back(at, ev).and_then(|b| seq_of(&b));
    if got == Some(st.seq + 1) {
        r.pass("efault-lost-nothing");
    } else {
        r.fail(
            "efault-lost-nothing",
            format!("first record read has seq {got:?}, expected {}", st.seq + 1),
        );
    }
    let mut next = [0u8; abi::EVENT_SIZE];
    match nix::unistd::read(&rd, &mut next) {
        Ok(n) if n == ev && seq_of(&next) == Some(st.seq + 2) => r.pass("short-read-lost-nothing"),
        other => r.fail(
            "short-read-lost-nothing",
            format!(
                "{other:?}, seq {:?}, expected {}",
                seq_of(&next),
                st.seq + 2
            ),
        ),
    }
}
