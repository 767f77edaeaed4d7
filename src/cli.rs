//! The command line, as clap derives it. Nothing else lives here.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use crate::output::Format;
use crate::store::Key;

/// The after-help texts: examples for each command, and the exit codes for
/// `ovs` and `ovs config`. The man pages are made from the same texts, each
/// heading ("Examples:", "Exit codes:") becoming a section.
pub mod after_help {
    macro_rules! exit_codes {
        () => {
            "Exit codes:
  0  ok
  1  failure (I/O error, corrupt store, declined prompt, editor failed)
  2  usage (bad flag, bad key, bad store URL, bad document, bad config file, value or batch over the
     store's limits, a template's syntax or run-time error)
  3  validation rejected the value (or render --check refused the file); nothing was written
  4  key not found (render: a key the template reads without a default)
  5  conflict: the key changed (--if-revision, --if-absent, edit, apply); nothing was written
  6  store unreachable or timed out
  7  differences found (diff --exit-code, compare, render --dry-run)
  8  access denied: authentication or permission refused (wrong password or token, an ACL)
With several --store, a write that failed on some stores exits with the most severe code
among them (1, then 8, 6, 5, 4, 3, 2) and is kept in the outbox for `retry`."
        };
    }

    pub const OVS: &str = concat!(
        "Examples:
  ovs config set /ovs/framework/memcache 127.0.0.1:11211
  ovs config get -o json /ovs/framework/memcache
  ovs --store etcd://10.0.0.1:2379,10.0.0.2:2379 config list -r /ovs
  OVS_CONFIG_STORE=zk://10.0.0.1:2181/flocker ovs config edit /state

",
        exit_codes!()
    );
    pub const CONFIG: &str = concat!(
        "Examples:
  ovs config list /ovs/framework
  ovs config edit /ovs/framework/scheduling/celery

",
        exit_codes!()
    );
    pub const LIST: &str = "Examples:
  ovs config list /ovs/framework
  ovs config list -r /ovs/framework
  ovs config list -o json /ovs/framework";
    pub const LIST_RECURSIVE: &str = "Examples:
  ovs config list-recursive /ovs/framework";
    pub const GET: &str = "Examples:
  ovs config get /ovs/framework/memcache
  ovs config get -o json /ovs/framework/memcache
  ovs config get /ovs/framework/scheduling/celery --field /ovs.generic.execute_scrub/hour";
    pub const SET: &str = "Examples:
  ovs config set /ovs/framework/memcache 127.0.0.1:11211
  ovs config set /ovs/framework/scheduling/celery --file schedule.json
  generate-schedule | ovs config set /ovs/framework/scheduling/celery -
  ovs config set --if-revision 7 /ovs/framework/memcache 10.0.0.5:11211
  ovs config set --if-absent /ovs/framework/cluster_id abc123
  ovs config set --dry-run /ovs/framework/scheduling/celery --file schedule.json
  ovs config set /ovs/framework/scheduling/celery --field /ovs.generic.execute_scrub/hour '\"*/2\"'
  ovs config set /app/settings.json --field /log/level --string debug";
    pub const EDIT: &str = "Examples:
  ovs config edit /ovs/framework/scheduling/celery
  ovs config edit -r /ovs/vpools/pool1
  EDITOR='code --wait' ovs config edit /ovs/framework/memcache";
    pub const DELETE: &str = "Examples:
  ovs config delete /ovs/framework/memcache
  ovs config delete --if-revision 12 /ovs/framework/memcache
  ovs config delete -r --yes /ovs/framework/hosts/h2";
    pub const EXPORT: &str = "Examples:
  ovs config export /ovs/framework > framework.yaml
  ovs config export -o json /ovs/framework
  ovs config export --format consul / > for-consul-kv-import.json";
    pub const IMPORT: &str = "Examples:
  ovs config import framework.yaml
  ovs config import --prefix /ovs/staging framework.yaml
  consul kv export | ovs config import --format consul -
  ovs config import --chunked --dry-run big.yaml";
    pub const DIFF: &str = "Examples:
  ovs config diff framework.yaml
  ovs config diff --prune --exit-code framework.yaml || echo 'the store differs'";
    pub const APPLY: &str = "Examples:
  ovs config apply framework.yaml
  ovs config apply --prune --yes -o json framework.yaml";
    pub const VALIDATE: &str = "Examples:
  ovs config validate /ovs/framework/scheduling/celery --file schedule.json
  ovs config validate /ovs/framework/scheduling/celery";
    pub const SCHEDULE: &str = "Examples:
  ovs config schedule
  ovs config schedule --count 3 --tz Europe/Brussels
  ovs config schedule --at 2026-01-01T00:00:00Z -o json
  ovs config schedule --file schedule.json   # before `set`
  generate-schedule | ovs config schedule --file -";
    pub const STORES: &str = "Examples:
  ovs config stores";
    pub const PROFILES: &str = "Examples:
  ovs config profiles
  ovs --config /etc/ovs/config.yaml config profiles -o json
  ovs --profile cluster config list /ovs";
    pub const VALIDATORS: &str = "Examples:
  ovs config validators
  ovs config validators /flocker/node1/dataset
  ovs config validators -o json /ovs/framework/scheduling/celery";
    pub const OUTBOX: &str = "Examples:
  ovs config outbox
  ovs config outbox -o json";
    pub const RETRY: &str = "Examples:
  ovs config retry
  ovs --password-file /etc/ovs/password config retry -o json";
    pub const COPY: &str = "Examples:
  ovs config copy dir:///var/lib/flocker zk://10.0.0.1:2181/flocker
  ovs config copy --prefix /ovs --to-prefix /ovs-staging etcd://h1:2379 etcd://h2:2379
  ovs config copy --overwrite --chunked -o json sqlite:///srv/kv.db etcd://h1:2379";
    pub const COMPARE: &str = "Examples:
  ovs config compare etcd://h1:2379 zk://h1:2181 /ovs
  ovs --store etcd://h1:2379 --store zk://h1:2181 config compare /ovs
  ovs config compare -o json etcd://h1:2379 consul://h1:8500 || echo drift";
    pub const MIRROR: &str = "Examples:
  ovs config mirror etcd://h1:2379 zk://h1:2181 /ovs
  ovs config mirror --yes --watch etcd://h1:2379 consul://h1:8500 /ovs";
    pub const WATCH: &str = "Examples:
  ovs config watch /ovs/framework
  ovs config watch -o json --count 1 --timeout 30s /ovs/framework/scheduling
  ovs config watch /ovs/framework/scheduling --exec 'systemctl reload celery-beat'";
    pub const EXEC: &str = "Examples:
  ovs config exec --env /app/web -- gunicorn app:wsgi
  ovs config exec --env /app/web --env /shared --watch --wait 2s:10s -- /usr/bin/web-server
  ovs config exec --env /app/web --watch --signal HUP -- nginx -g 'daemon off;'

Without --watch ovs becomes CMD (execve). CMD's exit status is ovs's (128 + n when a signal
ended it); 127: CMD not found, 126: CMD cannot be run.";
    pub const RENDER: &str = "Examples:
  ovs config render haproxy.cfg.j2
  ovs config render haproxy.cfg.j2 --out /etc/haproxy/haproxy.cfg --check 'haproxy -c -f {src}' \\
      --reload 'systemctl reload haproxy'
  ovs config render agent.yml.j2 --out /etc/flocker/agent.yml --mode 0600 --dry-run
  ovs config render --all -o json
  ovs config render haproxy.cfg.j2 --out /etc/haproxy/haproxy.cfg --reload 'systemctl reload haproxy' \\
      --watch --wait 500ms:5s
  ovs config render --all --watch";
    pub const HISTORY: &str = "Examples:
  ovs --store etcd://h1:2379 config history /ovs/framework/memcache
  ovs --store etcd://h1:2379 config history /ovs/framework/memcache --show 41";
    pub const CONFORMANCE: &str = "Examples:
  ovs --store etcd://h1:2379 config conformance
  ovs --store arakoon://config@h1:26400,h2:26400 config conformance -o json
  ovs --store jsonfile:///tmp/conformance.json config conformance --prefix /ovs-check";
    pub const ROLLBACK: &str = "Examples:
  ovs --store etcd://h1:2379 config rollback /ovs/framework/scheduling/celery 41
  ovs --store etcd://h1:2379 config rollback --dry-run /ovs/framework/memcache 12";
}

