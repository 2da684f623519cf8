//! Printing a [`ResourceSet`] back as configuration text (`show`, `--xc`) or as `show` JSON.

use serde_json::{Map, Value as Json, json};

use crate::resource::{Directive, Resource, ResourceSet};
use crate::schema::{Accumulate, DataType, DirectiveDef, ResourceDef};
use crate::value::{Value, default_value};

const HIDDEN: &str = "****************";

/// Quote a string for config text (backslash-escaping `\` and `"`).
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

/// A duration the way Bareos's `show` prints it: every non-zero part of
/// `years months weeks days hours minutes seconds`, each followed by a space
/// (`1 years `, `3 months 5 days `); zero is `0`. Re-parseable.
pub fn format_duration(secs: u64) -> String {
    if secs == 0 {
        return "0".into();
    }
    const UNITS: &[(u64, &str)] = &[
        (365 * 86400, "years"),
        (30 * 86400, "months"),
        (7 * 86400, "weeks"),
        (86400, "days"),
        (3600, "hours"),
        (60, "minutes"),
        (1, "seconds"),
    ];
    let mut rest = secs;
    let mut out = String::new();
    for (n, unit) in UNITS {
        let q = rest / n;
        if q > 0 {
            out.push_str(&format!("{q} {unit} "));
            rest %= n;
        }
    }
    out
}

/// A size with the largest exact binary suffix (`10 g`), else plain bytes.
pub fn format_size(bytes: u64) -> String {
    const SUFFIX: &[(u32, &str)] = &[(60, "e"), (50, "p"), (40, "t"), (30, "g"), (20, "m"), (10, "k")];
    if bytes == 0 {
        return "0".into();
    }
    for (shift, s) in SUFFIX {
        let unit = 1u64 << shift;
        if bytes & (unit - 1) == 0 {
            return format!("{} {s}", bytes / unit);
        }
    }
    bytes.to_string()
}

fn one_line(ty: &DataType, v: &Value, hide: bool) -> String {
    match v {
        Value::Str(s) => match ty {
            DataType::Enum(_) => s.clone(),
            _ => quote(s),
        },
        Value::List(l) => l.iter().map(|s| quote(s)).collect::<Vec<_>>().join(", "),
        Value::Int(n) => n.to_string(),
        Value::Bool(b) => (if *b { "yes" } else { "no" }).to_string(),
        Value::Duration(n) => format_duration(*n),
        Value::Size(n) => format_size(*n),
        Value::Speed(n) => n.to_string(),
        Value::Password(p) => {
            if hide {
                quote(HIDDEN)
            } else if p.hashed {
                quote(&format!("[md5]{}", p.text))
            } else {
                quote(&p.text)
            }
        }
        Value::MsgDest(m) => {
            let types = m
                .types
                .iter()
                .map(|(t, allowed)| if *allowed { t.clone() } else { format!("!{t}") })
                .collect::<Vec<_>>()
                .join(", ");
            match &m.target {
                Some(t) => format!("{} = {types}", quote(t)),
                None => types,
            }
        }
        Value::Addresses(_) | Value::Block(_) => String::new(),
    }
}

fn write_directive(out: &mut String, indent: usize, def: &ResourceDef, d: &Directive, hide: bool) {
    let pad = " ".repeat(indent);
    let Some(dd) = def.directives().find(|x| x.name == d.name) else { return };
    match (&dd.ty, &d.value) {
        (DataType::Block(sub), Value::Block(items)) => {
            out.push_str(&format!("{pad}{} {{\n", d.name));
            for i in items {
                write_directive(out, indent + 2, sub, i, hide);
            }
            out.push_str(&format!("{pad}}}\n"));
        }
        (_, Value::Addresses(list)) => {
            out.push_str(&format!("{pad}{} = {{\n", d.name));
            for e in list {
                out.push_str(&format!("{pad}  {} = {{\n", e.family));
                if let Some(a) = &e.addr {
                    out.push_str(&format!("{pad}    addr = {}\n", quote(a)));
                }
                if let Some(p) = e.port {
                    out.push_str(&format!("{pad}    port = {p}\n"));
                }
                out.push_str(&format!("{pad}  }}\n"));
            }
            out.push_str(&format!("{pad}}}\n"));
        }
        (DataType::StrRepeat | DataType::Run | DataType::RegexList | DataType::FileEntry, Value::List(l)) => {
            for s in l {
                out.push_str(&format!("{pad}{} = {}\n", d.name, quote(s)));
            }
        }
        (ty, v) => {
            let hide_this = hide && matches!(ty, DataType::Password(_));
            out.push_str(&format!("{pad}{} = {}\n", d.name, one_line(ty, v, hide_this)));
        }
    }
}

fn write_defaults(out: &mut String, def: &ResourceDef, r: &Resource) {
    for dd in def.directives() {
        if r.directives.iter().any(|d| d.name == dd.name) || matches!(dd.ty, DataType::Block(_)) {
            continue;
        }
        if let Some(v) = default_value(dd, def.name) {
            out.push_str(&format!("  # {} = {}\n", dd.name, one_line(&dd.ty, &v, false)));
        }
    }
}

