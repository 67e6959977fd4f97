//! netlink backend: the generic netlink family `kbridge` (spec: `docs/netlink/kbridge.yaml`).
//!
//! Requests go out on a generic netlink socket (through [`neli`]) with extended acks enabled,
//! so a refused request comes back as [`Error::Netlink`] with the errno *and* the kernel's
//! message. `board-get` and `line-get` read; `line-get` as a dump lists every line;
//! `line-set` and `line-toggle` change several lines atomically (they need `CAP_NET_ADMIN`).
//! Events come from the family's `events` multicast group ([`NetlinkEvents`]); every event
//! carries the board's global sequence number, so events lost on the way (the socket
//! overrunning with `ENOBUFS`, or the kernel unable to build a message) show as a gap in it,
//! reported exactly in the next event's [`Event::dropped`].
//!
//! [`Client`] is the raw layer (any command, any attributes); `kbridge-test` uses it to send
//! the malformed requests the backend never makes.

use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use kbridge_abi as abi;
use neli::consts::genl::{CtrlAttr, CtrlAttrMcastGrp, CtrlCmd};
use neli::consts::nl::{GenlId, NlmF, Nlmsg};
use neli::consts::socket::NlFamily;
use neli::err::SocketError;
use neli::genl::{AttrTypeBuilder, Genlmsghdr, GenlmsghdrBuilder, NlattrBuilder};
use neli::nl::{NlPayload, NlmsghdrBuilder};
use neli::socket::synchronous::NlSocketHandle;
use neli::types::{Buffer, GenlBuffer};
use neli::utils::Groups;
use nix::poll::PollFlags;

use crate::backend::{check_set_request, check_toggle_request, check_unique, Backend};
use crate::events::{wait_readable, EventSource, EventStream};
use crate::{BoardInfo, Error, Event, Interface, LineInfo, LineKind, Result, Source};

const VIA: Interface = Interface::Netlink;

/// Family name.
pub const FAMILY: &str = abi::GENL_FAMILY_NAME;
/// Family version sent in every request.
pub const VERSION: u8 = abi::nl::VERSION;
/// Multicast group of change events.
pub const EVENTS_GROUP: &str = abi::GENL_MCGRP_EVENTS;

// Command and attribute numbers, defined once in the ABI for the module and user space
// (checked against the spec by tests/host/netlink-spec.sh).
use crate::error::libc_errno::{EINVAL, ENOBUFS, ENOENT, ERANGE};
pub use abi::nl::{board, change, cmd, event, line};
use abi::nl::{NLA_F_NESTED, NLA_TYPE_MASK};

/// One attribute of a request, encoded as given (no checks: `kbridge-test` sends bad ones).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawAttr {
    /// Attribute type.
    pub ty: u16,
    /// Set `NLA_F_NESTED`.
    pub nested: bool,
    /// Payload bytes.
    pub payload: Vec<u8>,
}

impl RawAttr {
    /// A u32 attribute.
    pub fn u32(ty: u16, v: u32) -> Self {
        RawAttr {
            ty,
            nested: false,
            payload: v.to_ne_bytes().to_vec(),
        }
    }

    /// A NUL-terminated string attribute.
    pub fn str(ty: u16, s: &str) -> Self {
        let mut payload = s.as_bytes().to_vec();
        payload.push(0);
        RawAttr {
            ty,
            nested: false,
            payload,
        }
    }

    /// A nest of `children`, flagged `NLA_F_NESTED`.
    pub fn nest(ty: u16, children: &[RawAttr]) -> Self {
        RawAttr {
            ty,
            nested: true,
            payload: encode(children),
        }
    }
}

/// Encodes attributes as a netlink attribute stream (aligned to 4 bytes).
pub fn encode(attrs: &[RawAttr]) -> Vec<u8> {
    let mut out = Vec::new();
    for a in attrs {
        let len = u16::try_from(4 + a.payload.len()).unwrap_or(u16::MAX);
        out.extend_from_slice(&len.to_ne_bytes());
        let ty = a.ty | if a.nested { NLA_F_NESTED } else { 0 };
        out.extend_from_slice(&ty.to_ne_bytes());
        out.extend_from_slice(&a.payload);
        while out.len() % 4 != 0 {
            out.push(0);
        }
    }
    out
}

