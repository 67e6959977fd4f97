//! One module per subcommand, each with its clap arguments and its `run()` (`bench` keeps its
//! arguments in `cli.rs` for now); `main.rs` dispatches. The agent daemon is its own module
//! tree, `crate::agent`. `gpio` is bench's raw GPIO line; the helpers below are shared by
//! bench and selftest.

pub(crate) mod bench;
pub(crate) mod blink;
pub(crate) mod bpf;
pub(crate) mod completions;
pub(crate) mod get;
pub(crate) mod gpio;
pub(crate) mod info;
pub(crate) mod interfaces;
pub(crate) mod list;
pub(crate) mod manpage;
pub(crate) mod selftest;
pub(crate) mod set;
pub(crate) mod status;
pub(crate) mod toggle;
pub(crate) mod watch;

use kbridge::{Interface, Source};

use crate::cli::Via;

/// The event source a change through `via` is recorded with, if the interface writes.
pub(crate) fn source_of(via: Interface) -> Option<Source> {
    match via {
        Interface::Sysfs => Some(Source::Sysfs),
        Interface::Chardev => Some(Source::Chardev),
        Interface::Ioctl => Some(Source::Ioctl),
        Interface::Netlink => Some(Source::Netlink),
        Interface::Procfs | Interface::Mmap | Interface::Bpf => None,
    }
}

/// The interfaces named with `--via` (deduplicated, in order), or all of them; and whether
/// they were named (a named interface that cannot be used is an error, not a skip).
pub(crate) fn selected(vias: &[Via]) -> (Vec<Interface>, bool) {
    if vias.is_empty() {
        return (Interface::ALL.to_vec(), false);
    }
    let mut out: Vec<Interface> = Vec::new();
    for &v in vias {
        let i = Interface::from(v);
        if !out.contains(&i) {
            out.push(i);
        }
    }
    (out, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writers_have_sources() {
        for via in Interface::ALL {
            if via.capabilities().write {
                assert!(source_of(via).is_some(), "{via}");
            }
        }
        assert_eq!(source_of(Interface::Ioctl), Some(Source::Ioctl));
    }

    #[test]
    fn selection() {
        assert_eq!(selected(&[]), (Interface::ALL.to_vec(), false));
        assert_eq!(
            selected(&[
                Via(Interface::Sysfs),
                Via(Interface::Ioctl),
                Via(Interface::Sysfs)
            ]),
            (vec![Interface::Sysfs, Interface::Ioctl], true)
        );
    }
}
