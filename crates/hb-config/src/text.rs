//! Shared lexical helpers: decoding, lines and whitespace-separated tokens with their columns.

use std::path::Path;

use crate::error::{ConfigError, Location};

/// Longest line accepted (heartbeat's `MAXLINE` is 5120 bytes; longer lines are an error).
pub(crate) const MAX_LINE: usize = 5120;
/// Largest file accepted by the parsers.
pub(crate) const MAX_FILE: usize = 1 << 20;

/// A token of a line and its 1-based column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Tok<'a> {
    pub text: &'a str,
    pub col: u32,
}

/// Reads at most [`MAX_FILE`]` + 1` bytes of `path` (so `/dev/zero` cannot exhaust memory;
/// [`decode`] then reports the size).
pub(crate) fn read_limited(path: &Path) -> Result<Vec<u8>, ConfigError> {
    use std::io::Read;
    let io = |source| ConfigError::Io { path: path.to_path_buf(), source };
    let file = std::fs::File::open(path).map_err(io)?;
    let mut bytes = Vec::new();
    file.take(MAX_FILE as u64 + 1).read_to_end(&mut bytes).map_err(io)?;
    Ok(bytes)
}

/// Decodes `bytes` as UTF-8, or names the line and column of the first invalid byte.
pub(crate) fn decode<'a>(file: &Path, bytes: &'a [u8]) -> Result<&'a str, ConfigError> {
    if bytes.len() > MAX_FILE {
        return Err(ConfigError::invalid(
            Location::new(file, 1, 1),
            format!("file is larger than {MAX_FILE} bytes"),
        ));
    }
    match std::str::from_utf8(bytes) {
        Ok(s) => Ok(s),
        Err(e) => {
            let good = &bytes[..e.valid_up_to()];
            let line = good.iter().filter(|&&b| b == b'\n').count() + 1;
            let line_start = good.iter().rposition(|&b| b == b'\n').map_or(0, |p| p + 1);
            let prefix = String::from_utf8_lossy(&good[line_start..]);
            let col = prefix.chars().count() + 1;
            Err(ConfigError::invalid(
                Location::new(file, to_u32(line), to_u32(col)),
                "invalid UTF-8 byte; expected text",
            ))
        }
    }
}

/// Lines of `text` with their 1-based numbers, `\r` stripped, length-checked.
pub(crate) fn lines<'a>(
    file: &'a Path,
    text: &'a str,
) -> impl Iterator<Item = Result<(u32, &'a str), ConfigError>> + 'a {
    text.split('\n').enumerate().map(move |(i, raw)| {
        let n = to_u32(i + 1);
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        if line.len() > MAX_LINE {
            return Err(ConfigError::invalid(
                Location::new(file, n, 1),
                format!("line is longer than {MAX_LINE} bytes"),
            ));
        }
        Ok((n, line))
    })
}

/// Splits `s` (which starts at column `base`) at any character for which `is_sep` holds.
pub(crate) fn split_tokens(s: &str, base: u32, is_sep: impl Fn(char) -> bool) -> Vec<Tok<'_>> {
    let mut out = Vec::new();
    let mut start: Option<(usize, u32)> = None;
    let mut col = base;
    for (i, c) in s.char_indices() {
        if is_sep(c) {
            if let Some((b, bc)) = start.take() {
                out.push(Tok { text: &s[b..i], col: bc });
            }
        } else if start.is_none() {
            start = Some((i, col));
        }
        col = col.saturating_add(1);
    }
    if let Some((b, bc)) = start {
        out.push(Tok { text: &s[b..], col: bc });
    }
    out
}

/// Whitespace as heartbeat's `WHITESPACE` (space, tab, CR, LF, form feed; also vertical tab).
pub(crate) fn is_ws(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n' | '\x0c' | '\x0b')
}

/// Saturating conversion for line and column numbers.
pub(crate) fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_carry_columns() {
        let t = split_tokens("  ab\tc  d", 1, is_ws);
        let got: Vec<(&str, u32)> = t.iter().map(|t| (t.text, t.col)).collect();
        assert_eq!(got, vec![("ab", 3), ("c", 6), ("d", 9)]);
    }

    #[test]
    fn invalid_utf8_is_located() {
        let err = decode(Path::new("f"), b"ok\nab\xffc").unwrap_err();
        assert_eq!(err.to_string(), "f:2:3: invalid UTF-8 byte; expected text");
    }

    #[test]
    fn endless_files_are_cut_and_refused() {
        let bytes = read_limited(Path::new("/dev/zero")).unwrap();
        assert_eq!(bytes.len(), MAX_FILE + 1);
        let err = decode(Path::new("/dev/zero"), &bytes).unwrap_err();
        assert_eq!(err.to_string(), "/dev/zero:1:1: file is larger than 1048576 bytes");
    }

    #[test]
    fn crlf_lines_are_stripped() {
        let v: Vec<_> = lines(Path::new("f"), "a\r\nb").map(|r| r.ok()).collect();
        assert_eq!(v, vec![Some((1, "a")), Some((2, "b"))]);
    }
}
