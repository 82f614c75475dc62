use std::path::Path;

use proptest::prelude::*;

use super::*;

fn parse(text: &str) -> Result<(AuthKeys, Vec<Warning>), String> {
    parse_authkeys(Path::new("authkeys"), text).map_err(|e| e.to_string())
}

fn err(text: &str) -> String {
    parse(text).err().unwrap_or_else(|| panic!("accepted: {text}"))
}

fn idx(n: u8) -> KeyIndex {
    KeyIndex::new(n).unwrap()
}

#[test]
fn typical_file() {
    let (k, w) = parse("# comment\n\nauth 1\n1 sha1 topsecret\n").unwrap();
    assert!(w.is_empty());
    assert_eq!(k.active().index(), idx(1));
    assert_eq!(k.active().method(), AuthMethod::Sha1);
    assert_eq!(k.active().secret().as_bytes(), b"topsecret");
}

#[test]
fn several_keys_all_verify_and_auth_picks_the_signer() {
    let (k, _) = parse("auth 2\n1 crc\n2 md5 key-two\n15 sha1 k15 \n").unwrap();
    assert_eq!(k.active().index(), idx(2));
    assert_eq!(k.active().method(), AuthMethod::Md5);
    let idxs: Vec<u8> = k.keys().iter().map(|k| k.index().get()).collect();
    assert_eq!(idxs, vec![1, 2, 15]);
    assert!(k.get(idx(1)).unwrap().secret().as_bytes().is_empty());
}

#[test]
fn heartbeat_order_quirk_auth_must_precede_its_key() {
    assert_eq!(
        err("1 sha1 abc\nauth 1\n"),
        "authkeys:2:1: auth 1 comes after the line defining key 1; heartbeat 3.0.6 ignores it then, so put `auth 1` first"
    );
    let (k, w) = parse("auth 1\n1 sha1 a\nauth 2\n").unwrap();
    assert_eq!(k.active().index(), idx(1));
    assert_eq!(
        w[0].to_string(),
        "authkeys:3:1: warning: auth 2 has no effect (key 2 is not defined after it); key 1 signs"
    );
}

#[test]
fn errors_name_line_and_column() {
    assert_eq!(
        err("auth 1\n1 sha1\n"),
        "authkeys:2:7: method sha1 requires a key; expected `1 sha1 KEY`"
    );
    assert_eq!(
        err("auth 1\n1 crc abc\n"),
        "authkeys:2:7: method crc does not use a key; expected `N crc`"
    );
    assert_eq!(
        err("auth 1\n1 sha256 abc\n"),
        "authkeys:2:3: unknown method `sha256`; expected crc, md5 or sha1"
    );
    assert_eq!(err("auth 16\n"), "authkeys:1:6: invalid key index `16`; expected 0–15");
    assert_eq!(
        err("auth 1\n  16 crc\n"),
        "authkeys:2:3: unexpected `16`; expected `auth N` or `N METHOD [KEY]` with N in 0–15"
    );
    assert_eq!(
        err("1 crc\n"),
        "authkeys:2:1: no `auth N` line; expected `auth N` naming the signing key"
    );
    assert_eq!(
        err("auth 3\n1 crc\n"),
        "authkeys:1:1: auth 3: key 3 is not defined; expected a line `3 METHOD [KEY]`"
    );
    assert_eq!(
        err("auth\n"),
        "authkeys:1:1: `auth` needs a key index; expected `auth N` with N in 0–15"
    );
}

#[test]
fn redefinition_and_trailing_text_warn() {
    let (k, w) = parse("auth 1\n1 md5 a\n1 sha1 b extra\n").unwrap();
    assert_eq!(k.active().method(), AuthMethod::Sha1);
    let w: Vec<String> = w.iter().map(|w| w.to_string()).collect();
    assert_eq!(
        w,
        vec![
        "authkeys:3:10: warning: text after the key is ignored (a key is one word)",
        "authkeys:3:1: warning: key 1 redefined (first defined at line 2); the later one is used",
    ]
    );
}

#[test]
fn mode_check() {
    let p = Path::new("/etc/ha.d/authkeys");
    assert!(check_mode(p, 0o100600).is_ok());
    assert!(check_mode(p, 0o400).is_ok());
    assert!(check_mode(p, 0o700).is_ok());
    for bad in [0o644, 0o640, 0o604, 0o620, 0o602, 0o666] {
        assert!(check_mode(p, bad).is_err(), "{bad:o}");
    }
    let e = parse_authkeys_with_mode(p, 0o100644, "auth 1\n1 crc\n").unwrap_err();
    assert_eq!(
        e.to_string(),
        "/etc/ha.d/authkeys: mode 0644 lets group or others access the keys; run `chmod 600 /etc/ha.d/authkeys` (heartbeat refuses such a file)"
    );
    assert!(parse_authkeys_with_mode(p, 0o600, "auth 1\n1 crc\n").is_ok());
}

#[test]
fn secret_debug_is_redacted() {
    let (k, _) = parse("auth 1\n1 sha1 hunter2\n").unwrap();
    assert!(!format!("{k:?}").contains("hunter2"));
}

fn arb_key() -> impl Strategy<Value = AuthKey> {
    (0u8..16, 0u8..3, "[!-~]{1,40}").prop_map(|(i, m, s)| {
        let method = [AuthMethod::Crc, AuthMethod::Md5, AuthMethod::Sha1][usize::from(m)];
        let secret = if method == AuthMethod::Crc { String::new() } else { s.replace('#', "x") };
        AuthKey::new(idx(i), method, secret.as_bytes()).unwrap()
    })
}

proptest! {
    #[test]
    fn print_parse_round_trip(keys in proptest::collection::vec(arb_key(), 1..8), pick in 0usize..8) {
        let mut keys = keys;
        keys.sort_by_key(|k| k.index());
        keys.dedup_by_key(|k| k.index());
        let active = keys[pick % keys.len()].index();
        let ak = AuthKeys::new(active, keys).unwrap();
        let (back, w) = parse_authkeys(Path::new("a"), &ak.to_file_text()).unwrap();
        prop_assert!(w.is_empty());
        prop_assert_eq!(back, ak);
    }

    #[test]
    fn never_panics(text in "\\PC{0,200}") {
        let _ = parse_authkeys(Path::new("a"), &text);
    }
}
