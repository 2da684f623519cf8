//! Typed directive values and their parsing from tokens.

use md5::{Digest, Md5};

use crate::error::{Diagnostic, Pos};
use crate::lexer::{TokKind, Token};
use crate::parser::{AstItem, AstValue, norm_key};
use crate::resource::Directive;
use crate::schema::{DataType, DestForm, DirectiveDef, PwKind};

/// A parsed directive value. Which variant a directive holds follows from its datatype.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Value {
    /// Names, strings, paths, enum keywords (canonical spelling), references, addresses, script commands.
    Str(String),
    /// Every list type (string/name/path/resource lists, ACLs, Run lines, File entries, ...).
    List(Vec<String>),
    /// Integers and resolved ports.
    Int(i64),
    Bool(bool),
    /// Seconds.
    Duration(u64),
    /// Bytes.
    Size(u64),
    /// Bytes per second.
    Speed(u64),
    Password(PasswordValue),
    Addresses(Vec<AddressEntry>),
    MsgDest(MsgDestValue),
    /// A nested block (Include, Exclude, Options, RunScript).
    Block(Vec<Directive>),
}

/// A stored password: either the MD5 hex of the clear text or the clear text itself.
#[derive(Clone, PartialEq, Eq)]
pub struct PasswordValue {
    pub text: String,
    pub hashed: bool,
}

impl std::fmt::Debug for PasswordValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PasswordValue(****, hashed: {})", self.hashed)
    }
}

/// One `ip`/`ipv4`/`ipv6 = { addr = ...; port = ... }` entry of an `Addresses` block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddressEntry {
    /// `ip`, `ipv4` or `ipv6`.
    pub family: String,
    pub addr: Option<String>,
    pub port: Option<u16>,
}

/// A Messages destination as written: optional target and the type list (`all`, `!skipped` ...).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MsgDestValue {
    pub target: Option<String>,
    /// (lower-case keyword incl. `all`, allowed)
    pub types: Vec<(String, bool)>,
}

/// Lower-case hex MD5 of a string.
pub fn md5_hex(s: &str) -> String {
    let digest = Md5::digest(s.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Store a password the way Bareos does: `[md5]<32 hex>` verbatim, else the MD5 of the text.
pub fn hash_password(text: &str) -> String {
    let verbatim = text.strip_prefix("[md5]").filter(|r| r.len() == 32 && r.chars().all(|c| c.is_ascii_hexdigit()));
    if let Some(rest) = verbatim {
        return rest.to_ascii_lowercase();
    }
    md5_hex(text)
}

/// Context for parsing one directive value.
pub(crate) struct ValueCtx<'a> {
    pub def: &'static DirectiveDef,
    /// Canonical resource type (for password storage decisions).
    pub resource_type: &'a str,
    pub key_pos: &'a Pos,
    /// Warnings produced by the value itself (deprecated spellings).
    pub warnings: Vec<(Pos, String)>,
}

impl ValueCtx<'_> {
    fn err(&self, toks: &[Token], msg: String) -> Diagnostic {
        let pos = toks.first().map(|t| &t.pos).unwrap_or(self.key_pos);
        Diagnostic::at(pos, msg)
    }
    fn name(&self) -> &'static str {
        self.def.name
    }
}

/// Join tokens back into text: words separated by one space, `,` and `=` attached.
pub(crate) fn raw_join(toks: &[Token]) -> String {
    let mut s = String::new();
    let mut prev_word = false;
    for t in toks {
        match t.kind {
            TokKind::Word => {
                if prev_word {
                    s.push(' ');
                }
                s.push_str(&t.text);
                prev_word = true;
            }
            _ => {
                s.push_str(&t.text);
                prev_word = false;
            }
        }
    }
    s
}

/// Like [`raw_join`] but quoted words are re-quoted (schedule Run lines: `MaxRunSchedTime` must stay quoted).
fn raw_join_quoted(toks: &[Token]) -> String {
    if let [Token { quoted: true, text, .. }] = toks {
        return text.clone();
    }
    let mut s = String::new();
    let mut prev_word = false;
    for t in toks {
        match t.kind {
            TokKind::Word => {
                if prev_word {
                    s.push(' ');
                }
                if t.quoted {
                    s.push('"');
                    s.push_str(&t.text.replace('\\', "\\\\").replace('"', "\\\""));
                    s.push('"');
                } else {
                    s.push_str(&t.text);
                }
                prev_word = true;
            }
            _ => {
                s.push_str(&t.text);
                prev_word = false;
            }
        }
    }
    s
}

