// SPDX-License-Identifier: GPL-2.0

//! Generic netlink: the `kbridge` family's registration, its requests and
//! messages, and the `extern "C"` handlers the generated ops call.
//!
//! C header: [include/net/genetlink.h](srctree/include/net/genetlink.h)
//!
//! No kernel version kbridge supports has a Rust genetlink abstraction for
//! commands, and 6.12's bindings have no `genl_*`. The family, its attribute
//! policies and split ops are generated from `docs/netlink/kbridge.yaml` by the
//! kernel's YNL generator (`kbridge-nl-gen.c`); the glue (`kbridge_genl.c`)
//! forwards each op to a `kbridge_rust_nl_*` handler below, which wraps the raw
//! pointers in [`Request`], [`Msg`] or [`Dump`] and calls the safe code in
//! [`crate::iface::netlink`]. Errors become negative errnos here and nowhere else.

use core::ffi::{c_int, c_long, c_void, CStr};
use core::ptr::NonNull;
use kernel::prelude::*;

use crate::sys::ffi_genl as ffi;

/// `EMSGSIZE`: the message is full (not among the `kernel` crate's codes).
pub(crate) fn emsgsize() -> Error {
    Error::from_errno(-(kernel::bindings::EMSGSIZE as c_int))
}

/// The registered family; dropping it unregisters (which waits for running
/// handlers; a dump in progress holds a reference on the module).
pub(crate) struct Registration(());

impl Registration {
    pub(crate) fn new() -> Result<Self> {
        // SAFETY: the generated family is static and not registered yet (one
        // Registration per module instance, made once in init).
        kernel::error::to_result(unsafe { ffi::kbridge_genl_register() })?;
        Ok(Registration(()))
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        // SAFETY: registered in `new`.
        unsafe { ffi::kbridge_genl_unregister() };
    }
}

/// A doit request whose attributes the kernel has validated against the op's
/// policy (strict validation: known attributes only, right types, lengths
/// and ranges, nested attributes flagged and validated too).
///
/// # Invariants
///
/// `info` is the `genl_info` of the running doit handler and `payload` its
/// attribute stream; both live for `'a` (the handler's duration).
pub(crate) struct Request<'a> {
    info: NonNull<ffi::genl_info>,
    payload: &'a [u8],
}

impl<'a> Request<'a> {
    /// # Safety
    ///
    /// `info` must be the `genl_info` of a doit handler that runs for `'a`.
    unsafe fn from_raw(info: *mut ffi::genl_info) -> Option<Self> {
        let info = NonNull::new(info)?;
        let mut len = 0;
        // SAFETY: `info` is a live genl_info (function contract).
        let data = unsafe { ffi::kbridge_genl_payload(info.as_ptr(), &mut len) };
        let payload = if data.is_null() || len == 0 {
            &[][..]
        } else {
            // SAFETY: the glue returns the request's attribute stream, `len`
            // bytes inside the request skb, which outlives the handler.
            unsafe { core::slice::from_raw_parts(data.cast::<u8>(), len as usize) }
        };
        // INVARIANT: see the function contract.
        Some(Request { info, payload })
    }

