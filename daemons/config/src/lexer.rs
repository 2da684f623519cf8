//! Tokenizer for the Bareos resource language, including `@` includes.
//!
//! Newlines and `;` become [`TokKind::Eol`]; comments are dropped; adjacent quoted strings
//! (also across lines) are concatenated; `@file`, `@"file"`, `@glob*` and `@|"command"` are
//! replaced by the tokens of what they name.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::error::{Diagnostic, Pos};

/// Kinds of tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokKind {
    /// A quoted or unquoted word (keyword or value).
    Word,
    Equals,
    LBrace,
    RBrace,
    Comma,
    /// End of statement: newline or `;`.
    Eol,
}

/// One token with its position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    pub kind: TokKind,
    /// Text of a word (quotes removed, escapes resolved); the punctuation for the others.
    pub text: String,
    /// True when the word was written in quotes.
    pub quoted: bool,
    pub pos: Pos,
}

const MAX_INCLUDE_DEPTH: usize = 32;

/// Lexing context: collects the files read and the errors met.
#[derive(Debug, Default)]
pub struct Lexer {
    pub files: Vec<PathBuf>,
    pub errors: Vec<Diagnostic>,
    depth: usize,
}

impl Lexer {
    pub fn new() -> Lexer {
        Lexer::default()
    }

    /// Read and tokenize a file. Read errors are reported at `from` (the include site) or
    /// at the start of the file.
    pub fn lex_file(&mut self, path: &Path, from: Option<&Pos>) -> Vec<Token> {
        let text = match read_config_text(path) {
            Ok(t) => t,
            Err(msg) => {
                let pos = from.cloned().unwrap_or_else(|| Pos::start_of(path));
                let msg = if from.is_some() {
                    format!("Cannot open included config file \"{}\": {msg}", path.display())
                } else {
                    format!("Cannot read config file \"{}\": {msg}", path.display())
                };
                self.errors.push(Diagnostic::at(&pos, msg));
                return Vec::new();
            }
        };
        self.files.push(path.to_path_buf());
        self.lex_str(&text, path)
    }

    /// Tokenize text; `name` is used as the file name in positions.
    pub fn lex_str(&mut self, text: &str, name: &Path) -> Vec<Token> {
        let file = Arc::new(name.to_path_buf());
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut st = State { chars: text.chars().collect(), i: 0, line: 1, col: 1, file, out: Vec::new() };
        if let Err(d) = self.run(&mut st) {
            self.errors.push(d);
        }
        st.out
    }

    fn run(&mut self, st: &mut State) -> Result<(), Diagnostic> {
        while let Some(c) = st.peek() {
            let pos = st.pos();
            match c {
                // Every whitespace but the newline separates (form feed,
                // vertical tab and Unicode spaces too).
                c if c.is_whitespace() && c != '\n' => {
                    st.bump();
                }
                '\n' => {
                    st.bump();
                    st.push(TokKind::Eol, "\n", false, pos);
                }
                ';' => {
                    st.bump();
                    st.push(TokKind::Eol, ";", false, pos);
                }
                '#' => {
                    while let Some(c) = st.peek() {
                        if c == '\n' {
                            break;
                        }
                        st.bump();
                    }
                }
                '=' => {
                    st.bump();
                    st.push(TokKind::Equals, "=", false, pos);
                }
                '{' => {
                    st.bump();
                    st.push(TokKind::LBrace, "{", false, pos);
                }
                '}' => {
                    st.bump();
                    st.push(TokKind::RBrace, "}", false, pos);
                }
                ',' => {
                    st.bump();
                    st.push(TokKind::Comma, ",", false, pos);
                }
                '"' => {
                    let s = st.quoted_concat()?;
                    st.push(TokKind::Word, &s, true, pos);
                }
                '@' => {
                    st.bump();
                    self.include(st, pos)?;
                }
                _ => {
                    let w = st.unquoted();
                    if w.is_empty() {
                        // Cannot happen with the arms above; never loop on it.
                        st.bump();
                        return Err(Diagnostic::at(&pos, format!("Unexpected character {c:?}")));
                    }
                    st.push(TokKind::Word, &w, false, pos);
                }
            }
        }
        Ok(())
    }

