//! A FileSet compiled for matching (features.md §2.2 FileSet).
//!
//! Rules, per Include block, for a path below a top-level `File =` entry:
//! * Options blocks are tried in order. A block **with** patterns (wild, wilddir,
//!   wildfile, regex, regexdir, regexfile) decides for the first path it matches:
//!   `exclude = yes` rejects the path, otherwise the path is saved with that
//!   block's options.
//! * A block **without** patterns applies to every path not decided by an earlier
//!   block: `exclude = yes` rejects it; otherwise its options become the default
//!   for paths no patterned block matches (the first such block wins).
//! * Paths no block decides use that default, or the built-in defaults
//!   (OneFS and Recurse yes, everything else off). Bareos instead leaves the
//!   *last* block's flags in force in that case; Cairn's rule is the documented one.
//! * `wild*`: shell patterns (`*` also matches `/`); `wildfile` without a `/`
//!   matches the base name. `regex*`: unanchored searches. `wilddir`/`regexdir`
//!   apply to directories only, `wildfile`/`regexfile` to everything else.
//!   `ignorecase` applies to the block's patterns.
//! * Exclude blocks: each `File =` is a shell pattern against the full path.
//! * `ExcludeDirContaining = name`: a directory holding `name` is skipped whole.
//! * Top-level `File =` entries are always accepted.

use std::path::{Path, PathBuf};

use cairn_config::{FileEntry, FileOptions, FileSetRes};
use glob::{MatchOptions, Pattern};
use regex::Regex;

use crate::codec::DigestKind;

/// Compression requested by Options.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    None,
    Lz4,
}

/// The options that govern one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EffOpts {
    pub signature: Option<DigestKind>,
    pub compression: Compression,
    pub one_fs: bool,
    pub recurse: bool,
    pub sparse: bool,
    pub hard_links: bool,
    pub no_atime: bool,
    pub keep_atime: bool,
    pub mtime_only: bool,
    pub xattrs: bool,
    pub acls: bool,
    /// Accurate letters (default `mcs`).
    pub accurate: String,
}

impl Default for EffOpts {
    fn default() -> Self {
        EffOpts {
            signature: None,
            compression: Compression::None,
            one_fs: true,
            recurse: true,
            sparse: false,
            // Bareos's defaults when no Options block applies: hard links are
            // saved as separate files (since Bareos 23), ACLs and xattrs are saved.
            hard_links: false,
            no_atime: false,
            keep_atime: false,
            mtime_only: false,
            xattrs: true,
            acls: true,
            accurate: "mcs".into(),
        }
    }
}

struct Block {
    opts: EffOpts,
    exclude: bool,
    wild: Vec<Pattern>,
    wild_dir: Vec<Pattern>,
    wild_file: Vec<Pattern>,
    regex: Vec<Regex>,
    regex_dir: Vec<Regex>,
    regex_file: Vec<Regex>,
    case: MatchOptions,
}

impl Block {
    fn has_patterns(&self) -> bool {
        !(self.wild.is_empty()
            && self.wild_dir.is_empty()
            && self.wild_file.is_empty()
            && self.regex.is_empty()
            && self.regex_dir.is_empty()
            && self.regex_file.is_empty())
    }

    fn matches(&self, path: &str, is_dir: bool) -> bool {
        let base = path.rsplit('/').next().unwrap_or(path);
        if self.wild.iter().any(|p| p.matches_with(path, self.case)) {
            return true;
        }
        if is_dir {
            if self.wild_dir.iter().any(|p| p.matches_with(path, self.case)) {
                return true;
            }
            if self.regex_dir.iter().any(|r| r.is_match(path)) {
                return true;
            }
        } else {
            if self
                .wild_file
                .iter()
                .any(|p| if p.as_str().contains('/') { p.matches_with(path, self.case) } else { p.matches_with(base, self.case) })
            {
                return true;
            }
            if self.regex_file.iter().any(|r| r.is_match(path)) {
                return true;
            }
        }
        self.regex.iter().any(|r| r.is_match(path))
    }
}

/// One compiled Include block.
pub struct IncludeSet {
    /// Plain paths, plus the expansion of `\|command` and `\<file` entries.
    pub roots: Vec<PathBuf>,
    blocks: Vec<Block>,
    default_opts: EffOpts,
    pub exclude_dir_containing: Vec<String>,
}

/// What the matcher says about a path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Save(EffOpts),
    Exclude,
}

