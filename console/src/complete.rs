//! Tab completion: a pure [`Completer`] over a [`CompletionData`] snapshot, and
//! the code that fills the snapshot from a Director.
//!
//! What completes where (bconsole's rules, features.md §1.8.2):
//!
//! * the first word: command names (from `.help all`); in the restore tree the
//!   tree commands (`cd`, `ls`, `mark`, ...);
//! * `key=` followed by a partial value, for `job=`, `client=`, `pool=`,
//!   `nextpool=`, `storage=`, `fileset=`, `schedule=`, `level=`: resource names
//!   from `.jobs`, `.clients`, `.pools`, `.storages`, `.filesets`, `.schedule`,
//!   `.levels` (names with spaces are quoted);
//! * any other argument position: the command's argument keywords, taken from
//!   its usage text (`.help`, or `.help item=<cmd>`), `key=` words without a
//!   trailing space;
//! * in the restore tree: `ls`/`add`/`mark`/`m` complete entries of the current
//!   directory, `cd` directories, `unmark`/`delete` marked entries.
//!
//! Matching is a case-insensitive prefix match; the order of the data is kept.

use std::collections::HashMap;

use cairn_proto::{DirectorClient, ReplyEnd};

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

/// The dot commands whose output (one name per line) is cached.
pub const LIST_SOURCES: &[&str] = &[".jobs", ".clients", ".pools", ".storages", ".filesets", ".schedule", ".levels"];

/// Restore-tree commands (features.md §1.7).
pub const TREE_COMMANDS: &[&str] = &[
    "cd", "ls", "dir", "mark", "unmark", "add", "delete", "markdir", "unmarkdir", "lsmark", "count", "find",
    "pwd", "estimate", "done", "exit", "quit", "help",
];

/// A snapshot of everything completion knows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CompletionData {
    /// Command names in the Director's table order.
    pub commands: Vec<String>,
    /// Argument keywords per command name (`"jobid="`, `"yes"`).
    pub arguments: HashMap<String, Vec<String>>,
    /// Resource names per list source (`".jobs"` → job names).
    pub values: HashMap<String, Vec<String>>,
    /// Restore tree: entries of the current directory (`.ls`).
    pub tree_files: Vec<String>,
    /// Restore tree: sub-directories of the current directory (`.lsdir`).
    pub tree_dirs: Vec<String>,
    /// Restore tree: marked entries (`.lsmark`).
    pub tree_marked: Vec<String>,
    /// The session is in the restore tree (`$ ` prompt).
    pub in_tree: bool,
}

/// One suggestion: replace `line[start..end]` with `value`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Completion {
    pub value: String,
    pub start: usize,
    pub end: usize,
    /// Add a space after accepting (false for `key=`).
    pub append_whitespace: bool,
}

/// The pure completer.
#[derive(Debug, Clone, Copy)]
pub struct Completer<'a> {
    data: &'a CompletionData,
}

fn starts_with_ci(s: &str, prefix: &str) -> bool {
    s.len() >= prefix.len() && s.is_char_boundary(prefix.len()) && s[..prefix.len()].eq_ignore_ascii_case(prefix)
}

impl<'a> Completer<'a> {
    pub fn new(data: &'a CompletionData) -> Self {
        Completer { data }
    }

    /// Suggestions for the word that ends at byte `pos` of `line`.
    pub fn complete(&self, line: &str, pos: usize) -> Vec<Completion> {
        let pos = pos.min(line.len());
        if !line.is_char_boundary(pos) {
            return Vec::new();
        }
        let head = &line[..pos];
        // Start of the current word: after the last white space outside quotes.
        let mut token_start = 0;
        let mut quoted = false;
        for (i, c) in head.char_indices() {
            if c == '"' {
                quoted = !quoted;
            } else if c.is_whitespace() && !quoted {
                token_start = i + c.len_utf8();
            }
        }
        let before = crate::at_commands::split_args(&head[..token_start]);
        let cur = &head[token_start..];
        let d = self.data;

        if before.is_empty() {
            if cur.starts_with('@') {
                return self.matches(
                    crate::at_commands::AT_COMMANDS.iter().map(|c| format!("@{}", c.name)),
                    cur,
                    token_start,
                    pos,
                    true,
                );
            }
            return if d.in_tree {
                self.matches(TREE_COMMANDS.iter().map(|s| s.to_string()), cur, token_start, pos, true)
            } else {
                self.matches(d.commands.iter().cloned(), cur, token_start, pos, true)
            };
        }

        if d.in_tree {
            let list = match before[0].to_lowercase().as_str() {
                "ls" | "add" | "mark" | "m" | "dir" => &d.tree_files,
                "cd" => &d.tree_dirs,
                "delete" | "unmark" => &d.tree_marked,
                _ => return Vec::new(),
            };
            return self.matches(list.iter().map(|v| quote(v)), cur, token_start, pos, true);
        }

        if let Some(eq) = cur.find('=') {
            let key = cur[..eq].to_lowercase();
            let Some((_, source)) = VALUE_KEYWORDS.iter().find(|(k, _)| *k == key) else {
                return Vec::new();
            };
            let start = token_start + eq + 1;
            let partial = cur[eq + 1..].trim_start_matches('"');
            let values = d.values.get(*source).map(Vec::as_slice).unwrap_or(&[]);
            return values
                .iter()
                .filter(|v| starts_with_ci(v, partial))
                .map(|v| Completion { value: quote(v), start, end: pos, append_whitespace: true })
                .collect();
        }

        let Some(cmd) = self.resolve_command(&before[0]) else {
            return Vec::new();
        };
        let args = d.arguments.get(cmd).map(Vec::as_slice).unwrap_or(&[]);
        args.iter()
            .filter(|a| starts_with_ci(a, cur))
            .filter(|a| {
                !before[1..].iter().any(|b| b.eq_ignore_ascii_case(a) || (a.ends_with('=') && starts_with_ci(b, a)))
            })
            .map(|a| Completion { value: a.clone(), start: token_start, end: pos, append_whitespace: !a.ends_with('=') })
            .collect()
    }