#[derive(Debug, Parser)]
#[command(name = "ovs", version, about = "Manage cluster configuration held in key-value stores")]
#[command(after_long_help = after_help::OVS)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
pub struct Global {
    /// The config file (profiles, validators) [default: $XDG_CONFIG_HOME/ovs/config.yaml, else
    /// ~/.config/ovs/config.yaml, else /etc/ovs/config.yaml, if one exists]
    #[arg(long, env = "OVS_CONFIG_FILE", global = true, value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// The config file's profile to use [default: its default_profile]. A profile fills in only
    /// what flags and environment leave unset
    #[arg(long, env = "OVS_CONFIG_PROFILE", global = true, value_name = "NAME")]
    pub profile: Option<String>,
    #[arg(long = "store", env = "OVS_CONFIG_STORE", global = true, value_name = "URL", help = store_help())]
    pub stores: Vec<String>,
    /// How long to wait for the store (write lock, connection, request): seconds, or with a unit
    /// (500ms, 10s, 2m, 1h); for `watch`, also when to stop [default: 5]
    #[arg(long, global = true, value_name = "DURATION", value_parser = parse_duration)]
    pub timeout: Option<Duration>,
    /// User for etcd authentication, ZooKeeper digest auth or a MySQL/PostgreSQL login (or user@
    /// in the URL); the password comes from $OVS_CONFIG_PASSWORD or --password-file, never from
    /// the command line
    #[arg(long, env = "OVS_CONFIG_USER", global = true, value_name = "NAME")]
    pub user: Option<String>,
    /// Read the password from the first line of PATH
    #[arg(long, global = true, value_name = "PATH")]
    pub password_file: Option<PathBuf>,
    /// CA certificate (PEM) to verify the store's TLS certificate; implies TLS
    #[arg(long, env = "OVS_CONFIG_CACERT", global = true, value_name = "PATH")]
    pub cacert: Option<PathBuf>,
    /// Client certificate (PEM) for mutual TLS; needs --key
    #[arg(long, env = "OVS_CONFIG_CERT", global = true, value_name = "PATH", requires = "client_key")]
    pub cert: Option<PathBuf>,
    /// Client private key (PEM) for mutual TLS; needs --cert
    #[arg(long = "key", env = "OVS_CONFIG_KEY", global = true, value_name = "PATH", requires = "cert")]
    pub client_key: Option<PathBuf>,
    /// Largest value to write, in bytes, for a server set up to take more (or less) than the
    /// store's default limit (see `ovs config stores`)
    #[arg(long, env = "OVS_CONFIG_MAX_VALUE_SIZE", global = true, value_name = "BYTES")]
    pub max_value_size: Option<u64>,
    /// Log more to stderr (-v: what ovs does, -vv: also its libraries, and an error's every cause)
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
    /// Print only results and errors, no progress notes
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
}

