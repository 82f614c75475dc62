//! The `include` glob: `*`, `?` and `[...]` in any path component, matches sorted, as
//! glob(3) does for keepalived. Hidden files match only a pattern that starts with a dot.

use std::path::{Component, Path, PathBuf};

/// Most paths one pattern may expand to.
const MAX_MATCHES: usize = 256;

/// The existing paths `pattern` names, sorted; a pattern without wildcards names itself when it
/// exists.
pub(crate) fn expand(pattern: &Path) -> Vec<PathBuf> {
    let mut found = vec![PathBuf::new()];
    for comp in pattern.components() {
        let mut next = Vec::new();
        match comp {
            Component::Normal(name) => {
                let name = name.to_string_lossy();
                if !has_wildcard(&name) {
                    next = found.into_iter().map(|p| p.join(name.as_ref())).collect();
                } else {
                    for dir in &found {
                        let listing = if dir.as_os_str().is_empty() { Path::new(".") } else { dir };
                        let Ok(entries) = std::fs::read_dir(listing) else { continue };
                        let mut names: Vec<String> = entries
                            .filter_map(Result::ok)
                            .map(|e| e.file_name().to_string_lossy().into_owned())
                            .filter(|n| matches(&name, n))
                            .collect();
                        names.sort();
                        next.extend(names.into_iter().map(|n| dir.join(n)));
                        if next.len() > MAX_MATCHES {
                            break;
                        }
                    }
                }
            }
            other => next = found.into_iter().map(|p| p.join(other.as_os_str())).collect(),
        }
        next.truncate(MAX_MATCHES);
        found = next;
    }
    found.retain(|p| p.is_file());
    found
}

fn has_wildcard(s: &str) -> bool {
    s.contains(['*', '?', '['])
}

/// Whether `name` matches the one-component `pattern`.
fn matches(pattern: &str, name: &str) -> bool {
    if name.starts_with('.') && !pattern.starts_with('.') {
        return false;
    }
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    match_at(&p, &n)
}

fn match_at(p: &[char], n: &[char]) -> bool {
    // Iterative with one backtrack point for `*`: linear enough for file names.
    let (mut pi, mut ni) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ni < n.len() {
        match p.get(pi) {
            Some('*') => {
                star = Some((pi, ni));
                pi += 1;
                continue;
            }
            Some('?') => {
                pi += 1;
                ni += 1;
                continue;
            }
            Some('[') => {
                if let Some((ok, len)) = class(&p[pi..], n[ni]) {
                    if ok {
                        pi += len;
                        ni += 1;
                        continue;
                    }
                } else if n[ni] == '[' {
                    pi += 1;
                    ni += 1;
                    continue;
                }
            }
            Some(c) if *c == n[ni] => {
                pi += 1;
                ni += 1;
                continue;
            }
            _ => {}
        }
        match star {
            Some((sp, sn)) => {
                pi = sp + 1;
                ni = sn + 1;
                star = Some((sp, sn + 1));
            }
            None => return false,
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

/// Matches `c` against the class at the start of `p` (`[abc]`, `[a-z]`, `[!x]`); returns the
/// result and the class's length, or None when the bracket is not closed.
fn class(p: &[char], c: char) -> Option<(bool, usize)> {
    let mut i = 1;
    let negate = matches!(p.get(1), Some('!' | '^'));
    if negate {
        i += 1;
    }
    let mut hit = false;
    let mut first = true;
    while let Some(&pc) = p.get(i) {
        if pc == ']' && !first {
            return Some((hit != negate, i + 1));
        }
        first = false;
        if p.get(i + 1) == Some(&'-') && p.get(i + 2).is_some_and(|&e| e != ']') {
            let hi = p[i + 2];
            hit |= (pc..=hi).contains(&c);
            i += 3;
        } else {
            hit |= pc == c;
            i += 1;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns() {
        assert!(matches("*.conf", "a.conf"));
        assert!(!matches("*.conf", "a.conf.bak"));
        assert!(!matches("*.conf", ".hidden.conf"));
        assert!(matches("vi_?.conf", "vi_1.conf"));
        assert!(matches("vi_[0-9].conf", "vi_7.conf"));
        assert!(!matches("vi_[!0-9].conf", "vi_7.conf"));
        assert!(matches("a*b*c", "aXXbYYc"));
        assert!(!matches("a*b*c", "aXXbYY"));
    }

    #[test]
    fn expands_sorted_files_in_globbed_directories() {
        let d = tempfile::tempdir().unwrap();
        for sub in ["x1", "x2"] {
            std::fs::create_dir(d.path().join(sub)).unwrap();
            std::fs::write(d.path().join(sub).join("b.conf"), "").unwrap();
            std::fs::write(d.path().join(sub).join("a.conf"), "").unwrap();
        }
        let got = expand(&d.path().join("x*/*.conf"));
        let rel: Vec<String> =
            got.iter().map(|p| p.strip_prefix(d.path()).unwrap().display().to_string()).collect();
        assert_eq!(rel, ["x1/a.conf", "x1/b.conf", "x2/a.conf", "x2/b.conf"]);
        assert!(expand(&d.path().join("none*.conf")).is_empty());
        assert_eq!(expand(&d.path().join("x1/a.conf")).len(), 1);
    }
}
