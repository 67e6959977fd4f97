// SPDX-License-Identifier: GPL-2.0

//! The board model: lines described by the device tree, their state, and the
//! rules a board description must follow.
//!
//! Safe code only: hardware is reached through [`Gpio`] and [`Led`], the
//! firmware node through [`crate::dt`], the shared page through [`SharedPage`].
//!
//! One lock (`Board::state`) protects everything that changes. Every change,
//! whoever makes it, goes through [`State::record`]: it bumps the global
//! sequence number, stores one [`EventRecord`] in the event ring, updates the
//! shared page and notifies sysfs pollers, all under the lock, so every
//! interface sees the same order.
//!
//! Binding (docs/bindings/kbridge,board.yaml): `output-gpios` + `output-names`,
//! `input-gpios` + `input-names`, `leds` (phandles) + `led-names`, optional
//! `label`. Line indices follow that order: outputs, then inputs, then LEDs.

use core::ffi::CStr;
use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use kernel::prelude::*;
use kernel::sync::{Arc, Mutex};

use crate::abi;
use crate::abi::EventRecord;
use crate::dt;
use crate::gpio::Gpio;
use crate::led::Led;
use crate::platform::Device;
use crate::shmem::{PageWriter, SharedPage};
use crate::uaccess::now_ns;

/// A validated line or board name (ABI rules: `abi::validate_name`).
#[derive(Clone, Copy)]
pub(crate) struct Name {
    buf: [u8; abi::NAME_LEN],
    len: usize,
}

impl Name {
    fn new(s: &[u8]) -> Option<Self> {
        abi::validate_name(s).ok()?;
        let mut buf = [0u8; abi::NAME_LEN];
        buf.get_mut(..s.len())?.copy_from_slice(s);
        Some(Name { buf, len: s.len() })
    }

    pub(crate) fn as_bytes(&self) -> &[u8] {
        self.buf.get(..self.len).unwrap_or(&[])
    }

    pub(crate) fn as_str(&self) -> &str {
        // Validated names are ASCII.
        core::str::from_utf8(self.as_bytes()).unwrap_or("?")
    }
}

/// How kbridge reaches a line.
pub(crate) enum Hw {
    Gpio(Gpio),
    Led(Led),
}

impl Hw {
    /// The value the hardware (gpiolib or the LED core) reports.
    fn read(&self) -> Result<u32> {
        match self {
            Hw::Gpio(g) => Ok(u32::from(g.value()?)),
            Hw::Led(l) => Ok(l.brightness()),
        }
    }

    fn write(&self, value: u32) -> Result {
        if crate::fault::hw_write() {
            return Err(EIO);
        }
        match self {
            Hw::Gpio(g) => g.set(value != 0),
            Hw::Led(l) => l.set(value),
        }
    }

    /// Whether kbridge may write the line now: EBUSY for an LED that a
    /// trigger drives (even if the value would not change).
    fn check_writable(&self) -> Result {
        match self {
            Hw::Led(l) if l.has_trigger() => Err(EBUSY),
            _ => Ok(()),
        }
    }
}

/// One group of lines in the binding.
struct Group {
    kind: u8,
    /// `<con_id>-gpios` (None: LEDs, from `leds`).
    con_id: Option<&'static CStr>,
    names: &'static CStr,
}

const GROUPS: [Group; 3] = [
    Group {
        kind: abi::KIND_OUTPUT,
        con_id: Some(c"output"),
        names: c"output-names",
    },
    Group {
        kind: abi::KIND_INPUT,
        con_id: Some(c"input"),
        names: c"input-names",
    },
    Group {
        kind: abi::KIND_LED,
        con_id: None,
        names: c"led-names",
    },
];

/// What never changes about a line after probe.
pub(crate) struct LineDesc {
    pub(crate) name: Name,
    pub(crate) kind: u8,
    pub(crate) flags: u32,
    pub(crate) max: u32,
}

