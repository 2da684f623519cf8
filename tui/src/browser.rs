//! The restore browser's model, free of any UI: the director commands it uses
//! (Bareos's bvfs API), directory listings loaded page by page, the mark set and
//! what it turns into for `.bvfs_restore`.
//!
//! # Directory listings
//!
//! A [`Listing`] is one directory of the merged tree of a set of jobs:
//! `.bvfs_lsdirs` rows (the directory itself as `.`, its parent as `..`, then
//! the sub-directories) followed by `.bvfs_lsfiles` rows. Both come in pages of
//! `limit=`/`offset=`; [`Listing::next_page`] says which page is next, so the
//! reducer asks for more only as the user scrolls towards the end of what is
//! loaded. `LIMIT`/`OFFSET` of `.bvfs_lsdirs` count the `.` and `..` rows too.
//!
//! # Marks
//!
//! [`Marks`] holds explicit entries keyed by path (`/etc/ssh/` for a
//! directory, `/etc/hosts` for a file): an *include* (with the ids to send) or
//! an *exclude*. An entry is marked when its nearest explicit entry (itself,
//! then its parent directories, nearest first) is an include. So marking a
//! directory marks everything below it; unmarking a file inside adds an
//! exclude; marking or unmarking a directory drops every explicit entry below
//! it. Invariant: an include is never below a marked directory and an exclude
//! never below an unmarked one — except a file pinned to an older version
//! ([`Marks::pin`]), which is an include that may sit anywhere.
//!
//! bvfs knows no exclusions: `.bvfs_restore dirid=N` takes the whole tree. So
//! [`Marks::plan`] sends `dirid=` for a marked directory with nothing explicit
//! below it, and *expands* one with exclusions (or pinned versions) below:
//! its own record as `fileid=`, each child file not excluded as `fileid=`, each
//! child directory recursively the same way. Expanding needs the directory's
//! complete listing; `plan` names the directories still missing and the
//! reducer loads them (larger pages) before sending.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde_json::Value;

use crate::model::{self, JobRow};
use crate::state::{LineInput, ListCursor};

/// Rows asked per `.bvfs_lsdirs` / `.bvfs_lsfiles` page while browsing.
pub const PAGE: u64 = 100;
/// Rows asked per page when a directory must be listed completely (to
/// expand a marked directory that has exclusions below it).
pub const RESOLVE_PAGE: u64 = 1000;
/// Backups offered in the point-in-time list.
pub const BACKUPS_SHOWN: u32 = 100;
/// Rows of the versions pop-up's list.
pub const VERSION_ROWS: usize = 8;
/// Where restored files go when the restore job has no `Where`.
pub const DEFAULT_WHERE: &str = "/tmp/bareos-restores";

/// Which directory a `.bvfs_lsdirs` asks for.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum DirRef {
    /// The top of the tree, `path=` (the empty path, parent of `/` and `C:/`).
    Root,
    /// `pathid=N`.
    Id(i64),
}

/// The `replace=` choices of `restore`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum Replace {
    #[default]
    Always,
    IfNewer,
    IfOlder,
    Never,
}

impl Replace {
    pub const ALL: [Replace; 4] = [Replace::Always, Replace::IfNewer, Replace::IfOlder, Replace::Never];

    pub fn word(self) -> &'static str {
        match self {
            Replace::Always => "always",
            Replace::IfNewer => "ifnewer",
            Replace::IfOlder => "ifolder",
            Replace::Never => "never",
        }
    }

    /// From the director's spelling (`Always`, `ifnewer`, `a`, …).
    pub fn parse(s: &str) -> Option<Replace> {
        match s.trim().to_ascii_lowercase().as_str() {
            "always" | "a" => Some(Replace::Always),
            "ifnewer" | "w" => Some(Replace::IfNewer),
            "ifolder" | "o" => Some(Replace::IfOlder),
            "never" | "n" => Some(Replace::Never),
            _ => None,
        }
    }

    pub fn step(self, forward: bool) -> Replace {
        let i = Replace::ALL.iter().position(|r| *r == self).unwrap_or(0);
        let n = Replace::ALL.len();
        Replace::ALL[if forward { (i + 1) % n } else { (i + n - 1) % n }]
    }
}

/// What `.bvfs_restore` is given.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Selection {
    pub fileids: Vec<i64>,
    pub dirids: Vec<i64>,
    /// `(JobId, FileIndex)` of hard-link masters.
    pub hardlinks: Vec<(u32, i64)>,
}

impl Selection {
    pub fn is_empty(&self) -> bool {
        self.fileids.is_empty() && self.dirids.is_empty() && self.hardlinks.is_empty()
    }

    fn normalise(&mut self) {
        self.fileids.sort_unstable();
        self.fileids.dedup();
        self.dirids.sort_unstable();
        self.dirids.dedup();
        self.hardlinks.sort_unstable();
        self.hardlinks.dedup();
    }
}

/// The restore browser's director commands (all in JSON mode).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum RQuery {
    /// `.clients`
    Clients,
    /// `list backups client=X jobstatus=T,W order=desc limit=N`
    Backups(String),
    /// `.bvfs_get_jobids jobid=N [all]`
    GetJobids { jobid: u32, all: bool },
    /// `.bvfs_update jobid=1,2`
    Update(Vec<u32>),
    /// `.bvfs_lsdirs jobid=… path=|pathid=N limit=L offset=O`
    LsDirs { jobids: Vec<u32>, dir: DirRef, limit: u64, offset: u64 },
    /// `.bvfs_lsfiles jobid=… pathid=N limit=L offset=O`
    LsFiles { jobids: Vec<u32>, pathid: i64, limit: u64, offset: u64 },
    /// `.bvfs_versions jobid=… client=X pathid=N fname=NAME`
    Versions { jobids: Vec<u32>, client: String, pathid: i64, name: String },
    /// `.jobs type=R`
    RestoreJobs,
    /// `.defaults job=X` (of a restore job)
    Defaults(String),
    /// `.bvfs_restore path=b2… jobid=… fileid=… dirid=… hardlink=…`
    BvfsRestore { handle: String, jobids: Vec<u32>, sel: Selection },
    /// `restore client=X restorejob=J file=?b2… where=W replace=R yes`
    Restore { client: String, job: String, handle: String, where_: String, replace: Replace },
    /// `.bvfs_cleanup path=b2…`
    Cleanup(String),
}