impl IncludeSet {
    /// The options of a top-level entry (always saved).
    pub fn top_opts(&self, path: &str, is_dir: bool) -> EffOpts {
        match self.decide_blocks(path, is_dir) {
            Decision::Save(o) => o,
            Decision::Exclude => self.default_opts.clone(),
        }
    }

    fn decide_blocks(&self, path: &str, is_dir: bool) -> Decision {
        for b in &self.blocks {
            if b.has_patterns() {
                if b.matches(path, is_dir) {
                    return if b.exclude { Decision::Exclude } else { Decision::Save(b.opts.clone()) };
                }
            } else if b.exclude {
                return Decision::Exclude;
            }
        }
        Decision::Save(self.default_opts.clone())
    }
}

/// A whole compiled FileSet.
pub struct CompiledFileSet {
    pub name: String,
    pub includes: Vec<IncludeSet>,
    excludes: Vec<Pattern>,
    /// Warnings to put in the job log (unknown algorithms, bad patterns …).
    pub warnings: Vec<String>,
}

impl CompiledFileSet {
    /// Decide for a path below a top-level entry of include `inc`.
    pub fn decide(&self, inc: usize, path: &str, is_dir: bool) -> Decision {
        let opts = MatchOptions { case_sensitive: true, require_literal_separator: false, require_literal_leading_dot: false };
        if self.excludes.iter().any(|p| p.matches_with(path, opts)) {
            return Decision::Exclude;
        }
        match self.includes.get(inc) {
            Some(i) => i.decide_blocks(path, is_dir),
            None => Decision::Exclude,
        }
    }

    /// True when `path` is excluded by an Exclude block.
    pub fn excluded_globally(&self, path: &str) -> bool {
        let opts = MatchOptions { case_sensitive: true, require_literal_separator: false, require_literal_leading_dot: false };
        self.excludes.iter().any(|p| p.matches_with(path, opts))
    }
}

fn compile_opts(o: &FileOptions, warnings: &mut Vec<String>) -> EffOpts {
    let signature = o.signature.as_deref().and_then(|s| {
        let k = DigestKind::parse(s);
        if k.is_none() {
            warnings.push(format!("Signature \"{s}\" is not supported; no digest is stored.\n"));
        }
        k
    });
    let compression = match o.compression.as_deref() {
        None => Compression::None,
        Some(c) if c.eq_ignore_ascii_case("lz4") => Compression::Lz4,
        Some(c) => {
            warnings.push(format!("Compression algorithm {c} is not supported by this client; LZ4 is used instead.\n"));
            Compression::Lz4
        }
    };
    EffOpts {
        signature,
        compression,
        one_fs: o.one_fs,
        recurse: o.recurse,
        sparse: o.sparse,
        hard_links: o.hard_links,
        no_atime: o.no_atime,
        keep_atime: o.keep_atime,
        mtime_only: o.mtime_only,
        xattrs: o.xattr_support,
        acls: o.acl_support,
        accurate: o.accurate.clone().filter(|a| !a.is_empty()).unwrap_or_else(|| "mcs".into()),
    }
}

fn compile_wild(list: &[String], warnings: &mut Vec<String>) -> Vec<Pattern> {
    list.iter()
        .filter_map(|p| match Pattern::new(p) {
            Ok(p) => Some(p),
            Err(e) => {
                warnings.push(format!("Bad wild pattern \"{p}\": {e}\n"));
                None
            }
        })
        .collect()
}

fn compile_regex(list: &[String], ic: bool, warnings: &mut Vec<String>) -> Vec<Regex> {
    list.iter()
        .filter_map(|p| match regex::RegexBuilder::new(p).case_insensitive(ic).build() {
            Ok(r) => Some(r),
            Err(e) => {
                warnings.push(format!("Bad regex \"{p}\": {e}\n"));
                None
            }
        })
        .collect()
}