/// `--store`'s help, its URL forms the registry's, so a new backend shows there by itself.
fn store_help() -> String {
    format!(
        "Store URL: {}; any other SCHEME://... runs the plugin ovs-store-SCHEME from PATH (see `ovs config \
         stores`) [default: the profile's stores, else dir://$XDG_DATA_HOME/ovs-config]. Give it several times \
         to write to every store at once (reads use the first)",
        crate::store::registry::url_forms()
    )
}

/// `--wait MIN[:MAX]`: act once no change came for MIN, but no later than
/// MAX after the first change of the burst.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Wait {
    pub min: Duration,
    pub max: Duration,
}

impl Wait {
    /// No waiting: act on each batch the store reports (one atomic write is
    /// one batch), with what else has already arrived.
    pub const OFF: Wait = Wait { min: Duration::ZERO, max: Duration::ZERO };

    /// `MIN` or `MIN:MAX`, each as `--timeout` takes it, or `0` (`0s`); MAX
    /// defaults to four times MIN (as consul-template's) and may not be
    /// below it.
    pub fn parse(text: &str) -> Result<Wait, String> {
        let duration = |part: &str| match part {
            "0" | "0s" | "0ms" => Ok(Duration::ZERO),
            part => parse_duration(part),
        };
        let (min, max) = match text.split_once(':') {
            Some((min, max)) => (duration(min)?, duration(max)?),
            None => {
                let min = duration(text)?;
                (min, min * 4)
            }
        };
        if max < min {
            return Err("MAX is below MIN".to_string());
        }
        Ok(Wait { min, max })
    }
}

/// Seconds (`5`, `0.5`) or a number with a unit (`500ms`, `10s`, `2m`, `1h`).
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let split = text.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let scale = match unit {
        "" | "s" => 1.0,
        "ms" => 0.001,
        "m" => 60.0,
        "h" => 3600.0,
        _ => return Err(format!("{text:?} is not a duration: seconds, or a number with ms, s, m or h")),
    };
    let number: f64 =
        number.parse().map_err(|_| format!("{text:?} is not a duration: seconds, or a number with ms, s, m or h"))?;
    let secs = number * scale;
    if !(secs > 0.0 && secs <= 86_400.0) {
        return Err("must be more than 0 and at most 24 hours".into());
    }
    Ok(Duration::from_secs_f64(secs))
}

/// Each subcommand's arguments are built only when it is the one invoked
/// (`defer`): clap otherwise builds and drops the whole tree on every run.
#[derive(Debug, Subcommand)]
#[command(defer = true)]
pub enum Command {
    /// Read and write configuration keys
    #[command(subcommand, after_long_help = after_help::CONFIG)]
    Config(ConfigCommand),
}