    fn include(&mut self, st: &mut State, at: Pos) -> Result<(), Diagnostic> {
        let is_cmd = st.peek() == Some('|');
        if is_cmd {
            st.bump();
        }
        let target = match st.peek() {
            Some('"') => st.quoted_concat()?,
            _ => st.unquoted(),
        };
        if target.is_empty() {
            return Err(Diagnostic::at(&at, "Missing file name or command after \"@\""));
        }
        if self.depth >= MAX_INCLUDE_DEPTH {
            return Err(Diagnostic::at(&at, "Too many nested includes (include loop?)"));
        }
        self.depth += 1;
        let toks = if is_cmd {
            self.include_command(&target, &at)
        } else {
            self.include_path(&target, &at, &st.file)
        };
        self.depth -= 1;
        st.out.extend(toks);
        Ok(())
    }

    fn include_command(&mut self, cmd: &str, at: &Pos) -> Vec<Token> {
        match std::process::Command::new("sh").arg("-c").arg(cmd).output() {
            Ok(out) if out.status.success() => match String::from_utf8(out.stdout) {
                Ok(text) => self.lex_str(&text, Path::new(&format!("@|{cmd}"))),
                Err(_) => {
                    self.errors.push(Diagnostic::at(at, format!("Output of command \"{cmd}\" is not valid UTF-8")));
                    Vec::new()
                }
            },
            Ok(out) => {
                self.errors.push(Diagnostic::at(
                    at,
                    format!("Command \"{cmd}\" used as config include failed: {}", out.status),
                ));
                Vec::new()
            }
            Err(e) => {
                self.errors.push(Diagnostic::at(at, format!("Cannot run command \"{cmd}\": {e}")));
                Vec::new()
            }
        }
    }

    fn include_path(&mut self, target: &str, at: &Pos, current: &Path) -> Vec<Token> {
        let mut path = PathBuf::from(target);
        if let (true, Some(dir)) = (path.is_relative(), current.parent()) {
            path = dir.join(path);
        }
        let is_glob = target.contains(['*', '?', '[']);
        if !is_glob {
            return self.lex_file(&path, Some(at));
        }
        let pattern = path.to_string_lossy().into_owned();
        let mut matches: Vec<PathBuf> = match glob::glob(&pattern) {
            Ok(paths) => paths.filter_map(Result::ok).filter(|p| p.is_file()).collect(),
            Err(e) => {
                self.errors.push(Diagnostic::at(at, format!("Invalid include pattern \"{target}\": {e}")));
                return Vec::new();
            }
        };
        matches.sort();
        let mut out = Vec::new();
        for m in matches {
            out.extend(self.lex_file(&m, Some(at)));
        }
        out
    }
}

/// Read a config file as text: UTF-8 (BOM skipped) or UTF-16LE with BOM; UTF-16BE is rejected.
pub fn read_config_text(path: &Path) -> Result<String, String> {
    let bytes = std::fs::read(path).map_err(|e| e.to_string())?;
    if bytes.starts_with(&[0xFE, 0xFF]) {
        return Err("UTF-16 big endian encoding is not supported".into());
    }
    if let Some(rest) = bytes.strip_prefix(&[0xFF, 0xFE]) {
        let units: Vec<u16> = rest.chunks_exact(2).map(|c| u16::from_le_bytes([c[0], c[1]])).collect();
        return String::from_utf16(&units).map_err(|_| "invalid UTF-16LE text".to_string());
    }
    let bytes = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(&bytes);
    String::from_utf8(bytes.to_vec()).map_err(|_| "file is not valid UTF-8".to_string())
}

struct State {
    chars: Vec<char>,
    i: usize,
    line: u32,
    col: u32,
    file: Arc<PathBuf>,
    out: Vec<Token>,
}

