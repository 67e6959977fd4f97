//! `kbridge-fuzz`: the guest's fuzz and stress campaign (tests/guest/t37-fuzz.sh, `make fuzz`).
//!
//! Worker threads issue random, often malformed, operations on every interface (ioctl,
//! generic netlink, chardev read/write, mmap, sysfs, procfs) from a fixed seed, for a bounded
//! time and operation count. Two child processes do the same as an unprivileged user and from
//! another network namespace. Meanwhile a chaos thread unbinds and binds the board and its
//! GPIO and LED providers, storms the inputs, sets an LED trigger, attaches and detaches the
//! BPF program and reloads the module; a watcher checks the board's invariants throughout
//! (sequence numbers never go back within one binding; every recorded change is counted by
//! exactly one line) and event listeners count what they receive and what they are told was
//! dropped. At the end, with everything quiet, every interface must show the same values and
//! a burst of changes must be accounted for exactly by each listener.
//!
//! Output: `FUZZ <role> <kind> ops=N <outcome>=N...` lines, then `FUZZ-RESULT ok|fail`. Exit
//! status 0 when no invariant broke. Kernel reports (KASAN, lockdep, ...) are the console
//! checker's business (scripts/run-guest.sh).

mod chaos;
mod ops;
mod rng;
mod stats;
mod sys;

use std::io::Read;
use std::process::{Command, Stdio};
use std::sync::atomic::Ordering;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use clap::Parser;
use kbridge::{Config, EventSource, Interface};
use kbridge_abi as abi;

use chaos::Shared;
use ops::Worker;
use stats::Stats;

#[derive(Parser, Debug)]
#[command(about = "kbridge's guest fuzz and stress campaign")]
struct Args {
    /// Seed: the same seed replays the same operation choices.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Run time in seconds.
    #[arg(long, default_value_t = 60)]
    duration: u64,
    /// Stop after this many operations per worker.
    #[arg(long, default_value_t = u64::MAX)]
    max_ops: u64,
    /// Worker threads.
    #[arg(long, default_value_t = 3)]
    threads: u64,
    /// No unbind/bind, supplier, trigger, BPF or module reload chaos.
    #[arg(long)]
    no_chaos: bool,
    /// The module, for the reloads.
    #[arg(long, default_value = "/lib/modules/kbridge.ko")]
    module: String,
    /// Internal: `unpriv` or `netns` run only workers, as the child processes.
    #[arg(long, default_value = "main", hide = true)]
    role: String,
}

/// Runs one worker until the deadline; `allow_change` false: reads only (children).
fn worker(
    shared: &Shared,
    seed: u64,
    deadline: Instant,
    max_ops: u64,
    allow_change: bool,
) -> Stats {
    let mut w = match Worker::new(seed) {
        Ok(w) => w,
        Err(e) => {
            let mut s = Stats::default();
            s.violation(format!("worker setup: {e}"));
            return s;
        }
    };
    let mut n = 0;
    while Instant::now() < deadline && n < max_ops && !shared.stop.load(Ordering::Relaxed) {
        if shared.unload_pending.load(Ordering::SeqCst)
            || std::path::Path::new(chaos::UNLOAD_PENDING).exists()
        {
            w.close_lagging();
            std::thread::sleep(Duration::from_millis(10));
            continue;
        }
        let Ok(_guard) = shared.module.read() else {
            break;
        };
        w.random_op(allow_change);
        n += 1;
    }
    w.close_lagging();
    w.stats
}

/// The board's sequence number and the sum of its lines' change counts, from one read of
/// `/proc/kbridge` (a consistent snapshot).
fn proc_counts() -> Option<(u64, u64)> {
    let text = std::fs::read_to_string(abi::PROC_PATH).ok()?;
    let mut seq = None;
    let mut sum = 0u64;
    for l in text.lines() {
        let mut w = l.split(' ');
        match w.next() {
            Some("board") => {
                let mut it = w.skip_while(|x| *x != "seq");
                seq = it.nth(1).and_then(|s| s.parse().ok());
            }
            Some("line") => {
                let c = l
                    .split(' ')
                    .find_map(|x| x.strip_prefix("changes="))
                    .and_then(|s| s.parse::<u64>().ok())?;
                sum += c;
            }
            _ => {}
        }
    }
    Some((seq?, sum))
}

