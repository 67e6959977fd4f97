// SPDX-License-Identifier: GPL-2.0

//! The board's state and the one way it changes.
//!
//! Every change, whoever makes it, goes through [`State::record`]: it bumps
//! the global sequence number, stores one event in the ring, updates the
//! line, and tells the [`Env`] (which updates the shared page, fires the
//! tracepoint and notifies sysfs pollers). The caller holds the board lock
//! around every `&mut State` call, so every interface sees one order.
//!
//! Requests ([`Op`]s) are atomic: every op is checked before anything is
//! written; a hardware error undoes what was already written, and a line
//! whose undo fails too is re-read and recorded, so the state never claims a
//! value the hardware doesn't have.

use core::borrow::Borrow;
use core::ops::{Deref, DerefMut};
use core::sync::atomic::{AtomicU64, Ordering};

use super::name::Name;
use super::ring::{Peek, Ring};
use crate::abi::{self, EventRecord};

/// What never changes about a line after probe.
#[derive(Clone, Copy, Debug)]
pub struct LineDesc {
    /// Its name (unique on the board).
    pub name: Name,
    /// `abi::KIND_*`.
    pub kind: u8,
    /// `abi::LINE_FLAG_*`.
    pub flags: u32,
    /// The highest value (1 for GPIOs, the LED's max brightness).
    pub max: u32,
}

/// What changes about a line.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LineState {
    /// The current value.
    pub value: u32,
    /// Changes recorded since probe (wrapping).
    pub changes: u64,
    /// When the last change was recorded (or the probe), in ns.
    pub last_ns: u64,
    /// Who made the last change (`abi::SOURCE_*`).
    pub last_source: u8,
}

/// Interfaces that count operations (`abi::PROC_OPS_FIELDS` order).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Iface {
    /// /proc/kbridge reads.
    Procfs = 0,
    /// sysfs attribute reads and writes.
    Sysfs = 1,
    /// Character device reads and writes.
    Chardev = 2,
    /// ioctl calls.
    Ioctl = 3,
    /// mmap calls.
    Mmap = 4,
    /// Generic netlink requests.
    Netlink = 5,
}

impl Iface {
    /// How many interfaces count operations.
    pub const COUNT: usize = 6;
}

// The counters and their names in /proc/kbridge stay the same length.
const _: () = assert!(Iface::COUNT == abi::PROC_OPS_FIELDS.len());

/// Operations counted per interface: atomics, so that counting needs no
/// lock (the board keeps them beside its locked [`State`]).
#[derive(Debug, Default)]
pub struct OpCounters([AtomicU64; Iface::COUNT]);

impl OpCounters {
    /// All zero.
    pub const fn new() -> Self {
        // An array repeat of a const item, not of a value (AtomicU64 isn't
        // Copy); each element is its own atomic.
        #[allow(clippy::declare_interior_mutable_const)]
        const ZERO: AtomicU64 = AtomicU64::new(0);
        OpCounters([ZERO; Iface::COUNT])
    }

    /// Counts one operation of `iface` (wrapping).
    pub fn count(&self, iface: Iface) {
        if let Some(c) = self.0.get(iface as usize) {
            c.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// The counts, in `Iface` order.
    pub fn get(&self) -> [u64; Iface::COUNT] {
        let mut out = [0; Iface::COUNT];
        for (o, c) in out.iter_mut().zip(self.0.iter()) {
            *o = c.load(Ordering::Relaxed);
        }
        out
    }
}

/// A requested change.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// Set line `.0` to `.1`.
    Set(usize, u32),
    /// 0 becomes the line's maximum, anything else 0.
    Toggle(usize),
}

/// The indices of the set bits of `mask`, lowest first.
pub fn bits(mask: u64) -> impl Iterator<Item = usize> + Clone {
    let mut m = mask;
    core::iter::from_fn(move || {
        if m == 0 {
            return None;
        }
        let i = m.trailing_zeros() as usize;
        m &= m.wrapping_sub(1);
        Some(i)
    })
}

/// Why a request was refused or failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal<E> {
    /// An unknown line, an input line, or a value above the maximum (EINVAL).
    Invalid,
    /// An LED a trigger drives (EBUSY).
    Busy,
    /// The board was unbound (ENODEV).
    Gone,
    /// The hardware failed (its error); what was written was undone.
    Hw(E),
}

