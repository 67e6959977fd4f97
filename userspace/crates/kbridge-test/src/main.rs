//! `kbridge-test AREA`: probes run inside the test guest (tests/guest/*.sh) for requests the
//! kbridge library and CLI never make on purpose — malformed ioctls, forbidden mmaps, raw
//! netlink messages. Each area module runs its cases and reports them on stdout as the guest
//! test protocol expects (`KTEST PASS|FAIL|SKIP <file>/<case>[: why]`, with `<file>` from the
//! `KTEST_FILE` environment variable). Exit status: 0 if no case failed, 1 otherwise, 2 on
//! usage errors.

mod bpf;
mod report;

use report::Report;

/// An area: name, what it checks, entry point.
type Area = (&'static str, &'static str, fn(&mut Report));

/// Every area. Add one by writing `src/<area>.rs` with `pub(crate) fn run(r: &mut Report)`.
const AREAS: &[Area] = &[(
    "bpf",
    "BPF ring buffer: order, drops and their accounting under overflow",
    bpf::run,
)];

fn usage() -> ! {
    eprintln!("usage: kbridge-test AREA\nareas:");
    for (name, what, _) in AREAS {
        eprintln!("  {name:10} {what}");
    }
    std::process::exit(2)
}

fn main() {
    let mut args = std::env::args().skip(1);
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
