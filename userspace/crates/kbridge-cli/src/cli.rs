//! Command-line definition (clap derive): the global options and the list of subcommands,
//! with their help texts. Each subcommand's own arguments and its `run()` are in its module
//! under `cmd/`. Kept apart from `main.rs` so the tests and the man page/completion
//! generators can use it.

use std::path::PathBuf;
use std::sync::LazyLock;

use clap::{
    ArgAction, ArgMatches, Args, CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum,
};
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
/// Every command can go through any of the module's interfaces with --via;
/// they all show the same state. Lines are addressed by name: see
/// `kbridge list`.
#[derive(Debug, Parser)]
#[command(verbatim_doc_comment)]
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
    ///
    /// bench and selftest take it several times.
    #[arg(long, global = true, value_enum, value_name = "INTERFACE", action = ArgAction::Append)]
    pub(crate) via: Option<Via>,

    /// Every `--via` given, in order (`via` holds the first). Filled by [`parse`].
    #[arg(skip)]
    pub(crate) vias: Vec<Via>,

    /// Print JSON (one object; one per line for events) instead of text
    #[arg(long, global = true)]
    pub(crate) json: bool,

    /// Look for /dev, /proc and /sys below DIR (testing aid; also $KBRIDGE_ROOT)
    #[arg(long, global = true, hide = true, value_name = "DIR")]
    pub(crate) root: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Show the board: name, ABI version, line count, sequence number
    #[command(after_help = "\
Examples:
  kbridge info
  kbridge info --via procfs --json")]
    Info(crate::cmd::info::InfoArgs),

    /// List lines: kind, value, maximum, flags, last change
    #[command(visible_alias = "ls")]
    #[command(after_help = "\
Interfaces that do not report a column show `-` (sysfs has no change counts).

Examples:
  kbridge list
  kbridge list --via sysfs
  kbridge ls --json")]
    List(crate::cmd::list::ListArgs),

    /// Print the values of lines as NAME=VALUE
    #[command(after_help = "\
Several names are read as one snapshot via ioctl, procfs and mmap.

Examples:
  kbridge get relay
  kbridge get relay status --via mmap
  kbridge get button --json")]
    Get(crate::cmd::get::GetArgs),

    /// Set lines: `set NAME VALUE` or `set NAME=VALUE...`
    ///
    /// Several lines are one atomic change via ioctl and chardev, and are set
    /// line by line via sysfs.
    #[command(verbatim_doc_comment)]
    #[command(after_help = "\
Values are logical: 1 is active, also on an active-low line. LEDs take
0..=max brightness (see `kbridge list`). Via ioctl and chardev a request
with several lines is all or nothing: one bad pair and nothing changes.

Examples:
  kbridge set relay 1
  kbridge set relay=1 status=1
  kbridge set status=0 --via chardev")]
    Set(crate::cmd::set::SetArgs),

    /// Toggle lines: 0 becomes the maximum, anything else 0
    ///
    /// Several lines are one atomic change via ioctl and chardev.
    #[command(verbatim_doc_comment)]
    #[command(after_help = "\
Examples:
  kbridge toggle status
  kbridge toggle relay buzzer --via chardev")]
    Toggle(crate::cmd::toggle::ToggleArgs),

    /// Print changes as they happen, with gaps
    ///
    /// One line (or JSON object) per event [default --via: chardev].
    #[command(visible_alias = "events")]
    #[command(after_help = "\
Examples:
  kbridge watch
  kbridge watch button door --json
  kbridge watch --count 1 --timeout 5s")]
    Watch(crate::cmd::watch::WatchArgs),

    /// Blink a line (--period or --pattern), then restore it
    ///
    /// A square wave (--period) or a pattern, COUNT times or until Ctrl-C, then the line gets
    /// its value from before (or --final on|off).
    #[command(after_help = "\
Examples:
  kbridge blink status --period 500ms --count 10
  kbridge blink fault --pattern on:100ms,off:100ms,on:100ms,off:700ms
  kbridge blink relay --period 1s --final off --via sysfs")]
    Blink(crate::cmd::blink::BlinkArgs),

    /// Run the agent daemon (see docs/agent.md)
    ///
    /// Initial line states, aliases, mirror and heartbeat rules; SIGHUP reloads, SIGTERM
    /// stops.
    #[command(after_help = "\
Examples:
  kbridge agent --config /etc/kbridge/agent.toml
  kbridge agent --config ./agent.toml --check")]
    Agent(crate::agent::AgentArgs),

    /// List the interfaces and what each can do
    #[command(after_help = "\
