//! `kbridge set`: `set NAME VALUE` or `set NAME=VALUE...`, one atomic change where the
//! interface can.

use std::io::Write;

use clap::Args;
use kbridge::{Config, Interface};

use crate::output::{self, NameValue, SetJson};
use crate::Failure;

/// Arguments of `kbridge set`.
#[derive(Debug, Args)]
pub(crate) struct SetArgs {
    /// NAME VALUE, or one or more NAME=VALUE
    #[arg(required = true, value_name = "NAME=VALUE")]
    pub(crate) assignments: Vec<String>,
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

/// Runs `kbridge set`.
pub(crate) fn run(
    args: &SetArgs,
    via: Interface,
    cfg: &Config,
    json: bool,
    out: &mut impl Write,
) -> Result<(), Failure> {
    let parsed = parse_assignments(&args.assignments)?;
    let values: Vec<(&str, u32)> = parsed.iter().map(|(n, v)| (n.as_str(), *v)).collect();
    kbridge::open(via, cfg)?.set(&values)?;
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
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exit;

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
}
