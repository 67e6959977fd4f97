//! `netlink`: malformed and refused generic netlink requests. Each case sends one raw request,
//! checks the errno (and, for kbridge's own checks, that an extended-ack message came back),
//! then checks that nothing changed: the board's sequence number and every line's value are
//! read before and after. A second process, dropped to an unprivileged user, checks that
//! changes need `CAP_NET_ADMIN` while reads don't.

use std::os::unix::process::CommandExt;
use std::process::Command;

use kbridge::netlink::{change, cmd, line, Client, RawAttr, Reply};
use kbridge::Error;
use nix::errno::Errno;

use crate::report::Report;

const EPERM: i32 = Errno::EPERM as i32;
const ENOENT: i32 = Errno::ENOENT as i32;
const EINVAL: i32 = Errno::EINVAL as i32;
const ERANGE: i32 = Errno::ERANGE as i32;
const EOPNOTSUPP: i32 = Errno::EOPNOTSUPP as i32;

/// uid/gid of the unprivileged `user` of the test initramfs.
const USER_ID: u32 = 1000;

/// The board's sequence number and values.
#[derive(Debug, PartialEq, Eq)]
struct Snapshot {
    seq: u64,
    values: Vec<u32>,
}

fn snapshot(c: &mut Client) -> Result<Snapshot, String> {
    let board = c
        .request(cmd::BOARD_GET, &[], false)
        .map_err(|e| format!("board-get: {e}"))?;
    let seq = board
        .first()
        .and_then(|r| r.u64(kbridge::netlink::board::SEQ))
        .ok_or("board-get without seq")?;
    let lines = c
        .request(cmd::LINE_GET, &[], true)
        .map_err(|e| format!("line dump: {e}"))?;
    let values = lines
        .iter()
        .map(|r| r.u32(line::VALUE).ok_or("line without value"))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Snapshot { seq, values })
}

/// What a case expects back.
struct Case {
    name: &'static str,
    cmd: u8,
    dump: bool,
    /// The attribute stream, raw (some cases are malformed on purpose).
    attrs: Vec<u8>,
    errno: i32,
    /// The refusal comes from kbridge's own checks, which always explain themselves.
    needs_message: bool,
}

fn enc(attrs: &[RawAttr]) -> Vec<u8> {
    kbridge::netlink::encode(attrs)
}

fn raw(ty: u16, nested: bool, payload: &[u8]) -> RawAttr {
    RawAttr {
        ty,
        nested,
        payload: payload.to_vec(),
    }
}

fn assign(children: &[RawAttr]) -> RawAttr {
    RawAttr::nest(change::ASSIGN, children)
}

