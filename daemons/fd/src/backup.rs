//! The backup side: a [`Visitor`] that selects files (full, since-time, accurate),
//! reads them in chunks on a blocking thread, hashes and compresses them and
//! hands record frames to the network task through a bounded channel
//! (PROTOCOL.md §5.4). Also the `estimate` visitor.

use std::collections::HashMap;
use std::fs::File;
use std::io::Read;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::Path;
use std::sync::Arc;

use bytes::Bytes;
use cairn_proto::msg::{file_type, msg_type, stream, RecordHeader};
use cairn_proto::{Packet, Signal};
use cairn_types::lstat::Lstat;
use tokio::sync::mpsc::Sender;

use crate::attrs::{file_type_of, ls_line, lstat_of, AttrRecord, Names};
use crate::codec::lz4_frame;
use crate::fileset::{Compression, EffOpts};
use crate::job::JobCtl;
use crate::walk::{err_text, Entry, Visitor};

/// Largest plain data frame.
pub const DATA_CHUNK: usize = 256 * 1024;
/// Read size for compressed frames (the LZ4 bound plus header stays ≤ 256 KiB).
pub const LZ4_CHUNK: usize = 252 * 1024;
/// Frames are batched up to this size before going to the network task.
const BATCH_BYTES: usize = 1024 * 1024;

/// What the blocking side hands to the network task.
#[derive(Debug)]
pub enum Out {
    /// Frames for the storage daemon, in order.
    Packets(Vec<Packet>),
    /// A job message for the director (`type`, text ending in `\n`).
    Log(u32, String),
}

/// A compact entry of the director's accurate list.
#[derive(Debug, Clone, Copy)]
pub struct AccEntry {
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    pub nlink: u32,
    pub ino: u64,
    pub size: i64,
    pub atime: i64,
    pub mtime: i64,
    pub ctime: i64,
    pub seen: bool,
}

impl AccEntry {
    pub fn from_lstat(l: &Lstat) -> AccEntry {
        AccEntry {
            mode: l.mode,
            uid: l.uid,
            gid: l.gid,
            nlink: l.nlink as u32,
            ino: l.ino,
            size: l.size,
            atime: l.atime,
            mtime: l.mtime,
            ctime: l.ctime,
            seen: false,
        }
    }
    fn lstat(&self) -> Lstat {
        Lstat {
            mode: self.mode,
            uid: self.uid,
            gid: self.gid,
            nlink: self.nlink as u64,
            ino: self.ino,
            size: self.size,
            atime: self.atime,
            mtime: self.mtime,
            ctime: self.ctime,
            ..Default::default()
        }
    }
}

/// The accurate list: path (directories without the trailing `/`) → entry.
pub type AccurateList = HashMap<Box<[u8]>, AccEntry>;

/// Parse one accurate frame `<path>\0<lstat>\0<digest>\0` into the list.
pub fn add_accurate_frame(list: &mut AccurateList, frame: &[u8]) -> bool {
    let mut parts = frame.split(|b| *b == 0);
    let (Some(path), Some(lstat)) = (parts.next(), parts.next()) else { return false };
    let Some(l) = std::str::from_utf8(lstat).ok().and_then(Lstat::decode) else { return false };
    if path.is_empty() {
        return false;
    }
    list.insert(norm_key(path).into(), AccEntry::from_lstat(&l));
    true
}

fn norm_key(p: &[u8]) -> &[u8] {
    if p.len() > 1 { p.strip_suffix(b"/").unwrap_or(p) } else { p }
}

/// True when the file changed by the Accurate letters.
pub fn accurate_changed(letters: &str, old: &AccEntry, md: &std::fs::Metadata) -> bool {
    for c in letters.chars() {
        let changed = match c {
            'A' => true,
            'i' => old.ino != md.ino(),
            'p' => old.mode != md.mode(),
            'n' => old.nlink as u64 != md.nlink(),
            'u' => old.uid != md.uid(),
            'g' => old.gid != md.gid(),
            's' => old.size != md.size() as i64,
            'a' => old.atime != md.atime(),
            'm' => old.mtime != md.mtime(),
            'M' => md.mtime() > old.mtime,
            'c' => old.ctime != md.ctime(),
            'C' => md.ctime() > old.ctime,
            _ => false, // '5', '1' (digest comparison) and unknown letters are ignored
        };
        if changed {
            return true;
        }
    }
    // a file that changed type is always saved
    (old.mode & libc::S_IFMT) != (md.mode() & libc::S_IFMT)
}

