//! The restore side: turns the records the storage daemon sends back into files
//! under the target, never outside it.
//!
//! Safety rules: every record path is relocated and checked
//! ([`Relocation::relocate`]: no `..`, absolute, inside `where`); parent
//! directories are created one component at a time and a component that is not
//! a real directory (a symlink restored earlier, a planted one, a file) refuses
//! the record; the final component is removed and recreated with `O_EXCL`/
//! `O_NOFOLLOW` semantics, never opened through a symlink.

use std::ffi::OsStr;
use std::fs::{File, OpenOptions, Permissions};
use std::io::{Read, Seek, SeekFrom};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{DirBuilderExt, FileExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use bytes::Bytes;
use cairn_proto::msg::{file_type, msg_type, stream};
use cairn_types::lstat::Lstat;
use tokio::sync::mpsc::UnboundedSender;

use crate::attrs::AttrRecord;
use crate::backup::Out;
use crate::codec::{lz4_unframe, DigestKind};
use crate::job::JobCtl;
use crate::relocate::Relocation;
use crate::walk::err_text;

/// One record from the storage daemon.
#[derive(Debug)]
pub struct Record {
    pub file_index: i32,
    pub stream: i32,
    pub frames: Vec<Bytes>,
}

struct Current {
    fi: i32,
    path: PathBuf,
    ftype: u32,
    lstat: Lstat,
    file: Option<File>,
    pos: u64,
}

/// Restore state for one job.
pub struct Restorer {
    reloc: Relocation,
    root: PathBuf,
    replace: char,
    prelinks: bool,
    ctl: Arc<JobCtl>,
    log: UnboundedSender<Out>,
    cur: Option<Current>,
    /// Records of this FileIndex are dropped (file skipped or refused).
    skip_fi: Option<i32>,
    dirs: Vec<(PathBuf, Lstat)>,
    is_root: bool,
    root_ready: bool,
}

/// Owner, mode and times of a restored object.
fn set_times(path: &Path, l: &Lstat) -> nix::Result<()> {
    use nix::sys::stat::{utimensat, UtimensatFlags};
    use nix::sys::time::TimeSpec;
    let a = TimeSpec::new(l.atime, 0);
    let m = TimeSpec::new(l.mtime, 0);
    utimensat(nix::fcntl::AT_FDCWD, path, &a, &m, UtimensatFlags::NoFollowSymlink)
}

impl Restorer {
    pub fn new(reloc: Relocation, replace: char, prelinks: bool, ctl: Arc<JobCtl>, log: UnboundedSender<Out>) -> Self {
        let root = reloc.root();
        Restorer {
            reloc,
            root,
            replace,
            prelinks,
            ctl,
            log,
            cur: None,
            skip_fi: None,
            dirs: Vec::new(),
            is_root: nix::unistd::geteuid().is_root(),
            root_ready: false,
        }
    }

    fn msg(&self, t: u32, text: String) {
        let _ = self.log.send(Out::Log(t, text));
    }

    fn error(&mut self, text: String) {
        self.ctl.add(&self.ctl.errors, 1);
        self.msg(msg_type::ERROR, text);
    }

    /// Handle one record.
    pub fn record(&mut self, r: Record) {
        let len: usize = r.frames.iter().map(|f| f.len()).sum();
        self.ctl.add(&self.ctl.read_bytes, len as u64);
        if r.stream == stream::UNIX_ATTRIBUTES {
            self.finish_current();
            let payload: Vec<u8> = if r.frames.len() == 1 { r.frames[0].to_vec() } else { r.frames.concat() };
            self.attributes(&payload);
            return;
        }
        if self.skip_fi == Some(r.file_index) {
            return;
        }
        let Some(cur) = self.cur.as_ref() else { return };
        if cur.fi != r.file_index {
            return;
        }
        match r.stream {
            stream::FILE_DATA | stream::SPARSE_DATA | stream::COMPRESSED_DATA | stream::SPARSE_COMPRESSED_DATA => {
                for f in &r.frames {
                    if let Err(e) = self.write_frame(r.stream, f) {
                        let p = self.cur.as_ref().map(|c| c.path.display().to_string()).unwrap_or_default();
                        self.error(format!("Write error on \"{p}\": {e}\n"));
                        self.skip_fi = Some(r.file_index);
                        if let Some(c) = self.cur.as_mut() {
                            c.file = None;
                        }
                        return;
                    }
                }
            }
            s if stream::is_digest(s) => {
                let digest: Vec<u8> = r.frames.concat();
                self.verify(s, &digest);
            }
            stream::XATTR_LINUX => {
                let data: Vec<u8> = r.frames.concat();
                self.set_xattrs(&data);
            }
            stream::ACL_LINUX_ACCESS | stream::ACL_LINUX_DEFAULT => {
                let data: Vec<u8> = r.frames.concat();
                let name = if r.stream == stream::ACL_LINUX_ACCESS {
                    "system.posix_acl_access"
                } else {
                    "system.posix_acl_default"
                };
                let path = self.cur.as_ref().map(|c| c.path.clone()).unwrap_or_default();
                if let Err(e) = xattr::set(&path, name, &data) {
                    self.msg(msg_type::WARNING, format!("Cannot restore ACL of \"{}\": ERR={}\n", path.display(), err_text(&e)));
                }
            }
            _ => {}
        }
    }

    fn write_frame(&mut self, st: i32, f: &[u8]) -> Result<(), String> {
        let Some(cur) = self.cur.as_mut() else { return Ok(()) };
        let Some(file) = cur.file.as_ref() else { return Ok(()) };
        let (off, data): (u64, std::borrow::Cow<'_, [u8]>) = match st {
            stream::FILE_DATA => (cur.pos, f.into()),
            stream::SPARSE_DATA => {
                if f.len() < 8 {
                    return Err("short sparse frame".into());
                }
                let mut b = [0u8; 8];
                b.copy_from_slice(&f[..8]);
                (u64::from_be_bytes(b), f[8..].into())
            }
            stream::COMPRESSED_DATA => {
                let (_, d) = lz4_unframe(f, false)?;
                (cur.pos, d.into())
            }
            _ => {
                let (o, d) = lz4_unframe(f, true)?;
                (o.unwrap_or(cur.pos), d.into())
            }
        };
        file.write_all_at(&data, off).map_err(|e| err_text(&e))?;
        cur.pos = off + data.len() as u64;
        self.ctl.add(&self.ctl.bytes, data.len() as u64);
        Ok(())
    }

    fn verify(&mut self, st: i32, want: &[u8]) {
        let Some(kind) = DigestKind::from_stream(st) else { return };
        let Some(cur) = self.cur.as_mut() else { return };
        let Some(file) = cur.file.as_mut() else { return };
        let size = cur.lstat.size.max(0) as u64;
        let res: std::io::Result<Vec<u8>> = (|| {
            file.set_len(size)?;
            file.seek(SeekFrom::Start(0))?;
            let mut h = kind.hasher();
            let mut buf = vec![0u8; 256 * 1024];
            loop {
                let n = file.read(&mut buf)?;
                if n == 0 {
                    break;
                }
                h.update(&buf[..n]);
            }
            Ok(h.finish())
        })();
        let path = cur.path.display().to_string();
        match res {
            Ok(got) if got == want => {}
            Ok(_) => {
                self.ctl.add(&self.ctl.errors, 1);
                self.msg(msg_type::WARNING, format!("Digest mismatch on restored file \"{path}\".\n"));
            }
            Err(e) => self.msg(msg_type::WARNING, format!("Cannot verify digest of \"{path}\": ERR={}\n", err_text(&e))),
        }
    }

    fn set_xattrs(&mut self, mut data: &[u8]) {
        let path = match self.cur.as_ref() {
            Some(c) => c.path.clone(),
            None => return,
        };
        let take = |d: &mut &[u8]| -> Option<Vec<u8>> {
            if d.len() < 4 {
                return None;
            }
            let n = u32::from_be_bytes([d[0], d[1], d[2], d[3]]) as usize;
            if d.len() < 4 + n {
                return None;
            }
            let v = d[4..4 + n].to_vec();
            *d = &d[4 + n..];
            Some(v)
        };
        while !data.is_empty() {
            let (Some(name), Some(val)) = (take(&mut data), take(&mut data)) else {
                self.msg(msg_type::WARNING, format!("Malformed extended attributes stream for \"{}\".\n", path.display()));
                return;
            };
            if let Err(e) = xattr::set(&path, OsStr::from_bytes(&name), &val) {
                self.msg(
                    msg_type::WARNING,
                    format!(
                        "Cannot restore extended attribute {} of \"{}\": ERR={}\n",
                        String::from_utf8_lossy(&name),
                        path.display(),
                        err_text(&e)
                    ),
                );
            }
        }
    }

    /// Create the directories between the target root and `path` one component at a
    /// time; refuse anything that is not a real directory.
    fn prepare_parent(&mut self, path: &Path) -> Result<(), String> {
        if !self.root_ready {
            std::fs::create_dir_all(&self.root).map_err(|e| format!("cannot create \"{}\": {}", self.root.display(), err_text(&e)))?;
            self.root_ready = true;
        }
        let rel = path.strip_prefix(&self.root).map_err(|_| format!("\"{}\" is outside the target", path.display()))?;
        let Some(parent) = rel.parent() else { return Ok(()) };
        let mut cur = self.root.clone();
        for c in parent.components() {
            cur.push(c);
            match std::fs::symlink_metadata(&cur) {
                Ok(m) if m.file_type().is_dir() => {}
                Ok(m) if m.file_type().is_symlink() => {
                    return Err(format!("\"{}\" is a symbolic link; not following it", cur.display()));
                }
                Ok(_) => return Err(format!("\"{}\" is not a directory", cur.display())),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    match std::fs::DirBuilder::new().mode(0o755).create(&cur) {
                        Ok(()) => {}
                        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                            let m = std::fs::symlink_metadata(&cur).map_err(|e| err_text(&e))?;
                            if !m.file_type().is_dir() {
                                return Err(format!("\"{}\" is not a directory", cur.display()));
                            }
                        }
                        Err(e) => return Err(format!("cannot create \"{}\": {}", cur.display(), err_text(&e))),
                    }
                }
                Err(e) => return Err(format!("cannot stat \"{}\": {}", cur.display(), err_text(&e))),
            }
        }
        Ok(())
    }

    /// Apply `replace`; remove what is in the way. Ok(false) = skip the file.
    fn make_room(&mut self, path: &Path, ftype: u32, l: &Lstat) -> Result<bool, String> {
        let Ok(m) = std::fs::symlink_metadata(path) else { return Ok(true) };
        if ftype == file_type::DIREND && m.file_type().is_dir() {
            return Ok(true);
        }
        use std::os::unix::fs::MetadataExt;
        let skip = match self.replace {
            'n' => Some("Already exists"),
            'i' if l.mtime <= m.mtime() => Some("Not newer"),
            'o' if l.mtime >= m.mtime() => Some("Not older"),
            _ => None,
        };
        if let Some(why) = skip {
            self.msg(msg_type::SKIPPED, format!("File skipped. {why}: {}\n", path.display()));
            return Ok(false);
        }
        let r = if m.file_type().is_dir() { std::fs::remove_dir(path) } else { std::fs::remove_file(path) };
        r.map_err(|e| format!("cannot replace \"{}\": {}", path.display(), err_text(&e)))?;
        Ok(true)
    }

    fn attributes(&mut self, payload: &[u8]) {
        let Some(a) = AttrRecord::decode(payload) else {
            self.error(format!("Malformed attributes record: {:?}\n", String::from_utf8_lossy(&payload[..payload.len().min(80)])));
            return;
        };
        self.skip_fi = Some(a.file_index);
        if a.file_type == file_type::DELETED {
            return;
        }
        let Some(l) = Lstat::decode(&a.lstat) else {
            self.error(format!("Bad lstat in record for \"{}\".\n", String::from_utf8_lossy(&a.path)));
            return;
        };
        let path = match self.reloc.relocate(&a.path) {
            Ok(p) => p,
            Err(e) => {
                self.ctl.add(&self.ctl.errors, 1);
                self.msg(msg_type::SECURITY, format!("Restore of a file refused: {e}.\n"));
                return;
            }
        };
        if path == self.root {
            // the target itself (a top-level directory restored onto where=)
            if a.file_type == file_type::DIREND {
                self.dirs.push((path, l));
            }
            self.skip_fi = None;
            return;
        }
        if let Err(e) = self.prepare_parent(&path) {
            self.ctl.add(&self.ctl.errors, 1);
            self.msg(msg_type::SECURITY, format!("Restore of \"{}\" refused: {e}.\n", path.display()));
            return;
        }
        match self.make_room(&path, a.file_type, &l) {
            Ok(true) => {}
            Ok(false) => return,
            Err(e) => {
                self.error(format!("{e}\n"));
                return;
            }
        }
        let mode = l.mode & 0o7777;
        let res: Result<Option<File>, String> = match a.file_type {
            file_type::REG | file_type::REGE => OpenOptions::new()
                .read(true)
                .write(true)
                .create_new(true)
                .mode(0o600)
                .custom_flags(libc::O_NOFOLLOW)
                .open(&path)
                .map(Some)
                .map_err(|e| err_text(&e)),
            file_type::DIREND => match std::fs::DirBuilder::new().mode(0o700).create(&path) {
                Ok(()) => Ok(None),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(None),
                Err(e) => Err(err_text(&e)),
            },
            file_type::LNK => {
                let mut target = a.link.clone();
                if self.prelinks
                    && target.first() == Some(&b'/')
                    && let Relocation::Where(w) = &self.reloc
                    && !w.as_os_str().is_empty()
                {
                    let mut t = w.as_os_str().as_bytes().to_vec();
                    while t.ends_with(b"/") {
                        t.pop();
                    }
                    t.extend_from_slice(&target);
                    target = t;
                }
                std::os::unix::fs::symlink(OsStr::from_bytes(&target), &path).map(|_| None).map_err(|e| err_text(&e))
            }
            file_type::LNKSAVED => match self.reloc.relocate(&a.link) {
                Ok(master) => std::fs::hard_link(&master, &path)
                    .map(|_| None)
                    .map_err(|e| format!("cannot link to \"{}\": {}", master.display(), err_text(&e))),
                Err(e) => Err(e),
            },
            file_type::FIFO => nix::unistd::mkfifo(&path, nix::sys::stat::Mode::from_bits_truncate(mode))
                .map(|_| None)
                .map_err(|e| e.desc().to_string()),
            file_type::SPEC => {
                use nix::sys::stat::{mknod, Mode, SFlag};
                let kind = SFlag::from_bits_truncate(l.mode & libc::S_IFMT);
                match mknod(&path, kind, Mode::from_bits_truncate(mode), l.rdev as libc::dev_t) {
                    Ok(()) => Ok(None),
                    Err(nix::errno::Errno::EPERM) if !self.is_root => {
                        self.msg(
                            msg_type::WARNING,
                            format!("Cannot create device \"{}\": not running as root.\n", path.display()),
                        );
                        return;
                    }
                    Err(e) => Err(e.desc().to_string()),
                }
            }
            other => Err(format!("unsupported file type {other}")),
        };
        let file = match res {
            Ok(f) => f,
            Err(e) => {
                self.error(format!("Cannot restore \"{}\": ERR={}\n", path.display(), e));
                return;
            }
        };
        self.ctl.add(&self.ctl.files, 1);
        self.ctl.set_last_file(&path.to_string_lossy());
        self.skip_fi = None;
        if a.file_type == file_type::DIREND {
            self.dirs.push((path.clone(), l));
        }
        self.cur = Some(Current { fi: a.file_index, path, ftype: a.file_type, lstat: l, file, pos: 0 });
    }

    /// Owner, mode and times of the file just written (directories: at the end).
    fn finish_current(&mut self) {
        let Some(cur) = self.cur.take() else { return };
        let l = cur.lstat;
        match cur.ftype {
            file_type::DIREND | file_type::LNKSAVED => {}
            file_type::REG | file_type::REGE => {
                if let Some(f) = cur.file.as_ref() {
                    if let Err(e) = f.set_len(l.size.max(0) as u64) {
                        self.error(format!("Cannot set size of \"{}\": ERR={}\n", cur.path.display(), err_text(&e)));
                    }
                    if self.is_root {
                        let _ = std::os::unix::fs::fchown(f, Some(l.uid), Some(l.gid));
                    }
                    if let Err(e) = f.set_permissions(Permissions::from_mode(l.mode & 0o7777)) {
                        self.msg(msg_type::WARNING, format!("Cannot set mode of \"{}\": ERR={}\n", cur.path.display(), err_text(&e)));
                    }
                    let _ = f.flush_and_times(&l);
                }
            }
            _ => {
                if self.is_root {
                    let _ = std::os::unix::fs::lchown(&cur.path, Some(l.uid), Some(l.gid));
                }
                if cur.ftype != file_type::LNK {
                    let _ = std::fs::set_permissions(&cur.path, Permissions::from_mode(l.mode & 0o7777));
                }
                let _ = set_times(&cur.path, &l);
            }
        }
    }

    /// End of the restore: the last file, then directories' owner, mode and times.
    pub fn finish(&mut self) {
        self.finish_current();
        for (p, l) in std::mem::take(&mut self.dirs) {
            // never chmod/chown through a symlink planted in place of a directory
            match std::fs::symlink_metadata(&p) {
                Ok(m) if m.file_type().is_dir() => {}
                _ => continue,
            }
            if self.is_root {
                let _ = std::os::unix::fs::lchown(&p, Some(l.uid), Some(l.gid));
            }
            let _ = std::fs::set_permissions(&p, Permissions::from_mode(l.mode & 0o7777));
            let _ = set_times(&p, &l);
        }
    }
}

