//! Errors: which interface, which operation, and what the kernel said.

use std::io;
use std::path::{Path, PathBuf};

use kbridge_abi::NameError;

use crate::{Interface, LineKind};

/// Result alias of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong talking to kbridge.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The module is not loaded: the interface's entry point does not exist.
    #[error("kbridge module is not loaded ({} does not exist)", path.display())]
    NotLoaded {
        /// The interface that was tried.
        via: Interface,
        /// The missing path.
        path: PathBuf,
    },

    /// The kernel refused access (`EACCES`/`EPERM`).
    #[error("permission denied: cannot {op} {} via {via}", path.display())]
    PermissionDenied {
        /// The interface that was used.
        via: Interface,
        /// What was being done.
        op: &'static str,
        /// The file involved.
        path: PathBuf,
    },

    /// No line has this name.
    #[error("unknown line `{name}`{}", did_you_mean(suggestion.as_deref()))]
    UnknownLine {
        /// The name asked for.
        name: String,
        /// The closest existing name, if one is close.
        suggestion: Option<String>,
    },

    /// The same line appears twice in one request.
    #[error("line `{name}` is given more than once")]
    DuplicateLine {
        /// The repeated name.
        name: String,
    },

    /// The name can never be a line name.
    #[error("invalid line name `{name}`: {reason}")]
    InvalidName {
        /// The name asked for.
        name: String,
        /// Why it is invalid.
        reason: NameError,
    },

    /// The line cannot be set (an input).
    #[error("line `{name}` is {} {kind} line and cannot be set", article(*kind))]
    NotWritable {
        /// Line name.
        name: String,
        /// Its kind.
        kind: LineKind,
    },

    /// The value is above the line's maximum.
    #[error("value {value} is out of range for line `{name}` (0..={max})")]
    OutOfRange {
        /// Line name.
        name: String,
        /// The value asked for.
        value: u32,
        /// The line's maximum.
        max: u32,
    },

    /// The interface cannot do this (read-only interface, or not implemented yet).
    #[error("cannot {op} via {via}: {reason}")]
    Unsupported {
        /// The interface.
        via: Interface,
        /// What was asked.
        op: &'static str,
        /// Why not, and what to use instead.
        reason: &'static str,
    },

    /// The kernel speaks another ABI version.
    #[error("ABI mismatch via {via}: the kernel module speaks ABI {kernel}, this tool ABI {user}")]
    AbiMismatch {
        /// The interface.
        via: Interface,
        /// The kernel's version.
        kernel: u32,
        /// Ours ([`kbridge_abi::ABI_VERSION`]).
        user: u32,
    },

    /// A system call failed.
    #[error("{op} via {via} failed: {source}")]
    Os {
        /// The interface.
        via: Interface,
        /// What was being done.
        op: &'static str,
        /// The error, with its errno.
        source: io::Error,
    },

    /// The kernel refused a generic netlink request: errno and, when the kernel gave one, its
    /// extended-ack message.
    #[error("{op} via netlink failed: {source}{}", message.as_deref().map_or_else(String::new, |m| format!(" ({m})")))]
    Netlink {
        /// What was being done.
        op: &'static str,
        /// The errno.
        source: io::Error,
        /// The kernel's extended-ack message.
        message: Option<String>,
    },

    /// bpf: the kbridge BPF program is not attached (its pins do not exist).
    #[error("the kbridge BPF program is not attached ({} does not exist); run `kbridge bpf attach`", path.display())]
    BpfNotAttached {
        /// The missing pin.
        path: PathBuf,
    },

    /// bpf: loading, attaching, pinning or a map access failed.
    #[error("{op} via bpf failed: {detail}")]
    Bpf {
        /// What was being done.
        op: &'static str,
        /// The error and its causes.
        detail: String,
        /// The errno behind it, if any.
        errno: Option<i32>,
    },

    /// The kernel sent something that does not follow the ABI.
    #[error("unexpected data via {via}: {detail}")]
    Protocol {
        /// The interface.
        via: Interface,
        /// What was wrong.
        detail: String,
    },
}

fn did_you_mean(suggestion: Option<&str>) -> String {
    suggestion.map_or_else(String::new, |s| format!(" (did you mean `{s}`?)"))
}

fn article(kind: LineKind) -> &'static str {
    match kind {
        LineKind::Input | LineKind::Output | LineKind::Unknown(_) => "an",
        LineKind::Led => "a",
    }
}

