//! The [`Backend`] trait every interface implements, and the checks they share.

use std::collections::HashSet;

use kbridge_abi as abi;

use crate::events::EventStream;
use crate::{BoardInfo, Error, Interface, Line, LineInfo, LineKind, Result};

/// One way of talking to the board. Every method takes line *names*.
///
/// Methods an interface cannot serve return [`Error::Unsupported`]; see
/// [`Interface::capabilities`] to ask up front.
pub trait Backend {
    /// The interface this backend uses.
    fn via(&self) -> Interface;

    /// Board name, ABI version, line count, current sequence number.
    fn board(&mut self) -> Result<BoardInfo>;

    /// Every line with its current state.
    fn lines(&mut self) -> Result<Vec<LineInfo>>;

    /// One line.
    fn line(&mut self, name: &str) -> Result<LineInfo> {
        let lines = self.lines()?;
        find(&lines, name).cloned()
    }

    /// Current values of `names`, in the same order. Where the interface allows it
    /// (ioctl, mmap, procfs) the values are one consistent snapshot.
    fn get(&mut self, names: &[&str]) -> Result<Vec<u32>> {
        let lines = self.lines()?;
        names
            .iter()
            .map(|name| find(&lines, name).map(|l| l.value))
            .collect()
    }

    /// Sets lines to values. Atomic (all or nothing) where
    /// [`Capabilities::atomic_write`](crate::Capabilities::atomic_write) says so; otherwise the
    /// request is checked first and then applied line by line.
    fn set(&mut self, values: &[(&str, u32)]) -> Result<()> {
        let _ = values;
        Err(read_only(self.via(), "set lines"))
    }

    /// Toggles lines (0 becomes the maximum, anything else 0). Atomicity as for
    /// [`Backend::set`].
    fn toggle(&mut self, names: &[&str]) -> Result<()> {
        let _ = names;
        Err(read_only(self.via(), "toggle lines"))
    }

    /// Resolves line `name` once into a [`Line`] handle for [`Backend::value_of`] and
    /// [`Backend::set_line`]. The default looks the name up in [`Backend::lines`] (which lists
    /// lines in index order).
    fn prepare(&mut self, name: &str) -> Result<Line> {
        let lines = self.lines()?;
        let index = lines
            .iter()
            .position(|l| l.name == name)
            .ok_or_else(|| unknown_line(name, lines.iter().map(|l| l.name.as_str())))?;
        let info = lines
            .get(index)
            .ok_or_else(|| Error::protocol(self.via(), "line index out of range"))?;
        Line::new(info.name.clone(), index, info.kind, info.max_value)
            .ok_or_else(|| Error::protocol(self.via(), "more lines than the ABI allows"))
    }

    /// The current value of a prepared line. Backends with a fast path (ioctl, mmap) read it
    /// without allocating; the default is [`Backend::get`] of its name.
    fn value_of(&mut self, line: &Line) -> Result<u32> {
        let values = self.get(&[line.name()])?;
        values
            .first()
            .copied()
            .ok_or_else(|| Error::protocol(self.via(), "no value returned"))
    }

    /// Sets a prepared line. The ioctl backend does it without allocating; the default is
    /// [`Backend::set`] of its name.
    fn set_line(&mut self, line: &Line, value: u32) -> Result<()> {
        self.set(&[(line.name(), value)])
    }

    /// A stream of change events made after this call.
    fn events(&mut self) -> Result<EventStream> {
        Err(Error::Unsupported {
            via: self.via(),
            op: "watch events",
            reason: "events come from chardev, netlink or bpf; use one of those",
        })
    }
}

fn read_only(via: Interface, op: &'static str) -> Error {
    Error::Unsupported {
        via,
        op,
        reason: match via {
            Interface::Bpf => "the BPF maps only mirror the state; use ioctl, chardev or sysfs",
            _ => "this interface is read-only; use ioctl, chardev or sysfs",
        },
    }
}

/// The line called `name`, or [`Error::UnknownLine`] with the closest name as suggestion.
pub fn find<'a>(lines: &'a [LineInfo], name: &str) -> Result<&'a LineInfo> {
    lines
        .iter()
        .find(|l| l.name == name)
        .ok_or_else(|| unknown_line(name, lines.iter().map(|l| l.name.as_str())))
}

