//! Format rules of §2.1/§2.2 and the limits of §2.4, exercised through the public API.

use hb_wire::{
    decode, decode_classic, decode_netstring, encode_classic, encode_netstring, AuthKey,
    AuthMethod, Authenticator, Message, Value, WireError, MAX_DEPTH, MAX_FIELDS, MAX_MESSAGE_SIZE,
};

fn sha1_auth() -> Authenticator {
    let key = AuthKey { index: 1, method: AuthMethod::Sha1, secret: b"k".to_vec() };
    match Authenticator::new(1, vec![key]) {
        Ok(a) => a,
        Err(e) => panic!("{e}"),
    }
}

fn msg(pairs: &[(&str, &str)]) -> Message {
    let mut m = Message::new();
    for (k, v) in pairs {
        m.push_str(k, v);
    }
    m
}

#[test]
fn netstring_errors_carry_offsets() {
    let cases: [(&[u8], WireError); 6] = [
        (
            b"###\n11:(0)t=status,x",
            WireError::MalformedNetstring { offset: 19, reason: "expected length digits" },
        ),
        (
            b"###\n12:(0)t=status,",
            WireError::MalformedNetstring {
                offset: 4,
                reason: "length exceeds the remaining input",
            },
        ),
        (
            b"###\n10:(0)t=status,%%%\n",
            WireError::MalformedNetstring { offset: 4, reason: "expected ',' after content" },
        ),
        (
            b"###\n9:0)t=statu,%%%\n",
            WireError::MalformedNetstring { offset: 6, reason: "field does not start with (N)" },
        ),
        (
            b"###\n8:(0)tstat,%%%\n",
            WireError::MalformedNetstring { offset: 6, reason: "field has no '='" },
        ),
        (
            b"###\n011:(0)t=status,%%%\n",
            WireError::MalformedNetstring {
                offset: 4,
                reason: "length too long or with leading zeros",
            },
        ),
    ];
    for (input, expected) in cases {
        assert_eq!(decode_netstring(input).err(), Some(expected), "{input:?}");
    }
    assert_eq!(
        decode_netstring(b"###\n11:(0)t=status,").err(),
        Some(WireError::MissingEndMarker { offset: 19 })
    );
    assert_eq!(
        decode_netstring(b"###\n8:(7)t=abc,%%%\n").err(),
        Some(WireError::UnknownFieldType { code: 7, offset: 6 })
    );
    assert_eq!(
        decode_netstring(b"###\n5:(0)=x,%%%\n").err(),
        Some(WireError::InvalidFieldName { offset: 6 })
    );
    assert_eq!(
        decode_netstring(b"###\n%%%\n4:1 ab,x").err(),
        Some(WireError::TrailingBytes { offset: 15, count: 1 })
    );
}

#[test]
fn compression_is_recognised_and_rejected() {
    assert_eq!(
        decode_netstring(b"###\n8:(4)z=abc,%%%\n").err(),
        Some(WireError::CompressionUnsupported { offset: 6 })
    );
    assert_eq!(
        decode_classic(b">>>\n(4)z=abc\n<<<\n").err(),
        Some(WireError::CompressionUnsupported { offset: 4 })
    );
    let mut m = Message::new();
    m.push_bin("_compressed_payload", b"xx");
    m.push_str("_compression_algorithm", "zlib");
    let body = match encode_netstring(&m) {
        Err(e) => panic!("{e}"),
        Ok(b) => b,
    };
    assert_eq!(
        decode_netstring(&body).err(),
        Some(WireError::CompressionUnsupported { offset: 7 })
    );
    let text = b">>>\n(1)_compressed_payload=eHg=\n<<<\n";
    assert!(matches!(decode(text), Err(WireError::CompressionUnsupported { .. })));
    assert!(WireError::CompressionUnsupported { offset: 0 }
        .to_string()
        .contains("compression is unsupported"));
}

