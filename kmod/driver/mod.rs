// SPDX-License-Identifier: GPL-2.0

//! The driver: binding a `kbridge,board` node makes the [`Board`] and
//! registers everything around it; unbinding tears it down in a fixed order.
//!
//! kbridge binds one board (there is one `/dev/kbridge`); a second
//! `kbridge,board` node fails to probe with EBUSY.
//!
//! Safe code only: the platform trampolines come from
//! [`crate::sys::platform::callbacks`]; the interrupt handlers ([`Edge`])
//! and the LED poll ([`LedPoll`]) are per-board jobs that hold the board,
//! owned by their registrations in [`Bound`], as is `/dev/kbridge`.

use core::ffi::c_uint;
use core::sync::atomic::{AtomicBool, Ordering};
use kernel::prelude::*;
use kernel::sync::Arc;

use crate::board::{self, Board, Hooks, Published};
use crate::iface::{chardev, netlink, procfs, sysfs};
use crate::sys::kobj::LineDirs;
use crate::sys::platform::{self, Device};
use crate::sys::{irq, work};

platform::callbacks!(Bound);

/// What the interfaces do when the board changes (the board knows none of them).
static HOOKS: Hooks = Hooks {
    changed: &[chardev::wake_readers_on_change, netlink::publish],
    gone: &[chardev::wake_readers_gone],
};

/// Whether a board is bound or being probed: kbridge drives one board.
static CLAIMED: AtomicBool = AtomicBool::new(false);

/// The one-board claim, taken first in probe so a second `kbridge,board`
/// node fails before it touches any hardware; dropping it releases it.
struct Claim;

impl Claim {
    fn take(dev: &Device<'_>) -> Result<Self> {
        if CLAIMED
            .compare_exchange(false, true, Ordering::AcqRel, Ordering::Acquire)
            .is_err()
        {
            return Err(dev.err_probe(
                EBUSY,
                format_args!("only one kbridge,board node can be bound, and one already is"),
            ));
        }
        Ok(Claim)
    }
}

impl Drop for Claim {
    fn drop(&mut self) {
        CLAIMED.store(false, Ordering::Release);
    }
}

/// Everything a bound board registered, torn down in a fixed order by
/// [`Bound::remove`] (and by drop, on a failed probe).
struct Bound {
    irqs: KVec<irq::Registration<Edge>>,
    led_poll: Option<work::Poll<LedPoll>>,
    misc: Option<chardev::Registration>,
    proc_: Option<procfs::Registration>,
    sysfs: Option<LineDirs>,
    published: Option<Published<Board>>,
    board: Arc<Board>,
    /// Released last (declared last: dropped after `Drop::drop` ran).
    _claim: Claim,
}

impl Bound {
    fn probe(dev: &Device<'_>) -> Result<KBox<Self>> {
        let claim = Claim::take(dev)?;
        let board = Board::probe(dev, &HOOKS)?;
        let mut b = KBox::new(
            Bound {
                irqs: KVec::new(),
                led_poll: None,
                misc: None,
                proc_: None,
                sysfs: None,
                published: None,
                board,
                _claim: claim,
            },
            GFP_KERNEL,
        )?;
        b.published = Some(board::publish(&b.board)?);
        let s = sysfs::register(dev, &b.board)?;
        b.board.set_notify(s.dirs()?);
        b.sysfs = Some(s);
        b.proc_ = Some(procfs::Registration::new(b.board.clone())?);
        b.misc = Some(chardev::register(dev, b.board.clone())?);
        for (line, irq) in b.board.input_irqs()? {
            let edge = Edge {
                board: b.board.clone(),
                line,
            };
            let r = irq::Registration::new(irq, irq::BOTH_EDGES, edge)?;
            b.irqs.push(r, GFP_KERNEL)?;
        }
        if b.board.lines.iter().any(|l| l.kind == crate::abi::KIND_LED) {
            let poll = LedPoll(b.board.clone());
            b.led_poll = Some(work::Poll::new(LED_POLL_MS, poll)?);
        }
        Ok(b)
    }
}

impl Drop for Bound {
    fn drop(&mut self) {
        // Interrupts and the LED poll first (both wait for a running
        // handler), then the interfaces that create new users; then the board
        // stops touching the hardware; then sysfs and CURRENT go. Open files
        // keep their own reference to the (dead) board and get ENODEV.
        self.irqs = KVec::new();
        drop(self.led_poll.take());
        drop(self.misc.take());
        drop(self.proc_.take());
        self.board.kill();
        drop(self.sysfs.take());
        drop(self.published.take());
    }
}

impl platform::Driver for Bound {
    fn probe(dev: &Device<'_>) -> Result<KBox<Self>> {
        Bound::probe(dev)
    }

    fn remove(&self) {
        pr_info!("board '{}': unbound\n", self.board.label.as_str());
    }
}

/// The LED poll's period in milliseconds: the LED core does not tell
/// consumers about brightness changes (LED class `brightness`, triggers), so
/// while a board with LED lines is bound they are looked at this often and
/// what changed is recorded (source `kernel`), exactly as any kbridge access
/// does. A change outside kbridge produces its event within one period.
pub(crate) const LED_POLL_MS: c_uint = 100;

/// The bound board's LED poll ([`work::Poll`]).
struct LedPoll(Arc<Board>);

impl work::Periodic for LedPoll {
    /// Refreshes the LEDs; stops once the board is going away.
    fn run(&self) -> c_uint {
        match self.0.with_state(|_| ()) {
            Ok(()) => LED_POLL_MS,
            Err(_) => 0,
        }
    }
}

/// An input line's interrupt ([`irq::Registration`]): the edge becomes a
/// change with source `hardware`.
struct Edge {
    board: Arc<Board>,
    line: usize,
}

impl irq::Handler for Edge {
    fn thread(&self) {
        self.board.hw_edge(self.line);
    }
}
