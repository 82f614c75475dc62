//! Golden tests against every heartbeat datagram of the real 3.0.6 captures in
//! `shared/captures/*.pcap`: open, re-emit byte for byte, typed views field by field.

mod common;

use common::{capture_files, lab_auth, method_of, udp_payloads};
use hb_wire::msgs::{
    self, AckMsg, AskInfo, AskResources, Body, HbTakeover, Header, IpRequestResp, Kind, Packet,
    RepNodes, ReqNodes, Resource, RscHold, Shutdone, Starting, Status, Stonith, Uuid,
};
use hb_wire::{decode_netstring, encode_netstring, Message, WireError, WireFormat};

const N1: Uuid = Uuid([
    0xbf, 0xf7, 0x03, 0x42, 0x52, 0x90, 0x4f, 0x13, 0x8f, 0xb4, 0x58, 0xc5, 0x8e, 0x67, 0x63, 0xaf,
]);
const N2: Uuid = Uuid([
    0xa2, 0xfa, 0x22, 0x3b, 0xb7, 0x0d, 0x47, 0xde, 0xa2, 0xf2, 0xab, 0x0e, 0x4e, 0x19, 0x51, 0x1c,
]);

#[test]
fn every_datagram_opens_and_reemits_byte_for_byte() -> Result<(), WireError> {
    let mut total = 0;
    for file in capture_files() {
        let auth = lab_auth(method_of(&file));
        let datagrams = udp_payloads(&file, 694);
        assert!(!datagrams.is_empty(), "{}", file.display());
        for (i, datagram) in datagrams.iter().enumerate() {
            let ctx = format!("{} datagram {i}", file.display());
            let verified = match auth.open(datagram) {
                Ok(v) => v,
                Err(e) => panic!("{ctx}: {e}"),
            };
            assert_eq!(verified.format(), WireFormat::Netstring, "{ctx}");
            assert_eq!(verified.key_index(), 1, "{ctx}");
            // Re-sealing recomputes the inner auth field and the trailer.
            assert_eq!(&auth.seal(&verified)?, datagram, "{ctx}: reseal differs");
            // Plain decode -> encode reproduces the body; body + trailer is the datagram.
            let decoded = decode_netstring(datagram)?;
            let mut again = encode_netstring(&decoded.message)?;
            let trailer = decoded.trailer.unwrap_or_default();
            again.extend_from_slice(format!("{}:", trailer.len()).as_bytes());
            again.extend_from_slice(&trailer);
            again.push(b',');
            assert_eq!(&again, datagram, "{ctx}: decode/encode differs");
            total += 1;
        }
    }
    // HEARTBEAT-PROTOCOL.md §11: 780 heartbeat datagrams in the 16 capture files.
    assert_eq!(total, 780);
    Ok(())
}

#[test]
fn every_captured_message_has_a_typed_view_that_rebuilds_it() -> Result<(), WireError> {
    let mut types = std::collections::BTreeSet::new();
    for file in capture_files() {
        let auth = lab_auth(method_of(&file));
        for datagram in udp_payloads(&file, 694) {
            let mut msg = auth.open(&datagram)?.into_message();
            let (header, kind) = msgs::parse(&msg)?;
            assert!(!matches!(kind, Kind::Other(_)), "untyped: {msg:?}");
            msg.remove("auth");
            assert_eq!(msgs::build(&header, &kind), msg);
            types.insert(msg.msg_type().unwrap_or_default().to_owned());
        }
    }
    let expected = [
        "NS_ackmsg",
        "ask_resources",
        "hb_takeover",
        "ip-request-resp",
        "repnodes",
        "reqnodes",
        "resource",
        "shutdone",
        "starting",
        "status",
        "stonith",
    ];
    assert_eq!(types.iter().map(String::as_str).collect::<Vec<_>>(), expected);
    Ok(())
}

