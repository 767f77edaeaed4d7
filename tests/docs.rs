//! The committed completions/ and man/ must be what the CLI generates now.
//! Regenerate with: OVS_UPDATE_DOCS=1 cargo test --test docs

use std::path::Path;

fn files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> =
        std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    names
}

/// The repository root, its docs first regenerated when OVS_UPDATE_DOCS is set.
fn committed() -> &'static Path {
    static UPDATE: std::sync::Once = std::sync::Once::new();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    UPDATE.call_once(|| {
        if std::env::var_os("OVS_UPDATE_DOCS").is_some() {
            for sub in ["completions", "man"] {
                std::fs::remove_dir_all(root.join(sub)).unwrap();
            }
            ovs_config::docs::generate(root).unwrap();
        }
    });
    root
}

#[test]
fn committed_completions_and_man_pages_are_current() {
    let root = committed();
    let tmp = tempfile::tempdir().unwrap();
    ovs_config::docs::generate(tmp.path()).unwrap();
    for sub in ["completions", "man"] {
        let (fresh, committed) = (tmp.path().join(sub), root.join(sub));
        assert_eq!(
            files(&fresh),
            files(&committed),
            "{sub}/ has other files; run `OVS_UPDATE_DOCS=1 cargo test --test docs`"
        );
        for name in files(&fresh) {
            let want = std::fs::read(fresh.join(&name)).unwrap();
            let have = std::fs::read(committed.join(&name)).unwrap();
            assert!(want == have, "{sub}/{name} is stale; run `OVS_UPDATE_DOCS=1 cargo test --test docs`");
        }
    }
}

#[test]
fn the_man_page_documents_the_exit_codes() {
    let page = std::fs::read_to_string(committed().join("man/ovs.1")).unwrap();
    for code in ["validation rejected", "key not found", "conflict", "unreachable"] {
        assert!(page.contains(code), "man/ovs.1 lacks {code:?}");
    }
    assert!(page.contains(".SH \"EXIT STATUS\"") || page.contains(".SH EXIT STATUS"), "{page}");
}

#[test]
fn every_page_has_examples_and_names_only_pages_that_exist() {
    let man = committed().join("man");
    let pages = files(&man);
    for name in &pages {
        let page = std::fs::read_to_string(man.join(name)).unwrap();
        assert!(page.contains(".SH EXAMPLES"), "{name} has no EXAMPLES section");
        // Every "ovs-foo(1)" a page refers to is shipped.
        for (i, _) in page.match_indices("(1)") {
            let start = page[..i].rfind(|c: char| !(c.is_alphanumeric() || c == '-' || c == '\\')).map_or(0, |s| s + 1);
            let refers = page[start..i].replace("\\-", "-");
            if refers.starts_with("ovs") {
                assert!(pages.contains(&format!("{refers}.1")), "{name} refers to {refers}(1), which is not shipped");
            }
        }
    }
}

#[test]
fn completions_offer_no_hidden_or_internal_commands() {
    let completions = committed().join("completions");
    for name in files(&completions) {
        let text = std::fs::read_to_string(completions.join(&name)).unwrap();
        assert!(!text.contains("generate-docs") && !text.contains("generate_docs"), "{name}");
        assert!(text.contains("list-recursive"), "{name} lacks the commands");
    }
}
