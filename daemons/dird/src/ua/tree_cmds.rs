//! The commands of the interactive restore tree (`$ ` prompt), matched by prefix
//! in Bareos's table order.

use cairn_types::lstat::Lstat;

use super::output::{with_commas, Output};
use crate::tree::Tree;

/// What the tree session does after a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    Continue,
    Done,
    Quit,
}

/// (name, help, shown in help)
const COMMANDS: &[(&str, &str, bool)] = &[
    ("abort", "abort and do not do restore", true),
    ("add", "add dir/file to be restored recursively, wildcards allowed", true),
    ("cd", "change current directory", true),
    ("count", "count marked files in and below the cd", true),
    ("delete", "delete dir/file to be restored recursively in dir", true),
    ("dir", "long list current directory, wildcards allowed", true),
    (".dir", "long list current directory, wildcards allowed", false),
    ("done", "leave file selection mode", true),
    ("estimate", "estimate restore size", true),
    ("exit", "same as done command", true),
    ("find", "find files, wildcards allowed", true),
    ("help", "print help", true),
    ("ls", "list current directory, wildcards allowed", true),
    (".ls", "list current directory, wildcards allowed", false),
    (".lsdir", "list subdir in current directory, wildcards allowed", false),
    ("lsmark", "list the marked files in and below the cd", true),
    (".lsmark", "list the marked files in", false),
    ("mark", "mark dir/file to be restored recursively, wildcards allowed", true),
    ("markdir", "mark directory name to be restored (no files)", true),
    ("pwd", "print current working directory", true),
    (".pwd", "print current working directory", false),
    ("unmark", "unmark dir/file to be restored recursively in dir", true),
    ("unmarkdir", "unmark directory name only no recursion", true),
    ("quit", "quit and do not do restore", true),
    (".help", "print help", false),
    ("?", "print help", true),
];

fn lookup(word: &str) -> Option<&'static str> {
    let w = word.to_ascii_lowercase();
    COMMANDS.iter().find(|(n, _, _)| n.starts_with(&w)).map(|(n, _, _)| *n)
}

/// `*` marked, `+` something below is marked, else nothing.
fn tag(t: &Tree, i: usize) -> &'static str {
    if t.nodes[i].marked {
        "*"
    } else if t.subtree(i).iter().skip(1).any(|&n| t.nodes[n].marked) {
        "+"
    } else {
        ""
    }
}

fn display_name(t: &Tree, i: usize) -> String {
    let n = &t.nodes[i];
    if n.is_dir || !n.children.is_empty() { format!("{}/", n.name) } else { n.name.clone() }
}

fn mode_string(mode: u32) -> String {
    let kind = match mode & 0o170000 {
        0o040000 => 'd',
        0o120000 => 'l',
        0o010000 => 'p',
        0o020000 => 'c',
        0o060000 => 'b',
        0o140000 => 's',
        _ => '-',
    };
    let mut s = String::new();
    s.push(kind);
    for shift in [6, 3, 0] {
        let b = (mode >> shift) & 7;
        s.push(if b & 4 != 0 { 'r' } else { '-' });
        s.push(if b & 2 != 0 { 'w' } else { '-' });
        s.push(if b & 1 != 0 { 'x' } else { '-' });
    }
    s
}

fn dir_line(t: &Tree, i: usize) -> String {
    let l = t.nodes[i].file.as_ref().and_then(|f| Lstat::decode(&f.lstat)).unwrap_or_default();
    let when = chrono::DateTime::from_timestamp(l.mtime.max(l.ctime), 0)
        .map(|d| d.with_timezone(&chrono::Local).format("%Y-%m-%d %H:%M:%S").to_string())
        .unwrap_or_default();
    let tagc = match tag(t, i) {
        "*" => '*',
        "+" => '+',
        _ => ' ',
    };
    let user = users_name(l.uid);
    let group = group_name(l.gid);
    format!(
        "{}  {:>2} {} ({:.8}) {} ({:.8})  {:>12.12}  {} {} {}\n",
        mode_string(l.mode),
        l.nlink,
        l.uid,
        user,
        l.gid,
        group,
        l.size,
        when,
        tagc,
        t.path_of(i)
    )
}

