//! The board, its lines and their changes, as the library presents them: names, never indices.

use std::fmt;
use std::str::FromStr;

use kbridge_abi as abi;

/// What a line is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LineKind {
    /// GPIO output, values 0..=1.
    Output,
    /// GPIO input, values 0..=1, read-only.
    Input,
    /// LED, values 0..=max brightness.
    Led,
    /// A kind this version of the library does not know (newer kernel).
    Unknown(u8),
}

impl LineKind {
    /// From the ABI's `KIND_*` code.
    pub const fn from_abi(kind: u8) -> Self {
        match kind {
            abi::KIND_OUTPUT => LineKind::Output,
            abi::KIND_INPUT => LineKind::Input,
            abi::KIND_LED => LineKind::Led,
            other => LineKind::Unknown(other),
        }
    }

    /// The ABI's `KIND_*` code.
    pub const fn to_abi(self) -> u8 {
        match self {
            LineKind::Output => abi::KIND_OUTPUT,
            LineKind::Input => abi::KIND_INPUT,
            LineKind::Led => abi::KIND_LED,
            LineKind::Unknown(other) => other,
        }
    }

    /// Whether user space may set lines of this kind.
    pub const fn is_writable(self) -> bool {
        abi::kind_is_writable(self.to_abi())
    }
}

impl fmt::Display for LineKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match abi::kind_name(self.to_abi()) {
            Some(name) => f.write_str(name),
            None => write!(f, "unknown-{}", self.to_abi()),
        }
    }
}

impl FromStr for LineKind {
    type Err = ();

    /// Parses a kind name (`output`, `input`, `led`) or a bare `KIND_*` number.
    fn from_str(s: &str) -> Result<Self, ()> {
        if let Some(kind) = abi::kind_from_name(s) {
            return Ok(LineKind::from_abi(kind));
        }
        abi::parse_value(s.as_bytes())
            .ok()
            .and_then(|n| u8::try_from(n).ok())
            .map(LineKind::from_abi)
            .ok_or(())
    }
}

/// Who made a change.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Source {
    /// Initial value at probe (also: never changed since).
    Init,
    /// The hardware (input edge).
    Hardware,
    /// A sysfs write.
    Sysfs,
    /// A text command on `/dev/kbridge`.
    Chardev,
    /// An ioctl.
    Ioctl,
    /// A netlink command.
    Netlink,
    /// Something else in the kernel (e.g. an LED trigger).
    Kernel,
    /// A source this version of the library does not know.
    Unknown(u8),
}

impl Source {
    /// From the ABI's `SOURCE_*` code.
    pub const fn from_abi(source: u8) -> Self {
        match source {
            abi::SOURCE_INIT => Source::Init,
            abi::SOURCE_HARDWARE => Source::Hardware,
            abi::SOURCE_SYSFS => Source::Sysfs,
            abi::SOURCE_CHARDEV => Source::Chardev,
            abi::SOURCE_IOCTL => Source::Ioctl,
            abi::SOURCE_NETLINK => Source::Netlink,
            abi::SOURCE_KERNEL => Source::Kernel,
            other => Source::Unknown(other),
        }
    }

    /// The ABI's `SOURCE_*` code.
    pub const fn to_abi(self) -> u8 {
        match self {
            Source::Init => abi::SOURCE_INIT,
            Source::Hardware => abi::SOURCE_HARDWARE,
            Source::Sysfs => abi::SOURCE_SYSFS,
            Source::Chardev => abi::SOURCE_CHARDEV,
            Source::Ioctl => abi::SOURCE_IOCTL,
            Source::Netlink => abi::SOURCE_NETLINK,
            Source::Kernel => abi::SOURCE_KERNEL,
            Source::Unknown(other) => other,
        }
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match abi::source_name(self.to_abi()) {
            Some(name) => f.write_str(name),
            None => write!(f, "unknown-{}", self.to_abi()),
        }
    }
}

impl FromStr for Source {
    type Err = ();

    /// Parses a source name (`init`, `sysfs`, ...) or a bare `SOURCE_*` number.
    fn from_str(s: &str) -> Result<Self, ()> {
        if let Some(source) = abi::source_from_name(s) {
            return Ok(Source::from_abi(source));
        }
        abi::parse_value(s.as_bytes())
            .ok()
            .and_then(|n| u8::try_from(n).ok())
            .map(Source::from_abi)
            .ok_or(())
    }
}

/// The board as a whole.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct BoardInfo {
    /// Board name (from the device tree).
    pub name: String,
    /// ABI version the kernel speaks.
    pub abi_version: u32,
    /// Number of lines.
    pub num_lines: u32,
    /// Global sequence number of the latest change (0: none since probe).
    pub seq: u64,
}

/// One line and its current state.
///
/// Values are logical: 1 means active even on an active-low line.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct LineInfo {
    /// Line name, unique on the board.
    pub name: String,
    /// What the line is.
    pub kind: LineKind,
    /// Whether the hardware is active-low (informational).
    pub active_low: bool,
    /// Current logical value.
    pub value: u32,
    /// Largest value (1 for GPIOs, max brightness for LEDs).
    pub max_value: u32,
    /// Changes since probe, if the interface reports it.
    pub changes: Option<u64>,
    /// Source of the latest change, if the interface reports it.
    pub last_source: Option<Source>,
    /// `CLOCK_MONOTONIC` nanoseconds of the latest change, if the interface reports it.
    pub last_change_ns: Option<u64>,
}

impl LineInfo {
    /// A line with only the always-known fields.
    pub fn new(name: impl Into<String>, kind: LineKind, value: u32, max_value: u32) -> Self {
        LineInfo {
            name: name.into(),
            kind,
            active_low: false,
            value,
            max_value,
            changes: None,
            last_source: None,
            last_change_ns: None,
        }
    }
}

/// One change of one line, from the event stream.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Event {
    /// Global sequence number (gaps: other lines changed or events were dropped).
    pub seq: u64,
    /// `CLOCK_MONOTONIC` nanoseconds.
    pub timestamp_ns: u64,
    /// Line name.
    pub line: String,
    /// What the line is.
    pub kind: LineKind,
    /// Who changed it.
    pub source: Source,
    /// Value before.
    pub old_value: u32,
    /// Value after.
    pub new_value: u32,
    /// Events this reader lost to queue overflow just before this one.
    pub dropped: u32,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_and_sources_use_abi_names() {
        assert_eq!(LineKind::Led.to_string(), "led");
        assert_eq!(LineKind::Unknown(9).to_string(), "unknown-9");
        assert_eq!("input".parse(), Ok(LineKind::Input));
        assert_eq!("9".parse(), Ok(LineKind::Unknown(9)));
        assert_eq!("300".parse::<LineKind>(), Err(()));
        assert_eq!("pwm".parse::<LineKind>(), Err(()));
        for code in 0..=u8::MAX {
            assert_eq!(LineKind::from_abi(code).to_abi(), code);
            assert_eq!(Source::from_abi(code).to_abi(), code);
        }
        assert_eq!(Source::Hardware.to_string(), "hardware");
        assert_eq!("kernel".parse(), Ok(Source::Kernel));
        assert_eq!("12".parse(), Ok(Source::Unknown(12)));
        assert!(LineKind::Led.is_writable());
        assert!(!LineKind::Input.is_writable());
        assert!(!LineKind::Unknown(7).is_writable());
    }
}
