//! Console-pane Tab completion, after `cairn console` (`console/src/complete.rs`):
//! the first word completes command names, `key=` completes resource names for
//! the keywords in [`VALUE_KEYWORDS`], any other argument the command's
//! keywords taken from its usage text. The data comes over the JSON
//! connection: `.help` (every command with its usage) and the dot lists.
//! Matching is a case-insensitive prefix match that keeps the data's order.

use std::collections::HashMap;

use serde_json::Value;

/// `key=` keywords whose values are resource names, and the dot command listing them.
pub const VALUE_KEYWORDS: &[(&str, &str)] = &[
    ("job", ".jobs"),
    ("client", ".clients"),
    ("pool", ".pools"),
    ("nextpool", ".pools"),
    ("storage", ".storages"),
    ("fileset", ".filesets"),
    ("schedule", ".schedule"),
    ("level", ".levels"),
];

/// The dot commands whose names are fetched.
pub const LIST_SOURCES: &[&str] = &[".jobs", ".clients", ".pools", ".storages", ".filesets", ".schedule", ".levels"];

/// What completion knows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CompletionData {
    /// Command names, once `.help` answered.
    pub commands: Option<Vec<String>>,
    /// Argument keywords per command (`"jobid="`, `"yes"`).
    pub arguments: HashMap<String, Vec<String>>,
    /// Resource names per dot command (`".jobs"` → job names).
    pub values: HashMap<String, Vec<String>>,
}

/// Repeated Tab: the lines to cycle through and the one shown.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TabCycle {
    /// Each candidate as (whole input line, cursor in characters).
    pub lines: Vec<(String, usize)>,
    pub index: usize,
}

impl CompletionData {
    /// Take the answer of `.help` or one of [`LIST_SOURCES`].
    pub fn absorb(&mut self, command: &str, v: &Value) {
        if command == ".help" {
            let mut cmds = Vec::new();
            if let Some(m) = v.as_object() {
                for (name, e) in m {
                    let usage = e.get("arguments").and_then(Value::as_str).unwrap_or("");
                    self.arguments.insert(name.clone(), parse_usage_keywords(usage));
                    if e.get("permission").and_then(Value::as_bool) != Some(false) {
                        cmds.push(name.clone());
                    }
                }
            }
            self.commands = Some(cmds);
        } else {
            self.values.insert(command.to_string(), names(v));
        }
    }
}

/// The names of a dot-list reply: `{"jobs": [{"name": …}, …]}` or plain strings.
pub fn names(v: &Value) -> Vec<String> {
    let Some(arr) = v.as_object().and_then(|m| m.values().find_map(Value::as_array)) else {
        return Vec::new();
    };
    arr.iter()
        .filter_map(|e| match e {
            Value::String(s) => Some(s.clone()),
            other => other.get("name").and_then(Value::as_str).map(str::to_string),
        })
        .collect()
}

fn starts_with_ci(s: &str, prefix: &str) -> bool {
    s.len() >= prefix.len() && s.is_char_boundary(prefix.len()) && s[..prefix.len()].eq_ignore_ascii_case(prefix)
}

fn quote(v: &str) -> String {
    if v.contains(char::is_whitespace) { format!("\"{v}\"") } else { v.to_string() }
}

