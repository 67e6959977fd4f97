//! The event tests: sustained rate without loss, delivery latency, and the ring's burst
//! accounting.
//!
//! The writer is this thread (pinned to the first CPU), setting one line through the ioctl
//! fast path; each reader is a thread pinned to the second CPU when there is one.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use kbridge::{Backend, Config, EventStream, Interface, IoctlBackend, Line};
use serde::Serialize;

use super::stats::percentile;
use super::{pin_to, Pins};
use crate::Failure;

/// How long a reader waits for the next event before it counts the rest as never coming.
const IDLE: Duration = Duration::from_millis(500);

/// The line the tests toggle, and its current value.
pub(super) struct Writer {
    backend: IoctlBackend,
    line: Line,
    value: u32,
}

impl Writer {
    pub(super) fn new(cfg: &Config, name: &str, value: u32) -> Result<Self, Failure> {
        let mut backend = IoctlBackend::open(cfg)?;
        let line = backend.prepare(name)?;
        Ok(Writer {
            backend,
            line,
            value,
        })
    }

    /// One real change of the line.
    fn toggle(&mut self) -> Result<(), Failure> {
        let next = kbridge_abi::toggled_value(self.value, self.line.max_value());
        self.backend.set_line(&self.line, next)?;
        self.value = next;
        Ok(())
    }

    pub(super) fn value(&self) -> u32 {
        self.value
    }
}

/// A transport the events come through.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Transport {
    Chardev,
    Netlink,
    Bpf,
}

impl Transport {
    pub(super) const ALL: [Transport; 3] = [Transport::Chardev, Transport::Netlink, Transport::Bpf];

    pub(super) fn name(self) -> &'static str {
        match self {
            Transport::Chardev => "chardev",
            Transport::Netlink => "netlink",
            Transport::Bpf => "bpf-ring",
        }
    }

    pub(super) fn open(self, cfg: &Config) -> Result<EventStream, Failure> {
        Ok(match self {
            Transport::Chardev => EventStream::new(Box::new(kbridge::ChardevEvents::open(cfg)?)),
            Transport::Netlink => kbridge::open(Interface::Netlink, cfg)?.events()?,
            Transport::Bpf => EventStream::new(Box::new(kbridge::BpfEvents::open(cfg)?)),
        })
    }
}

/// What one reader counted.
#[derive(Clone, Copy, Debug, Default)]
struct Count {
    received: u64,
    dropped: u64,
}

/// Reads events of `line` until `expected` were received, or until the writer is done and
/// nothing came for [`IDLE`]. The `dropped` fields are summed for the report only: a
/// transport's drop count may include what happened before the reader existed.
fn count_events(
    mut stream: EventStream,
    line: String,
    expected: u64,
    done: Arc<AtomicBool>,
    cpu: Option<usize>,
) -> Result<Count, Failure> {
    if let Some(cpu) = cpu {
        pin_to(cpu)?;
    }
    let mut c = Count::default();
    while c.received < expected {
        match stream.next_timeout(Some(IDLE))? {
            Some(ev) => {
                c.dropped += u64::from(ev.dropped);
                if ev.line == line {
                    c.received += 1;
                }
            }
            None if done.load(Ordering::Acquire) => break,
            None => {}
        }
    }
    Ok(c)
}

/// One throughput run.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct RateRun {
    /// Pacing asked for (events/s), `None`: as fast as the writer can.
    pub(super) paced_per_s: Option<u64>,
    /// The rate the writer achieved.
    pub(super) offered_per_s: u64,
    pub(super) sent: u64,
    pub(super) received: u64,
    pub(super) dropped: u64,
    /// Sent minus received: what the reader lost, counted or not.
    pub(super) lost: u64,
}

/// The throughput test of one transport: every run's figures and the highest rate that
/// arrived without loss.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct Throughput {
    pub(super) transport: &'static str,
    pub(super) runs: Vec<RateRun>,
    /// The highest offered rate of a run without loss, if any.
    pub(super) lossless_per_s: Option<u64>,
    /// Whether that was the writer's own maximum (the reader kept up with everything).
    pub(super) writer_bound: bool,
}

fn rate_run(
    t: Transport,
    cfg: &Config,
    w: &mut Writer,
    pins: Pins,
    n: u64,
    pace: Option<u64>,
) -> Result<RateRun, Failure> {
    let stream = t.open(cfg)?;
    let done = Arc::new(AtomicBool::new(false));
    let (name, d) = (w.line.name().to_owned(), Arc::clone(&done));
    let reader = std::thread::spawn(move || count_events(stream, name, n, d, pins.reader));
    let gap = pace.map(|r| Duration::from_nanos(1_000_000_000 / r.max(1)));
    let t0 = Instant::now();
    let mut wrote = Ok(());
    for i in 0..n {
        if let Some(gap) = gap {
            let at = t0 + gap * u32::try_from(i).unwrap_or(u32::MAX);
            while Instant::now() < at {
                std::hint::spin_loop();
            }
        }
        if let Err(e) = w.toggle() {
            wrote = Err(e);
            break;
        }
    }
    let secs = t0.elapsed().as_secs_f64();
    done.store(true, Ordering::Release);
    let count = reader
        .join()
        .map_err(|_| Failure::Check("event reader thread panicked".into()))??;
    wrote?;
    Ok(RateRun {
        paced_per_s: pace,
        offered_per_s: (n as f64 / secs.max(1e-9)) as u64,
        sent: n,
        received: count.received,
        dropped: count.dropped,
        lost: n.saturating_sub(count.received),
    })
}