    /// The request's attributes (header + payload, as on the wire).
    pub(crate) fn payload(&self) -> &'a [u8] {
        self.payload
    }

    /// Sets the extended ack message, pointing at `at` when given. `at` must
    /// start at an attribute header inside [`Request::payload`].
    pub(crate) fn error(&self, at: Option<&'a [u8]>, msg: &'static CStr) {
        let nla = at.map_or(core::ptr::null(), |a| a.as_ptr().cast::<c_void>());
        // SAFETY: `info` is live (invariant); `msg` is static as extack needs;
        // `nla` is null or inside this request's message.
        unsafe { ffi::kbridge_genl_set_err(self.info.as_ptr(), nla, msg.as_ptr()) };
    }

    /// Reports attribute `ty` missing, in the nest starting at `nest` (None:
    /// at the top level).
    pub(crate) fn missing(&self, nest: Option<&'a [u8]>, ty: u16, msg: &'static CStr) {
        let nest = nest.map_or(core::ptr::null(), |a| a.as_ptr().cast::<c_void>());
        // SAFETY: as for `error`.
        unsafe { ffi::kbridge_genl_set_missing(self.info.as_ptr(), nest, ty.into(), msg.as_ptr()) };
    }

    /// Builds a reply with `fill` and sends it.
    pub(crate) fn reply(&self, cmd: u8, fill: impl Fn(&mut Writer<'_>) -> Result) -> Result {
        let msg = Msg::new(Writer::measure(&fill)?)?;
        // SAFETY: `msg.skb` is a fresh skb we own; `info` is live (invariant).
        let hdr = unsafe {
            ffi::kbridge_genl_start_reply(msg.skb.as_ptr(), self.info.as_ptr(), cmd.into())
        };
        let mut msg = msg.started(hdr)?;
        fill(&mut msg.writer())?;
        let skb = msg.finish();
        // SAFETY: `skb` is a finished message we own; genlmsg_reply consumes it.
        kernel::error::to_result(unsafe { ffi::kbridge_genl_reply(skb, self.info.as_ptr()) })
    }

    /// Allocates and starts a reply carrying one u64 attribute `ty`, whose
    /// value [`PreparedReply::send`] fills in: everything that can fail is
    /// done before the change the reply reports, so a request is never
    /// refused after it changed something.
    pub(crate) fn prepare_u64_reply(
        &self,
        cmd: u8,
        ty: u16,
        pad: u16,
    ) -> Result<PreparedReply<'a>> {
        let msg = Msg::new(NLA_U64_SIZE)?;
        // SAFETY: `msg.skb` is a fresh skb we own; `info` is live (invariant).
        let hdr = unsafe {
            ffi::kbridge_genl_start_reply(msg.skb.as_ptr(), self.info.as_ptr(), cmd.into())
        };
        let msg = msg.started(hdr)?;
        // SAFETY: `msg` owns its skb, sized for this attribute above.
        let slot =
            unsafe { ffi::kbridge_genl_reserve_u64(msg.skb.as_ptr(), ty.into(), pad.into()) };
        let slot = NonNull::new(slot.cast::<u8>()).ok_or_else(emsgsize)?;
        // INVARIANT: `slot` is the 8-byte payload just reserved in `msg`'s skb.
        Ok(PreparedReply {
            info: self.info,
            msg,
            slot,
            _req: core::marker::PhantomData,
        })
    }
}

/// `nla_total_size_64bit(8)` with its alignment pad counted whether or not
/// the CPU needs it: the room one u64 attribute takes.
const NLA_U64_SIZE: usize = nla_total_size(8) + nla_total_size(0);

/// `nla_total_size()`: an attribute's header and payload, aligned to 4.
const fn nla_total_size(payload: usize) -> usize {
    (4 + payload + 3) & !3
}

/// A reply allocated before the change it reports (see
/// [`Request::prepare_u64_reply`]).
///
/// # Invariants
///
/// `slot` points at the payload of a u64 attribute inside `msg`'s skb;
/// `info` is the live `genl_info` of the request (for `'a`).
pub(crate) struct PreparedReply<'a> {
    info: NonNull<ffi::genl_info>,
    msg: Started,
    slot: NonNull<u8>,
    _req: core::marker::PhantomData<&'a ()>,
}

impl PreparedReply<'_> {
    /// Fills in the value and sends the reply. Cannot fail before the send;
    /// the send itself fails only when the requester's socket is full, and
    /// then the error says so but the change stands (the caller counts it).
    pub(crate) fn send(self, value: u64) -> Result {
        // SAFETY: `slot` is 8 writable bytes inside the skb `msg` owns
        // (invariant); netlink attributes are 4-aligned, so write unaligned.
        unsafe { self.slot.as_ptr().cast::<u64>().write_unaligned(value) };
        let info = self.info;
        let skb = self.msg.finish();
        // SAFETY: `skb` is a finished message we own; genlmsg_reply consumes
        // it; `info` is live (invariant).
        kernel::error::to_result(unsafe { ffi::kbridge_genl_reply(skb, info.as_ptr()) })
    }
}