Examples:
  kbridge interfaces
  kbridge interfaces --json")]
    Interfaces(crate::cmd::interfaces::InterfacesArgs),

    /// Check module, ABI version, board and each interface's health
    #[command(after_help = "\
Each interface is opened and read once (cheaply). Interfaces this tool has no
backend for yet are shown as `not available` and do not fail the check.
Exit status: 0 all good, 5 module not loaded, 1 ABI mismatch or an unhealthy
interface, 4 permission denied.

Examples:
  kbridge status
  kbridge status --json")]
    Status(crate::cmd::status::StatusArgs),

    /// Measure each interface against baselines, events, targets
    #[command(after_help = "\
bench CHANGES THE LINE it measures (default: the first output line) and
restores its value at the end. Rows are batches of K calls per clock read,
interleaved with the baselines (clock floor, getppid, raw GPIO v2 get/set on a
free line of the same chip); median ns per call with a 95% interval. Then the
event rate without loss, the delivery latency and the ring's burst accounting
(chardev, netlink, and the BPF ring when attached). Exit status 0 even when a
performance target is missed; 1 when the burst accounting is wrong.
See docs/performance.md.

Examples:
  kbridge bench
  kbridge bench -n 100 --json
  kbridge bench --line status --gpio-chip kbridge-sim-a --gpio-line 7")]
    Bench(BenchArgs),

    /// Cross-interface check: write via each interface, read via all
    #[command(after_help = "\
For each writable interface and writable line: change the value, read it back
through every readable interface, and check that the event stream saw exactly
one event with the writer's source. Every value is restored at the end.
Exit status 1 when any check fails.

Examples:
  kbridge selftest
  kbridge selftest --line status --json
  kbridge selftest --via ioctl --via procfs")]
    Selftest(crate::cmd::selftest::SelftestArgs),

    /// Print a shell completion script
    #[command(after_help = "\
Examples:
  kbridge completions bash > /etc/bash_completion.d/kbridge
  kbridge completions zsh > \"${fpath[1]}/_kbridge\"
  kbridge completions fish > ~/.config/fish/completions/kbridge.fish")]
    Completions(crate::cmd::completions::CompletionsArgs),

    /// Print the man page (roff)
    #[command(after_help = "\
Examples:
  kbridge manpage > /usr/share/man/man1/kbridge.1
  kbridge manpage | man -l -")]
    Manpage(crate::cmd::manpage::ManpageArgs),

    /// Attach, detach or inspect the BPF program behind `--via bpf`
    #[command(subcommand)]
    #[command(after_help = "\
Examples:
  kbridge bpf attach
  kbridge bpf status --json
  kbridge bpf detach")]
    Bpf(crate::cmd::bpf::BpfAction),
}

/// `kbridge bench`. Here rather than in cmd/bench.rs, like every other command's arguments,
/// while bench's internals are being rewritten.
#[derive(Debug, Args)]
pub(crate) struct BenchArgs {
    /// Measured batches per row, after a warm-up (use 100 or more)
    #[arg(short = 'n', long = "batches", visible_alias = "iterations", value_name = "N",
          default_value_t = 200, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub(crate) batches: u32,

    /// Calls per batch (memory reads: 64 times as many; slow paths: 1/8)
    #[arg(short = 'k', long = "ops-per-batch", value_name = "K", default_value_t = 32,
          value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub(crate) ops_per_batch: u32,

    /// Line to measure (must be writable) [default: the first output line]
    #[arg(long, value_name = "NAME")]
    pub(crate) line: Option<String>,

    /// Sets per event-rate run
    #[arg(long = "events", value_name = "N", default_value_t = 1000,
          value_parser = clap::value_parser!(u64).range(10..=10_000_000))]
    pub(crate) event_count: u64,

    /// Samples of the event delivery latency per transport
    #[arg(long, value_name = "N", default_value_t = 200,
          value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub(crate) latency_samples: u32,

    /// Also write the JSON document to FILE (the output stays as --json says)
    #[arg(long, value_name = "FILE")]
    pub(crate) save: Option<std::path::PathBuf>,

    /// Accepted for compatibility: the raw GPIO baseline is always measured now
    #[arg(long, hide = true)]
    pub(crate) gpio_compare: bool,

    /// Chip label of the raw GPIO baseline [default: kbridge's chip]
    #[arg(long, value_name = "LABEL")]
    pub(crate) gpio_chip: Option<String>,

    /// Line of that chip for the baseline [default: the first free one]
    #[arg(long, value_name = "OFFSET")]
    pub(crate) gpio_line: Option<u32>,
}

