// SPDX-License-Identifier: GPL-2.0

//! Raw declaration of the tracepoint glue in `kbridge_trace.c`.
//!
//! C header: [kbridge_trace.h](kbridge_trace.h)
//!
//! Only [`crate::sys::trace`] calls it; `tests/host/glue-abi.sh` checks the
//! signature against the header.

use core::ffi::c_uint;

extern "C" {
    /// Fires `kbridge:kbridge_line_change`.
    pub(crate) fn kbridge_trace_line_change(
        line: c_uint,
        old_value: c_uint,
        new_value: c_uint,
        seq: u64,
        source: c_uint,
        kind: c_uint,
        timestamp_ns: u64,
    );
}
