//! `kbridge status`: is the module loaded, does its ABI match ours, and is every interface
//! available and healthy (opened and read once).

use std::io::Write;
use std::time::Duration;

use kbridge::{Backend, Config, Error, Interface};
use serde::Serialize;

use crate::output;
use crate::Failure;

/// Arguments of `kbridge status` (only the global ones).
#[derive(Debug, clap::Args)]
pub(crate) struct StatusArgs {}

#[derive(Debug, Serialize)]
pub(crate) struct StatusJson {
    pub(crate) tool_version: &'static str,
    pub(crate) loaded: bool,
    pub(crate) tool_abi: u32,
    pub(crate) module_abi: Option<u32>,
    pub(crate) abi_match: Option<bool>,
    pub(crate) board: Option<String>,
    pub(crate) num_lines: Option<u32>,
    pub(crate) interfaces: Vec<InterfaceStatus>,
    pub(crate) ok: bool,
}

#[derive(Debug, Serialize)]
pub(crate) struct InterfaceStatus {
    pub(crate) name: &'static str,
    /// Opened.
    pub(crate) available: bool,
    /// Opened and the cheap read worked (and agreed with the line count).
    pub(crate) healthy: bool,
    /// What was read, or why not.
    pub(crate) detail: String,
}

/// What one interface probe found; `error` is kept to choose the exit status.
struct Probe {
    status: InterfaceStatus,
    error: Option<Error>,
}

/// Whether anything of the module is visible: `/sys/module/kbridge` (loadable module) or
/// one of its entry points (built in).
fn module_visible(cfg: &Config) -> bool {
    cfg.path("/sys/module/kbridge").exists()
        || cfg.dev_path().exists()
        || cfg.proc_path().exists()
        || cfg.sysfs_lines_dir().exists()
}

/// Opens `via` and does its cheapest read: the line list for readers, a non-blocking poll of
/// a new event stream for the event interface, nothing more than the open otherwise.
fn probe(via: Interface, cfg: &Config, num_lines: Option<u32>) -> Probe {
    let status = |available, healthy, detail: String| InterfaceStatus {
        name: via.name(),
        available,
        healthy,
        detail,
    };
    let mut backend = match kbridge::open(via, cfg) {
        Ok(b) => b,
        Err(e @ Error::BpfNotAttached { .. }) => {
            // An opt-in interface that nobody switched on: reported, not a failure.
            return Probe {
                status: status(false, false, format!("not available: {e}")),
                error: None,
            };
        }
        Err(e) => {
            return Probe {
                status: status(false, false, e.to_string()),
                error: Some(e),
            }
        }
    };
    let caps = via.capabilities();
    let read = if caps.read {
        cheap_read(backend.as_mut(), num_lines)
    } else if caps.events {
        backend
            .events()
            .and_then(|mut s| s.next_timeout(Some(Duration::ZERO)))
            .map(|_| "event stream opened".to_owned())
    } else {
        Ok("opened".to_owned())
    };
    match read {
        Ok(detail) => Probe {
            status: status(true, true, detail),
            error: None,
        },
        Err(e) => Probe {
            status: status(true, false, e.to_string()),
            error: Some(e),
        },
    }
}

fn cheap_read(backend: &mut dyn Backend, num_lines: Option<u32>) -> kbridge::Result<String> {
    let via = backend.via();
    let lines = backend.lines()?;
    match num_lines {
        Some(n) if n as usize != lines.len() => Err(Error::Protocol {
            via,
            detail: format!("{} lines, the board has {n}", lines.len()),
        }),
        _ => Ok(format!("{} lines read", lines.len())),
    }
}

