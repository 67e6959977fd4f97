// SPDX-License-Identifier: GPL-2.0

//! The generic netlink family `kbridge`: what its commands do.
//!
//! Safe code only; [`crate::sys::genl`] owns the registration and the raw
//! messages. The family is described by `docs/netlink/kbridge.yaml`
//! (docs/netlink.md explains it); the kernel validates every request against
//! the policies generated from that spec before a handler runs, so what is
//! left here are the checks a policy can't express (required attributes,
//! lines that exist, writable lines, values within a line's maximum), each
//! with an extended-ack message, and all before anything changes.
//!
//! The family's numbers and the attribute walker are the ABI's
//! ([`crate::abi::nl`]), shared with user space; `tests/host/netlink-spec.sh`
//! checks them against the spec.

use core::ffi::CStr;
use kernel::prelude::*;
use kernel::sync::Arc;

use crate::abi;
use crate::abi::nl::{attrs, board, change, cmd, event, line, Attr};
use crate::abi::EventRecord;
use crate::board::{Board, Iface, Op, State};
use crate::sys::genl::{self, Dump, Msg, Request, Writer};

/// The last attribute of type `ty` (as `nla_parse` keeps it).
fn last(buf: &[u8], ty: u16) -> Option<Attr<'_>> {
    attrs(buf).filter(|a| a.ty == ty).last()
}

fn bound(req: &Request<'_>) -> Result<Arc<Board>> {
    let b = crate::board::current().ok_or_else(|| {
        req.error(None, c"no kbridge board is bound");
        ENODEV
    })?;
    b.count(Iface::Netlink);
    Ok(b)
}

/// The line named in `nest` (or at the top level) by `line::INDEX` and/or
/// `line::NAME`.
fn resolve<'a>(
    req: &Request<'a>,
    board: &Board,
    buf: &'a [u8],
    nest: Option<&'a [u8]>,
) -> Result<usize> {
    let index = last(buf, line::INDEX);
    let name = last(buf, line::NAME);
    let by_index = match index {
        Some(a) => {
            let i = a.u32().and_then(|v| usize::try_from(v).ok());
            match i {
                Some(i) if i < board.lines.len() => Some(i),
                _ => {
                    req.error(Some(a.raw), c"no line with this index");
                    return Err(ENOENT);
                }
            }
        }
        None => None,
    };
    let by_name = match name {
        Some(a) => match board.find(a.str()) {
            Some(i) => Some(i),
            None => {
                req.error(Some(a.raw), c"no line with this name");
                return Err(ENOENT);
            }
        },
        None => None,
    };
    match (by_index, by_name) {
        (Some(i), Some(j)) if i != j => {
            req.error(
                name.map(|a| a.raw),
                c"index and name refer to different lines",
            );
            Err(EINVAL)
        }
        (Some(i), _) | (None, Some(i)) => Ok(i),
        (None, None) => {
            req.missing(nest, line::INDEX, c"a line index or name is required");
            Err(EINVAL)
        }
    }
}

/// `board-get`.
pub(crate) fn board_get(req: &Request<'_>) -> Result {
    let b = bound(req)?;
    let seq = b.with_state(|st| st.seq())?;
    req.reply(cmd::BOARD_GET, |w| {
        w.put_str(board::LABEL, b.label.as_bytes())?;
        w.put_u32(board::ABI_VERSION, abi::ABI_VERSION)?;
        w.put_u32(board::LINE_COUNT, b.lines.len() as u32)?;
        w.put_u64(board::SEQ, seq, board::PAD)
    })
}

/// A line's state at one moment.
#[derive(Clone, Copy)]
struct LineSnap {
    index: u32,
    value: u32,
    changes: u64,
    last_source: u8,
    last_ns: u64,
}

fn snap(st: &State, i: usize) -> LineSnap {
    let l = st.line(i);
    LineSnap {
        index: i as u32,
        value: l.value,
        changes: l.changes,
        last_source: l.last_source,
        last_ns: l.last_ns,
    }
}

