// SPDX-License-Identifier: GPL-2.0

//! The model against a simulated board: unit tests, then property tests of
//! the state machine (any sequence of requests, edges and failures).

#![allow(
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::cast_lossless,
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc,
    clippy::needless_range_loop,
    // Requests are written as `&[Op]` slices, the way the module's callers pass them.
    clippy::needless_borrows_for_generic_args
)]

use core::cell::{Cell, RefCell};
use core::sync::atomic::AtomicU64;
use std::vec;
use std::vec::Vec;

use proptest::prelude::*;

use crate::abi::{self, EventRecord};
use crate::model::{
    Done, Env, Iface, LineDesc, LineState, Name, Op, OpCounters, Refusal, Ring, State, ZERO_EVENT,
};

/// Two outputs, one input, two LEDs (max 1 and 255).
fn descs() -> Vec<LineDesc> {
    let d = |name: &str, kind, max| LineDesc {
        name: Name::new(name.as_bytes()).unwrap(),
        kind,
        flags: 0,
        max,
    };
    vec![
        d("relay", abi::KIND_OUTPUT, 1),
        d("lamp", abi::KIND_OUTPUT, 1),
        d("button", abi::KIND_INPUT, 1),
        d("status", abi::KIND_LED, 1),
        d("dimmer", abi::KIND_LED, 255),
    ]
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct HwError;

/// The simulated hardware: values, a clock, write failures on demand, and a
/// log of what the model reported.
struct Sim {
    kinds: Vec<u8>,
    hw: RefCell<Vec<u32>>,
    clock: Cell<u64>,
    /// Writes left before every write fails (None: never).
    fail_after: Cell<Option<u32>>,
    /// Lines whose LED is driven by a trigger.
    triggered: RefCell<Vec<bool>>,
    events: Vec<EventRecord>,
    undo_failures: Cell<u32>,
    writes: Cell<u32>,
}

impl Sim {
    fn new(descs: &[LineDesc]) -> Self {
        Sim {
            kinds: descs.iter().map(|d| d.kind).collect(),
            hw: RefCell::new(vec![0; descs.len()]),
            clock: Cell::new(1000),
            fail_after: Cell::new(None),
            triggered: RefCell::new(vec![false; descs.len()]),
            events: Vec::new(),
            undo_failures: Cell::new(0),
            writes: Cell::new(0),
        }
    }
}

impl Env for Sim {
    type Error = HwError;
    fn now_ns(&self) -> u64 {
        self.clock.set(self.clock.get() + 1);
        self.clock.get()
    }
    fn read(&self, line: usize) -> Result<u32, HwError> {
        self.hw.borrow().get(line).copied().ok_or(HwError)
    }
    fn write(&self, line: usize, value: u32) -> Result<(), HwError> {
        self.writes.set(self.writes.get() + 1);
        match self.fail_after.get() {
            Some(0) => return Err(HwError),
            Some(n) => self.fail_after.set(Some(n - 1)),
            None => {}
        }
        *self.hw.borrow_mut().get_mut(line).ok_or(HwError)? = value;
        Ok(())
    }
    fn writable(&self, line: usize) -> bool {
        !self.triggered.borrow()[line]
    }
    fn led_brightness(&self, line: usize) -> Option<u32> {
        (self.kinds[line] == abi::KIND_LED).then(|| self.hw.borrow()[line])
    }
    fn recorded(&mut self, lines: &[LineState], seq: u64, rec: &EventRecord) {
        assert_eq!(rec.seq, seq);
        assert_eq!(lines[usize::from(rec.line)].value, rec.new_value);
        self.events.push(*rec);
    }
    fn undo_failed(&self, _line: usize, _error: &HwError) {
        self.undo_failures.set(self.undo_failures.get() + 1);
    }
}

type St = State<Vec<EventRecord>, Vec<LineState>>;

fn board(ring: usize) -> (Vec<LineDesc>, Sim, St) {
    let d = descs();
    let sim = Sim::new(&d);
    let lines = sim
        .hw
        .borrow()
        .iter()
        .map(|&value| LineState {
            value,
            ..LineState::default()
        })
        .collect();
    let st = State::new(Ring::new(vec![ZERO_EVENT; ring]).unwrap(), lines, 7).unwrap();
    (d, sim, st)
}

fn values(st: &St) -> Vec<u32> {
    st.lines().iter().map(|l| l.value).collect()
}

#[test]
fn set_records_one_event_per_changed_line() {
    let (d, mut sim, mut st) = board(8);
    let done = st.apply(
        &mut sim,
        &d,
        &[Op::Set(0, 1), Op::Set(1, 0), Op::Set(4, 200)],
        abi::SOURCE_IOCTL,
    );
    assert_eq!(
        done,
        Done {
            result: Ok(2),
            recorded: true
        }
    );
    assert_eq!(values(&st), [1, 0, 0, 0, 200]);
    assert_eq!(*sim.hw.borrow(), [1, 0, 0, 0, 200]);
    assert_eq!(sim.events.len(), 2);
    assert_eq!(
        (
            sim.events[0].line,
            sim.events[0].old_value,
            sim.events[0].new_value
        ),
        (0, 0, 1)
    );
    assert_eq!((sim.events[1].line, sim.events[1].new_value), (4, 200));
    let l = st.line(4);
    assert_eq!((l.changes, l.last_source), (1, abi::SOURCE_IOCTL));
    assert_eq!(st.line(2).last_ns, 7, "untouched lines keep the probe time");
}

#[test]
fn ops_apply_in_order_on_a_copy() {
    let (d, mut sim, mut st) = board(8);
    // Toggle twice is a no-op: nothing written, nothing recorded.
    let done = st.apply(
        &mut sim,
        &d,
        &[Op::Toggle(0), Op::Toggle(0)],
        abi::SOURCE_SYSFS,
    );
    assert_eq!(
        done,
        Done {
            result: Ok(0),
            recorded: false
        }
    );
    assert_eq!(sim.writes.get(), 0);
    // Toggle of an LED goes to its maximum.
    let done = st.apply(&mut sim, &d, &[Op::Toggle(4)], abi::SOURCE_SYSFS);
    assert_eq!(done.result, Ok(1));
    assert_eq!(st.line(4).value, 255);
}

#[test]
fn invalid_requests_change_nothing() {
    let (d, mut sim, mut st) = board(8);
    for ops in [
        &[Op::Set(0, 1), Op::Set(2, 1)][..], // input line
        &[Op::Set(0, 1), Op::Set(0, 2)],     // above max
        &[Op::Set(0, 1), Op::Set(5, 0)],     // no such line
        &[Op::Toggle(64)],
        &[Op::Set(usize::MAX, 0)],
    ] {
        let done = st.apply(&mut sim, &d, ops, abi::SOURCE_NETLINK);
        assert_eq!(
            done,
            Done {
                result: Err(Refusal::Invalid),
                recorded: false
            },
            "{ops:?}"
        );
    }
    sim.triggered.borrow_mut()[3] = true;
    let done = st.apply(
        &mut sim,
        &d,
        &[Op::Set(0, 1), Op::Set(3, 0)],
        abi::SOURCE_NETLINK,
    );
    assert_eq!(
        done.result,
        Err(Refusal::Busy),
        "an LED a trigger drives, even at its current value"
    );
    assert_eq!(
        (sim.writes.get(), st.seq(), values(&st)),
        (0, 0, vec![0; 5])
    );
}

#[test]
fn a_failed_write_is_undone() {
    let (d, mut sim, mut st) = board(8);
    sim.fail_after.set(Some(1)); // the first write works, every later one fails
    let done = st.apply(
        &mut sim,
        &d,
        &[Op::Set(0, 1), Op::Set(1, 1)],
        abi::SOURCE_IOCTL,
    );
    assert_eq!(done.result, Err(Refusal::Hw(HwError)));
    // The undo of line 0 failed as well (every write after the first fails):
    // the state records what the hardware holds, as a kernel change.
    assert_eq!(sim.undo_failures.get(), 1);
    assert!(done.recorded);
    assert_eq!(values(&st), *sim.hw.borrow());
    assert_eq!(sim.events.len(), 1);
    assert_eq!(sim.events[0].source, abi::SOURCE_KERNEL);
}

#[test]
fn a_successful_undo_leaves_no_trace() {
    let (d, mut sim, mut st) = board(8);
    // Fail only the second write: make the first succeed, then fail once.
    struct Once<'a>(&'a mut Sim, Cell<u32>);
    impl Env for Once<'_> {
        type Error = HwError;
        fn now_ns(&self) -> u64 {
            self.0.now_ns()
        }
        fn read(&self, l: usize) -> Result<u32, HwError> {
            self.0.read(l)
        }
        fn write(&self, l: usize, v: u32) -> Result<(), HwError> {
            self.1.set(self.1.get() + 1);
            if self.1.get() == 2 {
                Err(HwError)
            } else {
                self.0.write(l, v)
            }
        }
        fn writable(&self, l: usize) -> bool {
            self.0.writable(l)
        }
        fn led_brightness(&self, l: usize) -> Option<u32> {
            self.0.led_brightness(l)
        }
        fn recorded(&mut self, ls: &[LineState], s: u64, r: &EventRecord) {
            self.0.recorded(ls, s, r)
        }
        fn undo_failed(&self, l: usize, e: &HwError) {
            self.0.undo_failed(l, e)
        }
    }
    let mut env = Once(&mut sim, Cell::new(0));
    let done = st.apply(
        &mut env,
        &d,
        &[Op::Set(0, 1), Op::Set(1, 1)],
        abi::SOURCE_IOCTL,
    );
    assert_eq!(
        done,
        Done {
            result: Err(Refusal::Hw(HwError)),
            recorded: false
        }
    );
    assert_eq!((sim.writes.get(), sim.undo_failures.get()), (2, 0));
    assert_eq!(*sim.hw.borrow(), [0; 5]);
    assert_eq!((st.seq(), sim.events.len()), (0, 0));
}