fn matches_filter(set: &ResourceSet, r: &Resource, filter: Option<(&str, Option<&str>)>) -> bool {
    match filter {
        None => true,
        Some((t, name)) => {
            set.lookup_type(t).is_some_and(|d| d.name == r.type_name) && name.is_none_or(|n| n == r.name)
        }
    }
}

fn json_scalar(dd: &DirectiveDef, v: &Value, hide: bool) -> Json {
    match v {
        Value::Str(s) => json!(s),
        Value::List(l) => json!(l),
        Value::Int(n) => json!(n),
        Value::Bool(b) => json!(b),
        Value::Duration(n) | Value::Size(n) | Value::Speed(n) => json!(n),
        Value::Password(p) => {
            if hide {
                json!(HIDDEN)
            } else if p.hashed {
                json!(format!("[md5]{}", p.text))
            } else {
                json!(p.text)
            }
        }
        Value::MsgDest(m) => {
            let types: Vec<String> =
                m.types.iter().map(|(t, a)| if *a { t.clone() } else { format!("!{t}") }).collect();
            match &m.target {
                Some(t) => json!({"where": t, "types": types}),
                None => json!({"types": types}),
            }
        }
        Value::Addresses(list) => Json::Array(
            list.iter()
                .map(|e| json!({"family": e.family, "addr": e.addr, "port": e.port}))
                .collect(),
        ),
        Value::Block(items) => match dd.ty {
            DataType::Block(sub) => directives_json(sub, items, false, hide),
            _ => Json::Null,
        },
    }
}

fn directives_json(def: &ResourceDef, dirs: &[Directive], verbose: bool, hide: bool) -> Json {
    let mut m = Map::new();
    for d in dirs {
        let Some(dd) = def.directives().find(|x| x.name == d.name) else { continue };
        let key = d.name.to_ascii_lowercase();
        let v = json_scalar(dd, &d.value, hide && matches!(dd.ty, DataType::Password(_)));
        if dd.ty.accumulate() == Accumulate::Push {
            match m.get_mut(&key) {
                Some(Json::Array(a)) => a.push(v),
                _ => {
                    m.insert(key, Json::Array(vec![v]));
                }
            }
        } else {
            m.insert(key, v);
        }
    }
    if verbose {
        for dd in def.directives() {
            let key = dd.name.to_ascii_lowercase();
            if m.contains_key(&key) {
                continue;
            }
            if let Some(v) = default_value(dd, def.name) {
                m.insert(key, json_scalar(dd, &v, false));
            }
        }
    }
    Json::Object(m)
}

impl ResourceSet {
    /// Resources in configuration syntax, like Bareos's `show` / `--xc`.
    /// `filter` = (type, optional name); `verbose` adds defaulted directives as comments.
    pub fn to_config_text(&self, filter: Option<(&str, Option<&str>)>, verbose: bool, hide_passwords: bool) -> String {
        let mut out = String::new();
        for r in self.resources.iter().filter(|r| matches_filter(self, r, filter)) {
            let Some(def) = self.component.resource(r.type_name) else { continue };
            out.push_str(&format!("{} {{\n", r.type_name));
            for d in &r.directives {
                write_directive(&mut out, 2, def, d, hide_passwords);
            }
            if verbose {
                write_defaults(&mut out, def, r);
            }
            out.push_str("}\n\n");
        }
        out
    }

    /// One resource type (or one resource) in Bareos's `show` JSON shape:
    /// `{"clients": {"bareos-fd": {"name": ..., "address": ...}}}`.
    pub fn to_json(&self, type_: &str, name: Option<&str>, verbose: bool, hide_passwords: bool) -> Json {
        let Some(def) = self.lookup_type(type_) else { return json!({}) };
        let mut inner = Map::new();
        for r in self.resources.iter().filter(|r| r.type_name == def.name && name.is_none_or(|n| n == r.name)) {
            inner.insert(r.name.clone(), directives_json(def, &r.directives, verbose, hide_passwords));
        }
        let mut outer = Map::new();
        outer.insert(def.group.to_string(), Json::Object(inner));
        Json::Object(outer)
    }

    /// Every resource type present, merged into one JSON object (`show all`).
    pub fn to_json_all(&self, verbose: bool, hide_passwords: bool) -> Json {
        let mut all = Map::new();
        for t in self.types() {
            if let Json::Object(m) = self.to_json(t, None, verbose, hide_passwords) {
                all.extend(m);
            }
        }
        Json::Object(all)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::{parse_duration, parse_size};

    #[test]
    fn formats_reparse() {
        for s in [0u64, 1, 59, 60, 3600, 86400 * 90, 86400 * 365, 86400 * 400 + 7] {
            assert_eq!(parse_duration(&format_duration(s)), Some(s), "{s}");
        }
        for b in [0u64, 1, 1000, 1024, 1 << 30, 10 << 30, 12345] {
            assert_eq!(parse_size(&format_size(b)), Some(b), "{b}");
        }
        assert_eq!(quote("a\"b\\c"), "\"a\\\"b\\\\c\"");
    }
}