/// Expand client-side `\|command` and `\<file` entries into paths.
fn expand_entry(e: &FileEntry, out: &mut Vec<PathBuf>, warnings: &mut Vec<String>) {
    let push_lines = |text: &str, out: &mut Vec<PathBuf>| {
        for l in text.lines() {
            let l = l.trim_end_matches('\r');
            if !l.trim().is_empty() {
                out.push(PathBuf::from(l));
            }
        }
    };
    match e {
        FileEntry::Path(p) => out.push(PathBuf::from(p)),
        FileEntry::ClientCommand(c) => match std::process::Command::new("sh").arg("-c").arg(c).output() {
            Ok(o) if o.status.success() => push_lines(&String::from_utf8_lossy(&o.stdout), out),
            Ok(o) => warnings.push(format!(
                "Command \"{c}\" on the client exited with {}: {}\n",
                o.status,
                String::from_utf8_lossy(&o.stderr).trim()
            )),
            Err(err) => warnings.push(format!("Cannot run command \"{c}\" on the client: {err}\n")),
        },
        FileEntry::ClientFile(f) => match std::fs::read_to_string(f) {
            Ok(t) => push_lines(&t, out),
            Err(err) => warnings.push(format!("Cannot read include file \"{f}\" on the client: {err}\n")),
        },
        FileEntry::DirectorCommand(c) => {
            warnings.push(format!("Director-side command \"|{c}\" reached the client unexpanded; ignored.\n"))
        }
        FileEntry::DirectorFile(f) => {
            warnings.push(format!("Director-side file \"<{f}\" reached the client unexpanded; ignored.\n"))
        }
    }
}

/// Compile a FileSet (runs client-side commands: call from a blocking context).
pub fn compile(fs: &FileSetRes) -> CompiledFileSet {
    let mut warnings = Vec::new();
    let mut includes = Vec::new();
    for inc in &fs.includes {
        let mut roots = Vec::new();
        for e in &inc.files {
            expand_entry(e, &mut roots, &mut warnings);
        }
        let mut blocks = Vec::new();
        for o in &inc.options {
            let case = MatchOptions {
                case_sensitive: !o.ignore_case,
                require_literal_separator: false,
                require_literal_leading_dot: false,
            };
            blocks.push(Block {
                opts: compile_opts(o, &mut warnings),
                exclude: o.exclude,
                wild: compile_wild(&o.wild, &mut warnings),
                wild_dir: compile_wild(&o.wild_dir, &mut warnings),
                wild_file: compile_wild(&o.wild_file, &mut warnings),
                regex: compile_regex(&o.regex, o.ignore_case, &mut warnings),
                regex_dir: compile_regex(&o.regex_dir, o.ignore_case, &mut warnings),
                regex_file: compile_regex(&o.regex_file, o.ignore_case, &mut warnings),
                case,
            });
        }
        let default_opts =
            blocks.iter().find(|b| !b.has_patterns() && !b.exclude).map(|b| b.opts.clone()).unwrap_or_default();
        includes.push(IncludeSet { roots, blocks, default_opts, exclude_dir_containing: inc.exclude_dir_containing.clone() });
    }
    let mut excludes = Vec::new();
    for ex in &fs.excludes {
        let mut paths = Vec::new();
        for e in &ex.files {
            expand_entry(e, &mut paths, &mut warnings);
        }
        for p in paths {
            let s = p.to_string_lossy().trim_end_matches('/').to_string();
            match Pattern::new(&s) {
                Ok(p) => excludes.push(p),
                Err(_) => excludes.push(Pattern::new(&Pattern::escape(&s)).unwrap_or_default()),
            }
        }
    }
    warnings.dedup();
    CompiledFileSet { name: fs.name.clone(), includes, excludes, warnings }
}

