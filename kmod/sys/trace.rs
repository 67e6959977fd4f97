// SPDX-License-Identifier: GPL-2.0

//! The module's tracepoint, `kbridge:kbridge_line_change` (docs/bpf.md).
//!
//! C header: [trace/kbridge.h](trace/kbridge.h)
//!
//! [`crate::board`] fires it from the one place every change is recorded,
//! under the board lock, so its events come in sequence order. BPF programs
//! attached to it (bpf/kbridge.bpf.c) mirror the state into BPF maps.

use crate::abi::EventRecord;
use crate::sys::ffi_trace;

/// Fires the tracepoint for the change `c` (its `dropped` is not part of
/// the event). A static branch: nearly free when nothing is attached.
pub(crate) fn line_change(c: &EventRecord) {
    // SAFETY: plain integers by value; the tracepoint may fire in any
    // context, including under the board's mutex.
    unsafe {
        ffi_trace::kbridge_trace_line_change(
            u32::from(c.line),
            c.old_value,
            c.new_value,
            c.seq,
            u32::from(c.source),
            u32::from(c.kind),
            c.timestamp_ns,
        )
    }
}