#[test]
fn classic_parsing_rules_of_the_peer() {
    // Blank lines skipped, values may contain '=', one trailing NUL accepted.
    let ok = decode_classic(b">>>\n\nt=a=b\n(1)u=AAE=\n<<<\n\0");
    let Ok(ok) = ok else { panic!("{ok:?}") };
    assert_eq!(ok.message.get_str("t"), Some("a=b"));
    assert_eq!(ok.message.get_bin("u"), Some(&[0u8, 1][..]));
    let errors: [(&[u8], WireError); 7] = [
        (b">>>\nt=x\n", WireError::MissingEndMarker { offset: 8 }),
        (
            b">>>\nt=x\nbad\n<<<\n",
            WireError::MalformedLine { offset: 8, reason: "line has no '='" },
        ),
        (
            b">>>\n(0)t=x\n<<<\n",
            WireError::MalformedLine {
                offset: 4,
                reason: "string fields must not carry a (0) prefix",
            },
        ),
        (b">>>\n(1)u=AAE\n<<<\n", WireError::InvalidBase64 { offset: 9 }),
        (b">>>\nt=x\r\n<<<\r\n", WireError::MalformedLine { offset: 9, reason: "line has no '='" }),
        (b">>>\nt=x\n<<<\n\0\0", WireError::TrailingBytes { offset: 12, count: 2 }),
        (b">>>\r\nt=x\n<<<\n", WireError::UnknownFraming),
    ];
    for (input, expected) in errors {
        assert_eq!(decode(input).err(), Some(expected), "{input:?}");
    }
}

#[test]
fn classic_newlines_travel_as_0x13() -> Result<(), WireError> {
    let m = msg(&[("t", "x"), ("info", "two\nlines")]);
    let bytes = encode_classic(&m)?;
    assert_eq!(bytes, b">>>\nt=x\ninfo=two\x13lines\n<<<\n\0");
    assert_eq!(decode_classic(&bytes)?.message, m);
    // Netstring carries the raw newline.
    let ns = encode_netstring(&m)?;
    assert!(ns.windows(9).any(|w| w == b"two\nlines"));
    assert_eq!(decode_netstring(&ns)?.message, m);
    Ok(())
}

fn nested(depth: usize) -> Message {
    let mut m = msg(&[("t", "leaf")]);
    for _ in 0..depth {
        let mut parent = msg(&[("t", "node")]);
        parent.push("child", Value::Struct(m));
        m = parent;
    }
    m
}

#[test]
fn struct_separators_by_depth() -> Result<(), WireError> {
    let bytes = encode_classic(&nested(2))?;
    let expected: &[u8] = b">>>\nt=node\n(2)child=>>>\x14t=node\x14(2)child=>>>\x15t=leaf\x15<<<\x15\x14<<<\x14\n<<<\n\0";
    assert_eq!(bytes, expected);
    assert_eq!(decode_classic(&bytes)?.message, nested(2));
    let ns = encode_netstring(&nested(1))?;
    assert_eq!(ns, b"###\n9:(0)t=node,29:(2)child=###\n9:(0)t=leaf,%%%\n,%%%\n".to_vec());
    assert_eq!(decode_netstring(&ns)?.message, nested(1));
    Ok(())
}

#[test]
fn nesting_is_bounded() -> Result<(), WireError> {
    for encode in [encode_classic, encode_netstring] {
        let deepest = encode(&nested(MAX_DEPTH))?;
        assert_eq!(decode(&deepest)?.message, nested(MAX_DEPTH));
        assert_eq!(
            encode(&nested(MAX_DEPTH + 1)).err(),
            Some(WireError::NestingTooDeep { max: MAX_DEPTH })
        );
    }
    // A hand-built netstring datagram one level too deep.
    let mut inner = b"###\n8:(0)t=x,%%%\n".to_vec();
    for _ in 0..=MAX_DEPTH {
        let field_len = 3 + 1 + 1 + inner.len();
        let mut outer = format!("###\n{field_len}:(2)c=").into_bytes();
        outer.extend_from_slice(&inner);
        outer.extend_from_slice(b",%%%\n");
        inner = outer;
    }
    assert_eq!(decode(&inner).err(), Some(WireError::NestingTooDeep { max: MAX_DEPTH }));
    Ok(())
}

#[test]
fn size_and_field_count_are_bounded() {
    let big = vec![b'#'; MAX_MESSAGE_SIZE + 1];
    assert_eq!(
        decode(&big).err(),
        Some(WireError::TooLarge { len: MAX_MESSAGE_SIZE + 1, max: MAX_MESSAGE_SIZE })
    );
    assert!(matches!(sha1_auth().open(&big), Err(WireError::TooLarge { .. })));
    let mut many = b">>>\n".to_vec();
    for _ in 0..=MAX_FIELDS {
        many.extend_from_slice(b"a=b\n");
    }
    many.extend_from_slice(b"<<<\n");
    assert_eq!(decode(&many).err(), Some(WireError::TooManyFields { max: MAX_FIELDS }));
}

