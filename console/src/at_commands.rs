//! Local `@` commands (features.md §1.8.1): parsed here, executed by the
//! script engine ([`crate::script`]). They are never sent to the Director.
//!
//! Matching follows bconsole: the word after `@` may be any prefix of a command
//! name, compared case-insensitively, and the first entry of [`AT_COMMANDS`] (in
//! table order, not alphabetical) that starts with it wins: `@e` is `@exec`,
//! `@ti` is `@time`, `@s` is `@sleep`, and a lone `@` is `@input`. `@#...` is a
//! comment. Arguments are split at white space; double quotes group words and are
//! removed (`@exec "ls -l /tmp"`).
//!
//! Differences from bconsole, by choice: a `key=value` argument is kept whole
//! (bconsole's argument parser keeps only `key`), and `@exec` runs its command
//! through `sh -c` (bconsole splits it into words and execs it directly).

/// One `@` command: name, help text (as `@help` prints it), and whether bconsole
/// counts it as unsafe for a privileged user.
#[derive(Debug, Clone, Copy)]
pub struct AtCommandDef {
    pub name: &'static str,
    pub help: &'static str,
    pub unsafe_for_root: bool,
}

/// The command table in bconsole's order (prefix matching depends on it).
pub const AT_COMMANDS: &[AtCommandDef] = &[
    AtCommandDef { name: "input", help: "input from file", unsafe_for_root: true },
    AtCommandDef { name: "output", help: "output to file", unsafe_for_root: true },
    AtCommandDef { name: "tee", help: "output to file and terminal", unsafe_for_root: true },
    AtCommandDef { name: "exec", help: "execute an external command", unsafe_for_root: true },
    AtCommandDef { name: "quit", help: "quit", unsafe_for_root: false },
    AtCommandDef { name: "sleep", help: "sleep specified time", unsafe_for_root: false },
    AtCommandDef { name: "time", help: "print current time", unsafe_for_root: false },
    AtCommandDef { name: "version", help: "print Console's version", unsafe_for_root: false },
    AtCommandDef { name: "echo", help: "echo command string", unsafe_for_root: false },
    AtCommandDef { name: "exit", help: "exit = quit", unsafe_for_root: false },
    AtCommandDef { name: "help", help: "help listing", unsafe_for_root: false },
    AtCommandDef { name: "separator", help: "set command separator", unsafe_for_root: false },
];

/// Characters `@separator` accepts.
pub const SEPARATOR_CHARS: &str = "!$%&'()*+,-/:;<>?[]^`{|}~";

/// How `@output`/`@tee` open their file (bconsole passes the mode to `fopen`;
/// default `a+`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpenMode {
    /// `a`, `a+`, `ab`, `a+b` (the default): append.
    Append,
    /// `w`, `w+`, `wb`, `w+b`: truncate.
    Truncate,
}

/// A parsed `@` command, arguments already validated. Argument errors become
/// [`AtCommand::Message`] with bconsole's wording.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AtCommand {
    /// `@# ...`
    Comment,
    /// `@input <file>`
    Input { file: String },
    /// `@output`/`@tee`: `target` None = close the file, back to the terminal.
    Output { target: Option<(String, OpenMode)>, tee: bool },
    /// `@exec "<command>" [wait-seconds]` (0 = no time limit).
    Exec { command: String, wait_seconds: u64 },
    /// `@quit` / `@exit`
    Quit,
    /// `@sleep <seconds>` (a missing argument sleeps 0 s).
    Sleep(u64),
    /// `@time`
    Time,
    /// `@version`
    Version,
    /// `@echo words...`
    Echo(Vec<String>),
    /// `@help`
    Help,
    /// `@separator [c]`: None switches splitting off.
    Separator(Option<char>),
    /// Print this text (argument errors, unknown command).
    Message(String),
}

impl AtCommand {
    /// The table entry this command came from (None for comments and messages).
    pub fn def(&self) -> Option<&'static AtCommandDef> {
        let name = match self {
            AtCommand::Input { .. } => "input",
            AtCommand::Output { tee: false, .. } => "output",
            AtCommand::Output { tee: true, .. } => "tee",
            AtCommand::Exec { .. } => "exec",
            AtCommand::Quit => "quit",
            AtCommand::Sleep(_) => "sleep",
            AtCommand::Time => "time",
            AtCommand::Version => "version",
            AtCommand::Echo(_) => "echo",
            AtCommand::Help => "help",
            AtCommand::Separator(_) => "separator",
            AtCommand::Comment | AtCommand::Message(_) => return None,
        };
        AT_COMMANDS.iter().find(|d| d.name == name)
    }
}

