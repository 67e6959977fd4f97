//! Command-line definition (clap derive). Kept apart from `main.rs` so the tests and a future
//! man page/completion generator can use it.

use std::path::PathBuf;
use std::sync::LazyLock;

use clap::{Args, Parser, Subcommand, ValueEnum};
use kbridge::Interface;

/// `kbridge --version`: the tool's version and the ABI it speaks.
pub(crate) static VERSION: LazyLock<String> = LazyLock::new(|| {
    format!(
        "{} (kbridge ABI {})",
        env!("CARGO_PKG_VERSION"),
        kbridge::ABI_VERSION
    )
});

/// Control and observe a kbridge board: its LEDs and GPIO lines.
///
/// Every command can go through any of the module's interfaces with --via; they all show the
/// same state. Lines are addressed by name (see `kbridge list`).
#[derive(Debug, Parser)]
#[command(name = "kbridge", version = VERSION.as_str(), propagate_version = true)]
#[command(after_help = "\
Exit status:
  0  success
  1  the kernel refused or failed (errno in the message), or other error
  2  usage error, including an operation the chosen --via cannot do
  3  unknown line (with a \"did you mean\" suggestion)
  4  permission denied
  5  kbridge module not loaded")]
pub(crate) struct Cli {
    #[command(flatten)]
    pub(crate) global: GlobalArgs,

    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Debug, Args)]
pub(crate) struct GlobalArgs {
    /// Interface to use [default: ioctl; chardev for events]
    #[arg(long, global = true, value_enum, value_name = "INTERFACE")]
    pub(crate) via: Option<Via>,

    /// Print JSON (one object; one per line for events) instead of text
    #[arg(long, global = true)]
    pub(crate) json: bool,

    /// Look for /dev, /proc and /sys below DIR (testing aid; also $KBRIDGE_ROOT)
    #[arg(long, global = true, hide = true, value_name = "DIR")]
    pub(crate) root: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Show the board: name, ABI version, number of lines, sequence number
    Info,

    /// List all lines with kind, value, maximum, flags and last change
    #[command(visible_alias = "ls")]
    List,

    /// Print the values of lines as NAME=VALUE
    Get {
        /// Line names
        #[arg(required = true, value_name = "NAME")]
        names: Vec<String>,
    },

    /// Set lines: `set NAME VALUE` or `set NAME=VALUE...` (several: one atomic change via
    /// ioctl and chardev; line by line via sysfs)
    Set {
        /// NAME VALUE, or one or more NAME=VALUE
        #[arg(required = true, value_name = "NAME=VALUE")]
        assignments: Vec<String>,
    },

    /// Toggle lines: 0 becomes the maximum, anything else 0 (several: atomic via ioctl and
    /// chardev)
    Toggle {
        /// Line names
        #[arg(required = true, value_name = "NAME")]
        names: Vec<String>,
    },

    /// Print changes as they happen (read from the character device)
    #[command(visible_alias = "watch")]
    Events {
        /// Exit after COUNT events
        #[arg(long, short = 'n', value_name = "COUNT")]
        count: Option<u64>,

        /// Exit after SECONDS without an event
        #[arg(long, value_name = "SECONDS", value_parser = parse_seconds)]
        timeout: Option<std::time::Duration>,
    },

    /// List the interfaces and what each can do
    Interfaces,

    /// Attach, detach or inspect the BPF program behind `--via bpf`
    #[command(subcommand)]
    Bpf(crate::bpf_cmd::BpfAction),
}

/// `--via` values. Mirrors [`Interface`] (a test keeps them in step).
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum Via {
    /// /proc/kbridge text snapshot (read-only)
    Procfs,
    /// /sys/class/misc/kbridge/device/lines/NAME/value (not atomic across lines)
    Sysfs,
    /// /dev/kbridge text commands and events
    Chardev,
    /// /dev/kbridge ioctls (atomic, snapshots)
    Ioctl,
    /// /dev/kbridge shared page (read-only)
    Mmap,
    /// generic netlink (not implemented yet)
    Netlink,
    /// BPF maps pinned by `kbridge bpf attach` (read-only, events)
    Bpf,
}

impl From<Via> for Interface {
    fn from(via: Via) -> Self {
        match via {
            Via::Procfs => Interface::Procfs,
            Via::Sysfs => Interface::Sysfs,
            Via::Chardev => Interface::Chardev,
            Via::Ioctl => Interface::Ioctl,
            Via::Mmap => Interface::Mmap,
            Via::Netlink => Interface::Netlink,
            Via::Bpf => Interface::Bpf,
        }
    }
}

fn parse_seconds(text: &str) -> Result<std::time::Duration, String> {
    let secs: f64 = text
        .parse()
        .map_err(|_| format!("`{text}` is not a number of seconds"))?;
    std::time::Duration::try_from_secs_f64(secs).map_err(|e| format!("`{text}`: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn via_mirrors_interface() {
        let names: Vec<String> = Via::value_variants()
            .iter()
            .filter_map(|v| v.to_possible_value())
            .map(|p| p.get_name().to_owned())
            .collect();
        let expected: Vec<String> = Interface::ALL.iter().map(|i| i.to_string()).collect();
        assert_eq!(names, expected);
        for v in Via::value_variants() {
            let name = v.to_possible_value().unwrap().get_name().to_owned();
            assert_eq!(Interface::from(*v).to_string(), name);
        }
    }

    #[test]
    fn version_names_the_abi() {
        assert!(VERSION.ends_with(&format!("(kbridge ABI {})", kbridge::ABI_VERSION)));
    }

    #[test]
    fn seconds() {
        assert_eq!(
            parse_seconds("1.5"),
            Ok(std::time::Duration::from_millis(1500))
        );
        assert!(parse_seconds("-1").is_err());
        assert!(parse_seconds("soon").is_err());
    }
}
