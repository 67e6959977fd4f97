//! The agent's log: one line per message on stderr, filtered by level.
//!
//! Under systemd (`JOURNAL_STREAM` set: stderr goes to the journal) each line starts with
//! the sd-daemon priority prefix (`<3>` error ... `<7>` debug), so `journalctl -p` works;
//! elsewhere lines read `kbridge agent: LEVEL: message`.

use std::fmt::Display;

use super::config::LogLevel;

#[derive(Debug)]
pub(crate) struct Log {
    pub(crate) level: LogLevel,
    journal: bool,
}

impl Log {
    pub(crate) fn new(level: LogLevel) -> Self {
        Log {
            level,
            journal: std::env::var_os("JOURNAL_STREAM").is_some(),
        }
    }

    /// The line written for `msg` at `level` (None: filtered out).
    pub(crate) fn format(&self, level: LogLevel, msg: &dyn Display) -> Option<String> {
        if level > self.level {
            return None;
        }
        Some(if self.journal {
            let prio = match level {
                LogLevel::Error => 3,
                LogLevel::Warn => 4,
                LogLevel::Info => 6,
                LogLevel::Debug => 7,
            };
            format!("<{prio}>{msg}")
        } else {
            format!("kbridge agent: {}: {msg}", level.name())
        })
    }

    fn at(&self, level: LogLevel, msg: &dyn Display) {
        if let Some(line) = self.format(level, msg) {
            eprintln!("{line}");
        }
    }

    pub(crate) fn error(&self, msg: impl Display) {
        self.at(LogLevel::Error, &msg);
    }

    pub(crate) fn warn(&self, msg: impl Display) {
        self.at(LogLevel::Warn, &msg);
    }

    pub(crate) fn info(&self, msg: impl Display) {
        self.at(LogLevel::Info, &msg);
    }

    pub(crate) fn debug(&self, msg: impl Display) {
        self.at(LogLevel::Debug, &msg);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_filter_and_prefix() {
        let log = Log {
            level: LogLevel::Info,
            journal: false,
        };
        assert_eq!(
            log.format(LogLevel::Warn, &"board gone").as_deref(),
            Some("kbridge agent: warn: board gone")
        );
        assert_eq!(log.format(LogLevel::Debug, &"x"), None);
        let log = Log {
            level: LogLevel::Debug,
            journal: true,
        };
        assert_eq!(
            log.format(LogLevel::Error, &"bad").as_deref(),
            Some("<3>bad")
        );
        assert_eq!(log.format(LogLevel::Debug, &"d").as_deref(), Some("<7>d"));
    }
}
