//! `kbridge info`: the board's name, ABI version, line count and sequence number.

use std::io::Write;

use clap::Args;
use kbridge::{Config, Interface};

use crate::output::{self, InfoJson};
use crate::Failure;

/// Arguments of `kbridge info` (only the global ones).
#[derive(Debug, Args)]
pub(crate) struct InfoArgs {}

/// Runs `kbridge info`.
pub(crate) fn run(
    _args: &InfoArgs,
    via: Interface,
    cfg: &Config,
    json: bool,
    out: &mut impl Write,
) -> Result<(), Failure> {
    let b = kbridge::open(via, cfg)?.board()?;
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
    Ok(())
}
