// SPDX-License-Identifier: GPL-2.0

//! The bound board: the pure model ([`crate::model`]) under one lock, with
//! the kernel around it.
//!
//! Safe code only: hardware is reached through [`Gpio`] and [`Led`], the
//! firmware node through [`crate::sys::dt`], the shared page through [`SharedPage`].
//!
//! One lock (`Board::state`) protects everything that changes. Every change,
//! whoever makes it, is recorded by the model (`model::State::record`), which
//! calls back [`KernelEnv::recorded`] under the lock: the tracepoint fires,
//! the shared page and the lock-free `seq` are updated and sysfs pollers are
//! notified, so every interface sees the same order. Once the lock is
//! released, [`Board::changed`] wakes the chardev readers and publishes the
//! events on netlink.
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
use crate::model::{self, Env, LineState, OpCounters, Refusal, Ring};
pub(crate) use crate::model::{Iface, LineDesc, Name, Op, Peek, ZERO_EVENT};
use crate::sys::dt;
use crate::sys::gpio::Gpio;
use crate::sys::kobj::LineDir;
use crate::sys::led::Led;
use crate::sys::platform::Device;
pub(crate) use crate::sys::rcu::Published;
use crate::sys::rcu::Slot;
use crate::sys::shmem::{PageWriter, SharedPage};
use crate::sys::uaccess::now_ns;

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
        if crate::sys::fault::hw_write() {
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

/// Attempts at a lock-free read of the shared page before taking the lock
/// (a writer holds the seqcount odd for a few stores; more attempts than
/// that mean it was preempted mid-update).
const PAGE_READ_TRIES: u32 = 16;

/// The model's state, as the interfaces read it (`Board::with_state`).
pub(crate) type State = model::State<KVec<EventRecord>, KVec<LineState>>;

/// Everything that changes, under `Board::state`.
struct Locked {
    /// Lines, sequence, event ring, counters (the pure model).
    model: State,
    /// Hardware handles, index-aligned with `Board::lines`; emptied on unbind.
    hw: KVec<Hw>,
    /// Writer's copy of the shared page's seqcount.
    seqcount: u32,
    /// sysfs line directories to notify on a change (index-aligned; empty
    /// when sysfs is not registered).
    notify: KVec<LineDir>,
}

/// The model's view of the kernel for one locked operation: the hardware,
/// the clock, and what follows every recorded change (tracepoint, shared
/// page, lock-free `seq`, sysfs pollers).
struct KernelEnv<'a> {
    lines: &'a [LineDesc],
    hw: &'a [Hw],
    page: &'a SharedPage,
    seqcount: &'a mut u32,
    notify: &'a [LineDir],
    seq: &'a AtomicU64,
}

impl Env for KernelEnv<'_> {
    type Error = Error;

    fn now_ns(&self) -> u64 {
        now_ns()
    }

    fn read(&self, line: usize) -> Result<u32> {
        self.hw.get(line).ok_or(ENODEV)?.read()
    }

    fn write(&self, line: usize, value: u32) -> Result {
        self.hw.get(line).ok_or(ENODEV)?.write(value)
    }

    fn writable(&self, line: usize) -> bool {
        self.hw
            .get(line)
            .is_some_and(|h| h.check_writable().is_ok())
    }

    fn led_brightness(&self, line: usize) -> Option<u32> {
        match self.hw.get(line) {
            Some(Hw::Led(led)) => Some(led.brightness()),
            _ => None,
        }
    }

    fn recorded(&mut self, lines: &[LineState], seq: u64, rec: &EventRecord) {
        crate::sys::trace::line_change(rec);
        let i = usize::from(rec.line);
        *self.seqcount = self
            .page
            .update(*self.seqcount, |p| publish_lines(p, lines, seq, i..i + 1));
        self.seq.store(seq, Ordering::Release);
        if let Some(d) = self.notify.get(i) {
            d.notify();
        }
    }

    fn undo_failed(&self, line: usize, error: &Error) {
        let name = self.lines.get(line).map_or("?", |l| l.name.as_str());
        pr_err!(
            "line '{}': undoing a failed request failed too (errno {})\n",
            name,
            error.to_errno()
        );
    }
}

/// The errno for a refusal.
fn errno(r: Refusal<Error>) -> Error {
    match r {
        Refusal::Invalid => EINVAL,
        Refusal::Busy => EBUSY,
        Refusal::Gone => ENODEV,
        Refusal::Hw(e) => e,
    }
}

