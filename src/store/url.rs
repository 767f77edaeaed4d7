//! Store URLs: `SCHEME://...`, where the scheme picks a backend from the
//! registry (`registry.rs` parses) and the backend checks the rest (`dir:///path`,
//! `etcd://h1:2379,h2:2379[/root]`, `zk://h1:2181[/chroot]`, ...).
//! Credentials never live here: a user name may, a password may not.

use std::path::{Component, Path, PathBuf};

use super::backend::{Backend, Checked, Config, UrlInfo};
use super::Key;

/// A URL whose backend accepted it.
#[derive(Clone, Debug)]
pub struct StoreUrl {
    backend: &'static Backend,
    scheme: String,
    rest: String,
    info: UrlInfo,
    config: std::sync::Arc<dyn Config>,
    /// A plugin's URL: only the plugin knows what it means.
    opaque: bool,
}

/// `SCHEME://[user@]host:port[,host:port...][/root]`, for cluster stores.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClusterUrl {
    /// `host:port`, in the order given: the first live one is used.
    pub endpoints: Vec<String>,
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

impl StoreUrl {
    /// A URL `backend`'s check accepted (`registry.rs` parses).
    pub(super) fn new(backend: &'static Backend, scheme: &str, rest: &str, checked: Checked, opaque: bool) -> StoreUrl {
        let Checked { info, config } = checked;
        StoreUrl { backend, scheme: scheme.to_string(), rest: rest.to_string(), info, config, opaque }
    }

    pub fn backend(&self) -> &'static Backend {
        self.backend
    }

    pub fn scheme(&self) -> &str {
        &self.scheme
    }

    /// What follows `SCHEME://`, as given.
    pub fn rest(&self) -> &str {
        &self.rest
    }

    /// What the backend's check read from the URL, to open the store by.
    pub fn config(&self) -> &dyn Config {
        self.config.as_ref()
    }

    /// The user the URL names, if any.
    pub fn user(&self) -> Option<&str> {
        self.info.user.as_deref()
    }

    /// The store itself, whatever the URL's spelling: two URLs with the same
    /// identity name one store. It is the backend's name for it (default
    /// ports filled in, no user) under the backend's first scheme
    /// (`mariadb://` is `mysql://`, `etcds://` is `etcd://`), with a path
    /// (`dir:///x/`, `sqlite:///a/./b.db`) made absolute through the folders
    /// and symbolic links that exist, and a cluster's hosts sorted
    /// (`etcd://h2,h1` is `etcd://h1,h2`). A plugin's URL means what the
    /// plugin makes of it: only the same spelling is the same store.
    pub fn identity(&self) -> String {
        let display = self.info.display.as_str();
        if self.opaque {
            return display.to_string();
        }
        let rest = display.split_once("://").map_or(display, |(_, rest)| rest);
        let (body, query) = match rest.split_once('?') {
            Some((body, query)) => (body, format!("?{query}")),
            None => (rest, String::new()),
        };
        let body = match body.find('/') {
            // No authority: a file or folder.
            Some(0) => resolved_path(Path::new(body)).display().to_string(),
            at => {
                let (hosts, root) = body.split_at(at.unwrap_or(body.len()));
                let mut hosts: Vec<&str> = hosts.split(',').collect();
                hosts.sort_unstable();
                hosts.dedup();
                format!("{}{root}", hosts.join(","))
            }
        };
        format!("{}://{body}{query}", self.backend.schemes[0])
    }
}

/// `path` without `.`, empty or trailing segments, its symbolic links
/// followed as far as it exists, then `..` taken as a step up (exact: what
/// comes before it is a real folder, or does not exist, so is no link).
fn resolved_path(path: &Path) -> PathBuf {
    let mut out = PathBuf::from("/");
    for part in path.components() {
        match part {
            Component::ParentDir => {
                out.pop();
            }
            Component::Normal(name) => {
                out.push(name);
                if let Ok(real) = std::fs::canonicalize(&out) {
                    out = real;
                }
            }
            Component::CurDir | Component::RootDir | Component::Prefix(_) => {}
        }
    }
    out
}

