//! keepalived.conf's lexical layer: lines split into words, quoted strings and braces, `#` and
//! `!` comments, `include` (with globs) expanded in place, and the words grouped into a tree of
//! statements. As in keepalived 2.2.7, the text between braces on one line is one statement:
//! `authentication { auth_type PASS auth_pass 1111 }` is the single statement `auth_type` with
//! three arguments (keepalived then ignores the password, and so do we).

use std::path::{Path, PathBuf};

use super::glob::expand;
use super::types::{Finding, Severity};
use crate::error::{ConfigError, Location};
use crate::text::{decode, read_limited, to_u32, MAX_LINE};

/// Deepest `include` nesting followed (keepalived has no limit; a loop must not hang us).
const MAX_INCLUDE_DEPTH: usize = 8;
/// Most files read for one configuration.
const MAX_FILES: usize = 256;
/// Most statements in one configuration.
const MAX_STATEMENTS: usize = 200_000;
/// Deepest block nesting accepted.
const MAX_NESTING: usize = 16;

/// One word of a statement: its text (quotes removed) and 1-based column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Word {
    pub text: String,
    pub col: u32,
}

/// A statement: a keyword, its arguments, and the block that follows it, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Stmt {
    /// Where the keyword is.
    pub loc: Location,
    /// Keyword first, then the arguments; never empty.
    pub words: Vec<Word>,
    /// The statements between `{` and `}` after it.
    pub block: Option<Vec<Stmt>>,
}

impl Stmt {
    /// The keyword.
    pub fn keyword(&self) -> &str {
        self.words.first().map_or("", |w| w.text.as_str())
    }

    /// The arguments after the keyword.
    pub fn args(&self) -> &[Word] {
        self.words.get(1..).unwrap_or(&[])
    }

    /// The location of argument `i` (0-based), or of the keyword when it is missing.
    pub fn arg_loc(&self, i: usize) -> Location {
        let mut loc = self.loc.clone();
        if let Some(w) = self.words.get(i + 1) {
            loc.column = w.col;
        }
        loc
    }
}

/// A token of a line.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    Word(Word),
    Open(u32),
    Close(u32),
}

/// Reads `path` (and what it includes) into a statement tree. Problems that keepalived reports
/// and goes on from (unbalanced braces, include matching nothing) become findings.
pub(crate) fn read_tree(
    path: &Path,
    text: Option<&str>,
    includes: bool,
    findings: &mut Vec<Finding>,
    files: &mut Vec<PathBuf>,
) -> Result<Vec<Stmt>, ConfigError> {
    let mut b = Builder { stack: vec![(Vec::new(), None)], count: 0, includes, findings, files };
    b.file(path, text, 0)?;
    b.finish()
}

/// An open block: its statements so far and the statement that opened it.
type Frame = (Vec<Stmt>, Option<Stmt>);

struct Builder<'a> {
    stack: Vec<Frame>,
    count: usize,
    includes: bool,
    findings: &'a mut Vec<Finding>,
    files: &'a mut Vec<PathBuf>,
}