fn users_name(uid: u32) -> String {
    name_from_file("/etc/passwd", uid).unwrap_or_else(|| uid.to_string())
}

fn group_name(gid: u32) -> String {
    name_from_file("/etc/group", gid).unwrap_or_else(|| gid.to_string())
}

fn name_from_file(file: &str, id: u32) -> Option<String> {
    let text = std::fs::read_to_string(file).ok()?;
    text.lines().find_map(|l| {
        let mut f = l.split(':');
        let name = f.next()?;
        let _ = f.next();
        let n: u32 = f.next()?.parse().ok()?;
        (n == id).then(|| name.to_string())
    })
}

fn plural(n: usize, one: &str, many: &str) -> String {
    match n {
        0 => format!("No {many} newly"),
        1 => format!("1 {one} newly"),
        _ => format!("{} {many} newly", with_commas(n as u64)),
    }
}

fn lsmark(t: &Tree, i: usize, depth: usize, out: &mut String) {
    for &c in t.nodes[i].children.values() {
        let tg = tag(t, c);
        if tg.is_empty() {
            continue;
        }
        out.push_str(&format!("{}{}{}\n", "  ".repeat(depth), tg, display_name(t, c)));
        if !t.nodes[c].children.is_empty() {
            lsmark(t, c, depth + 1, out);
        }
    }
}

