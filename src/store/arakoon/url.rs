//! The two URL forms, read once into a [`Target`]:
//!
//! - `arakoon://CLUSTER_ID@host:port[,host:port...][/root]`: the nodes'
//!   client ports by hand (Arakoon has no default port: each is named).
//! - `arakoon://CLUSTER_ID[/root]?ini=PATH`: the nodes from an Open
//!   vStorage client config (`arakoon_cacc.ini`), read when the store is
//!   opened. It is the form Open vStorage itself writes for its
//!   configuration (`arakoon://config/ovs/...?ini=/opt/OpenvStorage/config/
//!   arakoon_cacc.ini`); the path may be percent-escaped as the framework
//!   escapes it. The cluster id may be left out (`arakoon://?ini=PATH`),
//!   and one given must be the file's.

use percent_encoding::percent_decode_str;

use super::cluster::Node;
use crate::store::{parse_cluster, Key};

/// Where the cluster is and what part of it ovs sees.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Target {
    pub cluster: Option<String>,
    pub nodes: Nodes,
    pub root: Key,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Nodes {
    Listed(Vec<String>),
    Ini(String),
}

impl Target {
    pub(super) fn parse(rest: &str) -> Result<Target, String> {
        let target = match rest.split_once('?') {
            Some((body, query)) => Target::ini(body, query)?,
            None => Target::listed(rest)?,
        };
        if target.root.as_str().starts_with("/_") {
            return Err("a root beginning with \"_\" is Arakoon's own, hidden from Open vStorage".into());
        }
        Ok(target)
    }

    fn listed(rest: &str) -> Result<Target, String> {
        // No default port: a port of 0 is no port given.
        let url = parse_cluster(rest, 0)?;
        let cluster = url.user.ok_or(
            "name the cluster: arakoon://CLUSTER_ID@host:port[,host:port...][/root], or \
                                      arakoon://CLUSTER_ID?ini=PATH for an arakoon_cacc.ini",
        )?;
        cluster_id(&cluster)?;
        if let Some(bare) = url.endpoints.iter().find(|e| e.ends_with(":0")) {
            return Err(format!(
                "give the client port of {:?} (host:port): Arakoon has no default",
                &bare[..bare.len() - 2]
            ));
        }
        Ok(Target { cluster: Some(cluster), nodes: Nodes::Listed(url.endpoints), root: url.root })
    }

    fn ini(body: &str, query: &str) -> Result<Target, String> {
        let path = query
            .strip_prefix("ini=")
            .filter(|p| !p.is_empty() && !p.contains('&'))
            .ok_or("the only query is ?ini=PATH, the arakoon_cacc.ini to read the nodes from")?;
        let path = percent_decode_str(path).decode_utf8().map_err(|_| "the ini path is not UTF-8 once unescaped")?;
        if !path.starts_with('/') {
            return Err(format!("the ini path {path:?} must be absolute"));
        }
        if body.contains(['@', ',', ':']) {
            return Err("with ?ini= the nodes come from the file: give arakoon://[CLUSTER_ID][/root]?ini=PATH".into());
        }
        let (cluster, root) = match body.find('/') {
            Some(i) => (&body[..i], &body[i..]),
            None => (body, "/"),
        };
        if !cluster.is_empty() {
            cluster_id(cluster)?;
        }
        let root = Key::parse(root).map_err(|e| format!("bad root: {}", e.reason))?;
        let cluster = (!cluster.is_empty()).then(|| cluster.to_string());
        Ok(Target { cluster, nodes: Nodes::Ini(path.into_owned()), root })
    }

    /// How messages name it: the URL with the cluster id and, where known,
    /// the nodes (never a secret: Arakoon has none).
    pub(super) fn display(&self) -> String {
        let cluster = self.cluster.as_deref().unwrap_or("");
        let root = if self.root.is_root() { "" } else { self.root.as_str() };
        match &self.nodes {
            Nodes::Listed(nodes) => format!("arakoon://{cluster}@{}{root}", nodes.join(",")),
            Nodes::Ini(path) => format!("arakoon://{cluster}{root}?ini={path}"),
        }
    }

    /// The cluster id and its nodes: as listed, or read from the ini file.
    pub(super) fn resolve(&self) -> Result<(String, Vec<Node>), String> {
        match &self.nodes {
            Nodes::Listed(addrs) => {
                let nodes = addrs.iter().map(|addr| Node { addr: addr.clone(), name: None }).collect();
                Ok((self.cluster.clone().unwrap_or_default(), nodes))
            }
            Nodes::Ini(path) => {
                let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {path}: {e}"))?;
                let (id, nodes) = read_ini(&text).map_err(|e| format!("{path}: {e}"))?;
                match &self.cluster {
                    Some(named) if *named != id => {
                        Err(format!("{path} is the client config of cluster {id:?}, not {named:?}"))
                    }
                    _ => Ok((id, nodes)),
                }
            }
        }
    }
}

/// Arakoon's cluster ids are names: letters, digits, `_`, `-`, `.`.
fn cluster_id(id: &str) -> Result<(), String> {
    if id.is_empty() || !id.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')) {
        return Err(format!("bad cluster id {id:?} (letters, digits, \"_\", \"-\", \".\")"));
    }
    Ok(())
}

