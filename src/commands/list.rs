use std::borrow::Cow;
use std::cell::Cell;

use anyhow::Result;

use crate::pipeline::Ctx;
use crate::store::Key;

pub fn run(ctx: &Ctx, prefix: &Key, recursive: bool) -> Result<()> {
    let entries = if recursive { ctx.store()?.keys(prefix)? } else { ctx.store()?.children(prefix)? };
    // Another tool may have written keys that ovs cannot address (`/a//b`,
    // a trailing `/`, control characters): they are listed, escaped, and
    // said so once — never silently mixed in with the rest.
    let odd = Cell::new(0u64);
    let first = Cell::new(None::<String>);
    let checked = entries.inspect(|entry| {
        let Ok(entry) = entry else { return };
        // A full listing checks each key as it is, with no copy of it.
        let full = if recursive {
            Cow::Borrowed(entry.as_str())
        } else {
            Cow::Owned(format!("{}{}", prefix.dir_prefix(), entry.trim_end_matches('/')))
        };
        if !Key::is_exact(&full) {
            odd.set(odd.get() + 1);
            let example = first.take().unwrap_or_else(|| full.into_owned());
            first.set(Some(example));
        }
    });
    ctx.out.list(checked)?;
    if let Some(example) = first.take() {
        ctx.out.warn(format!(
            "warning: {} key(s) listed cannot be addressed by ovs (empty segment, trailing /, control or invisible \
             characters), e.g. {example:?}; they are shown escaped",
            odd.get()
        ));
    }
    Ok(())
}
