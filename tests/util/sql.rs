//! Relational databases for tests: SQLite files, and real MariaDB and
//! PostgreSQL servers, each on a free loopback port with a temporary data
//! dir, one per test binary, killed when the test process ends. Each test
//! gets a table of its own (`?table=t<pid>_<n>`). Without a server's
//! binaries the tests are skipped with a message, except when CI=true,
//! where that fails them.
//!
//! Both servers have the same users: the login name of whoever runs the
//! tests (what `ovs` logs in as when the URL names no user), without a
//! password; `NO_PASSWORD_USER`, who has none either (PostgreSQL: `trust` on
//! 127.0.0.1; MariaDB: an account without a password), with rights on the
//! test database only; `secure`, with `PASSWORD`; and `client`, who must show the
//! client certificate of `tls` (PostgreSQL: certificate login; MariaDB:
//! REQUIRE X509 and `PASSWORD`). Both also serve TLS, with the certificates
//! in `tls`, to whoever asks.

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use ovs_config::store::TlsFiles;

use super::fixture::Fixture;
use super::process::{free_port, require, Server};
use super::tls::make_certificates;
use super::Env;

pub const PASSWORD: &str = "s3cret-pw";
pub const DATABASE: &str = "ovs";
/// A user who logs in without a password.
pub const NO_PASSWORD_USER: &str = "nopw";

/// A table no other test of this process uses: `t<pid>_<n>`.
pub fn unique_table() -> String {
    super::unique_root()[1..].replace('-', "_")
}

/// The name the tests run as, which `ovs` logs in as by default.
fn login_name() -> String {
    let out = Command::new("id").arg("-un").output().expect("id -un");
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    MariaDb,
    Postgres,
}

/// A running database server.
pub struct SqlServer {
    pub engine: Engine,
    pub port: u16,
    /// Certificates the server presents (ca, server) and accepts (client).
    pub tls: TlsFiles,
    /// Where its unix socket is, for its own client.
    socket: PathBuf,
    server: Server,
    dir: tempfile::TempDir,
}

/// One test's table: on an SQLite file of its own, or on a shared server.
pub struct Db {
    pub engine: Engine,
    pub table: String,
    /// The store URL, with no user (the login name logs in).
    pub url: String,
    place: Place,
}

enum Place {
    File(PathBuf, tempfile::TempDir),
    Server(&'static SqlServer),
}

impl Db {
    pub fn sqlite() -> Option<Db> {
        if !require("sqlite3") {
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("store.db");
        let table = unique_table();
        let url = format!("sqlite://{}?table={table}", file.display());
        Some(Db { engine: Engine::Sqlite, table, url, place: Place::File(file, dir) })
    }

    pub fn mariadb() -> Option<Db> {
        Self::on(mariadb()?)
    }

    pub fn postgres() -> Option<Db> {
        Self::on(postgres()?)
    }

    fn on(server: &'static SqlServer) -> Option<Db> {
        let table = unique_table();
        let url = server.url(None, &table);
        Some(Db { engine: server.engine, table, url, place: Place::Server(server) })
    }

    /// The SQLite file, if the table is in one.
    pub fn file(&self) -> Option<&Path> {
        match &self.place {
            Place::File(file, _) => Some(file),
            Place::Server(_) => None,
        }
    }

    /// The store URL logging in as `user`.
    pub fn url_as(&self, user: &str) -> String {
        self.server().url(Some(user), &self.table)
    }

    pub fn server(&self) -> &'static SqlServer {
        match self.place {
            Place::Server(server) => server,
            Place::File(..) => panic!("an SQLite file has no server"),
        }
    }

    /// This table as a fixture, whose guard is the `Db` (and its file).
    pub fn fixture(self) -> Fixture {
        Fixture::new(self.url.clone(), Box::new(self))
    }

    /// An `ovs` environment on this table; the env keeps the table's file.
    pub fn env(self) -> Env {
        self.fixture().env()
    }

