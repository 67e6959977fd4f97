//! The measured rows: subjects run in interleaved batches, and the groups of rows (reads,
//! writes, slow paths) with their baselines.

use std::cell::Cell;
use std::fs::File;
use std::os::unix::fs::FileExt;
use std::rc::Rc;
use std::time::Instant;

use kbridge::{Backend, Config, Interface, IoctlBackend, LineInfo, MmapBackend};
use nix::sys::resource::{getrusage, UsageWho};

use super::stats::{summarize, Summary};
use super::{Row, Skipped, MEM_FACTOR, WARMUP};
use crate::cmd::gpio::RawLine;
use crate::Failure;

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
    pub(super) k: u32,
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

pub(super) struct Run<'c> {
    pub(super) cfg: &'c Config,
    /// The ioctl interface opens: its rows, mmap's and the event tests can run.
    pub(super) has_ioctl: bool,
    /// `--via`: the slow-path rows only for these interfaces.
    pub(super) only: Option<Vec<Interface>>,
    /// The measured line's maximum (the library reads a line of maximum 1 with GET_BITS).
    pub(super) line_max: u32,
    pub(super) k: u32,
    pub(super) batches: usize,
    pub(super) rows: Vec<Row>,
    pub(super) skipped: Vec<Skipped>,
}

impl Run<'_> {
    pub(super) fn skip(&mut self, what: impl Into<String>, reason: impl std::fmt::Display) {
        self.skipped.push(Skipped {
            what: what.into(),
            reason: reason.to_string(),
        });
    }

    /// Reads: clock floor, getppid, raw GPIO get, ioctl get (library/bare, values and bits),
    /// mmap one-line read and bitmap (library/bare).
    pub(super) fn reads(&mut self, line: &LineInfo, raw: Option<&RawLine>) -> Result<(), Failure> {
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
                let index = handle.index();
                // The library's polling read: a slot resolved once (the handle check is
                // done there), then reads that cannot fail.
                let slot = a.slot(&handle)?;
                subjects.push(Subject::new("mmap", "value", "library", km, move || {
                    std::hint::black_box(a.read(std::hint::black_box(slot)));
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
    pub(super) fn writes(
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
    pub(super) fn slow(&mut self, line: &LineInfo, current: &Rc<Cell<u32>>) -> Result<(), Failure> {
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

    pub(super) fn row(&self, via: &str, op: &str, role: &str) -> Option<&Row> {
        self.rows
            .iter()
            .find(|r| r.via == via && r.op == op && r.role == role)
    }
}