/// How files are selected.
#[derive(Debug, Clone)]
pub struct Selection {
    /// `since_utime` of an Incremental/Differential.
    pub since: Option<i64>,
    /// `mtime_only=1` from the level command.
    pub mtime_only: bool,
}

impl Selection {
    fn wants(&self, md: &std::fs::Metadata, opts: &EffOpts) -> bool {
        match self.since {
            None => true,
            Some(t) => md.mtime() > t || (!(self.mtime_only || opts.mtime_only) && md.ctime() > t),
        }
    }
}

/// The backup visitor.
pub struct Backup {
    tx: Sender<Out>,
    ctl: Arc<JobCtl>,
    sel: Selection,
    accurate: Option<AccurateList>,
    next_fi: i32,
    batch: Vec<Packet>,
    batch_bytes: usize,
    links: HashMap<(u64, u64), (i32, Vec<u8>)>,
    buf: Vec<u8>,
    /// The network side is gone: stop.
    broken: bool,
}

impl Backup {
    pub fn new(tx: Sender<Out>, ctl: Arc<JobCtl>, sel: Selection, accurate: Option<AccurateList>) -> Backup {
        Backup {
            tx,
            ctl,
            sel,
            accurate,
            next_fi: 1,
            batch: Vec::new(),
            batch_bytes: 0,
            links: HashMap::new(),
            buf: vec![0u8; DATA_CHUNK],
            broken: false,
        }
    }

    fn log(&mut self, t: u32, text: String) {
        self.flush();
        if self.tx.blocking_send(Out::Log(t, text)).is_err() {
            self.broken = true;
        }
    }

    fn push(&mut self, p: Packet) {
        if let Packet::Data(b) = &p {
            self.batch_bytes += b.len() + 4;
        }
        self.batch.push(p);
        if self.batch_bytes >= BATCH_BYTES {
            self.flush();
        }
    }

    /// Hand the batch to the network task.
    pub fn flush(&mut self) {
        if self.batch.is_empty() {
            return;
        }
        let b = std::mem::take(&mut self.batch);
        self.batch_bytes = 0;
        if self.tx.blocking_send(Out::Packets(b)).is_err() {
            self.broken = true;
        }
    }

    fn header(&mut self, fi: i32, stream: i32) {
        self.push(Packet::text(RecordHeader { file_index: fi, stream }.to_string()));
    }

    /// A one-frame record (attributes, digests, xattrs, ACLs). Like Bareos, only
    /// file data counts in JobBytes, so these do not.
    fn record(&mut self, fi: i32, stream: i32, payload: Vec<u8>) {
        self.header(fi, stream);
        self.push(Packet::Data(Bytes::from(payload)));
        self.push(Packet::Signal(Signal::Eod));
    }

    fn send_attrs(&mut self, a: &AttrRecord) {
        self.record(a.file_index, stream::UNIX_ATTRIBUTES, a.encode());
    }

    fn take_fi(&mut self) -> i32 {
        let fi = self.next_fi;
        self.next_fi += 1;
        fi
    }

    fn note_file(&mut self, path: &[u8]) {
        self.ctl.add(&self.ctl.files, 1);
        self.ctl.set_last_file(&String::from_utf8_lossy(path));
    }

    /// Accurate bookkeeping; returns Some(changed) in accurate mode.
    fn accurate_check(&mut self, path: &[u8], md: &std::fs::Metadata, opts: &EffOpts) -> Option<bool> {
        let acc = self.accurate.as_mut()?;
        match acc.get_mut(path) {
            Some(e) => {
                e.seen = true;
                let old = *e;
                Some(accurate_changed(&opts.accurate, &old, md))
            }
            None => Some(true),
        }
    }

