//! `/proc/kbridge`: parser of the text snapshot and the read-only procfs backend.
//!
//! The format is defined next to the kernel's formatter in
//! [`kbridge_abi::ProcBoard`]; this parser follows its compatibility rule: unknown records
//! and unknown `key=value` words are ignored.

use std::collections::HashSet;
use std::path::PathBuf;

use kbridge_abi as abi;

use crate::backend::{find, Backend};
use crate::{BoardInfo, Config, Error, Interface, LineInfo, LineKind, Result, Source};

const VIA: Interface = Interface::Procfs;

/// Everything `/proc/kbridge` reports.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Snapshot {
    /// The board record (with the ABI version from the `abi` record).
    pub board: BoardInfo,
    /// Line records, in index order.
    pub lines: Vec<LineInfo>,
    /// Operations handled per interface (`ops` record), in file order.
    pub ops: Vec<(String, u64)>,
    /// Event records delivered to readers (`events` record), if present.
    pub events_delivered: Option<u64>,
    /// Event records dropped for full queues (`events` record), if present.
    pub events_dropped: Option<u64>,
}

fn bad(line_no: usize, detail: impl std::fmt::Display) -> Error {
    Error::protocol(VIA, format!("/proc/kbridge line {line_no}: {detail}"))
}

fn number<T: std::str::FromStr>(line_no: usize, what: &str, text: &str) -> Result<T> {
    // Plain decimal only, like every kbridge text format.
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad(line_no, format!("{what}: `{text}` is not a number")));
    }
    text.parse()
        .map_err(|_| bad(line_no, format!("{what}: `{text}` is out of range")))
}

/// Splits `key=value` words; words without `=` are an error.
fn fields<'a>(
    line_no: usize,
    words: impl Iterator<Item = &'a str>,
) -> Result<Vec<(&'a str, &'a str)>> {
    words
        .map(|w| {
            w.split_once('=')
                .ok_or_else(|| bad(line_no, format!("expected key=value, got `{w}`")))
        })
        .collect()
}

fn parse_line_record<'a>(
    line_no: usize,
    mut words: impl Iterator<Item = &'a str>,
) -> Result<(u32, LineInfo)> {
    let index: u32 = number(line_no, "line index", words.next().unwrap_or(""))?;
    let name = words
        .next()
        .ok_or_else(|| bad(line_no, "line record without a name"))?;
    abi::validate_name(name.as_bytes())
        .map_err(|e| bad(line_no, format!("line name `{name}`: {e}")))?;
    let (mut kind, mut value, mut max) = (None, None, None);
    let mut info = LineInfo::new(name, LineKind::Output, 0, 0);
    for (key, val) in fields(line_no, words)? {
        match key {
            "kind" => {
                kind = Some(
                    val.parse::<LineKind>()
                        .map_err(|()| bad(line_no, format!("unknown kind `{val}`")))?,
                )
            }
            "value" => value = Some(number(line_no, "value", val)?),
            "max" => max = Some(number(line_no, "max", val)?),
            "flags" => {
                info.active_low = val.split(',').any(|f| f == abi::LINE_FLAG_ACTIVE_LOW_NAME)
            }
            "changes" => info.changes = Some(number(line_no, "changes", val)?),
            "source" => {
                info.last_source = Some(
                    val.parse::<Source>()
                        .map_err(|()| bad(line_no, format!("unknown source `{val}`")))?,
                )
            }
            "changed_ns" => info.last_change_ns = Some(number(line_no, "changed_ns", val)?),
            _ => {} // Appended by a newer kernel.
        }
    }
    match (kind, value, max) {
        (Some(k), Some(v), Some(m)) => {
            info.kind = k;
            info.value = v;
            info.max_value = m;
            Ok((index, info))
        }
        _ => Err(bad(line_no, "line record without kind, value or max")),
    }
}

