//! `kbridge completions`: a shell completion script, generated from the clap definition, so it
//! never falls behind the real options.

use std::io::{self, Write};

use clap::{Args, CommandFactory};
use clap_complete::Shell;

use crate::cli::Cli;

/// Arguments of `kbridge completions`.
#[derive(Debug, Args)]
pub(crate) struct CompletionsArgs {
    /// Shell to generate for
    #[arg(value_enum)]
    pub(crate) shell: Shell,
}

/// Writes the completion script for `args.shell`.
pub(crate) fn run(args: &CompletionsArgs, out: &mut impl Write) -> io::Result<()> {
    let mut cmd = Cli::command();
    clap_complete::generate(args.shell, &mut cmd, "kbridge", out);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shell_gets_a_script_naming_the_subcommands() {
        for shell in [Shell::Bash, Shell::Zsh, Shell::Fish] {
            let mut buf = Vec::new();
            run(&CompletionsArgs { shell }, &mut buf).unwrap();
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
}
