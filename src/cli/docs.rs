//! `eventscope completions SHELL` and `eventscope man`: shell completions (clap_complete) and
//! the man page (clap_mangen), generated from the command line's own definition, to stdout.

use std::io::Write as _;
use std::process::ExitCode;

use clap::CommandFactory as _;

use super::Cli;

#[derive(Debug, clap::Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: Shell,
}

/// The shells completions are written for.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum Shell {
    Bash,
    Zsh,
    Fish,
}

/// Writes the completion script for `args.shell` to stdout.
pub fn completions(args: &CompletionsArgs) -> ExitCode {
    let shell = match args.shell {
        Shell::Bash => clap_complete::Shell::Bash,
        Shell::Zsh => clap_complete::Shell::Zsh,
        Shell::Fish => clap_complete::Shell::Fish,
    };
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut visible_command(), "eventscope", &mut out);
    write_out(&out)
}

/// The command line without its hidden subcommands (clap_complete's bash script would offer
/// the internal jq worker otherwise).
fn visible_command() -> clap::Command {
    let full = Cli::command();
    clap::Command::new("eventscope")
        .version(env!("CARGO_PKG_VERSION"))
        .args(full.get_arguments().cloned())
        .subcommands(full.get_subcommands().filter(|s| !s.is_hide_set()).cloned())
}

/// Writes the man page (roff, section 1: the command, its options and every subcommand's)
/// to stdout.
pub fn man() -> ExitCode {
    let command = Cli::command();
    let mut out = Vec::new();
    let rendered = clap_mangen::Man::new(command.clone())
        .render(&mut out)
        .and_then(|()| {
            // One page: each visible subcommand's description and options after the main ones,
            // in a section named after it.
            for sub in command.get_subcommands().filter(|s| !s.is_hide_set()) {
                let name = format!("EVENTSCOPE {}", sub.get_name().to_uppercase());
                writeln!(out, ".SH \"{name}\"")?;
                if let Some(about) = sub.get_long_about().or(sub.get_about()) {
                    writeln!(out, "{}", about.to_string().replace('\\', "\\\\"))?;
                }
                let mut options = Vec::new();
                clap_mangen::Man::new(sub.clone()).render_options_section(&mut options)?;
                let options = String::from_utf8_lossy(&options)
                    .replace(".SH OPTIONS", &format!(".SH \"{name} OPTIONS\""));
                out.extend_from_slice(options.as_bytes());
            }
            Ok(())
        });
    match rendered {
        Ok(()) => write_out(&out),
        Err(e) => {
            eprintln!("eventscope: cannot render the man page: {e}");
            ExitCode::from(1)
        }
    }
}

fn write_out(bytes: &[u8]) -> ExitCode {
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(bytes).and_then(|()| stdout.flush()) {
        Ok(()) => ExitCode::SUCCESS,
        // A closed pipe (`| head`) is not worth a message.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("eventscope: cannot write to stdout: {e}");
            ExitCode::from(1)
        }
    }
}
