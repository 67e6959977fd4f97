//! `kbridge completions` and `kbridge manpage`: generated from the clap definition, so they
//! never fall behind the real options.

use std::io::{self, Write};

use clap::CommandFactory;
use clap_complete::Shell;

use crate::cli::Cli;

/// Writes the completion script for `shell`.
pub(crate) fn completions(shell: Shell, out: &mut impl Write) -> io::Result<()> {
    let mut cmd = Cli::command();
    clap_complete::generate(shell, &mut cmd, "kbridge", out);
    Ok(())
}

/// Writes the man page (section 1, roff).
pub(crate) fn manpage(out: &mut impl Write) -> io::Result<()> {
    clap_mangen::Man::new(Cli::command()).render(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shell_gets_a_script_naming_the_subcommands() {
        for shell in [Shell::Bash, Shell::Zsh, Shell::Fish] {
            let mut buf = Vec::new();
            completions(shell, &mut buf).unwrap();
            let text = String::from_utf8(buf).unwrap();
            for word in [
                "selftest",
                "bench",
                "status",
                "via",
                "ioctl",
                "gpio-compare",
            ] {
                assert!(text.contains(word), "{shell}: no {word}");
            }
        }
    }

    #[test]
    fn manpage_is_roff_with_every_subcommand() {
        let mut buf = Vec::new();
        manpage(&mut buf).unwrap();
        let text = String::from_utf8(buf).unwrap();
        assert!(text.starts_with(".ie \\n(.g .ds Aq"), "{}", &text[..80]);
        assert!(text.contains(".TH kbridge 1"));
        for word in ["selftest", "bench", "status", "completions", "Exit status"] {
            assert!(text.contains(word), "no {word}");
        }
    }
}