/// Splits a netlink attribute stream into `(type, payload)` pairs (flags stripped).
pub fn decode(buf: &[u8]) -> Vec<(u16, &[u8])> {
    abi::nl::attrs(buf).map(|a| (a.ty, a.data)).collect()
}

/// The attributes of one reply or event message.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Reply {
    /// Command of the message.
    pub cmd: u8,
    /// `(type, payload)` in message order.
    pub attrs: Vec<(u16, Vec<u8>)>,
}

impl Reply {
    fn find(&self, ty: u16) -> Option<&[u8]> {
        self.attrs
            .iter()
            .rev()
            .find(|(t, _)| *t == ty)
            .map(|(_, p)| p.as_slice())
    }

    /// A u8 attribute.
    pub fn u8(&self, ty: u16) -> Option<u8> {
        self.find(ty)?.first().copied()
    }

    /// A u32 attribute.
    pub fn u32(&self, ty: u16) -> Option<u32> {
        Some(u32::from_ne_bytes(
            self.find(ty)?.get(..4)?.try_into().ok()?,
        ))
    }

    /// A u64 attribute.
    pub fn u64(&self, ty: u16) -> Option<u64> {
        Some(u64::from_ne_bytes(
            self.find(ty)?.get(..8)?.try_into().ok()?,
        ))
    }

    /// A string attribute (up to its NUL).
    pub fn str(&self, ty: u16) -> Option<String> {
        let p = self.find(ty)?;
        let end = p.iter().position(|&b| b == 0).unwrap_or(p.len());
        String::from_utf8(p.get(..end)?.to_vec()).ok()
    }

    fn need<T>(&self, what: &str, v: Option<T>) -> Result<T> {
        v.ok_or_else(|| Error::protocol(VIA, format!("reply without {what}")))
    }
}

fn socket_error(op: &'static str, e: SocketError) -> Error {
    match e {
        SocketError::Io(io) => Error::Os {
            via: VIA,
            op,
            source: io::Error::new(io.kind(), io.to_string()),
        },
        other => Error::protocol(VIA, format!("{op}: {other}")),
    }
}

fn raw_os_errno(e: &SocketError) -> Option<i32> {
    match e {
        SocketError::Io(io) => io.raw_os_error(),
        _ => None,
    }
}

/// A generic netlink socket talking to the `kbridge` family.
pub struct Client {
    sock: NlSocketHandle,
    family: u16,
    events_group: u32,
    seq: u32,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("family", &self.family)
            .field("events_group", &self.events_group)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// Opens a socket and resolves the family and its `events` group. Fails with
    /// [`Error::NotLoaded`] when the family is not registered (module not loaded).
    pub fn connect() -> Result<Self> {
        let sock = NlSocketHandle::connect(NlFamily::Generic, None, Groups::empty())
            .map_err(|e| socket_error("open a generic netlink socket", e))?;
        sock.enable_ext_ack(true)
            .map_err(|e| socket_error("enable extended acks", e))?;
        let mut c = Client {
            sock,
            family: 0,
            events_group: 0,
            seq: 1,
        };
        c.resolve()?;
        Ok(c)
    }

    /// The family's id (the `nlmsg_type` of its messages).
    pub fn family_id(&self) -> u16 {
        self.family
    }

    /// The `events` group's id.
    pub fn events_group(&self) -> u32 {
        self.events_group
    }

