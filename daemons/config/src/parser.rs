//! Generic syntax tree: resources made of directives, values kept as tokens, nested blocks.

use crate::error::{Diagnostic, Pos};
use crate::lexer::{TokKind, Token};

/// A `Type { ... }` resource as written.
#[derive(Debug, Clone)]
pub struct AstResource {
    /// The type keyword as written (words joined by a space).
    pub type_kw: String,
    pub pos: Pos,
    pub items: Vec<AstItem>,
}

/// One `Key = value` or `Key { ... }` statement.
#[derive(Debug, Clone)]
pub struct AstItem {
    /// The keyword as written (words joined by a space).
    pub key: String,
    pub pos: Pos,
    pub value: AstValue,
}

#[derive(Debug, Clone)]
pub enum AstValue {
    /// Tokens after `=` up to the end of the statement (may contain `,` and `=` tokens).
    Tokens(Vec<Token>),
    /// A nested block `{ ... }` (with or without a preceding `=`).
    Block(Vec<AstItem>),
}

/// Normalise a keyword for lookup: lower case, spaces removed.
pub fn norm_key(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).flat_map(char::to_lowercase).collect()
}

struct Parser<'a> {
    toks: &'a [Token],
    i: usize,
    end: Pos,
}

/// Parse the tokens of one file into resources. Stops at the first syntax error.
pub fn parse(toks: &[Token], end: Pos) -> Result<Vec<AstResource>, Diagnostic> {
    let mut p = Parser { toks, i: 0, end };
    let mut out = Vec::new();
    loop {
        p.skip_eol();
        let Some(t) = p.peek() else { break };
        match t.kind {
            TokKind::Word => {
                let pos = t.pos.clone();
                let words = p.words();
                match p.peek().map(|t| t.kind) {
                    Some(TokKind::LBrace) => {
                        let open = p.next_pos();
                        let items = p.items(&open)?;
                        out.push(AstResource { type_kw: words, pos, items });
                    }
                    Some(TokKind::Equals) => {
                        return Err(Diagnostic::at(
                            &pos,
                            format!("Expected a resource type followed by \"{{\", found directive \"{words}\" outside of any resource"),
                        ));
                    }
                    _ => {
                        return Err(Diagnostic::at(&pos, format!("Expected \"{{\" after resource type \"{words}\"")));
                    }
                }
            }
            TokKind::RBrace => {
                return Err(Diagnostic::at(&t.pos, "Unbalanced braces: unexpected \"}\" outside of any resource"));
            }
            _ => {
                return Err(Diagnostic::at(&t.pos, format!("Unexpected \"{}\": expected a resource type", t.text)));
            }
        }
    }
    Ok(out)
}

impl<'a> Parser<'a> {
    fn peek(&self) -> Option<&'a Token> {
        self.toks.get(self.i)
    }
    fn next_pos(&mut self) -> Pos {
        let p = self.peek().map(|t| t.pos.clone()).unwrap_or_else(|| self.end.clone());
        self.i += 1;
        p
    }
    fn skip_eol(&mut self) {
        while matches!(self.peek(), Some(t) if t.kind == TokKind::Eol) {
            self.i += 1;
        }
    }
    /// Consecutive words joined by one space (keywords may contain spaces).
    fn words(&mut self) -> String {
        let mut parts = Vec::new();
        while let Some(t) = self.peek() {
            if t.kind != TokKind::Word {
                break;
            }
            parts.push(t.text.as_str());
            self.i += 1;
        }
        parts.join(" ")
    }

    /// Items of a block whose `{` (at `open`) was just consumed, through the matching `}`.
    fn items(&mut self, open: &Pos) -> Result<Vec<AstItem>, Diagnostic> {
        let mut items = Vec::new();
        loop {
            self.skip_eol();
            let Some(t) = self.peek() else {
                return Err(Diagnostic::at(open, "Unbalanced braces: \"{\" opened here is never closed"));
            };
            match t.kind {
                TokKind::RBrace => {
                    self.i += 1;
                    return Ok(items);
                }
                TokKind::Word => {
                    let pos = t.pos.clone();
                    let key = self.words();
                    match self.peek().map(|t| t.kind) {
                        Some(TokKind::LBrace) => {
                            let open = self.next_pos();
                            let sub = self.items(&open)?;
                            items.push(AstItem { key, pos, value: AstValue::Block(sub) });
                        }
                        Some(TokKind::Equals) => {
                            self.i += 1;
                            if matches!(self.peek(), Some(t) if t.kind == TokKind::LBrace) {
                                let open = self.next_pos();
                                let sub = self.items(&open)?;
                                items.push(AstItem { key, pos, value: AstValue::Block(sub) });
                            } else {
                                let vals = self.value_tokens();
                                items.push(AstItem { key, pos, value: AstValue::Tokens(vals) });
                            }
                        }
                        _ => {
                            return Err(Diagnostic::at(&pos, format!("Expected \"=\" after keyword \"{key}\"")));
                        }
                    }
                }
                _ => {
                    return Err(Diagnostic::at(&t.pos, format!("Unexpected \"{}\": expected a directive keyword", t.text.escape_default())));
                }
            }
        }
    }

    /// Value tokens up to end of statement or `}`; a trailing comma continues on the next line.
    fn value_tokens(&mut self) -> Vec<Token> {
        let mut out: Vec<Token> = Vec::new();
        while let Some(t) = self.peek() {
            match t.kind {
                TokKind::RBrace | TokKind::LBrace => break,
                TokKind::Eol => {
                    if matches!(out.last(), Some(l) if l.kind == TokKind::Comma) {
                        self.i += 1;
                        continue;
                    }
                    break;
                }
                _ => {
                    out.push(t.clone());
                    self.i += 1;
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lexer::Lexer;
    use std::path::Path;

    fn p(text: &str) -> Result<Vec<AstResource>, Diagnostic> {
        let mut lx = Lexer::new();
        let toks = lx.lex_str(text, Path::new("f"));
        parse(&toks, Pos::start_of(Path::new("f")))
    }

    #[test]
    fn nested_and_semicolons() {
        let r = p("Director { Name = d; Addresses = { ipv4 = { addr = 1.2.3.4; port = 9101 } } }\nFileSet { Include { Options { a = b } File = / } }")
            .unwrap_or_default();
        assert_eq!(r.len(), 2);
        assert_eq!(r[0].items.len(), 2);
        assert!(matches!(r[0].items[1].value, AstValue::Block(_)));
        assert_eq!(r[1].items[0].key, "Include");
    }

    #[test]
    fn unbalanced() {
        let e = p("Job {\n Name = x\n").err().map(|d| (d.line, d.col));
        assert_eq!(e, Some((1, 5)));
        let e = p("Job { Name = x }\n}").err().map(|d| (d.line, d.col));
        assert_eq!(e, Some((2, 1)));
    }

    #[test]
    fn keyword_with_spaces() {
        let r = p("Director { Maximum Concurrent Jobs = 10 }").unwrap_or_default();
        assert_eq!(norm_key(&r[0].items[0].key), "maximumconcurrentjobs");
    }
}
