use super::*;

fn v4(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn v2_advert() -> Advert {
    Advert {
        version: Version::V2,
        vrid: 51,
        priority: 100,
        advert_int: 1,
        auth: Auth::Pass(Password::from_config("1111").0),
        addresses: vec![v4("192.168.224.100")],
    }
}

fn v3_advert6() -> Advert {
    Advert {
        version: Version::V3,
        vrid: 7,
        priority: 200,
        advert_int: 1,
        auth: Auth::NONE,
        addresses: vec![v4("fd00::7"), v4("fd00::8")],
    }
}

const SRC: &str = "10.99.0.1";
const GROUP: &str = "224.0.0.18";

#[test]
fn v2_round_trip_and_layout() {
    let a = v2_advert();
    let bytes = a.emit(v4(SRC), v4(GROUP)).unwrap();
    assert_eq!(bytes.len(), 8 + 4 + 8);
    assert_eq!(bytes[0], 0x21);
    assert_eq!(&bytes[1..6], &[51, 100, 1, 1, 1]);
    assert_eq!(&bytes[8..12], &[192, 168, 224, 100]);
    assert_eq!(&bytes[12..], b"1111\0\0\0\0");
    assert_eq!(checksum(&[&bytes]), 0);
    assert_eq!(Advert::parse(&bytes, v4(SRC), v4(GROUP)).unwrap(), a);
    // v2's checksum covers no pseudo-header: any addresses verify.
    assert!(Advert::parse(&bytes, v4("10.99.0.2"), v4("10.99.0.3")).is_ok());
}

#[test]
fn v3_ipv6_round_trip_depends_on_the_pseudo_header() {
    let a = v3_advert6();
    let (s, d) = (v4("fe80::1"), v4("ff02::12"));
    let bytes = a.emit(s, d).unwrap();
    assert_eq!(bytes.len(), 8 + 32);
    assert_eq!(bytes[0], 0x31);
    assert_eq!(Advert::parse(&bytes, s, d).unwrap(), a);
    assert_eq!(Advert::parse(&bytes, v4("fe80::2"), d), Err(Reject::BadChecksum));
}

#[test]
fn v3_ipv4_checksum_covers_source_and_destination() {
    let mut a = v2_advert();
    a.version = Version::V3;
    a.auth = Auth::NONE;
    a.advert_int = 4095;
    let bytes = a.emit(v4(SRC), v4(GROUP)).unwrap();
    assert_eq!(&bytes[4..6], &[0x0f, 0xff]);
    assert_eq!(Advert::parse(&bytes, v4(SRC), v4(GROUP)).unwrap(), a);
    assert_eq!(Advert::parse(&bytes, v4(SRC), v4("10.99.0.9")), Err(Reject::BadChecksum));
    assert_eq!(a.interval_cs(), 4095);
}

#[test]
fn each_malformation_has_its_own_reason() {
    let good = v2_advert().emit(v4(SRC), v4(GROUP)).unwrap();
    let parse = |b: &[u8]| Advert::parse(b, v4(SRC), v4(GROUP));
    let patched = |i: usize, v: u8| {
        let mut b = good.clone();
        b[i] = v;
        // Re-seal so that only the patched field is wrong.
        b[6] = 0;
        b[7] = 0;
        let s = checksum(&[&b]);
        b[6..8].copy_from_slice(&s.to_be_bytes());
        b
    };
    assert_eq!(parse(&good[..7]), Err(Reject::TooShort));
    assert_eq!(parse(&patched(0, 0x41)), Err(Reject::BadVersion));
    assert_eq!(parse(&patched(0, 0x22)), Err(Reject::BadType));
    assert_eq!(parse(&patched(3, 2)), Err(Reject::BadLength));
    assert_eq!(parse(&good[..good.len() - 1]), Err(Reject::BadLength));
    assert_eq!(parse(&patched(1, 0)), Err(Reject::BadVrid));
    assert_eq!(parse(&patched(5, 0)), Err(Reject::BadInterval));
    let mut bad_sum = good.clone();
    bad_sum[2] ^= 1;
    assert_eq!(parse(&bad_sum), Err(Reject::BadChecksum));
    assert_eq!(Advert::parse(&good, v4("fe80::1"), v4("ff02::12")), Err(Reject::V2OverIpv6));
    assert_eq!(Advert::parse(&good, v4(SRC), v4("ff02::12")), Err(Reject::FamilyMismatch));
}

#[test]
fn other_auth_types_are_kept_for_the_engine() {
    let mut b = v2_advert().emit(v4(SRC), v4(GROUP)).unwrap();
    b[4] = 2;
    b[6] = 0;
    b[7] = 0;
    let s = checksum(&[&b]);
    b[6..8].copy_from_slice(&s.to_be_bytes());
    let a = Advert::parse(&b, v4(SRC), v4(GROUP)).unwrap();
    assert_eq!(a.auth, Auth::Other { auth_type: 2, data: *b"1111\0\0\0\0" });
    assert_eq!(a.emit(v4(SRC), v4(GROUP)).unwrap(), b);
}

#[test]
fn long_passwords_are_cut_and_say_so() {
    let (p, cut) = Password::from_config("123456789");
    assert!(cut);
    assert_eq!(&p.0, b"12345678");
    let (p, cut) = Password::from_config("12345678");
    assert!(!cut);
    assert_eq!(&p.0, b"12345678");
    assert_eq!(format!("{p:?}"), "Password(..)");
}

#[test]
fn emit_refuses_what_the_wire_cannot_carry() {
    let mut a = v2_advert();
    assert_eq!(a.emit(v4("fe80::1"), v4("ff02::12")), Err(EmitError::FamilyMismatch));
    let bare = Advert { addresses: vec![], ..v2_advert() };
    assert_eq!(bare.emit(v4("fe80::1"), v4("ff02::12")), Err(EmitError::V2OverIpv6));
    a.advert_int = 256;
    assert_eq!(a.emit(v4(SRC), v4(GROUP)), Err(EmitError::BadInterval));
    a.advert_int = 1;
    a.addresses.push(v4("fd00::1"));
    assert_eq!(a.emit(v4(SRC), v4(GROUP)), Err(EmitError::FamilyMismatch));
    a.addresses = vec![v4("10.0.0.1"); 256];
    assert_eq!(a.emit(v4(SRC), v4(GROUP)), Err(EmitError::TooManyAddresses));
    a.addresses.truncate(255);
    let b = a.emit(v4(SRC), v4(GROUP)).unwrap();
    assert_eq!(b.len(), a.emitted_len());
    assert_eq!(Advert::parse(&b, v4(SRC), v4(GROUP)).unwrap().addresses.len(), 255);
    let mut v3 = v3_advert6();
    v3.advert_int = 4096;
    assert_eq!(v3.emit(v4("fe80::1"), v4("ff02::12")), Err(EmitError::BadInterval));
    v3.advert_int = 1;
    v3.vrid = 0;
    assert_eq!(v3.emit(v4("fe80::1"), v4("ff02::12")), Err(EmitError::BadVrid));
}

#[test]
fn checksum_handles_odd_lengths_and_carries() {
    // RFC 1071 example bytes.
    let data = [0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7];
    assert_eq!(checksum(&[&data]), !0xddf2u16);
    assert_eq!(checksum(&[&[0xff]]), !0xff00u16);
    assert_eq!(checksum(&[&[0xff; 4096]]), 0);
}
