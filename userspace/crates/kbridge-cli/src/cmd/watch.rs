//! `kbridge watch`: live change events, one line (or one JSON object) per event, with lost
//! events reported as their own "gap" record; stops cleanly on SIGINT/SIGTERM.

use std::io::{self, Write};
use std::time::{Duration, Instant};

use clap::Args;
use kbridge::{Backend, Config, Error, Interface, LineInfo};
use serde::Serialize;

use crate::output::{self, EventJson};
use crate::signals::{self, Signals};
use crate::Failure;

/// Arguments of `kbridge watch`.
#[derive(Debug, Args)]
pub(crate) struct WatchArgs {
    /// Only show changes of these lines (default: all lines)
    #[arg(value_name = "NAME")]
    pub(crate) names: Vec<String>,

    /// Exit after COUNT shown events
    #[arg(long, short = 'n', value_name = "COUNT")]
    pub(crate) count: Option<u64>,

    /// Exit after this long without an event (seconds, or a duration such as 500ms)
    #[arg(long, value_name = "DURATION", value_parser = parse_timeout)]
    pub(crate) timeout: Option<Duration>,
}

/// A bare number is seconds (as before `watch` took durations); otherwise a duration.
fn parse_timeout(text: &str) -> Result<Duration, String> {
    if let Ok(secs) = text.parse::<f64>() {
        return Duration::try_from_secs_f64(secs).map_err(|e| format!("`{text}`: {e}"));
    }
    crate::pattern::parse_duration(text)
}

/// `{"type":"event", <the event's fields>}`.
#[derive(Serialize)]
struct WatchEventJson<'a, 'b> {
    #[serde(rename = "type")]
    ty: &'static str,
    #[serde(flatten)]
    event: &'b EventJson<'a>,
}

/// `{"type":"gap","dropped":N,"before_seq":S}`.
#[derive(Serialize)]
struct GapJson {
    #[serde(rename = "type")]
    ty: &'static str,
    dropped: u32,
    before_seq: u64,
}

/// What a watch saw, for the summary on stderr.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Summary {
    pub(crate) received: u64,
    pub(crate) shown: u64,
    pub(crate) gaps: u64,
    pub(crate) lost: u64,
}

impl Summary {
    fn text(&self, via: Interface, why: &str) -> String {
        format!(
            "kbridge watch: {} events received, {} shown, {} gaps ({} events lost) via {via}; {why}",
            self.received, self.shown, self.gaps, self.lost
        )
    }
}

/// The line list, for checking the names: from the watched interface if it can list lines,
/// else through ioctl (the character device only reports changes).
fn lines(backend: &mut dyn Backend, cfg: &Config) -> Result<Vec<LineInfo>, Error> {
    match backend.lines() {
        Err(Error::Unsupported { .. }) => kbridge::open(Interface::Ioctl, cfg)?.lines(),
        other => other,
    }
}

/// `seq=S t=SECS.NANOS LINE OLD -> NEW source=SOURCE [dropped=N]`.
fn event_text(out: &mut impl Write, e: &EventJson<'_>) -> io::Result<()> {
    let secs = e.timestamp_ns / 1_000_000_000;
    let nanos = e.timestamp_ns % 1_000_000_000;
    write!(
        out,
        "seq={} t={secs}.{nanos:09} {} {} -> {} source={}",
        e.seq, e.line, e.old_value, e.new_value, e.source
    )?;
    if e.dropped > 0 {
        write!(out, " dropped={}", e.dropped)?;
    }
    writeln!(out)
}

/// Writes the records for one event: a gap first if events were lost before it, then the
/// event unless it is filtered out.
pub(crate) fn render(
    out: &mut impl Write,
    ev: &EventJson<'_>,
    names: &[String],
    json: bool,
    summary: &mut Summary,
) -> io::Result<()> {
    summary.received += 1;
    if ev.dropped > 0 {
        summary.gaps += 1;
        summary.lost += u64::from(ev.dropped);
        if json {
            output::json(
                out,
                &GapJson {
                    ty: "gap",
                    dropped: ev.dropped,
                    before_seq: ev.seq,
                },
            )?;
        } else {
            writeln!(out, "gap dropped={} before_seq={}", ev.dropped, ev.seq)?;
        }
    }
    if names.is_empty() || names.iter().any(|n| n == ev.line) {
        summary.shown += 1;
        if json {
            output::json(
                out,
                &WatchEventJson {
                    ty: "event",
                    event: ev,
                },
            )?;
        } else {
            event_text(out, ev)?;
        }
    }
    Ok(())
}