/// Writes attributes into a message being built, or (with no skb) adds up
/// the room they take, so a message is allocated at its exact size.
///
/// # Invariants
///
/// `skb`, when set, is a live skb with a started genetlink header, owned or
/// borrowed by whoever holds the writer.
pub(crate) struct Writer<'a> {
    skb: Option<NonNull<ffi::sk_buff>>,
    size: usize,
    _msg: core::marker::PhantomData<&'a mut ffi::sk_buff>,
}

impl Writer<'_> {
    /// The attribute room `fill` takes (never more than a page: messages are
    /// a few dozen bytes).
    fn measure(fill: &impl Fn(&mut Writer<'_>) -> Result) -> Result<usize> {
        let mut w = Writer {
            skb: None,
            size: 0,
            _msg: core::marker::PhantomData,
        };
        fill(&mut w)?;
        Ok(w.size)
    }

    fn put(&mut self, ty: u16, data: &[u8]) -> Result {
        let Some(skb) = self.skb else {
            self.size += nla_total_size(data.len());
            return Ok(());
        };
        let len = u32::try_from(data.len()).map_err(|_| emsgsize())?;
        // SAFETY: `skb` is live (invariant); `data` is valid for `len` bytes.
        let r =
            unsafe { ffi::kbridge_genl_put(skb.as_ptr(), ty.into(), len, data.as_ptr().cast()) };
        if r == 0 {
            Ok(())
        } else {
            Err(emsgsize())
        }
    }

    pub(crate) fn put_u8(&mut self, ty: u16, v: u8) -> Result {
        self.put(ty, &[v])
    }

    pub(crate) fn put_u32(&mut self, ty: u16, v: u32) -> Result {
        self.put(ty, &v.to_ne_bytes())
    }

    /// A u64 attribute, aligned with a `pad` attribute where the CPU needs it.
    pub(crate) fn put_u64(&mut self, ty: u16, v: u64, pad: u16) -> Result {
        let Some(skb) = self.skb else {
            self.size += NLA_U64_SIZE;
            return Ok(());
        };
        // SAFETY: `skb` is live (invariant).
        let r = unsafe { ffi::kbridge_genl_put_u64(skb.as_ptr(), ty.into(), v, pad.into()) };
        if r == 0 {
            Ok(())
        } else {
            Err(emsgsize())
        }
    }

    /// A NUL-terminated string attribute (names are at most
    /// `abi::NAME_MAX_LEN` bytes).
    pub(crate) fn put_str(&mut self, ty: u16, s: &[u8]) -> Result {
        let mut buf = [0u8; crate::abi::NAME_LEN + 1];
        buf.get_mut(..s.len()).ok_or(EINVAL)?.copy_from_slice(s);
        self.put(ty, buf.get(..s.len() + 1).ok_or(EINVAL)?)
    }
}

/// A message we own: freed on drop unless sent.
pub(crate) struct Msg {
    skb: NonNull<ffi::sk_buff>,
}

/// A [`Msg`] whose genetlink header is in place.
///
/// # Invariants
///
/// `skb` is owned by this value and has a genetlink header at `hdr`.
pub(crate) struct Started {
    skb: NonNull<ffi::sk_buff>,
    hdr: NonNull<c_void>,
}

impl Msg {
    /// A message with room for `payload` bytes of attributes.
    fn new(payload: usize) -> Result<Self> {
        // SAFETY: allocates a new skb (GFP_KERNEL: handlers and the event
        // publisher run in process context, without spinlocks held).
        let skb = unsafe { ffi::kbridge_genl_new(payload) };
        Ok(Msg {
            skb: NonNull::new(skb).ok_or(ENOMEM)?,
        })
    }

    fn started(self, hdr: *mut c_void) -> Result<Started> {
        let hdr = NonNull::new(hdr).ok_or_else(emsgsize)?;
        let skb = self.skb;
        core::mem::forget(self);
        // INVARIANT: the header was just put into `skb`, which `Started` owns.
        Ok(Started { skb, hdr })
    }