/// Parses the text of `/proc/kbridge`.
pub fn parse(text: &str) -> Result<Snapshot> {
    let mut abi_version = None;
    let mut board: Option<(String, u32, u64)> = None;
    let mut lines: Vec<(u32, LineInfo)> = Vec::new();
    let mut ops = Vec::new();
    let (mut delivered, mut dropped) = (None, None);

    for (i, line) in text.lines().enumerate() {
        let line_no = i + 1;
        let mut words = line.split(' ');
        match words.next().unwrap_or("") {
            "" if line.is_empty() => {}
            abi::PROC_KEY_ABI => {
                abi_version = Some(number(line_no, "abi", words.next().unwrap_or(""))?);
            }
            abi::PROC_KEY_BOARD => {
                let name = words
                    .next()
                    .ok_or_else(|| bad(line_no, "board record without a name"))?;
                let (mut n, mut seq) = (None, None);
                while let Some(key) = words.next() {
                    let val = words
                        .next()
                        .ok_or_else(|| bad(line_no, format!("`{key}` without a value")))?;
                    match key {
                        "lines" => n = Some(number(line_no, "lines", val)?),
                        "seq" => seq = Some(number(line_no, "seq", val)?),
                        _ => {}
                    }
                }
                match (n, seq) {
                    (Some(n), Some(seq)) => board = Some((name.to_owned(), n, seq)),
                    _ => return Err(bad(line_no, "board record without lines or seq")),
                }
            }
            abi::PROC_KEY_LINE => lines.push(parse_line_record(line_no, words)?),
            abi::PROC_KEY_OPS => {
                for (key, val) in fields(line_no, words)? {
                    ops.push((key.to_owned(), number(line_no, key, val)?));
                }
            }
            abi::PROC_KEY_EVENTS => {
                for (key, val) in fields(line_no, words)? {
                    match key {
                        "delivered" => delivered = Some(number(line_no, key, val)?),
                        "dropped" => dropped = Some(number(line_no, key, val)?),
                        _ => {}
                    }
                }
            }
            _ => {} // A record a newer kernel added.
        }
    }

    let abi_version: u32 = abi_version.ok_or_else(|| Error::protocol(VIA, "no `abi` record"))?;
    if abi_version != abi::ABI_VERSION {
        return Err(Error::AbiMismatch {
            via: VIA,
            kernel: abi_version,
            user: abi::ABI_VERSION,
        });
    }
    let (name, num_lines, seq) = board.ok_or_else(|| Error::protocol(VIA, "no `board` record"))?;
    if lines.len() != num_lines as usize {
        return Err(Error::protocol(
            VIA,
            format!(
                "board has {num_lines} lines but {} line records",
                lines.len()
            ),
        ));
    }
    lines.sort_by_key(|(index, _)| *index);
    let mut names = HashSet::new();
    for (pos, (index, line)) in lines.iter().enumerate() {
        if *index as usize != pos {
            return Err(Error::protocol(
                VIA,
                format!("line indices are not 0..{num_lines}"),
            ));
        }
        if !names.insert(line.name.as_str()) {
            return Err(Error::protocol(
                VIA,
                format!("line `{}` appears twice", line.name),
            ));
        }
    }
    Ok(Snapshot {
        board: BoardInfo {
            name,
            abi_version,
            num_lines,
            seq,
        },
        lines: lines.into_iter().map(|(_, l)| l).collect(),
        ops,
        events_delivered: delivered,
        events_dropped: dropped,
    })
}

/// Read-only backend over `/proc/kbridge`. Every call reads the whole file once, which is a
/// consistent snapshot (the kernel generates it under its state lock).
#[derive(Debug)]
pub struct ProcfsBackend {
    path: PathBuf,
}

impl ProcfsBackend {
    /// Checks that `/proc/kbridge` exists.
    pub fn open(config: &Config) -> Result<Self> {
        let path = config.proc_path();
        std::fs::metadata(&path).map_err(|e| Error::open(VIA, "open", &path, e))?;
        Ok(ProcfsBackend { path })
    }

    /// Reads and parses the file.
    pub fn snapshot(&self) -> Result<Snapshot> {
        let text = std::fs::read_to_string(&self.path)
            .map_err(|e| Error::open(VIA, "read", &self.path, e))?;
        parse(&text)
    }
}

impl Backend for ProcfsBackend {
    fn via(&self) -> Interface {
        VIA
    }

    fn board(&mut self) -> Result<BoardInfo> {
        Ok(self.snapshot()?.board)
    }

    fn lines(&mut self) -> Result<Vec<LineInfo>> {
        Ok(self.snapshot()?.lines)
    }

