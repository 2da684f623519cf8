//! The restore tree: the merged directory tree of a job chain (newest version of
//! each file wins), with Bareos's mark rules. UI-free; `ua::restore` drives it.

use std::collections::BTreeMap;

/// One file version in the tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileRef {
    pub jobid: u32,
    pub fileindex: i32,
    pub lstat: String,
}

/// A node: a directory or a file.
#[derive(Debug, Clone)]
pub struct Node {
    pub name: String,
    pub parent: Option<usize>,
    pub children: BTreeMap<String, usize>,
    pub is_dir: bool,
    pub marked: bool,
    /// The backed-up version (directories may have none when only their contents
    /// were saved).
    pub file: Option<FileRef>,
}

/// The tree, an arena of nodes; node 0 is the root `/`.
#[derive(Debug, Clone)]
pub struct Tree {
    pub nodes: Vec<Node>,
}

impl Default for Tree {
    fn default() -> Self {
        Self::new()
    }
}

/// Shell-style wildcard match (`*`, `?`, `[…]`) on one name.
pub fn wild_match(pattern: &str, name: &str) -> bool {
    match glob::Pattern::new(pattern) {
        Ok(p) => p.matches_with(name, glob::MatchOptions { case_sensitive: true, require_literal_separator: false, require_literal_leading_dot: false }),
        Err(_) => pattern == name,
    }
}

impl Tree {
    pub fn new() -> Tree {
        Tree {
            nodes: vec![Node { name: String::new(), parent: None, children: BTreeMap::new(), is_dir: true, marked: false, file: None }],
        }
    }

    fn child(&mut self, parent: usize, name: &str, is_dir: bool) -> usize {
        if let Some(&i) = self.nodes[parent].children.get(name) {
            if is_dir {
                self.nodes[i].is_dir = true;
            }
            return i;
        }
        let i = self.nodes.len();
        self.nodes.push(Node { name: name.to_string(), parent: Some(parent), children: BTreeMap::new(), is_dir, marked: false, file: None });
        self.nodes[parent].children.insert(name.to_string(), i);
        i
    }

    /// Add a catalog entry (`path` ends with `/`; `name` empty for a directory's own
    /// entry). Later inserts of the same path replace earlier ones (insert oldest
    /// first, or only the newest version).
    pub fn insert(&mut self, path: &str, name: &str, f: FileRef) {
        let mut cur = 0;
        for comp in path.split('/').filter(|c| !c.is_empty()) {
            cur = self.child(cur, comp, true);
        }
        if name.is_empty() {
            if cur != 0 || path == "/" {
                self.nodes[cur].file = Some(f);
            }
        } else {
            let i = self.child(cur, name, false);
            self.nodes[i].file = Some(f);
        }
    }

    /// Full path of a node (directories end with `/`).
    pub fn path_of(&self, mut i: usize) -> String {
        let mut parts = Vec::new();
        let is_dir = self.nodes[i].is_dir;
        while let Some(p) = self.nodes[i].parent {
            parts.push(self.nodes[i].name.clone());
            i = p;
        }
        parts.reverse();
        let mut s = format!("/{}", parts.join("/"));
        if is_dir && !s.ends_with('/') {
            s.push('/');
        }
        s
    }

    /// Resolve `dir` (absolute or relative to `cwd`, with `..`) to a directory.
    pub fn resolve(&self, cwd: usize, dir: &str) -> Option<usize> {
        let mut cur = if dir.starts_with('/') { 0 } else { cwd };
        for comp in dir.split('/').filter(|c| !c.is_empty()) {
            match comp {
                "." => {}
                ".." => cur = self.nodes[cur].parent.unwrap_or(0),
                c => cur = *self.nodes[cur].children.get(c)?,
            }
        }
        Some(cur)
    }

    /// Every node below `i` (including `i`).
    pub fn subtree(&self, i: usize) -> Vec<usize> {
        let mut out = vec![i];
        let mut k = 0;
        while k < out.len() {
            let n = out[k];
            out.extend(self.nodes[n].children.values().copied());
            k += 1;
        }
        out
    }

    /// Set `marked` on a node and everything below it; returns how many
    /// non-directory entries changed state... counting like Bareos (files and dirs
    /// that carry a backed-up version).
    pub fn set_mark(&mut self, i: usize, mark: bool, recursive: bool) -> usize {
        let targets = if recursive { self.subtree(i) } else { vec![i] };
        let mut n = 0;
        for t in targets {
            if self.nodes[t].marked != mark {
                self.nodes[t].marked = mark;
                if !self.nodes[t].is_dir {
                    n += 1;
                }
            }
        }
        if mark {
            // Marking something marks the directories above it (so they are restored too).
            let mut p = self.nodes[i].parent;
            while let Some(x) = p {
                self.nodes[x].marked = true;
                p = self.nodes[x].parent;
            }
        }
        n
    }

    /// Entries of `dir` whose name matches `pattern`.
    pub fn matching(&self, dir: usize, pattern: &str) -> Vec<usize> {
        self.nodes[dir].children.iter().filter(|(name, _)| wild_match(pattern, name)).map(|(_, &i)| i).collect()
    }

