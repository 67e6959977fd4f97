//! `kbridge get`: the values of lines, as NAME=VALUE.

use std::io::Write;

use clap::Args;
use kbridge::{Config, Interface};

use crate::output::{self, GetJson, NameValue};
use crate::Failure;

/// Arguments of `kbridge get`.
#[derive(Debug, Args)]
pub(crate) struct GetArgs {
    /// Line names
    #[arg(required = true, value_name = "NAME")]
    pub(crate) names: Vec<String>,
}

/// Runs `kbridge get`.
pub(crate) fn run(
    args: &GetArgs,
    via: Interface,
    cfg: &Config,
    json: bool,
    out: &mut impl Write,
) -> Result<(), Failure> {
    let names: Vec<&str> = args.names.iter().map(String::as_str).collect();
    let values = kbridge::open(via, cfg)?.get(&names)?;
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
    Ok(())
}
