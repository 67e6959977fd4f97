// SPDX-License-Identifier: GPL-2.0

//! `/proc/kbridge`: a read-only status file in the format of
//! `kbridge_abi::ProcBoard` (one record per line, one consistent snapshot).
//!
//! C header: [include/linux/proc_fs.h](srctree/include/linux/proc_fs.h)
//!
//! Linux 6.12's bindings have no `proc_*`: the glue creates a single-show
//! entry whose show callback is [`kbridge_rust_proc_show`].

use core::ffi::{c_int, c_void};
use core::fmt::Write;
use core::ptr::NonNull;
use kernel::prelude::*;
use kernel::sync::Arc;

use crate::abi;
use crate::board::{Board, Iface};
use crate::sys::ffi;

/// The registered proc entry.
///
/// # Invariants
///
/// `entry` is live until drop; its data is a strong reference to the board
/// (from `Arc::into_raw`), released on drop after `proc_remove()`, which waits
/// for running show callbacks.
pub(crate) struct Registration {
    entry: NonNull<ffi::proc_dir_entry>,
    board: *const Board,
}

// SAFETY: the registration only holds pointers used on drop, from any thread.
unsafe impl Send for Registration {}
// SAFETY: no shared access at all.
unsafe impl Sync for Registration {}

impl Registration {
    pub(crate) fn new(board: Arc<Board>) -> Result<Self> {
        let raw = Arc::into_raw(board);
        // SAFETY: creates "/proc/kbridge" with `raw` as its data.
        let entry = unsafe { ffi::kbridge_glue_proc_create(raw.cast_mut().cast::<c_void>()) };
        match NonNull::new(entry) {
            // INVARIANT: entry live, data holds the reference from `into_raw`.
            Some(entry) => Ok(Registration { entry, board: raw }),
            None => {
                // SAFETY: undo `into_raw` above; nothing else saw `raw`.
                drop(unsafe { Arc::from_raw(raw) });
                Err(ENOMEM)
            }
        }
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        // SAFETY: `entry` is live (type invariant); proc_remove() waits for
        // in-flight callbacks, so nothing uses `board` afterwards.
        unsafe { ffi::kbridge_glue_proc_remove(self.entry.as_ptr()) };
        // SAFETY: the reference taken in `new` (type invariant).
        drop(unsafe { Arc::from_raw(self.board) });
    }
}

/// `core::fmt::Write` onto a seq_file.
struct Seq(*mut ffi::seq_file);

impl Write for Seq {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        // SAFETY: `self.0` is the seq_file of the running show callback.
        unsafe { ffi::kbridge_glue_seq_write(self.0, s.as_ptr().cast(), s.len()) };
        Ok(())
    }
}

fn show(board: &Board, out: &mut Seq) -> Result {
    board.count(Iface::Procfs);
    board.with_state(|st| {
        let _ = writeln!(out, "{}", abi::ProcAbi);
        let _ = writeln!(
            out,
            "{}",
            abi::ProcBoard {
                name: board.label.as_str(),
                num_lines: board.lines.len() as u32,
                seq: st.seq()
            }
        );
        for (i, l) in board.lines.iter().enumerate() {
            let s = st.line(i);
            let line = abi::ProcLine {
                index: i as u32,
                name: l.name.as_str(),
                kind: l.kind,
                value: s.value,
                max_value: l.max,
                flags: l.flags,
                changes: s.changes,
                last_source: s.last_source,
                last_change_ns: s.last_ns,
            };
            let _ = writeln!(out, "{line}");
        }
        let _ = writeln!(
            out,
            "{}",
            abi::ProcOps {
                counts: board.ops()
            }
        );
        let _ = writeln!(
            out,
            "{}",
            abi::ProcEvents {
                delivered: st.delivered(),
                dropped: st.dropped()
            }
        );
    })?;
    let nl = board.with_publisher(|p| abi::ProcNetlink {
        sent: p.sent,
        failed: p.failed,
        lost: p.lost,
        replies_lost: p.replies_lost,
    });
    let _ = writeln!(out, "{nl}");
    Ok(())
}

#[no_mangle]
unsafe extern "C" fn kbridge_rust_proc_show(m: *mut ffi::seq_file, _v: *mut c_void) -> c_int {
    // SAFETY: `m` is the seq_file of our entry; its private data is the board
    // pointer given at creation, alive while the entry exists.
    let Some(board) = (unsafe { ffi::kbridge_glue_seq_private(m).cast::<Board>().as_ref() }) else {
        return ENODEV.to_errno();
    };
    match show(board, &mut Seq(m)) {
        Ok(()) => 0,
        Err(e) => e.to_errno(),
    }
}
