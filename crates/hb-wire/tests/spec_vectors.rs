//! The worked example of HEARTBEAT-PROTOCOL.md §3.5 and the captured vectors quoted in §11.

use hb_wire::{AuthKey, AuthMethod, Authenticator, Message, Value, WireError, WireFormat};

const UUID: [u8; 16] = [
    0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff,
];
const N1_UUID: [u8; 16] = [
    0xbf, 0xf7, 0x03, 0x42, 0x52, 0x90, 0x4f, 0x13, 0x8f, 0xb4, 0x58, 0xc5, 0x8e, 0x67, 0x63, 0xaf,
];

fn auth(method: AuthMethod) -> Authenticator {
    let secret = if method == AuthMethod::Crc { Vec::new() } else { b"la-lab-secret".to_vec() };
    let key = AuthKey { index: 1, method, secret };
    match Authenticator::new(1, vec![key]) {
        Ok(a) => a,
        Err(e) => panic!("authenticator: {e}"),
    }
}

fn example() -> Message {
    let mut m = Message::new();
    for (k, v) in
        [("t", "status"), ("st", "active"), ("dt", "7530"), ("protocol", "1"), ("src", "n1")]
    {
        m.push_str(k, v);
    }
    m.push_bin("srcuuid", &UUID);
    for (k, v) in [
        ("seq", "2a"),
        ("hg", "6741f3a0"),
        ("ts", "6741f412"),
        ("ld", "0.00 0.01 0.05 1/87 1234"),
        ("ttl", "3"),
    ] {
        m.push_str(k, v);
    }
    m
}

const HASHED_TEXT: &[u8] = b"t=status\nst=active\ndt=7530\nprotocol=1\nsrc=n1\n\
(1)srcuuid=ABEiM0RVZneImaq7zN3u/w==\nseq=2a\nhg=6741f3a0\nts=6741f412\n\
ld=0.00 0.01 0.05 1/87 1234\nttl=3\n";

fn netstring_example() -> Vec<u8> {
    let mut v = b"###\n11:(0)t=status,12:(0)st=active,10:(0)dt=7530,13:(0)protocol=1,9:(0)src=n1,27:(1)srcuuid=".to_vec();
    v.extend_from_slice(&UUID);
    v.extend_from_slice(b",9:(0)seq=2a,14:(0)hg=6741f3a0,14:(0)ts=6741f412,30:(0)ld=0.00 0.01 0.05 1/87 1234,8:(0)ttl=3,50:(0)auth=1 fd7b6f542c51dc06d50f668d792cb4bc55adfda3,%%%\n42:1 f3ba00deae7ac42d6309c46808a356e0817f2438,");
    v
}

#[test]
fn classic_text_is_what_spec_hashes() -> Result<(), WireError> {
    // encode_classic adds framing and NUL around exactly the hashed text.
    let bytes = hb_wire::encode_classic(&example())?;
    let mut expected = b">>>\n".to_vec();
    expected.extend_from_slice(HASHED_TEXT);
    expected.extend_from_slice(b"<<<\n\0");
    assert_eq!(bytes, expected);
    Ok(())
}

#[test]
fn inner_auth_digests_for_each_method() -> Result<(), WireError> {
    for (method, hex) in [
        (AuthMethod::Crc, "33aa7e9e"),
        (AuthMethod::Md5, "5a75465167f05fdf78effcd8ce7646bf"),
        (AuthMethod::Sha1, "fd7b6f542c51dc06d50f668d792cb4bc55adfda3"),
    ] {
        let sealed = auth(method).seal_classic(&example())?;
        let opened = auth(method).open(&sealed)?;
        assert_eq!(opened.get_str("auth"), Some(format!("1 {hex}").as_str()));
        assert_eq!(opened.format(), WireFormat::Classic);
    }
    Ok(())
}

#[test]
fn classic_datagram_matches_spec() -> Result<(), WireError> {
    let sealed = auth(AuthMethod::Sha1).seal_classic(&example())?;
    let mut expected = b">>>\n".to_vec();
    expected.extend_from_slice(HASHED_TEXT);
    expected.extend_from_slice(b"auth=1 fd7b6f542c51dc06d50f668d792cb4bc55adfda3\n<<<\n\0");
    assert_eq!(sealed.len(), 203);
    assert_eq!(sealed, expected);
    let opened = auth(AuthMethod::Sha1).open(&expected)?;
    assert_eq!(opened.key_index(), 1);
    Ok(())
}