    fn line(&mut self, name: &str) -> Result<LineInfo> {
        let lines = self.lines()?;
        find(&lines, name).cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = include_str!("../tests/fixtures/proc_kbridge.txt");

    #[test]
    fn parses_the_fixture() {
        let s = parse(SAMPLE).unwrap();
        assert_eq!(s.board.name, "qemu-virt");
        assert_eq!(s.board.abi_version, 1);
        assert_eq!(s.board.num_lines, 4);
        assert_eq!(s.board.seq, 17);
        let names: Vec<_> = s.lines.iter().map(|l| l.name.as_str()).collect();
        assert_eq!(names, ["led0", "led1", "relay", "button"]);
        let led0 = &s.lines[0];
        assert_eq!(led0.kind, LineKind::Led);
        assert_eq!((led0.value, led0.max_value), (255, 255));
        assert!(led0.active_low);
        assert_eq!(led0.changes, Some(5));
        assert_eq!(led0.last_source, Some(Source::Sysfs));
        assert_eq!(led0.last_change_ns, Some(5_123_456_789));
        assert_eq!(s.lines[3].kind, LineKind::Input);
        assert!(!s.lines[3].active_low);
        assert_eq!(s.ops.len(), 6);
        assert_eq!(s.ops[3], ("ioctl".to_owned(), 40));
        assert_eq!(s.events_delivered, Some(12));
        assert_eq!(s.events_dropped, Some(1));
    }

    #[test]
    fn round_trips_the_kernel_formatter() {
        let mut text = format!(
            "{}\n{}\n",
            abi::ProcAbi,
            abi::ProcBoard {
                name: "b",
                num_lines: 2,
                seq: 3
            }
        );
        for (index, name, kind) in [(1, "y", abi::KIND_INPUT), (0, "x", abi::KIND_OUTPUT)] {
            let rec = abi::ProcLine {
                index,
                name,
                kind,
                value: 1,
                max_value: 1,
                flags: 0,
                changes: 9,
                last_source: abi::SOURCE_HARDWARE,
                last_change_ns: 10,
            };
            text.push_str(&format!("{rec}\n"));
        }
        let s = parse(&text).unwrap();
        assert_eq!(s.lines[0].name, "x", "sorted by index");
        assert_eq!(s.lines[1].kind, LineKind::Input);
        assert_eq!(s.lines[1].last_source, Some(Source::Hardware));
        assert_eq!(s.events_delivered, None);
    }

    #[test]
    fn ignores_what_a_newer_kernel_appends() {
        let text = "abi 1\nboard b lines 1 seq 0 colour blue\nfuture stuff here\n\
                    line 0 a kind=led value=1 max=3 flags=active-low,sticky changes=0 source=init changed_ns=0 brightness_nits=40\n";
        let s = parse(text).unwrap();
        assert!(s.lines[0].active_low);
        assert_eq!(s.lines[0].max_value, 3);
    }

    #[test]
    fn refuses_broken_files() {
        let cases = [
            ("", "no `abi` record"),
            ("abi 1\n", "no `board` record"),
            ("abi 2\nboard b lines 0 seq 0\n", "ABI mismatch"),
            ("abi x\n", "not a number"),
            ("abi 1\nboard b lines 1 seq 0\n", "1 lines but 0"),
            ("abi 1\nboard b lines\n", "without a value"),
            ("abi 1\nboard b lines 1 seq 0\nline 0 a kind=led value=1\n", "without kind"),
            ("abi 1\nboard b lines 1 seq 0\nline 0 a kind=pwm value=1 max=1\n", "unknown kind"),
            ("abi 1\nboard b lines 1 seq 0\nline 0 A kind=led value=1 max=1\n", "line name"),
            ("abi 1\nboard b lines 1 seq 0\nline 0 a kind=led value=-1 max=1\n", "not a number"),
            ("abi 1\nboard b lines 1 seq 0\nline 0 a kind=led value=1 max=99999999999\n", "out of range"),
            ("abi 1\nboard b lines 1 seq 0\nline 0 a kind=led value max=1\n", "key=value"),
            ("abi 1\nboard b lines 1 seq 0\nline 5 a kind=led value=1 max=1\n", "indices"),
            (
                "abi 1\nboard b lines 2 seq 0\nline 0 a kind=led value=1 max=1\nline 1 a kind=led value=1 max=1\n",
                "twice",
            ),
        ];
        for (text, expect) in cases {
            let err = parse(text).unwrap_err().to_string();
            assert!(err.contains(expect), "{text:?}: {err}");
        }
    }
}
