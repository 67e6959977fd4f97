// SPDX-License-Identifier: GPL-2.0

//! The event ring: the newest events, each in slot `seq % len`, and what one
//! reader finds in it.
//!
//! Readers never take events out of the ring: each has a cursor (the `seq`
//! of the last event it consumed). A reader more than `len - 1` events behind
//! loses the oldest ones; the first event it is then given carries how many
//! in its `dropped` field.

use core::ops::{Deref, DerefMut};

use crate::abi::EventRecord;

/// An empty slot.
pub const ZERO_EVENT: EventRecord = EventRecord {
    seq: 0,
    timestamp_ns: 0,
    line: 0,
    source: 0,
    kind: 0,
    old_value: 0,
    new_value: 0,
    dropped: 0,
};

/// The ring over storage `B` (a kernel `KVec`, a host `Vec` or array):
/// allocated by the caller, so that the model never allocates.
#[derive(Debug)]
pub struct Ring<B> {
    buf: B,
}

/// What [`Ring::peek`] found for one reader.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Peek {
    /// The reader's cursor when it peeked.
    pub cursor: u64,
    /// Sequence number of the first event copied out.
    pub first: u64,
    /// Events the reader lost to the ring before `first`.
    pub lost: u64,
    /// Events copied out.
    pub n: usize,
}

impl Peek {
    /// `seq` of the last event copied out (the cursor after consuming all).
    pub fn last(&self) -> u64 {
        self.first
            .saturating_add(self.n as u64)
            .saturating_sub(1)
            .max(self.cursor)
    }

    /// The cursor after consuming the first `copied` events (at most `n`).
    pub fn end(&self, copied: usize) -> u64 {
        let copied = copied.min(self.n);
        if copied == 0 {
            self.cursor
        } else {
            self.first.saturating_add(copied as u64).saturating_sub(1)
        }
    }
}

impl<B: Deref<Target = [EventRecord]> + DerefMut> Ring<B> {
    /// A ring over `buf`; None when `buf` has no slot.
    pub fn new(buf: B) -> Option<Self> {
        (!buf.is_empty()).then_some(Ring { buf })
    }

    /// How many events the ring keeps.
    pub fn len(&self) -> usize {
        self.buf.len()
    }

    /// Always false: a ring has at least one slot.
    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    fn slot(&self, seq: u64) -> usize {
        // The remainder is below len(), so it fits in usize.
        seq.checked_rem(self.buf.len() as u64).unwrap_or(0) as usize
    }

    /// Stores `rec`, overwriting the event `len` before it.
    pub fn store(&mut self, rec: EventRecord) {
        let i = self.slot(rec.seq);
        if let Some(s) = self.buf.get_mut(i) {
            *s = rec;
        }
    }

    /// How many events after `cursor` the ring no longer holds (`newest`
    /// being the newest event).
    pub fn lost(&self, newest: u64, cursor: u64) -> u64 {
        let keep = self.buf.len() as u64;
        let oldest = newest.saturating_sub(keep.saturating_sub(1)).max(1);
        oldest.saturating_sub(cursor.saturating_add(1))
    }

    /// Copies the events after `cursor`, up to `newest`, into `out`, without
    /// consuming them. The first carries in `dropped` how many older events
    /// this reader lost to the ring.
    pub fn peek(&self, newest: u64, cursor: u64, out: &mut [EventRecord]) -> Peek {
        let lost = self.lost(newest, cursor);
        let mut next = cursor.saturating_add(1).saturating_add(lost);
        let first = next;
        let mut n = 0;
        while next <= newest && n < out.len() {
            let Some(mut rec) = self.buf.get(self.slot(next)).copied() else {
                break;
            };
            if n == 0 {
                rec.dropped = u32::try_from(lost).unwrap_or(u32::MAX);
            }
            if let Some(o) = out.get_mut(n) {
                *o = rec;
            }
            n = n.saturating_add(1);
            next = next.saturating_add(1);
        }
        Peek {
            cursor,
            first,
            lost,
            n,
        }
    }
}