#[derive(Debug, Subcommand)]
#[command(defer = true)]
pub enum ConfigCommand {
    /// List the children of PREFIX (a child with keys below it ends in /), or with -r PREFIX itself and every key below it
    #[command(after_long_help = after_help::LIST)]
    List(ListArgs),
    /// List PREFIX itself and every key below it, full path (same as list -r)
    #[command(after_long_help = after_help::LIST_RECURSIVE)]
    ListRecursive(ListRecursiveArgs),
    /// Print the value of KEY, byte for byte (escaped on a terminal)
    #[command(after_long_help = after_help::GET)]
    Get(GetArgs),
    /// Validate and write a value from an argument, a file or stdin
    #[command(after_long_help = after_help::SET)]
    Set(SetArgs),
    /// Edit KEY in $VISUAL or $EDITOR; validate; write only if nobody changed it meanwhile
    #[command(after_long_help = after_help::EDIT)]
    Edit(EditArgs),
    /// Delete KEY, or with -r KEY and every key below it
    #[command(after_long_help = after_help::DELETE)]
    Delete(DeleteArgs),
    /// Run the validators on a value (or on the stored one) without writing
    #[command(after_long_help = after_help::VALIDATE)]
    Validate(ValidateArgs),
    /// Write PREFIX itself and every key below it, with its value, as one document (streamed)
    #[command(after_long_help = after_help::EXPORT)]
    Export(ExportArgs),
    /// Write every key of a document, creating or overwriting (never deleting), in one atomic commit
    #[command(after_long_help = after_help::IMPORT)]
    Import(ImportArgs),
    /// Show what applying a document would add, change and (with --prune) remove
    #[command(after_long_help = after_help::DIFF)]
    Diff(DiffArgs),
    /// Make the store hold a document: show the plan, ask, then commit it guarded and atomically
    #[command(after_long_help = after_help::APPLY)]
    Apply(ApplyArgs),
    /// List the writes that reached some stores but not others, kept for `retry`
    #[command(after_long_help = after_help::OUTBOX)]
    Outbox(OutboxArgs),
    /// Deliver the outbox's writes where the key is still as it was when the write failed
    #[command(after_long_help = after_help::RETRY)]
    Retry(RetryArgs),
    /// Copy a prefix and every key below it from one store to another, then read it back and verify
    #[command(after_long_help = after_help::COPY)]
    Copy(CopyArgs),
    /// Show the drift between two stores: keys only in one, and values that differ
    #[command(after_long_help = after_help::COMPARE)]
    Compare(CompareArgs),
    /// Make a store identical to another at and below a prefix, deletes included (--watch: keep it so)
    #[command(after_long_help = after_help::MIRROR)]
    Mirror(MirrorArgs),
    /// Print each change to PREFIX or below it as it happens (--exec: run a command after each batch)
    #[command(after_long_help = after_help::WATCH)]
    Watch(WatchArgs),
    /// Run a command with one environment variable per key below each --env PREFIX (--watch: restart it on change)
    #[command(after_long_help = after_help::EXEC)]
    Exec(ExecArgs),
    /// Render a template (Jinja2) from the store's values, to stdout or installed into a file
    #[command(after_long_help = after_help::RENDER)]
    Render(RenderArgs),
    /// List the past versions of KEY that the store keeps
    #[command(after_long_help = after_help::HISTORY)]
    History(HistoryArgs),
    /// Write the value KEY had at revision REV as a new revision, guarded by the current one
    #[command(after_long_help = after_help::ROLLBACK)]
    Rollback(RollbackArgs),
    /// Show when Celery beat will run each task of a schedule: its next run times, or disabled
    #[command(after_long_help = after_help::SCHEDULE)]
    Schedule(ScheduleArgs),
    /// List the store kinds this build supports, with their URL form
    #[command(after_long_help = after_help::STORES)]
    Stores(StoresArgs),
    /// List the config file's profiles (never a secret, only where it is read from)
    #[command(after_long_help = after_help::PROFILES)]
    Profiles(ProfilesArgs),
    /// List the validators that apply to KEY, or every one, in the order they run
    #[command(after_long_help = after_help::VALIDATORS)]
    Validators(ValidatorsArgs),
    /// Run the store contract's checks against the store (built-in or plugin) below a fresh prefix
    #[command(after_long_help = after_help::CONFORMANCE)]
    Conformance(ConformanceArgs),
}