fn ids<T: ToString>(v: &[T]) -> String {
    v.iter().map(ToString::to_string).collect::<Vec<_>>().join(",")
}

/// A value for the director's command line: as is when it is a plain word,
/// else in double quotes with `"` and `\` escaped (the director's tokeniser
/// reads `\x` inside quotes as `x`).
pub fn arg(s: &str) -> String {
    if !s.is_empty() && !s.chars().any(|c| c.is_whitespace() || c == '"' || c == '\\' || c == '=') {
        return s.to_string();
    }
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

impl RQuery {
    /// The command line sent to the director.
    pub fn command(&self) -> String {
        match self {
            RQuery::Clients => ".clients".into(),
            RQuery::Backups(client) => {
                format!("list backups client={} jobstatus=T,W order=desc limit={BACKUPS_SHOWN}", arg(client))
            }
            RQuery::GetJobids { jobid, all } => {
                format!(".bvfs_get_jobids jobid={jobid}{}", if *all { " all" } else { "" })
            }
            RQuery::Update(jobids) => format!(".bvfs_update jobid={}", ids(jobids)),
            RQuery::LsDirs { jobids, dir, limit, offset } => {
                let dir = match dir {
                    DirRef::Root => "path=".to_string(),
                    DirRef::Id(p) => format!("pathid={p}"),
                };
                format!(".bvfs_lsdirs jobid={} {dir} limit={limit} offset={offset}", ids(jobids))
            }
            RQuery::LsFiles { jobids, pathid, limit, offset } => {
                format!(".bvfs_lsfiles jobid={} pathid={pathid} limit={limit} offset={offset}", ids(jobids))
            }
            RQuery::Versions { jobids, client, pathid, name } => format!(
                ".bvfs_versions jobid={} client={} pathid={pathid} fname={}",
                ids(jobids),
                arg(client),
                arg(name)
            ),
            RQuery::RestoreJobs => ".jobs type=R".into(),
            RQuery::Defaults(job) => format!(".defaults job={}", arg(job)),
            RQuery::BvfsRestore { handle, jobids, sel } => {
                let mut s = format!(".bvfs_restore path={handle} jobid={}", ids(jobids));
                if !sel.fileids.is_empty() {
                    s.push_str(&format!(" fileid={}", ids(&sel.fileids)));
                }
                if !sel.dirids.is_empty() {
                    s.push_str(&format!(" dirid={}", ids(&sel.dirids)));
                }
                if !sel.hardlinks.is_empty() {
                    let pairs: Vec<String> = sel.hardlinks.iter().map(|(j, i)| format!("{j},{i}")).collect();
                    s.push_str(&format!(" hardlink={}", pairs.join(",")));
                }
                s
            }
            RQuery::Restore { client, job, handle, where_, replace } => format!(
                "restore client={} restorejob={} file=?{handle} where={} replace={} yes",
                arg(client),
                arg(job),
                arg(where_),
                replace.word()
            ),
            RQuery::Cleanup(handle) => format!(".bvfs_cleanup path={handle}"),
        }
    }

    /// The listing a page query is about (`None` for the root before its id is known).
    pub fn page_of(&self) -> Option<Option<i64>> {
        match self {
            RQuery::LsDirs { dir: DirRef::Root, .. } => Some(None),
            RQuery::LsDirs { dir: DirRef::Id(p), .. } | RQuery::LsFiles { pathid: p, .. } => Some(Some(*p)),
            _ => None,
        }
    }
}

// ---------------------------------------------------------------- entries

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    Dir,
    File,
}

/// One row of a listing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Entry {
    pub kind: Option<Kind>,
    /// As shown: `docs/` for a directory, `a.txt` for a file.
    pub name: String,
    /// The mark key: `/srv/docs/` for a directory, `/srv/docs/a.txt` for a file.
    pub path: String,
    pub pathid: i64,
    /// 0 when the catalog has no record of it (a directory above the saved tree).
    pub fileid: i64,
    pub jobid: u32,
    pub size: u64,
    pub mtime: i64,
    pub mode: u32,
    pub user: String,
    pub group: String,
    pub linkfileindex: i64,
}

impl Entry {
    pub fn is_dir(&self) -> bool {
        self.kind == Some(Kind::Dir)
    }

    fn from_json(v: &Value, kind: Kind, dir_path: &str) -> Entry {
        let stat = v.get("stat").cloned().unwrap_or(Value::Null);
        let name = model::text(v, "name");
        let path = match kind {
            Kind::Dir => model::text(v, "fullpath"),
            Kind::File => format!("{dir_path}{name}"),
        };
        Entry {
            kind: Some(kind),
            name,
            path,
            pathid: signed(v, "pathid"),
            fileid: signed(v, "fileid"),
            jobid: u32::try_from(model::number(v, "jobid")).unwrap_or(0),
            size: model::number(&stat, "size"),
            mtime: signed(&stat, "mtime"),
            mode: u32::try_from(model::number(&stat, "mode")).unwrap_or(0),
            user: model::text(&stat, "user"),
            group: model::text(&stat, "group"),
            linkfileindex: signed(v, "linkfileindex"),
        }
    }

