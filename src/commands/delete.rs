use anyhow::Result;
use serde::Serialize;

use crate::cli::DeleteArgs;
use crate::exit::UsageError;
use crate::pipeline::context::leaf;
use crate::pipeline::fanout::{self, Fanned};
use crate::pipeline::plan::Change;
use crate::pipeline::Ctx;
use crate::store::{Committed, Entry, Key, Precondition, Revision, Store, StoreError, Write};

/// One key deleted from every store.
struct Delete<'a> {
    key: &'a Key,
    cond: Precondition,
}

impl Fanned for Delete<'_> {
    type Seen = Option<Entry>;

    fn read(&self, store: &dyn Store) -> Result<Option<Entry>> {
        Ok(fanout::current(store, self.key)?)
    }

    fn changes(&self, seen: &Option<Entry>) -> Vec<Change> {
        vec![Change { key: self.key.clone(), old: seen.clone(), new: None }]
    }

    fn commit(&self, store: &dyn Store, _seen: &Option<Entry>) -> Result<Committed> {
        Ok(store.commit(&[Write::delete(self.key, self.cond)])?)
    }
}

/// A subtree deleted from every store.
struct DeleteTree<'a> {
    prefix: &'a Key,
}

impl Fanned for DeleteTree<'_> {
    /// The keys below the prefix (kept in the outbox for a store that missed it).
    type Seen = Vec<Entry>;

    fn read(&self, store: &dyn Store) -> Result<Vec<Entry>> {
        Ok(store.scan(self.prefix)?.collect::<Result<_, _>>()?)
    }

    fn changes(&self, seen: &Vec<Entry>) -> Vec<Change> {
        // A key ovs cannot address (another tool's) goes with the tree but
        // cannot be named in the outbox.
        seen.iter()
            .filter_map(|e| Key::exact(&e.key).map(|key| Change { key, old: Some(e.clone()), new: None }))
            .collect()
    }

    fn commit(&self, store: &dyn Store, _seen: &Vec<Entry>) -> Result<Committed> {
        let committed = store.commit(&[Write::delete_tree(self.prefix)])?;
        // The key itself counts: `delete -r /a` removes /a and what is below it.
        if committed.deleted == 0 {
            return Err(StoreError::NotFound { key: self.prefix.clone() }.into());
        }
        Ok(committed)
    }
}

pub fn run(ctx: &Ctx, args: &DeleteArgs) -> Result<()> {
    let key = &args.key;
    if args.recursive {
        if !args.yes && !ctx.interactive {
            return Err(UsageError(format!(
                "refusing to delete {key} and everything below it without --yes (stdin is not a terminal)"
            ))
            .into());
        }
        confirm(ctx, args.yes, &format!("Delete {key} and every key below it?"))?;
        let tree = DeleteTree { prefix: key };
        let outcomes = fanout::commit_all(ctx, "delete", &tree, &fanout::read_all(ctx, &tree))?;
        let note = |c: &Committed| format!("deleted {} key(s) at and below {key}", c.deleted);
        return fanout::report(ctx, key, &outcomes, note, |c| Some(Deleted { deleted: c.deleted }));
    }
    let key = leaf(key)?;
    let cond = args.if_revision.map_or(Precondition::Any, |rev| Precondition::Revision(Revision(rev)));
    confirm(ctx, args.yes, &format!("Delete {key}?"))?;
    let delete = Delete { key, cond };
    let outcomes = fanout::commit_all(ctx, "delete", &delete, &fanout::read_for_outbox(ctx, &delete, None))?;
    fanout::report(ctx, key, &outcomes, |_| format!("deleted {key}"), |_| Some(Deleted { deleted: 1 }))
}

/// What a delete adds to the write report: how many keys went.
#[derive(Serialize)]
struct Deleted {
    deleted: u64,
}

/// Ask on a terminal unless --yes; never prompt without one.
fn confirm(ctx: &Ctx, yes: bool, question: &str) -> Result<()> {
    if yes || !ctx.interactive {
        return Ok(());
    }
    if dialoguer::Confirm::new().with_prompt(question).default(false).interact()? {
        Ok(())
    } else {
        anyhow::bail!("declined; nothing was deleted")
    }
}