/// The message of `capture` whose inner auth field is `auth`.
fn find(capture: &str, auth: &str) -> Message {
    let path = common::shared_dir().join("captures").join(capture);
    let lab = lab_auth(method_of(&path));
    for datagram in udp_payloads(&path, 694) {
        if let Ok(v) = lab.open(&datagram) {
            if v.get_str("auth") == Some(auth) {
                return v.into_message();
            }
        }
    }
    panic!("{capture}: no message with auth {auth}");
}

fn header(src: &str, uuid: Uuid, seq: Option<u64>, hg: u64, ts: u64, ld: Option<&str>) -> Header {
    Header {
        destuuid: None,
        src: src.to_owned(),
        srcuuid: Some(uuid),
        seq,
        hg: Some(hg),
        ts,
        ld: ld.map(str::to_owned),
        ttl: Some(3),
    }
}

fn check<B: Body + PartialEq + std::fmt::Debug>(msg: &Message, expected: Packet<B>) {
    assert_eq!(Packet::<B>::parse(msg), Ok(expected));
}

#[test]
fn status_init_field_by_field() {
    let m = find("hb-01-startup.pcap", "1 1f7589ca70a86d9849fb57a0cae7daaff6a8b04c");
    let h = header("n1", N1, Some(1), 0x6b03d210, 0x6b03dd55, Some("0.11 0.19 0.23 2/96 21"));
    let body = Status { st: "init".into(), dt: Some(12_000), protocol: Some(1) };
    check(&m, Packet { header: h, body });
}

#[test]
fn ackmsg_field_by_field() {
    let m = find("hb-02-steady.pcap", "1 a0df022d3c8b67a524ef4dc47b5c3233fa0e4edb");
    let mut h = header("n1", N1, None, 0x6b03d210, 0x6b03dd6a, None);
    h.destuuid = Some(N2);
    let body = AckMsg { dest: "n2".into(), ackseq: 0x1f };
    check(&m, Packet { header: h, body });
}

#[test]
fn reqnodes_and_repnodes_field_by_field() {
    let m = find("hb-01-startup.pcap", "1 6ce42506ea8bec2b5567a66e2ff9c0e9842a82dd");
    let mut h = header("n1", N1, Some(6), 0x6b03d210, 0x6b03dd57, Some("0.10 0.19 0.23 1/98 22"));
    h.destuuid = Some(N2);
    check(&m, Packet { header: h, body: ReqNodes { dest: "n2".into() } });

    let m = find("hb-01-startup.pcap", "1 19ffd6c11d3a593181004c7571e6e5ec1215d704");
    let mut h = header("n2", N2, Some(5), 0x6b03d1d7, 0x6b03dd57, Some("0.10 0.19 0.23 2/98 22"));
    h.destuuid = Some(N1);
    let body = RepNodes {
        dest: "n1".into(),
        nodelist: vec!["n1".into(), "n2".into()],
        delnodelist: vec![],
    };
    check(&m, Packet { header: h, body });
    assert_eq!(m.get_str("nodelist"), Some("n1 n2 "));
    assert_eq!(m.get_str("delnodelist"), Some(" "));
}

#[test]
fn starting_field_by_field() {
    let m = find("hb-01-startup.pcap", "1 7e90b19540ce5467a5d8b657be32912c7c322c67");
    let h = header("n1", N1, Some(0xa), 0x6b03d210, 0x6b03dd58, Some("0.10 0.19 0.23 6/100 37"));
    check(&m, Packet { header: h, body: Starting });
}

