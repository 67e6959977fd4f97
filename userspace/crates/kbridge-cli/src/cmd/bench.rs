//! `kbridge bench`: what each interface costs, against baselines measured in the same run.
//!
//! Method (docs/performance.md):
//! - every row is a series of batches: `K` calls between two clock reads, each result through
//!   `std::hint::black_box`, giving one ns/op sample per batch; a warm-up of
//!   [`WARMUP`] batches is discarded;
//! - the rows of a group are interleaved: round `r` runs one batch of every row, starting at a
//!   different row each round, so drift (frequency, cache, other guests) hits all rows alike;
//! - each row reports the median ns/op and its 95 % confidence interval from order
//!   statistics (`stats`), and context switches per op (`getrusage(RUSAGE_THREAD)` around each
//!   batch, voluntary + involuntary);
//! - the thread is pinned to one CPU; event readers to another when there is one.
//!
//! Rows: the clock floor, `getppid()`, raw GPIO v2 get/set on a free line of the chip behind
//! kbridge's lines (a prebuilt request), and per interface the library call and the bare
//! system call it wraps. Then the event tests (`events`) and the targets of issue 14, each
//! with pass or fail. A missed performance target is reported, not an error: the exit
//! status is non-zero only on errors and on wrong burst accounting (a correctness bug).

mod events;
mod stats;
mod text;

pub(crate) use self::text::text;

use std::cell::Cell;
use std::fs::File;
use std::io::Write;
use std::os::unix::fs::FileExt;
use std::rc::Rc;
use std::time::Instant;

use kbridge::{Backend, Config, Error, Interface, IoctlBackend, LineInfo, LineKind, MmapBackend};
use nix::sched::CpuSet;
use nix::sys::resource::{getrusage, UsageWho};
use nix::unistd::Pid;
use serde::Serialize;

use self::events::{Burst, Latency, Throughput, Transport, Writer};
use self::stats::{summarize, Summary};
use crate::cli::{BenchArgs, Via};
use crate::cmd::gpio::RawLine;
use crate::cmd::selected;
use crate::output;
use crate::Failure;

/// Batches run and discarded before each group's measured batches.
const WARMUP: usize = 10;

/// Memory reads take nanoseconds: their batches are this many times longer.
const MEM_FACTOR: u32 = 64;

/// The ring size when the module does not say (`ring_size` parameter).
const DEFAULT_RING: u64 = 128;

/// The JSON document (`--json`); the text output shows the same.
#[derive(Debug, Serialize)]
pub(crate) struct BenchJson {
    /// Format of this document.
    pub(crate) format: u32,
    pub(crate) kernel: String,
    pub(crate) line: String,
    pub(crate) kind: String,
    pub(crate) cpus: Vec<usize>,
    pub(crate) pinned_cpu: Option<usize>,
    pub(crate) reader_cpu: Option<usize>,
    pub(crate) batches: usize,
    pub(crate) warmup: usize,
    pub(crate) ops_per_batch: u32,
    pub(crate) ring: u64,
    pub(crate) gpio: Option<GpioJson>,
    pub(crate) rows: Vec<Row>,
    pub(crate) skipped: Vec<Skipped>,
    pub(crate) throughput: Vec<Throughput>,
    pub(crate) latency: Vec<Latency>,
    pub(crate) burst: Vec<Burst>,
    pub(crate) targets: Vec<Target>,
    /// False when the burst accounting was wrong (the exit status is then 1).
    pub(crate) correct: bool,
}

/// One measured row.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct Row {
    pub(crate) group: &'static str,
    pub(crate) via: &'static str,
    pub(crate) op: &'static str,
    /// `baseline`, `library` (the kbridge library call) or `bare` (the system call alone).
    pub(crate) role: &'static str,
    /// Calls per batch (the clock floor: 1, and its figure is per batch).
    pub(crate) k: u32,
    pub(crate) median_ns: f64,
    pub(crate) ci_low_ns: f64,
    pub(crate) ci_high_ns: f64,
    pub(crate) batches: usize,
    pub(crate) csw_per_op: f64,
}

#[derive(Debug, Serialize)]
pub(crate) struct Skipped {
    pub(crate) what: String,
    pub(crate) reason: String,
}

#[derive(Debug, Serialize)]
pub(crate) struct GpioJson {
    pub(crate) chip: String,
    pub(crate) label: String,
    pub(crate) offset: u32,
    pub(crate) line_name: String,
}

