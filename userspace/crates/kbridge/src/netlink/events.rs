//! [`NetlinkEvents`]: change events from the family's `events` multicast group.

use super::*;

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
pub(super) fn dropped_before(last: u64, seq: u64) -> Option<u32> {
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
