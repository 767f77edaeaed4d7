//! Shell completions and man pages, generated from the one clap definition.
//! `tests/docs.rs` regenerates them and fails when the committed files
//! differ; `OVS_UPDATE_DOCS=1 cargo test --test docs` rewrites them.

use std::path::Path;

use anyhow::{Context, Result};
use clap::CommandFactory;
use clap_complete::Shell;

use crate::cli::Cli;

pub fn generate(dir: &Path) -> Result<()> {
    let completions = dir.join("completions");
    let man = dir.join("man");
    for d in [&completions, &man] {
        std::fs::create_dir_all(d).with_context(|| format!("cannot create {}", d.display()))?;
    }
    for shell in [Shell::Bash, Shell::Zsh, Shell::Fish] {
        clap_complete::generate_to(shell, &mut Cli::command(), "ovs", &completions)?;
    }
    // `ovs help` works, but it gets no page of its own.
    let mut cmd = Cli::command().disable_help_subcommand(true);
    cmd.build();
    write_man(&cmd, "ovs", &man)
}

/// One page per command: ovs.1, ovs-config.1, ovs-config-get.1, ...
fn write_man(cmd: &clap::Command, name: &str, dir: &Path) -> Result<()> {
    let man = clap_mangen::Man::new(cmd.clone().name(name.to_string()));
    let mut page = Vec::new();
    man.render_title(&mut page)?;
    man.render_name_section(&mut page)?;
    man.render_synopsis_section(&mut page)?;
    man.render_description_section(&mut page)?;
    if cmd.get_arguments().any(|a| !a.is_hide_set()) {
        man.render_options_section(&mut page)?;
    }
    if cmd.has_subcommands() {
        man.render_subcommands_section(&mut page)?;
    }
    if let Some(text) = cmd.get_after_long_help() {
        page.extend(after_help_sections(&text.to_string()).as_bytes());
    }
    if cmd.get_version().is_some() {
        man.render_version_section(&mut page)?;
    }
    std::fs::write(dir.join(format!("{name}.1")), page)?;
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        write_man(sub, &format!("{name}-{}", sub.get_name()), dir)?;
    }
    Ok(())
}

/// The after-help text as man sections: each "Heading:" line starts one,
/// and each indented line below it is a line of its own.
fn after_help_sections(text: &str) -> String {
    let mut roff = roff::Roff::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        match line.strip_suffix(':').filter(|_| !line.starts_with(' ')) {
            Some("Examples") => roff.control("SH", ["EXAMPLES"]),
            Some("Exit codes") => roff.control("SH", ["EXIT STATUS"]),
            Some(other) => roff.control("SH", [other.to_uppercase().as_str()]),
            None => roff.text([roff::roman(line.trim())]).control("br", []),
        };
    }
    roff.to_roff()
}
