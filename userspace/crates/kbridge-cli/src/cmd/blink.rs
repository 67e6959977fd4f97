//! `kbridge blink`: play a pattern on one writable line a number of times (or until
//! SIGINT/SIGTERM), then leave the line in a defined state.

use std::io::Write;
use std::time::{Duration, Instant};

use clap::{Args, ValueEnum};
use kbridge::{Backend, Config, Error, Interface, LineInfo};
use serde::Serialize;

use crate::pattern::{self, Pattern};
use crate::signals::{self, Signals};
use crate::Failure;

/// Arguments of `kbridge blink`.
#[derive(Debug, Args)]
pub(crate) struct BlinkArgs {
    /// The line to blink (an output or an LED)
    #[arg(value_name = "NAME")]
    pub(crate) name: String,

    /// Square wave: on for half of PERIOD, off for the other half [default: 1s]
    #[arg(long, value_name = "DURATION", value_parser = parse_period, conflicts_with = "pattern")]
    pub(crate) period: Option<Pattern>,

    /// Steps LEVEL:DURATION,...; LEVEL is on (the line's maximum), off or a number
    #[arg(long, value_name = "PATTERN", value_parser = Pattern::parse)]
    pub(crate) pattern: Option<Pattern>,

    /// Play the pattern COUNT times, then stop [default: until Ctrl-C]
    #[arg(long, short = 'n', value_name = "COUNT")]
    pub(crate) count: Option<u64>,

    /// The line's state afterwards: its value before blinking, on or off
    #[arg(long = "final", value_enum, value_name = "STATE", default_value_t = Final::Restore)]
    pub(crate) final_state: Final,
}

/// `--final`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum Final {
    /// The value the line had before blinking
    Restore,
    /// The line's maximum
    On,
    /// 0
    Off,
}

fn parse_period(text: &str) -> Result<Pattern, String> {
    Pattern::square(pattern::parse_duration(text)?)
}

#[derive(Serialize)]
struct BlinkJson<'a> {
    via: &'static str,
    line: &'a str,
    pattern: String,
    cycles: u64,
    steps: u64,
    interrupted: bool,
    final_value: u32,
}

/// A backend that can read `name` (the chardev only reports changes: read through ioctl).
fn read_line(backend: &mut dyn Backend, cfg: &Config, name: &str) -> Result<LineInfo, Error> {
    match backend.line(name) {
        Err(Error::Unsupported { .. }) => kbridge::open(Interface::Ioctl, cfg)?.line(name),
        other => other,
    }
}

/// Runs `kbridge blink`.
pub(crate) fn run(
    args: &BlinkArgs,
    via: Interface,
    cfg: &Config,
    json: bool,
    out: &mut impl Write,
) -> Result<(), Failure> {
    let signals = Signals::for_command()?;
    let pattern = match (&args.pattern, &args.period) {
        (Some(p), _) | (None, Some(p)) => p.clone(),
        (None, None) => Pattern::square(Duration::from_secs(1)).map_err(Failure::Usage)?,
    };
    let mut backend = kbridge::open(via, cfg)?;
    let line = read_line(backend.as_mut(), cfg, &args.name)?;
    if !line.kind.is_writable() {
        return Err(Error::NotWritable {
            name: line.name,
            kind: line.kind,
        }
        .into());
    }
    let steps = pattern
        .resolve(line.max_value)
        .map_err(|e| Failure::Usage(format!("pattern for `{}`: {e}", line.name)))?;
    let before = line.value;
    let name = line.name.as_str();

    let mut cycles = 0u64;
    let mut played = 0u64;
    let mut interrupted = false;
    let mut next = Instant::now();
    'outer: while args.count.is_none_or(|c| cycles < c) {
        for &(value, hold) in &steps {
            backend.set(&[(name, value)])?;
            played += 1;
            // Absolute deadlines: the pattern does not drift with the time writes take.
            next += hold;
            loop {
                if signals::wait_for_stop(&signals, None, Some(next))?
                    .stop
                    .is_some()
                {
                    interrupted = true;
                    break 'outer;
                }
                if Instant::now() >= next {
                    break;
                }
            }
        }
        cycles += 1;
    }
    let final_value = match args.final_state {
        Final::Restore => before,
        Final::On => line.max_value,
        Final::Off => 0,
    };
    backend.set(&[(name, final_value)])?;
    if json {
        crate::output::json(
            out,
            &BlinkJson {
                via: via.name(),
                line: name,
                pattern: pattern.to_string(),
                cycles,
                steps: played,
                interrupted,
                final_value,
            },
        )?;
    }
    if interrupted {
        eprintln!(
            "kbridge blink: interrupted after {cycles} full cycles ({played} steps); \
             {name} left at {final_value}"
        );
    }
    Ok(())
}
