//! Test support: the shared material directory, the lab's keys, and a minimal pcap reader
//! (classic pcap, Ethernet or Linux cooked capture, IPv4, UDP) for heartbeat datagrams.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use hb_wire::{AuthKey, AuthMethod, Authenticator};

/// `<workspace>/../shared`, or `$HB_SHARED_DIR`.
pub fn shared_dir() -> PathBuf {
    match std::env::var_os("HB_SHARED_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared"),
    }
}

/// All `captures/*.pcap`, sorted.
pub fn capture_files() -> Vec<PathBuf> {
    let dir = shared_dir().join("captures");
    let mut files: Vec<PathBuf> = match std::fs::read_dir(&dir) {
        Ok(entries) => entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "pcap"))
            .collect(),
        Err(e) => panic!("cannot read {}: {e}", dir.display()),
    };
    files.sort();
    files
}

/// The method a capture was recorded with (captures/README.md).
pub fn method_of(capture: &Path) -> AuthMethod {
    let name = capture.to_string_lossy();
    if name.contains("auth-md5") {
        AuthMethod::Md5
    } else if name.contains("auth-crc") {
        AuthMethod::Crc
    } else {
        AuthMethod::Sha1
    }
}

/// The lab's `authkeys` for `method`: `auth 1` / `1 <method> la-lab-secret`.
pub fn lab_auth(method: AuthMethod) -> Authenticator {
    let secret = match method {
        AuthMethod::Crc => Vec::new(),
        _ => b"la-lab-secret".to_vec(),
    };
    match Authenticator::new(1, vec![AuthKey { index: 1, method, secret }]) {
        Ok(a) => a,
        Err(e) => panic!("lab authenticator: {e}"),
    }
}

/// Payloads of every UDP datagram to or from `port` in a classic pcap file.
pub fn udp_payloads(path: &Path, port: u16) -> Vec<Vec<u8>> {
    let data = match std::fs::read(path) {
        Ok(d) => d,
        Err(e) => panic!("cannot read {}: {e}", path.display()),
    };
    match parse_pcap(&data, port) {
        Ok(p) => p,
        Err(e) => panic!("{}: {e}", path.display()),
    }
}

fn parse_pcap(data: &[u8], port: u16) -> Result<Vec<Vec<u8>>, String> {
    let magic = data.get(..4).ok_or("no pcap header")?;
    let little = match magic {
        [0xd4, 0xc3, 0xb2, 0xa1] | [0x4d, 0x3c, 0xb2, 0xa1] => true,
        [0xa1, 0xb2, 0xc3, 0xd4] | [0xa1, 0xb2, 0x3c, 0x4d] => false,
        _ => return Err(format!("not a classic pcap file (magic {magic:02x?})")),
    };
    let u32_at = |off: usize| -> Result<u32, String> {
        let b: [u8; 4] =
            data.get(off..off + 4).and_then(|s| s.try_into().ok()).ok_or("truncated")?;
        Ok(if little { u32::from_le_bytes(b) } else { u32::from_be_bytes(b) })
    };
    let linktype = u32_at(20)?;
    let mut out = Vec::new();
    let mut pos = 24;
    while pos < data.len() {
        let incl = usize::try_from(u32_at(pos + 8)?).map_err(|_| "length")?;
        let start = pos + 16;
        let frame = data.get(start..start + incl).ok_or("truncated record")?;
        pos = start + incl;
        let ip = match linktype {
            1 if frame.len() >= 14 && frame[12..14] == [0x08, 0x00] => &frame[14..],
            113 if frame.len() >= 16 && frame[14..16] == [0x08, 0x00] => &frame[16..],
            101 => frame,
            1 | 113 => continue,
            other => return Err(format!("unsupported link type {other}")),
        };
        if let Some(payload) = udp_payload(ip, port) {
            out.push(payload.to_vec());
        }
    }
    Ok(out)
}

fn udp_payload(ip: &[u8], port: u16) -> Option<&[u8]> {
    if ip.len() < 20 || ip[0] >> 4 != 4 || ip[9] != 17 {
        return None;
    }
    let ihl = usize::from(ip[0] & 15) * 4;
    let udp = ip.get(ihl..)?;
    let src = u16::from_be_bytes([*udp.first()?, *udp.get(1)?]);
    let dst = u16::from_be_bytes([*udp.get(2)?, *udp.get(3)?]);
    let len = usize::from(u16::from_be_bytes([*udp.get(4)?, *udp.get(5)?]));
    if src != port && dst != port {
        return None;
    }
    udp.get(8..len)
}
