//! `kbridge selftest`: the cross-interface consistency check, safe to run on a real board.
//!
//! For each writing interface and each writable line: change the line's value through the
//! writer, read it back through every reading interface, check that a reader of
//! `/dev/kbridge` (opened before) saw exactly one change event for the line, from the
//! writer's source, with the right old and new values; then put the value back. At the end
//! every line is compared with its value before the test (and put back once more if needed).

use std::io::Write;
use std::time::{Duration, Instant};

use kbridge::{Backend, Config, Error, Event, EventStream, Interface, LineInfo};
use serde::Serialize;

use crate::cli::Via;
use crate::cmd::{selected, source_of};
use crate::output;
use crate::Failure;

/// Arguments of `kbridge selftest`.
#[derive(Debug, clap::Args)]
pub(crate) struct SelftestArgs {
    /// Only these lines (repeatable) [default: every writable line]
    #[arg(long = "line", value_name = "NAME")]
    pub(crate) lines: Vec<String>,
}

/// How long the first event of a change may take.
const FIRST_EVENT: Duration = Duration::from_secs(1);
/// Quiet time after an event before a change's events count as complete.
const QUIET: Duration = Duration::from_millis(50);

#[derive(Debug, Serialize)]
pub(crate) struct SelftestJson {
    pub(crate) writers: Vec<&'static str>,
    pub(crate) readers: Vec<&'static str>,
    pub(crate) skipped: Vec<SkippedInterface>,
    /// Why events could not be checked (every check then fails), if so.
    pub(crate) event_stream_error: Option<String>,
    pub(crate) checks: Vec<Check>,
    pub(crate) passed: u32,
    pub(crate) failed: u32,
    /// Every tested line has its value from before the test.
    pub(crate) restored: bool,
    pub(crate) ok: bool,
}

#[derive(Debug, Serialize)]
pub(crate) struct SkippedInterface {
    pub(crate) via: &'static str,
    pub(crate) reason: String,
}

#[derive(Debug, Serialize)]
pub(crate) struct Check {
    pub(crate) writer: &'static str,
    pub(crate) line: String,
    pub(crate) from: u32,
    pub(crate) to: u32,
    /// The set (or the restore) failed.
    pub(crate) error: Option<String>,
    pub(crate) reads: Vec<ReadCheck>,
    pub(crate) event: EventCheck,
    pub(crate) ok: bool,
}

#[derive(Debug, Serialize)]
pub(crate) struct ReadCheck {
    pub(crate) via: &'static str,
    pub(crate) value: Option<u32>,
    pub(crate) error: Option<String>,
    pub(crate) ok: bool,
}

#[derive(Debug, Serialize)]
pub(crate) struct EventCheck {
    /// Events for the line after the change.
    pub(crate) count: u32,
    /// Source of the first of them.
    pub(crate) source: Option<String>,
    pub(crate) expected_source: Option<String>,
    pub(crate) old_value: Option<u32>,
    pub(crate) new_value: Option<u32>,
    pub(crate) ok: bool,
}

struct Opened {
    via: Interface,
    backend: Box<dyn Backend>,
}

/// Writers, readers, and the interfaces left out.
type Interfaces = (Vec<Opened>, Vec<Opened>, Vec<SkippedInterface>);

/// Events for `line` from now on: waits up to [`FIRST_EVENT`] for the first, then until
/// [`QUIET`] passes without another. Events of other lines are ignored.
fn events_for(stream: &mut EventStream, line: &str) -> Result<Vec<Event>, Error> {
    let start = Instant::now();
    let mut found: Vec<Event> = Vec::new();
    let mut last = start;
    loop {
        let wait = if found.is_empty() {
            FIRST_EVENT.saturating_sub(start.elapsed())
        } else {
            QUIET.saturating_sub(last.elapsed())
        };
        if wait.is_zero() {
            return Ok(found);
        }
        match stream.next_timeout(Some(wait))? {
            None => return Ok(found),
            Some(ev) if ev.line == line => {
                found.push(ev);
                last = Instant::now();
            }
            Some(_) => {}
        }
    }
}

/// Discards whatever is queued now.
fn drain(stream: &mut EventStream) -> Result<(), Error> {
    while stream.next_timeout(Some(Duration::ZERO))?.is_some() {}
    Ok(())
}

fn event_check(
    events: Result<Vec<Event>, String>,
    writer: Interface,
    from: u32,
    to: u32,
) -> EventCheck {
    let expected = source_of(writer);
    let mut check = EventCheck {
        count: 0,
        source: None,
        expected_source: expected.map(|s| s.to_string()),
        old_value: None,
        new_value: None,
        ok: false,
    };
    let Ok(events) = events else {
        return check;
    };
    check.count = u32::try_from(events.len()).unwrap_or(u32::MAX);
    if let Some(ev) = events.first() {
        check.source = Some(ev.source.to_string());
        check.old_value = Some(ev.old_value);
        check.new_value = Some(ev.new_value);
        check.ok = events.len() == 1
            && expected.is_none_or(|s| s == ev.source)
            && ev.old_value == from
            && ev.new_value == to;
    }
    check
}

