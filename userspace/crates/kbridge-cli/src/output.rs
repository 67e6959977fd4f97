//! Rendering: text for people, JSON (stable field names) for programs.
//!
//! The JSON field names are part of the CLI's interface: add fields, never rename or remove.
//! Every document starts with `"schema": "kbridge/2"` ([`SCHEMA`]); a change that removes or
//! renames a field, or changes a field's type or meaning, bumps it. docs/cli.md describes
//! every document.

use std::io::{self, Write};

use kbridge::{BoardInfo, Event, LineInfo};
use serde::Serialize;

#[derive(Serialize)]
pub(crate) struct InfoJson<'a> {
    pub(crate) via: &'static str,
    pub(crate) board: &'a str,
    pub(crate) abi_version: u32,
    pub(crate) num_lines: u32,
    pub(crate) seq: u64,
}

#[derive(Serialize)]
pub(crate) struct LineJson<'a> {
    pub(crate) name: &'a str,
    pub(crate) kind: String,
    pub(crate) value: u32,
    pub(crate) max_value: u32,
    pub(crate) active_low: bool,
    pub(crate) changes: Option<u64>,
    pub(crate) last_source: Option<String>,
    pub(crate) last_change_ns: Option<u64>,
}

#[derive(Serialize)]
pub(crate) struct ListJson<'a> {
    pub(crate) via: &'static str,
    pub(crate) lines: Vec<LineJson<'a>>,
}

#[derive(Serialize)]
pub(crate) struct NameValue<'a> {
    pub(crate) name: &'a str,
    pub(crate) value: u32,
}

#[derive(Serialize)]
pub(crate) struct GetJson<'a> {
    pub(crate) via: &'static str,
    pub(crate) values: Vec<NameValue<'a>>,
}

#[derive(Serialize)]
pub(crate) struct SetJson<'a> {
    pub(crate) via: &'static str,
    pub(crate) atomic: bool,
    pub(crate) set: Vec<NameValue<'a>>,
}

#[derive(Serialize)]
pub(crate) struct ToggleJson<'a> {
    pub(crate) via: &'static str,
    pub(crate) atomic: bool,
    pub(crate) toggled: &'a [&'a str],
}

/// One change event: the fields of an [`Event`] that `watch` prints, as text or JSON (the
/// library's `Event` can't be built outside it, so this is also what the tests construct).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub(crate) struct EventJson<'a> {
    pub(crate) seq: u64,
    pub(crate) timestamp_ns: u64,
    pub(crate) line: &'a str,
    pub(crate) kind: String,
    pub(crate) source: String,
    pub(crate) old_value: u32,
    pub(crate) new_value: u32,
    pub(crate) dropped: u32,
}

impl<'a> From<&'a Event> for EventJson<'a> {
    fn from(e: &'a Event) -> Self {
        EventJson {
            seq: e.seq,
            timestamp_ns: e.timestamp_ns,
            line: &e.line,
            kind: e.kind.to_string(),
            source: e.source.to_string(),
            old_value: e.old_value,
            new_value: e.new_value,
            dropped: e.dropped,
        }
    }
}

#[derive(Serialize)]
pub(crate) struct InterfaceJson {
    pub(crate) name: &'static str,
    pub(crate) read: bool,
    pub(crate) write: bool,
    pub(crate) atomic_write: bool,
    pub(crate) events: bool,
}

#[derive(Serialize)]
pub(crate) struct InterfacesJson {
    pub(crate) interfaces: Vec<InterfaceJson>,
}

#[derive(Serialize)]
pub(crate) struct ErrorJson<'a> {
    pub(crate) error: ErrorBody<'a>,
}

#[derive(Serialize)]
pub(crate) struct ErrorBody<'a> {
    pub(crate) kind: &'static str,
    pub(crate) message: String,
    pub(crate) exit_code: u8,
    pub(crate) via: Option<&'static str>,
    pub(crate) errno: Option<i32>,
    pub(crate) suggestion: Option<&'a str>,
}

impl<'a> LineJson<'a> {
    pub(crate) fn new(l: &'a LineInfo) -> Self {
        LineJson {
            name: &l.name,
            kind: l.kind.to_string(),
            value: l.value,
            max_value: l.max_value,
            active_low: l.active_low,
            changes: l.changes,
            last_source: l.last_source.map(|s| s.to_string()),
            last_change_ns: l.last_change_ns,
        }
    }
}

/// The version of every JSON document this tool prints.
pub(crate) const SCHEMA: &str = "kbridge/2";

/// A document with the schema version as its first field.
#[derive(Serialize)]
struct Versioned<'a, T: Serialize> {
    schema: &'static str,
    #[serde(flatten)]
    body: &'a T,
}

