//! Store URLs: `dir:///path`, and the kinds later backends will add.

use std::path::PathBuf;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StoreUrl {
    Dir(PathBuf),
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("invalid store URL {url:?}: {reason}")]
pub struct UrlError {
    pub url: String,
    pub reason: String,
}

/// A store kind this build knows, for `ovs config stores`.
pub struct StoreKind {
    pub scheme: &'static str,
    pub form: &'static str,
    pub about: &'static str,
}

pub const SUPPORTED: &[StoreKind] = &[StoreKind {
    scheme: "dir",
    form: "dir:///absolute/path",
    about: "embedded directory store (the default): one flat file, atomic rewrites, file lock",
}];

/// Kinds the design names that this build does not include yet.
const PLANNED: &[&str] = &["etcd", "etcds", "zk", "consul", "sqlite"];

impl StoreUrl {
    pub fn parse(text: &str) -> Result<StoreUrl, UrlError> {
        let err = |reason: String| UrlError { url: text.to_string(), reason };
        let (scheme, rest) = text
            .split_once("://")
            .ok_or_else(|| err("expected SCHEME://..., e.g. dir:///var/lib/ovs-config".into()))?;
        match scheme {
            "dir" => {
                if !rest.starts_with('/') {
                    return Err(err("a dir store needs an absolute path: dir:///path".into()));
                }
                Ok(StoreUrl::Dir(PathBuf::from(rest)))
            }
            s if PLANNED.contains(&s) => Err(err(format!(
                "store kind {s:?} is not supported by this build (see `ovs config stores`)"
            ))),
            s => Err(err(format!("unknown store kind {s:?} (see `ovs config stores`)"))),
        }
    }
}

impl std::fmt::Display for StoreUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StoreUrl::Dir(path) => write!(f, "dir://{}", path.display()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_dir() {
        assert_eq!(StoreUrl::parse("dir:///var/x").unwrap(), StoreUrl::Dir("/var/x".into()));
    }

    #[test]
    fn rejects_bad_urls() {
        for bad in ["", "dir://relative", "nope://x", "/just/a/path", "etcd://h:1"] {
            assert!(StoreUrl::parse(bad).is_err(), "{bad:?}");
        }
    }
}