/// [`Error::UnknownLine`] for `name` given the names that exist, or [`Error::InvalidName`] if
/// `name` could never be a line name.
pub(crate) fn unknown_line<'a>(name: &str, existing: impl IntoIterator<Item = &'a str>) -> Error {
    if let Err(reason) = abi::validate_name(name.as_bytes()) {
        // Still offer a suggestion: `LED0` -> `led0` is a likely typo.
        let suggestion = crate::suggest::closest(&name.to_ascii_lowercase(), existing);
        if suggestion.is_some() {
            return Error::UnknownLine {
                name: name.to_owned(),
                suggestion,
            };
        }
        return Error::InvalidName {
            name: name.to_owned(),
            reason,
        };
    }
    Error::UnknownLine {
        name: name.to_owned(),
        suggestion: crate::suggest::closest(name, existing),
    }
}

/// Rejects a request naming a line twice.
pub(crate) fn check_unique<'a>(names: impl IntoIterator<Item = &'a str>) -> Result<()> {
    let mut seen = HashSet::new();
    for name in names {
        if !seen.insert(name) {
            return Err(Error::DuplicateLine {
                name: name.to_owned(),
            });
        }
    }
    Ok(())
}

/// The shared set rule ([`abi::check_set`]) with the library's errors.
pub(crate) fn check_set(name: &str, kind: LineKind, max: u32, value: u32) -> Result<()> {
    match abi::check_set(kind.to_abi(), max, value) {
        Ok(()) => Ok(()),
        Err(abi::SetError::NotWritable) => Err(Error::NotWritable {
            name: name.to_owned(),
            kind,
        }),
        Err(abi::SetError::OutOfRange) => Err(Error::OutOfRange {
            name: name.to_owned(),
            value,
            max,
        }),
    }
}

/// The toggle rule: only writable lines.
pub(crate) fn check_toggle(name: &str, kind: LineKind) -> Result<()> {
    if kind.is_writable() {
        Ok(())
    } else {
        Err(Error::NotWritable {
            name: name.to_owned(),
            kind,
        })
    }
}

/// Checks a whole set request against known lines: names exist, no duplicates, writable, in
/// range. Used to explain a refused request or to check one that is applied line by line.
pub(crate) fn check_set_request(lines: &[LineInfo], values: &[(&str, u32)]) -> Result<()> {
    check_unique(values.iter().map(|(n, _)| *n))?;
    for &(name, value) in values {
        let line = find(lines, name)?;
        check_set(name, line.kind, line.max_value, value)?;
    }
    Ok(())
}

/// Like [`check_set_request`] for toggles.
pub(crate) fn check_toggle_request(lines: &[LineInfo], names: &[&str]) -> Result<()> {
    check_unique(names.iter().copied())?;
    for &name in names {
        let line = find(lines, name)?;
        check_toggle(name, line.kind)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines() -> Vec<LineInfo> {
        vec![
            LineInfo::new("led0", LineKind::Led, 0, 255),
            LineInfo::new("relay", LineKind::Output, 1, 1),
            LineInfo::new("button", LineKind::Input, 0, 1),
        ]
    }

    #[test]
    fn set_requests_are_checked() {
        let l = lines();
        assert!(check_set_request(&l, &[("led0", 255), ("relay", 0)]).is_ok());
        assert!(matches!(
            check_set_request(&l, &[("led0", 256)]),
            Err(Error::OutOfRange { max: 255, .. })
        ));
        assert!(matches!(
            check_set_request(&l, &[("button", 1)]),
            Err(Error::NotWritable { .. })
        ));
        assert!(matches!(
            check_set_request(&l, &[("led0", 1), ("led0", 2)]),
            Err(Error::DuplicateLine { .. })
        ));
        match check_set_request(&l, &[("led1", 1)]) {
            Err(Error::UnknownLine { suggestion, .. }) => {
                assert_eq!(suggestion.as_deref(), Some("led0"))
            }
            other => panic!("{other:?}"),
        }
        assert!(check_toggle_request(&l, &["led0", "relay"]).is_ok());
        assert!(matches!(
            check_toggle_request(&l, &["button"]),
            Err(Error::NotWritable { .. })
        ));
    }

    #[test]
    fn invalid_names_are_reported_as_such() {
        let l = lines();
        match find(&l, "LED0") {
            Err(Error::UnknownLine { suggestion, .. }) => {
                assert_eq!(suggestion.as_deref(), Some("led0"))
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            find(&l, "no such line!"),
            Err(Error::InvalidName { .. })
        ));
    }
}