impl ConfigCommand {
    /// What -o chose, read once to make the printer; plain for the commands
    /// that print no result (`validate`, whose answer is its exit code).
    pub fn output(&self) -> Format {
        use ConfigCommand::*;
        match self {
            List(a) => a.output,
            ListRecursive(a) => a.output,
            Get(a) => a.output,
            Set(a) => a.output,
            Edit(a) => a.output,
            Delete(a) => a.output,
            Validate(_) => Format::Plain,
            Export(a) => a.output,
            Import(a) => a.output,
            Diff(a) => a.output,
            Apply(a) => a.output,
            Outbox(a) => a.output,
            Retry(a) => a.output,
            Copy(a) => a.output,
            Compare(a) => a.output,
            Mirror(a) => a.output,
            Watch(a) => a.output,
            Exec(_) => Format::Plain,
            Render(a) => a.output,
            History(a) => a.output,
            Rollback(a) => a.output,
            Schedule(a) => a.output,
            Stores(a) => a.output,
            Profiles(a) => a.output,
            Validators(a) => a.output,
            Conformance(a) => a.output,
        }
    }
}

#[derive(Debug, Args)]
pub struct StoresArgs {
    /// plain: two lines per kind; json/yaml: each kind's schemes, URL form and capabilities
    #[arg(short, long, value_enum, default_value_t = Format::Plain)]
    pub output: Format,
}

#[derive(Debug, Args)]
pub struct ProfilesArgs {
    #[arg(short, long, value_enum, default_value_t = Format::Plain)]
    pub output: Format,
}

#[derive(Debug, Args)]
pub struct ValidatorsArgs {
    /// Only the validators whose pattern matches KEY
    pub key: Option<Key>,
    #[arg(short, long, value_enum, default_value_t = Format::Plain)]
    pub output: Format,
}

#[derive(Debug, Args)]
pub struct ConformanceArgs {
    /// Run below PREFIX, which must be empty and is deleted afterwards [default: a fresh
    /// /ovs-conformance-RANDOM]
    #[arg(long, value_name = "PREFIX")]
    pub prefix: Option<Key>,
    /// plain: a line per check (name, pass or FAIL, why); json/yaml: the whole report, on stdout
    #[arg(short, long, value_enum, default_value_t = Format::Plain)]
    pub output: Format,
}

#[derive(Debug, Args)]
pub struct OutboxArgs {
    #[arg(short, long, value_enum, default_value_t = Format::Plain)]
    pub output: Format,
}

#[derive(Debug, Args)]
pub struct RetryArgs {
    /// plain: a line per write on stderr; json/yaml: what became of each, on stdout
    #[arg(short, long, value_enum, default_value_t = Format::Plain)]
    pub output: Format,
}

#[derive(Debug, Args)]
pub struct CopyArgs {
    /// The store to copy from (a store URL)
    #[arg(value_name = "SRC_URL")]
    pub source: String,
    /// The store to copy to (a store URL)
    #[arg(value_name = "DST_URL")]
    pub destination: String,
    /// Copy PREFIX and the keys below it
    #[arg(long, value_name = "PREFIX", default_value = "/")]
    pub prefix: Key,
    /// Place them at PREFIX in the destination instead [default: --prefix]
    #[arg(long, value_name = "PREFIX")]
    pub to_prefix: Option<Key>,
    /// Overwrite destination keys whose value differs (else: refused, nothing written)
    #[arg(long)]
    pub overwrite: bool,
    /// Over the destination's atomic limits, copy in guarded chunks, rolled back if one fails
    #[arg(long)]
    pub chunked: bool,
    /// plain: counts on stderr; json/yaml: the counts and mismatched keys, on stdout
    #[arg(short, long, value_enum, default_value_t = Format::Plain)]
    pub output: Format,
}

#[derive(Debug, Args)]
pub struct CompareArgs {
    /// URL_A URL_B [PREFIX], or only [PREFIX] with two --store
    #[arg(value_name = "ARGS", num_args = 0..=3)]
    pub args: Vec<String>,
    #[arg(short, long, value_enum, default_value_t = Format::Plain)]
    pub output: Format,
}

#[derive(Debug, Args)]
pub struct MirrorArgs {
    /// The store to follow (a store URL)
    #[arg(value_name = "SRC_URL")]
    pub source: String,
    /// The store to make identical to it (a store URL)
    #[arg(value_name = "DST_URL")]
    pub destination: String,
    /// Mirror PREFIX and the keys below it
    #[arg(default_value = "/")]
    pub prefix: Key,
    /// Do not ask (required when stdin is not a terminal)
    #[arg(short, long)]
    pub yes: bool,
    /// Then keep following the source's changes, resuming after a restart
    #[arg(long)]
    pub watch: bool,
    /// Over the destination's atomic limits, apply in guarded chunks, rolled back if one fails
    #[arg(long)]
    pub chunked: bool,
    #[arg(short, long, value_enum, default_value_t = Format::Plain)]
    pub output: Format,
}

