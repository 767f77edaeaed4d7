//! Reading a value from an argument, `-` (stdin) or `--file`.

use std::io::Read;
use std::path::Path;

use anyhow::{Context, Result};

/// The bytes of the file at `path` if given, else of `value` (`-`: stdin),
/// or None when neither is given.
pub fn read(value: Option<&str>, path: Option<&Path>) -> Result<Option<Vec<u8>>> {
    if let Some(path) = path {
        return std::fs::read(path).with_context(|| format!("cannot read {}", path.display())).map(Some);
    }
    match value {
        Some("-") => {
            let mut buf = Vec::new();
            std::io::stdin().read_to_end(&mut buf).context("cannot read stdin")?;
            Ok(Some(buf))
        }
        Some(text) => Ok(Some(text.as_bytes().to_vec())),
        None => Ok(None),
    }
}