    fn resolve(&mut self) -> Result<()> {
        // The controller's numbers come from neli. Its own resolver
        // (`NlRouter::resolve_genl_family`) would start a router thread and a second
        // socket per connection; this asks the controller on the client's socket.
        let genl_id_ctrl = u16::from(GenlId::Ctrl);
        let ctrl_cmd_getfamily = u8::from(CtrlCmd::Getfamily);
        let ctrl_attr_family_id = u16::from(CtrlAttr::FamilyId);
        let ctrl_attr_family_name = u16::from(CtrlAttr::FamilyName);
        let ctrl_attr_mcast_groups = u16::from(CtrlAttr::McastGroups);
        let ctrl_attr_mcast_grp_name = u16::from(CtrlAttrMcastGrp::Name);
        let ctrl_attr_mcast_grp_id = u16::from(CtrlAttrMcastGrp::Id);
        let replies = match self.exchange(
            genl_id_ctrl,
            ctrl_cmd_getfamily,
            2,
            &encode(&[RawAttr::str(ctrl_attr_family_name, FAMILY)]),
            false,
            "resolve the generic netlink family",
        ) {
            Err(Error::Netlink { source, .. }) if source.raw_os_error() == Some(ENOENT) => {
                return Err(Error::NotLoaded {
                    via: VIA,
                    path: PathBuf::from(format!("generic netlink family {FAMILY}")),
                })
            }
            other => other?,
        };
        let reply = replies
            .first()
            .ok_or_else(|| Error::protocol(VIA, "no reply from the genetlink controller"))?;
        self.family = reply
            .find(ctrl_attr_family_id)
            .and_then(|p| Some(u16::from_ne_bytes(p.get(..2)?.try_into().ok()?)))
            .ok_or_else(|| Error::protocol(VIA, "controller reply without a family id"))?;
        let groups = reply.find(ctrl_attr_mcast_groups).unwrap_or(&[]);
        self.events_group = decode(groups)
            .into_iter()
            .find_map(|(_, grp)| {
                let attrs = decode(grp);
                let name = attrs
                    .iter()
                    .find(|(t, _)| *t == ctrl_attr_mcast_grp_name)?
                    .1;
                if name.strip_suffix(&[0]).unwrap_or(name) != EVENTS_GROUP.as_bytes() {
                    return None;
                }
                let id = attrs.iter().find(|(t, _)| *t == ctrl_attr_mcast_grp_id)?.1;
                Some(u32::from_ne_bytes(id.get(..4)?.try_into().ok()?))
            })
            .ok_or_else(|| {
                Error::protocol(VIA, format!("family {FAMILY} has no group {EVENTS_GROUP}"))
            })?;
        Ok(())
    }

    /// Sends command `cmd` with the attribute stream `attrs` (as [`encode`] makes it) and
    /// collects the replies: a dump's parts, or a doit's reply before its ack. A refusal is
    /// [`Error::Netlink`] with the errno and the kernel's extended-ack message.
    pub fn request_raw(&mut self, cmd: u8, attrs: &[u8], dump: bool) -> Result<Vec<Reply>> {
        let family = self.family;
        self.exchange(family, cmd, VERSION, attrs, dump, "request")
    }

    /// [`Client::request_raw`] with attributes.
    pub fn request(&mut self, cmd: u8, attrs: &[RawAttr], dump: bool) -> Result<Vec<Reply>> {
        self.request_raw(cmd, &encode(attrs), dump)
    }

    fn exchange(
        &mut self,
        nl_type: u16,
        cmd: u8,
        version: u8,
        attrs: &[u8],
        dump: bool,
        op: &'static str,
    ) -> Result<Vec<Reply>> {
        let seq = self.seq;
        self.seq = self.seq.wrapping_add(1);
        let mut buf = GenlBuffer::<u16, Buffer>::new();
        for (ty, payload) in decode_raw(attrs) {
            let attr = NlattrBuilder::default()
                .nla_type(
                    AttrTypeBuilder::default()
                        .nla_type(ty & NLA_TYPE_MASK)
                        .nla_nested(ty & NLA_F_NESTED != 0)
                        .nla_network_order(ty & 0x4000 != 0)
                        .build()
                        .map_err(|e| Error::protocol(VIA, e.to_string()))?,
                )
                .nla_payload(payload.to_vec())
                .build()
                .map_err(|e| Error::protocol(VIA, e.to_string()))?;
            buf.push(attr);
        }
        let genl = GenlmsghdrBuilder::<u8, u16>::default()
            .cmd(cmd)
            .version(version)
            .attrs(buf)
            .build()
            .map_err(|e| Error::protocol(VIA, e.to_string()))?;
        let flags = NlmF::REQUEST | if dump { NlmF::DUMP } else { NlmF::ACK };
        let msg = NlmsghdrBuilder::default()
            .nl_type(nl_type)
            .nl_flags(flags)
            .nl_seq(seq)
            .nl_payload(NlPayload::Payload(genl))
            .build()
            .map_err(|e| Error::protocol(VIA, e.to_string()))?;
        self.sock.send(&msg).map_err(|e| socket_error(op, e))?;

        let mut out = Vec::new();
        loop {
            let (iter, _) = self
                .sock
                .recv::<u16, Genlmsghdr<u8, u16>>()
                .map_err(|e| socket_error(op, e))?;
            for m in iter {
                let m = m.map_err(|e| socket_error(op, e))?;
                if *m.nl_seq() != seq {
                    continue;
                }
                match m.nl_payload() {
                    // A doit's reply is followed by its ack; a dump's parts by DONE.
                    NlPayload::Payload(p) => out.push(reply_of(p)),
                    NlPayload::Ack(_) => return Ok(out),
                    NlPayload::Err(e) => {
                        return Err(kernel_error(op, *e.error(), ext_ack_msg(e.ext_ack())))
                    }
                    NlPayload::DumpExtAck(e) => {
                        if *e.error() != 0 {
                            return Err(kernel_error(op, *e.error(), ext_ack_msg(e.ext_ack())));
                        }
                        return Ok(out);
                    }
                    NlPayload::Empty => {
                        if u16::from(Nlmsg::Done) == *m.nl_type() {
                            return Ok(out);
                        }
                    }
                }
            }
        }
    }
}