/// Split an argument string like bconsole: white space separates words, double
/// quotes group (and are removed).
pub fn split_args(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut quoted = false;
    for c in line.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                in_word = true;
            }
            c if c.is_whitespace() && !quoted => {
                if in_word {
                    out.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            c => {
                cur.push(c);
                in_word = true;
            }
        }
    }
    if in_word {
        out.push(cur);
    }
    out
}

/// bconsole's `atoi`: leading digits, anything else is 0.
fn atoi(s: &str) -> u64 {
    let digits: String = s.trim_start().chars().take_while(|c| c.is_ascii_digit()).collect();
    digits.parse().unwrap_or(0)
}

fn open_mode(mode: &str) -> Option<OpenMode> {
    match mode {
        "a" | "a+" | "ab" | "a+b" | "ab+" => Some(OpenMode::Append),
        "w" | "w+" | "wb" | "w+b" | "wb+" => Some(OpenMode::Truncate),
        _ => None,
    }
}

/// Parse one input line that starts with `@` (trailing white space already stripped).
pub fn parse(line: &str) -> AtCommand {
    let args = split_args(line);
    let Some(first) = args.first() else {
        // Only reachable for an empty line; treat like a lone `@`.
        return AtCommand::Message("First argument to input command must be a filename.\n".into());
    };
    let word = first.strip_prefix('@').unwrap_or(first);
    if word.starts_with('#') {
        return AtCommand::Comment;
    }
    let lower = word.to_lowercase();
    let Some(def) = AT_COMMANDS.iter().find(|d| d.name.starts_with(&lower)) else {
        return AtCommand::Message(format!("{line}: is an invalid command\n"));
    };
    let argc = args.len();
    match def.name {
        "input" => {
            if argc > 2 {
                AtCommand::Message("Too many arguments on input command.\n".into())
            } else if argc == 1 {
                AtCommand::Message("First argument to input command must be a filename.\n".into())
            } else {
                AtCommand::Input { file: args[1].clone() }
            }
        }
        "output" | "tee" => {
            let tee = def.name == "tee";
            if argc > 3 {
                return AtCommand::Message("Too many arguments on output/tee command.\n".into());
            }
            if argc == 1 {
                return AtCommand::Output { target: None, tee };
            }
            let mode = if argc == 3 { open_mode(&args[2]) } else { Some(OpenMode::Append) };
            match mode {
                Some(mode) => AtCommand::Output { target: Some((args[1].clone(), mode)), tee },
                None => AtCommand::Message(format!(
                    "Cannot open file {} for output. ERR=Invalid argument\n",
                    args[1]
                )),
            }
        }
        "exec" => {
            if argc > 3 {
                AtCommand::Message("Too many arguments. Enclose command in double quotes.\n".into())
            } else if argc == 1 {
                AtCommand::Message("First argument to exec command must be a command.\n".into())
            } else {
                let wait_seconds = if argc == 3 { atoi(&args[2]) } else { 0 };
                AtCommand::Exec { command: args[1].clone(), wait_seconds }
            }
        }
        "quit" | "exit" => AtCommand::Quit,
        "sleep" => AtCommand::Sleep(args.get(1).map(|a| atoi(a)).unwrap_or(0)),
        "time" => AtCommand::Time,
        "version" => AtCommand::Version,
        "echo" => AtCommand::Echo(args[1..].to_vec()),
        "help" => AtCommand::Help,
        "separator" => {
            if argc == 1 {
                AtCommand::Separator(None)
            } else {
                match args[1].chars().next() {
                    Some(c) if SEPARATOR_CHARS.contains(c) => AtCommand::Separator(Some(c)),
                    _ => AtCommand::Message("Illegal separator character.\n".into()),
                }
            }
        }
        _ => AtCommand::Message(format!("{line}: is an invalid command\n")),
    }
}

/// `@help` output: one `  %-10s %s` line per command, in table order.
pub fn help_text() -> String {
    AT_COMMANDS.iter().map(|d| format!("  {:<10} {}\n", d.name, d.help)).collect()
}

/// `@echo` output: every word followed by a space, then a newline (as bconsole).
pub fn echo_text(words: &[String]) -> String {
    let mut s: String = words.iter().map(|w| format!("{w} ")).collect();
    s.push('\n');
    s
}

/// `@time` output: local time as `dd-Mon-yyyy hh:mm:ss`.
pub fn time_text(now: chrono::DateTime<chrono::Local>) -> String {
    format!("{}\n", now.format("%d-%b-%Y %H:%M:%S"))
}

/// `@version` output.
pub fn version_text() -> String {
    format!(
        "Version: {} ({}) Cairn {} {}\n",
        cairn_types::BAREOS_COMPAT_VERSION,
        cairn_types::BAREOS_COMPAT_DATE,
        cairn_types::CAIRN_VERSION,
        std::env::consts::OS
    )
}