/// Interfaces that count operations (`abi::PROC_OPS_FIELDS` order).
#[derive(Clone, Copy)]
pub(crate) enum Iface {
    Procfs = 0,
    Sysfs = 1,
    Chardev = 2,
    Ioctl = 3,
    Mmap = 4,
    Netlink = 5,
}

/// Events kept for readers; a reader more than this far behind loses the oldest.
pub(crate) const RING: usize = 128;

/// What [`Board::peek_events`] found for one reader.
pub(crate) struct Peek {
    /// The reader's cursor when it peeked.
    cursor: u64,
    /// Sequence number of the first event copied out.
    first: u64,
    /// Events the reader lost to the ring before `first`.
    pub(crate) lost: u64,
    /// Events copied out.
    pub(crate) n: usize,
}

impl Peek {
    /// `seq` of the last event copied out (the cursor after consuming all).
    pub(crate) fn last(&self) -> u64 {
        (self.first + self.n as u64)
            .saturating_sub(1)
            .max(self.cursor)
    }
}

/// A requested change.
#[derive(Clone, Copy)]
pub(crate) enum Op {
    Set(usize, u32),
    Toggle(usize),
}

/// Everything that changes, under `Board::state`.
pub(crate) struct State {
    /// False once the device is unbound: every operation then fails with ENODEV.
    alive: bool,
    /// Hardware handles, index-aligned with `Board::lines`; emptied on unbind.
    hw: KVec<Hw>,
    pub(crate) values: [u32; abi::MAX_LINES],
    pub(crate) changes: [u64; abi::MAX_LINES],
    pub(crate) last_ns: [u64; abi::MAX_LINES],
    pub(crate) last_source: [u8; abi::MAX_LINES],
    pub(crate) seq: u64,
    /// The last `RING` events, by `seq % RING` (on the heap: 4 KiB that must
    /// never be built on the probe's stack).
    ring: KVec<EventRecord>,
    pub(crate) ops: [u64; 6],
    pub(crate) delivered: u64,
    pub(crate) dropped: u64,
    /// Writer's copy of the shared page's seqcount.
    seqcount: u32,
    /// sysfs line directories to notify on a change (index-aligned; empty
    /// when sysfs is not registered).
    notify: KVec<crate::sysfs::LineDir>,
}

/// The board bound to one `kbridge,board` node.
#[pin_data]
pub(crate) struct Board {
    pub(crate) label: Name,
    pub(crate) lines: KVec<LineDesc>,
    #[pin]
    state: Mutex<State>,
    /// `seq` of the newest event, readable without the lock (readers' wait
    /// condition runs in a context that must not sleep).
    seq: AtomicU64,
    /// Set once by `kill`; readable without the lock, like `seq`.
    gone: AtomicBool,
    page: SharedPage,
    /// The netlink event publisher (taken before `state`, never inside it).
    #[pin]
    publisher: Mutex<Publisher>,
}

/// Where the netlink event publisher is in the event stream, and what became
/// of the events it handled (the `netlink` record of `/proc/kbridge`).
pub(crate) struct Publisher {
    /// `seq` of the last event handled.
    pub(crate) cursor: u64,
    /// Events multicast to at least one listener.
    pub(crate) sent: u64,
    /// Events that could not be built or sent (allocation failure, or a
    /// listener asked for `NETLINK_BROADCAST_ERROR` and its socket was full).
    pub(crate) failed: u64,
    /// Events the ring overwrote before the publisher got to them.
    pub(crate) lost: u64,
    /// Replies to changes that the requester's full socket refused (the
    /// change itself was made).
    pub(crate) replies_lost: u64,
}

pub(crate) const ZERO_EVENT: EventRecord = EventRecord {
    seq: 0,
    timestamp_ns: 0,
    line: 0,
    source: 0,
    kind: 0,
    old_value: 0,
    new_value: 0,
    dropped: 0,
};