/// Split a token list at commas; every element must be non-empty.
fn comma_split<'t>(ctx: &ValueCtx, toks: &'t [Token]) -> Result<Vec<&'t [Token]>, Diagnostic> {
    let mut out = Vec::new();
    for part in toks.split(|t| t.kind == TokKind::Comma) {
        if part.is_empty() {
            return Err(ctx.err(toks, format!("Empty element in list value of directive \"{}\"", ctx.name())));
        }
        out.push(part);
    }
    Ok(out)
}

fn only_words(ctx: &ValueCtx, toks: &[Token]) -> Result<(), Diagnostic> {
    if let Some(t) = toks.iter().find(|t| t.kind != TokKind::Word) {
        return Err(Diagnostic::at(
            &t.pos,
            format!("Unexpected \"{}\" in value of directive \"{}\"", t.text, ctx.name()),
        ));
    }
    Ok(())
}

/// Exactly one word.
fn one_word<'t>(ctx: &ValueCtx, toks: &'t [Token]) -> Result<&'t Token, Diagnostic> {
    only_words(ctx, toks)?;
    match toks {
        [t] => Ok(t),
        [_, second, ..] => Err(Diagnostic::at(
            &second.pos,
            format!("Unexpected \"{}\": directive \"{}\" takes a single value", second.text, ctx.name()),
        )),
        [] => Err(ctx.err(toks, format!("Missing value for directive \"{}\"", ctx.name()))),
    }
}

/// Validate a resource name.
pub fn check_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("name is empty".into());
    }
    if name.len() > 127 {
        return Err("name is longer than 127 bytes".into());
    }
    if name.starts_with(' ') || name.ends_with(' ') {
        return Err("name may not start or end with a space".into());
    }
    if let Some(c) = name.chars().find(|c| !(c.is_alphanumeric() || matches!(c, ':' | '.' | '-' | '_' | '/' | ' '))) {
        return Err(format!("illegal character \"{c}\" in name"));
    }
    Ok(())
}

/// Parse a number-modifier pair sequence; `lookup` maps a modifier (may be empty) to a multiplier.
fn parse_pairs(text: &str, lookup: impl Fn(&str) -> Option<f64>) -> Option<u64> {
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    let mut total: f64 = 0.0;
    let mut any = false;
    while i < chars.len() {
        while i < chars.len() && chars[i].is_whitespace() {
            i += 1;
        }
        if i >= chars.len() {
            break;
        }
        let start = i;
        while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.') {
            i += 1;
        }
        let num: f64 = chars[start..i].iter().collect::<String>().parse().ok()?;
        while i < chars.len() && chars[i].is_whitespace() {
            i += 1;
        }
        let mstart = i;
        while i < chars.len() && (chars[i].is_alphabetic() || chars[i] == '/') {
            i += 1;
        }
        let modifier: String = chars[mstart..i].iter().collect::<String>().to_lowercase();
        total += num * lookup(&modifier)?;
        any = true;
    }
    if !any || !total.is_finite() || total < 0.0 || total >= u64::MAX as f64 {
        return None;
    }
    Some(total as u64)
}

/// Parse a size (`10G`, `1 kb`, `512`) into bytes.
pub fn parse_size(text: &str) -> Option<u64> {
    const K: f64 = 1024.0;
    parse_pairs(text, |m| {
        Some(match m {
            "" | "b" => 1.0,
            "k" => K,
            "kb" => 1e3,
            "m" => K * K,
            "mb" => 1e6,
            "g" => K * K * K,
            "gb" => 1e9,
            "t" => K.powi(4),
            "tb" => 1e12,
            "p" => K.powi(5),
            "pb" => 1e15,
            "e" => K.powi(6),
            "eb" => 1e18,
            _ => return None,
        })
    })
}