impl State {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.i).copied()
    }
    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.i += 1;
        if c == '\n' {
            self.line += 1;
            self.col = 1;
        } else {
            self.col += 1;
        }
        Some(c)
    }
    fn pos(&self) -> Pos {
        Pos::new(&self.file, self.line, self.col)
    }
    fn push(&mut self, kind: TokKind, text: &str, quoted: bool, pos: Pos) {
        self.out.push(Token { kind, text: text.to_string(), quoted, pos });
    }

    /// An unquoted word: ends at whitespace, `=`, `{`, `}`, `;`, `,`, `#` or `"`.
    fn unquoted(&mut self) -> String {
        let mut s = String::new();
        while let Some(c) = self.peek() {
            if c.is_whitespace() || matches!(c, '=' | '{' | '}' | ';' | ',' | '#' | '"') {
                break;
            }
            s.push(c);
            self.bump();
        }
        s
    }

    /// One quoted string starting at the current `"`.
    fn quoted_one(&mut self) -> Result<String, Diagnostic> {
        let start = self.pos();
        self.bump();
        let mut s = String::new();
        loop {
            match self.bump() {
                None => return Err(Diagnostic::at(&start, "Unterminated quoted string")),
                Some('"') => return Ok(s),
                Some('\\') => match self.bump() {
                    Some(c) => s.push(c),
                    None => return Err(Diagnostic::at(&start, "Unterminated quoted string")),
                },
                Some(c) => s.push(c),
            }
        }
    }

    /// A quoted string plus any quoted strings that follow after only whitespace/newlines.
    fn quoted_concat(&mut self) -> Result<String, Diagnostic> {
        let mut s = self.quoted_one()?;
        loop {
            let save = (self.i, self.line, self.col);
            while matches!(self.peek(), Some(c) if c.is_whitespace()) {
                self.bump();
            }
            if self.peek() == Some('"') {
                s.push_str(&self.quoted_one()?);
            } else {
                (self.i, self.line, self.col) = save;
                return Ok(s);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<(TokKind, String)> {
        let mut lx = Lexer::new();
        let toks = lx.lex_str(text, Path::new("t.conf"));
        assert!(lx.errors.is_empty(), "{:?}", lx.errors);
        toks.into_iter().map(|t| (t.kind, t.text)).collect()
    }

    #[test]
    fn escapes_and_concatenation() {
        let w = words("a = \"x\\\"y\\\\z\"\n  \"more\" # c\nb=\"l1\nl2\";c");
        let texts: Vec<&str> = w.iter().map(|(_, t)| t.as_str()).collect();
        assert_eq!(texts, ["a", "=", "x\"y\\zmore", "\n", "b", "=", "l1\nl2", ";", "c"]);
    }

    #[test]
    fn any_whitespace_separates() {
        // A form feed once made the lexer loop for ever (found by tests/it/fuzz.rs).
        let w = words("a\u{c}b\u{b}c\u{a0}d");
        let texts: Vec<&str> = w.iter().map(|(_, t)| t.as_str()).collect();
        assert_eq!(texts, ["a", "b", "c", "d"]);
    }

    #[test]
    fn unquoted_terminators() {
        let w = words("k=v1,v2{}#x");
        let texts: Vec<&str> = w.iter().map(|(_, t)| t.as_str()).collect();
        assert_eq!(texts, ["k", "=", "v1", ",", "v2", "{", "}"]);
    }

    #[test]
    fn bom_skipped_and_positions() {
        let mut lx = Lexer::new();
        let toks = lx.lex_str("\u{feff}Job {\n  Name = x\n}", Path::new("f"));
        assert_eq!(toks[0].text, "Job");
        assert_eq!((toks[0].pos.line, toks[0].pos.col), (1, 1));
        let name = toks.iter().find(|t| t.text == "Name").map(|t| (t.pos.line, t.pos.col));
        assert_eq!(name, Some((2, 3)));
    }

    #[test]
    fn unterminated() {
        let mut lx = Lexer::new();
        lx.lex_str("a = \"abc\n", Path::new("f"));
        assert_eq!(lx.errors.len(), 1);
        assert_eq!((lx.errors[0].line, lx.errors[0].col), (1, 5));
    }
}
