//! Where volumes live: the [`VolumeBackend`] trait, a directory of files
//! ([`FileDirBackend`]), an in-memory store ([`MemBackend`]) and the conformance suite
//! every backend must pass ([`conformance`]).

use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use crate::error::{Result, VolumeError};
use crate::label::VolumeLabel;
use crate::reader::VolumeReader;
use crate::writer::{AppendReport, Truncate, VolumeWriter};

/// A volume opened for reading.
pub trait VolumeRead: Read + Seek + Send {}
impl<T: Read + Seek + Send + ?Sized> VolumeRead for T {}

/// A volume opened for writing (create or append).
pub trait VolumeFile: Read + Write + Seek + Truncate + Send {}
impl<T: Read + Write + Seek + Truncate + Send + ?Sized> VolumeFile for T {}

/// A place that stores volumes by name. Object-safe, so the storage daemon can pick
/// one per device at run time.
pub trait VolumeBackend: Send + Sync {
    /// The names of all volumes, sorted.
    fn list(&self) -> Result<Vec<String>>;
    /// Whether a volume of that name exists.
    fn exists(&self, name: &str) -> Result<bool>;
    /// The size of a volume in bytes.
    fn size(&self, name: &str) -> Result<u64>;
    /// Create a new, empty volume; [`VolumeError::AlreadyExists`] if there is one.
    fn create(&self, name: &str) -> Result<Box<dyn VolumeFile>>;
    /// Open a volume for reading.
    fn open_read(&self, name: &str) -> Result<Box<dyn VolumeRead>>;
    /// Open an existing volume for reading and writing.
    fn open_append(&self, name: &str) -> Result<Box<dyn VolumeFile>>;
    /// Delete a volume.
    fn remove(&self, name: &str) -> Result<()>;

    /// Create and label a volume named after `label.volume_name`.
    fn label_volume(
        &self,
        label: &VolumeLabel,
        block_size: usize,
    ) -> Result<VolumeWriter<Box<dyn VolumeFile>>> {
        let f = self.create(&label.volume_name)?;
        VolumeWriter::create(f, label, block_size)
    }

    /// Open a volume for append (see [`VolumeWriter::open_append`]).
    fn append_volume(
        &self,
        name: &str,
    ) -> Result<(VolumeWriter<Box<dyn VolumeFile>>, AppendReport)> {
        VolumeWriter::open_append(self.open_append(name)?)
    }

    /// Open a volume for reading and read its label.
    fn read_volume(&self, name: &str) -> Result<(VolumeReader<Box<dyn VolumeRead>>, VolumeLabel)> {
        VolumeReader::open_named(self.open_read(name)?, name)
    }
}

/// Check that `name` can be a volume name (and a file name): not empty, at most 127
/// bytes, no path separators or NUL, not starting with a dot.
pub fn validate_volume_name(name: &str) -> Result<()> {
    let reason = if name.is_empty() {
        "empty"
    } else if name.len() > 127 {
        "longer than 127 bytes"
    } else if name.starts_with('.') {
        "starts with a dot"
    } else if name.contains(['/', '\\', '\0']) {
        "contains a path separator or NUL"
    } else if name.chars().any(char::is_control) {
        "contains a control character"
    } else {
        return Ok(());
    };
    Err(VolumeError::InvalidName {
        name: name.to_string(),
        reason,
    })
}

/// A directory with one file per volume, named after the volume, as Bareos file
/// devices keep them (`Archive Device = /var/lib/bareos/storage`).
#[derive(Debug, Clone)]
pub struct FileDirBackend {
    dir: PathBuf,
}

impl FileDirBackend {
    /// Volumes in `dir` (which must exist).
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        FileDirBackend { dir: dir.into() }
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The file holding volume `name`.
    pub fn path(&self, name: &str) -> Result<PathBuf> {
        validate_volume_name(name)?;
        Ok(self.dir.join(name))
    }