/// `text` with any password in it hidden, for messages: the user info is
/// everything between `://` and the last `@`, and all of it after the first
/// `:` is a password (even one with a `/` in it, which ends the authority
/// by the RFC but not in what the user meant).
pub fn masked(text: &str) -> String {
    let Some((scheme, rest)) = text.split_once("://") else { return text.to_string() };
    if rest.starts_with('/') {
        // No authority (dir:///path): an @ or : is part of the path.
        return text.to_string();
    }
    let Some((userinfo, after)) = rest.rsplit_once('@') else { return text.to_string() };
    match userinfo.split_once(':') {
        Some((user, _)) if !user.contains('/') => format!("{scheme}://{user}:***@{after}"),
        Some(_) => format!("{scheme}://***@{after}"),
        None => text.to_string(),
    }
}

/// `[user@]host[:port][,host[:port]...][/root]`, the part after `SCHEME://`
/// of every cluster store's URL.
pub fn parse_cluster(rest: &str, default_port: u16) -> Result<ClusterUrl, String> {
    let (authority, root) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let (user, hosts) = match authority.rsplit_once('@') {
        Some(("", _)) => return Err("empty user name before @".into()),
        Some((user, hosts)) => (Some(user.to_string()), hosts),
        None => (None, authority),
    };
    if hosts.is_empty() {
        return Err("no host (expected host:port[,host:port...])".into());
    }
    let endpoints = hosts.split(',').map(|h| endpoint(h, default_port)).collect::<Result<Vec<_>, _>>()?;
    let root = Key::parse(root).map_err(|e| format!("bad root: {}", e.reason))?;
    Ok(ClusterUrl { endpoints, user, root })
}

/// `host[:port]` or `[v6]`/`[v6]:port`, as `host:port` for the client.
fn endpoint(text: &str, default_port: u16) -> Result<String, String> {
    let (host, port) = if let Some(bracketed) = text.strip_prefix('[') {
        let (v6, after) = bracketed.split_once(']').ok_or_else(|| format!("unclosed \"[\" in {text:?}"))?;
        v6.parse::<std::net::Ipv6Addr>().map_err(|_| format!("bad IPv6 address in {text:?}"))?;
        let port = match after {
            "" => None,
            _ => Some(after.strip_prefix(':').ok_or_else(|| format!("expected :PORT after \"]\" in {text:?}"))?),
        };
        (&text[..v6.len() + 2], port)
    } else if text.matches(':').count() > 1 {
        return Err(format!("bad host in {text:?}: IPv6 addresses go in brackets, e.g. [::1]:2379"));
    } else {
        match text.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (text, None),
        }
    };
    if host.is_empty() {
        return Err(format!("empty host in {text:?} (expected host:port[,host:port...])"));
    }
    // A host name or IPv4 address; an IPv6 address goes in brackets.
    if !host.starts_with('[') && !host.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_')) {
        return Err(format!("bad host {host:?} (IPv6 addresses go in brackets: [::1]:2379)"));
    }
    let port = match port {
        None => default_port,
        Some(p) => p.parse::<u16>().ok().filter(|p| *p > 0).ok_or_else(|| format!("bad port {p:?} in {text:?}"))?,
    };
    Ok(format!("{host}:{port}"))
}

impl std::fmt::Display for StoreUrl {
    /// The URL for messages: no user name, never a secret.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.info.display)
    }
}

impl ClusterUrl {
    /// How messages name the store: `SCHEME://endpoints[/root]`, no user.
    pub fn describe(&self, scheme: &str) -> String {
        let root = if self.root.is_root() { "" } else { self.root.as_str() };
        format!("{scheme}://{}{root}", self.endpoints.join(","))
    }