#[derive(Debug, Args)]
pub struct WatchArgs {
    /// Watch PREFIX and the keys below it (a key: that key)
    #[arg(default_value = "/")]
    pub prefix: Key,
    /// Stop after N changes
    #[arg(long, value_name = "N")]
    pub count: Option<u64>,
    /// Run CMD (with sh -c) after each batch of changes: the changed keys in $OVS_CHANGED_KEYS
    /// (newline-separated) and as JSON lines on its stdin; never two at once
    #[arg(long, value_name = "CMD")]
    pub exec: Option<String>,
    /// plain: `PUT key revision` / `DELETE key revision`; json: one object per change per line;
    /// yaml: one document per change
    #[arg(short, long, value_enum, default_value_t = Format::Plain)]
    pub output: Format,
}

#[derive(Debug, Args)]
pub struct ExecArgs {
    /// Give CMD a variable for each key below PREFIX, named from the key's path below PREFIX (`/`
    /// and `-` become `_`, upper-cased); repeat for several prefixes
    #[arg(long = "env", value_name = "PREFIX", required = true)]
    pub env: Vec<Key>,
    /// Keep following those keys: when they change, restart CMD with the new variables (SIGTERM,
    /// then SIGKILL after --timeout), or send it --signal
    #[arg(long)]
    pub watch: bool,
    /// With --watch: act once no change came for MIN, but no later than MAX after the first
    /// (durations as --timeout takes them; MAX defaults to 4 x MIN) [default: 0, act on each change]
    #[arg(long, value_name = "MIN[:MAX]", value_parser = Wait::parse, requires = "watch")]
    pub wait: Option<Wait>,
    /// With --watch: send CMD this signal (HUP, INT, QUIT, TERM, USR1, USR2) instead of restarting it;
    /// its environment stays as it was started
    #[arg(long, value_name = "NAME", value_parser = crate::interrupt::parse, requires = "watch")]
    pub signal: Option<i32>,
    /// The command and its arguments, after `--`
    #[arg(last = true, required = true, value_name = "CMD")]
    pub command: Vec<std::ffi::OsString>,
}

#[derive(Debug, Args)]
pub struct RenderArgs {
    /// The template file: Jinja2 syntax, with key(), exists(), keys(), tree() and the filters
    /// fromjson, fromyaml, tojson, toyaml
    #[arg(required_unless_present = "all")]
    pub template: Option<PathBuf>,
    /// Render every template the config file's `templates:` list declares, each into its
    /// destination
    #[arg(long, conflicts_with_all = ["template", "out", "check", "reload", "mode"])]
    pub all: bool,
    /// Install the result into FILE: staged beside it, checked, then renamed over it
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Before installing, run CMD (with sh -c; {src} is the staged file); if it fails, keep the
    /// old file and exit 3
    #[arg(long, value_name = "CMD", requires = "out")]
    pub check: Option<String>,
    /// After installing, run CMD (with sh -c), only when the content changed
    #[arg(long, value_name = "CMD", requires = "out")]
    pub reload: Option<String>,
    /// The installed file's mode, in octal (default: the old file's mode, else 0644)
    #[arg(long, value_name = "MODE", requires = "out", value_parser = parse_mode)]
    pub mode: Option<u32>,
    /// Write nothing: print a unified diff of the file against the new content; exit 7 if they
    /// differ
    #[arg(long)]
    pub dry_run: bool,
    /// Keep the file(s) current: install again whenever a key the template read (or one under a
    /// prefix it listed) changes; failures are logged and the old file kept; SIGHUP re-reads the
    /// templates, SIGTERM ends it (exit 0)
    #[arg(long, conflicts_with = "dry_run")]
    pub watch: bool,
    /// With --watch: render once no change came for MIN, but no later than MAX after the first
    /// (durations as --timeout takes them; MAX defaults to 4 x MIN) [default: 0, each change]
    #[arg(long, value_name = "MIN[:MAX]", value_parser = Wait::parse, requires = "watch")]
    pub wait: Option<Wait>,
    /// plain: the text (to stdout), the diff (--dry-run) or a line per file installed; json/yaml:
    /// each template's destination, whether it changed, reloaded, and its text or diff
    #[arg(short, long, value_enum, default_value_t = Format::Plain)]
    pub output: Format,
}

/// A file mode in octal, as chmod takes it: `644`, `0644`, `0o644`.
pub fn parse_mode(text: &str) -> Result<u32, String> {
    let digits = text.strip_prefix("0o").unwrap_or(text);
    match u32::from_str_radix(digits, 8) {
        Ok(mode) if mode <= 0o7777 && !digits.is_empty() => Ok(mode),
        _ => Err(format!("{text:?} is not a file mode in octal (e.g. 0644)")),
    }
}