#[test]
fn led_changes_behind_our_back_are_recorded_even_by_refused_requests() {
    let (d, mut sim, mut st) = board(8);
    sim.hw.borrow_mut()[4] = 9; // e.g. echo 9 > /sys/class/leds/.../brightness
    let done = st.apply(&mut sim, &d, &[Op::Set(2, 1)], abi::SOURCE_IOCTL);
    assert_eq!(
        done,
        Done {
            result: Err(Refusal::Invalid),
            recorded: true
        }
    );
    assert_eq!(
        (st.line(4).value, st.line(4).last_source),
        (9, abi::SOURCE_KERNEL)
    );
    sim.hw.borrow_mut()[3] = 1;
    assert_eq!(
        st.refresh(&mut sim, &d),
        Done {
            result: Ok(()),
            recorded: true
        }
    );
    assert_eq!(
        st.refresh(&mut sim, &d),
        Done {
            result: Ok(()),
            recorded: false
        }
    );
}

#[test]
fn edges_and_unbind() {
    let (d, mut sim, mut st) = board(8);
    assert!(!st.hw_edge(&mut sim, &d, 2), "no change, no event");
    sim.hw.borrow_mut()[2] = 1;
    assert!(st.hw_edge(&mut sim, &d, 2));
    assert_eq!(st.line(2).last_source, abi::SOURCE_HARDWARE);
    assert!(!st.hw_edge(&mut sim, &d, 99));
    st.kill();
    sim.hw.borrow_mut()[2] = 0;
    assert!(!st.hw_edge(&mut sim, &d, 2));
    assert_eq!(
        st.apply(&mut sim, &d, &[Op::Set(0, 1)], 0).result,
        Err(Refusal::Gone)
    );
    assert_eq!(st.refresh(&mut sim, &d).result, Err(Refusal::Gone));
    assert_eq!(st.peek(0, &mut [ZERO_EVENT; 4]), Err(Refusal::Gone));
}

