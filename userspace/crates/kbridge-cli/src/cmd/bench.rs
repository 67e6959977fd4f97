//! `kbridge bench`: latency of get, set and the event round trip, per interface.
//!
//! For every selected interface, on one writable line:
//! - `get`: `Backend::get` of the line (interfaces that read);
//! - `set`: `Backend::set` of the line, alternating between two values so every set is a
//!   real change (interfaces that write), with no event reader open;
//! - `event`: from just before such a set until its change event (right line, value and
//!   source) is read from a reader of `/dev/kbridge` opened beforehand.
//!
//! Each is timed N times after one untimed warm-up call, and summarised as p50/p99/max
//! (nearest rank). With `--gpio-compare` the same get/set run on a free line of the raw GPIO
//! character device as a baseline. The line's value is restored at the end, also on errors.

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

use kbridge::{Backend, Config, Error, EventStream, Interface, LineInfo, LineKind};
use serde::Serialize;

use crate::cli::{BenchArgs, Via};
use crate::cmd::gpio::RawLine;
use crate::cmd::{selected, source_of};
use crate::output;
use crate::Failure;

/// How long a set's event may take before the run fails.
const EVENT_TIMEOUT: Duration = Duration::from_secs(2);

/// Name of the raw GPIO rows.
const GPIO_VIA: &str = "gpio-cdev";

#[derive(Debug, Serialize)]
pub(crate) struct BenchJson {
    pub(crate) line: String,
    pub(crate) kind: String,
    pub(crate) iterations: u32,
    pub(crate) results: Vec<Measurement>,
    pub(crate) skipped: Vec<Skipped>,
    pub(crate) gpio: Option<GpioJson>,
}

/// Summary of one (interface, operation) series, in nanoseconds.
#[derive(Debug, Serialize, PartialEq, Eq)]
pub(crate) struct Measurement {
    pub(crate) via: &'static str,
    pub(crate) op: &'static str,
    pub(crate) n: u32,
    pub(crate) min_ns: u64,
    pub(crate) p50_ns: u64,
    pub(crate) p99_ns: u64,
    pub(crate) max_ns: u64,
    pub(crate) mean_ns: u64,
}

#[derive(Debug, Serialize)]
pub(crate) struct Skipped {
    pub(crate) via: &'static str,
    pub(crate) op: &'static str,
    pub(crate) reason: String,
}

#[derive(Debug, Serialize)]
pub(crate) struct GpioJson {
    pub(crate) chip: String,
    pub(crate) label: String,
    pub(crate) offset: u32,
    pub(crate) line_name: String,
    pub(crate) note: &'static str,
}

const GPIO_NOTE: &str = "raw GPIO uAPI v2 on a free line of the same chip: kbridge owns its \
                         own lines, so they cannot be requested directly";

/// Nearest-rank percentile of sorted samples (`pct` in 1..=100).
fn percentile(sorted: &[u64], pct: usize) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = (sorted.len() * pct).div_ceil(100).max(1);
    sorted.get(rank - 1).copied().unwrap_or(0)
}

impl Measurement {
    pub(crate) fn new(via: &'static str, op: &'static str, mut samples: Vec<u64>) -> Self {
        samples.sort_unstable();
        let n = samples.len();
        let sum: u128 = samples.iter().map(|&s| u128::from(s)).sum();
        let mean = sum.checked_div(n as u128).unwrap_or(0);
        Measurement {
            via,
            op,
            n: u32::try_from(n).unwrap_or(u32::MAX),
            min_ns: samples.first().copied().unwrap_or(0),
            p50_ns: percentile(&samples, 50),
            p99_ns: percentile(&samples, 99),
            max_ns: samples.last().copied().unwrap_or(0),
            mean_ns: u64::try_from(mean).unwrap_or(u64::MAX),
        }
    }
}

fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

/// A progress counter on stderr, only when stderr is a terminal.
struct Progress {
    tty: bool,
}

impl Progress {
    fn tick(&self, via: &str, op: &str, i: u32, n: u32) {
        if self.tty && (i % 64 == 0 || i == n) {
            eprint!("\r\x1b[Kbench {via} {op} {i}/{n}");
        }
    }

    fn done(&self) {
        if self.tty {
            eprint!("\r\x1b[K");
        }
    }
}

/// Times `n` calls of `f` (after one untimed warm-up call).
fn series(
    progress: &Progress,
    via: &'static str,
    op: &'static str,
    n: u32,
    mut f: impl FnMut() -> Result<(), Failure>,
) -> Result<Measurement, Failure> {
    f()?;
    let mut samples = Vec::with_capacity(n as usize);
    for i in 1..=n {
        let t0 = Instant::now();
        f()?;
        samples.push(nanos(t0.elapsed()));
        progress.tick(via, op, i, n);
    }
    progress.done();
    Ok(Measurement::new(via, op, samples))
}