fn put_line(w: &mut Writer<'_>, b: &Board, s: &LineSnap) -> Result {
    let d = b.lines.get(s.index as usize).ok_or(EINVAL)?;
    w.put_u32(line::INDEX, s.index)?;
    w.put_str(line::NAME, d.name.as_bytes())?;
    w.put_u8(line::KIND, d.kind)?;
    w.put_u32(line::VALUE, s.value)?;
    w.put_u32(line::MAX_VALUE, d.max)?;
    w.put_u32(line::FLAGS, d.flags)?;
    w.put_u64(line::CHANGES, s.changes, line::PAD)?;
    w.put_u8(line::LAST_SOURCE, s.last_source)?;
    w.put_u64(line::LAST_CHANGE_NS, s.last_ns, line::PAD)
}

/// `line-get` (do): one line by index or name.
pub(crate) fn line_get(req: &Request<'_>) -> Result {
    let b = bound(req)?;
    let i = resolve(req, &b, req.payload(), None)?;
    let s = b.with_state(|st| snap(st, i))?;
    req.reply(cmd::LINE_GET, |w| put_line(w, &b, &s))
}

/// `line-get` (dump): one message per line; `args[0]` is the next line.
pub(crate) fn line_dump(d: &mut Dump) -> Result {
    let b = crate::board::current().ok_or(ENODEV)?;
    let start = usize::try_from(d.arg(0)).map_err(|_| EINVAL)?;
    if start == 0 {
        b.count(Iface::Netlink);
    }
    // One consistent snapshot for this part of the dump.
    let mut snaps: KVec<LineSnap> = KVec::with_capacity(b.lines.len(), GFP_KERNEL)?;
    b.with_state(|st| {
        for i in start..b.lines.len() {
            // Capacity reserved above: cannot fail.
            let _ = snaps.push(snap(st, i), GFP_KERNEL);
        }
    })?;
    let mut next = start;
    for s in snaps.iter() {
        if !d.add(cmd::LINE_GET, |w| put_line(w, &b, s))? {
            if next == start && d.len() == 0 {
                // Not even one line fits into an empty buffer.
                return Err(crate::sys::genl::emsgsize());
            }
            break;
        }
        next += 1;
    }
    d.set_arg(0, next as core::ffi::c_long);
    Ok(())
}

/// Collects the ops of a set (`with_value`) or toggle request from its
/// `outer` nests into `ops`, checking everything a policy can't. Returns
/// how many (each line at most once, so they fit).
fn collect_ops(
    req: &Request<'_>,
    b: &Board,
    outer: u16,
    with_value: bool,
    ops: &mut [Op; abi::MAX_LINES],
) -> Result<usize> {
    let mut n = 0;
    let mut seen = 0u64;
    for a in attrs(req.payload()).filter(|a| a.ty == outer) {
        let i = resolve(req, b, a.data, Some(a.raw))?;
        let d = b.lines.get(i).ok_or(EINVAL)?;
        if seen & (1u64 << i) != 0 {
            req.error(Some(a.raw), c"line given twice");
            return Err(EINVAL);
        }
        seen |= 1u64 << i;
        if d.kind == abi::KIND_INPUT {
            req.error(Some(a.raw), c"line is an input and cannot be changed");
            return Err(EINVAL);
        }
        let op = if with_value {
            let Some(v) = last(a.data, line::VALUE) else {
                req.missing(Some(a.raw), line::VALUE, c"a value is required");
                return Err(EINVAL);
            };
            let value = v.u32().ok_or(EINVAL)?;
            if abi::check_set(d.kind, d.max, value).is_err() {
                req.error(Some(v.raw), c"value above the line's max-value");
                return Err(ERANGE);
            }
            Op::Set(i, value)
        } else {
            Op::Toggle(i)
        };
        *ops.get_mut(n).ok_or(EINVAL)? = op;
        n += 1;
    }
    if n == 0 {
        let msg: &'static CStr = if with_value {
            c"at least one assign is required"
        } else {
            c"at least one target is required"
        };
        req.missing(None, outer, msg);
        return Err(EINVAL);
    }
    Ok(n)
}