/// Runs `kbridge watch`.
pub(crate) fn run(
    args: &WatchArgs,
    via: Interface,
    cfg: &Config,
    json: bool,
    out: &mut impl Write,
) -> Result<(), Failure> {
    let signals = Signals::for_command()?;
    let mut backend = kbridge::open(via, cfg)?;
    if !args.names.is_empty() {
        let known = lines(backend.as_mut(), cfg)?;
        for name in &args.names {
            kbridge::find(&known, name)?;
        }
    }
    let mut stream = backend.events()?;
    let what = if args.names.is_empty() {
        "all lines".to_owned()
    } else {
        args.names.join(" ")
    };
    // Stderr, so scripts know the stream is open (changes from now on are seen).
    eprintln!("kbridge watch: watching {what} via {via} (Ctrl-C to stop)");

    let mut summary = Summary::default();
    let mut last = Instant::now();
    let why = loop {
        if args.count.is_some_and(|c| summary.shown >= c) {
            break "count reached".to_owned();
        }
        let deadline = args.timeout.map(|t| last + t);
        let ready = signals::wait_for_stop(&signals, Some(stream_fd(&stream)), deadline)?;
        if let Some(sig) = ready.stop {
            break format!("stopped by {}", signals::name(sig));
        }
        if ready.other {
            // Everything available now, without blocking (errors: board gone, ...).
            while let Some(ev) = stream.next_timeout(Some(Duration::ZERO))? {
                last = Instant::now();
                render(out, &EventJson::from(&ev), &args.names, json, &mut summary)?;
                if args.count.is_some_and(|c| summary.shown >= c) {
                    break;
                }
            }
            out.flush()?;
        } else if deadline.is_some_and(|d| Instant::now() >= d) {
            break "timeout".to_owned();
        }
    };
    out.flush()?;
    eprintln!("{}", summary.text(via, &why));
    Ok(())
}

fn stream_fd(stream: &kbridge::EventStream) -> std::os::fd::BorrowedFd<'_> {
    use std::os::fd::AsFd;
    stream.as_fd()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(seq: u64, line: &'static str, dropped: u32) -> EventJson<'static> {
        EventJson {
            seq,
            timestamp_ns: 1_500_000_000,
            line,
            kind: "output".into(),
            source: "ioctl".into(),
            old_value: 0,
            new_value: 1,
            dropped,
        }
    }

    #[test]
    fn gaps_are_their_own_record_and_filters_apply_to_events_only() {
        let mut out = Vec::new();
        let mut s = Summary::default();
        let names = vec!["relay".to_owned()];
        render(&mut out, &event(5, "relay", 0), &names, false, &mut s).unwrap();
        render(&mut out, &event(80, "status", 72), &names, false, &mut s).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(
            text,
            "seq=5 t=1.500000000 relay 0 -> 1 source=ioctl\n\
             gap dropped=72 before_seq=80\n"
        );
        assert_eq!(
            s,
            Summary {
                received: 2,
                shown: 1,
                gaps: 1,
                lost: 72
            }
        );

        let mut out = Vec::new();
        let mut s = Summary::default();
        render(&mut out, &event(80, "status", 3), &[], true, &mut s).unwrap();
        let lines: Vec<serde_json::Value> = String::from_utf8(out)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(
            lines[0],
            serde_json::json!({"schema": "kbridge/2", "type": "gap", "dropped": 3, "before_seq": 80})
        );
        assert_eq!(
            lines[1],
            serde_json::json!({
                "schema": "kbridge/2", "type": "event", "seq": 80, "timestamp_ns": 1_500_000_000u64, "line": "status",
                "kind": "output", "source": "ioctl", "old_value": 0, "new_value": 1, "dropped": 3
            })
        );
        assert_eq!(
            s.text(Interface::Chardev, "stopped by SIGINT"),
            "kbridge watch: 1 events received, 1 shown, 1 gaps (3 events lost) via chardev; \
             stopped by SIGINT"
        );
    }

    #[test]
    fn timeouts() {
        assert_eq!(parse_timeout("1.5"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_timeout("500ms"), Ok(Duration::from_millis(500)));
        assert!(parse_timeout("-1").is_err());
        assert!(parse_timeout("soon").is_err());
    }
}