/// Parse a duration (`1 week 2 days 3 hours 10 mins`, `30d`, `1.5h`, `90`) into seconds.
/// Modifiers are matched as prefixes in Bareos's order, so `m` means months.
pub fn parse_duration(text: &str) -> Option<u64> {
    const MODS: &[(&str, f64)] = &[
        ("n", 60.0),
        ("seconds", 1.0),
        ("months", 30.0 * 86400.0),
        ("minutes", 60.0),
        ("mins", 60.0),
        ("hours", 3600.0),
        ("days", 86400.0),
        ("weeks", 7.0 * 86400.0),
        ("quarters", 91.0 * 86400.0),
        ("years", 365.0 * 86400.0),
    ];
    parse_pairs(text, |m| {
        if m.is_empty() {
            return Some(1.0);
        }
        MODS.iter().find(|(name, _)| name.starts_with(m)).map(|(_, v)| *v)
    })
}

/// Parse a speed (`100`, `10 k/s`, `5mb/s`) into bytes per second.
pub fn parse_speed(text: &str) -> Option<u64> {
    parse_pairs(text, |m| {
        Some(match m {
            "" => 1.0,
            "k/s" => 1024.0,
            "kb/s" => 1e3,
            "m/s" => 1024.0 * 1024.0,
            "mb/s" => 1e6,
            _ => return None,
        })
    })
}

/// Parse a boolean; returns (value, deprecated spelling).
pub fn parse_bool(text: &str) -> Option<(bool, bool)> {
    match text.to_ascii_lowercase().as_str() {
        "yes" => Some((true, false)),
        "no" => Some((false, false)),
        "true" | "1" => Some((true, true)),
        "false" | "0" => Some((false, true)),
        _ => None,
    }
}

/// Resolve a port number or well-known service name.
pub fn parse_port(text: &str) -> Option<u16> {
    if let Ok(n) = text.parse::<u16>() {
        return Some(n);
    }
    match text.to_ascii_lowercase().as_str() {
        "bareos-dir" | "cairn-dir" => Some(9101),
        "bareos-fd" | "cairn-fd" => Some(9102),
        "bareos-sd" | "cairn-sd" => Some(9103),
        "ndmp" => Some(10000),
        _ => None,
    }
}

fn parse_int(ctx: &ValueCtx, toks: &[Token], min: i64, max: i64, what: &str) -> Result<Value, Diagnostic> {
    let t = one_word(ctx, toks)?;
    match t.text.parse::<i64>() {
        Ok(n) if n >= min && n <= max => Ok(Value::Int(n)),
        Ok(_) => Err(Diagnostic::at(
            &t.pos,
            format!("Value {} for directive \"{}\" is out of range ({min} to {max})", t.text, ctx.name()),
        )),
        Err(_) => Err(Diagnostic::at(
            &t.pos,
            format!("Expected {what} for directive \"{}\", got \"{}\"", ctx.name(), t.text),
        )),
    }
}

fn parse_msg_types(ctx: &ValueCtx, toks: &[Token]) -> Result<Vec<(String, bool)>, Diagnostic> {
    let mut out = Vec::new();
    for part in comma_split(ctx, toks)? {
        let t = one_word(ctx, part)?;
        let (neg, word) = match t.text.strip_prefix('!') {
            Some(rest) => (true, rest.trim()),
            None => (false, t.text.trim()),
        };
        let lw = word.to_ascii_lowercase();
        if lw != "all" && cairn_types::MsgType::from_keyword(&lw).is_none() {
            return Err(Diagnostic::at(
                &t.pos,
                format!("Unknown message type \"{word}\" in directive \"{}\"", ctx.name()),
            ));
        }
        out.push((lw, !neg));
    }
    if out.is_empty() {
        return Err(ctx.err(toks, format!("Missing message types for directive \"{}\"", ctx.name())));
    }
    Ok(out)
}

