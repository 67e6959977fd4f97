//! `kbridge`: control and observe a kbridge board from the command line.

mod agent;
mod blink;
mod bpf_cmd;
mod cli;
mod cmd;
mod output;
mod pattern;
#[cfg(test)]
#[path = "../../../test-support/ptest.rs"]
mod ptest;
mod signals;
mod watch;

use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use kbridge::{Backend, Config, Error, Interface};

use crate::cli::{Cli, Command, GlobalArgs};
use crate::output::{
    ErrorBody, ErrorJson, GetJson, InfoJson, InterfaceJson, InterfacesJson, LineJson, ListJson,
    NameValue, SetJson, ToggleJson,
};

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

/// `NAME VALUE` or `NAME=VALUE...`.
fn parse_assignments(args: &[String]) -> Result<Vec<(String, u32)>, Failure> {
    let value = |name: &str, text: &str| {
        kbridge_abi::parse_value(text.as_bytes())
            .map_err(|e| Failure::Usage(format!("value `{text}` for `{name}`: {e}")))
    };
    if let [name, text] = args {
        if !name.contains('=') && !text.contains('=') {
            return Ok(vec![(name.clone(), value(name, text)?)]);
        }
    }
    args.iter()
        .map(|arg| match arg.split_once('=') {
            Some((name, text)) if !name.is_empty() => Ok((name.to_owned(), value(name, text)?)),
            _ => Err(Failure::Usage(format!(
                "expected NAME=VALUE (or exactly NAME VALUE), got `{arg}`"
            ))),
        })
        .collect()
}

fn run(cli: &Cli, out: &mut impl Write) -> Result<(), Failure> {
    let json = cli.global.json;
    let default_via = match cli.command {
        Command::Watch(_) => Interface::Chardev,
        _ => Interface::Ioctl,
    };
    let via = cli.global.via.map_or(default_via, Interface::from);
    let cfg = config(&cli.global);
    let connect = || -> Result<Box<dyn Backend>, Failure> { Ok(kbridge::open(via, &cfg)?) };

    match &cli.command {
        Command::Status => cmd::status::run(&cfg, json, out)?,
        Command::Bench(args) => cmd::bench::run(args, &cli.global.vias, &cfg, json, out)?,
        Command::Selftest(args) => cmd::selftest::run(args, &cli.global.vias, &cfg, json, out)?,
        Command::Completions { shell } => cmd::generate::completions(*shell, out)?,
        Command::Manpage => cmd::generate::manpage(out)?,
        Command::Interfaces => {
            let list: Vec<InterfaceJson> = Interface::ALL
                .iter()
                .map(|&i| {
                    let c = i.capabilities();
                    InterfaceJson {
                        name: i.name(),
                        read: c.read,
                        write: c.write,
                        atomic_write: c.atomic_write,
                        events: c.events,
                    }
                })
                .collect();
            if json {
                output::json(out, &InterfacesJson { interfaces: list })?;
            } else {
                for i in list {
                    let can: Vec<&str> = [
                        (i.read, "read"),
                        (i.write, "write"),
                        (i.atomic_write, "atomic"),
                        (i.events, "events"),
                    ]
                    .iter()
                    .filter(|(yes, _)| *yes)
                    .map(|(_, what)| *what)
                    .collect();
                    writeln!(out, "{:<8} {}", i.name, can.join(" "))?;
                }
            }
        }
        Command::Info => {
            let b = connect()?.board()?;
            if json {
                output::json(
                    out,
                    &InfoJson {
                        via: via.name(),
                        board: &b.name,
                        abi_version: b.abi_version,
                        num_lines: b.num_lines,
                        seq: b.seq,
                    },
                )?;
            } else {
                output::info_text(out, &b)?;
            }
        }
        Command::List => {
            let lines = connect()?.lines()?;
            if json {
                let lines = lines.iter().map(LineJson::new).collect();
                output::json(
                    out,
                    &ListJson {
                        via: via.name(),
                        lines,
                    },
                )?;
            } else {
                output::list_text(out, &lines)?;
            }
        }
        Command::Get { names } => {
            let names: Vec<&str> = names.iter().map(String::as_str).collect();
            let values = connect()?.get(&names)?;
            if json {
                let values = names
                    .iter()
                    .zip(&values)
                    .map(|(&name, &value)| NameValue { name, value })
                    .collect();
                output::json(
                    out,
                    &GetJson {
                        via: via.name(),
                        values,
                    },
                )?;
            } else {
                for (name, value) in names.iter().zip(&values) {
                    writeln!(out, "{name}={value}")?;
                }
            }
        }
        Command::Set { assignments } => {
            let parsed = parse_assignments(assignments)?;
            let values: Vec<(&str, u32)> = parsed.iter().map(|(n, v)| (n.as_str(), *v)).collect();
            connect()?.set(&values)?;
            if json {
                let set = values
                    .iter()
                    .map(|&(name, value)| NameValue { name, value })
                    .collect();
                let atomic = via.capabilities().atomic_write || values.len() == 1;
                output::json(
                    out,
                    &SetJson {
                        via: via.name(),
                        atomic,
                        set,
                    },
                )?;
            }
        }
        Command::Toggle { names } => {
            let names: Vec<&str> = names.iter().map(String::as_str).collect();
            connect()?.toggle(&names)?;
            if json {
                let atomic = via.capabilities().atomic_write;
                output::json(
                    out,
                    &ToggleJson {
                        via: via.name(),
                        atomic,
                        toggled: &names,
                    },
                )?;
            }
        }
        Command::Watch(args) => watch::run(args, via, &cfg, json, out)?,
        Command::Blink(args) => blink::run(args, via, &cfg, json, out)?,
        // Dispatched in main() (its own exit statuses and log output).
        Command::Agent(_) => {}
        Command::Bpf(action) => bpf_cmd::run(action, &cfg, json, out)?,
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

    fn strings(args: &[&str]) -> Vec<String> {
        args.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn assignments() {
        let ok = |a: &[&str]| parse_assignments(&strings(a)).unwrap();
        assert_eq!(ok(&["led0", "255"]), vec![("led0".into(), 255)]);
        assert_eq!(ok(&["led0=1"]), vec![("led0".into(), 1)]);
        assert_eq!(
            ok(&["led0=1", "relay=0"]),
            vec![("led0".into(), 1), ("relay".into(), 0)]
        );
        assert_eq!(ok(&["a=1", "b=2", "c=3"]).len(), 3);
        for bad in [
            &["led0"][..],
            &["led0", "x"],
            &["led0", "-1"],
            &["led0", "0x10"],
            &["=1"],
            &["led0=1", "relay"],
            &["a", "b", "c"],
            &["led0=99999999999"],
            &["led0="],
        ] {
            let err = parse_assignments(&strings(bad)).unwrap_err();
            assert_eq!(err.exit_code(), exit::USAGE, "{bad:?}");
        }
    }

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