    fn target(&self) -> Target {
        match self.kind {
            Some(Kind::Dir) => Target::Dir { pathid: self.pathid, fileid: self.fileid },
            _ => Target::File {
                fileid: self.fileid,
                jobid: self.jobid,
                linkfileindex: self.linkfileindex,
                size: self.size,
                pinned: false,
            },
        }
    }
}

fn signed(v: &Value, key: &str) -> i64 {
    match v.get(key) {
        Some(Value::Number(n)) => n.as_i64().unwrap_or(0),
        Some(Value::String(s)) => s.trim().parse().unwrap_or(0),
        _ => 0,
    }
}

/// One row of `.bvfs_versions`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Version {
    pub fileid: i64,
    pub jobid: u32,
    pub size: u64,
    pub mtime: i64,
    pub volume: String,
    pub md5: String,
}

pub fn versions_from_json(v: &Value) -> Vec<Version> {
    let rows = v.get("versions").and_then(Value::as_array).map(Vec::as_slice).unwrap_or(&[]);
    let mut out: Vec<Version> = Vec::new();
    for r in rows {
        let stat = r.get("stat").cloned().unwrap_or(Value::Null);
        let fileid = signed(r, "fileid");
        // One row per volume holding it: keep the first.
        if out.iter().any(|x| x.fileid == fileid) {
            continue;
        }
        out.push(Version {
            fileid,
            jobid: u32::try_from(model::number(r, "jobid")).unwrap_or(0),
            size: model::number(&stat, "size"),
            mtime: signed(&stat, "mtime"),
            volume: model::text(r, "volumename"),
            md5: model::text(r, "md5"),
        });
    }
    // Newest first.
    out.sort_by_key(|x| std::cmp::Reverse((x.jobid, x.fileid)));
    out
}

/// `.clients` → names (disabled clients too: their backups can be restored).
pub fn client_names_from_json(v: &Value) -> Vec<String> {
    let rows = v.get("clients").and_then(Value::as_array).map(Vec::as_slice).unwrap_or(&[]);
    rows.iter()
        .filter_map(|c| match c {
            Value::String(s) => Some(s.clone()),
            other => other.get("name").and_then(Value::as_str).map(str::to_string),
        })
        .collect()
}

/// `.bvfs_get_jobids` → `[1, 2]`.
pub fn jobids_from_json(v: &Value) -> Vec<u32> {
    let rows = v.get("jobids").and_then(Value::as_array).map(Vec::as_slice).unwrap_or(&[]);
    rows.iter().filter_map(|r| u32::try_from(model::number(r, "id")).ok()).filter(|id| *id > 0).collect()
}

/// `list backups` → rows, newest first.
pub fn backups_from_json(v: &Value) -> Vec<JobRow> {
    let rows = v.get("backups").and_then(Value::as_array).map(Vec::as_slice).unwrap_or(&[]);
    let mut out: Vec<JobRow> = rows.iter().map(JobRow::from_json).collect();
    out.sort_by_key(|r| std::cmp::Reverse(r.jobid));
    out
}

/// The parent directory of a directory path: `/a/b/` → `/a/`, `/` → `` (the root).
pub fn parent_path(dir: &str) -> String {
    let trimmed = dir.strip_suffix('/').unwrap_or(dir);
    match trimmed.rfind('/') {
        Some(i) => trimmed[..=i].to_string(),
        None => String::new(),
    }
}

/// The directories above `path`, nearest first: `/a/b/c` → `/a/b/`, `/a/`, `/`.
fn ancestors(path: &str) -> impl Iterator<Item = &str> {
    let body = path.strip_suffix('/').unwrap_or(path);
    body.char_indices().rev().filter(|(_, c)| *c == '/').map(move |(i, _)| &path[..=i])
}

// ---------------------------------------------------------------- listings

/// Which page of a listing comes next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Page {
    Dirs { offset: u64 },
    Files { offset: u64 },
}

/// One directory, as far as it is loaded.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Listing {
    pub pathid: i64,
    /// Its full path (`` for the root).
    pub path: String,
    /// Its own record (the `.` row); fileid 0 when not saved itself.
    pub own: Option<Entry>,
    /// The `..` row's PathId.
    pub parent: Option<i64>,
    pub dirs: Vec<Entry>,
    /// `.bvfs_lsdirs` rows consumed, `.` and `..` included (the next offset).
    pub dir_rows: u64,
    pub dirs_done: bool,
    pub files: Vec<Entry>,
    pub files_done: bool,
}

impl Listing {
    pub fn new(pathid: i64, path: &str) -> Listing {
        Listing { pathid, path: path.to_string(), ..Default::default() }
    }

