//! `kbridge interfaces`: the interfaces and what each can do.

use std::io::Write;

use clap::Args;
use kbridge::Interface;

use crate::output::{self, InterfaceJson, InterfacesJson};
use crate::Failure;

/// Arguments of `kbridge interfaces` (only the global ones).
#[derive(Debug, Args)]
pub(crate) struct InterfacesArgs {}

/// Runs `kbridge interfaces`.
pub(crate) fn run(_args: &InterfacesArgs, json: bool, out: &mut impl Write) -> Result<(), Failure> {
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
    Ok(())
}
