//! Typed views for messages the captures do not contain (spec §5, §6.4), header rules (§4),
//! and sealing our own status heartbeat with every method.

mod common;

use hb_wire::msgs::{
    self, Body, HbTakeover, Header, IpRequest, Kind, NakRexmit, NsSt, Packet, Rexmit, RscHold,
    Status, Uuid,
};
use hb_wire::{AuthMethod, Message, Value, WireError};

fn names(m: &Message) -> Vec<&str> {
    m.fields().iter().map(|f| f.name.as_str()).collect()
}

fn header() -> Header {
    Header {
        destuuid: Some(Uuid([7; 16])),
        src: "n1".into(),
        srcuuid: Some(Uuid([9; 16])),
        seq: None,
        hg: Some(0x6b03d210),
        ts: 0x6b03dd55,
        ld: None,
        ttl: Some(3),
    }
}

#[test]
fn rexmit_numbers_are_decimal_and_nak_is_hex() -> Result<(), WireError> {
    let p =
        Packet { header: header(), body: Rexmit { dest: "n2".into(), firstseq: 42, lastseq: 42 } };
    let m = p.to_message();
    assert_eq!(
        names(&m),
        ["t", "dest", "firstseq", "lastseq", "destuuid", "src", "srcuuid", "hg", "ts", "ttl"]
    );
    assert_eq!(m.get_str("t"), Some("NS_rexmit"));
    assert_eq!(m.get_str("firstseq"), Some("42"));
    assert_eq!(Packet::<Rexmit>::parse(&m)?, p);

    let p = Packet {
        header: header(),
        body: NakRexmit { firstseq: 42, dest: "n2".into(), info: "seqno too low".into() },
    };
    let m = p.to_message();
    assert_eq!(names(&m)[..4], ["t", "firstseq", "dest", "info"]);
    assert_eq!(m.get_str("firstseq"), Some("2a"));
    assert_eq!(Packet::<NakRexmit>::parse(&m)?, p);
    Ok(())
}

#[test]
fn ip_request_and_ping_status_round_trip() -> Result<(), WireError> {
    let mut h = header();
    h.destuuid = None;
    h.seq = Some(0x1a);
    h.ld = Some("0.00 0.01 0.05 1/87 1234".into());
    let p = Packet { header: h, body: IpRequest { ipaddr: "IPaddr::10.201.0.50/24/la-e0".into() } };
    let m = p.to_message();
    assert_eq!(names(&m), ["t", "ipaddr", "src", "srcuuid", "seq", "hg", "ts", "ld", "ttl"]);
    assert_eq!(m.get_str("seq"), Some("1a"));
    assert_eq!(Packet::<IpRequest>::parse(&m)?, p);

    let ping = Packet {
        header: Header {
            destuuid: None,
            src: "10.0.0.1".into(),
            srcuuid: None,
            seq: None,
            hg: None,
            ts: 5,
            ld: None,
            ttl: None,
        },
        body: NsSt { st: "ping".into(), info: "ping".into() },
    };
    let m = ping.to_message();
    assert_eq!(names(&m), ["t", "st", "info", "src", "ts"]);
    assert_eq!(msgs::parse(&m)?.1, Kind::NsSt(ping.body.clone()));
    Ok(())
}

#[test]
fn takeover_mirrors_the_requested_set() {
    for (sent, standby) in [
        ("local", RscHold::Foreign),
        ("foreign", RscHold::Local),
        ("all", RscHold::All),
        ("failback", RscHold::All),
    ] {
        let t = HbTakeover { rsc_hold: sent.into() };
        assert_eq!(t.standby_set(), standby, "{sent}");
    }
}