impl AsFd for Client {
    fn as_fd(&self) -> BorrowedFd<'_> {
        crate::sys::borrow_fd(&self.sock)
    }
}

/// Splits an encoded stream back into `(raw type with flags, payload)`.
fn decode_raw(mut buf: &[u8]) -> Vec<(u16, &[u8])> {
    let mut out = Vec::new();
    while let Some(hdr) = buf.get(..4) {
        let len = usize::from(u16::from_ne_bytes([hdr[0], hdr[1]]));
        let ty = u16::from_ne_bytes([hdr[2], hdr[3]]);
        let payload = buf
            .get(4..len.max(4))
            .unwrap_or(buf.get(4..).unwrap_or(&[]));
        out.push((ty, payload));
        buf = buf.get((len.max(4) + 3) & !3..).unwrap_or(&[]);
    }
    out
}

fn reply_of(p: &Genlmsghdr<u8, u16>) -> Reply {
    let handle = p.attrs().get_attr_handle();
    Reply {
        cmd: *p.cmd(),
        attrs: handle
            .iter()
            .map(|a| (*a.nla_type().nla_type(), a.nla_payload().as_ref().to_vec()))
            .collect(),
    }
}

fn ext_ack_msg(ext: &GenlBuffer<neli::consts::nl::NlmsgerrAttr, Buffer>) -> Option<String> {
    ext.iter()
        .find(|a| *a.nla_type().nla_type() == neli::consts::nl::NlmsgerrAttr::Msg)
        .map(|a| {
            let p = a.nla_payload().as_ref();
            let end = p.iter().position(|&b| b == 0).unwrap_or(p.len());
            String::from_utf8_lossy(p.get(..end).unwrap_or(&[])).into_owned()
        })
}

fn kernel_error(op: &'static str, error: i32, message: Option<String>) -> Error {
    Error::Netlink {
        op,
        source: io::Error::from_raw_os_error(error.saturating_abs()),
        message,
    }
}

/// Backend over the generic netlink family.
#[derive(Debug)]
pub struct NetlinkBackend {
    client: Client,
}

fn line_of(r: &Reply) -> Result<(u32, LineInfo)> {
    let index = r.need("a line index", r.u32(line::INDEX))?;
    let name = r.need("a line name", r.str(line::NAME))?;
    let kind = LineKind::from_abi(r.need("a line kind", r.u8(line::KIND))?);
    let value = r.need("a value", r.u32(line::VALUE))?;
    let max = r.need("a max-value", r.u32(line::MAX_VALUE))?;
    let mut l = LineInfo::new(name, kind, value, max);
    l.active_low = r.u32(line::FLAGS).unwrap_or(0) & abi::LINE_FLAG_ACTIVE_LOW != 0;
    l.changes = r.u64(line::CHANGES);
    l.last_source = r.u8(line::LAST_SOURCE).map(Source::from_abi);
    l.last_change_ns = r.u64(line::LAST_CHANGE_NS);
    Ok((index, l))
}

impl NetlinkBackend {
    /// Opens a socket and resolves the family.
    pub fn open() -> Result<Self> {
        Ok(NetlinkBackend {
            client: Client::connect()?,
        })
    }