    /// Rows loaded: directories, then files.
    pub fn len(&self) -> usize {
        self.dirs.len() + self.files.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn get(&self, i: usize) -> Option<&Entry> {
        self.dirs.get(i).or_else(|| self.files.get(i.checked_sub(self.dirs.len())?))
    }

    pub fn complete(&self) -> bool {
        self.dirs_done && self.files_done
    }

    pub fn next_page(&self) -> Option<Page> {
        if !self.dirs_done {
            Some(Page::Dirs { offset: self.dir_rows })
        } else if !self.files_done {
            Some(Page::Files { offset: self.files.len() as u64 })
        } else {
            None
        }
    }

    /// Adds a `.bvfs_lsdirs` page; a page that is not the next one (a
    /// duplicate, or one for an older state) is ignored. Returns whether it was used.
    pub fn add_dirs(&mut self, v: &Value, limit: u64, offset: u64) -> bool {
        if self.dirs_done || offset != self.dir_rows {
            return false;
        }
        let rows = v.get("directories").and_then(Value::as_array).map(Vec::as_slice).unwrap_or(&[]);
        for r in rows {
            match model::text(r, "name").as_str() {
                "." => {
                    let mut own = Entry::from_json(r, Kind::Dir, "");
                    own.path = self.path.clone();
                    own.name = display_dir_name(&self.path);
                    self.own = Some(own);
                }
                ".." => self.parent = Some(signed(r, "pathid")),
                _ => self.dirs.push(Entry::from_json(r, Kind::Dir, &self.path)),
            }
        }
        self.dir_rows += rows.len() as u64;
        self.dirs_done = (rows.len() as u64) < limit;
        true
    }

    /// Adds a `.bvfs_lsfiles` page (see [`Listing::add_dirs`]).
    pub fn add_files(&mut self, v: &Value, limit: u64, offset: u64) -> bool {
        if !self.dirs_done || self.files_done || offset != self.files.len() as u64 {
            return false;
        }
        let rows = v.get("files").and_then(Value::as_array).map(Vec::as_slice).unwrap_or(&[]);
        for r in rows {
            self.files.push(Entry::from_json(r, Kind::File, &self.path));
        }
        self.files_done = (rows.len() as u64) < limit;
        true
    }
}

/// The last component of a directory path, as `.bvfs_lsdirs` names it (`docs/`).
pub fn display_dir_name(path: &str) -> String {
    let trimmed = path.strip_suffix('/').unwrap_or(path);
    match trimmed.rfind('/') {
        Some(i) => path[i + 1..].to_string(),
        None => path.to_string(),
    }
}

// ---------------------------------------------------------------- marks

/// What is restored for an include.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Dir { pathid: i64, fileid: i64 },
    File { fileid: i64, jobid: u32, linkfileindex: i64, size: u64, pinned: bool },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mark {
    Include(Target),
    Exclude,
}

/// How an entry shows in the list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MarkState {
    Unmarked,
    Marked,
    /// A directory whose contents are partly marked.
    Partial,
}

/// Marked files and how sure the numbers are.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Summary {
    /// Files counted (in listings loaded so far).
    pub files: u64,
    pub bytes: u64,
    /// Marked directories (roots of a marked tree).
    pub dirs: usize,
    /// Directories inside marked trees whose contents are not (all) listed
    /// yet: the counts are lower bounds while this is not 0.
    pub unlisted: usize,
}

impl Summary {
    pub fn exact(&self) -> bool {
        self.unlisted == 0
    }

    pub fn is_empty(&self) -> bool {
        self.files == 0 && self.dirs == 0
    }
}

/// The listings the browser has loaded, by PathId.
pub type Listings = HashMap<i64, Listing>;

/// The mark set (see the module documentation).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Marks {
    map: BTreeMap<String, Mark>,
}

impl Marks {
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    pub fn clear(&mut self) {
        self.map.clear();
    }

    /// The explicit entry of `path`, if any.
    pub fn explicit(&self, path: &str) -> Option<&Mark> {
        self.map.get(path)
    }

    /// Is `path` marked as inherited from the directories above it?
    fn inherited(&self, path: &str) -> bool {
        for a in ancestors(path) {
            match self.map.get(a) {
                Some(Mark::Include(_)) => return true,
                Some(Mark::Exclude) => return false,
                None => {}
            }
        }
        false
    }

    /// Is `path` marked?
    pub fn marked(&self, path: &str) -> bool {
        match self.map.get(path) {
            Some(Mark::Include(_)) => true,
            Some(Mark::Exclude) => false,
            None => self.inherited(path),
        }
    }

    /// Explicit entries strictly below directory `dir`.
    fn below<'a>(&'a self, dir: &'a str) -> impl Iterator<Item = (&'a String, &'a Mark)> + 'a {
        use std::ops::Bound;
        self.map
            .range::<str, _>((Bound::Excluded(dir), Bound::Unbounded))
            .take_while(move |(k, _)| k.starts_with(dir))
    }

    fn clear_below(&mut self, dir: &str) {
        let keys: Vec<String> = self.below(dir).map(|(k, _)| k.clone()).collect();
        for k in keys {
            self.map.remove(&k);
        }
    }

    pub fn state(&self, e: &Entry) -> MarkState {
        let on = self.marked(&e.path);
        if e.is_dir() && !e.path.is_empty() {
            let differs = self.below(&e.path).any(|(_, m)| match m {
                Mark::Exclude => on,
                Mark::Include(_) => !on,
            });
            if differs {
                return MarkState::Partial;
            }
        }
        if on { MarkState::Marked } else { MarkState::Unmarked }
    }

    /// Space on an entry: mark it (and everything below) when it is not
    /// marked, else unmark it (and everything below).
    pub fn toggle(&mut self, e: &Entry) {
        self.set(e, !self.marked(&e.path));
    }

    /// Marks or unmarks `e` and everything below it.
    pub fn set(&mut self, e: &Entry, on: bool) {
        if e.path.is_empty() {
            return;
        }
        if e.is_dir() {
            self.clear_below(&e.path);
        }
        self.map.remove(&e.path);
        let inherited = self.inherited(&e.path);
        match (on, inherited) {
            (true, false) => {
                self.map.insert(e.path.clone(), Mark::Include(e.target()));
            }
            (false, true) => {
                self.map.insert(e.path.clone(), Mark::Exclude);
            }
            _ => {}
        }
    }