/// Waits for the change event of `line` to `value` made through `via`.
pub(crate) fn wait_event(
    stream: &mut EventStream,
    line: &str,
    value: u32,
    via: Interface,
) -> Result<(), Failure> {
    let deadline = Instant::now() + EVENT_TIMEOUT;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let Some(ev) = stream.next_timeout(Some(left))? else {
            return Err(Failure::Check(format!(
                "no event for `{line}` = {value} within {} s of a set via {via}",
                EVENT_TIMEOUT.as_secs()
            )));
        };
        if ev.line != line || ev.new_value != value {
            continue; // Another line (an input edge), or a stale change.
        }
        if source_of(via).is_some_and(|s| s != ev.source) {
            return Err(Failure::Check(format!(
                "event for `{line}` after a set via {via} has source {}",
                ev.source
            )));
        }
        return Ok(());
    }
}

/// The board's lines, through the first reading interface that works.
pub(crate) fn read_lines(cfg: &Config) -> Result<(Vec<LineInfo>, Interface), Failure> {
    let mut first = None;
    for via in [
        Interface::Ioctl,
        Interface::Procfs,
        Interface::Sysfs,
        Interface::Mmap,
    ] {
        match kbridge::open(via, cfg).and_then(|mut b| b.lines()) {
            Ok(lines) => return Ok((lines, via)),
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

struct Run<'a> {
    cfg: &'a Config,
    line: &'a LineInfo,
    n: u32,
    progress: Progress,
    results: Vec<Measurement>,
    skipped: Vec<Skipped>,
    /// The value the line has now (every set changes it).
    current: u32,
    /// The interface that set the line last: the restore tries it first.
    last_writer: Option<Interface>,
}

impl Run<'_> {
    fn skip(&mut self, via: Interface, op: &'static str, reason: String) {
        self.skipped.push(Skipped {
            via: via.name(),
            op,
            reason,
        });
    }

    fn interface(&mut self, via: Interface, explicit: bool) -> Result<(), Failure> {
        let mut backend = match kbridge::open(via, self.cfg) {
            Ok(b) => b,
            Err(e) if explicit => return Err(e.into()),
            Err(e) => {
                self.skip(via, "all", e.to_string());
                return Ok(());
            }
        };
        let caps = via.capabilities();
        let line = self.line;
        let name = line.name.as_str();
        if caps.read {
            let m = series(&self.progress, via.name(), "get", self.n, || {
                backend.get(&[name])?;
                Ok(())
            })?;
            self.results.push(m);
        } else {
            self.skip(via, "get", "the interface does not read values".into());
        }
        if !caps.write {
            self.skip(via, "set", "the interface is read-only".into());
            return Ok(());
        }
        let mut current = self.current;
        let max = self.line.max_value;
        let m = series(&self.progress, via.name(), "set", self.n, || {
            let next = kbridge_abi::toggled_value(current, max);
            backend.set(&[(name, next)])?;
            current = next;
            Ok(())
        })?;
        self.current = current;
        self.last_writer = Some(via);
        self.results.push(m);
        self.events(via, backend.as_mut())
    }

    fn events(&mut self, via: Interface, backend: &mut dyn Backend) -> Result<(), Failure> {
        let mut stream = match kbridge::ChardevEvents::open(self.cfg) {
            Ok(s) => EventStream::new(Box::new(s)),
            Err(e) => {
                self.skip(via, "event", format!("no event stream: {e}"));
                return Ok(());
            }
        };
        let line = self.line;
        let name = line.name.as_str();
        let max = line.max_value;
        let mut current = self.current;
        let m = series(&self.progress, via.name(), "event", self.n, || {
            let next = kbridge_abi::toggled_value(current, max);
            backend.set(&[(name, next)])?;
            current = next;
            wait_event(&mut stream, name, next, via)
        })?;
        self.current = current;
        self.results.push(m);
        Ok(())
    }

    fn gpio(&mut self, raw: &RawLine) -> Result<(), Failure> {
        self.results
            .push(series(&self.progress, GPIO_VIA, "get", self.n, || {
                raw.get().map(|_| ())
            })?);
        let mut v = 0;
        let m = series(&self.progress, GPIO_VIA, "set", self.n, || {
            v ^= 1;
            raw.set(v)
        })?;
        self.results.push(m);
        raw.set(0)
    }

    /// Puts the line back to `value` (through whichever writer works).
    fn restore(&self, value: u32) -> Result<(), Failure> {
        if self.current == value {
            return Ok(());
        }
        let mut first = None;
        let writers = [Interface::Ioctl, Interface::Chardev, Interface::Sysfs];
        for via in self.last_writer.into_iter().chain(writers) {
            match kbridge::open(via, self.cfg).and_then(|mut b| b.set(&[(&self.line.name, value)]))
            {
                Ok(()) => return Ok(()),
                Err(e) => {
                    first.get_or_insert(e);
                }
            }
        }
        Err(first.map_or_else(|| Failure::Check("cannot restore".into()), Failure::from))
    }
}

pub(crate) fn collect(args: &BenchArgs, vias: &[Via], cfg: &Config) -> Result<BenchJson, Failure> {
    let (interfaces, explicit) = selected(vias);
    let (lines, _) = read_lines(cfg)?;
    let line = pick_line(&lines, args.line.as_deref())?;
    let mut run = Run {
        cfg,
        line: &line,
        n: args.iterations,
        progress: Progress {
            tty: std::io::stderr().is_terminal(),
        },
        results: Vec::new(),
        skipped: Vec::new(),
        current: line.value,
        last_writer: None,
    };
    let measured = interfaces
        .iter()
        .try_for_each(|&via| run.interface(via, explicit));
    // Restore before reporting a failure of the measurements.
    let restored = run.restore(line.value);
    measured?;
    restored?;

    let gpio = if args.gpio_compare {
        let raw = RawLine::open(&cfg.path("/dev"), &args.gpio_chip, args.gpio_line)?;
        run.gpio(&raw)?;
        Some(GpioJson {
            chip: raw.path.display().to_string(),
            label: raw.label.clone(),
            offset: raw.offset(),
            line_name: raw.line_name.clone(),
            note: GPIO_NOTE,
        })
    } else {
        None
    };
    Ok(BenchJson {
        line: line.name.clone(),
        kind: line.kind.to_string(),
        iterations: args.iterations,
        results: run.results,
        skipped: run.skipped,
        gpio,
    })
}

pub(crate) fn text(out: &mut impl Write, b: &BenchJson) -> std::io::Result<()> {
    writeln!(
        out,
        "line {} ({}), {} iterations each, times in microseconds",
        b.line, b.kind, b.iterations
    )?;
    writeln!(
        out,
        "{:<10} {:<6} {:>10} {:>10} {:>10} {:>10}",
        "VIA", "OP", "MIN", "P50", "P99", "MAX"
    )?;
    for m in &b.results {
        writeln!(
            out,
            "{:<10} {:<6} {:>10} {:>10} {:>10} {:>10}",
            m.via,
            m.op,
            output::micros(m.min_ns),
            output::micros(m.p50_ns),
            output::micros(m.p99_ns),
            output::micros(m.max_ns)
        )?;
    }
    for s in &b.skipped {
        // Only what could not be measured for a reason other than the interface's kind.
        if s.op == "all" || s.op == "event" {
            let head = match s.op {
                "all" => format!("skipped {}: ", s.via),
                op => format!("skipped {} {op}: ", s.via),
            };
            let reason = output::fit(&s.reason, 80 - head.chars().count());
            writeln!(out, "{head}{reason}")?;
        }
    }
    if let Some(g) = &b.gpio {
        let name = if g.line_name.is_empty() {
            String::new()
        } else {
            format!(" \"{}\"", g.line_name)
        };
        let head = format!(
            "{GPIO_VIA}: {} line {}{name} (chip \"{}\"), raw uAPI v2:",
            g.chip, g.offset, g.label
        );
        writeln!(out, "{}", output::fit(&head, 80))?;
        writeln!(
            out,
            "  a free line of the chip behind kbridge (kbridge owns its own lines)"
        )?;
    }
    Ok(())
}

pub(crate) fn run(
    args: &BenchArgs,
    vias: &[Via],
    cfg: &Config,
    json: bool,
    out: &mut impl Write,
) -> Result<(), Failure> {
    let b = collect(args, vias, cfg)?;
    output::document(out, json, &b, text)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_nearest_rank() {
        let m = Measurement::new("x", "get", (1..=100).rev().collect());
        assert_eq!(
            (m.n, m.min_ns, m.p50_ns, m.p99_ns, m.max_ns, m.mean_ns),
            (100, 1, 50, 99, 100, 50)
        );
        let m = Measurement::new("x", "get", vec![7]);
        assert_eq!((m.p50_ns, m.p99_ns, m.max_ns), (7, 7, 7));
        let m = Measurement::new("x", "get", vec![1, 2, 3]);
        assert_eq!((m.p50_ns, m.p99_ns, m.max_ns), (2, 3, 3));
        assert_eq!(percentile(&[], 50), 0);
    }

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
