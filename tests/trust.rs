//! Files whose contents ovs acts on are refused, as ssh refuses its config,
//! when a user other than the invoking one or root can write them: the
//! config file (its command validators run as the invoking user), a schema
//! file, and the program a command validator runs (and the files its
//! command line names). Refused means exit 2, one line naming the file, its
//! owner and its mode, and nothing run or written.

mod util;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use util::{user_config, Env};

fn chmod(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// An executable that accepts every value.
fn program(path: &Path) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, "#!/bin/sh\ncat >/dev/null\nexit 0\n").unwrap();
    chmod(path, 0o755);
}

/// The uid of `nobody`, when this test may give it a file (only root can).
fn nobody() -> Option<u32> {
    if unsafe { libc::geteuid() } != 0 {
        assert!(std::env::var("CI").as_deref() != Ok("true"), "CI runs the tests as root, to chown files to nobody");
        eprintln!("not root: the cases of a file owned by another user are left out");
        return None;
    }
    let out = std::process::Command::new("id").args(["-u", "nobody"]).output().unwrap();
    Some(String::from_utf8(out.stdout).unwrap().trim().parse().unwrap())
}

/// `set KEY v` is refused with exit 2 on one line holding every `wanted`,
/// and the key is not written.
fn refused(env: &Env, key: &str, wanted: &[&str]) {
    let out = env.config(&["set", key, "v"]).assert().code(2).get_output().clone();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    for w in wanted {
        assert!(err.contains(w), "wanted {w:?} in {err}");
    }
    // Read without the config file, which is refused too.
    env.config(&["get", key]).env("OVS_CONFIG_FILE", "/dev/null").assert().code(4);
}

#[test]
fn a_config_file_others_can_write_is_refused_before_its_validator_runs() {
    let env = Env::new();
    let pwned = env.path().join("PWNED");
    let config = user_config(
        &env,
        &format!("validators:\n  - {{pattern: /a, kind: command, command: 'touch {}'}}\n", pwned.display()),
    );
    let shown = config.display().to_string();
    chmod(&config, 0o666);
    refused(&env, "/a", &[&shown, "owner root", "mode 0666"]);
    // Every command reads the file, even those that only list it.
    env.config(&["profiles"]).assert().code(2);
    env.config(&["get", "/a"]).env("OVS_CONFIG_FILE", &config).assert().code(2);
    assert!(!pwned.exists(), "the validator ran");
    if let Some(nobody) = nobody() {
        chmod(&config, 0o644);
        std::os::unix::fs::chown(&config, Some(nobody), None).unwrap();
        refused(&env, "/a", &[&shown, "owned by nobody", "mode 0644"]);
        assert!(!pwned.exists(), "the validator ran");
        std::os::unix::fs::chown(&config, Some(0), None).unwrap();
    }
    // A folder above it that others can write is as bad as the file.
    chmod(&config, 0o644);
    let folder = config.parent().unwrap();
    chmod(folder, 0o777);
    refused(&env, "/a", &[&shown, &format!("the folder {}", folder.display()), "0777"]);
    assert!(!pwned.exists(), "the validator ran");
    // Only the owner (or root) can write it: it is read, and its validator runs.
    chmod(folder, 0o755);
    env.set("/a", "v");
    assert!(pwned.exists());
    // /dev/null is the usual way to say "no config file": it holds nothing.
    env.config(&["get", "/a"]).env("OVS_CONFIG_FILE", "/dev/null").assert().success();
}

#[test]
fn a_schema_file_others_can_write_is_refused() {
    let env = Env::new();
    let config = user_config(&env, "validators:\n  - {pattern: /a, kind: json-schema, schema: schema.json}\n");
    let schema = config.parent().unwrap().join("schema.json");
    std::fs::write(&schema, r#"{"type": "object"}"#).unwrap();
    chmod(&schema, 0o646);
    refused(&env, "/a", &["schema file", &schema.display().to_string(), "mode 0646"]);
    if let Some(nobody) = nobody() {
        chmod(&schema, 0o644);
        std::os::unix::fs::chown(&schema, Some(nobody), None).unwrap();
        refused(&env, "/a", &["schema file", "owned by nobody"]);
        std::os::unix::fs::chown(&schema, Some(0), None).unwrap();
    }
    chmod(&schema, 0o644);
    env.set("/a", "{}");
}

#[test]
fn a_validator_program_others_can_write_is_refused_however_the_command_names_it() {
    let env = Env::new();
    let open = env.path().join("open");
    let script = open.join("check.sh");
    program(&script);
    chmod(&open, 0o777);
    let open_folder = format!("the folder {}", open.display());
    let path = format!("{}:{}", open.display(), std::env::var("PATH").unwrap());
    let declared = |command: &str| {
        user_config(&env, &format!("validators:\n  - {{pattern: /a, kind: command, command: {command}}}\n"));
    };
    for command in [
        // The program, by path; by name, found through PATH.
        format!("[{}]", script.display()),
        "[check.sh, --strict]".to_string(),
        // A shell line: the program of each command in it, and the files it names.
        "'check.sh \"$1\"'".to_string(),
        "'cat >/dev/null && check.sh'".to_string(),
        format!("'sh {} \"$1\" 2>/dev/null'", script.display()),
        format!("[sh, {}]", script.display()),
    ] {
        declared(&command);
        let out = env.config(&["set", "/a", "v"]).env("PATH", &path).assert().code(2).get_output().clone();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.lines().count() == 1 && err.contains("validator program") && err.contains(&open_folder),
            "{command}: {err}"
        );
    }
    env.config(&["get", "/a"]).env("OVS_CONFIG_FILE", "/dev/null").assert().code(4);
    // The program itself writable by others, in a folder only root can write.
    let shut = env.path().join("shut/check.sh");
    program(&shut);
    chmod(&shut, 0o777);
    declared(&format!("[{}]", shut.display()));
    refused(&env, "/a", &["validator program", &shut.display().to_string(), "mode 0777"]);
    if let Some(nobody) = nobody() {
        chmod(&shut, 0o755);
        std::os::unix::fs::chown(&shut, Some(nobody), None).unwrap();
        refused(&env, "/a", &["validator program", "owned by nobody"]);
        std::os::unix::fs::chown(&shut, Some(0), None).unwrap();
    }
    // Trusted, it runs; so do shell lines with builtins and redirections.
    chmod(&shut, 0o755);
    env.set("/a", "v");
    declared("'test -n \"$1\" && cat >/dev/null 2>&1; exit 0'");
    env.set("/a", "w");
}