#[test]
fn lists_round_trip_in_both_formats() -> Result<(), WireError> {
    let mut m = msg(&[("t", "x")]);
    m.push("l", Value::List(vec![b"abc".to_vec(), b"defg".to_vec()]));
    let classic = encode_classic(&m)?;
    assert_eq!(classic, b">>>\nt=x\n(3)l=3:abc,4:defg,\n<<<\n\0");
    assert_eq!(decode(&classic)?.message, m);
    let ns = encode_netstring(&m)?;
    assert_eq!(ns, b"###\n6:(0)t=x,18:(3)l=3:abc,4:defg,,%%%\n");
    assert_eq!(decode(&ns)?.message, m);
    m.push("e", Value::List(vec![Vec::new()]));
    assert!(matches!(encode_netstring(&m), Err(WireError::InvalidListElement { .. })));
    Ok(())
}

#[test]
fn encoder_rejects_unrepresentable_names_and_values() {
    for bad in ["", "a=b", "a\nb", "(1)x"] {
        assert!(matches!(
            encode_netstring(&msg(&[(bad, "v")])),
            Err(WireError::InvalidFieldName { .. })
        ));
    }
    assert!(matches!(encode_classic(&msg(&[("t", "a\0b")])), Err(WireError::NulInString { .. })));
}

#[test]
fn open_requires_trailer_and_auth_field() -> Result<(), WireError> {
    let a = sha1_auth();
    let m = msg(&[("t", "status")]);
    let body = encode_netstring(&m)?;
    assert_eq!(a.open(&body).err(), Some(WireError::MissingTrailer));
    let classic = encode_classic(&m)?;
    assert_eq!(a.open(&classic).err(), Some(WireError::MissingAuthField));
    let mut garbled = body.clone();
    garbled.extend_from_slice(b"3:1xa,");
    assert!(matches!(a.open(&garbled), Err(WireError::MalformedAuth { .. })));
    let mut unknown = body;
    unknown.extend_from_slice(b"6:99 abc,");
    assert_eq!(a.open(&unknown).err(), Some(WireError::UnknownKeyIndex { index: 99 }));
    assert_eq!(a.open(b"hello").err(), Some(WireError::UnknownFraming));
    Ok(())
}

#[test]
fn seal_replaces_an_existing_auth_field() -> Result<(), WireError> {
    let a = sha1_auth();
    let mut m = msg(&[("t", "x"), ("auth", "9 bogus"), ("y", "z")]);
    let opened = a.open(&a.seal(&m)?)?;
    m.remove("auth");
    let mut expected = m.clone();
    let auth = opened.get_str("auth").map(str::to_owned);
    expected.push_str("auth", auth.as_deref().unwrap_or(""));
    assert_eq!(opened.message(), &expected);
    assert_eq!(opened.fields().last().map(|f| f.name.as_str()), Some("auth"));
    Ok(())
}

#[test]
fn authenticator_construction_rules() {
    let key = |index, method: AuthMethod, secret: &[u8]| AuthKey {
        index,
        method,
        secret: secret.to_vec(),
    };
    assert_eq!(
        Authenticator::new(16, vec![key(16, AuthMethod::Crc, b"")]).err(),
        Some(WireError::KeyIndexOutOfRange { index: 16 })
    );
    assert_eq!(
        Authenticator::new(1, vec![key(1, AuthMethod::Crc, b""), key(1, AuthMethod::Md5, b"x")])
            .err(),
        Some(WireError::DuplicateKeyIndex { index: 1 })
    );
    assert_eq!(
        Authenticator::new(2, vec![key(1, AuthMethod::Crc, b"")]).err(),
        Some(WireError::SigningKeyMissing { index: 2 })
    );
    assert_eq!(
        Authenticator::new(1, vec![key(1, AuthMethod::Sha1, b"")]).err(),
        Some(WireError::EmptySecret { index: 1, method: AuthMethod::Sha1 })
    );
    // Several keys: each verifies with its own method and secret (the §3.4 peer quirk is not
    // imitated).
    let multi = Authenticator::new(
        3,
        vec![key(3, AuthMethod::Sha1, b"new"), key(1, AuthMethod::Md5, b"old")],
    );
    let Ok(multi) = multi else { panic!() };
    let old = Authenticator::new(1, vec![key(1, AuthMethod::Md5, b"old")]);
    let Ok(old) = old else { panic!() };
    let sealed = old.seal(&msg(&[("t", "x")]));
    let Ok(sealed) = sealed else { panic!() };
    assert_eq!(multi.open(&sealed).map(|v| v.key_index()), Ok(1));
}
