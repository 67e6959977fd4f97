//! `kbridge list`: every line with its kind, value, maximum, flags and last change.

use std::io::Write;

use clap::Args;
use kbridge::{Config, Interface};

use crate::output::{self, LineJson, ListJson};
use crate::Failure;

/// Arguments of `kbridge list` (only the global ones).
#[derive(Debug, Args)]
pub(crate) struct ListArgs {}

/// Runs `kbridge list`.
pub(crate) fn run(
    _args: &ListArgs,
    via: Interface,
    cfg: &Config,
    json: bool,
    out: &mut impl Write,
) -> Result<(), Failure> {
    let lines = kbridge::open(via, cfg)?.lines()?;
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
    Ok(())
}