#[derive(Debug, Args)]
pub struct HistoryArgs {
    pub key: Key,
    /// Print the value KEY had at revision REV
    #[arg(long, value_name = "REV")]
    pub show: Option<u64>,
    #[arg(short, long, value_enum, default_value_t = Format::Plain)]
    pub output: Format,
}

#[derive(Debug, Args)]
pub struct RollbackArgs {
    pub key: Key,
    /// The revision whose value to write back (from `history`)
    #[arg(value_name = "REV")]
    pub revision: u64,
    /// Validate and check, report, write nothing
    #[arg(long)]
    pub dry_run: bool,
    /// plain: a note on stderr; json/yaml: {"key", "revision", "from"} on stdout
    #[arg(short, long, value_enum, default_value_t = Format::Plain)]
    pub output: Format,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Prefix to list
    #[arg(default_value = "/")]
    pub prefix: Key,
    /// PREFIX itself and every key below it, full path
    #[arg(short, long)]
    pub recursive: bool,
    #[arg(short, long, value_enum, default_value_t = Format::Plain)]
    pub output: Format,
}

#[derive(Debug, Args)]
pub struct ListRecursiveArgs {
    /// Prefix to list
    #[arg(default_value = "/")]
    pub prefix: Key,
    #[arg(short, long, value_enum, default_value_t = Format::Plain)]
    pub output: Format,
}

#[derive(Debug, Args)]
pub struct GetArgs {
    pub key: Key,
    /// Print only the field at this JSON Pointer (RFC 6901, e.g. /task/hour) of a JSON or YAML
    /// value: a string as its text, anything else as JSON
    #[arg(long, value_name = "POINTER")]
    pub field: Option<String>,
    /// plain: the value as stored; json/yaml: key, value (or value_base64) and revision
    #[arg(short, long, value_enum, default_value_t = Format::Plain)]
    pub output: Format,
}

