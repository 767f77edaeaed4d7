//! ovs-config: manage cluster configuration held in key-value stores.
//! Dependencies go one way: `cli` → `commands` → `pipeline` → `store` /
//! `validate`, with `output` for rendering and `exit` for exit codes.

pub mod cli;
pub mod commands;
pub mod config_file;
pub mod conformance;
pub mod docs;
pub mod document;
pub mod exit;
pub mod files;
pub mod interrupt;
pub mod output;
pub mod pipeline;
pub mod plan;
pub mod process_group;
pub mod render;
pub mod schedule;
pub mod settings;
pub mod splice;
pub mod store;
pub mod undo;
pub mod validate;
pub mod yaml;