#[test]
fn netstring_datagram_matches_spec() -> Result<(), WireError> {
    let expected = netstring_example();
    assert_eq!(expected.len(), 306);
    let sealed = auth(AuthMethod::Sha1).seal(&example())?;
    assert_eq!(sealed, expected);
    let opened = auth(AuthMethod::Sha1).open(&expected)?;
    assert_eq!(opened.format(), WireFormat::Netstring);
    assert_eq!(opened.get_bin("srcuuid"), Some(&UUID[..]));
    let mut without_auth = opened.into_message();
    assert!(without_auth.remove("auth").is_some());
    assert_eq!(without_auth, example());
    Ok(())
}

#[test]
fn wrong_key_or_method_fails() {
    let data = netstring_example();
    let other = Authenticator::new(
        1,
        vec![AuthKey { index: 1, method: AuthMethod::Sha1, secret: b"other".to_vec() }],
    );
    let Ok(other) = other else { panic!("authenticator") };
    assert!(matches!(other.open(&data), Err(WireError::BadDigest { index: 1, .. })));
    assert!(matches!(
        auth(AuthMethod::Md5).open(&data),
        Err(WireError::BadDigest { index: 1, method: AuthMethod::Md5 })
    ));
    let two = Authenticator::new(
        2,
        vec![AuthKey { index: 2, method: AuthMethod::Sha1, secret: b"la-lab-secret".to_vec() }],
    );
    let Ok(two) = two else { panic!("authenticator") };
    assert_eq!(two.open(&data).err(), Some(WireError::UnknownKeyIndex { index: 1 }));
}

fn hb13_sha1() -> Vec<u8> {
    let mut v = b"###\n11:(0)t=status,12:(0)st=active,10:(0)dt=2ee0,13:(0)protocol=1,9:(0)src=n1,27:(1)srcuuid=".to_vec();
    v.extend_from_slice(&N1_UUID);
    v.extend_from_slice(b",8:(0)seq=6,14:(0)hg=6b03d216,14:(0)ts=6b03de20,29:(0)ld=0.12 0.14 0.20 7/105 37,8:(0)ttl=3,50:(0)auth=1 69f075ab707066ec43c711b36464fd4641a59cf6,%%%\n42:1 59e0392d54d4ba5b0bff8dd944937c054861710f,");
    v
}

fn hb13_crc() -> Vec<u8> {
    let mut v = b"###\n11:(0)t=status,12:(0)st=active,10:(0)dt=2ee0,13:(0)protocol=1,9:(0)src=n1,27:(1)srcuuid=".to_vec();
    v.extend_from_slice(&N1_UUID);
    v.extend_from_slice(b",8:(0)seq=6,14:(0)hg=6b03d215,14:(0)ts=6b03de0d,28:(0)ld=0.16 0.15 0.20 2/99 37,8:(0)ttl=3,18:(0)auth=1 1268d63a,%%%\n10:1 78b49b08,");
    v
}

#[test]
fn captured_vectors_open_and_reseal_identically() -> Result<(), WireError> {
    for (method, data, len) in
        [(AuthMethod::Sha1, hb13_sha1(), 304), (AuthMethod::Crc, hb13_crc(), 239)]
    {
        assert_eq!(data.len(), len);
        let a = auth(method);
        let opened = a.open(&data)?;
        assert_eq!(opened.get_str("seq"), Some("6"));
        assert_eq!(opened.get("srcuuid"), Some(&Value::Bin(N1_UUID.to_vec())));
        assert_eq!(a.seal(&opened)?, data);
    }
    Ok(())
}

#[test]
fn captured_sha1_inner_auth_text() -> Result<(), WireError> {
    let opened = auth(AuthMethod::Sha1).open(&hb13_sha1())?;
    let mut m = opened.into_message();
    m.remove("auth");
    let text = hb_wire::encode_classic(&m)?;
    let expected: &[u8] = b">>>\nt=status\nst=active\ndt=2ee0\nprotocol=1\nsrc=n1\n(1)srcuuid=v/cDQlKQTxOPtFjFjmdjrw==\nseq=6\nhg=6b03d216\nts=6b03de20\nld=0.12 0.14 0.20 7/105 37\nttl=3\n<<<\n\0";
    assert_eq!(text, expected);
    Ok(())
}
