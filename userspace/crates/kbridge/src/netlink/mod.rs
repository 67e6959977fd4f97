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
//!
//! Files: `wire` (attribute streams: [`RawAttr`], [`encode`], [`decode`], [`Reply`]), `client`
//! (the socket, the controller lookup, request/reply exchanges), `backend` (the [`Backend`]
//! over the family's commands), `events` (the `events` group as an event source). The imports
//! below are shared by all four (`use super::*`).

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

use crate::error::libc_errno::{EINVAL, ENOBUFS, ENOENT, ERANGE};
// Command and attribute numbers, defined once in the ABI for the module and user space
// (checked against the spec by tests/host/netlink-spec.sh).
pub use abi::nl::{board, change, cmd, event, line};
use abi::nl::{NLA_F_NESTED, NLA_TYPE_MASK};

mod backend;
mod client;
mod events;
mod wire;

pub use backend::NetlinkBackend;
pub use client::Client;
use client::{raw_os_errno, reply_of, socket_error};
#[cfg(test)]
use events::dropped_before;
pub use events::NetlinkEvents;
use wire::decode_raw;
pub use wire::{decode, encode, RawAttr, Reply};

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
