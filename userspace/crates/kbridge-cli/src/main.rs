//! `kbridge`: control and observe a kbridge board from the command line.

mod agent;
mod cli;
mod cmd;
mod output;
mod pattern;
mod signals;

use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use kbridge::{Config, Error, Interface};

use crate::cli::{Cli, Command, GlobalArgs};
use crate::output::{ErrorBody, ErrorJson};

/// Exit statuses (documented in `--help`).
mod exit {
    pub(crate) const OTHER: u8 = 1;
    pub(crate) const USAGE: u8 = 2;
    pub(crate) const NOT_FOUND: u8 = 3;
    pub(crate) const PERMISSION: u8 = 4;
    pub(crate) const NOT_LOADED: u8 = 5;
}

/// Why the command failed.
#[derive(Debug)]
enum Failure {
    /// Bad arguments found after clap's parsing.
    Usage(String),
    /// The library refused or the kernel failed.
    Kbridge(Error),
    /// Writing the output failed (other than a closed pipe).
    Output(io::Error),
    /// A check found a problem (selftest mismatch, a sanity check of bench); the report
    /// is already on stdout.
    Check(String),
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Failure::Kbridge(e)
    }
}

impl From<io::Error> for Failure {
    fn from(e: io::Error) -> Self {
        Failure::Output(e)
    }
}

impl Failure {
    fn exit_code(&self) -> u8 {
        match self {
            Failure::Usage(_) => exit::USAGE,
            Failure::Output(_) | Failure::Check(_) => exit::OTHER,
            Failure::Kbridge(e) => match e {
                Error::UnknownLine { .. } | Error::InvalidName { .. } => exit::NOT_FOUND,
                Error::PermissionDenied { .. } => exit::PERMISSION,
                // A refusal that arrives as an errno (netlink's GENL_ADMIN_PERM: EPERM).
                Error::Netlink { source, .. }
                    if matches!(source.kind(), std::io::ErrorKind::PermissionDenied) =>
                {
                    exit::PERMISSION
                }
                Error::NotLoaded { .. } => exit::NOT_LOADED,
                Error::Unsupported { .. } | Error::DuplicateLine { .. } => exit::USAGE,
                _ => exit::OTHER,
            },
        }
    }

    fn kind(&self) -> &'static str {
        match self {
            Failure::Usage(_) => "usage",
            Failure::Output(_) => "output",
            Failure::Check(_) => "check_failed",
            Failure::Kbridge(e) => match e {
                Error::NotLoaded { .. } => "not_loaded",
                Error::PermissionDenied { .. } => "permission_denied",
                Error::UnknownLine { .. } => "unknown_line",
                Error::DuplicateLine { .. } => "duplicate_line",
                Error::InvalidName { .. } => "invalid_name",
                Error::NotWritable { .. } => "not_writable",
                Error::OutOfRange { .. } => "out_of_range",
                Error::Unsupported { .. } => "unsupported",
                Error::AbiMismatch { .. } => "abi_mismatch",
                Error::Os { .. } => "os",
                Error::Protocol { .. } => "protocol",
                _ => "other",
            },
        }
    }

    fn message(&self) -> String {
        match self {
            Failure::Usage(m) | Failure::Check(m) => m.clone(),
            Failure::Kbridge(e) => e.to_string(),
            Failure::Output(e) => format!("writing output: {e}"),
        }
    }

    fn report(&self, json: bool) {
        let message = self.message();
        if json {
            let (via, errno, suggestion) = match self {
                Failure::Kbridge(e) => (
                    e.via().map(Interface::name),
                    e.errno(),
                    match e {
                        Error::UnknownLine { suggestion, .. } => suggestion.as_deref(),
                        _ => None,
                    },
                ),
                _ => (None, None, None),
            };
            let doc = ErrorJson {
                error: ErrorBody {
                    kind: self.kind(),
                    message,
                    exit_code: self.exit_code(),
                    via,
                    errno,
                    suggestion,
                },
            };
            let _ = output::json(&mut io::stderr().lock(), &doc);
        } else {
            eprintln!("kbridge: {message}");
        }
    }
}

fn config(global: &GlobalArgs) -> Config {
    match global
        .root
        .clone()
        .or_else(|| std::env::var_os("KBRIDGE_ROOT").map(PathBuf::from))
    {
        Some(root) => Config::with_root(root),
        None => Config::new(),
    }
}

fn run(cli: &Cli, out: &mut impl Write) -> Result<(), Failure> {
    let json = cli.global.json;
    let default_via = match cli.command {
        Command::Watch(_) => Interface::Chardev,
        _ => Interface::Ioctl,
    };
    let via = cli.global.via.map_or(default_via, Interface::from);
    let cfg = config(&cli.global);

    match &cli.command {
        Command::Info(args) => cmd::info::run(args, via, &cfg, json, out)?,
        Command::List(args) => cmd::list::run(args, via, &cfg, json, out)?,
        Command::Get(args) => cmd::get::run(args, via, &cfg, json, out)?,
        Command::Set(args) => cmd::set::run(args, via, &cfg, json, out)?,
        Command::Toggle(args) => cmd::toggle::run(args, via, &cfg, json, out)?,
        Command::Watch(args) => cmd::watch::run(args, via, &cfg, json, out)?,
        Command::Blink(args) => cmd::blink::run(args, via, &cfg, json, out)?,
        // Dispatched in main() (its own exit statuses and log output).
        Command::Agent(_) => {}
        Command::Interfaces(args) => cmd::interfaces::run(args, json, out)?,
        Command::Status(args) => cmd::status::run(args, &cfg, json, out)?,
        Command::Bench(args) => cmd::bench::run(args, &cli.global.vias, &cfg, json, out)?,
        Command::Selftest(args) => cmd::selftest::run(args, &cli.global.vias, &cfg, json, out)?,
        Command::Completions(args) => cmd::completions::run(args, out)?,
        Command::Manpage(args) => cmd::manpage::run(args, out)?,
        Command::Bpf(action) => cmd::bpf::run(action, &cfg, json, out)?,
    }
    out.flush()?;
    Ok(())
}

fn main() -> ExitCode {
    let cli = cli::parse();
    if let Command::Agent(args) = &cli.command {
        return agent::main(
            args,
            cli.global.via.map(Interface::from),
            &config(&cli.global),
        );
    }
    let stdout = io::stdout();
    match run(&cli, &mut stdout.lock()) {
        Ok(()) => ExitCode::SUCCESS,
        // `kbridge events | head`: the reader left; that is not an error.
        Err(Failure::Output(e)) if e.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(failure) => {
            failure.report(cli.global.json);
            ExitCode::from(failure.exit_code())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes() {
        let code = |e: Error| Failure::Kbridge(e).exit_code();
        assert_eq!(
            code(Error::UnknownLine {
                name: "x".into(),
                suggestion: None
            }),
            3
        );
        assert_eq!(
            code(Error::NotLoaded {
                via: Interface::Ioctl,
                path: "/dev/kbridge".into()
            }),
            5
        );
        assert_eq!(
            code(Error::PermissionDenied {
                via: Interface::Sysfs,
                op: "set",
                path: "/sys".into()
            }),
            4
        );
        assert_eq!(
            code(Error::Unsupported {
                via: Interface::Procfs,
                op: "set",
                reason: "read-only"
            }),
            2
        );
        assert_eq!(
            code(Error::Os {
                via: Interface::Ioctl,
                op: "set",
                source: io::Error::from_raw_os_error(22)
            }),
            1
        );
    }
}