impl Board {
    /// Reads and validates the board description, then takes the lines.
    /// Any rule broken fails the probe with one dmesg line saying which;
    /// whatever was acquired is released by devres.
    pub(crate) fn probe(dev: &Device<'_>) -> Result<Arc<Self>> {
        let mut label = Name::new(b"kbridge").ok_or(EINVAL)?;
        dt::for_each_string(dev, c"label", |_, s| {
            label = Name::new(s).ok_or_else(|| {
                dev.err_probe(
                    EINVAL,
                    format_args!("label is not a valid name (see docs/bindings)"),
                )
            })?;
            Ok(())
        })?;

        let mut lines: KVec<LineDesc> = KVec::new();
        let mut hw: KVec<Hw> = KVec::new();
        for g in &GROUPS {
            let names_prop = g.names.to_str().unwrap_or("?");
            let n_hw = match g.con_id {
                Some(con) => dt::gpio_count(dev, con)?,
                None => dt::led_count(dev)?,
            };
            let n_names = dt::string_count(dev, g.names)?;
            if n_hw != n_names {
                return Err(dev.err_probe(
                    EINVAL,
                    format_args!(
                        "{} lists {} names but the node has {} {}",
                        names_prop,
                        n_names,
                        n_hw,
                        if g.con_id.is_some() { "GPIOs" } else { "LEDs" }
                    ),
                ));
            }
            if lines.len() + n_hw > abi::MAX_LINES {
                return Err(
                    dev.err_probe(E2BIG, format_args!("more than {} lines", abi::MAX_LINES))
                );
            }
            dt::for_each_string(dev, g.names, |i, s| {
                let Some(name) = Name::new(s) else {
                    return Err(dev.err_probe(
                        EINVAL,
                        format_args!(
                            "{}[{}] is not a valid line name (see docs/bindings)",
                            names_prop, i
                        ),
                    ));
                };
                if lines.iter().any(|l| l.name.as_bytes() == name.as_bytes()) {
                    return Err(dev.err_probe(
                        EINVAL,
                        format_args!("duplicate line name '{}'", name.as_str()),
                    ));
                }
                let idx = u32::try_from(i).map_err(|_| EINVAL)?;
                let (desc, h) = match g.con_id {
                    Some(con) => LineDesc::gpio(dev, name, g.kind, con, idx),
                    None => LineDesc::led(dev, name, idx),
                }
                .map_err(|e| {
                    dev.err_probe(
                        e,
                        format_args!("line '{}': cannot get its hardware", name.as_str()),
                    )
                })?;
                lines.push(desc, GFP_KERNEL)?;
                hw.push(h, GFP_KERNEL)?;
                Ok(())
            })?;
        }

        let mut values = [0u32; abi::MAX_LINES];
        for (i, h) in hw.iter().enumerate() {
            if let Some(v) = values.get_mut(i) {
                *v = h.read()?;
            }
        }
        let page = SharedPage::new()?;
        let ring = KVec::from_elem(ZERO_EVENT, RING, GFP_KERNEL)?;
        let now = now_ns();
        let board = Arc::pin_init(
            pin_init!(Board {
                label,
                lines,
                state <- kernel::new_mutex!(State {
                    alive: true,
                    hw,
                    values,
                    changes: [0; abi::MAX_LINES],
                    last_ns: [now; abi::MAX_LINES],
                    last_source: [abi::SOURCE_INIT; abi::MAX_LINES],
                    seq: 0,
                    ring,
                    ops: [0; 6],
                    delivered: 0,
                    dropped: 0,
                    seqcount: 0,
                    notify: KVec::new(),
                }),
                seq: AtomicU64::new(0),
                gone: AtomicBool::new(false),
                page,
                publisher <- kernel::new_mutex!(Publisher {
                    cursor: 0,
                    sent: 0,
                    failed: 0,
                    lost: 0,
                    replies_lost: 0,
                }),
            }),
            GFP_KERNEL,
        )?;
        board.publish_all();
        board.log_lines();
        Ok(board)
    }

