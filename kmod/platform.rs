// SPDX-License-Identifier: GPL-2.0

//! Platform driver registration, the probe/remove trampolines, and the bound
//! board's registrations.
//!
//! C header: [include/linux/platform_device.h](srctree/include/linux/platform_device.h)
//!
//! Linux 6.12 has no Rust platform-driver abstraction, so the `struct
//! platform_driver` and its OF match table live in the C glue; probe and remove
//! land here, turn the raw `struct device` into a [`Device`] and call the safe
//! board code. Errors become negative errnos at this boundary and nowhere else.
//!
//! kbridge binds one board (there is one `/dev/kbridge`); a second
//! `kbridge,board` node fails to probe with EBUSY.

use core::ffi::{c_int, c_void};
use core::fmt;
use core::mem::ManuallyDrop;
use core::ptr::NonNull;
use core::sync::atomic::{AtomicBool, AtomicPtr, Ordering};
use kernel::prelude::*;
use kernel::str::CString;
use kernel::sync::Arc;

use crate::board::Board;
use crate::{chardev, ffi, ffi_rcu, irq, ledpoll, procfs, sysfs};

/// The `struct device` of a platform device while it is bound to kbridge.
///
/// # Invariants
///
/// `ptr` is a valid `struct device` whose driver is kbridge, and it stays bound
/// for the lifetime `'a` (it is only handed out inside probe and remove).
pub(crate) struct Device<'a> {
    ptr: NonNull<ffi::device>,
    _bound: core::marker::PhantomData<&'a ()>,
}

impl Device<'_> {
    /// The raw pointer, for the other thin wrappers' FFI calls.
    pub(crate) fn as_raw(&self) -> *mut ffi::device {
        self.ptr.as_ptr()
    }

    /// Makes kbridge a consumer of `supplier` (the device whose driver
    /// provides a line: a GPIO chip's or an LED's): unbinding that driver
    /// unbinds kbridge first, while the lines and their IRQs are still valid.
    /// The link goes away when kbridge unbinds. Nothing to do for `None`.
    pub(crate) fn link_supplier(&self, supplier: Option<NonNull<ffi::device>>) -> Result {
        let Some(s) = supplier else {
            return Ok(());
        };
        // SAFETY: both devices are valid: `self` by the type invariant,
        // `supplier` because a line kbridge holds keeps its provider's device.
        kernel::error::to_result(unsafe {
            ffi::kbridge_glue_device_link_supplier(self.as_raw(), s.as_ptr())
        })
    }

    /// Reports why the probe fails, the kernel way (`dev_err_probe()`): an
    /// error line prefixed with the device, or for `EPROBE_DEFER` a debug
    /// line and the deferral reason in `devices_deferred`. Returns `err`.
    pub(crate) fn err_probe(&self, err: Error, msg: fmt::Arguments<'_>) -> Error {
        let text = CString::try_from_fmt(msg);
        let p = match &text {
            Ok(t) => t.as_char_ptr(),
            Err(_) => c"(no memory for the message)".as_ptr(),
        };
        // SAFETY: the device is valid (type invariant) and `p` is a
        // NUL-terminated string that outlives the call.
        unsafe { ffi::kbridge_glue_dev_err_probe(self.as_raw(), err.to_errno(), p) };
        err
    }
}

/// The registered platform driver; dropping it unregisters (and so unbinds).
pub(crate) struct Registration(());

impl Registration {
    pub(crate) fn new() -> Result<Self> {
        // SAFETY: the glue's driver struct is static and not yet registered
        // (one `Registration` exists per module instance, made once in init).
        kernel::error::to_result(unsafe { ffi::kbridge_glue_platform_register() })?;
        Ok(Registration(()))
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        // SAFETY: `self` exists only after a successful register.
        unsafe { ffi::kbridge_glue_platform_unregister() };
    }
}

/// The bound board, for callbacks that have no other way to find it (misc
/// open, sysfs, interrupts). Holds one strong reference while non-null.
///
/// Set in probe before any of those callbacks is registered and cleared in
/// remove after all of them are unregistered (each unregistration waits for
/// running callbacks). Generic netlink handlers run independently of the
/// board's registrations, so [`current`] reads it under `rcu_read_lock()` and
/// remove releases the reference only after clearing it and waiting for an
/// RCU grace period: a reader that saw the pointer still holds a live board.
static CURRENT: AtomicPtr<Board> = AtomicPtr::new(core::ptr::null_mut());

/// A new reference to the bound board, if any.
pub(crate) fn current() -> Option<Arc<Board>> {
    // SAFETY: paired with the unlock below; nothing in between sleeps.
    unsafe { ffi_rcu::kbridge_rcu_read_lock() };
    let p = CURRENT.load(Ordering::Acquire);
    let board = if p.is_null() {
        None
    } else {
        // SAFETY: non-null means CURRENT owns a reference (see CURRENT), which
        // `Published::drop` releases only after clearing CURRENT and waiting
        // for readers like this one (RCU grace period).
        let held = ManuallyDrop::new(unsafe { Arc::from_raw(p) });
        Some((*held).clone())
    };
    // SAFETY: the read-side section opened above.
    unsafe { ffi_rcu::kbridge_rcu_read_unlock() };
    board
}

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