/// Run one tree command line.
pub fn run(t: &mut Tree, cwd: &mut usize, word: &str, args: &[&str], out: &mut Output) -> Flow {
    let Some(cmd) = lookup(word) else {
        out.warning(format!("Invalid command \"{word}\". Enter \"done\" to exit.\n"));
        return Flow::Continue;
    };
    let pats: Vec<String> = args.iter().map(|a| a.trim_matches('"').to_string()).collect();
    match cmd {
        "abort" | "quit" => return Flow::Quit,
        "done" | "exit" => return Flow::Done,
        "add" | "mark" | "delete" | "unmark" => {
            let mark = matches!(cmd, "add" | "mark");
            if pats.is_empty() {
                out.text(if mark { "No files marked.\n" } else { "No files newly unmarked.\n" });
                return Flow::Continue;
            }
            let mut n = 0;
            for p in &pats {
                n += t.mark(*cwd, p, mark, true);
            }
            let word = if mark { "marked" } else { "unmarked" };
            out.text(format!("{} {word}.\n", plural(n, "file", "files")));
        }
        "markdir" | "unmarkdir" => {
            let mark = cmd == "markdir";
            if pats.is_empty() {
                out.text(if mark { "No directories marked.\n" } else { "No directories newly unmarked.\n" });
                return Flow::Continue;
            }
            let mut n = 0;
            for p in &pats {
                for i in t.matching(*cwd, p) {
                    if t.nodes[i].is_dir && t.nodes[i].marked != mark {
                        t.set_mark(i, mark, false);
                        n += 1;
                    }
                }
            }
            let word = if mark { "marked" } else { "unmarked" };
            out.text(format!("{} {word}.\n", plural(n, "directory", "directories")));
        }
        "cd" => {
            if pats.len() != 1 {
                out.text("Too few or too many arguments. Try using double quotes.\n");
                return Flow::Continue;
            }
            match t.resolve(*cwd, &pats[0]) {
                Some(i) if t.nodes[i].is_dir || !t.nodes[i].children.is_empty() => *cwd = i,
                _ => out.warning("Invalid path given.\n"),
            }
            out.text(format!("cwd is: {}\n", t.path_of(*cwd)));
        }
        "pwd" => out.text(format!("cwd is: {}\n", t.path_of(*cwd))),
        ".pwd" => out.text(t.path_of(*cwd)),
        "count" => {
            let (total, marked) = t.count(*cwd);
            out.text(format!("{} total files/dirs. {} marked to be restored.\n", with_commas(total as u64), with_commas(marked as u64)));
        }
        "estimate" => {
            let (total, _) = t.count(0);
            let (files, bytes) = t.marked_files();
            out.text(format!("{total} total files; {files} marked to be restored; {} bytes.\n", with_commas(bytes)));
        }
        "ls" | ".ls" | ".lsdir" | "dir" | ".dir" => {
            let pat = pats.first().map(String::as_str).unwrap_or("*");
            if t.nodes[*cwd].children.is_empty() {
                out.text(format!("Node {} has no children.\n", t.path_of(*cwd)));
                return Flow::Continue;
            }
            for i in t.matching(*cwd, pat) {
                if cmd == ".lsdir" && !t.nodes[i].is_dir {
                    continue;
                }
                if cmd.ends_with("dir") && cmd != ".lsdir" {
                    out.text(dir_line(t, i));
                } else {
                    out.text(format!("{}{}\n", tag(t, i), display_name(t, i)));
                }
            }
        }
        "lsmark" | ".lsmark" => {
            let mut s = String::new();
            lsmark(t, *cwd, 0, &mut s);
            out.text(s);
        }
        "find" => {
            if pats.is_empty() {
                out.text("No file specification given.\n");
                return Flow::Continue;
            }
            for p in &pats {
                for i in t.find(p) {
                    out.text(format!("{}{}\n", tag(t, i), t.path_of(i)));
                }
            }
        }
        "help" | "?" | ".help" => {
            let mut s = String::from("  Command    Description\n  =======    ===========\n");
            for (n, h, shown) in COMMANDS {
                if *shown {
                    s.push_str(&format!("  {n:<10} {h}\n"));
                }
            }
            s.push('\n');
            out.text(s);
        }
        _ => {}
    }
    Flow::Continue
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tree::FileRef;

    fn tree() -> Tree {
        let mut t = Tree::new();
        for (p, n, i) in [("/etc/", "", 1), ("/etc/", "hosts", 2), ("/etc/", "passwd", 3), ("/etc/ssh/", "sshd_config", 4)] {
            t.insert(p, n, FileRef { jobid: 1, fileindex: i, lstat: "A A IGk B A A A BAA A A A A A A A A".into() });
        }
        t
    }

    #[test]
    fn tree_commands_print_like_bareos() {
        let mut t = tree();
        let mut cwd = 0;
        let mut out = Output::new();
        assert_eq!(run(&mut t, &mut cwd, "cd", &["/etc"], &mut out), Flow::Continue);
        run(&mut t, &mut cwd, "mark", &["h*"], &mut out);
        run(&mut t, &mut cwd, "ls", &[], &mut out);
        run(&mut t, &mut cwd, "count", &[], &mut out);
        run(&mut t, &mut cwd, "mark", &["*"], &mut out);
        run(&mut t, &mut cwd, "unmark", &["nothing*"], &mut out);
        assert_eq!(
            out.all_text(),
            "cwd is: /etc/\n1 file newly marked.\n*hosts\npasswd\nssh/\n4 total files/dirs. 1 marked to be restored.\n2 files newly marked.\nNo files newly unmarked.\n"
        );
        assert_eq!(run(&mut t, &mut cwd, "do", &[], &mut out), Flow::Done);
        assert_eq!(run(&mut t, &mut cwd, "q", &[], &mut out), Flow::Quit);
        let mut out = Output::new();
        run(&mut t, &mut cwd, "frob", &[], &mut out);
        assert_eq!(out.all_text(), "Invalid command \"frob\". Enter \"done\" to exit.\n");
        assert_eq!(mode_string(0o100644), "-rw-r--r--");
        assert_eq!(mode_string(0o40755), "drwxr-xr-x");
    }
}