struct Test<'a> {
    writers: Vec<Opened>,
    readers: Vec<Opened>,
    stream: Result<EventStream, String>,
    lines: &'a [LineInfo],
}

impl Test<'_> {
    fn one(&mut self, w: usize, line: &LineInfo) -> Result<Check, Error> {
        let Some(writer) = self.writers.get_mut(w) else {
            return Err(Error::Protocol {
                via: Interface::Ioctl,
                detail: "writer index".into(),
            });
        };
        let from = line.value;
        let to = kbridge_abi::toggled_value(from, line.max_value);
        let name = line.name.as_str();
        if let Ok(stream) = &mut self.stream {
            drain(stream)?;
        }
        let mut check = Check {
            writer: writer.via.name(),
            line: line.name.clone(),
            from,
            to,
            error: None,
            reads: Vec::new(),
            event: event_check(Err(String::new()), writer.via, from, to),
            ok: false,
        };
        if let Err(e) = writer.backend.set(&[(name, to)]) {
            check.error = Some(format!("set: {e}"));
            return Ok(check);
        }
        let writer_via = writer.via;
        for r in &mut self.readers {
            let read = match r.backend.get(&[name]) {
                Ok(v) => {
                    let value = v.first().copied();
                    ReadCheck {
                        via: r.via.name(),
                        value,
                        error: None,
                        ok: value == Some(to),
                    }
                }
                Err(e) => ReadCheck {
                    via: r.via.name(),
                    value: None,
                    error: Some(e.to_string()),
                    ok: false,
                },
            };
            check.reads.push(read);
        }
        let events = match &mut self.stream {
            Ok(stream) => events_for(stream, name).map_err(|e| e.to_string()),
            Err(reason) => Err(reason.clone()),
        };
        check.event = event_check(events, writer_via, from, to);
        // Put it back through the same writer, and swallow the change's event.
        if let Some(writer) = self.writers.get_mut(w) {
            if let Err(e) = writer.backend.set(&[(name, from)]) {
                check.error = Some(format!("restore: {e}"));
            }
        }
        if let Ok(stream) = &mut self.stream {
            events_for(stream, name)?;
        }
        check.ok = check.error.is_none() && check.reads.iter().all(|r| r.ok) && check.event.ok;
        Ok(check)
    }

    /// Whether every tested line has its old value; puts them back if not.
    fn restore(&mut self, reader: usize) -> bool {
        let same = |readers: &mut Vec<Opened>, lines: &[LineInfo]| -> bool {
            let Some(r) = readers.get_mut(reader) else {
                return false;
            };
            let names: Vec<&str> = lines.iter().map(|l| l.name.as_str()).collect();
            match r.backend.get(&names) {
                Ok(values) => values.iter().zip(lines).all(|(&v, l)| v == l.value),
                Err(_) => false,
            }
        };
        if same(&mut self.readers, self.lines) {
            return true;
        }
        let values: Vec<(&str, u32)> = self
            .lines
            .iter()
            .map(|l| (l.name.as_str(), l.value))
            .collect();
        for w in &mut self.writers {
            if w.backend.set(&values).is_ok() {
                break;
            }
        }
        false
    }
}

fn open_interfaces(vias: &[Via], cfg: &Config) -> Result<Interfaces, Failure> {
    let (interfaces, explicit) = selected(vias);
    let (mut writers, mut readers, mut skipped) = (Vec::new(), Vec::new(), Vec::new());
    for via in interfaces {
        let caps = via.capabilities();
        let open = || kbridge::open(via, cfg);
        match (open(), caps.read && caps.write) {
            // Switched off (the BPF program is not attached): skipped unless asked for.
            (Err(e @ Error::BpfNotAttached { .. }), _) if !explicit => {
                skipped.push(SkippedInterface {
                    via: via.name(),
                    reason: format!("not available: {e}"),
                });
            }
            (Err(e), _) => return Err(e.into()),
            (Ok(backend), false) => {
                let o = Opened { via, backend };
                if caps.write {
                    writers.push(o);
                } else {
                    readers.push(o);
                }
            }
            (Ok(backend), true) => {
                // Separate backends: the reader must not see the writer's caches.
                writers.push(Opened { via, backend });
                readers.push(Opened {
                    via,
                    backend: open()?,
                });
            }
        }
    }
    if writers.is_empty() || readers.is_empty() {
        return Err(Failure::Usage(
            "selftest needs at least one interface that writes and one that reads".into(),
        ));
    }
    Ok((writers, readers, skipped))
}

/// The lines to test: `--line` names, or every writable line, as read before the test.
fn pick_lines(all: &[LineInfo], names: &[String]) -> Result<Vec<LineInfo>, Failure> {
    if names.is_empty() {
        let lines: Vec<LineInfo> = all
            .iter()
            .filter(|l| l.kind.is_writable())
            .cloned()
            .collect();
        if lines.is_empty() {
            return Err(Failure::Usage("the board has no writable line".into()));
        }
        return Ok(lines);
    }
    names
        .iter()
        .map(|name| {
            let l = kbridge::find(all, name)?;
            if l.kind.is_writable() {
                Ok(l.clone())
            } else {
                Err(Failure::from(Error::NotWritable {
                    name: l.name.clone(),
                    kind: l.kind,
                }))
            }
        })
        .collect()
}