    fn map_err(name: &str, e: io::Error) -> VolumeError {
        match e.kind() {
            io::ErrorKind::NotFound => VolumeError::NotFound {
                volume: name.to_string(),
            },
            io::ErrorKind::AlreadyExists => VolumeError::AlreadyExists {
                volume: name.to_string(),
            },
            _ => VolumeError::Io(e),
        }
    }
}

impl VolumeBackend for FileDirBackend {
    fn list(&self) -> Result<Vec<String>> {
        let mut names = Vec::new();
        for entry in fs::read_dir(&self.dir)? {
            let entry = entry?;
            if !entry.file_type()?.is_file() {
                continue;
            }
            if let Some(name) = entry
                .file_name()
                .to_str()
                .filter(|n| validate_volume_name(n).is_ok())
            {
                names.push(name.to_string());
            }
        }
        names.sort();
        Ok(names)
    }

    fn exists(&self, name: &str) -> Result<bool> {
        Ok(self.path(name)?.is_file())
    }

    fn size(&self, name: &str) -> Result<u64> {
        fs::metadata(self.path(name)?)
            .map(|m| m.len())
            .map_err(|e| Self::map_err(name, e))
    }

    fn create(&self, name: &str) -> Result<Box<dyn VolumeFile>> {
        let f = OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .open(self.path(name)?)
            .map_err(|e| Self::map_err(name, e))?;
        Ok(Box::new(f))
    }

    fn open_read(&self, name: &str) -> Result<Box<dyn VolumeRead>> {
        let f = File::open(self.path(name)?).map_err(|e| Self::map_err(name, e))?;
        Ok(Box::new(f))
    }

    fn open_append(&self, name: &str) -> Result<Box<dyn VolumeFile>> {
        let f = OpenOptions::new()
            .read(true)
            .write(true)
            .open(self.path(name)?)
            .map_err(|e| Self::map_err(name, e))?;
        Ok(Box::new(f))
    }

    fn remove(&self, name: &str) -> Result<()> {
        fs::remove_file(self.path(name)?).map_err(|e| Self::map_err(name, e))
    }
}

type Shared = Arc<Mutex<Vec<u8>>>;

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Volumes in memory, for tests. Clones share the same volumes; handles opened from
/// it see each other's writes.
#[derive(Debug, Clone, Default)]
pub struct MemBackend {
    vols: Arc<Mutex<BTreeMap<String, Shared>>>,
}

impl MemBackend {
    pub fn new() -> Self {
        Self::default()
    }

    /// A copy of a volume's bytes.
    pub fn get(&self, name: &str) -> Option<Vec<u8>> {
        lock(&self.vols).get(name).map(|v| lock(v).clone())
    }

    /// Replace (or create) a volume's bytes, e.g. to corrupt it in a test.
    pub fn put(&self, name: &str, bytes: Vec<u8>) {
        lock(&self.vols).insert(name.to_string(), Arc::new(Mutex::new(bytes)));
    }

    fn shared(&self, name: &str) -> Result<Shared> {
        validate_volume_name(name)?;
        lock(&self.vols)
            .get(name)
            .cloned()
            .ok_or_else(|| VolumeError::NotFound {
                volume: name.to_string(),
            })
    }
}

/// An open handle on a [`MemBackend`] volume.
#[derive(Debug)]
pub struct MemFile {
    data: Shared,
    pos: u64,
}

impl Read for MemFile {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let data = lock(&self.data);
        let start = usize::try_from(self.pos)
            .unwrap_or(usize::MAX)
            .min(data.len());
        let n = buf.len().min(data.len() - start);
        buf[..n].copy_from_slice(&data[start..start + n]);
        self.pos += n as u64;
        Ok(n)
    }
}