    fn log_lines(&self) {
        let st = self.state.lock();
        pr_info!(
            "board '{}': {} lines\n",
            self.label.as_str(),
            self.lines.len()
        );
        for (i, l) in self.lines.iter().enumerate() {
            let kind = abi::kind_name(l.kind).unwrap_or("?");
            let al = if l.flags & abi::LINE_FLAG_ACTIVE_LOW != 0 {
                " active-low"
            } else {
                ""
            };
            let v = st.values.get(i).copied().unwrap_or(0);
            match st.hw.get(i) {
                Some(Hw::Led(led)) => pr_info!(
                    "line {} '{}': {} value={} max={} (LED {})\n",
                    i,
                    l.name.as_str(),
                    kind,
                    v,
                    l.max,
                    led.name().to_str().unwrap_or("?")
                ),
                _ => pr_info!(
                    "line {} '{}': {} value={}{}\n",
                    i,
                    l.name.as_str(),
                    kind,
                    v,
                    al
                ),
            }
        }
    }

    /// Writes the whole shared page (at probe).
    fn publish_all(&self) {
        let mut st = self.state.lock();
        let n = self.lines.len();
        let st_ref = &*st;
        let seqcount = self.page.update(st.seqcount, |p| {
            p.write_u32(abi::SHARED_OFF_MAGIC, abi::SHARED_MAGIC);
            p.write_u32(abi::SHARED_OFF_ABI_VERSION, abi::ABI_VERSION);
            p.write_u32(abi::SHARED_OFF_HEADER_SIZE, abi::SHARED_STATE_SIZE as u32);
            p.write_u32(abi::SHARED_OFF_NUM_LINES, n as u32);
            for (i, l) in self.lines.iter().enumerate() {
                if let Some(off) = abi::shared_line_offset(i) {
                    p.write_u8(off + abi::SHARED_LINE_OFF_KIND, l.kind);
                    p.write_u8(off + abi::SHARED_LINE_OFF_FLAGS, l.flags as u8);
                }
            }
            publish_lines(p, st_ref, 0..n);
        });
        st.seqcount = seqcount;
    }

    /// Index of the line called `name`.
    pub(crate) fn find(&self, name: &[u8]) -> Option<usize> {
        self.lines.iter().position(|l| l.name.as_bytes() == name)
    }

    pub(crate) fn page(&self) -> &SharedPage {
        &self.page
    }

    /// Counts one operation of `iface`.
    pub(crate) fn count(&self, iface: Iface) {
        let mut st = self.state.lock();
        if let Some(c) = st.ops.get_mut(iface as usize) {
            *c = c.wrapping_add(1);
        }
    }

    /// Runs `f` on a consistent snapshot of the state. LEDs changed behind
    /// kbridge's back (LED class sysfs, triggers) are picked up first, as
    /// changes with source `kernel`.
    pub(crate) fn with_state<R>(&self, f: impl FnOnce(&State) -> R) -> Result<R> {
        let mut st = self.state.lock();
        if !st.alive {
            return Err(ENODEV);
        }
        let changed = self.refresh_leds(&mut st);
        let r = f(&st);
        drop(st);
        if changed {
            self.changed();
        }
        Ok(r)
    }

    fn refresh_leds(&self, st: &mut State) -> bool {
        let mut changed = false;
        for i in 0..self.lines.len() {
            let Some(Hw::Led(led)) = st.hw.get(i) else {
                continue;
            };
            let v = led.brightness();
            if st.values.get(i).copied() != Some(v) {
                self.record(st, i, v, abi::SOURCE_KERNEL);
                changed = true;
            }
        }
        changed
    }

    /// Applies `ops` atomically on behalf of `source`: every op is checked
    /// before anything changes (EINVAL: unknown line, input line, value above
    /// the maximum); a hardware error undoes what was already written.
    /// Returns the sequence number after the changes.
    pub(crate) fn apply(&self, ops: &[Op], source: u8) -> Result<u64> {
        let mut st = self.state.lock();
        if !st.alive {
            return Err(ENODEV);
        }
        // LEDs changed behind kbridge's back are recorded here too: their
        // readers must be woken whatever becomes of the request itself.
        let mut recorded = self.refresh_leds(&mut st);
        let r = self.apply_locked(&mut st, ops, source, &mut recorded);
        drop(st);
        if recorded {
            self.changed();
        }
        r
    }