/// An `arakoon_cacc.ini`: `[global]` with `cluster_id` and `cluster` (the
/// node names, comma-separated), then a section per node with its `ip`
/// (one address, or several comma-separated) and `client_port`.
fn read_ini(text: &str) -> Result<(String, Vec<Node>), String> {
    let mut sections: Vec<(String, Vec<(String, String)>)> = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with(['#', ';']) {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            sections.push((name.trim().to_string(), Vec::new()));
            continue;
        }
        let (key, value) = line.split_once(['=', ':']).ok_or(format!("line {}: expected key = value", n + 1))?;
        let section = sections.last_mut().ok_or(format!("line {}: a setting before any [section]", n + 1))?;
        section.1.push((key.trim().to_string(), value.trim().to_string()));
    }
    let get = |section: &str, key: &str| -> Result<String, String> {
        let found = sections.iter().find(|(name, _)| name == section).ok_or(format!("no [{section}] section"))?;
        let value = found.1.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone());
        value.filter(|v| !v.is_empty()).ok_or(format!("no {key} in [{section}]"))
    };
    let id = get("global", "cluster_id")?;
    cluster_id(&id)?;
    let mut nodes = Vec::new();
    for name in get("global", "cluster")?.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        let port = get(name, "client_port")?;
        let port: u16 = port.parse().ok().filter(|p| *p > 0).ok_or(format!("bad client_port {port:?} in [{name}]"))?;
        for ip in get(name, "ip")?.split(',').map(str::trim).filter(|ip| !ip.is_empty()) {
            let host = if ip.contains(':') { format!("[{ip}]") } else { ip.to_string() };
            nodes.push(Node { addr: format!("{host}:{port}"), name: Some(name.to_string()) });
        }
    }
    if nodes.is_empty() {
        return Err("[global] cluster names no node".into());
    }
    Ok((id, nodes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_url_lists_the_nodes_with_their_ports() {
        let t = Target::parse("ovs@10.0.0.1:26400,[::1]:26401/tenant").unwrap();
        assert_eq!(t.cluster.as_deref(), Some("ovs"));
        assert_eq!(t.nodes, Nodes::Listed(vec!["10.0.0.1:26400".into(), "[::1]:26401".into()]));
        assert_eq!(t.root.as_str(), "/tenant");
        assert_eq!(t.display(), "arakoon://ovs@10.0.0.1:26400,[::1]:26401/tenant");
        assert!(Target::parse("h:1").unwrap_err().contains("name the cluster"));
        assert!(Target::parse("ovs@h").unwrap_err().contains("client port of \"h\""));
        assert!(Target::parse("o v@h:1").unwrap_err().contains("bad cluster id"));
        assert!(Target::parse("ovs@h:1/_internal").unwrap_err().contains("Arakoon's own"));
    }

    #[test]
    fn the_ini_form_is_the_one_open_vstorage_writes() {
        let t = Target::parse("config?ini=%2Fopt%2FOpenvStorage%2Fconfig%2Farakoon_cacc.ini").unwrap();
        assert_eq!(t.nodes, Nodes::Ini("/opt/OpenvStorage/config/arakoon_cacc.ini".into()));
        assert_eq!(t.display(), "arakoon://config?ini=/opt/OpenvStorage/config/arakoon_cacc.ini");
        let t = Target::parse("/x?ini=/etc/cacc.ini").unwrap();
        assert_eq!((t.cluster, t.root.as_str()), (None, "/x"));
        assert!(Target::parse("c@h:1?ini=/a").unwrap_err().contains("come from the file"));
        assert!(Target::parse("c?ini=rel.ini").unwrap_err().contains("absolute"));
        assert!(Target::parse("c?file=/a").unwrap_err().contains("?ini=PATH"));
    }

    #[test]
    fn an_ini_names_the_cluster_and_each_nodes_client_port() {
        let ini = "[global]\ncluster_id = config\ncluster = n1, n2\n\n[n1]\nname = n1\nip = 10.0.0.1\nclient_port = \
                   26400\nmessaging_port = 26401\n\n[n2]\nip = 10.0.0.2,fd00::2\nclient_port = 26400\n";
        let (id, nodes) = read_ini(ini).unwrap();
        assert_eq!(id, "config");
        let addrs: Vec<(&str, Option<&str>)> = nodes.iter().map(|n| (n.addr.as_str(), n.name.as_deref())).collect();
        assert_eq!(
            addrs,
            [("10.0.0.1:26400", Some("n1")), ("10.0.0.2:26400", Some("n2")), ("[fd00::2]:26400", Some("n2"))]
        );
        assert!(read_ini("[global]\ncluster_id = c\ncluster = n1\n").unwrap_err().contains("no [n1] section"));
        assert!(read_ini("[global]\ncluster = n1\n").unwrap_err().contains("no cluster_id"));
        assert!(read_ini("[global]\ncluster_id = c\ncluster = n\n[n]\nip=h\nclient_port=x\n")
            .unwrap_err()
            .contains("bad client_port"));
    }
}