/// Checks the invariants every 20 ms until stopped.
fn watcher(shared: &Shared) -> Stats {
    let mut st = Stats::default();
    let mut last: Option<(u64, u64)> = None; // (generation, seq)
    while !shared.stop.load(Ordering::Relaxed) {
        std::thread::sleep(Duration::from_millis(20));
        let g0 = shared.generation.load(Ordering::SeqCst);
        let counts = proc_counts();
        let g1 = shared.generation.load(Ordering::SeqCst);
        let Some((seq, sum)) = counts else { continue };
        if g0 != g1 || g0 % 2 == 1 {
            continue;
        }
        *st.tried.entry("invariant-checks").or_default() += 1;
        if sum != seq {
            st.violation(format!(
                "/proc/kbridge: seq {seq} but the lines' changes add up to {sum}"
            ));
        }
        if let Some((lg, lseq)) = last {
            if lg == g0 && seq < lseq {
                st.violation(format!(
                    "seq went back from {lseq} to {seq} on the same binding"
                ));
            }
        }
        last = Some((g0, seq));
    }
    st
}

/// Reads events through `via` until stopped, counting them and the drops they report;
/// reopens when the board goes away.
fn listener(shared: &Shared, via: Interface) -> Stats {
    let mut st = Stats::default();
    let name = if via == Interface::Chardev {
        "chardev"
    } else {
        "netlink"
    };
    let (mut received, mut dropped) = (0u64, 0u64);
    while !shared.stop.load(Ordering::Relaxed) {
        if shared.unload_pending.load(Ordering::SeqCst) {
            std::thread::sleep(Duration::from_millis(20));
            continue;
        }
        let src: Result<Box<dyn EventSource>, kbridge::Error> = match via {
            Interface::Chardev => kbridge::ChardevEvents::open(&Config::default())
                .map(|e| Box::new(e) as Box<dyn EventSource>),
            _ => kbridge::netlink::Client::connect().and_then(|mut c| {
                kbridge::NetlinkEvents::subscribe(&mut c)
                    .map(|e| Box::new(e) as Box<dyn EventSource>)
            }),
        };
        let Ok(mut src) = src else {
            std::thread::sleep(Duration::from_millis(50));
            continue;
        };
        while !shared.stop.load(Ordering::Relaxed) && !shared.unload_pending.load(Ordering::SeqCst)
        {
            match src.next_timeout(Some(Duration::from_millis(50))) {
                Ok(Some(ev)) => {
                    received += 1;
                    dropped += u64::from(ev.dropped);
                }
                Ok(None) => {}
                Err(_) => break,
            }
        }
    }
    st.events(name, received, dropped);
    st
}