    /// The `Db` behind an env made by [`Db::env`].
    pub fn of(env: &Env) -> &Db {
        env.server.as_ref().and_then(|s| s.downcast_ref()).expect("an env made by Db::env")
    }

    /// Run `statement` in the engine's own client, as its administrator;
    /// the rows it prints, one per line, columns separated by `|`.
    pub fn sql(&self, statement: &str) -> String {
        let mut cmd = match &self.place {
            Place::File(file, _) => {
                let mut cmd = Command::new("sqlite3");
                cmd.arg("-batch").arg(file).arg(statement);
                cmd
            }
            Place::Server(server) => server.client(statement),
        };
        let out = cmd.output().unwrap();
        assert!(out.status.success(), "{statement}: {}", String::from_utf8_lossy(&out.stderr));
        // MariaDB separates columns with tabs, the others with |.
        String::from_utf8(out.stdout).unwrap().replace('\t', "|")
    }

    /// Whether the engine has a table of this name.
    pub fn has_table(&self, name: &str) -> bool {
        let query = match self.engine {
            Engine::Sqlite => {
                let Place::File(file, _) = &self.place else { unreachable!() };
                if !file.exists() {
                    return false;
                }
                format!("SELECT count(*) FROM sqlite_master WHERE name = '{name}'")
            }
            Engine::MariaDb | Engine::Postgres => {
                format!("SELECT count(*) FROM information_schema.tables WHERE table_name = '{name}'")
            }
        };
        self.sql(&query).trim() == "1"
    }
}

impl SqlServer {
    fn url(&self, user: Option<&str>, table: &str) -> String {
        let scheme = if self.engine == Engine::MariaDb { "mysql" } else { "postgres" };
        let user = user.map(|u| format!("{u}@")).unwrap_or_default();
        format!("{scheme}://{user}127.0.0.1:{}/{DATABASE}?table={table}", self.port)
    }

    /// The server's own client running `statement` on the test database,
    /// as its administrator, over the unix socket.
    fn client(&self, statement: &str) -> Command {
        self.client_on(DATABASE, statement)
    }

    fn client_on(&self, database: &str, statement: &str) -> Command {
        match self.engine {
            Engine::MariaDb => {
                let mut cmd = Command::new("mariadb");
                cmd.arg("--no-defaults").arg(format!("--socket={}", self.socket.display()));
                cmd.args(["-uroot", "-N", "-B", database, "-e", statement]);
                cmd
            }
            Engine::Postgres => {
                let mut cmd = Command::new(postgres_bin().unwrap().join("psql"));
                cmd.arg("-h").arg(&self.socket).args(["-p", &self.port.to_string(), "-U", "postgres", "-d", database]);
                cmd.args(["-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-c", statement]);
                cmd
            }
            Engine::Sqlite => unreachable!("SQLite has no server"),
        }
    }

    /// Run `statement` until it succeeds (the server is starting).
    fn wait_for(&self, database: &str, statement: &str) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let out = self.client_on(database, statement).output().unwrap();
            if out.status.success() {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "{:?} did not start: {}; logs in {}",
                self.engine,
                String::from_utf8_lossy(&out.stderr),
                self.dir.path().display()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Run `statement` as the administrator; it must succeed.
    fn admin(&self, database: &str, statement: &str) {
        let out = self.client_on(database, statement).output().unwrap();
        assert!(out.status.success(), "{statement}: {}", String::from_utf8_lossy(&out.stderr));
    }

    pub fn log_dir(&self) -> &Path {
        self.dir.path()
    }
}

/// The MariaDB this test binary shares.
pub fn mariadb() -> Option<&'static SqlServer> {
    static SHARED: OnceLock<Option<SqlServer>> = OnceLock::new();
    SHARED.get_or_init(start_mariadb).as_ref()
}

/// The PostgreSQL this test binary shares.
pub fn postgres() -> Option<&'static SqlServer> {
    static SHARED: OnceLock<Option<SqlServer>> = OnceLock::new();
    SHARED.get_or_init(start_postgres).as_ref()
}