/// Parse the tokens after `=` according to the directive's datatype.
pub(crate) fn parse_value(ctx: &mut ValueCtx, toks: &[Token]) -> Result<Value, Diagnostic> {
    let name = ctx.name();
    if toks.is_empty() {
        return Err(Diagnostic::at(ctx.key_pos, format!("Missing value for directive \"{name}\"")));
    }
    match ctx.def.ty {
        DataType::Name => {
            only_words(ctx, toks)?;
            let s = raw_join(toks);
            check_name(&s).map_err(|e| ctx.err(toks, format!("Invalid name \"{s}\" for directive \"{name}\": {e}")))?;
            Ok(Value::Str(s))
        }
        DataType::Str | DataType::RunScriptShort(_) | DataType::RunScriptCmd => Ok(Value::Str(raw_join(toks))),
        DataType::Path => {
            only_words(ctx, toks)?;
            Ok(Value::Str(raw_join(toks)))
        }
        DataType::Address => Ok(Value::Str(one_word(ctx, toks)?.text.clone())),
        DataType::Res(_) => {
            let t = one_word(ctx, toks)?;
            check_name(&t.text)
                .map_err(|e| Diagnostic::at(&t.pos, format!("Invalid resource name \"{}\" for directive \"{name}\": {e}", t.text)))?;
            Ok(Value::Str(t.text.clone()))
        }
        DataType::StrList | DataType::PathList | DataType::NameList | DataType::ResList(_) | DataType::Acl
        | DataType::FileEntry => {
            let mut out = Vec::new();
            for part in comma_split(ctx, toks)? {
                only_words(ctx, part)?;
                out.push(raw_join(part));
            }
            Ok(Value::List(out))
        }
        DataType::PluginNames => {
            let mut out = Vec::new();
            for t in toks.iter().filter(|t| t.kind == TokKind::Word) {
                out.extend(t.text.split([':', ' ', '\t']).filter(|s| !s.is_empty()).map(str::to_string));
            }
            Ok(Value::List(out))
        }
        DataType::StrRepeat => Ok(Value::List(vec![raw_join(toks)])),
        DataType::RegexList => {
            let s = raw_join(toks);
            if let Err(e) = regex::Regex::new(&s) {
                return Err(ctx.err(toks, format!("Invalid regular expression \"{s}\" for directive \"{name}\": {e}")));
            }
            Ok(Value::List(vec![s]))
        }
        DataType::Run => {
            let raw = raw_join_quoted(toks);
            crate::schedule::parse_run(&raw)
                .map_err(|e| Diagnostic::at(ctx.key_pos, format!("Invalid Run directive \"{raw}\": {e}")))?;
            Ok(Value::List(vec![raw]))
        }
        DataType::U32 => parse_int(ctx, toks, 0, u32::MAX as i64, "a positive integer"),
        DataType::I32 => parse_int(ctx, toks, i32::MIN as i64, i32::MAX as i64, "an integer"),
        DataType::U16 => parse_int(ctx, toks, 0, u16::MAX as i64, "a positive integer"),
        DataType::U64 => parse_int(ctx, toks, 0, i64::MAX, "a positive integer"),
        DataType::Bool | DataType::Bit => {
            let t = one_word(ctx, toks)?;
            let word = t.text.to_ascii_lowercase();
            if matches!(ctx.def.ty, DataType::Bit) && (word == "on" || word == "off") {
                return Ok(Value::Bool(word == "on"));
            }
            match parse_bool(&t.text) {
                Some((b, deprecated)) => {
                    if deprecated {
                        ctx.warnings.push((
                            t.pos.clone(),
                            format!("Deprecated boolean value \"{}\" for directive \"{name}\": use yes or no", t.text),
                        ));
                    }
                    Ok(Value::Bool(b))
                }
                None => Err(Diagnostic::at(
                    &t.pos,
                    format!("Expected yes or no for directive \"{name}\", got \"{}\"", t.text),
                )),
            }
        }
        DataType::Duration => {
            only_words(ctx, toks)?;
            let s = raw_join(toks);
            parse_duration(&s)
                .map(Value::Duration)
                .ok_or_else(|| ctx.err(toks, format!("Invalid duration \"{s}\" for directive \"{name}\"")))
        }
        DataType::Size32 | DataType::Size64 => {
            only_words(ctx, toks)?;
            let s = raw_join(toks);
            let max = if matches!(ctx.def.ty, DataType::Size32) { u32::MAX as u64 } else { u64::MAX };
            match parse_size(&s) {
                Some(n) if n <= max => Ok(Value::Size(n)),
                Some(_) => Err(ctx.err(toks, format!("Size \"{s}\" for directive \"{name}\" is too large"))),
                None => Err(ctx.err(toks, format!("Invalid size \"{s}\" for directive \"{name}\""))),
            }
        }
        DataType::Speed => {
            only_words(ctx, toks)?;
            let s = raw_join(toks);
            parse_speed(&s)
                .map(Value::Speed)
                .ok_or_else(|| ctx.err(toks, format!("Invalid speed \"{s}\" for directive \"{name}\"")))
        }
        DataType::Password(kind) => {
            let t = one_word(ctx, toks)?;
            if t.text.is_empty() && ctx.def.required {
                return Err(Diagnostic::at(&t.pos, format!("Empty password for directive \"{name}\"")));
            }
            let clear = match kind {
                PwKind::Clear => true,
                PwKind::Md5 => false,
                PwKind::Auto => ctx.resource_type == "Catalog",
            };
            if clear {
                Ok(Value::Password(PasswordValue { text: t.text.clone(), hashed: false }))
            } else {
                Ok(Value::Password(PasswordValue { text: hash_password(&t.text), hashed: true }))
            }
        }
        DataType::Port => {
            let t = one_word(ctx, toks)?;
            parse_port(&t.text)
                .map(|p| Value::Int(i64::from(p)))
                .ok_or_else(|| Diagnostic::at(&t.pos, format!("Invalid port \"{}\" for directive \"{name}\"", t.text)))
        }
        DataType::Enum(e) => {
            let t = one_word(ctx, toks)?;
            e.canonical(&t.text).map(|v| Value::Str(v.to_string())).ok_or_else(|| {
                Diagnostic::at(
                    &t.pos,
                    format!("Invalid value \"{}\" for directive \"{name}\": expected one of {}", t.text, e.values.join(", ")),
                )
            })
        }
        DataType::MsgDest(form) => {
            let parts: Vec<&[Token]> = toks.split(|t| t.kind == TokKind::Equals).collect();
            let (target, types) = match (form, parts.as_slice()) {
                (DestForm::TypesOnly | DestForm::OptTarget, [types]) => (None, *types),
                (DestForm::Target | DestForm::OptTarget, [target, types]) => {
                    if target.is_empty() {
                        return Err(ctx.err(toks, format!("Missing destination address for \"{name}\"")));
                    }
                    (Some(raw_join(target)), *types)
                }
                (DestForm::Target, [_]) => {
                    return Err(ctx.err(toks, format!("Directive \"{name}\" needs \"{name} = <address> = <types>\"")));
                }
                _ => return Err(ctx.err(toks, format!("Too many \"=\" in directive \"{name}\""))),
            };
            let types = parse_msg_types(ctx, types)?;
            Ok(Value::MsgDest(MsgDestValue { target, types }))
        }
        DataType::Addresses | DataType::Block(_) => {
            Err(ctx.err(toks, format!("Directive \"{name}\" expects a block \"{{ ... }}\"")))
        }
    }
}