    /// Restore version `v` of file `e` (marks it).
    pub fn pin(&mut self, e: &Entry, v: &Version) {
        if e.is_dir() {
            return;
        }
        self.map.remove(&e.path);
        if v.fileid == e.fileid {
            if !self.inherited(&e.path) {
                self.map.insert(e.path.clone(), Mark::Include(e.target()));
            }
        } else {
            self.map.insert(
                e.path.clone(),
                Mark::Include(Target::File {
                    fileid: v.fileid,
                    jobid: v.jobid,
                    linkfileindex: 0,
                    size: v.size,
                    pinned: true,
                }),
            );
        }
    }

    /// The JobId of a pinned version of `path`.
    pub fn pinned_job(&self, path: &str) -> Option<u32> {
        match self.map.get(path) {
            Some(Mark::Include(Target::File { jobid, pinned: true, .. })) => Some(*jobid),
            _ => None,
        }
    }

    /// Includes that are not below a marked directory: each is restored on its own.
    fn roots(&self) -> impl Iterator<Item = (&String, &Target)> {
        self.map.iter().filter_map(|(k, m)| match m {
            Mark::Include(t) if !self.inherited(k) => Some((k, t)),
            _ => None,
        })
    }

    /// Count and size of the marked files, from the listings loaded so far.
    pub fn summary(&self, listings: &Listings) -> Summary {
        let mut s = Summary::default();
        let mut seen = HashSet::new();
        for (path, t) in self.map.iter().filter_map(|(k, m)| match m {
            Mark::Include(t) => Some((k, t)),
            Mark::Exclude => None,
        }) {
            match *t {
                Target::File { size, .. } => {
                    s.files += 1;
                    s.bytes += size;
                }
                Target::Dir { pathid, .. } => {
                    if !self.inherited(path) {
                        s.dirs += 1;
                        self.count_dir(pathid, listings, &mut s, &mut seen);
                    }
                }
            }
        }
        s
    }

    fn count_dir(&self, pathid: i64, listings: &Listings, s: &mut Summary, seen: &mut HashSet<i64>) {
        if !seen.insert(pathid) {
            return;
        }
        let Some(l) = listings.get(&pathid) else {
            s.unlisted += 1;
            return;
        };
        if !l.complete() {
            s.unlisted += 1;
        }
        for f in &l.files {
            // Explicit files (pinned versions) are counted with the includes.
            if self.map.get(&f.path).is_none() && self.marked(&f.path) {
                s.files += 1;
                s.bytes += f.size;
            }
        }
        for d in &l.dirs {
            if !matches!(self.map.get(&d.path), Some(Mark::Exclude)) {
                self.count_dir(d.pathid, listings, s, seen);
            }
        }
    }

    /// What to send to `.bvfs_restore`, or the directories (PathId, path)
    /// that must be listed completely first.
    pub fn plan(&self, listings: &Listings) -> Result<Selection, Vec<(i64, String)>> {
        let mut sel = Selection::default();
        let mut missing = Vec::new();
        for (path, t) in self.roots() {
            match *t {
                Target::File { fileid, jobid, linkfileindex, .. } => {
                    push_file(&mut sel, fileid, jobid, linkfileindex);
                }
                Target::Dir { pathid, fileid } => {
                    self.plan_dir(path, pathid, fileid, listings, &mut sel, &mut missing);
                }
            }
        }
        if !missing.is_empty() {
            missing.sort_unstable();
            missing.dedup();
            return Err(missing);
        }
        sel.normalise();
        Ok(sel)
    }

    /// A directory that is marked as a whole from here down unless something
    /// explicit lies below it.
    fn plan_dir(
        &self,
        path: &str,
        pathid: i64,
        fileid: i64,
        listings: &Listings,
        sel: &mut Selection,
        missing: &mut Vec<(i64, String)>,
    ) {
        if self.below(path).next().is_none() {
            sel.dirids.push(pathid);
            return;
        }
        let Some(l) = listings.get(&pathid).filter(|l| l.complete()) else {
            missing.push((pathid, path.to_string()));
            return;
        };
        if fileid > 0 {
            sel.fileids.push(fileid);
        }
        for d in &l.dirs {
            match self.map.get(&d.path) {
                Some(Mark::Exclude) => {}
                _ => self.plan_dir(&d.path, d.pathid, d.fileid, listings, sel, missing),
            }
        }
        for f in &l.files {
            match self.map.get(&f.path) {
                Some(Mark::Exclude) => {}
                Some(Mark::Include(Target::File { fileid, jobid, linkfileindex, .. })) => {
                    push_file(sel, *fileid, *jobid, *linkfileindex);
                }
                _ => push_file(sel, f.fileid, f.jobid, f.linkfileindex),
            }
        }
    }
}

fn push_file(sel: &mut Selection, fileid: i64, jobid: u32, linkfileindex: i64) {
    if fileid > 0 {
        sel.fileids.push(fileid);
    }
    if linkfileindex > 0 {
        sel.hardlinks.push((jobid, linkfileindex));
    }
}

// ---------------------------------------------------------------- the screen's state

/// Where the restore screen is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Phase {
    /// Choosing a client (`.clients`).
    #[default]
    Clients,
    /// Choosing a point in time (`list backups`).
    Point,
    /// Getting the JobIds, building the cache, listing the top.
    Loading(Loading),
    /// Browsing the tree.
    Browse,
}

/// The steps before the tree can be shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Loading {
    Jobids,
    Update,
    Root,
}

/// The point in time chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Point {
    /// The client's newest backup, every FileSet (`.bvfs_get_jobids jobid=N all`).
    MostRecent(u32),
    /// The state as of one backup job (its FileSet).
    Job(u32),
}

impl Point {
    pub fn jobid(self) -> u32 {
        match self {
            Point::MostRecent(j) | Point::Job(j) => j,
        }
    }
}