    /// Whether anybody, in any network namespace, listens to the `events`
    /// group.
    pub(crate) fn has_listeners() -> bool {
        // SAFETY: reads the family's group state under RCU.
        unsafe { ffi::kbridge_genl_has_listeners() }
    }

    /// Builds an event with `fill`, allocated at its exact size, and
    /// multicasts it to the `events` group of every network namespace.
    /// `Ok(false)`: nobody listened.
    pub(crate) fn multicast_event(
        cmd: u8,
        fill: impl Fn(&mut Writer<'_>) -> Result,
    ) -> Result<bool> {
        let msg = Msg::new(Writer::measure(&fill)?)?;
        // SAFETY: `msg.skb` is a fresh skb we own.
        let hdr = unsafe { ffi::kbridge_genl_start_event(msg.skb.as_ptr(), cmd.into()) };
        let mut msg = msg.started(hdr)?;
        fill(&mut msg.writer())?;
        let skb = msg.finish();
        // SAFETY: `skb` is a finished message we own; multicast consumes it.
        let r = unsafe { ffi::kbridge_genl_multicast(skb) };
        if r == ESRCH.to_errno() {
            Ok(false)
        } else {
            kernel::error::to_result(r).map(|()| true)
        }
    }
}

impl Drop for Msg {
    fn drop(&mut self) {
        // SAFETY: we own `skb` (not sent).
        unsafe { ffi::kbridge_genl_free(self.skb.as_ptr()) };
    }
}

impl Started {
    /// A writer onto this message.
    fn writer(&mut self) -> Writer<'_> {
        // INVARIANT: `skb` is live with a started header while `self` is
        // borrowed.
        Writer {
            skb: Some(self.skb),
            size: 0,
            _msg: core::marker::PhantomData,
        }
    }

    /// Ends the message and hands the skb to the caller, who must send it.
    fn finish(self) -> *mut ffi::sk_buff {
        let skb = self.skb.as_ptr();
        // SAFETY: `hdr` was put into `skb` (invariant).
        unsafe { ffi::kbridge_genl_end(skb, self.hdr.as_ptr()) };
        core::mem::forget(self);
        skb
    }
}

impl Drop for Started {
    fn drop(&mut self) {
        // SAFETY: we own `skb` (not finished).
        unsafe { ffi::kbridge_genl_free(self.skb.as_ptr()) };
    }
}

/// One call of a dump: adds messages to `skb` until it is full.
///
/// # Invariants
///
/// `skb` and `cb` are the dumpit handler's arguments, live for the call.
pub(crate) struct Dump {
    skb: NonNull<ffi::sk_buff>,
    cb: NonNull<ffi::netlink_callback>,
}

impl Dump {
    /// `cb->args[i]`: state kept between calls of one dump (0 at the start).
    pub(crate) fn arg(&self, i: usize) -> c_long {
        // SAFETY: `cb` is live (invariant); `args` has six entries.
        let args = unsafe { ffi::kbridge_genl_cb_args(self.cb.as_ptr()) };
        if i >= 6 || args.is_null() {
            return 0;
        }
        // SAFETY: in bounds (checked above).
        unsafe { args.add(i).read() }
    }

    pub(crate) fn set_arg(&mut self, i: usize, v: c_long) {
        // SAFETY: as in `arg`.
        let args = unsafe { ffi::kbridge_genl_cb_args(self.cb.as_ptr()) };
        if i < 6 && !args.is_null() {
            // SAFETY: in bounds (checked above); the dump owns `cb->args`.
            unsafe { args.add(i).write(v) };
        }
    }