    fn send_xattrs(&mut self, fi: i32, path: &Path, file: Option<&File>, opts: &EffOpts) {
        if !opts.xattrs && !opts.acls {
            return;
        }
        let names: Vec<std::ffi::OsString> = match file {
            Some(f) => match xattr::FileExt::list_xattr(f) {
                Ok(l) => l.collect(),
                Err(_) => return,
            },
            None => match xattr::list(path) {
                Ok(l) => l.collect(),
                Err(_) => return,
            },
        };
        let mut plain = Vec::new();
        for n in names {
            let nb = n.as_bytes();
            let acl_stream = match nb {
                b"system.posix_acl_access" => Some(stream::ACL_LINUX_ACCESS),
                b"system.posix_acl_default" => Some(stream::ACL_LINUX_DEFAULT),
                _ => None,
            };
            if acl_stream.is_some() && !opts.acls || acl_stream.is_none() && !opts.xattrs {
                continue;
            }
            let val = match file {
                Some(f) => xattr::FileExt::get_xattr(f, &n),
                None => xattr::get(path, &n),
            };
            let Ok(Some(val)) = val else { continue };
            match acl_stream {
                Some(s) => self.record(fi, s, val),
                None => {
                    plain.extend_from_slice(&(nb.len() as u32).to_be_bytes());
                    plain.extend_from_slice(nb);
                    plain.extend_from_slice(&(val.len() as u32).to_be_bytes());
                    plain.extend_from_slice(&val);
                }
            }
        }
        if !plain.is_empty() {
            self.record(fi, stream::XATTR_LINUX, plain);
        }
    }

    fn open(&mut self, path: &Path, opts: &EffOpts) -> std::io::Result<File> {
        let mut oo = std::fs::OpenOptions::new();
        oo.read(true);
        let base = libc::O_NOFOLLOW | libc::O_NONBLOCK;
        if opts.no_atime {
            oo.custom_flags(base | libc::O_NOATIME);
            match oo.open(path) {
                Ok(f) => return Ok(f),
                Err(e) if e.raw_os_error() == Some(libc::EPERM) => {}
                Err(e) => return Err(e),
            }
        }
        oo.custom_flags(base);
        oo.open(path)
    }