/// The versions pop-up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionsView {
    pub entry: Entry,
    pub rows: Option<Vec<Version>>,
    pub cursor: ListCursor,
}

/// The fields of the restore form.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Field {
    #[default]
    Where,
    Replace,
    Job,
}

impl Field {
    pub fn step(self, forward: bool) -> Field {
        const ALL: [Field; 3] = [Field::Where, Field::Replace, Field::Job];
        let i = ALL.iter().position(|f| *f == self).unwrap_or(0);
        ALL[if forward { (i + 1) % 3 } else { (i + 2) % 3 }]
    }
}

/// What the form is doing after Enter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Submit {
    /// Listing directories completely to expand marked trees with exclusions.
    Resolving,
    /// `.bvfs_restore path=HANDLE …` sent.
    Storing(String),
    /// `restore … file=?HANDLE` sent.
    Starting(String),
}

/// The restore form (`done`): where, replace, which restore job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Form {
    pub field: Field,
    pub where_: LineInput,
    /// The user typed a Where (so a restore job's default no longer replaces it).
    pub where_edited: bool,
    pub replace: Replace,
    /// Index into [`RestoreState::restore_jobs`].
    pub job: usize,
    pub submit: Option<Submit>,
    pub error: Option<String>,
}

/// The restore screen.
#[derive(Debug, Clone, PartialEq)]
pub struct RestoreState {
    pub phase: Phase,
    pub clients: Option<Vec<String>>,
    pub client_cursor: ListCursor,
    pub client: Option<String>,
    pub backups: Option<Vec<JobRow>>,
    pub point_cursor: ListCursor,
    pub point: Option<Point>,
    /// The merged jobs being browsed.
    pub jobids: Vec<u32>,
    /// JobId lists whose bvfs cache was built in this session.
    pub updated: Vec<Vec<u32>>,
    pub root: Option<i64>,
    pub cwd: Option<i64>,
    pub listings: Listings,
    /// The cursor of each directory visited.
    pub cursors: HashMap<i64, ListCursor>,
    /// Going down single-child directories above the saved tree, on arrival.
    pub descending: bool,
    pub marks: Marks,
    /// [`Marks::summary`] after the last change.
    pub summary: Summary,
    pub versions: Option<VersionsView>,
    pub form: Option<Form>,
    /// `.jobs type=R`.
    pub restore_jobs: Option<Vec<String>>,
    /// `.defaults job=X` of restore jobs.
    pub defaults: HashMap<String, Vec<(String, String)>>,
    /// Shown in place of the list (a step failed).
    pub error: Option<String>,
    /// Makes bvfs handles unique per TUI process.
    pub tag: u32,
    /// Handles used so far.
    pub seq: u32,
    /// Seconds east of UTC for file times.
    pub utc_offset: i32,
}

impl Default for RestoreState {
    fn default() -> Self {
        RestoreState {
            phase: Phase::Clients,
            clients: None,
            client_cursor: ListCursor::default(),
            client: None,
            backups: None,
            point_cursor: ListCursor::default(),
            point: None,
            jobids: Vec::new(),
            updated: Vec::new(),
            root: None,
            cwd: None,
            listings: HashMap::new(),
            cursors: HashMap::new(),
            descending: false,
            marks: Marks::default(),
            summary: Summary::default(),
            versions: None,
            form: None,
            restore_jobs: None,
            defaults: HashMap::new(),
            error: None,
            tag: std::process::id() % 10_000,
            seq: 0,
            utc_offset: chrono::Local::now().offset().local_minus_utc(),
        }
    }
}

impl RestoreState {
    /// Keys go to the form's fields.
    pub fn typing(&self) -> bool {
        self.form.is_some()
    }

    /// The directory shown.
    pub fn listing(&self) -> Option<&Listing> {
        self.listings.get(&self.cwd?)
    }

    pub fn cursor(&self) -> ListCursor {
        self.cwd.and_then(|c| self.cursors.get(&c).copied()).unwrap_or_default()
    }

    /// The entry under the cursor.
    pub fn selected(&self) -> Option<&Entry> {
        self.listing()?.get(self.cursor().selected)
    }

    /// Rows of the point-in-time list: "most recent", then each backup.
    pub fn point_rows(&self) -> usize {
        match &self.backups {
            Some(b) if !b.is_empty() => b.len() + 1,
            _ => 0,
        }
    }

    /// The backup row of a JobId, if listed.
    pub fn backup(&self, jobid: u32) -> Option<&JobRow> {
        self.backups.as_ref()?.iter().find(|b| b.jobid == jobid)
    }

    /// A fresh `b2<digits>` table name for `.bvfs_restore`.
    pub fn next_handle(&mut self, now: chrono::NaiveDateTime) -> String {
        self.seq += 1;
        format!("b2{}{:04}{}", now.and_utc().timestamp(), self.tag, self.seq)
    }

    pub fn restore_job(&self) -> Option<&str> {
        let f = self.form.as_ref()?;
        self.restore_jobs.as_ref()?.get(f.job).map(String::as_str)
    }
}