    /// The command a (possibly abbreviated) first word means: an exact match, else
    /// the first command in table order starting with it (the Director's rule).
    fn resolve_command(&self, word: &str) -> Option<&'a str> {
        let cmds = &self.data.commands;
        cmds.iter()
            .find(|c| c.eq_ignore_ascii_case(word))
            .or_else(|| cmds.iter().find(|c| starts_with_ci(c, word)))
            .map(String::as_str)
            .or_else(|| self.data.arguments.keys().find(|k| k.eq_ignore_ascii_case(word)).map(String::as_str))
    }

    fn matches(
        &self,
        items: impl Iterator<Item = String>,
        cur: &str,
        start: usize,
        end: usize,
        append_whitespace: bool,
    ) -> Vec<Completion> {
        let mut out: Vec<Completion> = Vec::new();
        for v in items {
            if starts_with_ci(v.trim_start_matches('"'), cur.trim_start_matches('"'))
                && !out.iter().any(|c| c.value == v)
            {
                out.push(Completion { value: v, start, end, append_whitespace });
            }
        }
        out
    }
}

fn quote(v: &str) -> String {
    if v.contains(char::is_whitespace) { format!("\"{v}\"") } else { v.to_string() }
}

/// Argument keywords in a usage text: `key=` words and bare lower-case words
/// (`yes`, `all`, `jobs`), skipping `<placeholders>`.
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
            let next = chars.get(i).copied();
            let item = match next {
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

/// Lines of an API-0 list reply, dropping blanks and error lines.
pub fn parse_list(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim_end)
        .filter(|l| !l.is_empty() && !l.contains("is an invalid command") && !l.starts_with("Error"))
        .map(str::to_string)
        .collect()
}