/// The board as the first interface that can tell says, and the ABI version the module
/// speaks (also when it is not ours).
fn board(cfg: &Config) -> (Option<kbridge::BoardInfo>, Option<u32>, Option<Error>) {
    let mut first_error = None;
    for via in [Interface::Ioctl, Interface::Procfs, Interface::Mmap] {
        match kbridge::open(via, cfg).and_then(|mut b| b.board()) {
            Ok(b) => {
                let abi = b.abi_version;
                return (Some(b), Some(abi), None);
            }
            Err(Error::AbiMismatch { via, kernel, user }) => {
                let e = Error::AbiMismatch { via, kernel, user };
                return (None, Some(kernel), Some(e));
            }
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    (None, None, first_error)
}

/// Collects the status. The error, if any, is the most serious problem found.
pub(crate) fn collect(cfg: &Config) -> (StatusJson, Option<Error>) {
    let loaded = module_visible(cfg);
    let (board, module_abi, board_error) = if loaded {
        board(cfg)
    } else {
        (None, None, None)
    };
    let num_lines = board.as_ref().map(|b| b.num_lines);
    let probes: Vec<Probe> = if loaded {
        Interface::ALL
            .iter()
            .map(|&via| probe(via, cfg, num_lines))
            .collect()
    } else {
        Interface::ALL
            .iter()
            .map(|&via| Probe {
                status: InterfaceStatus {
                    name: via.name(),
                    available: false,
                    healthy: false,
                    detail: "module not loaded".to_owned(),
                },
                error: None,
            })
            .collect()
    };
    let mut error = if loaded {
        None
    } else {
        Some(Error::NotLoaded {
            via: Interface::Ioctl,
            path: cfg.path("/sys/module/kbridge"),
        })
    };
    // An ABI mismatch first, then the first interface problem.
    if let Some(e @ Error::AbiMismatch { .. }) = board_error {
        error = Some(e);
    }
    let mut interfaces = Vec::with_capacity(probes.len());
    for p in probes {
        if error.is_none() {
            error = p.error;
        }
        interfaces.push(p.status);
    }
    let status = StatusJson {
        tool_version: env!("CARGO_PKG_VERSION"),
        loaded,
        tool_abi: kbridge::ABI_VERSION,
        module_abi,
        abi_match: module_abi.map(|v| v == kbridge::ABI_VERSION),
        board: board.as_ref().map(|b| b.name.clone()),
        num_lines,
        interfaces,
        ok: error.is_none(),
    };
    (status, error)
}

pub(crate) fn text(out: &mut impl Write, s: &StatusJson) -> std::io::Result<()> {
    let opt = |v: Option<String>| v.unwrap_or_else(|| "-".to_owned());
    writeln!(
        out,
        "module     {}",
        if s.loaded { "loaded" } else { "not loaded" }
    )?;
    let abi = match (s.module_abi, s.abi_match) {
        (Some(m), Some(true)) => format!("{m} (tool {}, match)", s.tool_abi),
        (Some(m), _) => format!("{m} (tool {}, MISMATCH)", s.tool_abi),
        (None, _) => format!("- (tool {})", s.tool_abi),
    };
    writeln!(out, "abi        {abi}")?;
    writeln!(out, "board      {}", opt(s.board.clone()))?;
    writeln!(
        out,
        "lines      {}",
        opt(s.num_lines.map(|n| n.to_string()))
    )?;
    writeln!(out, "{:<10} {:<10} DETAIL", "INTERFACE", "STATE")?;
    for i in &s.interfaces {
        let state = match (i.available, i.healthy) {
            (true, true) => "ok",
            (true, false) => "UNHEALTHY",
            (false, _) if i.detail.starts_with("not available") => "-",
            (false, _) if s.loaded => "FAILED",
            (false, _) => "-",
        };
        // Keep the table within 80 columns: JSON has the whole detail.
        let detail = output::fit(&i.detail, 58);
        writeln!(out, "{:<10} {:<10} {detail}", i.name, state)?;
    }
    writeln!(out, "status     {}", if s.ok { "ok" } else { "PROBLEM" })
}

/// Runs `kbridge status`.
pub(crate) fn run(
    _args: &StatusArgs,
    cfg: &Config,
    json: bool,
    out: &mut impl Write,
) -> Result<(), Failure> {
    let (status, error) = collect(cfg);
    output::document(out, json, &status, text)?;
    out.flush()?;
    match error {
        Some(e) => Err(Failure::Kbridge(e)),
        None => Ok(()),
    }
}
