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
mod rows;
mod stats;
mod targets;
mod text;

pub(crate) use self::text::text;

use std::cell::Cell;
use std::io::Write;
use std::rc::Rc;

use kbridge::{Backend, Config, Error, Interface, IoctlBackend, LineInfo, LineKind};
use nix::sched::CpuSet;
use nix::unistd::Pid;
use serde::Serialize;

use self::events::{Burst, Latency, Throughput, Transport, Writer};
use self::rows::Run;
use self::targets::targets;
use crate::cli::{BenchArgs, Via};
use crate::cmd::gpio::{self, RawLine};
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
    /// Whether kbridge's BPF program was attached while the get and set rows ran (it runs
    /// on every change, so a set costs more with it). The bench attaches it itself only for
    /// the BPF rows and the event tests, after the fast rows, and detaches it again.
    pub(crate) bpf_during_fast_rows: bool,
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
    let entries = gpio::chip_paths(&dev)?;
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

/// kbridge's BPF program attached by the bench for the rows and events that need it, if
/// it was not attached already; detached again on drop (also on errors).
struct BpfForEvents<'a> {
    cfg: &'a Config,
    owned: bool,
}

impl<'a> BpfForEvents<'a> {
    fn attach(cfg: &'a Config, already: bool) -> Self {
        // A failed attach leaves the BPF rows and ring events to skip with their reason.
        let owned = !already && kbridge::bpf::attach(cfg).is_ok();
        BpfForEvents { cfg, owned }
    }
}

impl Drop for BpfForEvents<'_> {
    fn drop(&mut self) {
        if self.owned {
            // Best effort: a failure leaves the pins for `kbridge bpf detach`.
            let _ = kbridge::bpf::detach(self.cfg);
        }
    }
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
    let bpf_before = kbridge::bpf::status(cfg).is_ok_and(|s| s.attached);
    let measured = (|| -> Result<_, Failure> {
        run.reads(&line, raw.as_ref())?;
        run.writes(&line, &current, raw.as_ref())?;
        // Only now the BPF program, for its rows and ring events (detached again on drop).
        let _bpf = BpfForEvents::attach(cfg, bpf_before);
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
        bpf_during_fast_rows: bpf_before,
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
}
