//! `kbridge toggle`: 0 becomes the maximum, anything else 0; several lines at once.

use std::io::Write;

use clap::Args;
use kbridge::{Config, Interface};

use crate::output::{self, ToggleJson};
use crate::Failure;

/// Arguments of `kbridge toggle`.
#[derive(Debug, Args)]
pub(crate) struct ToggleArgs {
    /// Line names
    #[arg(required = true, value_name = "NAME")]
    pub(crate) names: Vec<String>,
}

/// Runs `kbridge toggle`.
pub(crate) fn run(
    args: &ToggleArgs,
    via: Interface,
    cfg: &Config,
    json: bool,
    out: &mut impl Write,
) -> Result<(), Failure> {
    let names: Vec<&str> = args.names.iter().map(String::as_str).collect();
    kbridge::open(via, cfg)?.toggle(&names)?;
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
    Ok(())
}