/// The board bound to one `kbridge,board` node.
#[pin_data]
pub(crate) struct Board {
    pub(crate) label: Name,
    pub(crate) lines: KVec<LineDesc>,
    #[pin]
    state: Mutex<Locked>,
    /// `seq` of the newest event, readable without the lock (readers' wait
    /// condition runs in a context that must not sleep).
    seq: AtomicU64,
    /// Set once by `kill`; readable without the lock, like `seq`.
    gone: AtomicBool,
    /// The lines whose value only kbridge's own records change (GPIOs): for
    /// these the shared page is the whole truth and gets read it without
    /// the lock. LEDs can change behind kbridge's back, so reads of an LED
    /// line take the lock and pick such changes up first.
    page_mask: u64,
    /// Operations per interface, counted without the lock.
    ops: OpCounters,
    /// `seq` of the last event the netlink publisher handled (or skipped,
    /// with nobody listening); only grows.
    nl_cursor: AtomicU64,
    page: SharedPage,
    /// What the interfaces do on changes and unbind.
    hooks: &'static Hooks,
    /// The netlink event publisher (taken before `state`, never inside it).
    #[pin]
    publisher: Mutex<Publisher>,
}

/// What the interfaces do when the board changes, so that the board calls
/// them without knowing them (the driver fills it in: `crate::driver`).
pub(crate) struct Hooks {
    /// After changes were recorded, with the lock released, in order.
    pub(crate) changed: &'static [fn(&Board)],
    /// Once, when the board is unbound (every operation fails from then on).
    pub(crate) gone: &'static [fn()],
}