#[test]
fn counters() {
    let ops = OpCounters::new();
    ops.count(Iface::Netlink);
    ops.count(Iface::Netlink);
    ops.count(Iface::Procfs);
    assert_eq!(ops.get(), [1, 0, 0, 0, 0, 2]);
    assert!(St::new(
        Ring::new(vec![ZERO_EVENT; 1]).unwrap(),
        vec![LineState::default(); 65],
        0
    )
    .is_none());
    assert!(Ring::new(Vec::<EventRecord>::new()).is_none());
}

#[test]
fn names() {
    assert_eq!(Name::new(b"relay").unwrap().as_str(), "relay");
    assert!(Name::new(b"").is_none());
    assert!(Name::new(&[b'a'; 40]).is_none());
    assert!(Name::new(b"a b").is_none());
}

/// One step of a random session.
#[derive(Debug, Clone)]
enum Step {
    Apply(Vec<Op>),
    /// The input line changes in hardware, then its interrupt fires.
    Edge(u32),
    /// An LED changes behind kbridge's back.
    Led(usize, u32),
    /// In the next request, `n` writes succeed, then every write fails.
    FailAfter(u32),
    Trigger(usize, bool),
    Read(usize),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0usize..7, 0u32..3).prop_map(|(i, v)| Op::Set(i, v)),
        (0usize..7).prop_map(Op::Toggle),
        (0u32..300).prop_map(|v| Op::Set(4, v)),
    ]
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        4 => proptest::collection::vec(op(), 0..5).prop_map(Step::Apply),
        1 => (0u32..2).prop_map(Step::Edge),
        1 => (3usize..5, 0u32..3).prop_map(|(i, v)| Step::Led(i, v)),
        1 => (0u32..3).prop_map(Step::FailAfter),
        1 => (3usize..5, any::<bool>()).prop_map(|(i, t)| Step::Trigger(i, t)),
        1 => (0usize..4).prop_map(Step::Read),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    /// Any session: seq rises by one per event, one event per change,
    /// per-line change counts add up, the state matches the hardware after
    /// every step, refused requests write nothing, a failed request leaves
    /// every line it could undo as it was, and a reader sees every event in
    /// order or is told exactly how many it lost.
    #[test]
    fn state_machine(steps in proptest::collection::vec(step(), 1..40), ring in 1usize..10) {
        let (d, mut sim, mut st) = board(ring);
        let cursor = AtomicU64::new(0);
        let mut seen = 0u64; // seq of the last event the reader saw
        let mut armed = None; // write failures for the next request
        for s in steps {
            let before_seq = st.seq();
            let before_hw = sim.hw.borrow().clone();
            let before_events = sim.events.len();
            let before_undo = sim.undo_failures.get();
            match s {
                Step::Apply(ops) => {
                    let before_writes = sim.writes.get();
                    sim.fail_after.set(armed.take());
                    let done = st.apply(&mut sim, &d, &ops, abi::SOURCE_CHARDEV);
                    sim.fail_after.set(None);
                    let own: Vec<_> = sim.events[before_events..].iter()
                        .filter(|e| e.source == abi::SOURCE_CHARDEV).collect();
                    match done.result {
                        Ok(seq) => prop_assert_eq!(seq, st.seq()),
                        Err(Refusal::Invalid | Refusal::Busy) => {
                            prop_assert_eq!(sim.writes.get(), before_writes);
                            prop_assert!(own.is_empty());
                        }
                        Err(Refusal::Hw(_)) => {
                            prop_assert!(own.is_empty(), "a failed request records no change of its own");
                            if sim.undo_failures.get() == before_undo {
                                // Every write was undone: outputs as before (LEDs may
                                // have been refreshed from the LED core first).
                                for i in 0..2 {
                                    prop_assert_eq!(sim.hw.borrow()[i], before_hw[i]);
                                }
                            }
                        }
                        Err(Refusal::Gone) => prop_assert!(false, "never unbound here"),
                    }
                    prop_assert_eq!(done.recorded, sim.events.len() > before_events);
                }
                Step::Edge(v) => {
                    sim.hw.borrow_mut()[2] = v;
                    let rec = st.hw_edge(&mut sim, &d, 2);
                    prop_assert_eq!(rec, v != before_hw[2]);
                }
                Step::Led(i, v) => sim.hw.borrow_mut()[i] = v,
                Step::FailAfter(n) => armed = Some(n),
                Step::Trigger(i, t) => sim.triggered.borrow_mut()[i] = t,
                Step::Read(n) => {
                    let mut out = vec![ZERO_EVENT; n];
                    let peek = st.peek(cursor.load(core::sync::atomic::Ordering::Acquire), &mut out).unwrap();
                    for (k, e) in out.iter().take(peek.n).enumerate() {
                        prop_assert_eq!(e.seq, peek.first + k as u64);
                        prop_assert_eq!(*e, EventRecord { dropped: e.dropped, ..sim.events[(e.seq - 1) as usize] });
                        prop_assert_eq!(e.dropped as u64, if k == 0 { peek.lost } else { 0 });
                    }
                    if peek.n > 0 {
                        prop_assert_eq!(peek.first, seen + 1 + peek.lost, "lost events are counted exactly");
                    }
                    let delivered = st.delivered();
                    prop_assert!(st.consume(&cursor, &peek, peek.n));
                    prop_assert_eq!(st.delivered(), delivered + peek.n as u64);
                    if peek.n > 0 {
                        seen = peek.last();
                    }
                }
            }
            // seq rises by exactly one per event, and the events are in order.
            prop_assert_eq!(st.seq(), before_seq + (sim.events.len() - before_events) as u64);
            for (k, e) in sim.events.iter().enumerate() {
                prop_assert_eq!(e.seq, k as u64 + 1);
            }
            // The LED core is read only inside requests; everything else
            // must match the hardware after every step.
            let hw = sim.hw.borrow().clone();
            for i in 0..3 {
                prop_assert_eq!(st.line(i).value, hw[i], "line {} claims a value the hardware doesn't have", i);
            }
            let changes: u64 = st.lines().iter().map(|l| l.changes).sum();
            prop_assert_eq!(changes, st.seq());
        }
        prop_assert_eq!(st.delivered() + st.dropped() <= st.seq(), true);
    }
}

#[test]
fn a_reader_closing_behind_the_ring_counts_what_it_lost() {
    // RING - 1, RING, RING + 1 and 2 * RING events with the reader stopped:
    // it lost max(0, B - RING) of them, counted as dropped when it goes away.
    const RING: usize = 8;
    for b in [RING - 1, RING, RING + 1, 2 * RING] {
        let (d, mut sim, mut st) = board(RING);
        for _ in 0..b {
            assert!(st.apply(&mut sim, &d, &[Op::Toggle(0)], 0).result.is_ok());
        }
        assert_eq!(st.seq(), b as u64);
        let lost = st.close_reader(0);
        assert_eq!(lost, b.saturating_sub(RING) as u64, "B = {b}");
        assert_eq!(st.dropped(), lost);
        // A reader that keeps reading learns the same number.
        let peek = st.peek(0, &mut [ZERO_EVENT; 1]).unwrap();
        assert_eq!(peek.lost, lost);
    }
}