fn change(req: &Request<'_>, outer: u16, with_value: bool, reply_cmd: u8) -> Result {
    let b = bound(req)?;
    let mut ops = [Op::Toggle(0); abi::MAX_LINES];
    let n = collect_ops(req, &b, outer, with_value, &mut ops)?;
    let ops = ops.get(..n).ok_or(EINVAL)?;
    // Everything that can fail happens before the board changes: once it has
    // applied the request, the request has succeeded.
    let reply = req.prepare_u64_reply(reply_cmd, change::SEQ, change::PAD)?;
    let seq = b.apply(ops, abi::SOURCE_NETLINK).inspect_err(|_| {
        req.error(None, c"the board refused the change; nothing changed");
    })?;
    if reply.send(seq).is_err() {
        // The requester's socket is full: it misses the reply, not the change.
        b.with_publisher(|p| p.replies_lost += 1);
    }
    Ok(())
}

/// `line-set`: every `assign` applied at once, or none.
pub(crate) fn line_set(req: &Request<'_>) -> Result {
    change(req, change::ASSIGN, true, cmd::LINE_SET)
}

/// `line-toggle`: every `target` toggled at once, or none.
pub(crate) fn line_toggle(req: &Request<'_>) -> Result {
    change(req, change::TARGET, false, cmd::LINE_TOGGLE)
}

/// Multicasts the events recorded since the last call to the `events` group
/// of every network namespace, in `seq` order. Called by [`Board`] after
/// every change, with the board lock released: the messages are built (at
/// their exact size) outside it, a batch at a time, under the publisher's own
/// lock, which keeps concurrent publishers in order. With nobody listening
/// it takes no lock and builds nothing: it only moves the publisher past
/// the new events. An event that can't be sent is lost for every listener,
/// who see the gap in `seq`; `/proc/kbridge` counts it.
pub(crate) fn publish(b: &Board) {
    if !Msg::has_listeners() {
        b.nl_advance(b.seq());
        return;
    }
    b.with_publisher(|p| loop {
        if !Msg::has_listeners() {
            b.nl_advance(b.seq());
            return;
        }
        let cursor = b.nl_cursor();
        let mut batch = [crate::board::ZERO_EVENT; 8];
        let Ok(peek) = b.peek_events(cursor, &mut batch) else {
            return; // unbound
        };
        if peek.n == 0 {
            return;
        }
        // More than a ring's worth of changes while this publisher waited.
        p.lost += peek.lost;
        for rec in batch.iter().take(peek.n) {
            match send_event(b, rec) {
                Ok(_) => p.sent += 1,
                Err(_) => p.failed += 1,
            }
        }
        b.nl_advance(peek.last());
    });
}

fn send_event(b: &Board, rec: &EventRecord) -> Result<bool> {
    let d = b.lines.get(usize::from(rec.line)).ok_or(EINVAL)?;
    Msg::multicast_event(cmd::EVENT, |w| {
        w.put_u64(event::SEQ, rec.seq, event::PAD)?;
        w.put_u64(event::TIMESTAMP_NS, rec.timestamp_ns, event::PAD)?;
        w.put_u32(event::LINE_INDEX, u32::from(rec.line))?;
        w.put_str(event::LINE_NAME, d.name.as_bytes())?;
        w.put_u32(event::OLD_VALUE, rec.old_value)?;
        w.put_u32(event::NEW_VALUE, rec.new_value)?;
        w.put_u8(event::SOURCE, rec.source)?;
        w.put_u8(event::KIND, rec.kind)
    })
}

// The handlers the generated ops call (docs/netlink/kbridge.yaml).
genl::doit!(kbridge_rust_nl_board_get => board_get);
genl::doit!(kbridge_rust_nl_line_get => line_get);
genl::doit!(kbridge_rust_nl_line_set => line_set);
genl::doit!(kbridge_rust_nl_line_toggle => line_toggle);
genl::dumpit!(kbridge_rust_nl_line_dump => line_dump);
