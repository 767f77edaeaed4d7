use std::io::IsTerminal;
use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches};
use ovs_config::output::escape;
use ovs_config::{cli::Cli, commands, exit};

fn main() -> ExitCode {
    let mut command = Cli::command();
    let parsed = command.try_get_matches_from_mut(std::env::args_os()).and_then(|m| Cli::from_arg_matches(&m));
    // Never freed: the process ends soon after, and dropping the tree of
    // arguments cost a fifth of a `get`'s instructions.
    std::mem::forget(command);
    let cli = match parsed {
        Ok(cli) => cli,
        Err(e) if !e.use_stderr() => {
            // --help and --version
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("{}", one_line(&e));
            return exit::Exit::Usage.into();
        }
    };
    // Libraries speak only at -vv: by default stderr holds our own one-line
    // error and nothing else.
    let level = match (cli.global.quiet, cli.global.verbose) {
        (true, _) => "off",
        (_, 0) => "ovs_config=warn",
        (_, 1) => "ovs_config=debug",
        _ => "debug",
    };
    let colour = ovs_config::output::colour(std::io::stderr().is_terminal());
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(level)
        .with_ansi(colour)
        .without_time()
        .init();
    let chain = cli.global.verbose >= 2;
    match commands::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if exit::is_broken_pipe(&e) => ExitCode::SUCCESS,
        // The diff already said it all.
        Err(e) if e.is::<exit::Differences>() => exit::Exit::Differs.into(),
        Err(e) if chain => {
            // -vv: every cause on its own line, each in its own words.
            let mut lines = exit::causes(&e).into_iter();
            eprintln!("error: {}", escape(&lines.next().unwrap_or_default()));
            for cause in lines {
                eprintln!("  caused by: {}", escape(&cause));
            }
            exit::classify(&e).into()
        }
        Err(e) => {
            eprintln!("error: {}", escape(&exit::message(&e)));
            exit::classify(&e).into()
        }
    }
}

/// clap's error as one escaped line: its message without the usage and tip
/// paragraphs that follow, which `--help` gives in full.
fn one_line(e: &clap::Error) -> String {
    let text = e.render().to_string();
    let message = text.split("\n\n").next().unwrap_or(&text);
    let joined = message.lines().map(str::trim).filter(|l| !l.is_empty()).collect::<Vec<_>>().join(" ");
    format!("{} (see --help)", escape(&joined))
}