impl Write for MemFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let mut data = lock(&self.data);
        let start = usize::try_from(self.pos).map_err(|_| io::Error::other("offset too large"))?;
        if data.len() < start {
            data.resize(start, 0);
        }
        let overlap = (data.len() - start).min(buf.len());
        data[start..start + overlap].copy_from_slice(&buf[..overlap]);
        data.extend_from_slice(&buf[overlap..]);
        self.pos += buf.len() as u64;
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Seek for MemFile {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let len = lock(&self.data).len() as i128;
        let target = match to {
            SeekFrom::Start(n) => i128::from(n),
            SeekFrom::End(d) => len + i128::from(d),
            SeekFrom::Current(d) => i128::from(self.pos) + i128::from(d),
        };
        self.pos = u64::try_from(target)
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "seek before start"))?;
        Ok(self.pos)
    }
}

impl Truncate for MemFile {
    fn truncate(&mut self, len: u64) -> io::Result<()> {
        let len = usize::try_from(len).map_err(|_| io::Error::other("length too large"))?;
        lock(&self.data).truncate(len);
        Ok(())
    }
}

impl VolumeBackend for MemBackend {
    fn list(&self) -> Result<Vec<String>> {
        Ok(lock(&self.vols).keys().cloned().collect())
    }

    fn exists(&self, name: &str) -> Result<bool> {
        validate_volume_name(name)?;
        Ok(lock(&self.vols).contains_key(name))
    }

    fn size(&self, name: &str) -> Result<u64> {
        let data = self.shared(name)?;
        let len = lock(&data).len() as u64;
        Ok(len)
    }

    fn create(&self, name: &str) -> Result<Box<dyn VolumeFile>> {
        validate_volume_name(name)?;
        let mut vols = lock(&self.vols);
        if vols.contains_key(name) {
            return Err(VolumeError::AlreadyExists {
                volume: name.to_string(),
            });
        }
        let data = Shared::default();
        vols.insert(name.to_string(), data.clone());
        Ok(Box::new(MemFile { data, pos: 0 }))
    }

    fn open_read(&self, name: &str) -> Result<Box<dyn VolumeRead>> {
        Ok(Box::new(MemFile {
            data: self.shared(name)?,
            pos: 0,
        }))
    }

    fn open_append(&self, name: &str) -> Result<Box<dyn VolumeFile>> {
        Ok(Box::new(MemFile {
            data: self.shared(name)?,
            pos: 0,
        }))
    }

    fn remove(&self, name: &str) -> Result<()> {
        validate_volume_name(name)?;
        lock(&self.vols)
            .remove(name)
            .map(|_| ())
            .ok_or_else(|| VolumeError::NotFound {
                volume: name.to_string(),
            })
    }
}