/// One target of issue 14.
#[derive(Debug, Serialize)]
pub(crate) struct Target {
    pub(crate) name: &'static str,
    /// `a / b` of the medians (or the figure itself).
    pub(crate) value: Option<f64>,
    /// `<=` or `>=`.
    pub(crate) cmp: &'static str,
    pub(crate) limit: f64,
    /// `None`: not measurable in this run (a row is missing).
    pub(crate) pass: Option<bool>,
    pub(crate) detail: String,
}

/// The CPUs a thread is pinned to: the bench thread and the event readers.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Pins {
    main: Option<usize>,
    reader: Option<usize>,
}

/// The CPUs this process may run on.
fn allowed_cpus() -> Vec<usize> {
    match nix::sched::sched_getaffinity(Pid::from_raw(0)) {
        Ok(set) => (0..CpuSet::count())
            .filter(|&i| set.is_set(i).unwrap_or(false))
            .collect(),
        Err(_) => Vec::new(),
    }
}

/// Pins the calling thread to `cpu`.
pub(crate) fn pin_to(cpu: usize) -> Result<(), Failure> {
    let mut set = CpuSet::new();
    set.set(cpu)
        .and_then(|()| nix::sched::sched_setaffinity(Pid::from_raw(0), &set))
        .map_err(|e| Failure::Check(format!("cannot pin to CPU {cpu}: {e}")))
}

/// Context switches of this thread so far (voluntary + involuntary).
fn context_switches() -> u64 {
    getrusage(UsageWho::RUSAGE_THREAD).map_or(0, |u| {
        let v = u.voluntary_context_switches() + u.involuntary_context_switches();
        u64::try_from(v).unwrap_or(0)
    })
}

type Op<'a> = Box<dyn FnMut() -> Result<(), Failure> + 'a>;

/// One row to measure: `k` calls of `op` per batch.
struct Subject<'a> {
    via: &'static str,
    op: &'static str,
    role: &'static str,
    k: u32,
    call: Op<'a>,
}

impl<'a> Subject<'a> {
    fn new(
        via: &'static str,
        op: &'static str,
        role: &'static str,
        k: u32,
        call: impl FnMut() -> Result<(), Failure> + 'a,
    ) -> Self {
        Subject {
            via,
            op,
            role,
            k,
            call: Box::new(call),
        }
    }
}