    /// The raw client.
    pub fn client(&mut self) -> &mut Client {
        &mut self.client
    }

    /// Sets lines atomically; returns the sequence number after the change.
    pub fn set_with_seq(&mut self, values: &[(&str, u32)]) -> Result<u64> {
        check_unique(values.iter().map(|(n, _)| *n))?;
        let attrs: Vec<RawAttr> = values
            .iter()
            .map(|&(name, v)| {
                RawAttr::nest(
                    change::ASSIGN,
                    &[RawAttr::str(line::NAME, name), RawAttr::u32(line::VALUE, v)],
                )
            })
            .collect();
        match self.client.request(cmd::LINE_SET, &attrs, false) {
            Ok(r) => seq_of(&r),
            Err(e) => Err(self.explain(e, |lines| check_set_request(lines, values))),
        }
    }

    /// Toggles lines atomically; returns the sequence number after the change.
    pub fn toggle_with_seq(&mut self, names: &[&str]) -> Result<u64> {
        check_unique(names.iter().copied())?;
        let attrs: Vec<RawAttr> = names
            .iter()
            .map(|&name| RawAttr::nest(change::TARGET, &[RawAttr::str(line::NAME, name)]))
            .collect();
        match self.client.request(cmd::LINE_TOGGLE, &attrs, false) {
            Ok(r) => seq_of(&r),
            Err(e) => Err(self.explain(e, |lines| check_toggle_request(lines, names))),
        }
    }

    /// A refused change that the line table explains becomes the precise library error
    /// (unknown line with a suggestion, input line, value out of range).
    fn explain(&mut self, e: Error, check: impl FnOnce(&[LineInfo]) -> Result<()>) -> Error {
        let explainable = matches!(e.errno(), Some(ENOENT | EINVAL | ERANGE));
        if explainable {
            if let Ok(lines) = self.lines() {
                if let Err(precise) = check(&lines) {
                    return precise;
                }
            }
        }
        e
    }
}

fn seq_of(replies: &[Reply]) -> Result<u64> {
    let r = replies
        .first()
        .ok_or_else(|| Error::protocol(VIA, "no reply to a change"))?;
    r.need("a sequence number", r.u64(change::SEQ))
}

impl Backend for NetlinkBackend {
    fn via(&self) -> Interface {
        VIA
    }

    fn board(&mut self) -> Result<BoardInfo> {
        let replies = self.client.request(cmd::BOARD_GET, &[], false)?;
        let r = replies
            .first()
            .ok_or_else(|| Error::protocol(VIA, "no reply to board-get"))?;
        let abi_version = r.need("an ABI version", r.u32(board::ABI_VERSION))?;
        if abi_version != abi::ABI_VERSION {
            return Err(Error::AbiMismatch {
                via: VIA,
                kernel: abi_version,
                user: abi::ABI_VERSION,
            });
        }
        Ok(BoardInfo {
            name: r.need("a label", r.str(board::LABEL))?,
            abi_version,
            num_lines: r.need("a line count", r.u32(board::LINE_COUNT))?,
            seq: r.need("a sequence number", r.u64(board::SEQ))?,
        })
    }

    /// One dump: a message per line, in index order.
    fn lines(&mut self) -> Result<Vec<LineInfo>> {
        let replies = self.client.request(cmd::LINE_GET, &[], true)?;
        let mut lines = Vec::with_capacity(replies.len());
        for (expected, r) in replies.iter().enumerate() {
            let (index, l) = line_of(r)?;
            if usize::try_from(index).ok() != Some(expected) {
                return Err(Error::protocol(
                    VIA,
                    format!("dump gave line {index} where {expected} was expected"),
                ));
            }
            lines.push(l);
        }
        Ok(lines)
    }

    /// One `line-get` by name.
    fn line(&mut self, name: &str) -> Result<LineInfo> {
        abi::validate_name(name.as_bytes()).map_err(|reason| Error::InvalidName {
            name: name.to_owned(),
            reason,
        })?;
        match self
            .client
            .request(cmd::LINE_GET, &[RawAttr::str(line::NAME, name)], false)
        {
            Ok(r) => {
                let r = r
                    .first()
                    .ok_or_else(|| Error::protocol(VIA, "no reply to line-get"))?;
                Ok(line_of(r)?.1)
            }
            Err(e) if e.errno() == Some(ENOENT) => {
                let lines = self.lines()?;
                crate::backend::find(&lines, name).cloned()
            }
            Err(e) => Err(e),
        }
    }