/// The backend conformance suite: run it against every [`VolumeBackend`]
/// implementation, starting from an empty backend. Returns a description of the
/// first failed check.
pub fn conformance(backend: &dyn VolumeBackend) -> std::result::Result<(), String> {
    use crate::label::{SessionEndLabel, SessionKey, SessionLabel};
    use crate::reader::Entry;
    use cairn_types::{JobId, JobLevel, JobStatus, JobType};

    fn check(ok: bool, what: &str) -> std::result::Result<(), String> {
        if ok {
            Ok(())
        } else {
            Err(format!("conformance: {what}"))
        }
    }
    let e = |what: &'static str| move |err: VolumeError| format!("conformance: {what}: {err}");

    let session = |id: u32| SessionLabel {
        session: SessionKey {
            id,
            time: 1_700_000_000,
        },
        job_id: JobId(id),
        job: format!("job.{id}"),
        job_name: "job".into(),
        client: "client-fd".into(),
        fileset: "fs".into(),
        pool_name: "Full".into(),
        level: JobLevel::Full,
        job_type: JobType::Backup,
        start_time: 1_700_000_000,
    };
    let end = |id: u32| SessionEndLabel {
        job_id: JobId(id),
        end_time: 1_700_000_100,
        files: 1,
        bytes: 5000,
        errors: 0,
        status: JobStatus::Terminated,
    };

    check(
        backend.list().map_err(e("list"))?.is_empty(),
        "a new backend lists no volumes",
    )?;
    check(
        !backend.exists("A-0001").map_err(e("exists"))?,
        "exists() on a missing volume",
    )?;
    check(
        matches!(
            backend.open_read("A-0001"),
            Err(VolumeError::NotFound { .. })
        ),
        "open_read of a missing volume",
    )?;
    check(
        matches!(
            backend.open_append("A-0001"),
            Err(VolumeError::NotFound { .. })
        ),
        "open_append of a missing volume",
    )?;
    check(
        matches!(backend.remove("A-0001"), Err(VolumeError::NotFound { .. })),
        "remove of a missing volume",
    )?;
    for bad in ["", "../x", "a/b", ".hidden"] {
        check(
            matches!(backend.create(bad), Err(VolumeError::InvalidName { .. })),
            "create with an invalid name",
        )?;
    }

    let label = VolumeLabel::new("A-0001", "Full", "Backup", "File", 1_700_000_000);
    let mut w = backend
        .label_volume(&label, 4096)
        .map_err(e("label_volume"))?;
    w.begin_session(&session(1)).map_err(e("begin_session"))?;
    let data: Vec<u8> = (0..5000u32).map(|i| (i % 251) as u8).collect();
    let st = w.write_record(1, 2, &data).map_err(e("write_record"))?;
    check(st == crate::WriteStatus::Complete, "record stored whole")?;
    w.end_session(&end(1)).map_err(e("end_session"))?;
    let written = w.volume_bytes();
    drop(w.finish().map_err(e("finish"))?);

    check(
        backend.exists("A-0001").map_err(e("exists"))?,
        "exists() after create",
    )?;
    check(
        backend.size("A-0001").map_err(e("size"))? == written,
        "size() equals the bytes written",
    )?;
    check(
        backend.list().map_err(e("list"))? == ["A-0001"],
        "list() after create",
    )?;
    check(
        matches!(
            backend.create("A-0001"),
            Err(VolumeError::AlreadyExists { .. })
        ),
        "create of an existing volume",
    )?;

    let (mut r, l) = backend.read_volume("A-0001").map_err(e("read_volume"))?;
    check(
        l.volume_name == "A-0001" && l.media_type == "File",
        "label read back",
    )?;
    let mut records = 0;
    while let Some(entry) = r.next_entry().map_err(e("next_entry"))? {
        if let Entry::Record(rec) = entry {
            check(rec.data == data, "record data read back")?;
            records += 1;
        }
    }
    check(records == 1, "one record read back")?;

    let (mut w, report) = backend
        .append_volume("A-0001")
        .map_err(e("append_volume"))?;
    check(
        report.torn.is_none() && report.volume_bytes == written,
        "append report of a clean volume",
    )?;
    w.begin_session(&session(2)).map_err(e("begin_session 2"))?;
    let st = w
        .write_record(1, 2, b"second")
        .map_err(e("write_record 2"))?;
    check(
        st == crate::WriteStatus::Complete,
        "second record stored whole",
    )?;
    w.end_session(&end(2)).map_err(e("end_session 2"))?;
    drop(w.finish().map_err(e("finish 2"))?);
    let (mut r, _) = backend.read_volume("A-0001").map_err(e("read_volume 2"))?;
    let mut sessions = Vec::new();
    while let Some(entry) = r.next_entry().map_err(e("next_entry 2"))? {
        if let Entry::SessionEnd { session, .. } = entry {
            sessions.push(session.id);
        }
    }
    check(sessions == [1, 2], "both sessions read back after append")?;

    drop(backend.create("B-0002").map_err(e("create B"))?);
    check(
        backend.list().map_err(e("list"))? == ["A-0001", "B-0002"],
        "list() is sorted",
    )?;
    check(
        backend.size("B-0002").map_err(e("size B"))? == 0,
        "a created volume is empty",
    )?;
    backend.remove("A-0001").map_err(e("remove"))?;
    check(
        backend.list().map_err(e("list"))? == ["B-0002"],
        "list() after remove",
    )?;
    check(
        matches!(
            backend.open_read("A-0001"),
            Err(VolumeError::NotFound { .. })
        ),
        "open_read after remove",
    )?;
    backend.remove("B-0002").map_err(e("remove B"))?;
    Ok(())
}