/// Runs the subjects' batches interleaved and summarises each.
fn measure(
    group: &'static str,
    subjects: &mut [Subject<'_>],
    batches: usize,
) -> Result<Vec<Row>, Failure> {
    let n = subjects.len();
    let mut samples: Vec<Vec<f64>> = vec![Vec::with_capacity(batches); n];
    let mut csw = vec![0u64; n];
    for round in 0..WARMUP + batches {
        for j in 0..n {
            let i = (round + j) % n;
            let Some(s) = subjects.get_mut(i) else {
                continue;
            };
            let c0 = context_switches();
            let t0 = Instant::now();
            for _ in 0..s.k {
                (s.call)()?;
            }
            let dt = t0.elapsed();
            let c1 = context_switches();
            if round >= WARMUP {
                if let (Some(v), Some(c)) = (samples.get_mut(i), csw.get_mut(i)) {
                    v.push(dt.as_nanos() as f64 / f64::from(s.k));
                    *c += c1.saturating_sub(c0);
                }
            }
        }
    }
    Ok(subjects
        .iter()
        .zip(samples.iter_mut().zip(csw))
        .map(|(s, (v, c))| {
            let Summary {
                median,
                ci_low,
                ci_high,
                n,
            } = summarize(v);
            Row {
                group,
                via: s.via,
                op: s.op,
                role: s.role,
                k: s.k,
                median_ns: median,
                ci_low_ns: ci_low,
                ci_high_ns: ci_high,
                batches: n,
                csw_per_op: c as f64 / (n as f64 * f64::from(s.k)).max(1.0),
            }
        })
        .collect())
}

/// The line to measure: `--line`, or the first output, or the first writable line.
fn pick_line(lines: &[LineInfo], name: Option<&str>) -> Result<LineInfo, Failure> {
    let line = match name {
        Some(name) => kbridge::find(lines, name)?,
        None => lines
            .iter()
            .find(|l| l.kind == LineKind::Output)
            .or_else(|| lines.iter().find(|l| l.kind.is_writable()))
            .ok_or_else(|| Failure::Usage("the board has no writable line".into()))?,
    };
    if !line.kind.is_writable() {
        return Err(Error::NotWritable {
            name: line.name.clone(),
            kind: line.kind,
        }
        .into());
    }
    Ok(line.clone())
}

/// The board's lines, through the first reading interface that works.
fn read_lines(cfg: &Config) -> Result<Vec<LineInfo>, Failure> {
    let mut first = None;
    for via in [
        Interface::Ioctl,
        Interface::Procfs,
        Interface::Sysfs,
        Interface::Mmap,
    ] {
        match kbridge::open(via, cfg).and_then(|mut b| b.lines()) {
            Ok(lines) => return Ok(lines),
            Err(e) => {
                first.get_or_insert(e);
            }
        }
    }
    Err(first.map_or_else(
        || Failure::Usage("no interface can read".into()),
        Failure::from,
    ))
}

/// The ring size: the module's `ring_size` parameter, else the ABI's 128.
fn ring_size(cfg: &Config) -> u64 {
    std::fs::read_to_string(cfg.path("/sys/module/kbridge/parameters/ring_size"))
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .filter(|&r: &u64| r >= 2)
        .unwrap_or(DEFAULT_RING)
}

/// A free line of the GPIO chip whose lines kbridge holds (their consumer is a kbridge line
/// name), or of `--gpio-chip` / `--gpio-line` when given.
fn raw_gpio(cfg: &Config, args: &BenchArgs, line: &LineInfo) -> Result<RawLine, Failure> {
    let dev = cfg.path("/dev");
    if let (Some(chip), Some(offset)) = (&args.gpio_chip, args.gpio_line) {
        return RawLine::open(&dev, chip, offset);
    }
    let mut entries: Vec<_> = std::fs::read_dir(&dev)
        .map_err(|e| Failure::Check(format!("cannot list {}: {e}", dev.display())))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("gpiochip"))
        })
        .collect();
    entries.sort();
    // Candidates (rank, label, offset): the chip of the measured line (consumer
    // `kbridge:<name>`, as the module requests its lines) first, then any chip with a kbridge
    // line, then (only with --gpio-chip) the chip named.
    let own = format!("kbridge:{}", line.name);
    let mut best: Option<(u8, String, u32)> = None;
    for path in entries {
        let Ok(chip) = gpiocdev::Chip::from_path(&path) else {
            continue;
        };
        let Ok(info) = chip.info() else { continue };
        if args.gpio_chip.as_deref().is_some_and(|c| c != info.label) {
            continue;
        }
        let infos: Vec<_> = (0..info.num_lines)
            .filter_map(|o| chip.line_info(o).ok())
            .collect();
        let rank = if infos.iter().any(|l| l.used && l.consumer == own) {
            0
        } else if infos
            .iter()
            .any(|l| l.used && l.consumer.starts_with("kbridge:"))
        {
            1
        } else if args.gpio_chip.is_some() {
            2
        } else {
            continue;
        };
        let free = infos
            .iter()
            .find(|l| !l.used && args.gpio_line.is_none_or(|o| o == l.offset));
        if let Some(free) = free {
            if best.as_ref().is_none_or(|b| rank < b.0) {
                best = Some((rank, info.label.clone(), free.offset));
            }
        }
    }
    if let Some((_, label, offset)) = best {
        return RawLine::open(&dev, &label, offset);
    }
    Err(Failure::Check(
        "no free line on the GPIO chip behind kbridge's lines".into(),
    ))
}

struct Run<'c> {
    cfg: &'c Config,
    /// The ioctl interface opens: its rows, mmap's and the event tests can run.
    has_ioctl: bool,
    /// `--via`: the slow-path rows only for these interfaces.
    only: Option<Vec<Interface>>,
    /// The measured line's maximum (the library reads a line of maximum 1 with GET_BITS).
    line_max: u32,
    k: u32,
    batches: usize,
    rows: Vec<Row>,
    skipped: Vec<Skipped>,
}