#[test]
fn header_rules_of_the_receive_path() {
    let mut m = Message::new();
    m.push_str("t", "status");
    m.push_str("st", "active");
    assert_eq!(Header::parse(&m).err(), Some(WireError::MissingField { name: "src" }));
    m.push_str("src", "n1");
    assert_eq!(Header::parse(&m).err(), Some(WireError::MissingField { name: "ts" }));
    m.push_str("ts", "0");
    assert!(matches!(Header::parse(&m), Err(WireError::InvalidFieldValue { name: "ts", .. })));
    m.set_str("ts", "6b03dd55");
    assert_eq!(Header::parse(&m).err(), Some(WireError::MissingField { name: "seq" }));
    m.push_str("seq", "zz");
    assert!(matches!(Header::parse(&m), Err(WireError::InvalidFieldValue { name: "seq", .. })));
    m.set_str("seq", "0x2A");
    m.push("srcuuid", Value::Bin(vec![1, 2, 3]));
    m.push_str("ttl", "x");
    let h = Header::parse(&m);
    let Ok(h) = h else { panic!("{h:?}") };
    assert_eq!(h.seq, Some(42));
    assert_eq!(h.srcuuid, None, "a UUID of the wrong length reads as absent");
    assert_eq!(h.ttl, None);
    // NS_* types need no seq.
    m.set_str("t", "NS_ackmsg");
    m.remove("seq");
    assert!(Header::parse(&m).is_ok());
}

#[test]
fn views_reject_wrong_type_and_bad_values() {
    let mut m = Message::new();
    m.push_str("t", "status");
    assert_eq!(
        HbTakeover::parse_body(&m).err(),
        Some(WireError::WrongMessageType { expected: "hb_takeover", found: "status".into() })
    );
    let mut r = Message::new();
    r.push_str("t", "resource");
    r.push_str("rsc_hold", "some");
    assert!(matches!(
        msgs::Resource::parse_body(&r),
        Err(WireError::InvalidFieldValue { name: "rsc_hold", .. })
    ));
    let mut a = Message::new();
    a.push_str("t", "ask_resources");
    a.push_str("rsc_hold", "all");
    a.push_str("info", "later");
    assert!(matches!(
        msgs::AskResources::parse_body(&a),
        Err(WireError::InvalidFieldValue { name: "info", .. })
    ));
}

#[test]
fn our_status_heartbeat_sealed_with_each_method_opens_again() -> Result<(), WireError> {
    let p = Packet {
        header: Header {
            destuuid: None,
            src: "n1".into(),
            srcuuid: Some(Uuid([0x42; 16])),
            seq: Some(0x2a),
            hg: Some(0x6741f3a0),
            ts: 0x6741f412,
            ld: Some("0.00 0.01 0.05 1/87 1234".into()),
            ttl: Some(3),
        },
        body: Status { st: "active".into(), dt: Some(30_000), protocol: Some(1) },
    };
    let msg = p.to_message();
    assert_eq!(
        names(&msg),
        ["t", "st", "dt", "protocol", "src", "srcuuid", "seq", "hg", "ts", "ld", "ttl"]
    );
    assert_eq!(msg.get_str("dt"), Some("7530"));
    for method in [AuthMethod::Crc, AuthMethod::Md5, AuthMethod::Sha1] {
        let auth = common::lab_auth(method);
        for sealed in [auth.seal(&msg)?, auth.seal_classic(&msg)?] {
            let opened = auth.open(&sealed)?;
            assert_eq!(Packet::<Status>::parse(&opened)?, p, "{method}");
            // The other methods reject it.
            for other in [AuthMethod::Crc, AuthMethod::Md5, AuthMethod::Sha1] {
                if other != method {
                    assert!(matches!(
                        common::lab_auth(other).open(&sealed),
                        Err(WireError::BadDigest { .. })
                    ));
                }
            }
        }
    }
    Ok(())
}

#[test]
fn flipping_any_byte_of_a_classic_datagram_fails() -> Result<(), WireError> {
    let auth = common::lab_auth(AuthMethod::Sha1);
    let mut m = Message::new();
    m.push_str("t", "status");
    m.push_str("st", "active");
    m.push_bin("srcuuid", &[0x55; 16]);
    let sealed = auth.seal_classic(&m)?;
    assert!(auth.open(&sealed).is_ok());
    // The final NUL is optional on the wire, so it is not covered.
    for pos in 0..sealed.len() - 1 {
        let mut bad = sealed.clone();
        bad[pos] ^= 0x01;
        assert!(auth.open(&bad).is_err(), "flip at {pos} still opens");
    }
    Ok(())
}
