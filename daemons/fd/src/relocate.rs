//! Restore path relocation (features.md §5.8): `where=` prefixes and
//! `regexwhere=` rules, and the checks that keep a restore inside its target.

use std::ffi::OsString;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Component, Path, PathBuf};

use regex::bytes::{Regex, RegexBuilder};

/// One `!from!to!flags` rule.
#[derive(Debug, Clone)]
pub struct Rule {
    re: Regex,
    /// Replacement in `regex` syntax (`\1` converted to `${1}`).
    to: Vec<u8>,
    global: bool,
}

/// Parse a `regexwhere` expression: rules separated by `,`, each
/// `<sep>from<sep>to<sep>flags` with any separator character (a separator inside
/// `from`/`to` is escaped with `\`); flags `i` (ignore case) and `g` (global).
pub fn parse_regexwhere(expr: &str) -> Result<Vec<Rule>, String> {
    let mut rules = Vec::new();
    let chars: Vec<char> = expr.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let sep = chars[i];
        if sep == ',' || sep.is_alphanumeric() || sep == '\\' {
            return Err(format!("bad separator {sep:?} in regexwhere \"{expr}\""));
        }
        i += 1;
        let mut parts = [String::new(), String::new()];
        for part in &mut parts {
            loop {
                let Some(&c) = chars.get(i) else {
                    return Err(format!("unterminated rule in regexwhere \"{expr}\""));
                };
                i += 1;
                if c == '\\' && chars.get(i) == Some(&sep) {
                    part.push(sep);
                    i += 1;
                } else if c == sep {
                    break;
                } else {
                    part.push(c);
                }
            }
        }
        let mut ic = false;
        let mut global = false;
        while let Some(&c) = chars.get(i) {
            i += 1;
            match c {
                ',' => break,
                'i' => ic = true,
                'g' => global = true,
                _ => return Err(format!("unknown flag {c:?} in regexwhere \"{expr}\"")),
            }
        }
        let [from, to] = parts;
        let re = RegexBuilder::new(&from)
            .case_insensitive(ic)
            .unicode(false)
            .build()
            .map_err(|e| format!("bad regex \"{from}\": {e}"))?;
        rules.push(Rule { re, to: convert_replacement(&to), global });
    }
    if rules.is_empty() {
        return Err("empty regexwhere".into());
    }
    Ok(rules)
}