    /// Read, hash, compress and send a regular file's data. Returns false on a
    /// read error (already reported).
    fn send_data(&mut self, fi: i32, path: &Path, f: &mut File, size: u64, opts: &EffOpts, data_stream: i32) -> bool {
        let mut hasher = opts.signature.map(|k| k.hasher());
        let sparse = opts.sparse;
        let compress = opts.compression == Compression::Lz4;
        let chunk = if compress { LZ4_CHUNK } else if sparse { DATA_CHUNK - 8 } else { DATA_CHUNK };
        self.header(fi, data_stream);
        let mut pos: u64 = 0;
        let mut read_err: Option<std::io::Error> = None;
        let mut buf = std::mem::take(&mut self.buf);
        'outer: loop {
            if sparse {
                // jump over holes the file system knows about
                match nix::unistd::lseek(&*f, pos as i64, nix::unistd::Whence::SeekData) {
                    Ok(d) if (d as u64) > pos => {
                        if let Some(h) = hasher.as_mut() {
                            h.update_zeros(d as u64 - pos);
                        }
                        pos = d as u64;
                        if let Err(e) = std::io::Seek::seek(f, std::io::SeekFrom::Start(pos)) {
                            read_err = Some(e);
                            break;
                        }
                    }
                    Ok(_) => {}
                    Err(nix::errno::Errno::ENXIO) => {
                        // only a hole up to the end
                        if let Some(h) = hasher.as_mut() {
                            h.update_zeros(size.saturating_sub(pos));
                        }
                        break;
                    }
                    Err(_) => {
                        let _ = std::io::Seek::seek(f, std::io::SeekFrom::Start(pos));
                    }
                }
            }
            // fill one chunk
            let mut n = 0;
            while n < chunk {
                match f.read(&mut buf[n..chunk]) {
                    Ok(0) => break,
                    Ok(k) => n += k,
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                    Err(e) => {
                        read_err = Some(e);
                        break 'outer;
                    }
                }
            }
            if n == 0 {
                break;
            }
            let data = &buf[..n];
            self.ctl.add(&self.ctl.read_bytes, n as u64);
            if let Some(h) = hasher.as_mut() {
                h.update(data);
            }
            let all_zero = sparse && data.iter().all(|b| *b == 0);
            if !all_zero {
                let payload = match (compress, sparse) {
                    (true, true) => lz4_frame(data, Some(pos)),
                    (true, false) => lz4_frame(data, None),
                    (false, true) => {
                        let mut v = Vec::with_capacity(n + 8);
                        v.extend_from_slice(&pos.to_be_bytes());
                        v.extend_from_slice(data);
                        v
                    }
                    (false, false) => data.to_vec(),
                };
                self.ctl.add(&self.ctl.bytes, payload.len() as u64);
                self.push(Packet::Data(Bytes::from(payload)));
            }
            pos += n as u64;
            if self.broken || self.ctl.canceled() {
                break;
            }
        }
        self.buf = buf;
        if let Some(e) = read_err {
            self.push(Packet::Signal(Signal::Eod));
            self.log(msg_type::ERROR, format!("     Read error on file {}. ERR={}\n", path.display(), err_text(&e)));
            self.ctl.add(&self.ctl.errors, 1);
            return false;
        }
        self.push(Packet::Signal(Signal::Eod));
        if let (Some(h), Some(k)) = (hasher, opts.signature) {
            self.record(fi, k.stream(), h.finish());
        }
        true
    }

    /// After the walk: deletion records (accurate) and the last batch.
    pub fn finish(&mut self) {
        if let Some(acc) = self.accurate.take() {
            let mut deleted: Vec<(Box<[u8]>, AccEntry)> = acc.into_iter().filter(|(_, e)| !e.seen).collect();
            deleted.sort_by(|a, b| a.0.cmp(&b.0));
            for (path, e) in deleted {
                if self.broken || self.ctl.canceled() {
                    break;
                }
                let fi = self.take_fi();
                let mut p = path.to_vec();
                if e.mode & libc::S_IFMT == libc::S_IFDIR && !p.ends_with(b"/") {
                    p.push(b'/');
                }
                let a = AttrRecord {
                    file_index: fi,
                    file_type: file_type::DELETED,
                    path: p,
                    lstat: e.lstat().encode(),
                    link: vec![],
                    extra: vec![],
                    delta_seq: 0,
                };
                self.send_attrs(&a);
                self.ctl.add(&self.ctl.files, 1);
            }
        }
        self.flush();
    }
}

