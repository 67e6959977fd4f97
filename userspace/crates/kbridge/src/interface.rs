//! The kernel interfaces kbridge can be driven through.

use std::fmt;
use std::str::FromStr;

/// One of the module's interfaces to user space. They all show the same state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Interface {
    /// `/proc/kbridge`: a text snapshot of everything (read-only).
    Procfs,
    /// `/sys/class/misc/kbridge/device/lines/<name>/`: one attribute per value.
    Sysfs,
    /// `/dev/kbridge` `write()` text commands and `read()`/`poll()` change events.
    Chardev,
    /// `/dev/kbridge` ioctls (the default).
    Ioctl,
    /// `/dev/kbridge` shared state page (read-only).
    Mmap,
    /// Generic netlink family `kbridge`: commands, dumps and the `events` multicast group.
    Netlink,
    /// BPF maps pinned under `/sys/fs/bpf/kbridge`, fed by a BPF program on the module's
    /// tracepoint (read-only; ring buffer events). Needs `kbridge bpf attach` first.
    Bpf,
}

/// What an interface can do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Capabilities {
    /// Read board info, the line list and values.
    pub read: bool,
    /// Set and toggle lines.
    pub write: bool,
    /// Several lines in one set/toggle change together or not at all.
    pub atomic_write: bool,
    /// Stream change events.
    pub events: bool,
}

impl Interface {
    /// Every interface, in documentation order.
    pub const ALL: [Interface; 7] = [
        Interface::Procfs,
        Interface::Sysfs,
        Interface::Chardev,
        Interface::Ioctl,
        Interface::Mmap,
        Interface::Netlink,
        Interface::Bpf,
    ];

    /// The name used on the command line and in messages.
    pub const fn name(self) -> &'static str {
        match self {
            Interface::Procfs => "procfs",
            Interface::Sysfs => "sysfs",
            Interface::Chardev => "chardev",
            Interface::Ioctl => "ioctl",
            Interface::Mmap => "mmap",
            Interface::Netlink => "netlink",
            Interface::Bpf => "bpf",
        }
    }

    /// What this library can do through the interface today.
    pub const fn capabilities(self) -> Capabilities {
        let (read, write, atomic_write, events) = match self {
            Interface::Procfs | Interface::Mmap => (true, false, false, false),
            Interface::Sysfs => (true, true, false, false),
            Interface::Chardev => (false, true, true, true),
            Interface::Ioctl => (true, true, true, false),
            Interface::Netlink => (true, true, true, true),
            Interface::Bpf => (true, false, false, true),
        };
        Capabilities {
            read,
            write,
            atomic_write,
            events,
        }
    }

    /// One line on what the interface is and can do (the CLI's `--via` help).
    pub const fn summary(self) -> &'static str {
        match self {
            Interface::Procfs => "/proc/kbridge text snapshot (read-only)",
            Interface::Sysfs => "sysfs attributes lines/NAME/value (not atomic across lines)",
            Interface::Chardev => "/dev/kbridge text commands and events",
            Interface::Ioctl => "/dev/kbridge ioctls (atomic, snapshots)",
            Interface::Mmap => "/dev/kbridge shared page (read-only)",
            Interface::Netlink => "generic netlink family kbridge (atomic, events)",
            Interface::Bpf => "BPF maps pinned by `kbridge bpf attach` (read-only, events)",
        }
    }
}

impl fmt::Display for Interface {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The name is not one of [`Interface::ALL`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown interface `{0}` (expected one of: procfs, sysfs, chardev, ioctl, mmap, netlink, bpf)"
)]
pub struct UnknownInterface(pub String);

impl FromStr for Interface {
    type Err = UnknownInterface;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Interface::ALL
            .into_iter()
            .find(|i| i.name() == s)
            .ok_or_else(|| UnknownInterface(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for via in Interface::ALL {
            assert_eq!(via.to_string().parse::<Interface>(), Ok(via));
        }
        assert!("IOCTL".parse::<Interface>().is_err());
        assert!("".parse::<Interface>().is_err());
    }

    #[test]
    fn read_only_interfaces_cannot_write() {
        for via in [Interface::Procfs, Interface::Mmap] {
            assert!(via.capabilities().read);
            assert!(!via.capabilities().write);
        }
        assert!(Interface::Ioctl.capabilities().atomic_write);
        assert!(!Interface::Sysfs.capabilities().atomic_write);
        assert!(Interface::Chardev.capabilities().events);
        assert_eq!(
            Interface::Netlink.capabilities(),
            Capabilities {
                read: true,
                write: true,
                atomic_write: true,
                events: true
            }
        );
        assert!(Interface::Bpf.capabilities().read && Interface::Bpf.capabilities().events);
        assert!(!Interface::Bpf.capabilities().write);
    }
}
