//! `hbctl decode-packet` end to end, with datagrams captured from real heartbeat 3.0.6
//! (HEARTBEAT-PROTOCOL.md §11).

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

const N1_UUID: [u8; 16] = [
    0xbf, 0xf7, 0x03, 0x42, 0x52, 0x90, 0x4f, 0x13, 0x8f, 0xb4, 0x58, 0xc5, 0x8e, 0x67, 0x63, 0xaf,
];

fn sha1_status() -> Vec<u8> {
    let mut v = b"###\n11:(0)t=status,12:(0)st=active,10:(0)dt=2ee0,13:(0)protocol=1,9:(0)src=n1,27:(1)srcuuid=".to_vec();
    v.extend_from_slice(&N1_UUID);
    v.extend_from_slice(b",8:(0)seq=6,14:(0)hg=6b03d216,14:(0)ts=6b03de20,29:(0)ld=0.12 0.14 0.20 7/105 37,8:(0)ttl=3,50:(0)auth=1 69f075ab707066ec43c711b36464fd4641a59cf6,%%%\n42:1 59e0392d54d4ba5b0bff8dd944937c054861710f,");
    v
}

fn crc_status() -> Vec<u8> {
    let mut v = b"###\n11:(0)t=status,12:(0)st=active,10:(0)dt=2ee0,13:(0)protocol=1,9:(0)src=n1,27:(1)srcuuid=".to_vec();
    v.extend_from_slice(&N1_UUID);
    v.extend_from_slice(b",8:(0)seq=6,14:(0)hg=6b03d215,14:(0)ts=6b03de0d,28:(0)ld=0.16 0.15 0.20 2/99 37,8:(0)ttl=3,18:(0)auth=1 1268d63a,%%%\n10:1 78b49b08,");
    v
}

/// A private scratch directory, removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new(tag: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!("hbctl-decode-{}-{tag}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        Scratch(dir)
    }

    fn file(&self, name: &str, data: &[u8]) -> PathBuf {
        let path = self.0.join(name);
        std::fs::write(&path, data).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        path
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn hbctl(args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_hbctl"))
        .arg("decode-packet")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("spawn hbctl: {e}"));
    if let Some(mut pipe) = child.stdin.take() {
        if let Some(data) = stdin {
            pipe.write_all(data).unwrap_or_else(|e| panic!("stdin: {e}"));
        }
    }
    child.wait_with_output().unwrap_or_else(|e| panic!("wait hbctl: {e}"))
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn binary_file_parses_and_verifies() {
    let s = Scratch::new("bin");
    let keys = s.file("authkeys", b"# lab\nauth 1\n1 sha1 la-lab-secret\n");
    let pkt = s.file("pkt", &sha1_status());
    let out = hbctl(&["--authkeys", path(&keys), path(&pkt)], None);
    let text = stdout(&out);
    assert!(out.status.success(), "{text}{}", String::from_utf8_lossy(&out.stderr));
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "format: netstring");
    assert_eq!(lines[1], "t=status");
    assert!(lines.contains(&"(1)srcuuid=bff7034252904f138fb458c58e6763af"));
    assert!(lines.contains(&"ld=0.12 0.14 0.20 7/105 37"));
    assert!(lines.contains(&"auth=1 69f075ab707066ec43c711b36464fd4641a59cf6"));
    assert_eq!(lines.last(), Some(&"auth: ok (key 1, sha1)"));
}

#[test]
fn hex_dump_on_stdin_parses_and_verifies() {
    let s = Scratch::new("hex");
    let keys = s.file("authkeys", b"auth 1\n1 crc\n");
    let dump: String = crc_status()
        .chunks(16)
        .map(|row| row.iter().map(|b| format!("{b:02x} ")).collect::<String>() + "\n")
        .collect();
    let out =
        hbctl(&["--authkeys", path(&keys), "--format", "netstring", "-"], Some(dump.as_bytes()));
    let text = stdout(&out);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("\ntrailer: 1 78b49b08\n"));
    assert!(text.ends_with("auth: ok (key 1, crc)\n"));
}

#[test]
fn wrong_key_prints_the_exact_failure_and_fails() {
    let s = Scratch::new("badkey");
    let keys = s.file("authkeys", b"auth 1\n1 sha1 not-the-secret\n");
    let pkt = s.file("pkt", &sha1_status());
    let out = hbctl(&["--authkeys", path(&keys), path(&pkt)], None);
    assert!(!out.status.success());
    let text = stdout(&out);
    assert!(text.contains("t=status\n"), "fields are still shown: {text}");
    assert!(text.ends_with("auth: failed: bad digest for key 1 (sha1)\n"), "{text}");

    let keys = s.file("authkeys2", b"auth 2\n2 sha1 la-lab-secret\n");
    let out = hbctl(&["--authkeys", path(&keys), path(&pkt)], None);
    assert!(!out.status.success());
    assert!(stdout(&out).ends_with("auth: failed: unknown auth key index 1\n"));
}

#[test]
fn format_mismatch_and_garbage_fail() {
    let s = Scratch::new("bad");
    let keys = s.file("authkeys", b"auth 1\n1 sha1 la-lab-secret\n");
    let pkt = s.file("pkt", &sha1_status());
    let out = hbctl(&["--authkeys", path(&keys), "--format", "classic", path(&pkt)], None);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("not Classic"));

    let mut broken = sha1_status();
    broken[4] = b'x';
    let pkt = s.file("broken", &broken);
    let out = hbctl(&["--authkeys", path(&keys), path(&pkt)], None);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("malformed netstring at offset 4"), "{err}");
}

#[test]
fn authkeys_errors_name_the_line() {
    let s = Scratch::new("keys");
    let keys = s.file("authkeys", b"auth 1\n1 sha256 x\n");
    let pkt = s.file("pkt", &sha1_status());
    let out = hbctl(&["--authkeys", path(&keys), path(&pkt)], None);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("authkeys:2:3: unknown method `sha256`; expected crc, md5 or sha1"),
        "{err}"
    );
}

fn path(p: &std::path::Path) -> &str {
    p.to_str().unwrap_or_else(|| panic!("non-UTF-8 path"))
}