/// What a request did. It can record changes even when refused: LED changes
/// made outside kbridge are picked up first, and a failed undo records what
/// the hardware holds. `recorded` says the readers have something to see.
#[derive(Debug, PartialEq, Eq)]
#[must_use]
pub struct Done<T, E> {
    /// The request's own result.
    pub result: Result<T, Refusal<E>>,
    /// Whether any change was recorded.
    pub recorded: bool,
}

/// What the model reaches outside itself: the hardware, the clock, and the
/// listeners of recorded changes. The module implements it over gpiolib, the
/// LED core and the interfaces; the host tests over a simulated board.
pub trait Env {
    /// The hardware's error.
    type Error;
    /// Now, in ns (the event timestamps' clock).
    fn now_ns(&self) -> u64;
    /// The line's value as the hardware reports it.
    fn read(&self, line: usize) -> Result<u32, Self::Error>;
    /// Drives the line to `value`.
    fn write(&self, line: usize, value: u32) -> Result<(), Self::Error>;
    /// Whether kbridge may write the line now (false: an LED a trigger drives).
    fn writable(&self, line: usize) -> bool;
    /// For LED lines, the brightness the LED core has now (it can change
    /// behind kbridge's back); None for other lines.
    fn led_brightness(&self, line: usize) -> Option<u32>;
    /// Change `rec` was recorded; `lines` and `seq` are the state after it.
    fn recorded(&mut self, lines: &[LineState], seq: u64, rec: &EventRecord);
    /// Undoing a failed request failed too on `line` (to be logged).
    fn undo_failed(&self, line: usize, error: &Self::Error);
}

/// Everything that changes, kept under the board lock. `B` is the event
/// ring's storage, `L` the lines' (one [`LineState`] per line): both are
/// allocated by the caller, so that the model never allocates and the state
/// itself stays a few words (the kernel builds it on a small stack).
#[derive(Debug)]
pub struct State<B, L> {
    /// False once the device is unbound: every operation then fails (Gone).
    alive: bool,
    /// One per line, at most `abi::MAX_LINES`.
    lines: L,
    seq: u64,
    ring: Ring<B>,
    delivered: u64,
    dropped: u64,
}