impl Visitor for Backup {
    fn file(&mut self, e: &Entry<'_>) {
        let pb = e.path.as_os_str().as_bytes();
        self.ctl.add(&self.ctl.examined, 1);
        let md = e.md;
        match self.accurate_check(pb, md, e.opts) {
            Some(false) => return,
            Some(true) => {}
            None => {
                if !self.sel.wants(md, e.opts) {
                    return;
                }
            }
        }
        let ft = file_type_of(md.mode(), md.size());
        let is_reg = md.file_type().is_file();
        // hard links stored once
        if is_reg && md.nlink() > 1 && e.opts.hard_links
            && let Some((mfi, mpath)) = self.links.get(&(md.dev(), md.ino())).cloned() {
                let fi = self.take_fi();
                let a = AttrRecord {
                    file_index: fi,
                    file_type: file_type::LNKSAVED,
                    path: pb.to_vec(),
                    lstat: lstat_of(md, mfi as i64, 0).encode(),
                    link: mpath,
                    extra: vec![],
                    delta_seq: 0,
                };
                self.send_attrs(&a);
                self.note_file(pb);
                return;
            }
        let data_stream = match (e.opts.compression == Compression::Lz4, e.opts.sparse) {
            (true, true) => stream::SPARSE_COMPRESSED_DATA,
            (true, false) => stream::COMPRESSED_DATA,
            (false, true) => stream::SPARSE_DATA,
            (false, false) => stream::FILE_DATA,
        };
        let mut file = None;
        if ft == file_type::REG {
            match self.open(e.path, e.opts) {
                Ok(f) => file = Some(f),
                Err(err) => {
                    self.log(
                        msg_type::ERROR,
                        format!("     Cannot open \"{}\": ERR={}.\n", e.path.display(), err_text(&err)),
                    );
                    self.ctl.add(&self.ctl.errors, 1);
                    return;
                }
            }
        }
        let link = if ft == file_type::LNK {
            match std::fs::read_link(e.path) {
                Ok(t) => t.as_os_str().as_bytes().to_vec(),
                Err(err) => {
                    self.log(
                        msg_type::ERROR,
                        format!("     Could not readlink \"{}\": ERR={}\n", e.path.display(), err_text(&err)),
                    );
                    self.ctl.add(&self.ctl.errors, 1);
                    return;
                }
            }
        } else {
            Vec::new()
        };
        let fi = self.take_fi();
        if is_reg && md.nlink() > 1 && e.opts.hard_links {
            self.links.insert((md.dev(), md.ino()), (fi, pb.to_vec()));
        }
        let ds = if ft == file_type::REG { data_stream as i64 } else { 0 };
        let a = AttrRecord {
            file_index: fi,
            file_type: ft,
            path: pb.to_vec(),
            lstat: lstat_of(md, 0, ds).encode(),
            link,
            extra: vec![],
            delta_seq: 0,
        };
        self.send_attrs(&a);
        self.note_file(pb);
        if let Some(mut f) = file {
            self.send_data(fi, e.path, &mut f, md.size(), e.opts, data_stream);
            if e.opts.keep_atime {
                let t = std::fs::FileTimes::new()
                    .set_accessed(std::time::UNIX_EPOCH + std::time::Duration::from_secs(md.atime().max(0) as u64))
                    .set_modified(std::time::UNIX_EPOCH + std::time::Duration::from_secs(md.mtime().max(0) as u64));
                let _ = f.set_times(t);
            }
            self.send_xattrs(fi, e.path, Some(&f), e.opts);
        } else if ft != file_type::LNK {
            self.send_xattrs(fi, e.path, None, e.opts);
        }
    }

    fn dir_end(&mut self, e: &Entry<'_>) {
        let pb = e.path.as_os_str().as_bytes();
        self.ctl.add(&self.ctl.examined, 1);
        // Like files, an unchanged directory is not saved again by an Incremental or
        // Differential (Bareos: FT_DIRNOCHG); the Full's entry serves restores.
        let changed = match self.accurate.as_mut() {
            Some(acc) => match acc.get_mut(norm_key(pb)) {
                Some(x) => {
                    x.seen = true;
                    let old = *x;
                    accurate_changed(&e.opts.accurate, &old, e.md)
                }
                None => true,
            },
            None => self.sel.wants(e.md, e.opts),
        };
        if !changed {
            return;
        }
        let fi = self.take_fi();
        let mut p = pb.to_vec();
        if !p.ends_with(b"/") {
            p.push(b'/');
        }
        let a = AttrRecord {
            file_index: fi,
            file_type: file_type::DIREND,
            path: p,
            lstat: lstat_of(e.md, 0, 0).encode(),
            link: vec![],
            extra: vec![],
            delta_seq: 0,
        };
        self.send_attrs(&a);
        self.note_file(pb);
        self.send_xattrs(fi, e.path, None, e.opts);
    }

    fn file_error(&mut self, msg: String) {
        self.ctl.add(&self.ctl.errors, 1);
        self.log(msg_type::ERROR, msg);
    }

    fn info(&mut self, msg: String) {
        self.log(msg_type::INFO, msg);
    }