/// A file time (Unix seconds) as `2026-11-28 05:46` at the given UTC offset.
pub fn file_time(t: i64, utc_offset: i32) -> String {
    if t <= 0 {
        return String::new();
    }
    chrono::DateTime::from_timestamp(t + i64::from(utc_offset), 0)
        .map(|d| d.naive_utc().format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_default()
}

/// `rwxr-xr-x`-style mode with its type letter.
pub fn mode_string(mode: u32) -> String {
    let kind = match mode & 0o170000 {
        0o040000 => 'd',
        0o120000 => 'l',
        0o010000 => 'p',
        0o140000 => 's',
        0o060000 => 'b',
        0o020000 => 'c',
        _ => '-',
    };
    let mut s = String::with_capacity(10);
    s.push(kind);
    for shift in [6, 3, 0] {
        let bits = (mode >> shift) & 7;
        s.push(if bits & 4 != 0 { 'r' } else { '-' });
        s.push(if bits & 2 != 0 { 'w' } else { '-' });
        s.push(if bits & 1 != 0 { 'x' } else { '-' });
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir(path: &str, pathid: i64) -> Entry {
        Entry {
            kind: Some(Kind::Dir),
            name: display_dir_name(path),
            path: path.into(),
            pathid,
            fileid: pathid + 100,
            jobid: 1,
            ..Default::default()
        }
    }

    fn file(dir: &str, name: &str, fileid: i64, size: u64) -> Entry {
        Entry {
            kind: Some(Kind::File),
            name: name.into(),
            path: format!("{dir}{name}"),
            pathid: 0,
            fileid,
            jobid: 1,
            size,
            ..Default::default()
        }
    }

    fn listing(pathid: i64, path: &str, dirs: Vec<Entry>, files: Vec<Entry>) -> Listing {
        Listing {
            pathid,
            path: path.into(),
            own: Some(dir(path, pathid)),
            parent: None,
            dir_rows: dirs.len() as u64 + 2,
            dirs,
            dirs_done: true,
            files,
            files_done: true,
        }
    }

    /// `/d/` (1) holding `a` (11), `b` (12) and `/d/s/` (2) holding `c` (21).
    fn tree() -> (Entry, Entry, Entry, Entry, Entry, Listings) {
        let d = dir("/d/", 1);
        let s = dir("/d/s/", 2);
        let a = file("/d/", "a", 11, 100);
        let b = file("/d/", "b", 12, 200);
        let c = file("/d/s/", "c", 21, 400);
        let mut l = Listings::new();
        l.insert(1, listing(1, "/d/", vec![s.clone()], vec![a.clone(), b.clone()]));
        l.insert(2, listing(2, "/d/s/", vec![], vec![c.clone()]));
        (d, s, a, b, c, l)
    }

    #[test]
    fn paths() {
        assert_eq!(parent_path("/a/b/"), "/a/");
        assert_eq!(parent_path("/"), "");
        assert_eq!(parent_path("C:/"), "");
        assert_eq!(display_dir_name("/a/b c/"), "b c/");
        assert_eq!(display_dir_name("/"), "/");
        assert_eq!(ancestors("/a/b/c").collect::<Vec<_>>(), vec!["/a/b/", "/a/", "/"]);
        assert_eq!(ancestors("/a/b/").collect::<Vec<_>>(), vec!["/a/", "/"]);
        assert_eq!(ancestors("C:/x").collect::<Vec<_>>(), vec!["C:/"]);
        assert_eq!(ancestors("/").count(), 0);
    }

    #[test]
    fn quoting_and_commands() {
        assert_eq!(arg("plain"), "plain");
        assert_eq!(arg("with space.txt"), "\"with space.txt\"");
        assert_eq!(arg("q\"uo\\te"), "\"q\\\"uo\\\\te\"");
        assert_eq!(arg(""), "\"\"");
        let q = RQuery::LsDirs { jobids: vec![1, 2], dir: DirRef::Root, limit: 100, offset: 0 };
        assert_eq!(q.command(), ".bvfs_lsdirs jobid=1,2 path= limit=100 offset=0");
        let sel = Selection { fileids: vec![3, 4], dirids: vec![7], hardlinks: vec![(1, 9)] };
        let q = RQuery::BvfsRestore { handle: "b21".into(), jobids: vec![1, 2], sel };
        assert_eq!(q.command(), ".bvfs_restore path=b21 jobid=1,2 fileid=3,4 dirid=7 hardlink=1,9");
        let q = RQuery::Restore {
            client: "fd".into(),
            job: "RestoreFiles".into(),
            handle: "b21".into(),
            where_: "/tmp/r s".into(),
            replace: Replace::IfNewer,
        };
        assert_eq!(q.command(), "restore client=fd restorejob=RestoreFiles file=?b21 where=\"/tmp/r s\" replace=ifnewer yes");
        assert_eq!(Replace::parse("Always"), Some(Replace::Always));
        assert_eq!(Replace::Never.step(true), Replace::Always);
    }

    #[test]
    fn marking_a_directory_marks_everything_below() {
        let (d, s, a, _b, c, l) = tree();
        let mut m = Marks::default();
        m.toggle(&d);
        assert!(m.marked(&a.path) && m.marked(&c.path) && m.marked(&s.path));
        assert_eq!(m.state(&d), MarkState::Marked);
        assert_eq!(m.plan(&l), Ok(Selection { dirids: vec![1], ..Default::default() }));
        let sum = m.summary(&l);
        assert_eq!((sum.files, sum.bytes, sum.dirs, sum.unlisted), (3, 700, 1, 0));
    }

    #[test]
    fn unmarking_inside_a_marked_directory_excludes() {
        let (d, s, a, b, c, l) = tree();
        let mut m = Marks::default();
        m.toggle(&d);
        m.toggle(&a);
        assert!(!m.marked(&a.path) && m.marked(&b.path));
        assert_eq!(m.state(&d), MarkState::Partial);
        assert_eq!(m.state(&s), MarkState::Marked);
        // /d/ is expanded: its own record, /d/s/ whole, b.
        assert_eq!(m.plan(&l), Ok(Selection { fileids: vec![12, 101], dirids: vec![2], hardlinks: vec![] }));
        assert_eq!(m.summary(&l).files, 2);
        // Deeper: unmark c inside /d/s/ too.
        m.toggle(&c);
        assert_eq!(m.state(&s), MarkState::Partial);
        assert_eq!(m.plan(&l), Ok(Selection { fileids: vec![12, 101, 102], ..Default::default() }));
        assert_eq!(m.summary(&l).bytes, 200);
        // Re-marking a excludes nothing any more there.
        m.toggle(&a);
        assert!(m.marked(&a.path));
        // Re-marking the directory drops every exclusion below it.
        m.toggle(&d);
        assert!(!m.marked(&d.path), "it was marked (partially): space unmarks");
        m.toggle(&d);
        assert_eq!(m.state(&d), MarkState::Marked);
        assert!(m.marked(&c.path));
        assert_eq!(m.plan(&l), Ok(Selection { dirids: vec![1], ..Default::default() }));
    }

    #[test]
    fn unmarking_a_directory_drops_marks_below_and_remarking_inside_works() {
        let (d, s, a, _b, c, l) = tree();
        let mut m = Marks::default();
        m.toggle(&a);
        m.toggle(&c);
        assert_eq!(m.state(&d), MarkState::Partial);
        assert_eq!(m.plan(&l), Ok(Selection { fileids: vec![11, 21], ..Default::default() }));
        m.set(&d, false);
        assert!(m.is_empty());
        // Mark the directory, exclude the sub-directory, mark a file inside it again.
        m.toggle(&d);
        m.toggle(&s);
        m.toggle(&c);
        assert!(m.marked(&c.path) && !m.marked(&s.path));
        assert_eq!(m.state(&s), MarkState::Partial);
        assert_eq!(m.plan(&l), Ok(Selection { fileids: vec![11, 12, 21, 101], ..Default::default() }));
        let sum = m.summary(&l);
        assert_eq!((sum.files, sum.bytes), (3, 700));
    }

    #[test]
    fn expansion_needs_complete_listings() {
        let (d, _s, a, _b, _c, mut l) = tree();
        let mut m = Marks::default();
        m.toggle(&d);
        if let Some(x) = l.get_mut(&2) {
            x.files_done = false;
        }
        // No exclusion: the partial listing does not matter to the plan, but
        // the counts say they are a lower bound.
        assert!(m.plan(&l).is_ok());
        assert_eq!(m.summary(&l).unlisted, 1);
        m.toggle(&a);
        // /d/ is complete; /d/s/ is taken whole (nothing explicit below it).
        assert!(m.plan(&l).is_ok());
        if let Some(x) = l.get_mut(&1) {
            x.files_done = false;
        }
        assert_eq!(m.plan(&l), Err(vec![(1, "/d/".to_string())]));
        l.remove(&2);
        assert_eq!(m.summary(&l).unlisted, 2);
    }

    #[test]
    fn pinned_versions() {
        let (d, _s, a, _b, _c, l) = tree();
        let mut m = Marks::default();
        let old = Version { fileid: 5, jobid: 1, size: 50, ..Default::default() };
        m.pin(&a, &old);
        assert_eq!(m.pinned_job(&a.path), Some(1));
        assert_eq!(m.plan(&l), Ok(Selection { fileids: vec![5], ..Default::default() }));
        // Inside a marked directory the pinned version replaces the newest one.
        m.set(&d, true);
        m.pin(&a, &old);
        assert_eq!(m.plan(&l), Ok(Selection { fileids: vec![5, 12, 101], dirids: vec![2], hardlinks: vec![] }));
        let sum = m.summary(&l);
        assert_eq!((sum.files, sum.bytes), (3, 50 + 200 + 400));
    }

    #[test]
    fn hard_links_bring_their_master() {
        let mut a = file("/d/", "a", 11, 1);
        a.linkfileindex = 7;
        a.jobid = 2;
        let mut m = Marks::default();
        m.toggle(&a);
        assert_eq!(m.plan(&Listings::new()), Ok(Selection { fileids: vec![11], dirids: vec![], hardlinks: vec![(2, 7)] }));
    }

    #[test]
    fn pages_are_taken_in_order() {
        let page = |names: &[&str]| {
            let rows: Vec<Value> = names
                .iter()
                .map(|n| serde_json::json!({"name": n, "pathid": 3, "fileid": 1, "jobid": 1, "fullpath": format!("/x/{n}")}))
                .collect();
            serde_json::json!({ "directories": rows, "files": rows })
        };
        let mut l = Listing::new(3, "/x/");
        assert_eq!(l.next_page(), Some(Page::Dirs { offset: 0 }));
        assert!(l.add_dirs(&page(&[".", "..", "a/"]), 3, 0));
        assert!(!l.add_dirs(&page(&["b/"]), 3, 0), "a repeated page is ignored");
        assert_eq!(l.next_page(), Some(Page::Dirs { offset: 3 }));
        assert!(l.add_dirs(&page(&["b/"]), 3, 3));
        assert_eq!(l.next_page(), Some(Page::Files { offset: 0 }));
        assert!(l.add_files(&page(&["f1", "f2"]), 2, 0));
        assert!(l.add_files(&page(&[]), 2, 2));
        assert!(l.complete());
        assert_eq!(l.len(), 4);
        assert_eq!(l.get(2).map(|e| e.path.as_str()), Some("/x/f1"));
        assert_eq!(l.own.as_ref().map(|o| o.path.as_str()), Some("/x/"));
    }

    #[test]
    fn times_and_modes() {
        assert_eq!(file_time(1_795_844_792, 0), "2026-11-28 05:46");
        assert_eq!(file_time(1_795_844_792, 3600), "2026-11-28 06:46");
        assert_eq!(file_time(0, 0), "");
        assert_eq!(mode_string(0o100644), "-rw-r--r--");
        assert_eq!(mode_string(0o040755), "drwxr-xr-x");
    }
}