impl Run<'_> {
    fn skip(&mut self, what: impl Into<String>, reason: impl std::fmt::Display) {
        self.skipped.push(Skipped {
            what: what.into(),
            reason: reason.to_string(),
        });
    }

    /// Reads: clock floor, getppid, raw GPIO get, ioctl get (library/bare, values and bits),
    /// mmap one-line read and bitmap (library/bare).
    fn reads(&mut self, line: &LineInfo, raw: Option<&RawLine>) -> Result<(), Failure> {
        let (k, km) = (self.k, self.k * MEM_FACTOR);
        let mut subjects = vec![
            Subject::new("clock", "empty batch", "baseline", 1, || Ok(())),
            Subject::new("getppid", "call", "baseline", k, || {
                std::hint::black_box(nix::unistd::getppid());
                Ok(())
            }),
        ];
        if let Some(raw) = raw {
            subjects.push(Subject::new("gpio-v2", "get", "baseline", k, move || {
                std::hint::black_box(raw.get()?);
                Ok(())
            }));
        }
        if !self.has_ioctl {
            let rows = measure("read", &mut subjects, self.batches)?;
            self.rows.extend(rows);
            return Ok(());
        }
        let mut lib = IoctlBackend::open(self.cfg)?;
        let handle = lib.prepare(&line.name)?;
        let mut bare = IoctlBackend::open(self.cfg)?;
        let mut req = kbridge_abi::IocValues::request(handle.mask());
        let h = handle.clone();
        subjects.push(Subject::new("ioctl", "get", "library", k, move || {
            std::hint::black_box(lib.get_line(&h)?);
            Ok(())
        }));
        subjects.push(Subject::new("ioctl", "get-values", "bare", k, move || {
            bare.bare_values(false, std::hint::black_box(&mut req))
                .map_err(|e| Failure::Check(format!("GET_VALUES: {e}")))
        }));
        let mut bits_lib = IoctlBackend::open(self.cfg)?;
        match bits_lib.get_bits(handle.mask()) {
            Ok(_) => {
                let mut bits_bare = IoctlBackend::open(self.cfg)?;
                let mut breq = kbridge_abi::IocBits::request(handle.mask(), 0);
                let mask = handle.mask();
                subjects.push(Subject::new("ioctl", "get-bits", "library", k, move || {
                    std::hint::black_box(bits_lib.get_bits(mask)?);
                    Ok(())
                }));
                subjects.push(Subject::new("ioctl", "get-bits", "bare", k, move || {
                    bits_bare
                        .bare_bits(false, std::hint::black_box(&mut breq))
                        .map_err(|e| Failure::Check(format!("GET_BITS: {e}")))
                }));
            }
            Err(e) => self.skip("ioctl get-bits", e),
        }
        match MmapBackend::open(self.cfg) {
            Ok(mm) => {
                let mm = Rc::new(mm);
                let (a, b, c) = (Rc::clone(&mm), Rc::clone(&mm), mm);
                let (index, h) = (handle.index(), handle.clone());
                subjects.push(Subject::new("mmap", "value", "library", km, move || {
                    std::hint::black_box(a.value(std::hint::black_box(&h))?);
                    Ok(())
                }));
                subjects.push(Subject::new("mmap", "value", "bare", km, move || {
                    std::hint::black_box(b.bare_value(std::hint::black_box(index)));
                    Ok(())
                }));
                subjects.push(Subject::new("mmap", "bits", "library", km, move || {
                    std::hint::black_box(c.bits()?);
                    Ok(())
                }));
            }
            Err(e) => self.skip("mmap", e),
        }
        let rows = measure("read", &mut subjects, self.batches)?;
        self.rows.extend(rows);
        Ok(())
    }

    /// Writes: raw GPIO set, ioctl set (library fast path, library by name, bare values and
    /// bits), each a real change.
    fn writes(
        &mut self,
        line: &LineInfo,
        current: &Rc<Cell<u32>>,
        raw: Option<&RawLine>,
    ) -> Result<(), Failure> {
        let k = self.k;
        let max = line.max_value;
        let mut subjects = Vec::new();
        if let Some(raw) = raw {
            let mut v = 0;
            subjects.push(Subject::new("gpio-v2", "set", "baseline", k, move || {
                v ^= 1;
                raw.set(v)
            }));
        }
        if !self.has_ioctl {
            let rows = measure("write", &mut subjects, self.batches)?;
            self.rows.extend(rows);
            return Ok(());
        }
        let mut lib = IoctlBackend::open(self.cfg)?;
        let handle = lib.prepare(&line.name)?;
        let has_bits = lib.get_bits(handle.mask()).is_ok();
        let h = handle.clone();
        let cur = Rc::clone(current);
        subjects.push(Subject::new("ioctl", "set", "library", k, move || {
            let next = kbridge_abi::toggled_value(cur.get(), max);
            lib.set_line(&h, next)?;
            cur.set(next);
            Ok(())
        }));
        let mut byname = IoctlBackend::open(self.cfg)?;
        let (cur, name) = (Rc::clone(current), line.name.as_str());
        subjects.push(Subject::new(
            "ioctl",
            "set-by-name",
            "library",
            k,
            move || {
                let next = kbridge_abi::toggled_value(cur.get(), max);
                byname.set(&[(name, next)])?;
                cur.set(next);
                Ok(())
            },
        ));
        let mut bare = IoctlBackend::open(self.cfg)?;
        let mut req = kbridge_abi::IocValues::request(handle.mask());
        let (cur, index) = (Rc::clone(current), handle.index());
        subjects.push(Subject::new("ioctl", "set-values", "bare", k, move || {
            let next = kbridge_abi::toggled_value(cur.get(), max);
            if let Some(slot) = req.values.get_mut(index) {
                *slot = next;
            }
            bare.bare_values(true, std::hint::black_box(&mut req))
                .map_err(|e| Failure::Check(format!("SET_VALUES: {e}")))?;
            cur.set(next);
            Ok(())
        }));
        if has_bits {
            let mut bare = IoctlBackend::open(self.cfg)?;
            let mask = handle.mask();
            let mut breq = kbridge_abi::IocBits::request(mask, 0);
            let cur = Rc::clone(current);
            subjects.push(Subject::new("ioctl", "set-bits", "bare", k, move || {
                let next = kbridge_abi::toggled_value(cur.get(), max);
                breq.bits = if next == 0 { 0 } else { mask };
                bare.bare_bits(true, std::hint::black_box(&mut breq))
                    .map_err(|e| Failure::Check(format!("SET_BITS: {e}")))?;
                cur.set(next);
                Ok(())
            }));
        } else {
            self.skip(
                "ioctl set-bits",
                "the module answers ENOTTY: the library's set uses SET_VALUES",
            );
        }
        let rows = measure("write", &mut subjects, self.batches)?;
        self.rows.extend(rows);
        Ok(())
    }

    /// The slow paths: procfs, sysfs, chardev, netlink, bpf (library calls by name, and the
    /// bare read or write where it is one system call on an open file).
    fn slow(&mut self, line: &LineInfo, current: &Rc<Cell<u32>>) -> Result<(), Failure> {
        let k = (self.k / 8).max(1);
        let batches = self.batches;
        let name = line.name.as_str();
        let max = line.max_value;
        let mut subjects: Vec<Subject<'_>> = Vec::new();
        for via in [
            Interface::Procfs,
            Interface::Sysfs,
            Interface::Netlink,
            Interface::Bpf,
        ] {
            if !self.wanted(via) {
                continue;
            }
            match kbridge::open(via, self.cfg) {
                Ok(mut b) => {
                    subjects.push(Subject::new(via.name(), "get", "library", k, move || {
                        std::hint::black_box(b.get(&[name])?);
                        Ok(())
                    }))
                }
                Err(e) => self.skip(format!("{via} get"), e),
            }
        }
        for (via, path, size) in [
            (Interface::Procfs, self.cfg.path("/proc/kbridge"), 8192),
            (
                Interface::Sysfs,
                self.cfg.path(&format!(
                    "/sys/class/misc/kbridge/device/lines/{name}/value"
                )),
                64,
            ),
        ] {
            if !self.wanted(via) {
                continue;
            }
            let via = via.name();
            let mut buf = vec![0u8; size];
            match File::open(&path) {
                Ok(f) => subjects.push(Subject::new(via, "get", "bare", k, move || {
                    let n = f
                        .read_at(&mut buf, 0)
                        .map_err(|e| Failure::Check(format!("read {}: {e}", path.display())))?;
                    std::hint::black_box(n);
                    Ok(())
                })),
                Err(e) => self.skip(format!("{via} get bare"), e),
            }
        }
        for via in [Interface::Sysfs, Interface::Chardev, Interface::Netlink] {
            if !self.wanted(via) {
                continue;
            }
            match kbridge::open(via, self.cfg) {
                Ok(mut b) => {
                    let cur = Rc::clone(current);
                    subjects.push(Subject::new(via.name(), "set", "library", k, move || {
                        let next = kbridge_abi::toggled_value(cur.get(), max);
                        b.set(&[(name, next)])?;
                        cur.set(next);
                        Ok(())
                    }));
                }
                Err(e) => self.skip(format!("{via} set"), e),
            }
        }
        let chardev_bare = self.wanted(Interface::Chardev);
        match std::fs::OpenOptions::new()
            .write(chardev_bare)
            .open(self.cfg.dev_path())
        {
            Ok(f) if chardev_bare => {
                let cur = Rc::clone(current);
                let cmds = [format!("set {name} 0\n"), format!("set {name} {max}\n")];
                subjects.push(Subject::new("chardev", "set", "bare", k, move || {
                    let next = kbridge_abi::toggled_value(cur.get(), max);
                    let cmd = cmds.get(usize::from(next != 0)).map_or("", String::as_str);
                    let n = f
                        .write_at(cmd.as_bytes(), 0)
                        .map_err(|e| Failure::Check(format!("write /dev/kbridge: {e}")))?;
                    std::hint::black_box(n);
                    cur.set(next);
                    Ok(())
                }));
            }
            Ok(_) => {}
            Err(e) => self.skip("chardev set bare", e),
        }
        let rows = measure("slow", &mut subjects, batches)?;
        self.rows.extend(rows);
        Ok(())
    }

    fn wanted(&self, via: Interface) -> bool {
        self.only.as_ref().is_none_or(|o| o.contains(&via))
    }

    fn row(&self, via: &str, op: &str, role: &str) -> Option<&Row> {
        self.rows
            .iter()
            .find(|r| r.via == via && r.op == op && r.role == role)
    }
}

