//! Replays the committed fuzz seed corpus through the fuzz targets' entry functions, so the
//! corpus and the invariants stay checked by a plain `cargo test` on stable Rust.

use std::path::Path;

/// A fuzz target's entry function.
type Entry = fn(&[u8]);

#[test]
fn replay_fuzz_corpus() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus");
    let targets: [(&str, Entry); 6] = [
        ("hacf", hb_config::fuzzing::hacf),
        ("haresources", hb_config::fuzzing::haresources),
        ("authkeys", hb_config::fuzzing::authkeys),
        ("cloud_conf", hb_config::fuzzing::cloud_conf),
        ("keepalived", hb_config::fuzzing::keepalived),
        ("arbiter_conf", hb_config::fuzzing::arbiter_conf),
    ];
    for (name, entry) in targets {
        let mut n = 0;
        for file in std::fs::read_dir(root.join(name)).expect("corpus dir") {
            let path = file.expect("dir entry").path();
            entry(&std::fs::read(&path).expect("corpus file"));
            n += 1;
        }
        assert!(n >= 6, "corpus for {name} has only {n} files");
    }
}

#[test]
fn seeds_are_accepted_by_their_parser() {
    // The seeds are valid files: a parser change that rejects them should be noticed.
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus");
    for file in std::fs::read_dir(root.join("hacf")).expect("corpus dir") {
        let path = file.expect("dir entry").path();
        let text = std::fs::read_to_string(&path).expect("utf-8 seed");
        let r = hb_config::hacf::parse_hacf(&path, &text, &Default::default());
        assert!(r.is_ok(), "{}: {:?}", path.display(), r.err());
    }
    for file in std::fs::read_dir(root.join("authkeys")).expect("corpus dir") {
        let path = file.expect("dir entry").path();
        let text = std::fs::read_to_string(&path).expect("utf-8 seed");
        assert!(hb_config::authkeys::parse_authkeys(&path, &text).is_ok(), "{}", path.display());
    }
    let mut kept = 0;
    for file in std::fs::read_dir(root.join("keepalived")).expect("corpus dir") {
        let path = file.expect("dir entry").path();
        let text = std::fs::read_to_string(&path).expect("utf-8 seed");
        let c = hb_config::keepalived::parse_keepalived_no_include(&path, &text);
        kept += c.map(|c| c.instances.len()).unwrap_or(0);
    }
    assert!(kept >= 6, "keepalived seeds give only {kept} instances");
    for file in std::fs::read_dir(root.join("haresources")).expect("corpus dir") {
        let path = file.expect("dir entry").path();
        let text = std::fs::read_to_string(&path).expect("utf-8 seed");
        assert!(
            hb_config::haresources::parse_haresources(&path, &text).is_ok(),
            "{}",
            path.display()
        );
    }
}