    /// Mark by pattern in `cwd` (a pattern with `/` is resolved as a path).
    pub fn mark(&mut self, cwd: usize, pattern: &str, mark: bool, recursive: bool) -> usize {
        let (dir, pat) = match pattern.rfind('/') {
            Some(i) if i + 1 < pattern.len() => match self.resolve(cwd, &pattern[..=i]) {
                Some(d) => (d, &pattern[i + 1..]),
                None => return 0,
            },
            Some(_) => match self.resolve(cwd, pattern) {
                Some(d) => {
                    return self.set_mark(d, mark, recursive);
                }
                None => return 0,
            },
            None => (cwd, pattern),
        };
        let hits = self.matching(dir, pat);
        let mut n = 0;
        for h in hits {
            n += self.set_mark(h, mark, recursive);
        }
        n
    }

    /// Number of entries and marked entries (files and directories) below `i`.
    pub fn count(&self, i: usize) -> (usize, usize) {
        let sub = self.subtree(i);
        let total = sub.iter().filter(|&&n| n != i).count();
        let marked = sub.iter().filter(|&&n| n != i && self.nodes[n].marked).count();
        (total, marked)
    }

    /// Marked entries with a backed-up version: (JobId, FileIndex) pairs. A hard
    /// link saved as a reference to its first link (lstat LinkFI) brings that
    /// first link along, as Bareos does, so the file daemon can create the link.
    pub fn selection(&self) -> Vec<(u32, i32)> {
        let mut v: Vec<(u32, i32)> =
            self.nodes.iter().filter(|n| n.marked).filter_map(|n| n.file.as_ref().map(|f| (f.jobid, f.fileindex))).collect();
        let mut extra = Vec::new();
        for n in self.nodes.iter().filter(|n| n.marked) {
            if let Some(f) = &n.file {
                if let Some(l) = cairn_types::lstat::Lstat::decode(&f.lstat) {
                    let master = l.link_fi as i32;
                    if master > 0 && master != f.fileindex {
                        extra.push((f.jobid, master));
                    }
                }
            }
        }
        for e in extra {
            if !v.contains(&e) {
                v.push(e);
            }
        }
        v
    }

    /// Marked files (not directories), with their sizes from the lstat.
    pub fn marked_files(&self) -> (u64, u64) {
        let mut files = 0;
        let mut bytes = 0u64;
        for n in &self.nodes {
            if n.marked && !n.is_dir {
                files += 1;
                if let Some(f) = &n.file {
                    bytes += cairn_types::lstat::Lstat::decode(&f.lstat).map(|l| l.size.max(0) as u64).unwrap_or(0);
                }
            }
        }
        (files, bytes)
    }

    /// Nodes whose name matches `pattern` anywhere in the tree.
    pub fn find(&self, pattern: &str) -> Vec<usize> {
        (1..self.nodes.len()).filter(|&i| wild_match(pattern, &self.nodes[i].name)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(j: u32, i: i32) -> FileRef {
        FileRef { jobid: j, fileindex: i, lstat: "A A A A A A A BAA A A A A A A A".into() }
    }

    fn sample() -> Tree {
        let mut t = Tree::new();
        t.insert("/etc/", "", f(1, 1));
        t.insert("/etc/", "hosts", f(1, 2));
        t.insert("/etc/", "passwd", f(1, 3));
        t.insert("/etc/ssh/", "sshd_config", f(1, 4));
        t.insert("/home/u/", "notes.txt", f(2, 1));
        t
    }

    #[test]
    fn builds_and_resolves() {
        let t = sample();
        let etc = t.resolve(0, "/etc/").unwrap_or(0);
        assert_eq!(t.path_of(etc), "/etc/");
        assert_eq!(t.resolve(etc, "../home/u").map(|i| t.path_of(i)), Some("/home/u/".into()));
        assert_eq!(t.resolve(0, "/nope"), None);
        assert_eq!(t.nodes[etc].file, Some(f(1, 1)));
    }

    #[test]
    fn mark_rules() {
        let mut t = sample();
        let etc = t.resolve(0, "/etc").unwrap_or(0);
        assert_eq!(t.mark(etc, "h*", true, true), 1);
        assert!(t.nodes[etc].marked, "marking marks the parent directory");
        assert_eq!(t.mark(0, "etc", true, true), 2, "hosts already marked; passwd and sshd_config");
        assert_eq!(t.mark(etc, "ssh", false, true), 1);
        let ssh = t.resolve(0, "/etc/ssh").unwrap_or(0);
        assert!(!t.nodes[ssh].marked);
        // markdir marks only the directory entry
        assert_eq!(t.mark(etc, "ssh", true, false), 0);
        assert!(t.nodes[ssh].marked);
        let sel = t.selection();
        assert!(sel.contains(&(1, 1)) && sel.contains(&(1, 2)) && sel.contains(&(1, 3)) && !sel.contains(&(1, 4)));
        assert_eq!(t.marked_files().0, 2);
        assert_eq!(t.mark(0, "/home/u/notes.txt", true, true), 1);
        assert_eq!(t.find("*.txt").len(), 1);
    }

    #[test]
    fn newest_version_replaces() {
        let mut t = sample();
        t.insert("/etc/", "hosts", f(3, 9));
        let etc = t.resolve(0, "/etc").unwrap_or(0);
        t.mark(etc, "hosts", true, true);
        assert!(t.selection().contains(&(3, 9)));
        assert!(!t.selection().contains(&(1, 2)));
    }
}