fn cases() -> Vec<Case> {
    let case = |name, cmd, attrs, errno, needs_message| Case {
        name,
        cmd,
        dump: false,
        attrs,
        errno,
        needs_message,
    };
    let relay = |v| {
        assign(&[
            RawAttr::str(line::NAME, "relay"),
            RawAttr::u32(line::VALUE, v),
        ])
    };
    vec![
        // Policy: unknown and out-of-op attributes, wrong types and lengths, ranges.
        case(
            "unknown-attr",
            cmd::LINE_GET,
            enc(&[RawAttr::u32(60, 1)]),
            EINVAL,
            false,
        ),
        case(
            "attr-not-in-op",
            cmd::LINE_GET,
            enc(&[RawAttr::u32(line::INDEX, 0), RawAttr::u32(line::VALUE, 1)]),
            EINVAL,
            false,
        ),
        case(
            "u32-wrong-length",
            cmd::LINE_GET,
            enc(&[raw(line::INDEX, false, &[1, 0])]),
            EINVAL,
            false,
        ),
        case(
            "string-without-nul",
            cmd::LINE_GET,
            enc(&[raw(line::NAME, false, b"relay")]),
            EINVAL,
            false,
        ),
        case(
            "string-too-long",
            cmd::LINE_GET,
            enc(&[RawAttr::str(line::NAME, &"a".repeat(40))]),
            EINVAL,
            false,
        ),
        case(
            "index-out-of-range",
            cmd::LINE_GET,
            enc(&[RawAttr::u32(line::INDEX, 64)]),
            ERANGE,
            false,
        ),
        case(
            "nest-without-nested-flag",
            cmd::LINE_SET,
            enc(&[raw(
                change::ASSIGN,
                false,
                &enc(&[RawAttr::u32(line::INDEX, 0), RawAttr::u32(line::VALUE, 1)]),
            )]),
            EINVAL,
            false,
        ),
        case(
            "nested-index-out-of-range",
            cmd::LINE_SET,
            enc(&[assign(&[
                RawAttr::u32(line::INDEX, 99),
                RawAttr::u32(line::VALUE, 1),
            ])]),
            ERANGE,
            false,
        ),
        case(
            "nested-unknown-attr",
            cmd::LINE_SET,
            enc(&[assign(&[
                RawAttr::u32(line::INDEX, 0),
                RawAttr::u32(line::VALUE, 1),
                RawAttr::u32(line::MAX_VALUE, 1),
            ])]),
            EINVAL,
            false,
        ),
        // Missing required attributes (kbridge's checks, with messages).
        case("get-missing-line", cmd::LINE_GET, Vec::new(), EINVAL, true),
        case(
            "set-missing-assign",
            cmd::LINE_SET,
            Vec::new(),
            EINVAL,
            true,
        ),
        case(
            "set-missing-value",
            cmd::LINE_SET,
            enc(&[assign(&[RawAttr::str(line::NAME, "relay")])]),
            EINVAL,
            true,
        ),
        case(
            "set-missing-line",
            cmd::LINE_SET,
            enc(&[assign(&[RawAttr::u32(line::VALUE, 1)])]),
            EINVAL,
            true,
        ),
        case(
            "toggle-missing-target",
            cmd::LINE_TOGGLE,
            Vec::new(),
            EINVAL,
            true,
        ),
        // Lines that don't exist or can't change; values out of range.
        case(
            "get-unknown-index",
            cmd::LINE_GET,
            enc(&[RawAttr::u32(line::INDEX, 40)]),
            ENOENT,
            true,
        ),
        case(
            "get-unknown-name",
            cmd::LINE_GET,
            enc(&[RawAttr::str(line::NAME, "nosuch")]),
            ENOENT,
            true,
        ),
        case(
            "get-index-name-disagree",
            cmd::LINE_GET,
            enc(&[
                RawAttr::u32(line::INDEX, 1),
                RawAttr::str(line::NAME, "relay"),
            ]),
            EINVAL,
            true,
        ),
        case(
            "set-unknown-name",
            cmd::LINE_SET,
            enc(&[
                relay(1),
                assign(&[
                    RawAttr::str(line::NAME, "nosuch"),
                    RawAttr::u32(line::VALUE, 1),
                ]),
            ]),
            ENOENT,
            true,
        ),
        case(
            "set-input-line",
            cmd::LINE_SET,
            enc(&[
                relay(1),
                assign(&[
                    RawAttr::str(line::NAME, "button"),
                    RawAttr::u32(line::VALUE, 1),
                ]),
            ]),
            EINVAL,
            true,
        ),
        case(
            "toggle-input-line",
            cmd::LINE_TOGGLE,
            enc(&[RawAttr::nest(
                change::TARGET,
                &[RawAttr::str(line::NAME, "door")],
            )]),
            EINVAL,
            true,
        ),
        case(
            "set-value-above-max",
            cmd::LINE_SET,
            enc(&[relay(2)]),
            ERANGE,
            true,
        ),
        case(
            "set-duplicate-line",
            cmd::LINE_SET,
            enc(&[relay(1), relay(0)]),
            EINVAL,
            true,
        ),
        // Commands the family doesn't have (or not that way).
        case("unknown-command", 99, Vec::new(), EOPNOTSUPP, false),
        case(
            "event-is-not-a-request",
            cmd::EVENT,
            Vec::new(),
            EOPNOTSUPP,
            false,
        ),
        Case {
            name: "set-as-dump",
            cmd: cmd::LINE_SET,
            dump: true,
            attrs: enc(&[relay(1)]),
            errno: EOPNOTSUPP,
            needs_message: false,
        },
    ]
}

fn run_case(c: &mut Client, case: &Case) -> Result<(), String> {
    let before = snapshot(c)?;
    let got = c.request_raw(case.cmd, &case.attrs, case.dump);
    let after = snapshot(c)?;
    if before != after {
        return Err(format!("state changed: {before:?} -> {after:?}"));
    }
    match got {
        Ok(r) => Err(format!("accepted (replies: {r:?})")),
        Err(Error::Netlink {
            source, message, ..
        }) => {
            let errno = source.raw_os_error();
            if errno != Some(case.errno) {
                return Err(format!(
                    "errno {errno:?} ({source}), expected {}",
                    case.errno
                ));
            }
            if case.needs_message && message.is_none() {
                return Err("no extended-ack message".into());
            }
            Ok(())
        }
        Err(e) => Err(format!("not a kernel refusal: {e}")),
    }
}