fn is_root() -> bool {
    login_name() == "root"
}

fn start_mariadb() -> Option<SqlServer> {
    if !require("mariadbd") || !require("mariadb-install-db") || !require("mariadb") || !require("openssl") {
        return None;
    }
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let tls = make_certificates(dir.path());
    let log = |name: &str| std::fs::File::create(dir.path().join(name)).unwrap();
    let user = format!("--user={}", login_name());
    let status = Command::new("mariadb-install-db")
        .args(["--no-defaults", "--auth-root-authentication-method=normal", "--skip-test-db", &user])
        .arg(format!("--datadir={}", data.display()))
        .stdout(log("install.log"))
        .stderr(log("install.err"))
        .status()
        .expect("run mariadb-install-db");
    assert!(status.success(), "mariadb-install-db failed; logs in {}", dir.path().display());
    let port = free_port();
    let socket = dir.path().join("mariadb.sock");
    let d = dir.path();
    let child = Command::new("mariadbd")
        .arg("--no-defaults")
        .arg(format!("--datadir={}", data.display()))
        .arg(format!("--socket={}", socket.display()))
        .arg(format!("--pid-file={}", d.join("mariadb.pid").display()))
        .arg(format!("--log-error={}", d.join("mariadb.log").display()))
        .args([&format!("--port={port}"), "--bind-address=127.0.0.1", "--skip-name-resolve", &user])
        .args(["--skip-log-bin", "--innodb-buffer-pool-size=64M", "--innodb-flush-log-at-trx-commit=2"])
        .args(["--max-connections=500", "--innodb-lock-wait-timeout=30", "--max-allowed-packet=256M"])
        .arg(format!("--ssl-ca={}", d.join("ca.pem").display()))
        .arg(format!("--ssl-cert={}", d.join("server.pem").display()))
        .arg(format!("--ssl-key={}", d.join("server.key").display()))
        .stdout(Stdio::null())
        .stderr(log("mariadb.out"))
        .spawn()
        .expect("start mariadbd");
    let mut server = SqlServer { engine: Engine::MariaDb, port, tls, socket, server: Server::new(port, child), dir };
    let whole = server.dir.path().to_path_buf();
    server.server.kill_when_tests_end(&whole);
    server.wait_for("mysql", "SELECT 1");
    let me = login_name();
    server.admin(
        "mysql",
        &format!(
            "CREATE DATABASE {DATABASE};
             CREATE USER IF NOT EXISTS '{me}'@'127.0.0.1'; GRANT ALL ON *.* TO '{me}'@'127.0.0.1';
             CREATE USER '{NO_PASSWORD_USER}'@'127.0.0.1';
             GRANT ALL ON {DATABASE}.* TO '{NO_PASSWORD_USER}'@'127.0.0.1';
             CREATE USER 'secure'@'127.0.0.1' IDENTIFIED BY '{PASSWORD}';
             GRANT ALL ON {DATABASE}.* TO 'secure'@'127.0.0.1';
             CREATE USER 'client'@'127.0.0.1' IDENTIFIED BY '{PASSWORD}' REQUIRE X509;
             GRANT ALL ON {DATABASE}.* TO 'client'@'127.0.0.1';"
        ),
    );
    Some(server)
}

/// The newest PostgreSQL's binaries (Debian keeps them off PATH).
fn postgres_bin() -> Option<PathBuf> {
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| Some((e.file_name().to_str()?.parse().ok()?, e.path().join("bin"))))
        .filter(|(_, bin)| bin.join("postgres").exists())
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin)
}