    /// One `line-set`: atomic.
    fn set(&mut self, values: &[(&str, u32)]) -> Result<()> {
        self.set_with_seq(values).map(|_| ())
    }

    /// One `line-toggle`: atomic.
    fn toggle(&mut self, names: &[&str]) -> Result<()> {
        self.toggle_with_seq(names).map(|_| ())
    }

    fn events(&mut self) -> Result<EventStream> {
        Ok(EventStream::new(Box::new(NetlinkEvents::subscribe(
            &mut self.client,
        )?)))
    }
}

/// The `events` multicast group, as an [`EventSource`].
pub struct NetlinkEvents {
    sock: NlSocketHandle,
    family: u16,
    /// Sequence number of the last event delivered (or the board's at subscription).
    last_seq: u64,
    pending: std::collections::VecDeque<Event>,
}

impl std::fmt::Debug for NetlinkEvents {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NetlinkEvents")
            .field("last_seq", &self.last_seq)
            .finish_non_exhaustive()
    }
}

impl NetlinkEvents {
    /// Joins the `events` group on a new socket, then reads the board's sequence number
    /// through `client`: events up to it are skipped, the first one expected is the next.
    pub fn subscribe(client: &mut Client) -> Result<Self> {
        let sock = NlSocketHandle::connect(NlFamily::Generic, None, Groups::empty())
            .map_err(|e| socket_error("open a generic netlink socket", e))?;
        sock.add_mcast_membership(Groups::new_groups(&[client.events_group()]))
            .map_err(|e| socket_error("join the events group", e))?;
        let replies = client.request(cmd::BOARD_GET, &[], false)?;
        let r = replies
            .first()
            .ok_or_else(|| Error::protocol(VIA, "no reply to board-get"))?;
        let last_seq = r.need("a sequence number", r.u64(board::SEQ))?;
        Ok(NetlinkEvents {
            sock,
            family: client.family_id(),
            last_seq,
            pending: std::collections::VecDeque::new(),
        })
    }

    /// Waits until the socket polls readable; `false` on timeout. A pending socket error (an
    /// overrun's `ENOBUFS`, possibly with nothing queued) counts as readable: [`Self::read`]
    /// takes it.
    fn wait(&self, deadline: Option<Instant>) -> Result<bool> {
        wait_readable(
            self.as_fd(),
            deadline,
            PollFlags::POLLIN | PollFlags::POLLERR,
            VIA,
        )
    }

    /// Reads one datagram (blocking; called when poll said readable) into `pending`.
    fn read(&mut self) -> Result<()> {
        let (iter, _) = match self.sock.recv::<u16, Genlmsghdr<u8, u16>>() {
            Ok(x) => x,
            // The socket overran: the kernel dropped the events that did not fit. What is
            // still queued comes next; the first event after the lost ones shows them as a
            // gap in seq, counted exactly in its `dropped`.
            Err(e) if raw_os_errno(&e) == Some(ENOBUFS) => return Ok(()),
            Err(e) => return Err(socket_error("read events", e)),
        };
        let mut events = Vec::new();
        for m in iter {
            let m = m.map_err(|e| socket_error("read events", e))?;
            if *m.nl_type() != self.family {
                continue;
            }
            if let NlPayload::Payload(p) = m.nl_payload() {
                let r = reply_of(p);
                if r.cmd == cmd::EVENT {
                    events.push(r);
                }
            }
        }
        for r in events {
            self.accept(&r)?;
        }
        Ok(())
    }

    fn accept(&mut self, r: &Reply) -> Result<()> {
        let seq = r.need("a sequence number", r.u64(event::SEQ))?;
        let Some(dropped) = dropped_before(self.last_seq, seq) else {
            // Made before the subscription took effect.
            return Ok(());
        };
        self.last_seq = seq;
        self.pending.push_back(Event {
            seq,
            timestamp_ns: r.need("a timestamp", r.u64(event::TIMESTAMP_NS))?,
            line: r.need("a line name", r.str(event::LINE_NAME))?,
            kind: LineKind::from_abi(r.need("a kind", r.u8(event::KIND))?),
            source: Source::from_abi(r.need("a source", r.u8(event::SOURCE))?),
            old_value: r.need("an old value", r.u32(event::OLD_VALUE))?,
            new_value: r.need("a new value", r.u32(event::NEW_VALUE))?,
            dropped,
        });
        Ok(())
    }
}

