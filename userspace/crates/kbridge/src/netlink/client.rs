//! [`Client`]: a generic netlink socket bound to the family, any command, any attributes.

use super::*;

pub(super) fn socket_error(op: &'static str, e: SocketError) -> Error {
    match e {
        SocketError::Io(io) => Error::Os {
            via: VIA,
            op,
            source: io::Error::new(io.kind(), io.to_string()),
        },
        other => Error::protocol(VIA, format!("{op}: {other}")),
    }
}

pub(super) fn raw_os_errno(e: &SocketError) -> Option<i32> {
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

pub(super) fn reply_of(p: &Genlmsghdr<u8, u16>) -> Reply {
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