/// Split one input line at the `@separator` character (no separator: one part).
pub fn split_commands(line: &str, separator: Option<char>) -> Vec<&str> {
    match separator {
        Some(c) => line.split(c).collect(),
        None => vec![line],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn parse_table() {
        use AtCommand as A;
        let cases: Vec<(&str, AtCommand)> = vec![
            ("@# a comment", A::Comment),
            ("@#", A::Comment),
            ("@input cmds.txt", A::Input { file: "cmds.txt".into() }),
            ("@INPUT cmds.txt", A::Input { file: "cmds.txt".into() }),
            ("@i \"my file\"", A::Input { file: "my file".into() }),
            ("@input", A::Message("First argument to input command must be a filename.\n".into())),
            ("@", A::Message("First argument to input command must be a filename.\n".into())),
            ("@input a b", A::Message("Too many arguments on input command.\n".into())),
            ("@output /tmp/log", A::Output { target: Some(("/tmp/log".into(), OpenMode::Append)), tee: false }),
            ("@out /tmp/log w", A::Output { target: Some(("/tmp/log".into(), OpenMode::Truncate)), tee: false }),
            ("@output /tmp/log a", A::Output { target: Some(("/tmp/log".into(), OpenMode::Append)), tee: false }),
            ("@output", A::Output { target: None, tee: false }),
            ("@output a b c", A::Message("Too many arguments on output/tee command.\n".into())),
            ("@output f x", A::Message("Cannot open file f for output. ERR=Invalid argument\n".into())),
            ("@t /tmp/log", A::Output { target: Some(("/tmp/log".into(), OpenMode::Append)), tee: true }),
            ("@tee", A::Output { target: None, tee: true }),
            ("@exec \"ls -l /\"", A::Exec { command: "ls -l /".into(), wait_seconds: 0 }),
            ("@e \"sleep 9\" 2", A::Exec { command: "sleep 9".into(), wait_seconds: 2 }),
            ("@exec ls -l /", A::Message("Too many arguments. Enclose command in double quotes.\n".into())),
            ("@quit", A::Quit),
            ("@q", A::Quit),
            ("@exit", A::Quit),
            ("@exi", A::Quit),
            ("@ex \"true\"", A::Exec { command: "true".into(), wait_seconds: 0 }),
            ("@sleep 3", A::Sleep(3)),
            ("@s", A::Sleep(0)),
            ("@sleep x", A::Sleep(0)),
            ("@ti", A::Time),
            ("@time", A::Time),
            ("@version", A::Version),
            ("@v", A::Version),
            ("@echo hello   world", A::Echo(s(&["hello", "world"]))),
            ("@echo \"a  b\"", A::Echo(s(&["a  b"]))),
            ("@echo", A::Echo(vec![])),
            ("@h", A::Help),
            ("@se ;", A::Separator(Some(';'))),
            ("@separator", A::Separator(None)),
            ("@separator x", A::Message("Illegal separator character.\n".into())),
            ("@foo bar", A::Message("@foo bar: is an invalid command\n".into())),
        ];
        for (line, want) in cases {
            assert_eq!(parse(line), want, "line {line:?}");
        }
    }

    #[test]
    fn unsafe_flags() {
        assert!(parse("@input x").def().is_some_and(|d| d.unsafe_for_root));
        assert!(parse("@tee x").def().is_some_and(|d| d.unsafe_for_root));
        assert!(parse("@exec x").def().is_some_and(|d| d.unsafe_for_root));
        assert!(parse("@output").def().is_some_and(|d| d.unsafe_for_root));
        assert!(parse("@echo x").def().is_some_and(|d| !d.unsafe_for_root));
        assert!(parse("@# x").def().is_none());
    }

    #[test]
    fn texts() {
        assert_eq!(echo_text(&s(&["a", "b"])), "a b \n");
        assert_eq!(echo_text(&[]), "\n");
        let h = help_text();
        assert!(h.starts_with("  input      input from file\n"));
        assert!(h.ends_with("  separator  set command separator\n"));
        assert_eq!(h.lines().count(), AT_COMMANDS.len());
        use chrono::TimeZone;
        let t = chrono::Local.with_ymd_and_hms(2026, 1, 5, 1, 2, 3).single().expect("valid time");
        assert_eq!(time_text(t), "05-Jan-2026 01:02:03\n");
        assert!(version_text().starts_with("Version: "));
    }

    #[test]
    fn separator_split() {
        assert_eq!(split_commands("a;b; c", Some(';')), vec!["a", "b", " c"]);
        assert_eq!(split_commands("a;b", None), vec!["a;b"]);
        assert_eq!(split_commands("abc", Some('!')), vec!["abc"]);
    }
}