#[test]
fn resource_messages_field_by_field() {
    let m = find("hb-03-graceful-stop.pcap", "1 e465171a4fe8f4d3e45b42498ffefaa8ce270757");
    let h = header("n1", N1, Some(0x30), 0x6b03d210, 0x6b03dd76, Some("0.06 0.17 0.22 1/102 384"));
    let body = Resource {
        rsc_hold: RscHold::None,
        rtype: Some("full".into()),
        isstable: Some(false),
        info: Some("shutdown".into()),
    };
    check(&m, Packet { header: h, body });

    let m = find("hb-01-startup.pcap", "1 a8699a87cf6ec8ab66058186d5beee9598a19f0e");
    let h = header("n2", N2, Some(0x16), 0x6b03d1d7, 0x6b03dd62, Some("0.08 0.18 0.23 1/99 66"));
    let body = Resource {
        rsc_hold: RscHold::Local,
        rtype: Some("full".into()),
        isstable: Some(true),
        info: Some("req_our_resources()".into()),
    };
    check(&m, Packet { header: h, body });

    let m = find("hb-03-graceful-stop.pcap", "1 cdbf29092aecac671651c5acc86388885982038a");
    let h = header("n2", N2, Some(0x2f), 0x6b03d1d7, 0x6b03dd76, Some("0.06 0.17 0.22 1/105 351"));
    let body = Resource {
        rsc_hold: RscHold::Foreign,
        rtype: None,
        isstable: None,
        info: Some("mach_down".into()),
    };
    check(&m, Packet { header: h, body });
}

#[test]
fn standby_takeover_and_shutdown_messages_field_by_field() {
    let m = find("hb-03-graceful-stop.pcap", "1 44e4cfa7506f2a5c04645ef84ec9793c6f6473b3");
    let h = header("n2", N2, Some(0x2d), 0x6b03d1d7, 0x6b03dd76, Some("0.06 0.17 0.22 1/103 99"));
    let body = AskResources { rsc_hold: RscHold::All, info: AskInfo::Done };
    check(&m, Packet { header: h, body });

    let m = find("hb-08-hb_takeover-on-n1.pcap", "1 61905569c0476904ca12eb0b2ebccd01baf6076e");
    let h = header("n1", N1, Some(0x20), 0x6b03d212, 0x6b03ddac, Some("0.02 0.14 0.21 2/99 995"));
    let body = HbTakeover { rsc_hold: "all".into() };
    check(&m, Packet { header: h, body });

    let m = find("hb-03-graceful-stop.pcap", "1 8b8b57602ecedc0f15bcfb8efadd2cbe3cff3f36");
    let h = header("n1", N1, Some(0x31), 0x6b03d210, 0x6b03dd76, Some("0.06 0.17 0.22 1/103 482"));
    check(&m, Packet { header: h, body: Shutdone { st: "dead".into() } });

    let m = find("hb-03-graceful-stop.pcap", "1 784768e8cca2c0e87c9bf12c314402cb1ffb9da7");
    let h = header("n2", N2, Some(0x3c), 0x6b03d1d7, 0x6b03dd82, Some("0.05 0.16 0.22 1/94 358"));
    let body = Stonith { node: "n1".into(), result: "unneeded".into() };
    check(&m, Packet { header: h, body });
}

#[test]
fn ip_request_resp_field_by_field() {
    let m = find("hb-01-startup.pcap", "1 13942953154367fa2c393275b53c636dda71ce49");
    let mut h =
        header("n1", N1, Some(0x19), 0x6b03d210, 0x6b03dd62, Some("0.08 0.18 0.23 2/101 133"));
    h.destuuid = Some(N1);
    let body = IpRequestResp {
        dest: "n1".into(),
        ipaddr: "IPaddr::10.201.0.50/24/la-e0".into(),
        weown: true,
        ok: "OK".into(),
    };
    check(&m, Packet { header: h, body });
}

#[test]
fn flipping_any_byte_of_a_captured_datagram_fails() {
    let file = common::shared_dir().join("captures/hb-02-steady.pcap");
    let auth = lab_auth(method_of(&file));
    let datagrams = udp_payloads(&file, 694);
    let Some(original) =
        datagrams.iter().find(|d| auth.open(d).is_ok_and(|v| v.msg_type() == Some("status")))
    else {
        panic!("no status datagram");
    };
    for pos in 0..original.len() {
        for mask in [0x01u8, 0x20, 0x80] {
            let mut bad = original.clone();
            bad[pos] ^= mask;
            assert!(auth.open(&bad).is_err(), "flip {mask:#04x} at {pos} still opens");
        }
    }
    // Truncation at any point fails as well.
    for len in 0..original.len() {
        assert!(auth.open(&original[..len]).is_err(), "truncated to {len}");
    }
}