/// `\1` → `${1}`, `$` → `$$` (a literal dollar).
fn convert_replacement(to: &str) -> Vec<u8> {
    let mut out = Vec::new();
    let b = to.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'\\' if i + 1 < b.len() && b[i + 1].is_ascii_digit() => {
                out.extend_from_slice(format!("${{{}}}", b[i + 1] - b'0').as_bytes());
                i += 2;
            }
            b'\\' if i + 1 < b.len() => {
                out.push(b[i + 1]);
                i += 2;
            }
            b'$' => {
                out.extend_from_slice(b"$$");
                i += 1;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    out
}

/// Apply rules in order to a path.
pub fn apply_rules(rules: &[Rule], path: &[u8]) -> Vec<u8> {
    let mut cur = path.to_vec();
    for r in rules {
        cur = if r.global {
            r.re.replace_all(&cur, r.to.as_slice()).into_owned()
        } else {
            r.re.replace(&cur, r.to.as_slice()).into_owned()
        };
    }
    cur
}

/// Where restored files go.
#[derive(Debug, Clone)]
pub enum Relocation {
    /// Prefix (empty or `/` = original place).
    Where(PathBuf),
    Regex(Vec<Rule>),
}

impl Relocation {
    /// The directory every restored path must stay under.
    pub fn root(&self) -> PathBuf {
        match self {
            Relocation::Where(w) if !w.as_os_str().is_empty() => w.clone(),
            _ => PathBuf::from("/"),
        }
    }

    /// Relocate a path from a record; `Err` with the reason when the result would
    /// leave the target (`..` component, relative path, outside `where`).
    pub fn relocate(&self, orig: &[u8]) -> Result<PathBuf, String> {
        let shown = String::from_utf8_lossy(orig);
        if orig.is_empty() {
            return Err("empty path".into());
        }
        check_components(orig).map_err(|e| format!("{e} in \"{shown}\""))?;
        let out: Vec<u8> = match self {
            Relocation::Where(w) => {
                if orig[0] != b'/' {
                    return Err(format!("relative path \"{shown}\""));
                }
                let w = w.as_os_str().as_bytes();
                let w = if w.ends_with(b"/") { &w[..w.len() - 1] } else { w };
                let mut v = w.to_vec();
                v.extend_from_slice(orig);
                v
            }
            Relocation::Regex(rules) => apply_rules(rules, orig),
        };
        if out.first() != Some(&b'/') {
            return Err(format!("\"{shown}\" relocates to a relative path \"{}\"", String::from_utf8_lossy(&out)));
        }
        check_components(&out).map_err(|e| format!("{e} in relocated \"{}\"", String::from_utf8_lossy(&out)))?;
        let p = PathBuf::from(OsString::from_vec(out));
        let p = strip_trailing_slash(&p);
        let root = self.root();
        if !p.starts_with(&root) {
            return Err(format!("\"{}\" is outside \"{}\"", p.display(), root.display()));
        }
        Ok(p)
    }
}

fn strip_trailing_slash(p: &Path) -> PathBuf {
    p.components().collect()
}

/// Refuse `..` components (and NUL bytes).
fn check_components(p: &[u8]) -> Result<(), &'static str> {
    if p.contains(&0) {
        return Err("NUL byte");
    }
    if Path::new(std::ffi::OsStr::from_bytes(p)).components().any(|c| matches!(c, Component::ParentDir)) {
        return Err("\"..\" component");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rel(expr: &str, p: &str) -> Result<String, String> {
        let r = Relocation::Regex(parse_regexwhere(expr)?);
        r.relocate(p.as_bytes()).map(|p| p.display().to_string())
    }

    #[test]
    fn regexwhere_rules() -> Result<(), String> {
        assert_eq!(rel("!/home!/tmp/r!", "/home/u/a")?, "/tmp/r/u/a");
        assert_eq!(rel("#/HOME#/x#i", "/home/u")?, "/x/u");
        assert_eq!(rel("!a!b!g", "/a/a/a")?, "/b/b/b");
        assert_eq!(rel("!a!b!", "/a/a/a")?, "/b/a/a");
        assert_eq!(rel("!^/(\\w+)/(\\w+)$!/r/\\2/\\1!", "/one/two")?, "/r/two/one");
        assert_eq!(rel("!\\.c$!.c.old!,!^/!/restore/!", "/src/x.c")?, "/restore/src/x.c.old");
        // escaped separator
        assert_eq!(rel("#a\\#b#c#", "/a#b")?, "/c");
        // dollar is literal
        assert_eq!(rel("!x!$y!", "/x")?, "/$y");
        assert!(parse_regexwhere("!a!b").is_err());
        assert!(parse_regexwhere("!a!b!z").is_err());
        assert!(parse_regexwhere("").is_err());
        assert!(parse_regexwhere("!(!b!").is_err());
        Ok(())
    }

    #[test]
    fn path_safety() {
        let w = Relocation::Where(PathBuf::from("/tmp/r/"));
        assert_eq!(w.relocate(b"/etc/passwd").map(|p| p.display().to_string()), Ok("/tmp/r/etc/passwd".into()));
        assert_eq!(w.relocate(b"/etc/").map(|p| p.display().to_string()), Ok("/tmp/r/etc".into()));
        assert!(w.relocate(b"../x").is_err());
        assert!(w.relocate(b"/a/../../x").is_err());
        assert!(w.relocate(b"x/y").is_err());
        assert!(w.relocate(b"").is_err());
        // regexwhere turning a path relative or climbing out
        let r = Relocation::Regex(parse_regexwhere("!^/!!").unwrap_or_default());
        assert!(r.relocate(b"/etc/passwd").is_err());
        let r = Relocation::Regex(parse_regexwhere("!^/a!/..!").unwrap_or_default());
        assert!(r.relocate(b"/a/x").is_err());
        let orig = Relocation::Where(PathBuf::new());
        assert_eq!(orig.relocate(b"/etc/x").map(|p| p.display().to_string()), Ok("/etc/x".into()));
    }
}