/// Publishes `board` as CURRENT; dropping the guard clears it and releases
/// the reference.
struct Published(*const Board);

impl Published {
    fn new(board: &Arc<Board>) -> Result<Self> {
        let raw = Arc::into_raw(board.clone());
        if CURRENT
            .compare_exchange(
                core::ptr::null_mut(),
                raw.cast_mut(),
                Ordering::AcqRel,
                Ordering::Acquire,
            )
            .is_err()
        {
            // SAFETY: undo `into_raw`; nobody else saw `raw`.
            drop(unsafe { Arc::from_raw(raw) });
            // Unreachable while the claim is held; refuse rather than trust it.
            return Err(EBUSY);
        }
        Ok(Published(raw))
    }
}

impl Drop for Published {
    fn drop(&mut self) {
        CURRENT.store(core::ptr::null_mut(), Ordering::Release);
        // SAFETY: waits for every `current()` that may have seen the pointer.
        unsafe { ffi_rcu::kbridge_rcu_synchronize() };
        // SAFETY: the reference taken in `new`; no reader can reach it now.
        drop(unsafe { Arc::from_raw(self.0) });
    }
}

/// Everything a bound board registered, torn down in a fixed order by
/// [`Bound::remove`] (and by drop, on a failed probe).
struct Bound {
    irqs: KVec<irq::Registration>,
    led_poll: Option<ledpoll::Registration>,
    misc: Option<chardev::Registration>,
    proc_: Option<procfs::Registration>,
    sysfs: Option<sysfs::Registration>,
    published: Option<Published>,
    board: Arc<Board>,
    /// Released last (declared last: dropped after `Drop::drop` ran).
    _claim: Claim,
}

impl Bound {
    fn probe(dev: &Device<'_>) -> Result<KBox<Self>> {
        let claim = Claim::take(dev)?;
        let board = Board::probe(dev)?;
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
        b.published = Some(Published::new(&b.board)?);
        let s = sysfs::Registration::new(dev, &b.board)?;
        b.board.set_notify(s.dirs()?);
        b.sysfs = Some(s);
        b.proc_ = Some(procfs::Registration::new(b.board.clone())?);
        b.misc = Some(chardev::Registration::new(dev)?);
        for (line, irq) in b.board.input_irqs()? {
            let r = irq::Registration::new(irq, line)?;
            b.irqs.push(r, GFP_KERNEL)?;
        }
        if b.board.lines.iter().any(|l| l.kind == crate::abi::KIND_LED) {
            b.led_poll = Some(ledpoll::Registration::new());
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

/// Called by the glue's `probe` for a device matching `kbridge,board`.
///
/// # Safety
///
/// `dev` must be the valid `struct device` of a platform device being probed
/// by kbridge's driver.
#[no_mangle]
unsafe extern "C" fn kbridge_rust_probe(dev: *mut ffi::device) -> c_int {
    let Some(ptr) = NonNull::new(dev) else {
        return EINVAL.to_errno();
    };
    // INVARIANT: the caller guarantees a device being probed by kbridge; it
    // stays bound at least until this function returns.
    let device = Device {
        ptr,
        _bound: core::marker::PhantomData,
    };
    match Bound::probe(&device) {
        Ok(bound) => {
            let raw = KBox::into_raw(bound);
            // SAFETY: `dev` is valid (see above); drvdata is ours to set while bound.
            unsafe { ffi::kbridge_glue_set_drvdata(dev, raw.cast::<c_void>()) };
            0
        }
        // The reason was reported where it was found (Device::err_probe);
        // the driver core logs the failure itself.
        Err(e) => e.to_errno(),
    }
}

/// Called by the glue's `remove` for a device kbridge had bound.
///
/// # Safety
///
/// `dev` must be the valid `struct device` of a platform device that
/// [`kbridge_rust_probe`] bound successfully and that has not been removed yet.
#[no_mangle]
unsafe extern "C" fn kbridge_rust_remove(dev: *mut ffi::device) {
    // SAFETY: `dev` is valid per the function's safety contract.
    let raw = unsafe { ffi::kbridge_glue_get_drvdata(dev) }.cast::<Bound>();
    if raw.is_null() {
        return;
    }
    // SAFETY: drvdata was set by `kbridge_rust_probe` from `KBox::into_raw` and
    // is reclaimed exactly once, here; clear it so nothing sees a stale pointer.
    let bound = unsafe {
        ffi::kbridge_glue_set_drvdata(dev, core::ptr::null_mut());
        KBox::from_raw(raw)
    };
    pr_info!("board '{}': unbound\n", bound.board.label.as_str());
    drop(bound);
}
