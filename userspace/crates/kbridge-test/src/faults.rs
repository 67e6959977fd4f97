//! `faults`: systematic fault injection (the debug lane's `CONFIG_FAULT_INJECTION`, failslab
//! and fail_page_alloc). For one operation at a time, `/proc/thread-self/fail-nth` makes its
//! n-th allocation in the kernel fail, for n = 1, 2, ... until the operation runs without
//! reaching the n-th: every allocation it makes has then failed once. After each run the
//! state must be one of the two the interface promises: refused with nothing changed, or
//! done exactly once. Leaks and use-after-frees on the error paths show up in kmemleak and
//! KASAN, which the lane's runner checks after the tests.
//!
//! Operations: a netlink toggle (with an events listener, whose losses must be accounted for
//! in `/proc/kbridge`), an ioctl set, a chardev write, a sysfs write, and binding the board.
//! `tests/guest/t90-faults.sh` configures the fault attributes first.

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::os::unix::fs::FileExt;
use std::time::Duration;

use kbridge::netlink::{change, cmd, line, Client, NetlinkEvents, RawAttr};
use kbridge::EventSource;
use nix::errno::Errno;

use crate::raw;
use crate::report::Report;

/// More than any operation here allocates; reaching it means the loop never ends.
const MAX_NTH: u32 = 2000;
/// Line 0 of the test board (`relay`, an output on gpio-sim).
const RELAY: u32 = 0;
const RELAY_NAME: &str = "relay";
/// The board's platform device and driver.
const DEVICE: &str = "kbridge";
const DRIVER: &str = "/sys/bus/platform/drivers/kbridge";
/// The board's sysfs line directories.
const LINES: &str = "/sys/class/misc/kbridge/device/lines";

/// `/proc/thread-self/fail-nth`, open for writing for the whole run (opening it allocates).
/// The file is not seekable and a read moves its position: each run reads through a fresh
/// descriptor, opened before the countdown starts.
struct FailNth(File);

const FAIL_NTH: &str = "/proc/thread-self/fail-nth";

impl FailNth {
    fn open() -> std::io::Result<Self> {
        OpenOptions::new().write(true).open(FAIL_NTH).map(FailNth)
    }

    /// Runs `op` with its `n`-th kernel allocation failing. Returns its result and whether
    /// the failure was injected (false: `op` made fewer than `n` allocations).
    fn run<R>(&mut self, n: u32, op: impl FnOnce() -> R) -> std::io::Result<(R, bool)> {
        let mut reader = File::open(FAIL_NTH)?;
        self.0.write_all(n.to_string().as_bytes())?;
        let r = op();
        let mut left = String::new();
        let read = reader.read_to_string(&mut left);
        self.0.write_all(b"0")?;
        read?;
        Ok((r, left.trim() == "0"))
    }
}

/// The board's sequence number and values, read with `GET_VALUES`.
fn state(dev: &File) -> Result<(u64, Vec<u32>), String> {
    crate::ioctl::snapshot(dev, 8)
}

/// What one faulted run of an operation left.
enum Outcome {
    /// The operation succeeded.
    Done,
    /// The kernel refused it: nothing may have changed.
    Refused(Errno),
    /// The outcome is unknowable from user space (the kernel made the change but could
    /// not tell, e.g. a netlink ack lost to a failed allocation): either state is valid.
    Unknown(Errno),
}

/// Runs `op` (which toggles or sets `relay` to `1 - before`) with its 1st, 2nd, ... kernel
/// allocation failing, checking each time that the state is unchanged after a refusal and
/// changed exactly once after a success. Returns the number of fault points, or why not.
fn campaign(
    fail: &mut FailNth,
    dev: &File,
    mut op: impl FnMut(u32) -> Outcome,
) -> Result<u32, String> {
    for n in 1..=MAX_NTH {
        let (seq0, v0) = state(dev)?;
        let want = 1 - v0.first().copied().unwrap_or(0);
        let (out, injected) = fail
            .run(n, || op(want))
            .map_err(|e| format!("fail-nth: {e}"))?;
        let (seq1, v1) = state(dev)?;
        if std::env::var_os("KBRIDGE_FAULTS_VERBOSE").is_some() {
            let o = match &out {
                Outcome::Done => "done".to_owned(),
                Outcome::Refused(e) => format!("refused {e}"),
                Outcome::Unknown(e) => format!("unknown {e}"),
            };
            println!("# fault {n}: {o}, injected {injected}, seq {seq0} -> {seq1}");
        }
        let changed_once = seq1 == seq0 + 1 && v1.first() == Some(&want);
        let unchanged = seq1 == seq0 && v1 == v0;
        match out {
            Outcome::Done if !changed_once => {
                return Err(format!(
                    "fault {n}: succeeded but seq {seq0} -> {seq1}, relay {v0:?} -> {v1:?}"
                ))
            }
            Outcome::Refused(e) if !unchanged => {
                return Err(format!(
                    "fault {n}: refused ({e}) but the state changed: seq {seq0} -> {seq1}, {v0:?} -> {v1:?}"
                ))
            }
            Outcome::Unknown(e) if !(unchanged || changed_once) => {
                return Err(format!(
                    "fault {n}: failed ({e}) leaving seq {seq0} -> {seq1}, {v0:?} -> {v1:?}"
                ))
            }
            _ => {}
        }
        if !injected {
            return Ok(n - 1);
        }
    }
    Err(format!("still faulting after {MAX_NTH} allocations"))
}

