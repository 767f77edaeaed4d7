//! One module per subcommand. Each takes its arguments, calls the write
//! pipeline (`crate::pipeline`) or the store through the `Store` trait, and
//! hands results to the printer; none knows which backend it has, and none
//! uses another command's module: what two commands share lives in the
//! pipeline. A module is named for its subcommand, unless another layer
//! has that name: `validate` is `check_value`, `validators` is `rules`,
//! `schedule` is `next_runs` and `conformance` is `check_store`.

mod apply;
mod check_store;
mod check_value;
mod compare;
mod copy;
mod delete;
mod diff;
mod edit;
mod exec;
mod export;
mod get;
mod history;
mod list;
mod mirror;
mod next_runs;
mod outbox;
mod profiles;
mod render;
mod rollback;
mod rules;
mod set;
mod stores;
mod watch;

use anyhow::Result;

use crate::cli::{Cli, Command, ConfigCommand};
use crate::output::Printer;
use crate::pipeline::context::build_registry;
use crate::pipeline::Ctx;
use crate::settings::{Chosen, Settings};

pub fn run(cli: Cli) -> Result<()> {
    let Command::Config(command) = cli.command;
    let out = Printer::new(cli.global.quiet, command.output());
    if let ConfigCommand::Profiles(_) = &command {
        // Listed without opening or checking any of the files they name.
        return profiles::run(&Chosen::from(&cli.global)?, &out);
    }
    let settings = Settings::resolve(&cli.global)?;
    if let ConfigCommand::Stores(_) = command {
        return stores::run(&out);
    }
    if let ConfigCommand::Validators(args) = &command {
        return rules::run(&build_registry(&settings)?, &out, args.key.as_ref());
    }
    let ctx = Ctx::new(&settings, &out);
    match command {
        ConfigCommand::List(args) => list::run(&ctx, &args.prefix, args.recursive),
        ConfigCommand::ListRecursive(args) => list::run(&ctx, &args.prefix, true),
        ConfigCommand::Get(args) => get::run(&ctx, &args),
        ConfigCommand::Set(args) => set::run(&ctx, &args),
        ConfigCommand::Edit(args) => edit::run(&ctx, &args.key, args.recursive),
        ConfigCommand::Export(args) => export::run(&ctx, &args),
        ConfigCommand::Import(args) => apply::import(&ctx, &args),
        ConfigCommand::Diff(args) => diff::run(&ctx, &args),
        ConfigCommand::Apply(args) => apply::apply(&ctx, &args),
        ConfigCommand::Delete(args) => delete::run(&ctx, &args),
        ConfigCommand::Validate(args) => check_value::run(&ctx, &args),
        ConfigCommand::Outbox(_) => outbox::list(&ctx),
        ConfigCommand::Retry(_) => outbox::retry(&ctx),
        ConfigCommand::Copy(args) => copy::run(&ctx, &args),
        ConfigCommand::Compare(args) => compare::run(&ctx, &args),
        ConfigCommand::Mirror(args) => mirror::run(&ctx, &args),
        ConfigCommand::Watch(args) => watch::run(&ctx, &args),
        ConfigCommand::Exec(args) => exec::run(&ctx, &args),
        ConfigCommand::Render(args) => render::run(&ctx, &args),
        ConfigCommand::History(args) => history::run(&ctx, &args),
        ConfigCommand::Rollback(args) => rollback::run(&ctx, &args),
        ConfigCommand::Schedule(args) => next_runs::run(&ctx, &args),
        ConfigCommand::Conformance(args) => check_store::run(&ctx, &args),
        ConfigCommand::Stores(_) | ConfigCommand::Profiles(_) | ConfigCommand::Validators(_) => {
            unreachable!("handled before the store is opened")
        }
    }
}