/// Parse an `Addresses = { ipv4 = { addr = ...; port = ... } ... }` block.
pub(crate) fn parse_addresses(items: &[AstItem], name: &str) -> Result<Vec<AddressEntry>, Diagnostic> {
    let mut out = Vec::new();
    for item in items {
        let family = norm_key(&item.key);
        if !matches!(family.as_str(), "ip" | "ipv4" | "ipv6") {
            return Err(Diagnostic::at(
                &item.pos,
                format!("Expected ip, ipv4 or ipv6 in \"{name}\" block, got \"{}\"", item.key),
            ));
        }
        let AstValue::Block(sub) = &item.value else {
            return Err(Diagnostic::at(&item.pos, format!("Expected \"{} = {{ addr = ...; port = ... }}\"", item.key)));
        };
        let mut entry = AddressEntry { family, addr: None, port: None };
        for s in sub {
            let AstValue::Tokens(toks) = &s.value else {
                return Err(Diagnostic::at(&s.pos, format!("Unexpected block \"{}\" in address entry", s.key)));
            };
            let [t] = toks.as_slice() else {
                return Err(Diagnostic::at(&s.pos, format!("\"{}\" takes a single value", s.key)));
            };
            match norm_key(&s.key).as_str() {
                "addr" => entry.addr = Some(t.text.clone()),
                "port" => {
                    entry.port = Some(
                        parse_port(&t.text)
                            .ok_or_else(|| Diagnostic::at(&t.pos, format!("Invalid port \"{}\"", t.text)))?,
                    )
                }
                _ => {
                    return Err(Diagnostic::at(&s.pos, format!("Expected addr or port in address entry, got \"{}\"", s.key)));
                }
            }
        }
        out.push(entry);
    }
    Ok(out)
}