/// Lines of a restore-tree listing (`.ls` etc.): trimmed, prefix marks (`*`) removed.
pub fn parse_tree_list(text: &str) -> Vec<String> {
    text.lines()
        .map(|l| l.trim().trim_start_matches('*').trim())
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

async fn text_of(client: &mut DirectorClient, cmd: &str) -> Result<Option<String>, cairn_proto::ProtoError> {
    let r = client.command(cmd).await?;
    Ok(match r.end {
        ReplyEnd::Eod | ReplyEnd::MainPrompt => Some(r.text),
        // A question or a closed session: not a list.
        ReplyEnd::SubPrompt | ReplyEnd::Closed => None,
    })
}

/// Fetch the command table and usage keywords (API 0 on `client`).
pub async fn fetch_commands(client: &mut DirectorClient) -> Result<CompletionData, cairn_proto::ProtoError> {
    let mut data = CompletionData::default();
    if let Some(t) = text_of(client, ".help all").await? {
        data.commands = parse_list(&t).into_iter().filter_map(|l| l.split_whitespace().next().map(str::to_string)).collect();
    }
    // Full listing: `name description -- usage` per line.
    if let Some(t) = text_of(client, ".help").await? {
        for line in t.lines() {
            if let (Some(name), Some((_, usage))) = (line.split_whitespace().next(), line.split_once(" -- ")) {
                data.arguments.insert(name.to_string(), parse_usage_keywords(usage));
            }
        }
    }
    Ok(data)
}

/// Fetch the usage keywords of one command (`.help item=<cmd>`).
pub async fn fetch_arguments(client: &mut DirectorClient, cmd: &str) -> Result<Vec<String>, cairn_proto::ProtoError> {
    Ok(text_of(client, &format!(".help item={cmd}")).await?.map(|t| parse_usage_keywords(&t)).unwrap_or_default())
}

/// Fetch the resource-name lists ([`LIST_SOURCES`]).
pub async fn fetch_values(client: &mut DirectorClient) -> Result<HashMap<String, Vec<String>>, cairn_proto::ProtoError> {
    let mut values = HashMap::new();
    for src in LIST_SOURCES {
        if let Some(t) = text_of(client, src).await? {
            values.insert(src.to_string(), parse_list(&t));
        }
    }
    Ok(values)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data() -> CompletionData {
        let mut d = CompletionData {
            commands: ["add", "autodisplay", "cancel", "list", "llist", "label", "run", "restore", "status", "quit"]
                .map(String::from)
                .to_vec(),
            ..Default::default()
        };
        d.arguments.insert("run".into(), parse_usage_keywords("job=<job-name> client=<client-name> level=<level> pool=<pool-name> yes"));
        d.arguments.insert("list".into(), parse_usage_keywords("jobs [job=<job-name>] | clients | pools | jobid=<jobid>"));
        d.values.insert(".jobs".into(), vec!["BackupClient1".into(), "BackupCatalog".into(), "RestoreFiles".into()]);
        d.values.insert(".clients".into(), vec!["bareos-fd".into(), "web fd".into()]);
        d.values.insert(".levels".into(), vec!["Full".into(), "Incremental".into(), "Differential".into()]);
        d.values.insert(".pools".into(), vec!["Full".into(), "Scratch".into()]);
        d.tree_files = vec!["etc/".into(), "home/".into(), "vmlinuz".into()];
        d.tree_dirs = vec!["etc/".into(), "home/".into()];
        d.tree_marked = vec!["etc/".into()];
        d
    }

    fn vals(c: &[Completion]) -> Vec<&str> {
        c.iter().map(|c| c.value.as_str()).collect()
    }

    #[test]
    fn completion_table() {
        let d = data();
        let mut tree = d.clone();
        tree.in_tree = true;
        // (data, line, cursor, expected values, expected span start)
        let cases: Vec<(&CompletionData, &str, usize, Vec<&str>, usize)> = vec![
            (&d, "", 0, vec!["add", "autodisplay", "cancel", "list", "llist", "label", "run", "restore", "status", "quit"], 0),
            (&d, "l", 1, vec!["list", "llist", "label"], 0),
            (&d, "LI", 2, vec!["list"], 0),
            (&d, "re", 2, vec!["restore"], 0),
            (&d, "xyz", 3, vec![], 0),
            (&d, "@e", 2, vec!["@exec", "@echo", "@exit"], 0),
            (&d, "run ", 4, vec!["job=", "client=", "level=", "pool=", "yes"], 4),
            (&d, "run j", 5, vec!["job="], 4),
            (&d, "run job=", 8, vec!["BackupClient1", "BackupCatalog", "RestoreFiles"], 8),
            (&d, "run job=Backup", 14, vec!["BackupClient1", "BackupCatalog"], 8),
            (&d, "run job=backupc", 15, vec!["BackupClient1", "BackupCatalog"], 8),
            (&d, "run job=BackupClient1 ", 22, vec!["client=", "level=", "pool=", "yes"], 22),
            (&d, "run job=x client=w", 18, vec!["\"web fd\""], 17),
            (&d, "run level=I", 11, vec!["Incremental"], 10),
            (&d, "run yes ", 8, vec!["job=", "client=", "level=", "pool="], 8),
            (&d, "run pool=", 9, vec!["Full", "Scratch"], 9),
            (&d, "run storage=", 12, vec![], 12),
            (&d, "run bogus=", 10, vec![], 10),
            (&d, "li ", 3, vec!["jobs", "job=", "clients", "pools", "jobid="], 3),
            (&d, "li jobs j", 9, vec!["job=", "jobid="], 8),
            // cursor in the middle: only the text before it counts
            (&d, "run job=Backup", 5, vec!["job="], 4),
            (&tree, "", 0, TREE_COMMANDS.to_vec(), 0),
            (&tree, "ma", 2, vec!["mark", "markdir"], 0),
            (&tree, "mark ", 5, vec!["etc/", "home/", "vmlinuz"], 5),
            (&tree, "cd h", 4, vec!["home/"], 3),
            (&tree, "unmark ", 7, vec!["etc/"], 7),
            (&tree, "pwd ", 4, vec![], 4),
        ];
        for (d, line, pos, want, start) in cases {
            let got = Completer::new(d).complete(line, pos);
            assert_eq!(vals(&got), want, "line {line:?} at {pos}");
            for c in &got {
                assert_eq!((c.start, c.end), (start, pos), "span for {line:?} at {pos}");
            }
        }
    }

    #[test]
    fn key_suggestions_do_not_append_space() {
        let d = data();
        let got = Completer::new(&d).complete("run ", 4);
        assert!(got.iter().all(|c| c.append_whitespace != c.value.ends_with('=')));
    }

    #[test]
    fn usage_keywords() {
        assert_eq!(
            parse_usage_keywords("jobs [job=<job-name>] [order=<asc|desc>] [last] | clients | joblog jobid=<jobid> [count]"),
            vec!["jobs", "job=", "order=", "last", "clients", "joblog", "jobid=", "count"]
        );
        assert_eq!(parse_usage_keywords("storage=<storage-name> [drive=<num>] yes"), vec!["storage=", "drive=", "yes"]);
        assert!(parse_usage_keywords("").is_empty());
    }

    #[test]
    fn lists() {
        assert_eq!(parse_list("a\nb c\n\n.storages: is an invalid command.\n"), vec!["a", "b c"]);
        assert_eq!(parse_tree_list("  etc/\n*home/\n\n"), vec!["etc/", "home/"]);
    }
}