/// True when `dir` holds one of `names` (ExcludeDirContaining).
pub fn dir_has_marker(dir: &Path, names: &[String]) -> bool {
    names.iter().any(|n| !n.is_empty() && std::fs::symlink_metadata(dir.join(n)).is_ok())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use cairn_config::{Exclude, Include};

    pub fn opts() -> FileOptions {
        FileOptions {
            signature: None,
            compression: None,
            wild: vec![],
            wild_dir: vec![],
            wild_file: vec![],
            regex: vec![],
            regex_dir: vec![],
            regex_file: vec![],
            exclude: false,
            ignore_case: false,
            one_fs: true,
            recurse: true,
            fs_type: vec![],
            drive_type: vec![],
            acl_support: false,
            xattr_support: false,
            hard_links: true,
            sparse: false,
            read_fifo: false,
            portable: false,
            mtime_only: false,
            keep_atime: false,
            no_atime: false,
            check_file_changes: false,
            honor_nodump: false,
            hfsplus_support: false,
            enhanced_wild: false,
            strip_path: 0,
            size: None,
            shadowing: None,
            auto_exclude: false,
            accurate: None,
            verify: None,
            basejob: None,
            replace: None,
            plugin: None,
            force_encryption: false,
            meta: vec![],
        }
    }

    pub fn fileset(files: &[&str], options: Vec<FileOptions>, excludes: &[&str]) -> FileSetRes {
        FileSetRes {
            name: "fs".into(),
            description: None,
            includes: vec![Include {
                files: files.iter().map(|f| FileEntry::parse(f)).collect(),
                plugins: vec![],
                exclude_dir_containing: vec![],
                options,
            }],
            excludes: if excludes.is_empty() {
                vec![]
            } else {
                vec![Exclude { files: excludes.iter().map(|f| FileEntry::Path(f.to_string())).collect() }]
            },
            ignore_fileset_changes: false,
            enable_vss: false,
        }
    }

    fn saved(c: &CompiledFileSet, p: &str, dir: bool) -> Option<EffOpts> {
        match c.decide(0, p, dir) {
            Decision::Save(o) => Some(o),
            Decision::Exclude => None,
        }
    }

    #[test]
    fn matching_table() {
        let md5 = FileOptions { signature: Some("MD5".into()), ..opts() };
        let ex_o = FileOptions { wild_file: vec!["*.o".into()], exclude: true, ..opts() };
        let ex_tmpdir = FileOptions { wild_dir: vec!["*/tmp".into()], exclude: true, ..opts() };
        let rx = FileOptions {
            regex_file: vec![r"\.LOG$".into()],
            ignore_case: true,
            compression: Some("LZ4".into()),
            ..opts()
        };
        let wild_full = FileOptions { wild: vec!["/data/keep/*".into()], signature: Some("SHA1".into()), ..opts() };
        let c = compile(&fileset(&["/data"], vec![wild_full, ex_o, ex_tmpdir, rx, md5], &["/data/secret", "*.bak"]));
        assert!(c.warnings.is_empty(), "{:?}", c.warnings);
        // (path, is_dir, expected: None = excluded, Some(signature))
        let table: &[(&str, bool, Option<Option<DigestKind>>)] = &[
            ("/data/a.txt", false, Some(Some(DigestKind::Md5))),
            ("/data/x/a.o", false, None),
            ("/data/x/a.o", true, Some(Some(DigestKind::Md5))), // wildfile: files only
            ("/data/x/tmp", true, None),
            ("/data/x/tmp", false, Some(Some(DigestKind::Md5))), // wilddir: dirs only
            ("/data/keep/a.o", false, Some(Some(DigestKind::Sha1))), // first match wins
            ("/data/y/app.log", false, Some(None)),              // regex, ignorecase
            ("/data/secret", true, None),                         // Exclude block
            ("/data/z/old.bak", false, None),                     // Exclude block pattern
        ];
        for (p, dir, want) in table {
            let got = saved(&c, p, *dir).map(|o| o.signature);
            assert_eq!(&got, want, "{p} dir={dir}");
        }
        assert_eq!(saved(&c, "/data/y/app.log", false).map(|o| o.compression), Some(Compression::Lz4));
    }

    #[test]
    fn patternless_exclude_and_defaults() {
        let keep = FileOptions { wild: vec!["*.c".into()], ..opts() };
        let rest = FileOptions { exclude: true, ..opts() };
        let c = compile(&fileset(&["/src"], vec![keep, rest], &[]));
        assert!(saved(&c, "/src/a.c", false).is_some());
        assert!(saved(&c, "/src/a.h", false).is_none());
        let c = compile(&fileset(&["/src"], vec![], &[]));
        assert_eq!(saved(&c, "/src/a", false), Some(EffOpts::default()));
        let nofs = FileOptions { one_fs: false, recurse: false, ..opts() };
        let c = compile(&fileset(&["/src"], vec![nofs], &[]));
        let o = saved(&c, "/src/a", true).unwrap_or_default();
        assert!(!o.one_fs && !o.recurse);
    }

    #[test]
    fn other_compression_warns() {
        let gz = FileOptions { compression: Some("GZIP9".into()), ..opts() };
        let c = compile(&fileset(&["/x"], vec![gz], &[]));
        assert_eq!(c.warnings.len(), 1);
        assert_eq!(saved(&c, "/x/a", false).map(|o| o.compression), Some(Compression::Lz4));
    }

    #[test]
    fn client_command_and_file_entries() -> std::io::Result<()> {
        let d = tempfile::tempdir()?;
        let list = d.path().join("list");
        std::fs::write(&list, "/a\n\n/b c\n")?;
        let e1 = format!("\\<{}", list.display());
        let c = compile(&fileset(&["\\|printf '/x\\n/y\\n'", &e1], vec![], &[]));
        let roots: Vec<String> = c.includes[0].roots.iter().map(|p| p.display().to_string()).collect();
        assert_eq!(roots, ["/x", "/y", "/a", "/b c"]);
        Ok(())
    }
}
