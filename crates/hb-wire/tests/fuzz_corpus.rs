//! Replays the committed fuzz seed corpus through the fuzz targets' own entry functions, and
//! checks that the seeds are what they claim: real captured datagrams that open (netstring)
//! and their classic renderings that open too.

mod common;

#[path = "../fuzz/entry.rs"]
mod entry;

use std::path::{Path, PathBuf};

use hb_wire::{AuthMethod, WireFormat};

fn corpus(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus").join(target);
    let mut files: Vec<PathBuf> = match std::fs::read_dir(&dir) {
        Ok(entries) => entries.filter_map(|e| e.ok().map(|e| e.path())).collect(),
        Err(e) => panic!("{}: {e}", dir.display()),
    };
    files.sort();
    assert!(files.len() >= 20, "{target}: corpus too small");
    files
        .into_iter()
        .map(|p| match std::fs::read(&p) {
            Ok(data) => (p, data),
            Err(e) => panic!("{}: {e}", p.display()),
        })
        .collect()
}

fn method_of_seed(path: &Path) -> Option<AuthMethod> {
    let name = path.file_name()?.to_string_lossy().into_owned();
    if name.starts_with("9") {
        None // hand-written structure seeds, unsigned
    } else if name.ends_with("-crc") {
        Some(AuthMethod::Crc)
    } else if name.ends_with("-md5") {
        Some(AuthMethod::Md5)
    } else {
        Some(AuthMethod::Sha1)
    }
}

fn replay(target: &str, run: fn(&[u8]), format: WireFormat) {
    for (path, data) in corpus(target) {
        run(&data);
        let decoded = hb_wire::decode(&data);
        assert!(decoded.is_ok(), "{}: {decoded:?}", path.display());
        if let Some(method) = method_of_seed(&path) {
            let opened = common::lab_auth(method).open(&data);
            assert!(
                opened.as_ref().is_ok_and(|v| v.format() == format),
                "{}: {opened:?}",
                path.display()
            );
        }
    }
}

#[test]
fn netstring_corpus_replays() {
    replay("decode_netstring", entry::netstring, WireFormat::Netstring);
}

#[test]
fn classic_corpus_replays() {
    replay("decode_classic", entry::classic, WireFormat::Classic);
}

#[test]
fn entries_survive_mutated_seeds() {
    // A cheap deterministic stand-in for the fuzzer in CI: every seed truncated at every
    // length and with each byte replaced by a few interesting values.
    for (target, run) in [
        ("decode_netstring", entry::netstring as fn(&[u8])),
        ("decode_classic", entry::classic as fn(&[u8])),
    ] {
        for (_, data) in corpus(target).into_iter().take(4) {
            for len in 0..data.len() {
                run(&data[..len]);
            }
            for pos in 0..data.len() {
                for b in [0u8, b'\n', b',', b':', b'9', b'(', b'=', 0x14, 0xff] {
                    let mut m = data.clone();
                    m[pos] = b;
                    run(&m);
                }
            }
        }
    }
}