    /// Adds one `NLM_F_MULTI` message filled by `fill`. `Ok(false)`: it did not
    /// fit (nothing was added; resume with it on the next call).
    pub(crate) fn add(
        &mut self,
        cmd: u8,
        fill: impl Fn(&mut Writer<'_>) -> Result,
    ) -> Result<bool> {
        // SAFETY: `skb`/`cb` are live (invariant).
        let hdr = unsafe {
            ffi::kbridge_genl_start_dump(self.skb.as_ptr(), self.cb.as_ptr(), cmd.into())
        };
        if hdr.is_null() {
            return Ok(false);
        }
        // INVARIANT: the dump's skb, live for this call, header just put.
        let mut w = Writer {
            skb: Some(self.skb),
            size: 0,
            _msg: core::marker::PhantomData,
        };
        match fill(&mut w) {
            Ok(()) => {
                // SAFETY: `hdr` was just put into `skb`.
                unsafe { ffi::kbridge_genl_end(self.skb.as_ptr(), hdr) };
                Ok(true)
            }
            Err(e) => {
                // SAFETY: as above; removes the partial message.
                unsafe { ffi::kbridge_genl_cancel(self.skb.as_ptr(), hdr) };
                if e == emsgsize() {
                    Ok(false)
                } else {
                    Err(e)
                }
            }
        }
    }

    /// Bytes in the skb so far (the dumpit return value: 0 ends the dump).
    pub(crate) fn len(&self) -> u32 {
        // SAFETY: `skb` is live (invariant).
        unsafe { ffi::kbridge_genl_len(self.skb.as_ptr()) }
    }
}

fn errno(r: Result) -> c_int {
    match r {
        Ok(()) => 0,
        Err(e) => e.to_errno(),
    }
}

/// Runs a doit handler body on a wrapped request.
///
/// # Safety
///
/// `info` must be the `genl_info` of the running doit handler.
pub(crate) unsafe fn run_doit(
    info: *mut ffi::genl_info,
    f: impl FnOnce(&Request<'_>) -> Result,
) -> c_int {
    // SAFETY: per the function contract.
    match unsafe { Request::from_raw(info) } {
        Some(req) => errno(f(&req)),
        None => EINVAL.to_errno(),
    }
}

/// Runs a dumpit handler body on a wrapped dump; returns what dumpit returns
/// (the bytes added, 0 to end the dump, or a negative errno).
///
/// # Safety
///
/// `skb` and `cb` must be the running dumpit handler's arguments.
pub(crate) unsafe fn run_dumpit(
    skb: *mut ffi::sk_buff,
    cb: *mut ffi::netlink_callback,
    f: impl FnOnce(&mut Dump) -> Result,
) -> c_int {
    let (Some(skb), Some(cb)) = (NonNull::new(skb), NonNull::new(cb)) else {
        return EINVAL.to_errno();
    };
    // INVARIANT: the dumpit handler's own arguments, live for this call.
    let mut d = Dump { skb, cb };
    match f(&mut d) {
        Ok(()) => d.len().try_into().unwrap_or(c_int::MAX),
        Err(e) => e.to_errno(),
    }
}

/// Defines the doit handler `$sym` that the generated ops
/// (`kbridge-nl-gen.c`) call, running `$f(&Request) -> Result`.
macro_rules! doit {
    ($sym:ident => $f:path) => {
        /// A doit handler of the generated ops.
        ///
        /// # Safety
        ///
        /// Called by generic netlink with the running request's `genl_info`.
        #[no_mangle]
        unsafe extern "C" fn $sym(info: *mut $crate::sys::ffi_genl::genl_info) -> core::ffi::c_int {
            // SAFETY: called by the generated op as its doit handler.
            unsafe { $crate::sys::genl::run_doit(info, $f) }
        }
    };
}
pub(crate) use doit;

/// Defines the dumpit handler `$sym` that the generated ops call, running
/// `$f(&mut Dump) -> Result`.
macro_rules! dumpit {
    ($sym:ident => $f:path) => {
        /// A dumpit handler of the generated ops.
        ///
        /// # Safety
        ///
        /// Called by generic netlink with the running dump's skb and callback.
        #[no_mangle]
        unsafe extern "C" fn $sym(
            skb: *mut $crate::sys::ffi_genl::sk_buff,
            cb: *mut $crate::sys::ffi_genl::netlink_callback,
        ) -> core::ffi::c_int {
            // SAFETY: called by the generated op as its dumpit handler.
            unsafe { $crate::sys::genl::run_dumpit(skb, cb, $f) }
        }
    };
}
pub(crate) use dumpit;