/// Events lost before the one with `seq`, the previous one delivered having `last`; `None`
/// for an event that is not newer. Every change has its own seq, so this is exact, whether
/// the events were lost to a socket overrun or to the kernel failing to build them.
fn dropped_before(last: u64, seq: u64) -> Option<u32> {
    let gap = seq.checked_sub(last)?.checked_sub(1)?;
    Some(u32::try_from(gap).unwrap_or(u32::MAX))
}

impl EventSource for NetlinkEvents {
    fn via(&self) -> Interface {
        VIA
    }

    fn as_fd(&self) -> BorrowedFd<'_> {
        crate::sys::borrow_fd(&self.sock)
    }

    fn next_timeout(&mut self, timeout: Option<Duration>) -> Result<Option<Event>> {
        let deadline = timeout.map(|t| Instant::now() + t);
        loop {
            if let Some(ev) = self.pending.pop_front() {
                return Ok(Some(ev));
            }
            if !self.wait(deadline)? {
                return Ok(None);
            }
            self.read()?;
        }
    }
}

/// The raw fd of the socket, for callers that poll it themselves.
impl AsRawFd for NetlinkEvents {
    fn as_raw_fd(&self) -> std::os::fd::RawFd {
        self.sock.as_raw_fd()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attributes_round_trip() {
        let attrs = [
            RawAttr::u32(line::INDEX, 3),
            RawAttr::nest(
                change::ASSIGN,
                &[
                    RawAttr::str(line::NAME, "relay"),
                    RawAttr::u32(line::VALUE, 1),
                ],
            ),
        ];
        let bytes = encode(&attrs);
        assert_eq!(bytes.len() % 4, 0);
        let top = decode(&bytes);
        assert_eq!(top.len(), 2);
        assert_eq!(top[0], (line::INDEX, &3u32.to_ne_bytes()[..]));
        assert_eq!(top[1].0, change::ASSIGN);
        let inner = decode(top[1].1);
        assert_eq!(inner[0], (line::NAME, &b"relay\0"[..]));
        assert_eq!(inner[1], (line::VALUE, &1u32.to_ne_bytes()[..]));
        // The raw split keeps the nested flag.
        assert_eq!(decode_raw(&bytes)[1].0, change::ASSIGN | NLA_F_NESTED);
        // Truncated input stops, never panics.
        assert_eq!(decode(&bytes[..6]).len(), 0);
    }

    #[test]
    fn replies_decode_and_gaps_count_as_dropped() {
        let mut r = Reply {
            cmd: cmd::EVENT,
            attrs: vec![
                (event::SEQ, 7u64.to_ne_bytes().to_vec()),
                (event::TIMESTAMP_NS, 1u64.to_ne_bytes().to_vec()),
                (event::LINE_INDEX, 0u32.to_ne_bytes().to_vec()),
                (event::LINE_NAME, b"relay\0".to_vec()),
                (event::OLD_VALUE, 0u32.to_ne_bytes().to_vec()),
                (event::NEW_VALUE, 1u32.to_ne_bytes().to_vec()),
                (event::SOURCE, vec![abi::SOURCE_NETLINK]),
                (event::KIND, vec![abi::KIND_OUTPUT]),
            ],
        };
        assert_eq!(r.str(event::LINE_NAME).as_deref(), Some("relay"));
        assert_eq!(r.u64(event::SEQ), Some(7));
        assert_eq!(r.u32(event::LINE_NAME), Some(u32::from_ne_bytes(*b"rela")));
        assert_eq!(r.u64(event::PAD), None);
        r.attrs.retain(|(t, _)| *t != event::SOURCE);
        assert_eq!(r.u8(event::SOURCE), None);

        assert_eq!(dropped_before(5, 6), Some(0));
        assert_eq!(dropped_before(5, 9), Some(3));
        assert_eq!(dropped_before(5, 5), None);
        assert_eq!(dropped_before(5, 2), None);
        assert_eq!(dropped_before(0, u64::MAX), Some(u32::MAX));
    }
}