/// Writes one JSON document (with `"schema"`) and a newline.
pub(crate) fn json<T: Serialize>(out: &mut impl Write, value: &T) -> io::Result<()> {
    let doc = Versioned {
        schema: SCHEMA,
        body: value,
    };
    serde_json::to_writer(&mut *out, &doc).map_err(io::Error::from)?;
    writeln!(out)
}

/// A command's result: its JSON document with `json`, else its text form through `text`.
pub(crate) fn document<T: Serialize, W: Write>(
    out: &mut W,
    json: bool,
    value: &T,
    text: impl FnOnce(&mut W, &T) -> io::Result<()>,
) -> io::Result<()> {
    if json {
        self::json(out, value)
    } else {
        text(out, value)
    }
}

/// `text` cut to `max` characters (the last one `…`), so tables fit 80 columns; the JSON
/// output has the whole text.
pub(crate) fn fit(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let cut: String = text.chars().take(max.saturating_sub(1)).collect();
    format!("{cut}…")
}

/// `d` in microseconds with one decimal, for tables.
pub(crate) fn micros(ns: u64) -> String {
    format!("{}.{}", ns / 1000, (ns % 1000) / 100)
}

pub(crate) fn info_text(out: &mut impl Write, b: &BoardInfo) -> io::Result<()> {
    writeln!(out, "board  {}", b.name)?;
    writeln!(out, "abi    {}", b.abi_version)?;
    writeln!(out, "lines  {}", b.num_lines)?;
    writeln!(out, "seq    {}", b.seq)
}

fn opt<T: ToString>(v: Option<T>) -> String {
    v.map_or_else(|| "-".to_owned(), |v| v.to_string())
}

pub(crate) fn list_text(out: &mut impl Write, lines: &[LineInfo]) -> io::Result<()> {
    let w = lines.iter().map(|l| l.name.len()).max().unwrap_or(0).max(4);
    writeln!(
        out,
        "{:<w$}  {:<6}  {:>5}  {:>5}  {:<10}  {:>7}  SOURCE",
        "NAME", "KIND", "VALUE", "MAX", "FLAGS", "CHANGES"
    )?;
    for l in lines {
        writeln!(
            out,
            "{:<w$}  {:<6}  {:>5}  {:>5}  {:<10}  {:>7}  {}",
            l.name,
            l.kind.to_string(),
            l.value,
            l.max_value,
            if l.active_low { "active-low" } else { "-" },
            opt(l.changes),
            opt(l.last_source),
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use kbridge::{Interface, LineKind, Source};

    /// The event document's shape (the others are snapshot-tested end to end in
    /// tests/json_snapshots.rs; events need a real /dev/kbridge).
    #[test]
    fn event_snapshot() {
        let ev = EventJson {
            seq: 7,
            timestamp_ns: 12_000_000_345,
            line: "relay",
            kind: kbridge::LineKind::Output.to_string(),
            source: Source::Ioctl.to_string(),
            old_value: 0,
            new_value: 1,
            dropped: 0,
        };
        let mut buf = Vec::new();
        json(&mut buf, &ev).unwrap();
        // Found at run time (crate::ptest): skipped, counted, on a ptest target without sources.
        let Some(path) = crate::ptest::source_path("tests/snapshots/event.json") else {
            return;
        };
        let doc: serde_json::Value = serde_json::from_slice(&buf).unwrap();
        let text = serde_json::to_string_pretty(&doc).unwrap() + "\n";
        if std::env::var_os("KBRIDGE_BLESS").is_some() {
            std::fs::write(&path, &text).unwrap();
        }
        assert_eq!(text, std::fs::read_to_string(&path).unwrap());
    }

    #[test]
    fn list_and_json_field_names_are_stable() {
        let mut l = LineInfo::new("led0", LineKind::Led, 3, 255);
        l.changes = Some(2);
        l.last_source = Some(Source::Sysfs);
        let mut text = Vec::new();
        list_text(&mut text, std::slice::from_ref(&l)).unwrap();
        let text = String::from_utf8(text).unwrap();
        assert!(text.starts_with("NAME  KIND    VALUE    MAX  FLAGS       CHANGES  SOURCE\n"));
        assert!(
            text.contains("led0  led         3    255  -                 2  sysfs\n"),
            "{text}"
        );

        let v = serde_json::to_value(ListJson {
            via: Interface::Ioctl.name(),
            lines: vec![LineJson::new(&l)],
        })
        .unwrap();
        assert_eq!(
            v,
            serde_json::json!({
                "via": "ioctl",
                "lines": [{
                    "name": "led0", "kind": "led", "value": 3, "max_value": 255,
                    "active_low": false, "changes": 2, "last_source": "sysfs",
                    "last_change_ns": null
                }]
            })
        );
    }
}
