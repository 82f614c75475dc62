//! `hbctl decode-packet`: decode and verify one raw heartbeat UDP payload.
//!
//! Reads the payload (binary, or a hex dump when the input is only hex digits and white
//! space) from a file or stdin, prints the framing, every field on its own line (binary
//! values as hex) and the authentication result. Succeeds only if the datagram parsed and
//! verified.

use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context};
use hb_wire::{AuthKey, AuthMethod, Authenticator, Value, WireFormat};

/// Largest input accepted: a hex dump of the largest datagram, with spacing.
const MAX_INPUT: u64 = (hb_wire::MAX_MESSAGE_SIZE as u64) * 4;
/// Largest authkeys file read.
const MAX_AUTHKEYS: u64 = 64 * 1024;

/// Arguments of `hbctl decode-packet`.
#[derive(clap::Args, Debug)]
pub struct DecodePacketArgs {
    /// The authkeys file to verify with.
    #[arg(long, value_name = "FILE")]
    pub authkeys: PathBuf,
    /// Expected framing; `auto` decides by the first four bytes.
    #[arg(long, value_enum, default_value_t = FormatArg::Auto)]
    pub format: FormatArg,
    /// The payload file, or `-` for stdin.
    #[arg(default_value = "-")]
    pub input: String,
}

/// Framing choice on the command line.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum FormatArg {
    /// Detect from the first four bytes.
    Auto,
    /// `###\n` netstring framing only.
    Netstring,
    /// `>>>\n` classic framing only.
    Classic,
}

/// Runs the subcommand. Prints the decoded fields and `auth: ok (key N, method)`, or the
/// exact failure; returns an error (exit status 1) unless the datagram parsed and verified.
pub fn run(args: &DecodePacketArgs) -> anyhow::Result<()> {
    let auth = load_authkeys(&args.authkeys)?;
    let raw = read_input(&args.input)?;
    let datagram = if looks_like_hex(&raw) { hex_to_bytes(&raw)? } else { raw };
    let detected = WireFormat::detect(&datagram)
        .ok_or_else(|| anyhow!("decode failed: {}", hb_wire::WireError::UnknownFraming))?;
    let wanted = match args.format {
        FormatArg::Auto => detected,
        FormatArg::Netstring => WireFormat::Netstring,
        FormatArg::Classic => WireFormat::Classic,
    };
    if wanted != detected {
        bail!("datagram is in {detected:?} format, not {wanted:?}");
    }
    let decoded = hb_wire::decode(&datagram).map_err(|e| anyhow!("decode failed: {e}"))?;
    println!("format: {}", format_name(detected));
    print_fields(decoded.message.fields(), 0);
    if let Some(trailer) = &decoded.trailer {
        println!("trailer: {}", escape(trailer));
    }
    match auth.open(&datagram) {
        Ok(verified) => {
            let method = auth.key(verified.key_index()).map(|k| k.method.name()).unwrap_or("?");
            println!("auth: ok (key {}, {method})", verified.key_index());
            Ok(())
        }
        Err(e) => {
            println!("auth: failed: {e}");
            Err(anyhow!("authentication failed: {e}"))
        }
    }
}

/// Reads an `authkeys` file with hb-config's parser (errors name file:line:column) into an
/// [`Authenticator`]. The file's mode is not checked: this is a diagnostic tool, often pointed
/// at a copy of another node's keys.
pub fn load_authkeys(path: &Path) -> anyhow::Result<Authenticator> {
    let mut text = String::new();
    std::fs::File::open(path)
        .with_context(|| format!("cannot open {}", path.display()))?
        .take(MAX_AUTHKEYS)
        .read_to_string(&mut text)
        .with_context(|| format!("cannot read {}", path.display()))?;
    let (keys, _warnings) = hb_config::authkeys::parse_authkeys(path, &text)?;
    authenticator(&keys).map_err(|e| anyhow!("{}: {e}", path.display()))
}

/// The wire authenticator for parsed `authkeys`: the active key signs, every key verifies.
pub fn authenticator(keys: &hb_config::AuthKeys) -> Result<Authenticator, hb_wire::WireError> {
    let wire_keys = keys
        .keys()
        .iter()
        .map(|k| AuthKey {
            index: k.index().get(),
            method: match k.method() {
                hb_config::AuthMethod::Crc => AuthMethod::Crc,
                hb_config::AuthMethod::Md5 => AuthMethod::Md5,
                hb_config::AuthMethod::Sha1 => AuthMethod::Sha1,
            },
            secret: k.secret().as_bytes().to_vec(),
        })
        .collect();
    Authenticator::new(keys.active().index().get(), wire_keys)
}

fn read_input(input: &str) -> anyhow::Result<Vec<u8>> {
    let mut data = Vec::new();
    let reader: Box<dyn Read> = if input == "-" {
        Box::new(std::io::stdin())
    } else {
        Box::new(std::fs::File::open(input).with_context(|| format!("cannot open {input}"))?)
    };
    reader
        .take(MAX_INPUT + 1)
        .read_to_end(&mut data)
        .with_context(|| format!("cannot read {input}"))?;
    if data.len() as u64 > MAX_INPUT {
        bail!("input larger than {MAX_INPUT} bytes");
    }
    Ok(data)
}

fn looks_like_hex(data: &[u8]) -> bool {
    data.iter().any(u8::is_ascii_hexdigit)
        && data.iter().all(|b| b.is_ascii_hexdigit() || b.is_ascii_whitespace())
}

fn hex_to_bytes(text: &[u8]) -> anyhow::Result<Vec<u8>> {
    let digits: Vec<u8> = text
        .iter()
        .filter(|b| !b.is_ascii_whitespace())
        .map(|&b| match b {
            b'0'..=b'9' => b - b'0',
            b'a'..=b'f' => b - b'a' + 10,
            _ => b - b'A' + 10,
        })
        .collect();
    if digits.len() % 2 != 0 {
        bail!("hex dump has an odd number of digits");
    }
    Ok(digits.chunks(2).map(|p| (p[0] << 4) | p[1]).collect())
}

fn format_name(format: WireFormat) -> &'static str {
    match format {
        WireFormat::Netstring => "netstring",
        WireFormat::Classic => "classic",
    }
}

fn print_fields(fields: &[hb_wire::Field], depth: usize) {
    let indent = "  ".repeat(depth);
    for field in fields {
        match &field.value {
            Value::Str(s) => println!("{indent}{}={}", field.name, escape(s)),
            Value::Bin(b) => println!("{indent}(1){}={}", field.name, hex(b)),
            Value::Struct(child) => {
                println!("{indent}(2){}:", field.name);
                print_fields(child.fields(), depth + 1);
            }
            Value::List(items) => {
                let items: Vec<String> = items.iter().map(|i| escape(i)).collect();
                println!("{indent}(3){}=[{}]", field.name, items.join(", "));
            }
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Printable ASCII as is, everything else as `\xNN` (so output stays one line per field).
fn escape(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|&b| match b {
            b'\\' => "\\\\".to_owned(),
            b' '..=b'~' => char::from(b).to_string(),
            _ => format!("\\x{b:02x}"),
        })
        .collect()
}