/// What became of the events the netlink publisher handled (the `netlink`
/// record of `/proc/kbridge`).
pub(crate) struct Publisher {
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

impl Board {
    /// Reads and validates the board description, then takes the lines.
    /// Any rule broken fails the probe with one dmesg line saying which;
    /// whatever was acquired is released by devres.
    pub(crate) fn probe(dev: &Device<'_>, hooks: &'static Hooks) -> Result<Arc<Self>> {
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

        let mut states = KVec::with_capacity(hw.len(), GFP_KERNEL)?;
        for h in hw.iter() {
            let value = h.read()?;
            states.push(
                LineState {
                    value,
                    ..LineState::default()
                },
                GFP_KERNEL,
            )?;
        }
        let page_mask = lines
            .iter()
            .enumerate()
            .filter(|(_, l)| l.kind != abi::KIND_LED)
            .fold(0u64, |m, (i, _)| m | (1u64 << i));
        let page = SharedPage::new()?;
        let ring_size = crate::sys::param::ring_size()?;
        let ring = Ring::new(KVec::from_elem(ZERO_EVENT, ring_size, GFP_KERNEL)?).ok_or(EINVAL)?;
        let model = State::new(ring, states, now_ns()).ok_or(E2BIG)?;
        let board = Arc::pin_init(
            pin_init!(Board {
                label,
                lines,
                state <- kernel::new_mutex!(Locked {
                    model,
                    hw,
                    seqcount: 0,
                    notify: KVec::new(),
                }),
                seq: AtomicU64::new(0),
                gone: AtomicBool::new(false),
                page_mask,
                ops: OpCounters::new(),
                nl_cursor: AtomicU64::new(0),
                page,
                hooks,
                publisher <- kernel::new_mutex!(Publisher {
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
            let v = st.model.line(i).value;
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

    /// Runs `f` on the model and the kernel's side of it, under the lock.
    fn locked<R>(&self, f: impl FnOnce(&mut State, &mut KernelEnv<'_>) -> R) -> R {
        let mut guard = self.state.lock();
        let Locked {
            model,
            hw,
            seqcount,
            notify,
        } = &mut *guard;
        let mut env = KernelEnv {
            lines: &self.lines,
            hw,
            page: &self.page,
            seqcount,
            notify,
            seq: &self.seq,
        };
        f(model, &mut env)
    }

    /// Writes the whole shared page (at probe).
    fn publish_all(&self) {
        let mut st = self.state.lock();
        let n = self.lines.len();
        let model = &st.model;
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
            publish_lines(p, model.lines(), model.seq(), 0..n);
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

    /// Counts one operation of `iface` (no lock).
    pub(crate) fn count(&self, iface: Iface) {
        self.ops.count(iface);
    }

    /// Operations counted per interface.
    pub(crate) fn ops(&self) -> [u64; Iface::COUNT] {
        self.ops.get()
    }

    /// The values of the lines in `mask` (others 0) and the `seq` they are
    /// consistent with, as [`Self::with_state`] would give them. GPIO lines
    /// are read from the shared page without the lock (kbridge records every
    /// change they make, so the page is current); a mask with an LED line,
    /// or a writer that keeps the page busy, takes the lock. EINVAL for an
    /// empty mask or lines that don't exist.
    pub(crate) fn values(&self, mask: u64, out: &mut [u32; abi::MAX_LINES]) -> Result<u64> {
        if self.lock_free(mask)? {
            let fast = self.page.read(PAGE_READ_TRIES, |p| {
                *out = [0; abi::MAX_LINES];
                for i in model::bits(mask) {
                    if let (Some(off), Some(v)) = (abi::shared_line_offset(i), out.get_mut(i)) {
                        *v = p.read_u32(off + abi::SHARED_LINE_OFF_VALUE);
                    }
                }
                p.read_u64(abi::SHARED_OFF_SEQ)
            });
            if let Some(seq) = fast {
                return Ok(seq);
            }
        }
        self.with_state(|st| {
            for (i, v) in out.iter_mut().enumerate() {
                *v = if mask & (1u64 << i) != 0 {
                    st.line(i).value
                } else {
                    0
                };
            }
            st.seq()
        })
    }

    /// Runs `f` on a consistent snapshot of the state. LEDs changed behind
    /// kbridge's back (LED class sysfs, triggers) are picked up first, as
    /// changes with source `kernel`.
    pub(crate) fn with_state<R>(&self, f: impl FnOnce(&State) -> R) -> Result<R> {
        let (r, recorded) = self.locked(|st, env| {
            let done = st.refresh(env, &self.lines);
            (done.result.map(|()| f(st)), done.recorded)
        });
        if recorded {
            self.changed();
        }
        r.map_err(errno)
    }

    /// Applies `ops` atomically on behalf of `source`: every op is checked
    /// before anything changes (EINVAL: unknown line, input line, value above
    /// the maximum; EBUSY: an LED a trigger drives); a hardware error undoes
    /// what was already written. Returns the sequence number after the changes.
    pub(crate) fn apply<I>(&self, ops: I, source: u8) -> Result<u64>
    where
        I: IntoIterator,
        I::Item: core::borrow::Borrow<Op>,
    {
        let done = self.locked(|st, env| st.apply(env, &self.lines, ops, source));
        if done.recorded {
            self.changed();
        }
        done.result.map_err(errno)
    }

    /// An input line's interrupt fired: read it and record a change if any.
    pub(crate) fn hw_edge(&self, i: usize) {
        if self.locked(|st, env| st.hw_edge(env, &self.lines, i)) {
            self.changed();
        }
    }

    /// Changes were recorded (the lock is released): runs the interfaces'
    /// hooks (wake the chardev readers, publish the events on netlink).
    fn changed(&self) {
        for hook in self.hooks.changed {
            hook(self);
        }
    }

    /// Runs `f` on the netlink event publisher's state, under its lock
    /// (never taken with `state` held).
    pub(crate) fn with_publisher<R>(&self, f: impl FnOnce(&mut Publisher) -> R) -> R {
        f(&mut self.publisher.lock())
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
        self.state
            .lock()
            .model
            .peek(cursor, out)
            .map_err(|_| ENODEV)
    }

    /// Consumes the first `copied` events of `peek` (at most `peek.n`): moves
    /// the reader's cursor past them and counts them, and the lost ones, as
    /// delivered and dropped. Returns false, consuming nothing, when another
    /// read of the same file consumed events since the peek (the caller
    /// peeks again).
    pub(crate) fn consume(&self, cursor: &AtomicU64, peek: &Peek, copied: usize) -> bool {
        self.state.lock().model.consume(cursor, peek, copied)
    }

    /// The lines in `mask` as bits (on = non-zero value) and the `seq` they
    /// are consistent with: [`Self::values`] in the form of the page's
    /// `values_bitmap`, so the lock-free case is two loads.
    pub(crate) fn bits(&self, mask: u64) -> Result<(u64, u64)> {
        if self.lock_free(mask)? {
            let fast = self.page.read(PAGE_READ_TRIES, |p| {
                (
                    p.read_u64(abi::SHARED_OFF_VALUES_BITMAP) & mask,
                    p.read_u64(abi::SHARED_OFF_SEQ),
                )
            });
            if let Some(r) = fast {
                return Ok(r);
            }
        }
        self.with_state(|st| {
            let bits = model::bits(mask)
                .filter(|&i| st.line(i).value != 0)
                .fold(0u64, |b, i| b | (1u64 << i));
            (bits, st.seq())
        })
    }

    /// Checks a get's `mask` (EINVAL: empty or naming lines that don't
    /// exist; ENODEV once unbound) and says whether the page can answer it
    /// without the lock (no LED line in it).
    fn lock_free(&self, mask: u64) -> Result<bool> {
        let n = self.lines.len();
        if mask == 0 || (n < 64 && mask >> n != 0) {
            return Err(EINVAL);
        }
        if self.gone() {
            return Err(ENODEV);
        }
        Ok(mask & !self.page_mask == 0)
    }

    /// A reader at `cursor` closes: the events it had already lost to the
    /// ring count as dropped (`/proc/kbridge`), as on its next read.
    pub(crate) fn close_reader(&self, cursor: u64) {
        self.state.lock().model.close_reader(cursor);
    }

    /// The netlink publisher's position in the event stream.
    pub(crate) fn nl_cursor(&self) -> u64 {
        self.nl_cursor.load(Ordering::Acquire)
    }

    /// Moves the netlink publisher's position to `seq`, never backwards.
    pub(crate) fn nl_advance(&self, seq: u64) {
        self.nl_cursor.fetch_max(seq, Ordering::AcqRel);
    }

    /// Whether the device was unbound, without the lock.
    pub(crate) fn gone(&self) -> bool {
        self.gone.load(Ordering::Acquire)
    }

    /// The line whose sysfs directory is `kobj` (None once unbound).
    pub(crate) fn sysfs_line(&self, kobj: *mut crate::sys::ffi::kobject) -> Option<usize> {
        self.state.lock().notify.iter().position(|d| d.is(kobj))
    }

    /// Installs the sysfs line directories to notify on changes.
    pub(crate) fn set_notify(&self, dirs: KVec<LineDir>) {
        self.state.lock().notify = dirs;
    }

    /// The device is being unbound: refuse every further operation and give
    /// back the hardware handles (devres releases them after `remove`).
    pub(crate) fn kill(&self) {
        let mut st = self.state.lock();
        st.model.kill();
        self.gone.store(true, Ordering::Release);
        st.hw = KVec::new();
        st.notify = KVec::new();
        drop(st);
        for hook in self.hooks.gone {
            hook();
        }
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
fn publish_lines(
    p: &PageWriter<'_>,
    lines: &[LineState],
    seq: u64,
    range: core::ops::Range<usize>,
) {
    let mut bitmap = 0u64;
    for (i, l) in lines.iter().enumerate() {
        if l.value != 0 {
            bitmap |= 1u64 << i;
        }
    }
    for i in range {
        let (Some(off), Some(l)) = (abi::shared_line_offset(i), lines.get(i)) else {
            continue;
        };
        p.write_u32(off + abi::SHARED_LINE_OFF_VALUE, l.value);
        p.write_u64(off + abi::SHARED_LINE_OFF_CHANGES, l.changes);
        p.write_u64(off + abi::SHARED_LINE_OFF_LAST_CHANGE_NS, l.last_ns);
    }
    p.write_u64(abi::SHARED_OFF_SEQ, seq);
    p.write_u64(abi::SHARED_OFF_VALUES_BITMAP, bitmap);
}

impl LineDesc {
    fn gpio(dev: &Device<'_>, name: Name, kind: u8, con: &CStr, idx: u32) -> Result<(Self, Hw)> {
        let gpio = Gpio::get(dev, con, idx, kind == abi::KIND_OUTPUT, name.as_bytes())?;
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

/// The bound board, for callbacks that have no other way to find it (misc
/// open, sysfs, interrupts, generic netlink): published by the driver in
/// probe before any of those callbacks is registered, withdrawn in remove
/// after all of them are unregistered. See [`Slot`] for why a reader that
/// saw it holds a live board.
static CURRENT: Slot<Board> = Slot::new();

/// A new reference to the bound board, if any.
pub(crate) fn current() -> Option<Arc<Board>> {
    CURRENT.get()
}

/// Publishes `board` as the bound board until the guard is dropped; EBUSY if
/// one already is.
pub(crate) fn publish(board: &Arc<Board>) -> Result<Published<Board>> {
    CURRENT.publish(board)
}