trait FileTimesExt {
    fn flush_and_times(&self, l: &Lstat) -> std::io::Result<()>;
}

impl FileTimesExt for File {
    fn flush_and_times(&self, l: &Lstat) -> std::io::Result<()> {
        let t = |s: i64| {
            if s >= 0 {
                std::time::UNIX_EPOCH + std::time::Duration::from_secs(s as u64)
            } else {
                std::time::UNIX_EPOCH - std::time::Duration::from_secs(s.unsigned_abs())
            }
        };
        self.set_times(std::fs::FileTimes::new().set_accessed(t(l.atime)).set_modified(t(l.mtime)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attrs::AttrRecord;
    use crate::relocate::parse_regexwhere;

    fn attr(fi: i32, ft: u32, path: &str, link: &str) -> Record {
        let l = Lstat { mode: if ft == file_type::DIREND { 0o040755 } else if ft == file_type::LNK { 0o120777 } else { 0o100644 }, mtime: 1_600_000_000, atime: 1_600_000_000, size: 3, ..Default::default() };
        let a = AttrRecord {
            file_index: fi,
            file_type: ft,
            path: path.as_bytes().to_vec(),
            lstat: l.encode(),
            link: link.as_bytes().to_vec(),
            extra: vec![],
            delta_seq: 0,
        };
        Record { file_index: fi, stream: stream::UNIX_ATTRIBUTES, frames: vec![Bytes::from(a.encode())] }
    }

    fn data(fi: i32) -> Record {
        Record { file_index: fi, stream: stream::FILE_DATA, frames: vec![Bytes::from_static(b"bad")] }
    }

    fn restorer(reloc: Relocation) -> (Restorer, tokio::sync::mpsc::UnboundedReceiver<Out>, Arc<JobCtl>) {
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        let ctl = Arc::new(JobCtl::new(1, "j".into()));
        (Restorer::new(reloc, 'a', false, ctl.clone(), tx), rx, ctl)
    }

    #[test]
    fn refuses_escapes_and_planted_symlinks() -> std::io::Result<()> {
        let d = tempfile::tempdir()?;
        let target = d.path().join("target");
        let outside = d.path().join("outside");
        std::fs::create_dir(&outside)?;
        let (mut r, mut rx, ctl) = restorer(Relocation::Where(target.clone()));
        let evil_link = outside.display().to_string();
        for rec in [
            attr(1, file_type::REG, "../x", ""),
            data(1),
            attr(2, file_type::REG, "/a/../../../x", ""),
            data(2),
            // a symlink pointing outside, then a file "through" it
            attr(3, file_type::LNK, "/data/evil", &evil_link),
            attr(4, file_type::REG, "/data/evil/pwned", ""),
            data(4),
            attr(5, file_type::DIREND, "/data/evil/sub/", ""),
            // a hard link whose master is outside the target
            attr(6, file_type::LNKSAVED, "/data/hl", "/../../etc/passwd"),
            // a good file
            attr(7, file_type::REG, "/data/ok", ""),
            data(7),
        ] {
            r.record(rec);
        }
        r.finish();
        assert_eq!(std::fs::read_dir(&outside)?.count(), 0, "nothing written outside");
        assert!(!d.path().join("x").exists());
        assert_eq!(std::fs::read(target.join("data/ok"))?, b"bad");
        assert!(std::fs::symlink_metadata(target.join("data/evil"))?.file_type().is_symlink());
        assert_eq!(JobCtl::get(&ctl.errors), 5);
        let mut n = 0;
        while let Ok(Out::Log(t, text)) = rx.try_recv() {
            assert!(t == msg_type::SECURITY || t == msg_type::ERROR, "{text}");
            n += 1;
        }
        assert_eq!(n, 5);
        // regexwhere that escapes the root
        let (mut r, _rx, ctl) = restorer(Relocation::Regex(parse_regexwhere("!^/!../!").unwrap_or_default()));
        r.record(attr(1, file_type::REG, "/x", ""));
        r.finish();
        assert_eq!(JobCtl::get(&ctl.errors), 1);
        Ok(())
    }

    #[test]
    fn replace_modes() -> std::io::Result<()> {
        let d = tempfile::tempdir()?;
        let target = d.path().to_path_buf();
        std::fs::write(d.path().join("f"), b"old")?;
        // existing file is newer than the backup (mtime 1_600_000_000)
        for (mode, expect) in [('n', b"old"), ('i', b"old"), ('o', b"bad"), ('a', b"bad")] {
            std::fs::write(d.path().join("f"), b"old")?;
            let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
            let ctl = Arc::new(JobCtl::new(1, "j".into()));
            let mut r = Restorer::new(Relocation::Where(target.clone()), mode, false, ctl, tx);
            r.record(attr(1, file_type::REG, "/f", ""));
            r.record(data(1));
            r.finish();
            assert_eq!(&std::fs::read(d.path().join("f"))?, expect, "replace={mode}");
        }
        Ok(())
    }
}