/// Parses the command line (exits on a usage error) and collects every `--via`.
pub(crate) fn parse() -> Cli {
    let matches = Cli::command().get_matches();
    match from_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    }
}

fn from_matches(matches: &ArgMatches) -> Result<Cli, clap::Error> {
    let mut cli = Cli::from_arg_matches(matches)?;
    // A global option is propagated to the subcommand's matches, which hold every value.
    let sub = matches.subcommand().map_or(matches, |(_, m)| m);
    cli.global.vias = sub
        .get_many::<Via>("via")
        .map(|v| v.copied().collect())
        .unwrap_or_default();
    let several_allowed = matches!(cli.command, Command::Bench(_) | Command::Selftest(_));
    if cli.global.vias.len() > 1 && !several_allowed {
        return Err(Cli::command().error(
            clap::error::ErrorKind::ArgumentConflict,
            "--via can be given only once (several only for bench and selftest)",
        ));
    }
    Ok(cli)
}

/// A `--via` value: an [`Interface`], named and described by the library, so the two can't
/// drift.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Via(pub(crate) Interface);

/// Every `--via` value, in [`Interface::ALL`] order.
static VIAS: [Via; Interface::ALL.len()] = {
    let mut v = [Via(Interface::Ioctl); Interface::ALL.len()];
    let mut i = 0;
    while i < v.len() {
        v[i] = Via(Interface::ALL[i]);
        i += 1;
    }
    v
};

impl ValueEnum for Via {
    fn value_variants<'a>() -> &'a [Self] {
        &VIAS
    }

    fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
        Some(clap::builder::PossibleValue::new(self.0.name()).help(self.0.summary()))
    }
}

impl From<Via> for Interface {
    fn from(via: Via) -> Self {
        via.0
    }
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
            assert_eq!(Via::from_str(&name, false), Ok(*v));
        }
    }

    fn parse_args(args: &[&str]) -> Result<Cli, clap::Error> {
        let matches = Cli::command().try_get_matches_from(args)?;
        from_matches(&matches)
    }

    #[test]
    fn several_vias_only_for_bench_and_selftest() {
        let cli = parse_args(&["kbridge", "bench", "--via", "ioctl", "--via", "sysfs"]).unwrap();
        assert_eq!(
            cli.global.vias,
            [Via(Interface::Ioctl), Via(Interface::Sysfs)]
        );
        assert_eq!(cli.global.via, Some(Via(Interface::Ioctl)));
        let cli = parse_args(&["kbridge", "--via", "mmap", "selftest"]).unwrap();
        assert_eq!(cli.global.vias, [Via(Interface::Mmap)]);
        let cli = parse_args(&["kbridge", "get", "relay"]).unwrap();
        assert!(cli.global.vias.is_empty());
        let e =
            parse_args(&["kbridge", "get", "x", "--via", "ioctl", "--via", "sysfs"]).unwrap_err();
        assert_eq!(e.exit_code(), 2);
    }

    #[test]
    fn bench_defaults_and_limits() {
        let cli = parse_args(&["kbridge", "bench"]).unwrap();
        let Command::Bench(b) = cli.command else {
            panic!("not bench")
        };
        assert_eq!((b.batches, b.ops_per_batch), (200, 32));
        assert_eq!((b.gpio_chip, b.gpio_line), (None, None));
        assert!(b.line.is_none());
        assert!(parse_args(&["kbridge", "bench", "-n", "0"]).is_err());
        let cli = parse_args(&[
            "kbridge",
            "bench",
            "--iterations",
            "100",
            "--line",
            "status",
        ])
        .unwrap();
        let Command::Bench(b) = cli.command else {
            panic!("not bench")
        };
        assert_eq!((b.batches, b.line.as_deref()), (100, Some("status")));
    }

    #[test]
    fn every_subcommand_has_examples() {
        for sub in Cli::command().get_subcommands() {
            let after = sub
                .get_after_help()
                .map(|h| h.to_string())
                .unwrap_or_default();
            assert!(
                after.contains("Examples:\n  kbridge "),
                "{} has no examples",
                sub.get_name()
            );
        }
    }

    #[test]
    fn version_names_the_abi() {
        assert!(VERSION.ends_with(&format!("(kbridge ABI {})", kbridge::ABI_VERSION)));
    }
}
