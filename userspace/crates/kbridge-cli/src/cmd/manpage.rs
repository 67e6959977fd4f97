//! `kbridge manpage`: the man page, generated from the clap definition, so it never falls
//! behind the real options.

use std::io::{self, Write};

use clap::{Args, CommandFactory};

use crate::cli::Cli;

/// Arguments of `kbridge manpage` (only the global ones).
#[derive(Debug, Args)]
pub(crate) struct ManpageArgs {}

/// Writes the man page (section 1, roff).
pub(crate) fn run(_args: &ManpageArgs, out: &mut impl Write) -> io::Result<()> {
    clap_mangen::Man::new(Cli::command()).render(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manpage_is_roff_with_every_subcommand() {
        let mut buf = Vec::new();
        run(&ManpageArgs {}, &mut buf).unwrap();
        let text = String::from_utf8(buf).unwrap();
        assert!(text.starts_with(".ie \\n(.g .ds Aq"), "{}", &text[..80]);
        assert!(text.contains(".TH kbridge 1"));
        for word in ["selftest", "bench", "status", "completions", "Exit status"] {
            assert!(text.contains(word), "no {word}");
        }
    }
}
