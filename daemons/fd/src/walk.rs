//! The streaming FileSet walker: depth first, entries of one directory sorted by
//! name, a directory reported after its contents (FT_DIREND, as Bareos). Only the
//! names of the directories on the current path are held in memory.

use std::ffi::OsString;
use std::fs::Metadata;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use crate::fileset::{dir_has_marker, CompiledFileSet, Decision, EffOpts};

/// One file system object found by the walk.
pub struct Entry<'a> {
    /// Full path, without a trailing `/`.
    pub path: &'a Path,
    pub md: &'a Metadata,
    pub opts: &'a EffOpts,
}

/// What the walk calls back.
pub trait Visitor {
    /// A non-directory.
    fn file(&mut self, e: &Entry<'_>);
    /// A directory, after its contents.
    fn dir_end(&mut self, e: &Entry<'_>);
    /// A problem with one file: a job warning naming it; counted as a job error.
    fn file_error(&mut self, msg: String);
    /// An informational job message.
    fn info(&mut self, msg: String);
    /// Stop walking (job canceled or fatal error).
    fn stopped(&self) -> bool;
}

fn errno_text(e: &std::io::Error) -> String {
    // "No such file or directory" without Rust's " (os error 2)" suffix, as Bareos prints ERR=
    let s = e.to_string();
    match s.find(" (os error") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

/// `ERR=` text of an I/O error.
pub fn err_text(e: &std::io::Error) -> String {
    errno_text(e)
}

/// Walk every Include of the FileSet.
pub fn walk(fs: &CompiledFileSet, v: &mut dyn Visitor) {
    for (i, inc) in fs.includes.iter().enumerate() {
        for root in &inc.roots {
            if v.stopped() {
                return;
            }
            let root: PathBuf = if root.as_os_str().len() > 1 {
                PathBuf::from(std::ffi::OsStr::from_bytes(
                    root.as_os_str().as_bytes().strip_suffix(b"/").unwrap_or(root.as_os_str().as_bytes()),
                ))
            } else {
                root.clone()
            };
            let md = match std::fs::symlink_metadata(&root) {
                Ok(m) => m,
                Err(e) => {
                    v.file_error(format!("Could not stat \"{}\": ERR={}\n", root.display(), errno_text(&e)));
                    continue;
                }
            };
            let path_str = root.to_string_lossy();
            let opts = inc.top_opts(&path_str, md.is_dir());
            if md.is_dir() {
                descend(fs, i, &root, &md, &opts, md.dev(), v);
            } else {
                v.file(&Entry { path: &root, md: &md, opts: &opts });
            }
        }
    }
}

fn descend(
    fs: &CompiledFileSet,
    inc: usize,
    dir: &Path,
    md: &Metadata,
    opts: &EffOpts,
    top_dev: u64,
    v: &mut dyn Visitor,
) {
    let marker = &fs.includes[inc].exclude_dir_containing;
    if !marker.is_empty() && dir_has_marker(dir, marker) {
        return;
    }
    let entry = Entry { path: dir, md, opts };
    if opts.one_fs && md.dev() != top_dev {
        v.info(format!(
            "     {} is a different filesystem. Will not descend from {} into it.\n",
            dir.display(),
            dir.parent().map(|p| p.display().to_string()).unwrap_or_default()
        ));
        v.dir_end(&entry);
        return;
    }
    let mut names: Vec<OsString> = match std::fs::read_dir(dir) {
        Ok(rd) => {
            let mut names = Vec::new();
            for e in rd {
                match e {
                    Ok(e) => names.push(e.file_name()),
                    Err(e) => {
                        v.file_error(format!("Could not read directory \"{}\": ERR={}\n", dir.display(), errno_text(&e)));
                        break;
                    }
                }
            }
            names
        }
        Err(e) => {
            v.file_error(format!("Could not open directory \"{}\": ERR={}\n", dir.display(), errno_text(&e)));
            Vec::new()
        }
    };
    names.sort_unstable();
    let mut child = dir.to_path_buf();
    for name in names {
        if v.stopped() {
            return;
        }
        child.push(&name);
        let cmd = match std::fs::symlink_metadata(&child) {
            Ok(m) => m,
            Err(e) => {
                v.file_error(format!("Could not stat \"{}\": ERR={}\n", child.display(), errno_text(&e)));
                child.pop();
                continue;
            }
        };
        let is_dir = cmd.is_dir();
        let decision = fs.decide(inc, &child.to_string_lossy(), is_dir);
        if let Decision::Save(copts) = decision {
            if is_dir {
                if copts.recurse {
                    descend(fs, inc, &child, &cmd, &copts, top_dev, v);
                } else {
                    v.dir_end(&Entry { path: &child, md: &cmd, opts: &copts });
                }
            } else {
                v.file(&Entry { path: &child, md: &cmd, opts: &copts });
            }
        }
        child.pop();
    }
    v.dir_end(&entry);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fileset::compile;
    use crate::fileset::tests::{fileset, opts};
    use cairn_config::FileOptions;

    #[derive(Default)]
    struct Rec {
        seen: Vec<String>,
        errors: Vec<String>,
    }
    impl Visitor for Rec {
        fn file(&mut self, e: &Entry<'_>) {
            self.seen.push(e.path.display().to_string());
        }
        fn dir_end(&mut self, e: &Entry<'_>) {
            self.seen.push(format!("{}/", e.path.display()));
        }
        fn file_error(&mut self, msg: String) {
            self.errors.push(msg);
        }
        fn info(&mut self, _msg: String) {}
        fn stopped(&self) -> bool {
            false
        }
    }

    #[test]
    fn walk_order_and_rules() -> std::io::Result<()> {
        let d = tempfile::tempdir()?;
        let r = d.path().join("r");
        std::fs::create_dir_all(r.join("a/tmp"))?;
        std::fs::create_dir_all(r.join("b"))?;
        std::fs::create_dir_all(r.join("skipme/deep"))?;
        std::fs::write(r.join("skipme/.nobackup"), b"")?;
        std::fs::write(r.join("skipme/deep/f"), b"x")?;
        std::fs::write(r.join("a/x.c"), b"x")?;
        std::fs::write(r.join("a/x.o"), b"x")?;
        std::fs::write(r.join("a/tmp/t"), b"x")?;
        std::fs::write(r.join("b/y"), b"x")?;
        let ex = FileOptions { wild_file: vec!["*.o".into()], wild_dir: vec!["*/tmp".into()], exclude: true, ..opts() };
        let top = r.display().to_string();
        let mut fsr = fileset(&[&top, "/nonexistent-cairn"], vec![ex], &[]);
        fsr.includes[0].exclude_dir_containing = vec![".nobackup".into()];
        let c = compile(&fsr);
        let mut rec = Rec::default();
        walk(&c, &mut rec);
        let rel: Vec<String> = rec.seen.iter().map(|s| s.replacen(&top, "", 1)).collect();
        assert_eq!(rel, ["/a/x.c", "/a/", "/b/y", "/b/", "/"]);
        assert_eq!(rec.errors.len(), 1);
        assert!(rec.errors[0].contains("nonexistent-cairn") && rec.errors[0].contains("ERR=No such file"), "{:?}", rec.errors);

        // recurse = no: only the top directory
        let nr = FileOptions { recurse: false, ..opts() };
        let c = compile(&fileset(&[&top], vec![nr], &[]));
        let mut rec = Rec::default();
        walk(&c, &mut rec);
        let rel: Vec<String> = rec.seen.iter().map(|s| s.replacen(&top, "", 1)).collect();
        assert_eq!(rel, ["/a/", "/b/", "/skipme/", "/"]);
        Ok(())
    }

    #[test]
    fn onefs_stops_at_mount_points() {
        // /proc is a different filesystem from /: with onefs the walk of "/" must
        // not descend into it. Walk a directory that holds a mount point if present.
        let Ok(md) = std::fs::symlink_metadata("/proc/self") else { return };
        let _ = md;
        let Ok(root_md) = std::fs::symlink_metadata("/") else { return };
        let Ok(proc_md) = std::fs::symlink_metadata("/proc") else { return };
        if root_md.dev() == proc_md.dev() {
            return;
        }
        struct Top {
            entries: usize,
            infos: Vec<String>,
        }
        impl Visitor for Top {
            fn file(&mut self, _e: &Entry<'_>) {
                self.entries += 1;
            }
            fn dir_end(&mut self, _e: &Entry<'_>) {
                self.entries += 1;
            }
            fn file_error(&mut self, _msg: String) {}
            fn info(&mut self, msg: String) {
                self.infos.push(msg);
            }
            fn stopped(&self) -> bool {
                self.entries > 200_000
            }
        }
        // Walk /proc itself as the top: its own dev is the top dev, so a nested
        // mount (e.g. /proc/sys/fs/binfmt_misc) is the boundary; simpler: assert
        // the decision function directly.
        let c = compile(&fileset(&["/proc/self/fdinfo"], vec![], &[]));
        let mut t = Top { entries: 0, infos: vec![] };
        walk(&c, &mut t);
        assert!(t.entries >= 1);
        // a directory whose dev differs from the top dev is reported, not entered
        let o = EffOpts::default();
        let mut t = Top { entries: 0, infos: vec![] };
        descend(&c, 0, Path::new("/proc"), &proc_md, &o, root_md.dev(), &mut t);
        assert_eq!(t.entries, 1);
        assert!(t.infos[0].contains("is a different filesystem"));
    }
}