impl<B, L> State<B, L>
where
    B: Deref<Target = [abi::EventRecord]> + DerefMut,
    L: Deref<Target = [LineState]> + DerefMut,
{
    /// The state at probe: each line holds the `value` the caller put in
    /// `lines` (as read from the hardware at `now`); no changes, no events.
    /// None for more than `abi::MAX_LINES` lines.
    pub fn new(ring: Ring<B>, mut lines: L, now: u64) -> Option<Self> {
        if lines.len() > abi::MAX_LINES {
            return None;
        }
        for l in lines.iter_mut() {
            *l = LineState {
                value: l.value,
                changes: 0,
                last_ns: now,
                last_source: abi::SOURCE_INIT,
            };
        }
        Some(State {
            alive: true,
            lines,
            seq: 0,
            ring,
            delivered: 0,
            dropped: 0,
        })
    }

    /// The lines' state, in line order.
    pub fn lines(&self) -> &[LineState] {
        &self.lines
    }

    /// Line `i`'s state (all zero for a line that doesn't exist).
    pub fn line(&self, i: usize) -> LineState {
        self.lines().get(i).copied().unwrap_or_default()
    }

    /// The sequence number of the newest event.
    pub fn seq(&self) -> u64 {
        self.seq
    }

    /// Events consumed by readers.
    pub fn delivered(&self) -> u64 {
        self.delivered
    }

    /// Events readers lost to the ring.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    /// Whether the board is still bound.
    pub fn alive(&self) -> bool {
        self.alive
    }

    /// The device is unbound: every further operation fails with Gone.
    pub fn kill(&mut self) {
        self.alive = false;
    }

    /// The single place a change is recorded: line `i` becomes `new` on
    /// behalf of `source`.
    pub fn record<E: Env>(
        &mut self,
        env: &mut E,
        descs: &[LineDesc],
        i: usize,
        new: u32,
        source: u8,
    ) {
        let now = env.now_ns();
        let Some(l) = self.lines.get_mut(i) else {
            return;
        };
        let old = l.value;
        l.value = new;
        l.changes = l.changes.wrapping_add(1);
        l.last_ns = now;
        l.last_source = source;
        self.seq = self.seq.wrapping_add(1);
        let rec = EventRecord {
            seq: self.seq,
            timestamp_ns: now,
            line: i as u16,
            source,
            kind: descs.get(i).map_or(0, |d| d.kind),
            old_value: old,
            new_value: new,
            dropped: 0,
        };
        self.ring.store(rec);
        env.recorded(self.lines(), self.seq, &rec);
    }

    /// Records the LEDs whose brightness changed behind kbridge's back (LED
    /// class sysfs, triggers), with source `kernel`. Returns whether any did.
    pub fn refresh_leds<E: Env>(&mut self, env: &mut E, descs: &[LineDesc]) -> bool {
        let mut changed = false;
        for i in 0..self.lines.len() {
            if !matches!(descs.get(i), Some(d) if d.kind == abi::KIND_LED) {
                continue;
            }
            let Some(v) = env.led_brightness(i) else {
                continue;
            };
            if self.line(i).value != v {
                self.record(env, descs, i, v, abi::SOURCE_KERNEL);
                changed = true;
            }
        }
        changed
    }

    /// A consistent snapshot is about to be read: Gone once unbound; picks up
    /// LED changes first. Returns whether it recorded any.
    pub fn refresh<E: Env>(&mut self, env: &mut E, descs: &[LineDesc]) -> Done<(), E::Error> {
        if !self.alive {
            return Done {
                result: Err(Refusal::Gone),
                recorded: false,
            };
        }
        Done {
            result: Ok(()),
            recorded: self.refresh_leds(env, descs),
        }
    }

    /// The values `ops` would leave, applied in order to a copy of the
    /// current ones; refuses the whole request if any op is invalid. `ops`
    /// is walked once: a slice, or an iterator that builds them on the fly.
    pub fn plan<E: Env, I>(
        &self,
        env: &E,
        descs: &[LineDesc],
        ops: I,
    ) -> Result<[u32; abi::MAX_LINES], Refusal<E::Error>>
    where
        I: IntoIterator,
        I::Item: Borrow<Op>,
    {
        let mut target = [0u32; abi::MAX_LINES];
        for (t, l) in target.iter_mut().zip(self.lines()) {
            *t = l.value;
        }
        for op in ops {
            let (i, v) = match *op.borrow() {
                Op::Set(i, v) => (i, v),
                Op::Toggle(i) => {
                    let d = descs.get(i).ok_or(Refusal::Invalid)?;
                    let cur = target.get(i).copied().ok_or(Refusal::Invalid)?;
                    (i, abi::toggled_value(cur, d.max))
                }
            };
            if i >= self.lines.len() {
                return Err(Refusal::Invalid);
            }
            let d = descs.get(i).ok_or(Refusal::Invalid)?;
            abi::check_set(d.kind, d.max, v).map_err(|_| Refusal::Invalid)?;
            if !env.writable(i) {
                return Err(Refusal::Busy);
            }
            *target.get_mut(i).ok_or(Refusal::Invalid)? = v;
        }
        Ok(target)
    }

    /// Applies `ops` atomically on behalf of `source`. Returns the sequence
    /// number after the changes.
    pub fn apply<E: Env, I>(
        &mut self,
        env: &mut E,
        descs: &[LineDesc],
        ops: I,
        source: u8,
    ) -> Done<u64, E::Error>
    where
        I: IntoIterator,
        I::Item: Borrow<Op>,
    {
        if !self.alive {
            return Done {
                result: Err(Refusal::Gone),
                recorded: false,
            };
        }
        // LEDs changed behind kbridge's back are recorded first: their
        // readers must be woken whatever becomes of the request itself.
        let mut recorded = self.refresh_leds(env, descs);
        let result = self.apply_checked(env, descs, ops, source, &mut recorded);
        Done { result, recorded }
    }

    fn apply_checked<E: Env, I>(
        &mut self,
        env: &mut E,
        descs: &[LineDesc],
        ops: I,
        source: u8,
        recorded: &mut bool,
    ) -> Result<u64, Refusal<E::Error>>
    where
        I: IntoIterator,
        I::Item: Borrow<Op>,
    {
        let target = self.plan(env, descs, ops)?;
        // The lines to write, and their old values: the state's own (it does
        // not change until the records below).
        let mut old = [0u32; abi::MAX_LINES];
        let mut changed = 0u64;
        for (i, (l, t)) in self.lines().iter().zip(target.iter()).enumerate() {
            if l.value != *t {
                changed |= 1u64 << i;
                if let Some(o) = old.get_mut(i) {
                    *o = l.value;
                }
            }
        }
        let new_of = |i: usize| target.get(i).copied().unwrap_or(0);
        // Write the hardware; undo on error.
        for i in bits(changed) {
            if let Err(e) = env.write(i, new_of(i)) {
                let old_of = |j: usize| {
                    (changed & (1u64 << j) != 0).then(|| old.get(j).copied().unwrap_or(0))
                };
                if self.undo(env, descs, i, old_of) {
                    *recorded = true;
                }
                return Err(Refusal::Hw(e));
            }
        }
        for i in bits(changed) {
            self.record(env, descs, i, new_of(i), source);
            *recorded = true;
        }
        Ok(self.seq)
    }

    /// A write to line `failed` failed: puts back the old value of every line
    /// before it that `old_of` says was written. A line whose undo fails too
    /// is reported to the env, and its value re-read from the hardware and
    /// recorded (source kernel). Returns whether it recorded such a change.
    fn undo<E: Env>(
        &mut self,
        env: &mut E,
        descs: &[LineDesc],
        failed: usize,
        old_of: impl Fn(usize) -> Option<u32>,
    ) -> bool {
        let mut recorded = false;
        for j in 0..failed {
            let Some(old) = old_of(j) else {
                continue;
            };
            let Err(e) = env.write(j, old) else {
                continue;
            };
            env.undo_failed(j, &e);
            // Whatever the line reads now is its state; record it if it differs.
            if let Ok(v) = env.read(j) {
                if self.line(j).value != v {
                    self.record(env, descs, j, v, abi::SOURCE_KERNEL);
                    recorded = true;
                }
            }
        }
        recorded
    }

    /// An input line's interrupt fired: reads it and records a change if any.
    /// Returns whether it recorded one.
    pub fn hw_edge<E: Env>(&mut self, env: &mut E, descs: &[LineDesc], i: usize) -> bool {
        if !self.alive || i >= self.lines.len() {
            return false;
        }
        let Ok(v) = env.read(i) else {
            return false;
        };
        if self.line(i).value == v {
            return false;
        }
        self.record(env, descs, i, v, abi::SOURCE_HARDWARE);
        true
    }

    /// Copies the events after `cursor` into `out` without consuming them:
    /// the reader hands them on, then calls [`Self::consume`] with how many
    /// arrived, so a failed copy loses nothing.
    pub fn peek(&self, cursor: u64, out: &mut [EventRecord]) -> Result<Peek, Refusal<()>> {
        if !self.alive {
            return Err(Refusal::Gone);
        }
        Ok(self.ring.peek(self.seq, cursor, out))
    }

    /// A reader at `cursor` goes away without reading further: the events
    /// it had already lost to the ring count as dropped, as they would have
    /// on its next read. (Events still in the ring were not lost: nobody
    /// asked for them.) Returns how many.
    pub fn close_reader(&mut self, cursor: u64) -> u64 {
        let lost = self.ring.lost(self.seq, cursor);
        self.dropped = self.dropped.wrapping_add(lost);
        lost
    }

    /// Consumes the first `copied` events of `peek` (at most `peek.n`): moves
    /// the reader's `cursor` past them and counts them, and the lost ones, as
    /// delivered and dropped. Returns false, consuming nothing, when another
    /// read of the same file consumed events since the peek (the caller
    /// peeks again).
    pub fn consume(&mut self, cursor: &AtomicU64, peek: &Peek, copied: usize) -> bool {
        let copied = copied.min(peek.n);
        if copied == 0 {
            return true;
        }
        if cursor
            .compare_exchange(
                peek.cursor,
                peek.end(copied),
                Ordering::AcqRel,
                Ordering::Acquire,
            )
            .is_err()
        {
            return false;
        }
        self.delivered = self.delivered.wrapping_add(copied as u64);
        self.dropped = self.dropped.wrapping_add(peek.lost);
        true
    }
}