/// The schema default of a directive, parsed like a written value.
pub(crate) fn default_value(def: &'static DirectiveDef, resource_type: &str) -> Option<Value> {
    let text = def.default?;
    let mut lx = crate::lexer::Lexer::new();
    let toks: Vec<Token> = lx
        .lex_str(text, std::path::Path::new("<default>"))
        .into_iter()
        .filter(|t| t.kind != TokKind::Eol)
        .collect();
    let pos = Pos::start_of(std::path::Path::new("<default>"));
    let mut ctx = ValueCtx { def, resource_type, key_pos: &pos, warnings: Vec::new() };
    parse_value(&mut ctx, &toks).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("1G"), Some(1 << 30));
        assert_eq!(parse_size("10 g"), Some(10 << 30));
        assert_eq!(parse_size("1kb"), Some(1000));
        assert_eq!(parse_size("1k"), Some(1024));
        assert_eq!(parse_size("2 mb"), Some(2_000_000));
        assert_eq!(parse_size("1m 1k"), Some(1024 * 1024 + 1024));
        assert_eq!(parse_size("1 TB"), Some(1_000_000_000_000));
        assert_eq!(parse_size("3e"), Some(3 << 60));
        assert_eq!(parse_size("512"), Some(512));
        assert_eq!(parse_size("10X"), None);
        assert_eq!(parse_size(""), None);
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("1m"), Some(30 * 86400));
        assert_eq!(parse_duration("1 min"), Some(60));
        assert_eq!(parse_duration("1 mi"), Some(60));
        assert_eq!(parse_duration("2n"), Some(120));
        assert_eq!(parse_duration("90"), Some(90));
        assert_eq!(parse_duration("30d"), Some(30 * 86400));
        assert_eq!(parse_duration("1 week 2 days 3 hours 10 mins"), Some(7 * 86400 + 2 * 86400 + 3 * 3600 + 600));
        assert_eq!(parse_duration("1.5 hours"), Some(5400));
        assert_eq!(parse_duration("1 quarter"), Some(91 * 86400));
        assert_eq!(parse_duration("1 year"), Some(365 * 86400));
        assert_eq!(parse_duration("10 s"), Some(10));
        assert_eq!(parse_duration("5 bananas"), None);
    }

    #[test]
    fn speeds_and_bools() {
        assert_eq!(parse_speed("10 k/s"), Some(10240));
        assert_eq!(parse_speed("1mb/s"), Some(1_000_000));
        assert_eq!(parse_bool("Yes"), Some((true, false)));
        assert_eq!(parse_bool("true"), Some((true, true)));
        assert_eq!(parse_bool("maybe"), None);
    }

    #[test]
    fn passwords() {
        assert_eq!(hash_password("secret"), "5ebe2294ecd0e0f08eab7690d2a6ee69");
        assert_eq!(hash_password("[md5]5EBE2294ECD0E0F08EAB7690D2A6EE69"), "5ebe2294ecd0e0f08eab7690d2a6ee69");
        let pv = PasswordValue { text: "topsecret".into(), hashed: false };
        assert!(!format!("{pv:?}").contains("topsecret"));
    }

    #[test]
    fn every_schema_default_parses() {
        use crate::schema::{Component, DataType};
        for c in [Component::Director, Component::Storage, Component::FileDaemon, Component::Console] {
            for r in c.resources() {
                let mut stack = vec![*r];
                while let Some(r) = stack.pop() {
                    for d in r.directives() {
                        if let DataType::Block(b) = d.ty {
                            stack.push(b);
                        }
                        if d.default.is_some() {
                            assert!(default_value(d, r.name).is_some(), "{} {}", r.name, d.name);
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn names() {
        assert!(check_name("Windows All Drives").is_ok());
        assert!(check_name("a:b.c-d_e/f").is_ok());
        assert!(check_name(" x").is_err());
        assert!(check_name("a$b").is_err());
        assert!(check_name(&"x".repeat(128)).is_err());
    }
}