/// `a / b` of two rows' medians.
fn ratio(a: Option<&Row>, b: Option<&Row>) -> Option<f64> {
    match (a, b) {
        (Some(a), Some(b)) if b.median_ns > 0.0 => Some(a.median_ns / b.median_ns),
        _ => None,
    }
}

fn target(
    name: &'static str,
    value: Option<f64>,
    cmp: &'static str,
    limit: f64,
    detail: String,
) -> Target {
    let pass = value.map(|v| if cmp == "<=" { v <= limit } else { v >= limit });
    Target {
        name,
        value,
        cmp,
        limit,
        pass,
        detail,
    }
}

fn targets(run: &Run<'_>) -> Vec<Target> {
    let set = run.row("ioctl", "set", "library");
    let set_bare = run
        .row("ioctl", "set-bits", "bare")
        .or_else(|| run.row("ioctl", "set-values", "bare"));
    let get = run.row("ioctl", "get", "library");
    // The bare call under the library's get: GET_BITS for a line of maximum 1 when the
    // module has it (what `IoctlBackend::get_line` picks), else GET_VALUES.
    let get_bare = run
        .row("ioctl", "get-bits", "bare")
        .filter(|_| run.line_max == 1)
        .or_else(|| run.row("ioctl", "get-values", "bare"));
    let get_by_bits = get_bare.is_some_and(|r| r.op == "get-bits");
    let mm = run.row("mmap", "value", "library");
    let via_bits = run.row("ioctl", "set-bits", "bare").is_some();
    vec![
        target(
            "ioctl set / raw GPIO v2 set",
            ratio(set, run.row("gpio-v2", "set", "baseline")),
            "<=",
            1.25,
            format!(
                "library set of one line ({}) vs GPIO_V2_LINE_SET_VALUES on the same chip",
                if via_bits { "SET_BITS" } else { "SET_VALUES" }
            ),
        ),
        target(
            "ioctl get / getppid",
            ratio(get, run.row("getppid", "call", "baseline")),
            "<=",
            1.5,
            format!(
                "library get of one line ({}) vs getppid()",
                if get_by_bits {
                    "GET_BITS"
                } else {
                    "GET_VALUES"
                }
            ),
        ),
        target(
            "ioctl get / mmap read",
            ratio(get, mm),
            ">=",
            50.0,
            "how many times cheaper the mmap one-line read is".into(),
        ),
        target(
            "ioctl get: library / bare",
            ratio(get, get_bare),
            "<=",
            1.10,
            format!(
                "library overhead over the bare {}",
                if get_by_bits {
                    "GET_BITS"
                } else {
                    "GET_VALUES"
                }
            ),
        ),
        target(
            "ioctl set: library / bare",
            ratio(set, set_bare),
            "<=",
            1.10,
            format!(
                "library overhead over the bare {}",
                if via_bits { "SET_BITS" } else { "SET_VALUES" }
            ),
        ),
        target(
            "mmap read: library / bare",
            ratio(mm, run.row("mmap", "value", "bare")),
            "<=",
            1.05,
            "library overhead over the bare seqcount read".into(),
        ),
        target(
            "context switches per set",
            set.map(|r| r.csw_per_op),
            "<=",
            0.01,
            "ioctl set with no listener; 0.01 allows for the odd timer preemption, a \
             kworker switch per set would be 1"
                .into(),
        ),
    ]
}