/// Unpaced first; while events are lost, halves the rate (at most `tries` runs).
pub(super) fn throughput(
    t: Transport,
    cfg: &Config,
    w: &mut Writer,
    pins: Pins,
    n: u64,
) -> Result<Throughput, Failure> {
    let mut runs = Vec::new();
    let mut pace = None;
    for _ in 0..6 {
        let run = rate_run(t, cfg, w, pins, n, pace)?;
        let lossless = run.lost == 0;
        let next = run.offered_per_s / 2;
        runs.push(run);
        if lossless || next < 100 {
            break;
        }
        pace = Some(next);
    }
    let best = runs
        .iter()
        .filter(|r| r.lost == 0)
        .map(|r| r.offered_per_s)
        .max();
    let writer_bound = runs.first().is_some_and(|r| r.lost == 0);
    Ok(Throughput {
        transport: t.name(),
        runs,
        lossless_per_s: best,
        writer_bound,
    })
}

/// Delivery latency of one transport, writer to a reader blocked on the other CPU.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct Latency {
    pub(super) transport: &'static str,
    pub(super) samples: usize,
    pub(super) p50_ns: u64,
    pub(super) p99_ns: u64,
    pub(super) max_ns: u64,
}

pub(super) fn latency(
    t: Transport,
    cfg: &Config,
    w: &mut Writer,
    pins: Pins,
    n: usize,
) -> Result<Latency, Failure> {
    let mut stream = t.open(cfg)?;
    let base = Instant::now();
    let sent_at = Arc::new(AtomicU64::new(0));
    let acked = Arc::new(AtomicU64::new(0));
    let name = w.line.name().to_owned();
    let (s, a) = (Arc::clone(&sent_at), Arc::clone(&acked));
    let reader_cpu = pins.reader;
    let reader = std::thread::spawn(move || -> Result<Vec<u64>, Failure> {
        if let Some(cpu) = reader_cpu {
            pin_to(cpu)?;
        }
        let mut lat = Vec::with_capacity(n);
        while lat.len() < n {
            let Some(ev) = stream.next_timeout(Some(Duration::from_secs(2)))? else {
                break;
            };
            let now = u64::try_from(base.elapsed().as_nanos()).unwrap_or(u64::MAX);
            if ev.line == name {
                lat.push(now.saturating_sub(s.load(Ordering::Acquire)));
                a.fetch_add(1, Ordering::Release);
            }
        }
        Ok(lat)
    });
    for i in 0..n as u64 {
        // Let the reader go back to sleep: the latency of a blocked reader is the point.
        std::thread::sleep(Duration::from_millis(1));
        let now = u64::try_from(base.elapsed().as_nanos()).unwrap_or(u64::MAX);
        sent_at.store(now, Ordering::Release);
        w.toggle()?;
        let deadline = Instant::now() + Duration::from_secs(2);
        while acked.load(Ordering::Acquire) <= i {
            if Instant::now() > deadline {
                break;
            }
            std::thread::yield_now();
        }
    }
    let mut lat = reader
        .join()
        .map_err(|_| Failure::Check("event reader thread panicked".into()))??;
    if lat.len() < n {
        return Err(Failure::Check(format!(
            "{}: {} of {n} events arrived for the latency test",
            t.name(),
            lat.len()
        )));
    }
    lat.sort_unstable();
    Ok(Latency {
        transport: t.name(),
        samples: lat.len(),
        p50_ns: percentile(&lat, 50),
        p99_ns: percentile(&lat, 99),
        max_ns: lat.last().copied().unwrap_or(0),
    })
}

/// One burst: `burst` changes while a chardev reader does not read.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct Burst {
    pub(super) burst: u64,
    /// `read`: the reader reads everything afterwards; `close`: it closes without reading.
    pub(super) reader: &'static str,
    pub(super) expected_dropped: u64,
    /// Records the reader got (`read` only).
    pub(super) received: Option<u64>,
    /// The sum of the records' `dropped` fields (`read` only).
    pub(super) dropped_field: Option<u64>,
    /// How much `/proc/kbridge`'s `events dropped=` grew.
    pub(super) procfs_dropped: Option<u64>,
    pub(super) ok: bool,
}

fn procfs_dropped(cfg: &Config) -> Result<Option<u64>, Failure> {
    Ok(kbridge::ProcfsBackend::open(cfg)?
        .snapshot()?
        .events_dropped)
}

/// The burst accounting at `RING - 1`, `RING`, `RING + 1` and `2 * RING`, read and closed.
pub(super) fn bursts(cfg: &Config, w: &mut Writer, ring: u64) -> Result<Vec<Burst>, Failure> {
    let mut out = Vec::new();
    for b in [ring - 1, ring, ring + 1, 2 * ring] {
        for reader in ["read", "close"] {
            let before = procfs_dropped(cfg)?;
            let mut stream = Transport::Chardev.open(cfg)?;
            for _ in 0..b {
                w.toggle()?;
            }
            let expected = b.saturating_sub(ring);
            let (mut received, mut field) = (None, None);
            if reader == "read" {
                let (mut r, mut d) = (0u64, 0u64);
                while let Some(ev) = stream.next_timeout(Some(Duration::ZERO))? {
                    r += 1;
                    d += u64::from(ev.dropped);
                }
                received = Some(r);
                field = Some(d);
            }
            drop(stream);
            let after = procfs_dropped(cfg)?;
            let proc = before.zip(after).map(|(a, b)| b.wrapping_sub(a));
            let ok = received.is_none_or(|r| r == b.min(ring))
                && field.is_none_or(|d| d == expected)
                && proc == Some(expected);
            out.push(Burst {
                burst: b,
                reader,
                expected_dropped: expected,
                received,
                dropped_field: field,
                procfs_dropped: proc,
                ok,
            });
        }
    }
    Ok(out)
}