    /// What a cluster store tells of its URL.
    pub fn info(&self, scheme: &str) -> UrlInfo {
        UrlInfo { user: self.user.clone(), display: self.describe(scheme) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_dir() {
        let url = StoreUrl::parse("dir:///var/x").unwrap();
        assert_eq!((url.scheme(), url.rest(), url.to_string().as_str()), ("dir", "/var/x", "dir:///var/x"));
    }

    #[test]
    fn parses_clusters() {
        let url = parse_cluster("admin@h1:2379,h2,10.0.0.3:32379/ovs/root", 2379).unwrap();
        assert_eq!(url.endpoints, ["h1:2379", "h2:2379", "10.0.0.3:32379"]);
        assert_eq!(url.user.as_deref(), Some("admin"));
        assert_eq!(url.root.as_str(), "/ovs/root");
        let etcds = StoreUrl::parse("etcds://admin@h1:2379/ovs/root").unwrap();
        assert_eq!((etcds.user(), etcds.to_string().as_str()), (Some("admin"), "etcds://h1:2379/ovs/root"));
        let zk = parse_cluster("h1,h2:2182/flocker", 2181).unwrap();
        assert_eq!(zk.endpoints, ["h1:2181", "h2:2182"]);
        assert_eq!(StoreUrl::parse("zk://h1/flocker").unwrap().to_string(), "zk://h1:2181/flocker");
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
            "consul://u@h:8500",
            "etcd://:2379",
            "etcd://[::1",
            "etcd://::1",
            "etcd://[::1]2379",
            "etcd://[nope]:1",
            "etcd://h:0",
            "etcd://h:",
            "zk://h 1:2181",
            "etcd://@h:1",
            "etcd://u@",
            "etcd://h:1,:2",
        ] {
            let e = StoreUrl::parse(bad).unwrap_err();
            assert!(!e.to_string().contains(":2379:2379"), "{e}");
        }
    }

    #[test]
    fn one_store_spelled_two_ways_has_one_identity() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().canonicalize().unwrap();
        std::os::unix::fs::symlink(&real, real.join("link")).unwrap();
        let d = real.display();
        let same = |a: &str, b: &str| {
            let (a, b) = (StoreUrl::parse(a).unwrap(), StoreUrl::parse(b).unwrap());
            a.identity() == b.identity()
        };
        for (a, b) in [
            (format!("dir://{d}/x"), format!("dir://{d}/x/")),
            (format!("dir://{d}/x"), format!("dir://{d}//./x")),
            (format!("dir://{d}/x"), format!("dir://{d}/y/../x")),
            (format!("dir://{d}/x"), format!("dir://{d}/link/x")),
            (format!("sqlite://{d}/s.db"), format!("sqlite://{d}/./s.db")),
            ("etcd://h1:2379,h2:2379".into(), "etcd://h2,h1".into()),
            ("etcd://h1,h2,h1/a".into(), "etcds://alice@h2:2379,h1:2379/a".into()),
            ("zk://h1,h2/chroot".into(), "zk://h2:2181,h1:2181/chroot".into()),
        ] {
            assert!(same(&a, &b), "{a} and {b}");
        }
        for (a, b) in [
            (format!("dir://{d}/x"), format!("dir://{d}/x/y")),
            ("etcd://h1,h2".into(), "etcd://h1".into()),
            ("etcd://h1/a".into(), "etcd://h1/b".into()),
            ("etcd://h1:2379".into(), "etcd://h1:2380".into()),
            ("zk://h1/a".into(), "zk://h1".into()),
        ] {
            assert!(!same(&a, &b), "{a} and {b}");
        }
    }

    #[test]
    fn ipv6_in_brackets() {
        let url = parse_cluster("[::1]:2379,[fe80::1]", 2379).unwrap();
        assert_eq!(url.endpoints, ["[::1]:2379", "[fe80::1]:2379"]);
    }

    #[test]
    fn no_message_quotes_a_password() {
        for (url, secret) in [
            ("etcd://root:S3cret@127.0.0.1:2379", "S3cret"),
            ("etcd://root:pa/S3cret@127.0.0.1:2379", "S3cret"),
            ("etcd://root:pa/S3cret@h:bad", "pa/"),
            ("zk://a:b:S3cret@h", "S3cret"),
            ("nope://u:S3cret@h", "S3cret"),
        ] {
            let e = StoreUrl::parse(url).unwrap_err();
            assert!(!format!("{e} {e:?}").contains(secret), "{e}");
            assert!(e.to_string().contains("***"), "{e}");
        }
        assert_eq!(masked("etcd://root:pw@h:1/a"), "etcd://root:***@h:1/a");
        assert_eq!(masked("etcd://root@h:1"), "etcd://root@h:1");
        assert_eq!(StoreUrl::parse("dir:///home/a:b@c/x").unwrap().rest(), "/home/a:b@c/x");
    }
}