pub(crate) fn collect(
    args: &SelftestArgs,
    vias: &[Via],
    cfg: &Config,
) -> Result<SelftestJson, Failure> {
    let (writers, mut readers, skipped) = open_interfaces(vias, cfg)?;
    let all = match readers.first_mut() {
        Some(r) => r.backend.lines()?,
        None => Vec::new(),
    };
    let lines = pick_lines(&all, &args.lines)?;
    let stream = kbridge::ChardevEvents::open(cfg)
        .map(|s| EventStream::new(Box::new(s)))
        .map_err(|e| e.to_string());
    let mut doc = SelftestJson {
        writers: writers.iter().map(|o| o.via.name()).collect(),
        readers: readers.iter().map(|o| o.via.name()).collect(),
        skipped,
        event_stream_error: stream.as_ref().err().cloned(),
        checks: Vec::new(),
        passed: 0,
        failed: 0,
        restored: false,
        ok: false,
    };
    let mut test = Test {
        writers,
        readers,
        stream,
        lines: &lines,
    };
    let mut outcome = Ok(());
    'all: for w in 0..test.writers.len() {
        for line in &lines {
            match test.one(w, line) {
                Ok(check) => doc.checks.push(check),
                Err(e) => {
                    outcome = Err(e);
                    break 'all;
                }
            }
        }
    }
    doc.restored = test.restore(0);
    outcome?;
    doc.passed = u32::try_from(doc.checks.iter().filter(|c| c.ok).count()).unwrap_or(u32::MAX);
    doc.failed = u32::try_from(doc.checks.len()).unwrap_or(u32::MAX) - doc.passed;
    doc.ok = doc.failed == 0 && doc.restored;
    Ok(doc)
}

fn read_cell(r: &ReadCheck) -> String {
    match (r.ok, r.value) {
        (true, _) => "ok".into(),
        (false, Some(v)) => format!("={v}"),
        (false, None) => "error".into(),
    }
}

fn event_cell(e: &EventCheck) -> String {
    if e.ok {
        return "ok".into();
    }
    match e.count {
        0 => "none".into(),
        1 if e.source != e.expected_source => e.source.clone().unwrap_or_default(),
        1 => "value".into(),
        n => format!("{n}x"),
    }
}

pub(crate) fn text(out: &mut impl Write, d: &SelftestJson) -> std::io::Result<()> {
    writeln!(out, "writers: {}", d.writers.join(" "))?;
    writeln!(out, "readers: {}", d.readers.join(" "))?;
    for s in &d.skipped {
        let head = format!("skipped: {} ", s.via);
        let reason = output::fit(&s.reason, 78 - head.chars().count());
        writeln!(out, "{head}({reason})")?;
    }
    if let Some(e) = &d.event_stream_error {
        writeln!(out, "events:  not checked: {}", output::fit(e, 58))?;
    }
    let w = d
        .checks
        .iter()
        .map(|c| c.line.len())
        .max()
        .unwrap_or(0)
        .max(4);
    write!(out, "{:<8} {:<w$} {:<9}", "WRITER", "LINE", "CHANGE")?;
    for r in &d.readers {
        write!(out, " {r:<7}")?;
    }
    writeln!(out, " {:<6} RESULT", "EVENT")?;
    for c in &d.checks {
        let change = format!("{}->{}", c.from, c.to);
        write!(out, "{:<8} {:<w$} {change:<9}", c.writer, c.line)?;
        for r in &c.reads {
            write!(out, " {:<7}", read_cell(r))?;
        }
        if c.reads.is_empty() {
            for _ in &d.readers {
                write!(out, " {:<7}", "-")?;
            }
        }
        writeln!(
            out,
            " {:<6} {}",
            if c.error.is_some() && c.reads.is_empty() {
                "-".to_owned()
            } else {
                event_cell(&c.event)
            },
            if c.ok { "pass" } else { "FAIL" }
        )?;
        if let Some(e) = &c.error {
            writeln!(out, "  {}", output::fit(e, 78))?;
        }
    }
    writeln!(
        out,
        "{} checks: {} passed, {} failed; values {}",
        d.checks.len(),
        d.passed,
        d.failed,
        if d.restored {
            "restored"
        } else {
            "NOT restored (put back now)"
        }
    )
}

pub(crate) fn run(
    args: &SelftestArgs,
    vias: &[Via],
    cfg: &Config,
    json: bool,
    out: &mut impl Write,
) -> Result<(), Failure> {
    let doc = collect(args, vias, cfg)?;
    output::document(out, json, &doc, text)?;
    out.flush()?;
    if doc.ok {
        Ok(())
    } else {
        Err(Failure::Check(format!(
            "selftest: {} of {} checks failed{}",
            doc.failed,
            doc.checks.len(),
            if doc.restored {
                ""
            } else {
                "; lines were not at their old values at the end"
            }
        )))
    }
}
