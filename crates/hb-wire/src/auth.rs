//! Keys and digest algorithms (spec §3.1, §3.2).

use hmac::digest::KeyInit;
use hmac::{Hmac, Mac};
use subtle::ConstantTimeEq;

/// Highest auth key index heartbeat accepts (`MAXAUTH` − 1).
pub const MAX_KEY_INDEX: u8 = 15;

/// A digest method of `authkeys`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AuthMethod {
    /// CRC-32/CKSUM; no key, no protection against forgery.
    Crc,
    /// HMAC-MD5.
    Md5,
    /// HMAC-SHA1.
    Sha1,
}

impl AuthMethod {
    /// The method's name as written in `authkeys`.
    pub fn name(self) -> &'static str {
        match self {
            AuthMethod::Crc => "crc",
            AuthMethod::Md5 => "md5",
            AuthMethod::Sha1 => "sha1",
        }
    }

    /// Parses an `authkeys` method name (lower case, as heartbeat's plugin names).
    pub fn from_name(name: &str) -> Option<AuthMethod> {
        match name {
            "crc" => Some(AuthMethod::Crc),
            "md5" => Some(AuthMethod::Md5),
            "sha1" => Some(AuthMethod::Sha1),
            _ => None,
        }
    }
}

impl std::fmt::Display for AuthMethod {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// One line of `authkeys`: `index method [secret]`. The secret is ignored for `crc`.
#[derive(Clone, PartialEq, Eq)]
pub struct AuthKey {
    /// Key index, 0..=15.
    pub index: u8,
    /// Digest method.
    pub method: AuthMethod,
    /// The key token, used as-is.
    pub secret: Vec<u8>,
}

impl std::fmt::Debug for AuthKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthKey")
            .field("index", &self.index)
            .field("method", &self.method)
            .field("secret", &"<redacted>")
            .finish()
    }
}

/// A digest as heartbeat prints it: lower-case hex, crc without zero padding.
pub(crate) struct DigestHex {
    buf: [u8; 40],
    len: usize,
}

impl DigestHex {
    pub(crate) fn as_bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }

    fn from_bytes(bytes: &[u8]) -> DigestHex {
        let mut d = DigestHex { buf: [0; 40], len: 0 };
        for &b in bytes.iter().take(20) {
            d.buf[d.len] = HEX[usize::from(b >> 4)];
            d.buf[d.len + 1] = HEX[usize::from(b & 15)];
            d.len += 2;
        }
        d
    }

    fn from_crc(value: u32) -> DigestHex {
        let mut d = DigestHex { buf: [0; 40], len: 0 };
        let digits = (8 - value.leading_zeros() as usize / 4).max(1);
        for i in (0..digits).rev() {
            d.buf[d.len] = HEX[((value >> (4 * i)) & 15) as usize];
            d.len += 1;
        }
        d
    }
}

const HEX: &[u8; 16] = b"0123456789abcdef";
const CKSUM: crc::Crc<u32> = crc::Crc::<u32>::new(&crc::CRC_32_CKSUM);

impl AuthKey {
    /// Digest of `data` under this key, as lower-case hex text.
    pub(crate) fn digest(&self, data: &[u8]) -> DigestHex {
        match self.method {
            AuthMethod::Crc => DigestHex::from_crc(CKSUM.checksum(data)),
            AuthMethod::Md5 => DigestHex::from_bytes(&hmac_md5(&self.secret, data)),
            AuthMethod::Sha1 => DigestHex::from_bytes(&hmac_sha1(&self.secret, data)),
        }
    }

    /// Constant-time check of a received hex token against the digest of `data`.
    pub(crate) fn verify(&self, data: &[u8], token: &[u8]) -> bool {
        let expected = self.digest(data);
        let expected = expected.as_bytes();
        expected.len() == token.len() && bool::from(expected.ct_eq(token))
    }
}

fn hmac_md5(key: &[u8], data: &[u8]) -> Vec<u8> {
    // HMAC accepts keys of any length (long keys are hashed first), so this cannot fail.
    match <Hmac<md5::Md5> as KeyInit>::new_from_slice(key) {
        Ok(mut mac) => {
            mac.update(data);
            mac.finalize().into_bytes().to_vec()
        }
        Err(_) => Vec::new(),
    }
}

fn hmac_sha1(key: &[u8], data: &[u8]) -> Vec<u8> {
    match <Hmac<sha1::Sha1> as KeyInit>::new_from_slice(key) {
        Ok(mut mac) => {
            mac.update(data);
            mac.finalize().into_bytes().to_vec()
        }
        Err(_) => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(method: AuthMethod) -> AuthKey {
        AuthKey { index: 1, method, secret: b"la-lab-secret".to_vec() }
    }

    #[test]
    fn crc_check_value_and_no_padding() {
        let k = key(AuthMethod::Crc);
        assert_eq!(k.digest(b"123456789").as_bytes(), b"765e7680");
        assert_eq!(DigestHex::from_crc(0x00ab_cdef).as_bytes(), b"abcdef");
        assert_eq!(DigestHex::from_crc(0).as_bytes(), b"0");
    }

    #[test]
    fn hmac_rfc_vectors() {
        // RFC 2202 test case 2.
        let k = AuthKey { index: 0, method: AuthMethod::Md5, secret: b"Jefe".to_vec() };
        assert_eq!(
            k.digest(b"what do ya want for nothing?").as_bytes(),
            b"750c783e6ab0b503eaa86e310a5db738"
        );
        let k = AuthKey { method: AuthMethod::Sha1, ..k };
        assert_eq!(
            k.digest(b"what do ya want for nothing?").as_bytes(),
            b"effcdf6ae5eb2fa2d27416d5f184df9c259a7c79"
        );
    }

    #[test]
    fn verify_rejects_prefix_and_case() {
        let k = key(AuthMethod::Sha1);
        let d = k.digest(b"x");
        assert!(k.verify(b"x", d.as_bytes()));
        assert!(!k.verify(b"x", &d.as_bytes()[..39]));
        assert!(!k.verify(b"x", d.as_bytes().to_ascii_uppercase().as_slice()));
        assert!(!format!("{k:?}").contains("la-lab"));
    }
}