/// Puts `line` back to its value before the run, through the first writer that works.
fn restore(cfg: &Config, line: &LineInfo, now: u32) -> Result<(), Failure> {
    if now == line.value {
        return Ok(());
    }
    let mut first = None;
    for via in [
        Interface::Ioctl,
        Interface::Sysfs,
        Interface::Chardev,
        Interface::Netlink,
    ] {
        match kbridge::open(via, cfg).and_then(|mut b| b.set(&[(&line.name, line.value)])) {
            Ok(()) => return Ok(()),
            Err(e) => {
                first.get_or_insert(e);
            }
        }
    }
    Err(first.map_or_else(|| Failure::Check("cannot restore".into()), Failure::from))
}

fn kernel_release() -> String {
    nix::sys::utsname::uname()
        .map(|u| u.release().to_string_lossy().into_owned())
        .unwrap_or_default()
}

pub(crate) fn collect(args: &BenchArgs, vias: &[Via], cfg: &Config) -> Result<BenchJson, Failure> {
    let (named, explicit) = selected(vias);
    let lines = read_lines(cfg)?;
    let line = pick_line(&lines, args.line.as_deref())?;
    if explicit {
        // A named interface that is not there is an error, not a skip.
        for &via in &named {
            kbridge::open(via, cfg)?;
        }
    }
    let cpus = allowed_cpus();
    let pins = Pins {
        main: cpus.first().copied(),
        reader: cpus.get(1).copied(),
    };
    if let Some(cpu) = pins.main {
        pin_to(cpu)?;
    }
    let ring = ring_size(cfg);
    let ioctl = IoctlBackend::open(cfg).and_then(|mut b| b.board());
    let mut run = Run {
        cfg,
        has_ioctl: ioctl.is_ok(),
        only: explicit.then_some(named),
        line_max: line.max_value,
        k: args.ops_per_batch,
        batches: args.batches as usize,
        rows: Vec::new(),
        skipped: Vec::new(),
    };
    if let Err(e) = &ioctl {
        run.skip("ioctl, mmap and the event tests", e);
    }
    let raw = match raw_gpio(cfg, args, &line) {
        Ok(r) => Some(r),
        Err(e) if args.gpio_chip.is_some() || args.gpio_line.is_some() => return Err(e),
        Err(e) => {
            run.skip("gpio-v2 baseline", format!("{e:?}"));
            None
        }
    };
    let current = Rc::new(Cell::new(line.value));
    let measured = (|| -> Result<_, Failure> {
        run.reads(&line, raw.as_ref())?;
        run.writes(&line, &current, raw.as_ref())?;
        run.slow(&line, &current)?;
        if !run.has_ioctl {
            return Ok((Vec::new(), Vec::new(), Vec::new()));
        }
        let mut w = Writer::new(cfg, &line.name, current.get())?;
        let mut tput = Vec::new();
        let mut lat = Vec::new();
        let mut bursts = Vec::new();
        let result = (|| -> Result<(), Failure> {
            for t in Transport::ALL {
                if t == Transport::Bpf && !kbridge::bpf::status(cfg).is_ok_and(|s| s.attached) {
                    run.skip(
                        "bpf-ring events",
                        "the BPF program is not attached (kbridge bpf attach)",
                    );
                    continue;
                }
                tput.push(events::throughput(t, cfg, &mut w, pins, args.event_count)?);
                lat.push(events::latency(
                    t,
                    cfg,
                    &mut w,
                    pins,
                    args.latency_samples as usize,
                )?);
            }
            bursts = events::bursts(cfg, &mut w, ring)?;
            Ok(())
        })();
        current.set(w.value());
        result?;
        Ok((tput, lat, bursts))
    })();
    // Put the line back before reporting anything.
    let restored = restore(cfg, &line, current.get());
    let (throughput, latency, burst) = measured?;
    restored?;
    let targets = targets(&run);
    let correct = burst.iter().all(|b| b.ok);
    Ok(BenchJson {
        format: 2,
        kernel: kernel_release(),
        line: line.name.clone(),
        kind: line.kind.to_string(),
        cpus,
        pinned_cpu: pins.main,
        reader_cpu: pins.reader,
        batches: args.batches as usize,
        warmup: WARMUP,
        ops_per_batch: args.ops_per_batch,
        ring,
        gpio: raw.as_ref().map(|r| GpioJson {
            chip: r.path.display().to_string(),
            label: r.label.clone(),
            offset: r.offset(),
            line_name: r.line_name.clone(),
        }),
        rows: run.rows,
        skipped: run.skipped,
        throughput,
        latency,
        burst,
        targets,
        correct,
    })
}