/// Every refused request leaves the state alone.
pub(crate) fn run(r: &mut Report) {
    let mut c = match Client::connect() {
        Ok(c) => c,
        Err(e) => {
            r.fail("connect", e);
            return;
        }
    };
    r.pass("connect");
    // A valid request first, so a probe harness that refuses everything can't pass.
    let ok = c
        .request(cmd::LINE_GET, &[RawAttr::u32(line::INDEX, 0)], false)
        .map_err(|e| e.to_string())
        .and_then(
            |rs| match rs.first().and_then(|x: &Reply| x.str(line::NAME)) {
                Some(n) if n == "relay" => Ok(()),
                other => Err(format!("line 0 is {other:?}")),
            },
        );
    r.check("valid-request", ok);
    for case in cases() {
        let res = run_case(&mut c, &case);
        r.check(case.name, res);
    }
    // An accepted multi-line set changes every line with one request.
    let res = (|| {
        let before = snapshot(&mut c)?;
        let relay = before.values.first().copied().ok_or("no line 0")?;
        // The LED "status", found by name (indices depend on the board's DT).
        let names = c
            .request(cmd::LINE_GET, &[], true)
            .map_err(|e| format!("line dump: {e}"))?;
        let st = names
            .iter()
            .position(|r| r.str(line::NAME).as_deref() == Some("status"))
            .ok_or("no line 'status'")?;
        let status = before.values.get(st).copied().ok_or("no status value")?;
        c.request(
            cmd::LINE_SET,
            &[
                assign(&[
                    RawAttr::u32(line::INDEX, 0),
                    RawAttr::u32(line::VALUE, 1 - relay.min(1)),
                ]),
                assign(&[
                    RawAttr::str(line::NAME, "status"),
                    RawAttr::u32(line::VALUE, 1 - status.min(1)),
                ]),
            ],
            false,
        )
        .map_err(|e| e.to_string())?;
        let after = snapshot(&mut c)?;
        if after.seq != before.seq + 2 {
            return Err(format!("seq {} -> {}", before.seq, after.seq));
        }
        if after.values.first() == before.values.first()
            || after.values.get(st) == before.values.get(st)
        {
            return Err(format!("values {:?} -> {:?}", before.values, after.values));
        }
        Ok(())
    })();
    r.check("set-two-lines", res);
    unprivileged_parent(r, &mut c);
}

/// Runs `kbridge-test netlink-unprivileged` as the unprivileged user; it reports its own cases.
fn unprivileged_parent(r: &mut Report, c: &mut Client) {
    let exe = match std::env::current_exe() {
        Ok(p) => p,
        Err(e) => {
            r.fail("unprivileged", format!("own path: {e}"));
            return;
        }
    };
    let before = snapshot(c);
    let status = Command::new(exe)
        .arg("netlink-unprivileged")
        .uid(USER_ID)
        .gid(USER_ID)
        .status();
    let after = snapshot(c);
    match (status, before, after) {
        (Ok(s), Ok(b), Ok(a)) if s.success() && a == b => r.pass("unprivileged"),
        (Ok(s), Ok(b), Ok(a)) if a != b => r.fail(
            "unprivileged",
            format!("state changed ({s}): {b:?} -> {a:?}"),
        ),
        (s, b, a) => r.fail("unprivileged", format!("{s:?} {b:?} {a:?}")),
    }
}

/// As an unprivileged user: reads work, changes are refused with EPERM.
pub(crate) fn unprivileged(r: &mut Report) {
    let mut c = match Client::connect() {
        Ok(c) => c,
        Err(e) => {
            r.fail("noadmin-connect", e);
            return;
        }
    };
    r.check("noadmin-read", snapshot(&mut c).map(|_| ()));
    let expect_eperm = |res: kbridge::Result<Vec<Reply>>| match res {
        Err(e) if e.errno() == Some(EPERM) => Ok(()),
        Err(e) => Err(format!("{e}, expected EPERM")),
        Ok(_) => Err("accepted without CAP_NET_ADMIN".to_owned()),
    };
    let set = c.request(
        cmd::LINE_SET,
        &[assign(&[
            RawAttr::str(line::NAME, "relay"),
            RawAttr::u32(line::VALUE, 1),
        ])],
        false,
    );
    r.check("noadmin-set-eperm", expect_eperm(set));
    let toggle = c.request(
        cmd::LINE_TOGGLE,
        &[RawAttr::nest(
            change::TARGET,
            &[RawAttr::str(line::NAME, "relay")],
        )],
        false,
    );
    r.check("noadmin-toggle-eperm", expect_eperm(toggle));
}