/// Candidate input lines for Tab with the cursor at character `cursor` of
/// `line`: each the whole new line and its new cursor (in characters).
pub fn complete(d: &CompletionData, line: &str, cursor: usize) -> Vec<(String, usize)> {
    let pos = line.char_indices().nth(cursor).map(|(b, _)| b).unwrap_or(line.len());
    let head = &line[..pos];
    let mut token_start = 0;
    let mut quoted = false;
    for (i, c) in head.char_indices() {
        if c == '"' {
            quoted = !quoted;
        } else if c.is_whitespace() && !quoted {
            token_start = i + c.len_utf8();
        }
    }
    let before: Vec<&str> = head[..token_start].split_whitespace().collect();
    let cur = &head[token_start..];
    // (replace from, value, add a space)
    let mut found: Vec<(usize, String, bool)> = Vec::new();
    if before.is_empty() {
        let dot = cur.starts_with('.');
        for c in d.commands.iter().flatten() {
            if (dot || !c.starts_with('.')) && starts_with_ci(c, cur) {
                found.push((token_start, c.clone(), true));
            }
        }
    } else if let Some(eq) = cur.find('=') {
        let key = cur[..eq].to_lowercase();
        if let Some((_, source)) = VALUE_KEYWORDS.iter().find(|(k, _)| *k == key) {
            let partial = cur[eq + 1..].trim_start_matches('"');
            for v in d.values.get(*source).into_iter().flatten() {
                if starts_with_ci(v, partial) {
                    found.push((token_start + eq + 1, quote(v), true));
                }
            }
        }
    } else if let Some(cmd) = resolve_command(d, before[0]) {
        for a in d.arguments.get(cmd).into_iter().flatten() {
            let used =
                before[1..].iter().any(|b| b.eq_ignore_ascii_case(a) || (a.ends_with('=') && starts_with_ci(b, a)));
            if starts_with_ci(a, cur) && !used {
                found.push((token_start, a.clone(), !a.ends_with('=')));
            }
        }
    }
    let tail = &line[pos..];
    let mut out: Vec<(String, usize)> = Vec::new();
    for (start, value, space) in found {
        let mut new = line[..start].to_string();
        new.push_str(&value);
        if space && !tail.starts_with(' ') {
            new.push(' ');
        }
        let cur_chars = new.chars().count();
        new.push_str(tail);
        if !out.iter().any(|(l, _)| *l == new) {
            out.push((new, cur_chars));
        }
    }
    out
}

/// The completed word of each candidate line (the word before its cursor).
pub fn candidate_words(lines: &[(String, usize)]) -> Vec<String> {
    lines
        .iter()
        .map(|(l, c)| {
            let head: String = l.chars().take(*c).collect();
            let head = head.trim_end();
            let word = head.rsplit(' ').next().unwrap_or(head);
            word.rsplit_once('=').filter(|(_, v)| !v.is_empty()).map_or(word, |(_, v)| v).to_string()
        })
        .collect()
}

/// The command a (possibly abbreviated) first word means: an exact match,
/// else the first command starting with it.
fn resolve_command<'a>(d: &'a CompletionData, word: &str) -> Option<&'a str> {
    let cmds = d.commands.as_deref().unwrap_or(&[]);
    cmds.iter()
        .find(|c| c.eq_ignore_ascii_case(word))
        .or_else(|| cmds.iter().find(|c| starts_with_ci(c, word)))
        .map(String::as_str)
        .or_else(|| d.arguments.keys().find(|k| k.eq_ignore_ascii_case(word)).map(String::as_str))
}

/// Argument keywords in a usage text: `key=` words and bare lower-case words
/// (`yes`, `all`, `jobs`), skipping `<placeholders>` (as `cairn console`).
pub fn parse_usage_keywords(usage: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let chars: Vec<char> = usage.chars().collect();
    let mut i = 0;
    let mut angle = 0usize;
    while i < chars.len() {
        let c = chars[i];
        if c == '<' {
            angle += 1;
            i += 1;
            continue;
        }
        if c == '>' {
            angle = angle.saturating_sub(1);
            i += 1;
            continue;
        }
        if angle == 0 && (c.is_ascii_lowercase() || c == '_') && (i == 0 || !is_word(chars[i - 1])) {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_lowercase() || chars[i] == '_' || chars[i].is_ascii_digit()) {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            let item = match chars.get(i).copied() {
                Some('=') => Some(format!("{word}=")),
                None | Some(' ' | '\n' | '\t' | ']' | ')' | '|' | ',') => Some(word),
                _ => None,
            };
            if let Some(item) = item
                && !out.contains(&item)
            {
                out.push(item);
            }
            continue;
        }
        i += 1;
    }
    out
}

fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '-' || c == '.' || c == '/'
}
