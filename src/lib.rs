//! ovs-config: manage cluster configuration held in key-value stores.
//! Layers, in the one direction dependencies go:
//! `cli` → `commands` → `store` / `validate`, with `output` for rendering.

pub mod store;
pub mod validate;