    /// [`Self::apply`] with the lock held: returns the sequence number after
    /// the changes; sets `recorded` when it recorded any change (readers to wake).
    fn apply_locked(
        &self,
        st: &mut State,
        ops: &[Op],
        source: u8,
        recorded: &mut bool,
    ) -> Result<u64> {
        // Work out the target values in order, on a copy.
        let mut target = st.values;
        for op in ops {
            let (i, v) = match *op {
                Op::Set(i, v) => (i, v),
                Op::Toggle(i) => {
                    let cur = target.get(i).copied().ok_or(EINVAL)?;
                    (
                        i,
                        abi::toggled_value(cur, self.lines.get(i).ok_or(EINVAL)?.max),
                    )
                }
            };
            let d = self.lines.get(i).ok_or(EINVAL)?;
            abi::check_set(d.kind, d.max, v).map_err(|_| EINVAL)?;
            st.hw.get(i).ok_or(ENODEV)?.check_writable()?;
            *target.get_mut(i).ok_or(EINVAL)? = v;
        }
        // Write the hardware; undo on error.
        let n = self.lines.len();
        let current = st.values;
        let changed = |i: usize| -> Option<(u32, u32)> {
            let (old, new) = (*current.get(i)?, *target.get(i)?);
            (old != new).then_some((old, new))
        };
        for i in 0..n {
            let Some((_, new)) = changed(i) else {
                continue;
            };
            if let Err(e) = st.hw.get(i).ok_or(ENODEV)?.write(new) {
                if self.undo(st, i, |j| changed(j).map(|(old, _)| old)) {
                    *recorded = true;
                }
                return Err(e);
            }
        }
        for i in 0..n {
            if let Some((_, new)) = changed(i) {
                self.record(st, i, new, source);
                *recorded = true;
            }
        }
        Ok(st.seq)
    }

    /// A write to line `failed` failed: puts back the old value of every line
    /// before it that `old_of` says was written. A line whose undo fails too is
    /// logged, and its value re-read from the hardware and recorded (source
    /// kernel), so the state never claims a value the hardware doesn't have.
    /// Returns whether it recorded such a change.
    fn undo(&self, st: &mut State, failed: usize, old_of: impl Fn(usize) -> Option<u32>) -> bool {
        let mut recorded = false;
        for j in 0..failed {
            let (Some(old), Some(h)) = (old_of(j), st.hw.get(j)) else {
                continue;
            };
            let Err(e) = h.write(old) else {
                continue;
            };
            let name = self.lines.get(j).map_or("?", |l| l.name.as_str());
            pr_err!(
                "line '{}': undoing a failed request failed too (errno {})\n",
                name,
                e.to_errno()
            );
            // Whatever the line reads now is its state; record it if it differs.
            if let Some(Ok(v)) = st.hw.get(j).map(Hw::read) {
                if st.values.get(j).copied() != Some(v) {
                    self.record(st, j, v, abi::SOURCE_KERNEL);
                    recorded = true;
                }
            }
        }
        recorded
    }

    /// An input line's interrupt fired: read it and record a change if any.
    pub(crate) fn hw_edge(&self, i: usize) {
        let mut st = self.state.lock();
        if !st.alive {
            return;
        }
        let Some(Ok(v)) = st.hw.get(i).map(Hw::read) else {
            return;
        };
        if st.values.get(i).copied() == Some(v) {
            return;
        }
        self.record(&mut st, i, v, abi::SOURCE_HARDWARE);
        drop(st);
        self.changed();
    }

    /// Changes were recorded (the lock is released): wakes the chardev
    /// readers and publishes the events on netlink.
    fn changed(&self) {
        crate::chardev::wake_readers();
        crate::netlink::publish(self);
    }

