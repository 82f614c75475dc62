//! Seal (encode + sign) and open (decode + verify) of a status heartbeat, per auth method.

use std::hint::black_box;

use criterion::{criterion_main, Criterion};
use hb_wire::msgs::{Header, Packet, Status, Uuid};
use hb_wire::{AuthKey, AuthMethod, Authenticator, Message};

fn status() -> Message {
    Packet {
        header: Header {
            destuuid: None,
            src: "n1".into(),
            srcuuid: Some(Uuid([0xbf; 16])),
            seq: Some(0x2a),
            hg: Some(0x6b03_d210),
            ts: 0x6b03_dd55,
            ld: Some("0.11 0.19 0.23 2/96 21".into()),
            ttl: Some(3),
        },
        body: Status { st: "active".into(), dt: Some(10_000), protocol: Some(1) },
    }
    .to_message()
}

fn bench(c: &mut Criterion) {
    let msg = status();
    for method in [AuthMethod::Crc, AuthMethod::Md5, AuthMethod::Sha1] {
        let key = AuthKey { index: 1, method, secret: b"la-lab-secret".to_vec() };
        let Ok(auth) = Authenticator::new(1, vec![key]) else {
            return;
        };
        let Ok(sealed) = auth.seal(&msg) else {
            return;
        };
        let Ok(classic) = auth.seal_classic(&msg) else {
            return;
        };
        c.bench_function(&format!("seal/netstring/{method}"), |b| {
            b.iter(|| auth.seal(black_box(&msg)))
        });
        c.bench_function(&format!("open/netstring/{method}"), |b| {
            b.iter(|| auth.open(black_box(&sealed)))
        });
        c.bench_function(&format!("seal/classic/{method}"), |b| {
            b.iter(|| auth.seal_classic(black_box(&msg)))
        });
        c.bench_function(&format!("open/classic/{method}"), |b| {
            b.iter(|| auth.open(black_box(&classic)))
        });
    }
}

// criterion's macros generate an undocumented public function.
#[allow(missing_docs)]
mod group {
    criterion::criterion_group!(benches, super::bench);
}
criterion_main!(group::benches);
