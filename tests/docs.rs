//! The committed completions/ and man/ must be what the CLI generates now.
//! Regenerate with: cargo run -- generate-docs .

use std::path::Path;

fn files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> =
        std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    names
}

#[test]
fn committed_completions_and_man_pages_are_current() {
    let tmp = tempfile::tempdir().unwrap();
    assert_cmd::Command::cargo_bin("ovs").unwrap().arg("generate-docs").arg(tmp.path()).assert().success();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for sub in ["completions", "man"] {
        let (fresh, committed) = (tmp.path().join(sub), root.join(sub));
        assert_eq!(files(&fresh), files(&committed), "{sub}/ has other files; run `cargo run -- generate-docs .`");
        for name in files(&fresh) {
            let want = std::fs::read(fresh.join(&name)).unwrap();
            let have = std::fs::read(committed.join(&name)).unwrap();
            assert!(want == have, "{sub}/{name} is stale; run `cargo run -- generate-docs .`");
        }
    }
}

#[test]
fn the_man_page_documents_the_exit_codes() {
    let page = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("man/ovs.1")).unwrap();
    for code in ["validation rejected", "key not found", "conflict", "unreachable"] {
        assert!(page.contains(code), "man/ovs.1 lacks {code:?}");
    }
}
