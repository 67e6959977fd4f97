//! `kbridge-test AREA`: probes run inside the test guest (tests/guest/*.sh) for requests the
//! kbridge library and CLI never make on purpose — malformed ioctls, forbidden mmaps, raw
//! netlink messages. Each area module runs its cases and reports them on stdout as the guest
//! test protocol expects: KTAP result lines of the test file's subtest (`ok N case`,
//! `not ok N case # why`, `ok N case # SKIP why`), numbered through `$KTAP_STATE` together
//! with the shell's (src/report.rs). Exit status: 0 if no case failed, 1 otherwise, 2 on
//! usage errors.
//!
//! `kbridge-test run-as UID GID[,GID...] CMD [ARG...]` runs a command as another user with
//! exactly the given groups (the first is the primary group): the permission tests need it and
//! busybox has no `su`.

mod bpf;
mod faults;
mod hal;
mod hangup;
mod ioctl;
mod mmap;
mod netlink;
mod raw;
mod read;
mod report;
mod run_as;

use report::Report;

/// An area: name, what it checks, entry point.
type Area = (&'static str, &'static str, fn(&mut Report));

/// Every area. Add one by writing `src/<area>.rs` with `pub(crate) fn run(r: &mut Report)`.
const AREAS: &[Area] = &[
    (
        "bpf",
        "BPF ring buffer: order, drops and their accounting under overflow",
        bpf::run,
    ),
    (
        "faults",
        "every kernel allocation of set, toggle and bind failing in turn: refused or done, never half",
        faults::run,
    ),
    (
        "hal",
        "kbridge-hal's embedded-hal traits on the real lines (gpio-sim, LED class)",
        hal::run,
    ),
    (
        "hangup",
        "unbind while a process waits in epoll: the waiter sees EPOLLHUP",
        hangup::run,
    ),
    (
        "ioctl",
        "malformed ioctls: errno and unchanged state",
        ioctl::run,
    ),
    (
        "mmap",
        "forbidden mappings and the page contents",
        mmap::run,
    ),
    (
        "netlink",
        "malformed and refused generic netlink requests leave the state alone",
        netlink::run,
    ),
    (
        "netlink-unprivileged",
        "(run by `netlink` as uid 1000) reads work, changes get EPERM",
        netlink::unprivileged,
    ),
    (
        "read",
        "event reads into unwritable buffers: EFAULT or a short read, no event lost",
        read::run,
    ),
];

fn usage() -> ! {
    eprintln!("usage: kbridge-test AREA\n       kbridge-test run-as UID GID[,GID...] CMD [ARG...]\nareas:");
    for (name, what, _) in AREAS {
        eprintln!("  {name:10} {what}");
    }
    std::process::exit(2)
}

fn main() {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    if argv.first().map(String::as_str) == Some("run-as") {
        let code = match run_as::exec(argv.get(1..).unwrap_or(&[])) {
            Err(run_as::Error::Usage) => usage(),
            Err(e) => {
                eprintln!("kbridge-test run-as: {e}");
                126
            }
        };
        std::process::exit(code)
    }
    let mut args = argv.into_iter();
    let (Some(area), None) = (args.next(), args.next()) else {
        usage()
    };
    let Some((_, _, run)) = AREAS.iter().find(|(name, _, _)| *name == area) else {
        usage()
    };
    let mut report = Report::new();
    run(&mut report);
    std::process::exit(if report.failed() { 1 } else { 0 })
}