impl Builder<'_> {
    fn file(&mut self, path: &Path, text: Option<&str>, depth: usize) -> Result<(), ConfigError> {
        if self.files.len() >= MAX_FILES {
            return Err(ConfigError::invalid(
                Location::new(path, 1, 1),
                format!("more than {MAX_FILES} configuration files included"),
            ));
        }
        self.files.push(path.to_path_buf());
        let owned;
        let text = match text {
            Some(t) => t,
            None => {
                owned = read_limited(path)?;
                decode(path, &owned)?
            }
        };
        for (i, raw) in text.split('\n').enumerate() {
            let n = to_u32(i + 1);
            let line = raw.strip_suffix('\r').unwrap_or(raw);
            if line.len() > MAX_LINE {
                return Err(ConfigError::invalid(
                    Location::new(path, n, 1),
                    format!("line is longer than {MAX_LINE} bytes"),
                ));
            }
            self.line(path, n, line, depth)?;
        }
        Ok(())
    }

    fn line(&mut self, path: &Path, n: u32, line: &str, depth: usize) -> Result<(), ConfigError> {
        let toks = tokenize(line);
        if let Some(Tok::Word(w)) = toks.first() {
            if w.text == "include" {
                return self.include(path, n, &toks[1..], depth);
            }
        }
        let mut words: Vec<Word> = Vec::new();
        let mut first_col = 1;
        for tok in toks {
            match tok {
                Tok::Word(w) => {
                    if words.is_empty() {
                        first_col = w.col;
                    }
                    words.push(w);
                }
                Tok::Open(col) => {
                    let opener = if words.is_empty() {
                        // `{` alone: it opens the block of the statement just before it.
                        self.take_last_without_block()
                    } else {
                        Some(self.stmt(path, n, first_col, std::mem::take(&mut words))?)
                    };
                    let Some(opener) = opener else {
                        self.finding(path, n, col, Severity::Error, "'{' without a keyword");
                        self.stack.push((Vec::new(), None));
                        continue;
                    };
                    if self.stack.len() > MAX_NESTING {
                        return Err(ConfigError::invalid(
                            Location::new(path, n, col),
                            format!("blocks nested deeper than {MAX_NESTING}"),
                        ));
                    }
                    self.stack.push((Vec::new(), Some(opener)));
                }
                Tok::Close(col) => {
                    if !words.is_empty() {
                        let s = self.stmt(path, n, first_col, std::mem::take(&mut words))?;
                        self.push(s);
                    }
                    self.close(path, n, col);
                }
            }
        }
        if !words.is_empty() {
            let s = self.stmt(path, n, first_col, words)?;
            self.push(s);
        }
        Ok(())
    }

    fn include(
        &mut self,
        path: &Path,
        n: u32,
        args: &[Tok],
        depth: usize,
    ) -> Result<(), ConfigError> {
        let Some(Tok::Word(pattern)) = args.first() else {
            self.finding(path, n, 1, Severity::Error, "include without a file name");
            return Ok(());
        };
        if !self.includes {
            self.finding(path, n, pattern.col, Severity::Error, "include not followed here");
            return Ok(());
        }
        if depth >= MAX_INCLUDE_DEPTH {
            return Err(ConfigError::invalid(
                Location::new(path, n, pattern.col),
                format!("includes nested deeper than {MAX_INCLUDE_DEPTH} (an include loop?)"),
            ));
        }
        // Relative names are relative to the including file's directory, as in keepalived 2.
        let base = path.parent().unwrap_or(Path::new("."));
        let full = base.join(&pattern.text);
        let matches = expand(&full);
        if matches.is_empty() {
            let msg = format!("include '{}' matches no file", pattern.text);
            self.finding(path, n, pattern.col, Severity::Error, &msg);
        }
        for m in matches {
            self.file(&m, None, depth + 1)?;
        }
        Ok(())
    }

    fn stmt(
        &mut self,
        path: &Path,
        n: u32,
        col: u32,
        words: Vec<Word>,
    ) -> Result<Stmt, ConfigError> {
        self.count += 1;
        if self.count > MAX_STATEMENTS {
            return Err(ConfigError::invalid(
                Location::new(path, n, col),
                format!("more than {MAX_STATEMENTS} statements"),
            ));
        }
        Ok(Stmt { loc: Location::new(path, n, col), words, block: None })
    }

    fn push(&mut self, s: Stmt) {
        if let Some(top) = self.stack.last_mut() {
            top.0.push(s);
        }
    }

    fn take_last_without_block(&mut self) -> Option<Stmt> {
        let top = self.stack.last_mut()?;
        match top.0.last() {
            Some(s) if s.block.is_none() => top.0.pop(),
            _ => None,
        }
    }

    fn close(&mut self, path: &Path, n: u32, col: u32) {
        if self.stack.len() <= 1 {
            self.finding(path, n, col, Severity::Error, "extra '}' found");
            return;
        }
        // A frame without opener (a stray `{`) is dropped with its content.
        if let Some((stmts, Some(mut s))) = self.stack.pop() {
            s.block = Some(stmts);
            self.push(s);
        }
    }

    fn finish(mut self) -> Result<Vec<Stmt>, ConfigError> {
        while self.stack.len() > 1 {
            if let Some((stmts, Some(mut s))) = self.stack.pop() {
                let msg = format!("missing '}}' for the '{}' block opened here", s.keyword());
                self.findings.push(Finding::new(s.loc.clone(), Severity::Error, msg));
                s.block = Some(stmts);
                self.push(s);
            }
        }
        Ok(self.stack.pop().map(|f| f.0).unwrap_or_default())
    }

    fn finding(&mut self, path: &Path, n: u32, col: u32, sev: Severity, msg: &str) {
        self.findings.push(Finding::new(Location::new(path, n, col), sev, msg));
    }
}