impl Error {
    /// The errno behind the error, if a system call failed.
    pub fn errno(&self) -> Option<i32> {
        match self {
            Error::Os { source, .. } | Error::Netlink { source, .. } => source.raw_os_error(),
            Error::NotLoaded { .. } | Error::BpfNotAttached { .. } => Some(libc_errno::ENOENT),
            Error::Bpf { errno, .. } => *errno,
            _ => None,
        }
    }

    /// The interface involved, if any.
    pub fn via(&self) -> Option<Interface> {
        match self {
            Error::NotLoaded { via, .. }
            | Error::PermissionDenied { via, .. }
            | Error::Unsupported { via, .. }
            | Error::AbiMismatch { via, .. }
            | Error::Os { via, .. }
            | Error::Protocol { via, .. } => Some(*via),
            Error::Netlink { .. } => Some(Interface::Netlink),
            Error::BpfNotAttached { .. } | Error::Bpf { .. } => Some(Interface::Bpf),
            _ => None,
        }
    }

    pub(crate) fn protocol(via: Interface, detail: impl Into<String>) -> Self {
        Error::Protocol {
            via,
            detail: detail.into(),
        }
    }

    /// Classifies an I/O error on `path`: permission problems become [`Error::PermissionDenied`],
    /// everything else [`Error::Os`].
    pub(crate) fn io(via: Interface, op: &'static str, path: &Path, source: io::Error) -> Self {
        match source.kind() {
            io::ErrorKind::PermissionDenied => Error::PermissionDenied {
                via,
                op,
                path: path.to_owned(),
            },
            _ => Error::Os { via, op, source },
        }
    }

    /// Like [`Error::io`] for the file that tells whether the module is loaded: a missing file
    /// is [`Error::NotLoaded`].
    pub(crate) fn open(via: Interface, op: &'static str, path: &Path, source: io::Error) -> Self {
        if source.kind() == io::ErrorKind::NotFound {
            Error::NotLoaded {
                via,
                path: path.to_owned(),
            }
        } else {
            Error::io(via, op, path, source)
        }
    }
}

/// The few errno values the library reasons about, as the `i32` that `raw_os_error()` and
/// the kernel's replies carry.
pub(crate) mod libc_errno {
    use nix::errno::Errno;
    pub(crate) const ENOENT: i32 = Errno::ENOENT as i32;
    pub(crate) const EINVAL: i32 = Errno::EINVAL as i32;
    pub(crate) const ERANGE: i32 = Errno::ERANGE as i32;
    pub(crate) const ENOBUFS: i32 = Errno::ENOBUFS as i32;
    pub(crate) const ENOTTY: i32 = Errno::ENOTTY as i32;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages() {
        let e = Error::UnknownLine {
            name: "led2".into(),
            suggestion: Some("led0".into()),
        };
        assert_eq!(e.to_string(), "unknown line `led2` (did you mean `led0`?)");
        let e = Error::UnknownLine {
            name: "x".into(),
            suggestion: None,
        };
        assert_eq!(e.to_string(), "unknown line `x`");
        let e = Error::NotWritable {
            name: "btn".into(),
            kind: LineKind::Input,
        };
        assert_eq!(
            e.to_string(),
            "line `btn` is an input line and cannot be set"
        );
        let e = Error::open(
            Interface::Ioctl,
            "open",
            Path::new("/dev/kbridge"),
            io::Error::from_raw_os_error(2),
        );
        assert!(matches!(e, Error::NotLoaded { .. }));
        assert_eq!(e.errno(), Some(2));
        let e = Error::io(
            Interface::Sysfs,
            "write",
            Path::new("/x"),
            io::Error::from_raw_os_error(13),
        );
        assert!(matches!(e, Error::PermissionDenied { .. }));
        let e = Error::io(
            Interface::Ioctl,
            "set",
            Path::new("/x"),
            io::Error::from_raw_os_error(22),
        );
        assert_eq!(e.errno(), Some(22));
        assert_eq!(e.via(), Some(Interface::Ioctl));
        assert!(e.to_string().starts_with("set via ioctl failed: "));
        let e = Error::Netlink {
            op: "request",
            source: io::Error::from_raw_os_error(34),
            message: Some("value above the line's max-value".into()),
        };
        assert_eq!(e.errno(), Some(34));
        assert_eq!(e.via(), Some(Interface::Netlink));
        assert!(e
            .to_string()
            .ends_with("(value above the line's max-value)"));
    }
}