    fn stopped(&self) -> bool {
        self.broken || self.ctl.canceled()
    }
}

/// The `estimate` visitor: counts what a backup would save, optionally listing it.
pub struct Estimate<'a> {
    pub files: u64,
    pub bytes: u64,
    pub sel: Selection,
    pub accurate: Option<AccurateList>,
    pub listing: Option<&'a mut dyn FnMut(String)>,
    names: Names,
    links: HashMap<(u64, u64), ()>,
    pub ctl: Arc<JobCtl>,
}

impl<'a> Estimate<'a> {
    pub fn new(ctl: Arc<JobCtl>, sel: Selection, accurate: Option<AccurateList>, listing: Option<&'a mut dyn FnMut(String)>) -> Self {
        Estimate { files: 0, bytes: 0, sel, accurate, listing, names: Names::default(), links: HashMap::new(), ctl }
    }

    fn list(&mut self, l: &Lstat, ft: u32, path: &[u8], link: &[u8]) {
        if self.listing.is_some() {
            let line = ls_line(&mut self.names, l, ft, path, link);
            if let Some(f) = self.listing.as_mut() {
                f(line);
            }
        }
    }
}

impl Visitor for Estimate<'_> {
    fn file(&mut self, e: &Entry<'_>) {
        let md = e.md;
        let pb = e.path.as_os_str().as_bytes();
        let wanted = match self.accurate.as_mut().map(|a| a.get(pb).copied()) {
            Some(Some(old)) => accurate_changed(&e.opts.accurate, &old, md),
            Some(None) => true,
            None => self.sel.wants(md, e.opts),
        };
        if !wanted {
            return;
        }
        let mut ft = file_type_of(md.mode(), md.size());
        if md.file_type().is_file() && md.nlink() > 1 && e.opts.hard_links && self.links.insert((md.dev(), md.ino()), ()).is_some() {
            ft = file_type::LNKSAVED;
        } else if md.file_type().is_file() {
            self.bytes += md.size();
        }
        self.files += 1;
        self.ctl.add(&self.ctl.files, 1);
        let link = if ft == file_type::LNK {
            std::fs::read_link(e.path).map(|t| t.as_os_str().as_bytes().to_vec()).unwrap_or_default()
        } else {
            Vec::new()
        };
        self.list(&lstat_of(md, 0, 0), ft, pb, &link);
    }

    fn dir_end(&mut self, e: &Entry<'_>) {
        self.files += 1;
        self.ctl.add(&self.ctl.files, 1);
        let mut p = e.path.as_os_str().as_bytes().to_vec();
        if !p.ends_with(b"/") {
            p.push(b'/');
        }
        self.list(&lstat_of(e.md, 0, 0), file_type::DIREND, &p, b"");
    }

    fn file_error(&mut self, _msg: String) {}

    fn info(&mut self, _msg: String) {}

    fn stopped(&self) -> bool {
        self.ctl.canceled()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accurate_letters() -> std::io::Result<()> {
        let d = tempfile::tempdir()?;
        let f = d.path().join("f");
        std::fs::write(&f, b"abc")?;
        let md = std::fs::symlink_metadata(&f)?;
        let mut old = AccEntry::from_lstat(&lstat_of(&md, 0, 0));
        assert!(!accurate_changed("mcs", &old, &md));
        assert!(accurate_changed("A", &old, &md));
        old.size = 99;
        assert!(accurate_changed("mcs", &old, &md));
        assert!(!accurate_changed("mc", &old, &md));
        old.mode ^= 0o001;
        assert!(accurate_changed("p", &old, &md));
        let mut list = AccurateList::new();
        let frame = [b"/x/dir/".as_slice(), b"\0", lstat_of(&md, 0, 0).encode().as_bytes(), b"\0\0"].concat();
        assert!(add_accurate_frame(&mut list, &frame));
        assert!(list.contains_key(b"/x/dir".as_slice()));
        assert!(!add_accurate_frame(&mut list, b"/y\0garbage!\0\0"));
        Ok(())
    }
}
