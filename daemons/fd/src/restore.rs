//! The restore side: turns the records the storage daemon sends back into files
//! under the target, never outside it.
//!
//! Safety rules: every record path is relocated and checked
//! ([`Relocation::relocate`]: no `..`, absolute, inside `where`); parent
//! directories are created one component at a time and a component that is not
//! a real directory (a symlink restored earlier, a planted one, a file) refuses
//! the record; the final component is removed and recreated with `O_EXCL`/
//! `O_NOFOLLOW` semantics, never opened through a symlink.
//!
//! Streaming: the connection task cuts the storage daemon's records into
//! [`Piece`]s (header, payload frame, end) and hands them in bounded batches
//! ([`Feeder`], at most [`QUEUE_BATCHES`] batches of about [`BATCH_BYTES`]) to the
//! writer thread, which writes every data frame as it comes: memory does not grow
//! with the size of a file ([`InFlight`] counts what is in between). Digests are
//! computed while writing (after the first file of a digest kind, whose file is
//! read back) and compared when the digest record arrives.

use std::ffi::OsStr;
use std::fs::{File, OpenOptions, Permissions};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{DirBuilderExt, FileExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use bytes::Bytes;
use cairn_proto::msg::{file_type, msg_type, stream};
use cairn_types::lstat::Lstat;
use tokio::sync::mpsc::{self, UnboundedSender};

use crate::attrs::AttrRecord;
use crate::backup::Out;
use crate::codec::{lz4_unframe_into, DigestKind, Hasher};
use crate::job::JobCtl;
use crate::relocate::Relocation;
use crate::walk::err_text;

/// One whole record (tests and callers that have it at hand; the restore itself
/// streams [`Piece`]s).
#[derive(Debug)]
pub struct Record {
    pub file_index: i32,
    pub stream: i32,
    pub frames: Vec<Bytes>,
}

/// A piece of the storage daemon's record stream.
#[derive(Debug)]
pub enum Piece {
    /// A record header.
    Start { file_index: i32, stream: i32 },
    /// A payload frame of the record.
    Frame(Bytes),
    /// The record's end (its EOD).
    End,
}

/// A batch is handed to the writer once it holds this many payload bytes…
pub const BATCH_BYTES: usize = 512 * 1024;
/// …or this many pieces.
pub const BATCH_PIECES: usize = 1024;
/// Batches queued for the writer.
pub const QUEUE_BATCHES: usize = 4;
/// The largest payload the pipeline holds at once: the queue, the batch being
/// filled and the one being written, each at most one frame
/// ([`cairn_proto::packet::MAX_PACKET`]) over [`BATCH_BYTES`].
pub const MAX_IN_FLIGHT: u64 = ((QUEUE_BATCHES + 2) * (BATCH_BYTES + cairn_proto::packet::MAX_PACKET)) as u64;

/// Payload bytes between the network task and the writer (received, not yet
/// written), with the high-water mark.
#[derive(Debug, Default)]
pub struct InFlight {
    now: AtomicU64,
    peak: AtomicU64,
}

impl InFlight {
    fn add(&self, n: u64) {
        let v = self.now.fetch_add(n, Ordering::Relaxed) + n;
        self.peak.fetch_max(v, Ordering::Relaxed);
    }
    fn sub(&self, n: u64) {
        self.now.fetch_sub(n, Ordering::Relaxed);
    }
    /// Bytes held now.
    pub fn now(&self) -> u64 {
        self.now.load(Ordering::Relaxed)
    }
    /// The most ever held.
    pub fn peak(&self) -> u64 {
        self.peak.load(Ordering::Relaxed)
    }
}

/// The network side of the restore pipeline: batches pieces for the writer.
pub struct Feeder {
    tx: mpsc::Sender<Vec<Piece>>,
    batch: Vec<Piece>,
    bytes: usize,
    in_flight: Arc<InFlight>,
}

/// The writer thread has ended.
#[derive(Debug, Clone, Copy, thiserror::Error)]
#[error("restore thread ended")]
pub struct WriterGone;

/// A pipeline: the feeder for the network task, the receiver for [`write_all`].
pub fn pipeline(in_flight: Arc<InFlight>) -> (Feeder, mpsc::Receiver<Vec<Piece>>) {
    let (tx, rx) = mpsc::channel(QUEUE_BATCHES);
    (Feeder { tx, batch: Vec::new(), bytes: 0, in_flight }, rx)
}

impl Feeder {
    /// Add a piece; hands the batch over (waiting for room) when it is full.
    pub async fn push(&mut self, p: Piece) -> Result<(), WriterGone> {
        if let Piece::Frame(b) = &p {
            self.bytes += b.len();
            self.in_flight.add(b.len() as u64);
        }
        self.batch.push(p);
        if self.bytes >= BATCH_BYTES || self.batch.len() >= BATCH_PIECES {
            self.flush().await?;
        }
        Ok(())
    }
    /// Hand over what is batched.
    pub async fn flush(&mut self) -> Result<(), WriterGone> {
        if self.batch.is_empty() {
            return Ok(());
        }
        let b = std::mem::take(&mut self.batch);
        self.bytes = 0;
        self.tx.send(b).await.map_err(|_| WriterGone)
    }
}

/// The writer side: feed every piece to the restorer until the feeder is dropped
/// (blocking; run it on its own thread).
pub fn write_all(rx: &mut mpsc::Receiver<Vec<Piece>>, rs: &mut Restorer, in_flight: &InFlight) {
    while let Some(batch) = rx.blocking_recv() {
        for p in batch {
            let n = if let Piece::Frame(b) = &p { b.len() as u64 } else { 0 };
            rs.piece(p);
            in_flight.sub(n);
        }
    }
}

struct Current {
    fi: i32,
    path: PathBuf,
    ftype: u32,
    lstat: Lstat,
    file: Option<File>,
    pos: u64,
    /// End of the furthest write (the file's length before `set_len`).
    end: u64,
    /// Digest of what was written, while it is contiguous from offset 0.
    hash: Option<RunningHash>,
}

/// A digest computed while writing.
struct RunningHash {
    kind: DigestKind,
    hasher: Hasher,
    /// Bytes hashed so far (from offset 0; holes as zeros).
    upto: u64,
    /// False once a write went backwards: the file must be read back.
    usable: bool,
}

/// What the record being received is for.
enum RecMode {
    /// Dropped.
    Ignore,
    /// File data: every frame is written as it comes.
    Data,
    /// Attributes, digests, xattrs, ACLs: kept whole until the record's end.
    Collect(Vec<Bytes>, usize),
}

/// Longest record kept whole (attributes, digests, xattrs, ACLs).
const MAX_COLLECT: usize = 64 * 1024 * 1024;

struct OpenRecord {
    fi: i32,
    stream: i32,
    mode: RecMode,
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
    /// The record being received.
    rec: Option<OpenRecord>,
    /// The deepest directory under the root known to be a real directory (every
    /// component checked or created by this restore); saves re-checking the
    /// parents of files in the same directory.
    known_dir: PathBuf,
    /// The digest kind seen last: files are hashed with it while written.
    digest_kind: Option<DigestKind>,
    /// Reused buffers (decompression, reading back).
    buf: Vec<u8>,
}

/// Owner, mode and times of a restored object.
fn set_times(path: &Path, l: &Lstat) -> nix::Result<()> {
    use nix::sys::stat::{utimensat, UtimensatFlags};
    use nix::sys::time::TimeSpec;
    let a = TimeSpec::new(l.atime, 0);
    let m = TimeSpec::new(l.mtime, 0);
    utimensat(nix::fcntl::AT_FDCWD, path, &a, &m, UtimensatFlags::NoFollowSymlink)
}

impl RunningHash {
    /// Account for `data` written at `off`.
    fn add(&mut self, off: u64, data: &[u8]) {
        if !self.usable {
            return;
        }
        if off < self.upto {
            self.usable = false;
            return;
        }
        self.hasher.update_zeros(off - self.upto);
        self.hasher.update(data);
        self.upto = off + data.len() as u64;
    }
}

/// The digest of the first `size` bytes of `file` (zeros past its end), read back.
fn read_back_digest(file: &File, kind: DigestKind, size: u64, buf: &mut Vec<u8>) -> std::io::Result<Vec<u8>> {
    const CHUNK: usize = 256 * 1024;
    if buf.len() < CHUNK {
        buf.resize(CHUNK, 0);
    }
    let mut h = kind.hasher();
    let mut pos = 0u64;
    while pos < size {
        let want = (size - pos).min(CHUNK as u64) as usize;
        let n = match file.read_at(&mut buf[..want], pos) {
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
        pos += n as u64;
    }
    h.update_zeros(size - pos);
    Ok(h.finish())
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
            rec: None,
            known_dir: PathBuf::new(),
            digest_kind: None,
            buf: Vec::new(),
        }
    }

    fn msg(&self, t: u32, text: String) {
        let _ = self.log.send(Out::Log(t, text));
    }

    fn error(&mut self, text: String) {
        self.ctl.add(&self.ctl.errors, 1);
        self.msg(msg_type::ERROR, text);
    }

    /// Handle one whole record.
    pub fn record(&mut self, r: Record) {
        self.piece(Piece::Start { file_index: r.file_index, stream: r.stream });
        for f in r.frames {
            self.piece(Piece::Frame(f));
        }
        self.piece(Piece::End);
    }

    /// Handle one piece of the record stream.
    pub fn piece(&mut self, p: Piece) {
        match p {
            Piece::Start { file_index, stream } => {
                if self.rec.is_some() {
                    self.end_record();
                }
                self.start_record(file_index, stream);
            }
            Piece::Frame(f) => {
                self.ctl.add(&self.ctl.read_bytes, f.len() as u64);
                self.frame(f);
            }
            Piece::End => self.end_record(),
        }
    }

    fn start_record(&mut self, fi: i32, st: i32) {
        let mode = if st == stream::UNIX_ATTRIBUTES {
            self.finish_current();
            RecMode::Collect(Vec::new(), 0)
        } else if self.skip_fi == Some(fi) || self.cur.as_ref().is_none_or(|c| c.fi != fi) {
            RecMode::Ignore
        } else {
            match st {
                stream::FILE_DATA | stream::SPARSE_DATA | stream::COMPRESSED_DATA | stream::SPARSE_COMPRESSED_DATA => RecMode::Data,
                s if stream::is_digest(s) => RecMode::Collect(Vec::new(), 0),
                stream::XATTR_LINUX | stream::ACL_LINUX_ACCESS | stream::ACL_LINUX_DEFAULT => RecMode::Collect(Vec::new(), 0),
                _ => RecMode::Ignore,
            }
        };
        self.rec = Some(OpenRecord { fi, stream: st, mode });
    }

    fn frame(&mut self, f: Bytes) {
        let Some(rec) = self.rec.as_mut() else { return };
        let (fi, st) = (rec.fi, rec.stream);
        match &mut rec.mode {
            RecMode::Ignore => {}
            RecMode::Collect(frames, n) => {
                *n += f.len();
                if *n > MAX_COLLECT {
                    rec.mode = RecMode::Ignore;
                    self.error(format!("Record of stream {st} for FileIndex {fi} is larger than {MAX_COLLECT} bytes; ignored.\n"));
                } else {
                    frames.push(f);
                }
            }
            RecMode::Data => {
                if let Err(e) = self.write_frame(st, &f) {
                    let p = self.cur.as_ref().map(|c| c.path.display().to_string()).unwrap_or_default();
                    self.error(format!("Write error on \"{p}\": {e}\n"));
                    self.skip_fi = Some(fi);
                    if let Some(c) = self.cur.as_mut() {
                        c.file = None;
                    }
                    if let Some(r) = self.rec.as_mut() {
                        r.mode = RecMode::Ignore;
                    }
                }
            }
        }
    }

    fn end_record(&mut self) {
        let Some(rec) = self.rec.take() else { return };
        let RecMode::Collect(frames, _) = rec.mode else { return };
        let joined;
        let payload: &[u8] = match frames.as_slice() {
            [] => &[],
            [one] => one,
            many => {
                joined = many.concat();
                &joined
            }
        };
        match rec.stream {
            stream::UNIX_ATTRIBUTES => self.attributes(payload),
            s if stream::is_digest(s) => self.verify(s, payload),
            stream::XATTR_LINUX => self.set_xattrs(payload),
            stream::ACL_LINUX_ACCESS | stream::ACL_LINUX_DEFAULT => {
                let name = if rec.stream == stream::ACL_LINUX_ACCESS {
                    "system.posix_acl_access"
                } else {
                    "system.posix_acl_default"
                };
                let path = self.cur.as_ref().map(|c| c.path.clone()).unwrap_or_default();
                if let Err(e) = xattr::set(&path, name, payload) {
                    self.msg(msg_type::WARNING, format!("Cannot restore ACL of \"{}\": ERR={}\n", path.display(), err_text(&e)));
                }
            }
            _ => {}
        }
    }

    fn write_frame(&mut self, st: i32, f: &[u8]) -> Result<(), String> {
        let Some(cur) = self.cur.as_mut() else { return Ok(()) };
        let Some(file) = cur.file.as_ref() else { return Ok(()) };
        let (off, data): (u64, &[u8]) = match st {
            stream::FILE_DATA => (cur.pos, f),
            stream::SPARSE_DATA => {
                if f.len() < 8 {
                    return Err("short sparse frame".into());
                }
                let mut b = [0u8; 8];
                b.copy_from_slice(&f[..8]);
                (u64::from_be_bytes(b), &f[8..])
            }
            stream::COMPRESSED_DATA => {
                let (_, n) = lz4_unframe_into(f, false, &mut self.buf)?;
                (cur.pos, &self.buf[..n])
            }
            _ => {
                let (o, n) = lz4_unframe_into(f, true, &mut self.buf)?;
                (o.unwrap_or(cur.pos), &self.buf[..n])
            }
        };
        file.write_all_at(data, off).map_err(|e| err_text(&e))?;
        if let Some(h) = cur.hash.as_mut() {
            h.add(off, data);
        }
        cur.pos = off + data.len() as u64;
        cur.end = cur.end.max(cur.pos);
        self.ctl.add(&self.ctl.bytes, data.len() as u64);
        Ok(())
    }

    /// Compare the file's digest with the backup's: the one computed while
    /// writing when it is usable, else the file is read back.
    fn verify(&mut self, st: i32, want: &[u8]) {
        let Some(kind) = DigestKind::from_stream(st) else { return };
        // hash the next files with this kind while writing them
        self.digest_kind = Some(kind);
        let Some(cur) = self.cur.as_mut() else { return };
        let Some(file) = cur.file.as_ref() else { return };
        let size = cur.lstat.size.max(0) as u64;
        let res: std::io::Result<Vec<u8>> = match cur.hash.take() {
            Some(h) if h.kind == kind && h.usable && h.upto <= size => {
                let mut hasher = h.hasher;
                hasher.update_zeros(size - h.upto);
                Ok(hasher.finish())
            }
            _ => read_back_digest(file, kind, size, &mut self.buf),
        };
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
    /// time; refuse anything that is not a real directory. Components of
    /// `known_dir` (checked earlier by this restore) are not checked again.
    fn prepare_parent(&mut self, path: &Path) -> Result<(), String> {
        if !self.root_ready {
            std::fs::create_dir_all(&self.root).map_err(|e| format!("cannot create \"{}\": {}", self.root.display(), err_text(&e)))?;
            self.root_ready = true;
            self.known_dir = self.root.clone();
        }
        let rel = path.strip_prefix(&self.root).map_err(|_| format!("\"{}\" is outside the target", path.display()))?;
        let Some(parent) = rel.parent() else { return Ok(()) };
        let known = self.known_dir.strip_prefix(&self.root).map(Path::to_path_buf).unwrap_or_default();
        let mut cur = self.root.clone();
        let mut same = true;
        let mut known_parts = known.components();
        for c in parent.components() {
            cur.push(c);
            if same && known_parts.next() == Some(c) {
                continue;
            }
            same = false;
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
        if !same {
            // (a parent that is a prefix of `known_dir` keeps the deeper knowledge)
            self.known_dir = cur;
        }
        Ok(())
    }

    /// The restore replaced what is at `path`: it is no longer a known directory.
    fn forget_dir(&mut self, path: &Path) {
        if self.known_dir.starts_with(path) {
            self.known_dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
            if !self.known_dir.starts_with(&self.root) {
                self.known_dir = self.root.clone();
            }
        }
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
        self.forget_dir(path);
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
        if a.file_type != file_type::DIREND {
            // whatever comes at `path` now is not a directory
            self.forget_dir(&path);
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
        let hash = match (&file, self.digest_kind) {
            (Some(_), Some(kind)) => Some(RunningHash { kind, hasher: kind.hasher(), upto: 0, usable: true }),
            _ => None,
        };
        self.cur = Some(Current { fi: a.file_index, path, ftype: a.file_type, lstat: l, file, pos: 0, end: 0, hash });
    }

    /// Owner, mode and times of the file just written (directories: at the end).
    fn finish_current(&mut self) {
        let Some(cur) = self.cur.take() else { return };
        let l = cur.lstat;
        match cur.ftype {
            file_type::DIREND | file_type::LNKSAVED => {}
            file_type::REG | file_type::REGE => {
                if let Some(f) = cur.file.as_ref() {
                    // a new file (O_EXCL) is exactly as long as what was written
                    let size = l.size.max(0) as u64;
                    if cur.end != size
                        && let Err(e) = f.set_len(size)
                    {
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

    fn attr_sized(fi: i32, path: &str, size: i64) -> Record {
        let l = Lstat { mode: 0o100640, mtime: 1_600_000_000, atime: 1_600_000_000, size, ..Default::default() };
        let a = AttrRecord {
            file_index: fi,
            file_type: file_type::REG,
            path: path.as_bytes().to_vec(),
            lstat: l.encode(),
            link: vec![],
            extra: vec![],
            delta_seq: 0,
        };
        Record { file_index: fi, stream: stream::UNIX_ATTRIBUTES, frames: vec![Bytes::from(a.encode())] }
    }

    fn xxh(data: &[u8]) -> Vec<u8> {
        let mut h = DigestKind::Xxh128.hasher();
        h.update(data);
        h.finish()
    }

    async fn feed_record(f: &mut Feeder, r: Record) -> Result<(), WriterGone> {
        f.push(Piece::Start { file_index: r.file_index, stream: r.stream }).await?;
        for b in r.frames {
            f.push(Piece::Frame(b)).await?;
        }
        f.push(Piece::End).await
    }

    /// A 64 MiB file goes through the pipeline frame by frame: what is held
    /// between the network task and the writer stays under MAX_IN_FLIGHT (a few
    /// MiB), not the file's size; digests computed while writing (plain, sparse
    /// with a trailing hole, compressed) match, and a wrong one names the file.
    #[tokio::test]
    async fn restore_streams_with_bounded_memory_and_verifies_digests() -> Result<(), Box<dyn std::error::Error>> {
        const FRAME: usize = 256 * 1024;
        const FRAMES: usize = 256;
        let d = tempfile::tempdir()?;
        let target = d.path().join("target");
        let in_flight = Arc::new(InFlight::default());
        let (mut feeder, mut rx) = pipeline(in_flight.clone());
        let (log_tx, mut log_rx) = tokio::sync::mpsc::unbounded_channel();
        let ctl = Arc::new(JobCtl::new(1, "j".into()));
        let (wctl, win) = (ctl.clone(), in_flight.clone());
        let reloc = Relocation::Where(target.clone());
        let worker = tokio::task::spawn_blocking(move || {
            let mut rs = Restorer::new(reloc, 'a', false, wctl, log_tx);
            write_all(&mut rx, &mut rs, &win);
            rs.finish();
        });

        // 1: a big file, frames of distinct content
        let frame = |i: usize| -> Bytes { Bytes::from((0..FRAME).map(|k| ((k * 7 + i * 13) % 251) as u8).collect::<Vec<u8>>()) };
        let mut h = DigestKind::Xxh128.hasher();
        feed_record(&mut feeder, attr_sized(1, "/d/big", (FRAME * FRAMES) as i64)).await?;
        feeder.push(Piece::Start { file_index: 1, stream: stream::FILE_DATA }).await?;
        for i in 0..FRAMES {
            let f = frame(i);
            h.update(&f);
            feeder.push(Piece::Frame(f)).await?;
        }
        feeder.push(Piece::End).await?;
        feed_record(&mut feeder, Record { file_index: 1, stream: stream::XXH128_DIGEST, frames: vec![Bytes::from(h.finish())] }).await?;

        // 2: sparse, data at 0 and 1 MiB, size 3 MiB (hashed while written)
        let mut sparse = vec![0u8; 3 << 20];
        sparse[..5].copy_from_slice(b"hello");
        sparse[1 << 20..(1 << 20) + 5].copy_from_slice(b"world");
        let sframe = |off: u64, d: &[u8]| {
            let mut v = off.to_be_bytes().to_vec();
            v.extend_from_slice(d);
            Bytes::from(v)
        };
        feed_record(&mut feeder, attr_sized(2, "/d/sparse", 3 << 20)).await?;
        feed_record(&mut feeder, Record { file_index: 2, stream: stream::SPARSE_DATA, frames: vec![sframe(0, b"hello"), sframe(1 << 20, b"world")] }).await?;
        feed_record(&mut feeder, Record { file_index: 2, stream: stream::XXH128_DIGEST, frames: vec![Bytes::from(xxh(&sparse))] }).await?;

        // 3: compressed, two frames
        let text: Vec<u8> = (0..300_000u32).map(|i| (i % 10) as u8 + b'0').collect();
        feed_record(&mut feeder, attr_sized(3, "/d/e/lz4", text.len() as i64)).await?;
        let frames = vec![Bytes::from(crate::codec::lz4_frame(&text[..200_000], None)), Bytes::from(crate::codec::lz4_frame(&text[200_000..], None))];
        feed_record(&mut feeder, Record { file_index: 3, stream: stream::COMPRESSED_DATA, frames }).await?;
        feed_record(&mut feeder, Record { file_index: 3, stream: stream::XXH128_DIGEST, frames: vec![Bytes::from(xxh(&text))] }).await?;

        // 4: a wrong digest
        feed_record(&mut feeder, attr_sized(4, "/d/e/wrong", 3)).await?;
        feed_record(&mut feeder, Record { file_index: 4, stream: stream::FILE_DATA, frames: vec![Bytes::from_static(b"abc")] }).await?;
        feed_record(&mut feeder, Record { file_index: 4, stream: stream::XXH128_DIGEST, frames: vec![Bytes::from(xxh(b"abd"))] }).await?;
        feeder.flush().await?;
        drop(feeder);
        worker.await?;

        let peak = in_flight.peak();
        assert!(peak > 0 && peak <= MAX_IN_FLIGHT, "peak {peak} > {MAX_IN_FLIGHT}");
        assert!(peak < (FRAME * FRAMES / 8) as u64, "peak {peak}: the file was buffered");
        assert_eq!(in_flight.now(), 0);
        let big = std::fs::read(target.join("d/big"))?;
        assert_eq!(big.len(), FRAME * FRAMES);
        for i in [0, 1, FRAMES / 2, FRAMES - 1] {
            assert_eq!(&big[i * FRAME..(i + 1) * FRAME], &frame(i)[..], "frame {i}");
        }
        assert_eq!(std::fs::read(target.join("d/sparse"))?, sparse);
        assert_eq!(std::fs::read(target.join("d/e/lz4"))?, text);
        use std::os::unix::fs::PermissionsExt as _;
        assert_eq!(std::fs::metadata(target.join("d/big"))?.permissions().mode() & 0o7777, 0o640);
        let mut logs = Vec::new();
        while let Ok(Out::Log(t, text)) = log_rx.try_recv() {
            logs.push((t, text));
        }
        let wrong = target.join("d/e/wrong").display().to_string();
        assert_eq!(logs, vec![(msg_type::WARNING, format!("Digest mismatch on restored file \"{wrong}\".\n"))]);
        assert_eq!(JobCtl::get(&ctl.errors), 1);
        assert_eq!(JobCtl::get(&ctl.files), 4);
        Ok(())
    }

    /// The parent-directory cache never lets a file through a symlink the
    /// restore itself put where a checked directory was.
    #[test]
    fn known_directories_are_forgotten_when_replaced() -> std::io::Result<()> {
        let d = tempfile::tempdir()?;
        let target = d.path().join("target");
        let outside = d.path().join("outside");
        std::fs::create_dir(&outside)?;
        let (mut r, _rx, ctl) = restorer(Relocation::Where(target.clone()));
        let evil = outside.display().to_string();
        for rec in [
            attr(1, file_type::REG, "/a/b/f1", ""),
            data(1),
            attr(2, file_type::REG, "/a/b/c/f2", ""),
            data(2),
            attr(3, file_type::DIREND, "/a/b/c/", ""),
        ] {
            r.record(rec);
        }
        // a/b/c is now a checked directory; empty it so a symlink can replace it
        std::fs::remove_file(target.join("a/b/c/f2"))?;
        for rec in [
            attr(4, file_type::LNK, "/a/b/c", &evil),
            attr(5, file_type::REG, "/a/b/c/pwned", ""),
            data(5),
        ] {
            r.record(rec);
        }
        r.finish();
        assert_eq!(std::fs::read_dir(&outside)?.count(), 0, "nothing written outside");
        assert!(std::fs::symlink_metadata(target.join("a/b/c"))?.file_type().is_symlink());
        assert_eq!(JobCtl::get(&ctl.errors), 1);
        Ok(())
    }
}