pub(crate) fn run(
    args: &BenchArgs,
    vias: &[Via],
    cfg: &Config,
    json: bool,
    out: &mut impl Write,
) -> Result<(), Failure> {
    let b = collect(args, vias, cfg)?;
    if let Some(path) = &args.save {
        let mut doc = Vec::new();
        output::document(&mut doc, true, &b, text)?;
        std::fs::write(path, doc)
            .map_err(|e| Failure::Check(format!("cannot write {}: {e}", path.display())))?;
    }
    output::document(out, json, &b, text)?;
    if !b.correct {
        return Err(Failure::Check(
            "event burst accounting is wrong (see the burst rows)".into(),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_choice() {
        let lines = vec![
            LineInfo::new("button", LineKind::Input, 0, 1),
            LineInfo::new("led", LineKind::Led, 0, 255),
            LineInfo::new("relay", LineKind::Output, 0, 1),
        ];
        assert_eq!(pick_line(&lines, None).unwrap().name, "relay");
        assert_eq!(pick_line(&lines[..2], None).unwrap().name, "led");
        assert!(pick_line(&lines[..1], None).is_err());
        assert_eq!(pick_line(&lines, Some("led")).unwrap().name, "led");
        let e = pick_line(&lines, Some("button")).unwrap_err();
        assert_eq!(e.exit_code(), 1);
        let e = pick_line(&lines, Some("realy")).unwrap_err();
        assert_eq!(e.exit_code(), 3);
    }

    fn row(via: &'static str, op: &'static str, role: &'static str, median: f64) -> Row {
        Row {
            group: "g",
            via,
            op,
            role,
            k: 1,
            median_ns: median,
            ci_low_ns: median,
            ci_high_ns: median,
            batches: 100,
            csw_per_op: 0.0,
        }
    }

    #[test]
    fn targets_are_ratios_of_medians() {
        let cfg = Config::new();
        let mut run = Run {
            cfg: &cfg,
            has_ioctl: true,
            only: None,
            line_max: 1,
            k: 1,
            batches: 100,
            rows: vec![
                row("gpio-v2", "set", "baseline", 1000.0),
                row("ioctl", "set", "library", 1200.0),
                row("ioctl", "set-values", "bare", 1150.0),
                row("getppid", "call", "baseline", 400.0),
                row("ioctl", "get", "library", 800.0),
                row("ioctl", "get-values", "bare", 700.0),
                row("mmap", "value", "library", 10.0),
                row("mmap", "value", "bare", 10.0),
            ],
            skipped: Vec::new(),
        };
        let t = targets(&run);
        let by = |n: &str| t.iter().find(|t| t.name == n).unwrap();
        assert_eq!(by("ioctl set / raw GPIO v2 set").pass, Some(true));
        assert_eq!(by("ioctl get / getppid").pass, Some(false));
        assert_eq!(by("ioctl get / mmap read").value, Some(80.0));
        assert_eq!(by("ioctl get / mmap read").pass, Some(true));
        assert_eq!(by("ioctl get: library / bare").pass, Some(false));
        assert_eq!(by("mmap read: library / bare").pass, Some(true));
        assert_eq!(by("context switches per set").pass, Some(true));
        run.rows.retain(|r| r.via != "gpio-v2");
        assert_eq!(
            targets(&run)[0].pass,
            None,
            "no baseline: n/a, not a failure"
        );
    }
}
