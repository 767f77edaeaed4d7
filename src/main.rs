use std::process::ExitCode;

use clap::Parser;
use ovs_config::{cli::Cli, commands, exit};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let level = match (cli.global.quiet, cli.global.verbose) {
        (true, _) => "error",
        (_, 0) => "warn",
        (_, 1) => "warn,ovs_config=debug",
        _ => "debug",
    };
    tracing_subscriber::fmt().with_writer(std::io::stderr).with_env_filter(level).without_time().init();
    match commands::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if exit::is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            exit::classify(&e).into()
        }
    }
}