    /// Runs `f` on the netlink event publisher's state, under its lock
    /// (never taken with `state` held).
    pub(crate) fn with_publisher<R>(&self, f: impl FnOnce(&mut Publisher) -> R) -> R {
        f(&mut self.publisher.lock())
    }

    /// The single place a change is recorded (caller holds the lock).
    fn record(&self, st: &mut State, i: usize, new: u32, source: u8) {
        let Some(old) = st.values.get(i).copied() else {
            return;
        };
        let now = now_ns();
        st.seq += 1;
        let kind = self.lines.get(i).map_or(0, |l| l.kind);
        let rec = EventRecord {
            seq: st.seq,
            timestamp_ns: now,
            line: i as u16,
            source,
            kind,
            old_value: old,
            new_value: new,
            dropped: 0,
        };
        if let Some(slot) = st.ring.get_mut((st.seq % RING as u64) as usize) {
            *slot = rec;
        }
        if let (Some(v), Some(c), Some(t), Some(src)) = (
            st.values.get_mut(i),
            st.changes.get_mut(i),
            st.last_ns.get_mut(i),
            st.last_source.get_mut(i),
        ) {
            *v = new;
            *c = c.wrapping_add(1);
            *t = now;
            *src = source;
        }
        crate::trace::line_change(&rec);
        let st_ref = &*st;
        let seqcount = self
            .page
            .update(st.seqcount, |p| publish_lines(p, st_ref, i..i + 1));
        st.seqcount = seqcount;
        self.seq.store(st.seq, Ordering::Release);
        if let Some(d) = st.notify.get(i) {
            d.notify();
        }
    }

    /// The newest sequence number, without the lock.
    pub(crate) fn seq(&self) -> u64 {
        self.seq.load(Ordering::Acquire)
    }

    /// Copies the events after `cursor` into `out` (the first carries how
    /// many older ones this reader lost to the ring) without consuming them:
    /// the reader hands them to user space, then calls [`Self::consume`] with
    /// how many arrived, so a failed copy loses nothing.
    pub(crate) fn peek_events(&self, cursor: u64, out: &mut [EventRecord]) -> Result<Peek> {
        let st = self.state.lock();
        if !st.alive {
            return Err(ENODEV);
        }
        let oldest = st.seq.saturating_sub(RING as u64 - 1).max(1);
        let mut next = cursor + 1;
        let mut lost = 0u64;
        if next < oldest {
            lost = oldest - next;
            next = oldest;
        }
        let first = next;
        let mut n = 0;
        while next <= st.seq && n < out.len() {
            let Some(rec) = st.ring.get((next % RING as u64) as usize).copied() else {
                break;
            };
            let mut rec = rec;
            if n == 0 {
                rec.dropped = u32::try_from(lost).unwrap_or(u32::MAX);
            }
            if let Some(o) = out.get_mut(n) {
                *o = rec;
            }
            n += 1;
            next += 1;
        }
        Ok(Peek {
            cursor,
            first,
            lost,
            n,
        })
    }

    /// Consumes the first `copied` events of `peek` (at most `peek.n`): moves
    /// the reader's cursor past them and counts them, and the lost ones, as
    /// delivered and dropped. Returns false, consuming nothing, when another
    /// read of the same file consumed events since the peek (the caller
    /// peeks again).
    pub(crate) fn consume(&self, cursor: &AtomicU64, peek: &Peek, copied: usize) -> bool {
        let copied = copied.min(peek.n);
        if copied == 0 {
            return true;
        }
        let mut st = self.state.lock();
        let end = peek.first + copied as u64 - 1;
        if cursor
            .compare_exchange(peek.cursor, end, Ordering::AcqRel, Ordering::Acquire)
            .is_err()
        {
            return false;
        }
        st.delivered += copied as u64;
        st.dropped += peek.lost;
        true
    }

    /// Whether the device was unbound, without the lock.
    pub(crate) fn gone(&self) -> bool {
        self.gone.load(Ordering::Acquire)
    }

