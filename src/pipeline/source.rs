//! Reading a value from an argument, `-` (stdin) or `--file`.

use std::io::Read;

use anyhow::{Context, Result};

use crate::cli::ValueSource;

/// The bytes the source names, or None when it names nothing.
pub fn read(source: &ValueSource) -> Result<Option<Vec<u8>>> {
    if let Some(path) = &source.file {
        return std::fs::read(path).with_context(|| format!("cannot read {}", path.display())).map(Some);
    }
    match source.value.as_deref() {
        Some("-") => {
            let mut buf = Vec::new();
            std::io::stdin().read_to_end(&mut buf).context("cannot read stdin")?;
            Ok(Some(buf))
        }
        Some(text) => Ok(Some(text.as_bytes().to_vec())),
        None => Ok(None),
    }
}