// Where a value comes from: an argument, `-` for stdin, or --file. (Not a
// doc comment: it would become the about text of the commands that flatten it.)
#[derive(Debug, Args)]
pub struct ValueSource {
    /// The value; - reads stdin
    #[arg(conflicts_with = "file")]
    pub value: Option<String>,
    /// Read the value from PATH
    #[arg(short, long, value_name = "PATH")]
    pub file: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct SetArgs {
    pub key: Key,
    #[command(flatten)]
    pub source: ValueSource,
    /// Write only if KEY is still at revision REV (from get -o json)
    #[arg(long, value_name = "REV", conflicts_with = "if_absent")]
    pub if_revision: Option<u64>,
    /// Create only: fail with exit 5 if KEY exists
    #[arg(long, conflicts_with = "field")]
    pub if_absent: bool,
    /// Set only the field at this JSON Pointer (RFC 6901) of KEY's JSON or YAML value, to VALUE
    /// as JSON; the rest of the value is kept, and the write is guarded by the revision read
    /// (retried on a concurrent change, then exit 5)
    #[arg(long, value_name = "POINTER")]
    pub field: Option<String>,
    /// With --field: VALUE is a string, not JSON
    #[arg(long, requires = "field")]
    pub string: bool,
    /// Validate and check the precondition, report, write nothing
    #[arg(long)]
    pub dry_run: bool,
    /// plain: a note on stderr; json/yaml: {"key", "written", "revision"}, or with several --store
    /// {"key", "stores": [...]}, on stdout
    #[arg(short, long, value_enum, default_value_t = Format::Plain)]
    pub output: Format,
}

#[derive(Debug, Args)]
pub struct EditArgs {
    pub key: Key,
    /// Edit KEY and every key below it as one document; on save, apply the difference as
    /// `apply --prune` would
    #[arg(short, long)]
    pub recursive: bool,
    /// plain: a note on stderr; json/yaml: what was written (as `set` or `apply` reports it), on stdout
    #[arg(short, long, value_enum, default_value_t = Format::Plain)]
    pub output: Format,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Prefix to export (itself, as the key '', and every key below it)
    #[arg(default_value = "/")]
    pub prefix: Key,
    /// plain or yaml: the document in YAML; json: in JSON (ovs format; consul format is always JSON)
    #[arg(short, long, value_enum, default_value_t = Format::Plain)]
    pub output: Format,
    /// ovs: ovs's own document; consul: `consul kv export`'s JSON array
    #[arg(long, value_enum, default_value_t = crate::document::Dialect::Ovs)]
    pub format: crate::document::Dialect,
}

// A document to read, and how. (Not a doc comment: see ValueSource.)
#[derive(Debug, Args)]
pub struct DocumentSource {
    /// The document file; - reads stdin
    #[arg(value_name = "FILE")]
    pub file: String,
    /// ovs: ovs's own document (YAML or JSON); consul: `consul kv export`'s JSON array
    #[arg(long, value_enum, default_value_t = crate::document::Dialect::Ovs)]
    pub format: crate::document::Dialect,
    /// Place the document's keys below PREFIX instead of its own prefix
    #[arg(long, value_name = "PREFIX")]
    pub prefix: Option<Key>,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    #[command(flatten)]
    pub source: DocumentSource,
    /// Validate and plan, report, write nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Over the store's atomic limits, apply in guarded chunks, rolled back if one fails
    #[arg(long)]
    pub chunked: bool,
    /// plain: a note on stderr; json/yaml: the plan and what was written, on stdout
    #[arg(short, long, value_enum, default_value_t = Format::Plain)]
    pub output: Format,
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    #[command(flatten)]
    pub source: DocumentSource,
    /// Also show keys at or below the document's prefix that it does not hold, as removed
    #[arg(long)]
    pub prune: bool,
    /// Exit 7 when something would change (0 when nothing would)
    #[arg(long)]
    pub exit_code: bool,
    #[arg(short, long, value_enum, default_value_t = Format::Plain)]
    pub output: Format,
}

#[derive(Debug, Args)]
pub struct ApplyArgs {
    #[command(flatten)]
    pub source: DocumentSource,
    /// Also remove keys at or below the document's prefix that it does not hold
    #[arg(long)]
    pub prune: bool,
    /// Do not ask (required when stdin is not a terminal)
    #[arg(short, long)]
    pub yes: bool,
    /// Over the store's atomic limits, apply in guarded chunks, rolled back if one fails
    #[arg(long)]
    pub chunked: bool,
    /// plain: the plan and a note on stderr; json/yaml: the plan and what was written, on stdout
    #[arg(short, long, value_enum, default_value_t = Format::Plain)]
    pub output: Format,
}

#[derive(Debug, Args)]
pub struct DeleteArgs {
    pub key: Key,
    /// Delete KEY and every key below it (never /foobar for /foo)
    #[arg(short, long, conflicts_with = "if_revision")]
    pub recursive: bool,
    /// Do not ask for confirmation (required for -r when stdin is not a terminal)
    #[arg(short, long)]
    pub yes: bool,
    /// Delete only if KEY is still at revision REV
    #[arg(long, value_name = "REV")]
    pub if_revision: Option<u64>,
    /// plain: a note on stderr; json/yaml: {"key", "written", "revision", "deleted"}, or with several
    /// --store {"key", "stores": [...]}, on stdout
    #[arg(short, long, value_enum, default_value_t = Format::Plain)]
    pub output: Format,
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    pub key: Key,
    /// Without VALUE or --file, the stored value is checked
    #[command(flatten)]
    pub source: ValueSource,
}

#[derive(Debug, Args)]
pub struct ScheduleArgs {
    /// The key holding the Celery schedule
    #[arg(default_value = crate::validate::CELERY_SCHEDULE_KEY)]
    pub key: Key,
    /// Preview the schedule in PATH (- reads stdin) instead of the stored one
    #[arg(short, long, value_name = "PATH")]
    pub file: Option<PathBuf>,
    /// How many run times to show per task
    #[arg(long, value_name = "N", default_value_t = 5, value_parser = clap::value_parser!(u16).range(1..=1000))]
    pub count: u16,
    /// Show the runs after TIME (RFC 3339, e.g. 2026-01-01T00:00:00Z) [default: now]
    #[arg(long, value_name = "TIME", value_parser = rfc3339)]
    pub at: Option<chrono::DateTime<chrono::FixedOffset>>,
    /// The time zone Celery evaluates the crontab in (its `timezone` setting): an IANA name
    #[arg(long, value_name = "ZONE", default_value = "UTC", value_parser = time_zone)]
    pub tz: chrono_tz::Tz,
    /// plain: a block per task; json/yaml: {"TASK": {"enabled", "next": [TIME...]}}
    #[arg(short, long, value_enum, default_value_t = Format::Plain)]
    pub output: Format,
}

fn rfc3339(text: &str) -> Result<chrono::DateTime<chrono::FixedOffset>, String> {
    chrono::DateTime::parse_from_rfc3339(text)
        .map_err(|e| format!("{e}: expected an RFC 3339 time such as 2026-01-01T00:00:00Z"))
}

fn time_zone(text: &str) -> Result<chrono_tz::Tz, String> {
    text.parse().map_err(|_| "unknown time zone: expected an IANA name such as UTC or Europe/Brussels".to_string())
}