    /// The line whose sysfs directory is `kobj` (None once unbound).
    pub(crate) fn sysfs_line(&self, kobj: *mut crate::ffi::kobject) -> Option<usize> {
        self.state.lock().notify.iter().position(|d| d.is(kobj))
    }

    /// Installs the sysfs line directories to notify on changes.
    pub(crate) fn set_notify(&self, dirs: KVec<crate::sysfs::LineDir>) {
        self.state.lock().notify = dirs;
    }

    /// The device is being unbound: refuse every further operation and give
    /// back the hardware handles (devres releases them after `remove`).
    pub(crate) fn kill(&self) {
        let mut st = self.state.lock();
        st.alive = false;
        self.gone.store(true, Ordering::Release);
        st.hw = KVec::new();
        st.notify = KVec::new();
        drop(st);
        crate::chardev::wake_readers_gone();
    }

    /// The input lines' GPIOs, for the interrupt registrations.
    pub(crate) fn input_irqs(&self) -> Result<KVec<(usize, u32)>> {
        let st = self.state.lock();
        let mut v = KVec::new();
        for (i, l) in self.lines.iter().enumerate() {
            if l.kind != abi::KIND_INPUT {
                continue;
            }
            if let Some(Hw::Gpio(g)) = st.hw.get(i) {
                v.push((i, g.irq()?), GFP_KERNEL)?;
            }
        }
        Ok(v)
    }
}

/// Writes lines `range` and the header's changing fields into the page.
fn publish_lines(p: &PageWriter<'_>, st: &State, range: core::ops::Range<usize>) {
    let mut bitmap = 0u64;
    for (i, v) in st.values.iter().enumerate() {
        if *v != 0 {
            bitmap |= 1u64 << i;
        }
    }
    for i in range {
        let Some(off) = abi::shared_line_offset(i) else {
            continue;
        };
        let (Some(&v), Some(&c), Some(&t)) =
            (st.values.get(i), st.changes.get(i), st.last_ns.get(i))
        else {
            continue;
        };
        p.write_u32(off + abi::SHARED_LINE_OFF_VALUE, v);
        p.write_u64(off + abi::SHARED_LINE_OFF_CHANGES, c);
        p.write_u64(off + abi::SHARED_LINE_OFF_LAST_CHANGE_NS, t);
    }
    p.write_u64(abi::SHARED_OFF_SEQ, st.seq);
    p.write_u64(abi::SHARED_OFF_VALUES_BITMAP, bitmap);
}

impl LineDesc {
    fn gpio(dev: &Device<'_>, name: Name, kind: u8, con: &CStr, idx: u32) -> Result<(Self, Hw)> {
        let gpio = Gpio::get(dev, con, idx, kind == abi::KIND_OUTPUT)?;
        let flags = if gpio.is_active_low() {
            abi::LINE_FLAG_ACTIVE_LOW
        } else {
            0
        };
        Ok((
            LineDesc {
                name,
                kind,
                flags,
                max: 1,
            },
            Hw::Gpio(gpio),
        ))
    }

    /// An LED line. kbridge owns the LED: a trigger it carries (the Pi's ACT
    /// LED has one by default) is removed, unless the board node says
    /// `kbridge,keep-led-triggers`; then writes get EBUSY while it is there.
    fn led(dev: &Device<'_>, name: Name, idx: u32) -> Result<(Self, Hw)> {
        let led = Led::get(dev, idx)?;
        if led.has_trigger() && !dt::present(dev, c"kbridge,keep-led-triggers") {
            pr_info!(
                "line '{}': removing the trigger of LED {}; kbridge owns it\n",
                name.as_str(),
                led.name().to_str().unwrap_or("?")
            );
            led.remove_trigger();
        }
        let max = led.max_brightness();
        Ok((
            LineDesc {
                name,
                kind: abi::KIND_LED,
                flags: 0,
                max,
            },
            Hw::Led(led),
        ))
    }
}