/// The `netlink` record of `/proc/kbridge`: `(sent, failed, lost)`.
fn netlink_record() -> Result<(u64, u64, u64), String> {
    let text = std::fs::read_to_string(kbridge_abi::PROC_PATH).map_err(|e| e.to_string())?;
    let rec = text
        .lines()
        .find_map(|l| l.strip_prefix("netlink "))
        .ok_or("/proc/kbridge has no netlink record")?;
    let field = |k: &str| -> Result<u64, String> {
        rec.split(' ')
            .find_map(|w| w.strip_prefix(k)?.strip_prefix('='))
            .and_then(|v| v.parse().ok())
            .ok_or(format!("netlink record without {k}: {rec}"))
    };
    Ok((field("sent")?, field("failed")?, field("lost")?))
}

fn netlink(fail: &mut FailNth, dev: &File) -> Result<String, String> {
    let mut client = Client::connect().map_err(|e| e.to_string())?;
    let mut events = NetlinkEvents::subscribe(&mut client).map_err(|e| e.to_string())?;
    let (seq0, _) = state(dev)?;
    let (_, failed0, lost0) = netlink_record()?;
    let target = [RawAttr::nest(
        change::TARGET,
        &[RawAttr::str(line::NAME, RELAY_NAME)],
    )];
    let points = campaign(fail, dev, |_| {
        match client.request(cmd::LINE_TOGGLE, &target, false) {
            Ok(_) => Outcome::Done,
            Err(e) => {
                let errno = Errno::from_raw(e.errno().unwrap_or(0));
                // ENOMEM comes back in the kernel's error ack: the request was refused.
                // ENOBUFS is the socket's: the request's own skb, or the ack, could not be
                // allocated; the change may or may not have been made.
                if errno == Errno::ENOMEM {
                    Outcome::Refused(errno)
                } else {
                    Outcome::Unknown(errno)
                }
            }
        }
    })?;
    let (seq1, _) = state(dev)?;
    // Every change was either received by the listener or counted as failed by the kernel.
    let mut received = 0u64;
    let mut dropped = 0u64;
    while let Some(ev) = events
        .next_timeout(Some(Duration::from_millis(200)))
        .map_err(|e| e.to_string())?
    {
        received += 1;
        dropped += u64::from(ev.dropped);
    }
    let (_, failed1, lost1) = netlink_record()?;
    let (changes, failed, lost) = (seq1 - seq0, failed1 - failed0, lost1 - lost0);
    if received + failed + lost != changes || dropped != failed + lost {
        return Err(format!(
            "{changes} changes: listener got {received} (reporting {dropped} dropped), kernel counted {failed} failed, {lost} lost"
        ));
    }
    Ok(format!(
        "{points} fault points; {changes} changes, {received} events received, {failed} failed"
    ))
}

fn errno_of(e: &std::io::Error) -> Errno {
    Errno::from_raw(e.raw_os_error().unwrap_or(0))
}

fn run_case(r: &mut Report, case: &str, result: Result<String, String>) {
    match result {
        Ok(what) => {
            println!("# {case}: {what}");
            r.pass(case)
        }
        Err(e) => r.fail(case, e),
    }
}

/// Binds the board with its n-th allocation failing: a failed bind leaves nothing behind, and
/// binding again works. Leaves the board bound whatever happens.
fn bind(fail: &mut FailNth) -> Result<String, String> {
    let r = bind_campaign(fail);
    if !std::path::Path::new(&format!("{DRIVER}/{DEVICE}")).exists() {
        let _ = std::fs::write(format!("{DRIVER}/bind"), DEVICE);
    }
    r
}