/// With everything quiet: all interfaces agree, and listeners account for every change.
fn final_checks(st: &mut Stats) {
    let cfg = Config::default();
    // procfs first: it records LED changes made behind kbridge's back.
    let mut views: Vec<(Interface, Vec<(String, u32)>)> = Vec::new();
    for via in [
        Interface::Procfs,
        Interface::Sysfs,
        Interface::Ioctl,
        Interface::Mmap,
        Interface::Netlink,
    ] {
        match kbridge::open(via, &cfg).and_then(|mut b| b.lines()) {
            Ok(lines) => {
                let mut v: Vec<(String, u32)> =
                    lines.into_iter().map(|l| (l.name, l.value)).collect();
                v.sort();
                views.push((via, v));
            }
            Err(e) => st.violation(format!("final read via {via}: {e}")),
        }
    }
    if let Some((_, first)) = views.first() {
        for (via, v) in &views {
            if v != first {
                st.violation(format!("{via} shows {v:?}, procfs {first:?}"));
            }
        }
    }
    // A burst of 300 changes: each listener receives or is told it lost every one. A
    // listener whose socket overran learns of the lost events from the gap before the next
    // event it gets: after draining the burst, one more change shows that gap.
    let burst = 300u64;
    let chardev = kbridge::ChardevEvents::open(&cfg).map(|e| Box::new(e) as Box<dyn EventSource>);
    let netlink = kbridge::netlink::Client::connect()
        .and_then(|mut c| kbridge::NetlinkEvents::subscribe(&mut c))
        .map(|e| Box::new(e) as Box<dyn EventSource>);
    let mut listeners: Vec<(&'static str, Box<dyn EventSource>, u64, u64)> = Vec::new();
    for (name, src) in [("final-chardev", chardev), ("final-netlink", netlink)] {
        match src {
            Ok(s) => listeners.push((name, s, 0, 0)),
            Err(e) => st.violation(format!("final burst: no {name} listener: {e}")),
        }
    }
    let nl0 = netlink_record();
    let mut ioctl = match kbridge::open(Interface::Ioctl, &cfg) {
        Ok(b) => b,
        Err(e) => return st.violation(format!("final burst: {e}")),
    };
    let mut toggle = |n: u64| -> Result<(), kbridge::Error> {
        let v0 = ioctl.get(&["relay"])?.first().copied().unwrap_or(0);
        for i in 0..n {
            ioctl.set(&[("relay", (v0 + 1 + i as u32) % 2)])?;
        }
        Ok(())
    };
    let drain = |l: &mut Vec<(&'static str, Box<dyn EventSource>, u64, u64)>| {
        for (_, src, r, d) in l.iter_mut() {
            while let Ok(Some(ev)) = src.next_timeout(Some(Duration::from_millis(300))) {
                *r += 1;
                *d += u64::from(ev.dropped);
            }
        }
    };
    if let Err(e) = toggle(burst) {
        return st.violation(format!("final burst: {e}"));
    }
    drain(&mut listeners);
    if let Err(e) = toggle(1) {
        return st.violation(format!("final burst: {e}"));
    }
    drain(&mut listeners);
    let nl1 = netlink_record();
    let changes = burst + 1;
    for (name, _, r, d) in listeners {
        // The kernel's own count of netlink events it could not send.
        let unsent = match (name, nl0, nl1) {
            ("final-netlink", Some(a), Some(b)) => b.saturating_sub(a),
            _ => 0,
        };
        if r + d != changes {
            st.violation(format!(
                "final burst of {changes}: {name} received {r}, reported {d} dropped (kernel unsent {unsent})"
            ));
        }
        st.events(name, r, d);
    }
}

/// `failed + lost` of the netlink record of `/proc/kbridge`.
fn netlink_record() -> Option<u64> {
    let text = std::fs::read_to_string(abi::PROC_PATH).ok()?;
    let rec = text.lines().find_map(|l| l.strip_prefix("netlink "))?;
    let field = |k: &str| -> Option<u64> {
        rec.split(' ')
            .find_map(|w| w.strip_prefix(k)?.strip_prefix('='))?
            .parse()
            .ok()
    };
    Some(field("failed")? + field("lost")?)
}

fn child(args: &Args, role: &str) -> std::io::Result<std::process::Child> {
    let exe = std::env::current_exe()?;
    let mut c = Command::new(exe);
    c.args([
        "--role",
        role,
        "--seed",
        &(args.seed + if role == "unpriv" { 1000 } else { 2000 }).to_string(),
        "--duration",
        &args.duration.to_string(),
        "--threads",
        "1",
    ])
    .stdout(Stdio::piped());
    c.spawn()
}

fn run_children_role(args: &Args) -> i32 {
    if args.role == "unpriv" {
        // The initramfs's `user` (uid/gid 1000), with no supplementary groups.
        let (uid, gid) = (
            nix::unistd::Uid::from_raw(1000),
            nix::unistd::Gid::from_raw(1000),
        );
        let drop = nix::unistd::setgroups(&[gid])
            .and_then(|()| nix::unistd::setgid(gid))
            .and_then(|()| nix::unistd::setuid(uid));
        if let Err(e) = drop {
            println!("FUZZ unpriv setup-failed errno={e}");
            return 1;
        }
    }
    if args.role == "netns" {
        if let Err(e) = nix::sched::unshare(nix::sched::CloneFlags::CLONE_NEWNET) {
            println!("FUZZ netns setup-failed errno={e}");
            return 1;
        }
    }
    let shared = Shared::default();
    let deadline = Instant::now() + Duration::from_secs(args.duration);
    // Changes are tried too: unprivileged ones must be refused (EPERM/EACCES).
    let st = worker(&shared, args.seed, deadline, args.max_ops, true);
    print!("{}", st.report(&args.role));
    i32::from(!st.violations.is_empty())
}

fn main() {
    let args = Args::parse();
    if args.role != "main" {
        std::process::exit(run_children_role(&args));
    }
    let started = Instant::now();
    let deadline = started + Duration::from_secs(args.duration);
    let shared = Shared::default();
    let children: Vec<_> = ["unpriv", "netns"]
        .iter()
        .filter_map(|r| {
            child(&args, r)
                .map_err(|e| eprintln!("kbridge-fuzz: {r}: {e}"))
                .ok()
        })
        .collect();
    let total = Mutex::new(Stats::default());
    std::thread::scope(|s| {
        let shared = &shared;
        let total = &total;
        for i in 0..args.threads {
            let seed = args.seed.wrapping_mul(1_000_003).wrapping_add(i);
            let max_ops = args.max_ops;
            s.spawn(move || {
                let st = worker(shared, seed, deadline, max_ops, true);
                if let Ok(mut t) = total.lock() {
                    t.merge(st);
                }
            });
        }
        let w = s.spawn(move || watcher(shared));
        let l1 = s.spawn(move || listener(shared, Interface::Chardev));
        let l2 = s.spawn(move || listener(shared, Interface::Netlink));
        let mut chaos_stats = Stats::default();
        if !args.no_chaos {
            let module = args.module.clone();
            let seed = args.seed;
            let c = s.spawn(move || {
                let mut st = Stats::default();
                chaos::run(shared, seed, &module, &mut st);
                st
            });
            while Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(100));
            }
            shared.stop.store(true, Ordering::SeqCst);
            if let Ok(st) = c.join() {
                chaos_stats = st;
            }
        } else {
            while Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(100));
            }
            shared.stop.store(true, Ordering::SeqCst);
        }
        if let Ok(mut t) = total.lock() {
            t.merge(chaos_stats);
            for h in [w, l1, l2] {
                if let Ok(st) = h.join() {
                    t.merge(st);
                }
            }
        }
    });
    let mut total = total.into_inner().unwrap_or_default();
    let mut child_failed = false;
    for mut c in children {
        let mut out = String::new();
        if let Some(mut o) = c.stdout.take() {
            let _ = o.read_to_string(&mut out);
        }
        let ok = c.wait().map(|s| s.success()).unwrap_or(false);
        child_failed |= !ok;
        print!("{out}");
    }
    final_checks(&mut total);
    print!("{}", total.report("main"));
    println!(
        "FUZZ main seconds={} seed={} threads={}",
        started.elapsed().as_secs(),
        args.seed,
        args.threads
    );
    let ok = total.violations.is_empty() && !child_failed;
    println!("FUZZ-RESULT {}", if ok { "ok" } else { "fail" });
    if !ok {
        for v in &total.violations {
            println!("FUZZ-VIOLATION {v}");
        }
    }
    std::process::exit(if ok { 0 } else { 1 })
}
