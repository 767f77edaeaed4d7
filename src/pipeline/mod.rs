//! The write pipeline, below the commands: a consistent read of each store
//! (snapshot), the changes to make (plan, with [`crate::plan`]), every value
//! checked before any is written (validate), the commit — single, chunked
//! with an undo document, or fanned out to several stores with the outbox
//! as a write-ahead log — and the per-store outcome. Commands call it; it
//! never calls a command. `crate::plan` and `crate::undo` sit below it, as
//! `exit` and the store contract's checks use them too.

pub mod context;
pub mod documents;
pub mod environment;
pub mod fanout;
pub mod field;
pub mod follow;
pub mod keep_current;
pub mod replay;
pub mod report;
pub mod ride_out;
pub mod snapshot;
pub mod source;
pub mod until;
pub mod versions;
pub mod wal;
pub mod writes;

pub use context::Ctx;
