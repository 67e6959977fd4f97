//! `kbridge bpf attach|detach|status`: the lifecycle of the BPF program that mirrors the
//! module's state into pinned BPF maps (docs/bpf.md). Reading goes through the ordinary
//! commands with `--via bpf` (`get`, `list`, `info`, `watch`).

use std::io::Write;

use clap::Subcommand;
use kbridge::{bpf, Config};
use serde::Serialize;

use crate::output;
use crate::Failure;

#[derive(Debug, Subcommand)]
pub(crate) enum BpfAction {
    /// Load the BPF program, attach it to kbridge:kbridge_line_change, seed its line map from
    /// the module and pin everything under /sys/fs/bpf/kbridge (needs root)
    Attach,
    /// Unpin the program's link and maps (the program is detached and freed)
    Detach,
    /// Show what is pinned, the loaded program and its counters
    Status,
}

#[derive(Serialize)]
struct AttachJson<'a> {
    pin_dir: String,
    program: &'static str,
    tracepoint: String,
    pinned: &'a [&'static str],
    seeded: u32,
    seed_seq: u64,
    seed_rounds: u32,
}

#[derive(Serialize)]
struct DetachJson<'a> {
    removed: &'a [&'static str],
}

#[derive(Serialize)]
struct StatsJson {
    events: u64,
    ringbuf_dropped: u64,
    bad_line: u64,
}

#[derive(Serialize)]
struct StatusJson<'a> {
    pin_dir: String,
    attached: bool,
    pinned: &'a [&'static str],
    program: &'static str,
    program_ids: &'a [u32],
    stats: Option<StatsJson>,
}

pub(crate) fn run(
    action: &BpfAction,
    cfg: &Config,
    json: bool,
    out: &mut impl Write,
) -> Result<(), Failure> {
    let tracepoint = format!("{}:{}", bpf::TRACEPOINT.0, bpf::TRACEPOINT.1);
    match action {
        BpfAction::Attach => {
            let r = bpf::attach(cfg)?;
            if json {
                output::json(
                    out,
                    &AttachJson {
                        pin_dir: r.pin_dir.display().to_string(),
                        program: bpf::PROGRAM,
                        tracepoint,
                        pinned: &bpf::PINS,
                        seeded: r.seeded,
                        seed_seq: r.seed_seq,
                        seed_rounds: r.seed_rounds,
                    },
                )?;
            } else {
                writeln!(
                    out,
                    "attached {} to {tracepoint}; pinned {} under {}",
                    bpf::PROGRAM,
                    bpf::PINS.join(", "),
                    r.pin_dir.display()
                )?;
                writeln!(
                    out,
                    "seeded {} lines at seq {} ({} round{})",
                    r.seeded,
                    r.seed_seq,
                    r.seed_rounds,
                    if r.seed_rounds == 1 { "" } else { "s" }
                )?;
            }
        }
        BpfAction::Detach => {
            let removed = bpf::detach(cfg)?;
            if json {
                output::json(out, &DetachJson { removed: &removed })?;
            } else {
                writeln!(out, "detached; removed {}", removed.join(", "))?;
            }
        }
        BpfAction::Status => {
            let s = bpf::status(cfg)?;
            if json {
                output::json(
                    out,
                    &StatusJson {
                        pin_dir: s.pin_dir.display().to_string(),
                        attached: s.attached,
                        pinned: &s.pinned,
                        program: bpf::PROGRAM,
                        program_ids: &s.program_ids,
                        stats: s.stats.map(|st| StatsJson {
                            events: st.events,
                            ringbuf_dropped: st.ringbuf_dropped,
                            bad_line: st.bad_line,
                        }),
                    },
                )?;
            } else {
                let ids: Vec<String> = s.program_ids.iter().map(u32::to_string).collect();
                writeln!(out, "attached  {}", if s.attached { "yes" } else { "no" })?;
                writeln!(out, "pin_dir   {}", s.pin_dir.display())?;
                writeln!(out, "pinned    {}", s.pinned.join(" "))?;
                writeln!(out, "programs  {} [{}]", bpf::PROGRAM, ids.join(" "))?;
                if let Some(st) = s.stats {
                    writeln!(
                        out,
                        "stats     events={} ringbuf_dropped={} bad_line={}",
                        st.events, st.ringbuf_dropped, st.bad_line
                    )?;
                }
            }
        }
    }
    Ok(())
}
