//! A SQL store's URL: a file (SQLite) or one server's database, and the
//! table, checked before any I/O; PostgreSQL's fill what the URL leaves out
//! from libpq's environment.

use std::path::PathBuf;

use super::dialect::Engine;
use crate::store::{parse_cluster, UrlInfo};

const DEFAULT_TABLE: &str = "ovs_config";
/// `<table>_rev` must fit PostgreSQL's 63 and MySQL's 64 bytes.
const MAX_TABLE_NAME: usize = 59;

/// Where a URL's store is.
#[derive(Debug)]
pub(super) enum Place {
    File(PathBuf),
    Server { host: String, port: u16, user: Option<String>, database: String },
}

/// What follows `SCHEME://`, checked.
#[derive(Debug)]
pub(super) struct Target {
    pub(super) engine: Engine,
    pub(super) place: Place,
    pub(super) table: String,
    pub(super) info: UrlInfo,
}

impl Target {
    pub(super) fn parse(engine: Engine, scheme: &str, rest: &str) -> Result<Target, String> {
        let (body, query) = match rest.split_once('?') {
            Some((body, query)) => (body, Some(query)),
            None => (rest, None),
        };
        let table = match query {
            None => DEFAULT_TABLE.to_string(),
            Some(query) => {
                let name = query
                    .strip_prefix("table=")
                    .filter(|name| !name.contains('&'))
                    .ok_or_else(|| format!("unknown parameter {query:?} (the only one is ?table=NAME)"))?;
                check_table(name)?;
                name.to_string()
            }
        };
        let suffix = if table == DEFAULT_TABLE { String::new() } else { format!("?table={table}") };
        if engine == Engine::Sqlite {
            if !body.starts_with('/') || body.len() < 2 {
                return Err("expected sqlite:///absolute/path/to/file.db".into());
            }
            let info = UrlInfo { user: None, display: format!("{scheme}://{body}{suffix}") };
            return Ok(Target { engine, place: Place::File(PathBuf::from(body)), table, info });
        }
        let (body, port) = match engine {
            Engine::Postgres => libpq_defaults(body)?,
            _ => (body.to_string(), 3306),
        };
        let url = parse_cluster(&body, port)?;
        let [endpoint] = &url.endpoints[..] else {
            return Err("one server only (expected [user@]host[:port]/database)".into());
        };
        let database = url.root.as_str().trim_start_matches('/');
        if database.is_empty() || database.contains('/') {
            let or = if engine == Engine::Postgres { " (or set $PGDATABASE)" } else { "" };
            return Err(format!("expected [user@]host[:port]/database: name one database{or}"));
        }
        // parse_cluster gives host:port; read as this store's own types.
        let Some((host, port)) = endpoint.rsplit_once(':').and_then(|(h, p)| Some((h, p.parse::<u16>().ok()?))) else {
            return Err(format!("expected host:port, got {endpoint}"));
        };
        let info = UrlInfo { user: url.user.clone(), display: format!("{scheme}://{endpoint}/{database}{suffix}") };
        let host = host.trim_start_matches('[').trim_end_matches(']').to_string();
        let place = Place::Server { host, port, user: url.user, database: database.to_string() };
        Ok(Target { engine, place, table, info })
    }
}

/// A variable of libpq's environment, unless it is unset or empty (libpq's
/// reading of an empty setting).
pub(super) fn pg_env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// A PostgreSQL URL's `[user@][host[:port]]/[database]` with what it leaves
/// out taken from libpq's `PGHOST` (else localhost) and `PGDATABASE`, as
/// psql takes them; and the port a host without one gets: `PGPORT`, else
/// 5432. `PGUSER` and `PGPASSWORD` are read when the store is opened, after
/// --user and the URL's user, and --password-file and $OVS_CONFIG_PASSWORD.
fn libpq_defaults(body: &str) -> Result<(String, u16), String> {
    let (authority, path) = body.split_at(body.find('/').unwrap_or(body.len()));
    let (user, host) = match authority.rsplit_once('@') {
        Some((user, host)) => (format!("{user}@"), host),
        None => (String::new(), authority),
    };
    let host = match (host, pg_env("PGHOST")) {
        ("", Some(folder)) if folder.starts_with('/') => {
            return Err(format!(
                "$PGHOST names the socket folder {folder:?}: ovs connects over TCP; name a host in the URL or in \
                 $PGHOST"
            ))
        }
        ("", from_env) => from_env.unwrap_or_else(|| "localhost".into()),
        (host, _) => host.to_string(),
    };
    let database = match (path.trim_start_matches('/'), pg_env("PGDATABASE")) {
        ("", Some(database)) => database,
        (database, _) => database.to_string(),
    };
    let port = match pg_env("PGPORT") {
        None => 5432,
        Some(text) => text.parse::<u16>().ok().filter(|p| *p > 0).ok_or_else(|| format!("bad $PGPORT {text:?}"))?,
    };
    Ok((format!("{user}{host}/{database}"), port))
}

/// Lowercase letters, digits and `_`, so that the name means the same
/// table on every engine, whatever its case rules, and is safe in SQL.
fn check_table(name: &str) -> Result<(), String> {
    let ok = name.len() <= MAX_TABLE_NAME
        && name.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if !ok {
        return Err(format!(
            "bad table name {name:?}: lowercase letters, digits and _ only, not starting with a digit, \
             at most {MAX_TABLE_NAME} characters"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_name_a_file_or_one_database_and_a_checked_table() {
        let t = Target::parse(Engine::Sqlite, "sqlite", "/var/lib/ovs.db?table=orch_kv").unwrap();
        assert_eq!((t.table.as_str(), t.info.display.as_str()), ("orch_kv", "sqlite:///var/lib/ovs.db?table=orch_kv"));
        let t = Target::parse(Engine::MySql, "mysql", "orc@db1/orchestrator").unwrap();
        assert_eq!(t.info, UrlInfo { user: Some("orc".into()), display: "mysql://db1:3306/orchestrator".into() });
        assert_eq!(t.table, DEFAULT_TABLE);
        let t = Target::parse(Engine::Postgres, "postgres", "[::1]:6432/cfg").unwrap();
        assert!(matches!(t.place, Place::Server { ref host, port: 6432, .. } if host == "::1"));
        for (engine, bad) in [
            (Engine::Sqlite, "relative.db"),
            (Engine::Sqlite, "/x.db?table=Upper"),
            (Engine::Sqlite, "/x.db?table=a;drop"),
            (Engine::Sqlite, "/x.db?table=1a"),
            (Engine::Sqlite, "/x.db?mode=ro"),
            (Engine::Sqlite, "/x.db?table=a&table=b"),
            (Engine::MySql, "h1,h2/db"),
            (Engine::MySql, "h1"),
            (Engine::MySql, "h1/db/more"),
            (Engine::Postgres, "h1/db?table="),
        ] {
            assert!(Target::parse(engine, "x", bad).is_err(), "{bad}");
        }
        assert!(check_table(&"t".repeat(MAX_TABLE_NAME)).is_ok());
        assert!(check_table(&"t".repeat(MAX_TABLE_NAME + 1)).is_err());
    }
}
