//! Replays the committed fuzz seed corpus through the fuzz target's own entry function, and
//! checks that the captured seeds (names not starting with 9) really parse, so the target
//! starts from valid adverts and reaches the engine.
// Test helpers outside #[test] functions unwrap freely: a bad fixture should fail loudly.
#![allow(clippy::unwrap_used)]

#[path = "../fuzz/entry.rs"]
mod entry;

use std::path::{Path, PathBuf};

#[test]
fn seed_corpus_replays_and_captured_seeds_parse() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus/parse_advert");
    let mut files: Vec<PathBuf> =
        std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    let (mut replayed, mut parsed) = (0, 0);
    for path in &files {
        let data = std::fs::read(path).unwrap();
        entry::parse_advert(&data);
        replayed += 1;
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if !name.starts_with('9') {
            let (src, dst) = entry::addresses(data[0]);
            let r = hb_vrrp::Advert::parse(&data[1..], src, dst);
            assert!(r.is_ok(), "{name}: {r:?}");
            parsed += 1;
        }
    }
    println!("fuzz seeds replayed: {replayed}, captured seeds that parse: {parsed}");
    assert!(replayed >= 16 && parsed >= 12, "corpus too small: {replayed}/{parsed}");
}