fn start_postgres() -> Option<SqlServer> {
    let Some(bin) = postgres_bin() else {
        require("postgres"); // fails when CI=true, else says why it skips
        return None;
    };
    if !require("openssl") {
        return None;
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let data = d.join("data");
    let tls = make_certificates(d);
    // As root, the server runs as the postgres user, who must own its files.
    let ids = is_root().then(|| {
        let id = |flag: &str| -> u32 {
            let out = Command::new("id").args([flag, "postgres"]).output().unwrap();
            String::from_utf8(out.stdout).unwrap().trim().parse().expect("a postgres user")
        };
        (id("-u"), id("-g"))
    });
    let as_server = |cmd: &mut Command| {
        if let Some((uid, gid)) = ids {
            cmd.uid(uid).gid(gid);
        }
    };
    if let Some((uid, gid)) = ids {
        for path in [d.to_path_buf(), d.join("server.key"), d.join("server.pem"), d.join("ca.pem")] {
            std::os::unix::fs::chown(&path, Some(uid), Some(gid)).unwrap();
        }
    }
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(d.join("server.key"), std::fs::Permissions::from_mode(0o600)).unwrap();
    let log = |name: &str| std::fs::File::create(d.join(name)).unwrap();
    let mut initdb = Command::new(bin.join("initdb"));
    initdb.arg("-D").arg(&data).args(["-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"]);
    initdb.stdout(log("initdb.log")).stderr(log("initdb.err"));
    as_server(&mut initdb);
    assert!(initdb.status().unwrap().success(), "initdb failed; logs in {}", d.display());
    // First match wins: the client certificate's user by certificate,
    // `secure` by password, everyone else as they say.
    std::fs::write(
        data.join("pg_hba.conf"),
        format!(
            "local all all trust\n\
             hostssl all client 127.0.0.1/32 cert\n\
             host all client 127.0.0.1/32 reject\n\
             host all secure 127.0.0.1/32 scram-sha-256\n\
             host all {NO_PASSWORD_USER} 127.0.0.1/32 trust\n\
             host all all 127.0.0.1/32 trust\n"
        ),
    )
    .unwrap();
    let port = free_port();
    let mut postgres = Command::new(bin.join("postgres"));
    postgres.arg("-D").arg(&data).args(["-p", &port.to_string()]).arg("-k").arg(d);
    for setting in [
        "listen_addresses=127.0.0.1".to_string(),
        "fsync=off".into(),
        "synchronous_commit=off".into(),
        "full_page_writes=off".into(),
        // Kept in the data dir, which goes with the server (not /dev/shm).
        "dynamic_shared_memory_type=mmap".into(),
        "max_connections=300".into(),
        "ssl=on".into(),
        format!("ssl_cert_file={}", d.join("server.pem").display()),
        format!("ssl_key_file={}", d.join("server.key").display()),
        format!("ssl_ca_file={}", d.join("ca.pem").display()),
    ] {
        postgres.arg("-c").arg(setting);
    }
    postgres.stdout(Stdio::null()).stderr(log("postgres.log"));
    as_server(&mut postgres);
    let child = postgres.spawn().expect("start postgres");
    let mut server = SqlServer {
        engine: Engine::Postgres,
        port,
        tls,
        socket: d.to_path_buf(),
        server: Server::new(port, child),
        dir,
    };
    let whole = server.dir.path().to_path_buf();
    server.server.kill_when_tests_end(&whole);
    server.wait_for("postgres", "SELECT 1");
    let me = login_name();
    if me != "postgres" {
        server.admin("postgres", &format!("CREATE ROLE \"{me}\" LOGIN SUPERUSER"));
    }
    server.admin(
        "postgres",
        &format!("CREATE ROLE secure LOGIN PASSWORD '{PASSWORD}'; CREATE ROLE client LOGIN; CREATE ROLE {NO_PASSWORD_USER} LOGIN"),
    );
    server.admin("postgres", &format!("CREATE DATABASE {DATABASE}"));
    server.admin(DATABASE, &format!("GRANT ALL ON SCHEMA public TO secure, client, {NO_PASSWORD_USER}"));
    Some(server)
}
