//! The binary: parse the command line, run one command, print what it
//! produced, exit with its status. Everything else lives in the library.

// The one place that prints.
#![allow(clippy::disallowed_macros)]

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;
use st_preflight::cli::{Cli, Command};
use st_preflight::commands;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match &cli.command {
        Command::Check(args) => commands::check(args),
        Command::Collect(args) => commands::collect(args),
        Command::Rules(args) => Ok(commands::rules_catalog(args)),
        Command::Profile(args) => commands::profile(args),
        Command::Completions(args) => Ok(commands::completions(args)),
        Command::Man => Ok(commands::man_page()),
    };
    let outcome = match result {
        Ok(outcome) => outcome,
        Err(failure) => {
            eprintln!("st-preflight: {}", failure.message);
            return ExitCode::from(failure.status);
        }
    };
    for note in &outcome.stderr {
        eprintln!("st-preflight: {note}");
    }
    let mut out = std::io::stdout().lock();
    match out.write_all(outcome.stdout.as_bytes()).and_then(|()| out.flush()) {
        // A closed pipe (`| head`) is not a failure of the check.
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            eprintln!("st-preflight: cannot write the output: {e}");
            ExitCode::FAILURE
        }
        _ => ExitCode::from(outcome.status),
    }
}