/// Splits one line into words, quoted strings and braces; `#` or `!` outside quotes ends it.
fn tokenize(line: &str) -> Vec<Tok> {
    let mut out = Vec::new();
    let mut cur: Option<Word> = None;
    let mut quoted = false;
    let mut col = 0u32;
    let flush = |cur: &mut Option<Word>, out: &mut Vec<Tok>| {
        if let Some(w) = cur.take() {
            out.push(Tok::Word(w));
        }
    };
    for c in line.chars() {
        col = col.saturating_add(1);
        if quoted {
            if c == '"' {
                // The word was opened at the quote, so `""` is still a (empty) word.
                quoted = false;
            } else if let Some(w) = cur.as_mut() {
                w.text.push(c);
            } else {
                cur = Some(Word { text: c.to_string(), col });
            }
            continue;
        }
        match c {
            '#' | '!' => break,
            '"' => {
                quoted = true;
                if cur.is_none() {
                    cur = Some(Word { text: String::new(), col });
                }
            }
            '{' => {
                flush(&mut cur, &mut out);
                out.push(Tok::Open(col));
            }
            '}' => {
                flush(&mut cur, &mut out);
                out.push(Tok::Close(col));
            }
            c if c.is_whitespace() => flush(&mut cur, &mut out),
            c => match cur.as_mut() {
                Some(w) => w.text.push(c),
                None => cur = Some(Word { text: c.to_string(), col }),
            },
        }
    }
    flush(&mut cur, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(line: &str) -> Vec<String> {
        tokenize(line)
            .into_iter()
            .map(|t| match t {
                Tok::Word(w) => w.text,
                Tok::Open(_) => "{".into(),
                Tok::Close(_) => "}".into(),
            })
            .collect()
    }

    #[test]
    fn comments_quotes_and_braces() {
        assert_eq!(words("priority 100#x"), ["priority", "100"]);
        assert_eq!(words("  priority 100 ! 99 elsewhere"), ["priority", "100"]);
        assert_eq!(words(r#"script "/bin/a b" # c"#), ["script", "/bin/a b"]);
        assert_eq!(words(r#"auth_pass "a#b!c""#), ["auth_pass", "a#b!c"]);
        assert_eq!(words("vrrp_instance VI_1{"), ["vrrp_instance", "VI_1", "{"]);
        assert_eq!(words("a { b c }"), ["a", "{", "b", "c", "}"]);
    }

    #[test]
    fn one_line_block_is_one_statement() {
        let mut f = Vec::new();
        let mut files = Vec::new();
        let text = "authentication { auth_type PASS  auth_pass 1111 }\n";
        let t = read_tree(Path::new("k.conf"), Some(text), false, &mut f, &mut files).unwrap();
        assert!(f.is_empty(), "{f:?}");
        let inner = t[0].block.as_ref().unwrap();
        assert_eq!(inner.len(), 1);
        assert_eq!(inner[0].keyword(), "auth_type");
        assert_eq!(inner[0].args().len(), 3);
    }

    #[test]
    fn brace_on_its_own_line_opens_the_previous_statement() {
        let mut f = Vec::new();
        let mut files = Vec::new();
        let text = "vrrp_instance X\n{\n priority 1\n}\n";
        let t = read_tree(Path::new("k.conf"), Some(text), false, &mut f, &mut files).unwrap();
        assert!(f.is_empty(), "{f:?}");
        assert_eq!(t.len(), 1);
        assert_eq!(t[0].block.as_ref().unwrap()[0].keyword(), "priority");
    }

    #[test]
    fn unbalanced_braces_are_findings_with_lines() {
        let mut f = Vec::new();
        let mut files = Vec::new();
        let text = "a {\n b\n}\n}\nc {\n";
        read_tree(Path::new("k.conf"), Some(text), false, &mut f, &mut files).unwrap();
        let s: Vec<String> = f.iter().map(ToString::to_string).collect();
        assert_eq!(
            s,
            [
                "k.conf:4:1: error: extra '}' found",
                "k.conf:5:1: error: missing '}' for the 'c' block opened here"
            ]
        );
    }
}