fn bind_campaign(fail: &mut FailNth) -> Result<String, String> {
    let bound = || std::path::Path::new(&format!("{DRIVER}/{DEVICE}")).exists();
    let write = |file: &str| -> std::io::Result<()> {
        OpenOptions::new()
            .write(true)
            .open(format!("{DRIVER}/{file}"))?
            .write_all(DEVICE.as_bytes())
    };
    if bound() {
        write("unbind").map_err(|e| format!("unbind: {e}"))?;
    }
    let mut failures = 0;
    for n in 1..=MAX_NTH {
        let mut f = OpenOptions::new()
            .write(true)
            .open(format!("{DRIVER}/bind"))
            .map_err(|e| format!("open bind: {e}"))?;
        let (res, injected) = fail
            .run(n, || f.write_all(DEVICE.as_bytes()))
            .map_err(|e| format!("fail-nth: {e}"))?;
        drop(f);
        match res {
            Ok(()) => {
                if !bound() {
                    return Err(format!(
                        "fault {n}: bind succeeded but the board is not bound"
                    ));
                }
            }
            Err(e) => {
                failures += 1;
                let left: Vec<&str> = [raw::DEV, kbridge_abi::PROC_PATH, LINES]
                    .into_iter()
                    .filter(|p| std::path::Path::new(p).exists())
                    .collect();
                if bound() || !left.is_empty() {
                    return Err(format!(
                        "fault {n}: bind failed ({}) but left {left:?} (bound: {})",
                        errno_of(&e),
                        bound()
                    ));
                }
                write("bind").map_err(|e| format!("fault {n}: bind after the failure: {e}"))?;
            }
        }
        // The board works: a change goes through and reads back.
        let dev = raw::open(true).map_err(|e| format!("fault {n}: open after bind: {e}"))?;
        let (seq0, v0) = state(&dev)?;
        let want = 1 - v0.first().copied().unwrap_or(0);
        raw::set_line(&dev, RELAY, want).map_err(|e| format!("fault {n}: set after bind: {e}"))?;
        let (seq1, v1) = state(&dev)?;
        if seq1 != seq0 + 1 || v1.first() != Some(&want) {
            return Err(format!("fault {n}: board bound but a set did not take"));
        }
        drop(dev);
        if !injected {
            return Ok(format!("{} fault points, {failures} failed binds", n - 1));
        }
        write("unbind").map_err(|e| format!("fault {n}: unbind: {e}"))?;
    }
    Err(format!("still faulting after {MAX_NTH} allocations"))
}

pub(crate) fn run(r: &mut Report) {
    let mut fail = match FailNth::open() {
        Ok(f) => f,
        Err(e) => {
            r.skip(
                "fail-nth",
                format!("/proc/thread-self/fail-nth: {e} (needs CONFIG_FAULT_INJECTION)"),
            );
            return;
        }
    };
    let dev = match raw::open(true) {
        Ok(d) => d,
        Err(e) => {
            r.fail("open", format!("{}: {e}", raw::DEV));
            return;
        }
    };
    // KBRIDGE_FAULTS=netlink-toggle,bind runs only the cases listed.
    let only = std::env::var("KBRIDGE_FAULTS").ok();
    let wanted = |case: &str| {
        only.as_deref()
            .is_none_or(|l| l.split(',').any(|c| c == case))
    };
    if wanted("netlink-toggle") {
        let res = netlink(&mut fail, &dev);
        run_case(r, "netlink-toggle", res);
    }
    if wanted("ioctl-set") {
        let res = campaign(&mut fail, &dev, |want| {
            match raw::set_line(&dev, RELAY, want) {
                Ok(()) => Outcome::Done,
                Err(e) => Outcome::Refused(e),
            }
        })
        .map(|n| format!("{n} fault points"));
        run_case(r, "ioctl-set", res);
    }
    if wanted("chardev-write") {
        let res = campaign(&mut fail, &dev, |want| {
            match (&dev).write_all(format!("{RELAY_NAME}={want}\n").as_bytes()) {
                Ok(()) => Outcome::Done,
                Err(e) => Outcome::Refused(errno_of(&e)),
            }
        })
        .map(|n| format!("{n} fault points"));
        run_case(r, "chardev-write", res);
    }
    if wanted("sysfs-write") {
        let sysfs = format!("{LINES}/{RELAY_NAME}/value");
        let res = match OpenOptions::new().write(true).open(&sysfs) {
            Ok(f) => campaign(&mut fail, &dev, |want| {
                match f.write_all_at(format!("{want}\n").as_bytes(), 0) {
                    Ok(()) => Outcome::Done,
                    Err(e) => Outcome::Refused(errno_of(&e)),
                }
            })
            .map(|n| format!("{n} fault points")),
            Err(e) => Err(format!("{sysfs}: {e}")),
        };
        run_case(r, "sysfs-write", res);
    }
    drop(dev);
    if wanted("bind") {
        let res = bind(&mut fail);
        run_case(r, "bind", res);
    }
}
