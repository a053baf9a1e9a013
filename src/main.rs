//! The binary: parse the command line, run one command, print its output,
//! exit with its status. Everything else lives in the library.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use clap::Parser;
use st_preflight::cli::{CheckArgs, Cli, ColorChoice, Command, Format, RulesArgs};
use st_preflight::host::bundle;
use st_preflight::report::{self, Report};
use st_preflight::rules::{self, Question};
use st_preflight::{exit_code, probes};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Check(args) => check(args),
        Command::Rules(args) => Ok(rules_catalog(args)),
    };
    let (stdout, status) = match result {
        Ok(done) => done,
        Err(message) => {
            eprintln!("st-preflight: {message}");
            return ExitCode::from(exit_code::BAD_INPUT);
        }
    };
    let mut out = std::io::stdout().lock();
    match out.write_all(stdout.as_bytes()).and_then(|()| out.flush()) {
        // A closed pipe (`| head`) is not a failure of the check.
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            eprintln!("st-preflight: cannot write the report: {e}");
            ExitCode::FAILURE
        }
        _ => ExitCode::from(status),
    }
}

fn check(args: CheckArgs) -> Result<(String, u8), String> {
    let bundle = bundle::load(&args.from).map_err(|e| e.to_string())?;
    let probed = probes::probe_all(&bundle.captures);
    let question = Question { user: args.user.clone() };
    let evaluation = rules::evaluate(&probed.facts, &question);
    let report = Report::new(&probed, &evaluation, &question, bundle.meta.as_ref());
    let text = match args.format {
        Format::Json => report::json::pretty(&report) + "\n",
        Format::Table => report::table::render(&report, table_style(args.color)),
    };
    let status = if args.exit_code { exit_code::for_verdict(report.verdict) } else { exit_code::REPORT };
    Ok((text, status))
}

fn rules_catalog(args: RulesArgs) -> (String, u8) {
    let text = match args.format {
        Format::Json => report::catalog::json() + "\n",
        Format::Table => report::catalog::table(table_width()),
    };
    (text, exit_code::REPORT)
}

fn table_style(choice: ColorChoice) -> report::table::Style {
    let color = match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        }
    };
    report::table::Style { color, width: table_width() }
}

/// On a terminal the table fits it; in a pipe or file it is 100 columns,
/// so that saved output is the same everywhere.
fn table_width() -> Option<u16> {
    if std::io::stdout().is_terminal() { None } else { Some(100) }
}
