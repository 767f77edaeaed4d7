//! Store URLs: `dir:///path`, `etcd://h1:2379,h2:2379[/root]`, `etcds://...`,
//! `zk://h1:2181,h2:2181[/chroot]`.
//! Credentials never live here: a user name may, a password may not.

use std::path::PathBuf;

use super::Key;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StoreUrl {
    Dir(PathBuf),
    Etcd(ClusterUrl),
    ZooKeeper(ClusterUrl),
}

/// `SCHEME://[user@]host:port[,host:port...][/root]`, for etcd and ZooKeeper.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClusterUrl {
    /// `host:port`, in the order given: the first live one is used.
    pub endpoints: Vec<String>,
    pub tls: bool,
    pub user: Option<String>,
    /// Every key lives below this prefix (etcd) or chroot (ZooKeeper); `/` for none.
    pub root: Key,
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

pub const SUPPORTED: &[StoreKind] = &[
    StoreKind {
        scheme: "dir",
        form: "dir:///absolute/path",
        about: "embedded directory store (the default): one flat file, atomic rewrites, file lock",
    },
    StoreKind {
        scheme: "etcd",
        form: "etcd://[user@]host:port[,host:port...][/root]",
        about: "etcd v3: revisions are mod_revision, conditions and batches are transactions",
    },
    StoreKind { scheme: "etcds", form: "etcds://host:port[,...][/root]", about: "etcd v3 over TLS (see --cacert)" },
    StoreKind {
        scheme: "zk",
        form: "zk://[user@]host:port[,host:port...][/chroot]",
        about: "ZooKeeper: revisions are the znode's mzxid, writes are version-checked, batches are multi",
    },
];

/// Kinds the design names that this build does not include yet.
const PLANNED: &[&str] = &["consul", "sqlite"];

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
            "etcd" | "etcds" => parse_cluster(rest, scheme == "etcds", 2379).map(StoreUrl::Etcd).map_err(err),
            "zk" => parse_cluster(rest, false, 2181).map(StoreUrl::ZooKeeper).map_err(err),
            s if PLANNED.contains(&s) => {
                Err(err(format!("store kind {s:?} is not supported by this build (see `ovs config stores`)")))
            }
            s => Err(err(format!("unknown store kind {s:?} (see `ovs config stores`)"))),
        }
    }
}

fn parse_cluster(rest: &str, tls: bool, default_port: u16) -> Result<ClusterUrl, String> {
    let (authority, root) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let (user, hosts) = match authority.rsplit_once('@') {
        Some((user, _)) if user.contains(':') => {
            return Err("put no password in the URL; use $OVS_CONFIG_PASSWORD or --password-file".into())
        }
        Some(("", _)) => return Err("empty user name before @".into()),
        Some((user, hosts)) => (Some(user.to_string()), hosts),
        None => (None, authority),
    };
    let endpoints = hosts.split(',').map(|h| endpoint(h, default_port)).collect::<Result<Vec<_>, _>>()?;
    let root = Key::parse(root).map_err(|e| format!("bad root: {}", e.reason))?;
    Ok(ClusterUrl { endpoints, tls, user, root })
}

/// `host[:port]` with a valid port; `[v6]:port` is kept as written.
fn endpoint(text: &str, default_port: u16) -> Result<String, String> {
    if text.is_empty() {
        return Err("empty endpoint (expected host:port[,host:port...])".into());
    }
    let (host, port) = match text.rsplit_once(':') {
        Some((host, port)) if !host.is_empty() && !port.contains(']') => {
            (host, port.parse::<u16>().map_err(|_| format!("bad port {port:?} in {text:?}"))?)
        }
        _ => (text, default_port),
    };
    if host.is_empty() || host.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!("bad host in {text:?}"));
    }
    Ok(format!("{host}:{port}"))
}

impl std::fmt::Display for StoreUrl {
    /// The URL for messages: no user name, never a secret.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StoreUrl::Dir(path) => write!(f, "dir://{}", path.display()),
            StoreUrl::Etcd(url) => url.fmt_with(f, if url.tls { "etcds" } else { "etcd" }),
            StoreUrl::ZooKeeper(url) => url.fmt_with(f, "zk"),
        }
    }
}

impl ClusterUrl {
    fn fmt_with(&self, f: &mut std::fmt::Formatter<'_>, scheme: &str) -> std::fmt::Result {
        let root = if self.root.is_root() { "" } else { self.root.as_str() };
        write!(f, "{scheme}://{}{root}", self.endpoints.join(","))
    }

    /// The user named in the URL, if any.
    pub fn user(&self) -> Option<&str> {
        self.user.as_deref()
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
    fn parses_etcd() {
        let StoreUrl::Etcd(url) = StoreUrl::parse("etcds://admin@h1:2379,h2,10.0.0.3:32379/ovs/root").unwrap() else {
            panic!()
        };
        assert_eq!(url.endpoints, ["h1:2379", "h2:2379", "10.0.0.3:32379"]);
        assert!(url.tls);
        assert_eq!(url.user.as_deref(), Some("admin"));
        assert_eq!(url.root.as_str(), "/ovs/root");
        let plain = StoreUrl::parse("etcd://127.0.0.1:2379").unwrap();
        assert_eq!(plain.to_string(), "etcd://127.0.0.1:2379");
    }

    #[test]
    fn parses_zookeeper() {
        let StoreUrl::ZooKeeper(url) = StoreUrl::parse("zk://h1,h2:2182/flocker").unwrap() else { panic!() };
        assert_eq!(url.endpoints, ["h1:2181", "h2:2182"]);
        assert_eq!(url.root.as_str(), "/flocker");
    }

    #[test]
    fn rejects_bad_urls() {
        for bad in [
            "",
            "dir://relative",
            "nope://x",
            "/just/a/path",
            "etcd://",
            "etcd://h:notaport",
            "etcd://h1,,h2",
            "etcd://u:secret@h:1",
            "etcd://h:1/a//b",
            "etcd://h:99999",
            "zk://",
            "consul://h:8500",
        ] {
            assert!(StoreUrl::parse(bad).is_err(), "{bad:?}");
        }
    }
}
