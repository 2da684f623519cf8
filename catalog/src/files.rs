//! File records (`File` + `Path`). The batch insert at job end goes through
//! [`Catalog::insert_files`]; `list files` reads them back.
//!
//! Bareos's director spools attributes and inserts them with a temporary batch table at
//! job end. Cairn keeps the same shape without the temporary table: the director buffers
//! each file's attributes **and** its digest (which the FD sends after the attributes)
//! and hands complete [`NewFile`] records to [`Catalog::insert_files`], so there is no
//! separate "set digest" update. One call is one transaction; `Path` rows are
//! de-duplicated through an in-memory path → `PathId` cache kept in the [`Catalog`].

use std::collections::HashMap;

use rusqlite::{OptionalExtension, params};

use crate::error::{CatalogError, Result};
use crate::{Catalog, JobId};

/// Entries kept in the path cache before it is dropped and rebuilt (about 100 bytes each).
const PATH_CACHE_LIMIT: usize = 200_000;

/// `Path.Path` → `PathId` for paths known to exist in the database. Only ids of committed
/// rows enter it; [`Catalog::query_raw`] clears it (raw SQL may delete paths). It is
/// dropped whole when it would exceed [`PATH_CACHE_LIMIT`] entries.
#[derive(Debug, Default)]
pub(crate) struct PathCache {
    map: HashMap<String, i64>,
}

impl PathCache {
    fn get(&self, path: &str) -> Option<i64> {
        self.map.get(path).copied()
    }

    fn absorb(&mut self, fresh: HashMap<String, i64>) {
        if self.map.len() + fresh.len() > PATH_CACHE_LIMIT {
            self.map.clear();
        }
        if fresh.len() <= PATH_CACHE_LIMIT {
            self.map.extend(fresh);
        }
    }

    pub(crate) fn clear(&mut self) {
        self.map.clear();
    }

    pub(crate) fn len(&self) -> usize {
        self.map.len()
    }
}

/// One file attribute record of a job.
///
/// A record with `fileindex` 0 is a **deletion marker** (Bareos accurate mode: the FD
/// reported the file as gone); build it with [`NewFile::deleted`]. Markers hide older
/// versions in restores and accurate lists and are never returned themselves.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewFile {
    /// Directory with trailing `/` (e.g. `/etc/`).
    pub path: String,
    /// File name; empty for the directory entry itself.
    pub name: String,
    /// Per-job sequence; 0 marks a deleted file.
    pub fileindex: i64,
    /// Encoded stat (space-separated base64 numbers).
    pub lstat: String,
    /// Digest (base64), or empty. The director inserts it together with the attributes.
    pub md5: String,
    pub deltaseq: i64,
}

impl NewFile {
    /// A deletion marker (`FileIndex` 0, empty LStat and digest) for `path` + `name`.
    pub fn deleted(path: impl Into<String>, name: impl Into<String>) -> Self {
        NewFile {
            path: path.into(),
            name: name.into(),
            ..NewFile::default()
        }
    }
}

impl Catalog {
    /// Inserts a job's file records in one transaction (paths are created as needed).
    ///
    /// Mirrors Bareos's batch insert at job end: the whole batch commits or nothing does.
    /// Paths are resolved through the catalog's path cache (consecutive records of the
    /// same directory skip even the hash lookup), statements are cached, and paths
    /// created by a batch that fails are not remembered. Every path must end with `/`;
    /// the batch is checked before anything is written.
    pub fn insert_files(&mut self, jobid: JobId, files: &[NewFile]) -> Result<()> {
        if let Some(bad) = files.iter().find(|f| !f.path.ends_with('/')) {
            return Err(CatalogError::InvalidValue(format!(
                "path {:?} must end with '/'",
                bad.path
            )));
        }
        let Catalog { conn, paths } = self;
        let tx = conn.transaction()?;
        let mut fresh: HashMap<String, i64> = HashMap::new();
        {
            let mut path_sel = tx.prepare_cached("SELECT PathId FROM Path WHERE Path = ?1")?;
            let mut path_ins = tx.prepare_cached("INSERT INTO Path (Path) VALUES (?1)")?;
            let mut file_ins = tx.prepare_cached(
                "INSERT INTO File (FileIndex, JobId, PathId, DeltaSeq, LStat, Md5, Name)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?;
            let mut last: Option<(&str, i64)> = None;
            for f in files {
                let pathid = match last {
                    Some((p, id)) if p == f.path => id,
                    _ => {
                        let id = match paths.get(&f.path).or_else(|| fresh.get(&f.path).copied()) {
                            Some(id) => id,
                            None => {
                                let id = match path_sel
                                    .query_row([&f.path], |r| r.get::<_, i64>(0))
                                    .optional()?
                                {
                                    Some(id) => id,
                                    None => {
                                        path_ins.execute([&f.path])?;
                                        tx.last_insert_rowid()
                                    }
                                };
                                fresh.insert(f.path.clone(), id);
                                id
                            }
                        };
                        last = Some((f.path.as_str(), id));
                        id
                    }
                };
                file_ins.execute(params![
                    f.fileindex,
                    jobid.0,
                    pathid,
                    f.deltaseq,
                    f.lstat,
                    f.md5,
                    f.name
                ])?;
            }
        }
        tx.commit()?;
        paths.absorb(fresh);
        Ok(())
    }

    /// Records a deletion marker (`FileIndex` 0) for `path` + `name` in job `jobid`, as
    /// Bareos does for files an accurate Incremental/Differential found missing.
    pub fn insert_deleted(&mut self, jobid: JobId, path: &str, name: &str) -> Result<()> {
        self.insert_files(jobid, &[NewFile::deleted(path, name)])
    }

    /// Forgets every cached `PathId`. The cache only holds ids of committed rows and is
    /// cleared by [`Catalog::query_raw`]; call this when another connection (e.g. a
    /// `dbcheck`-style tool) may have deleted `Path` rows, or at job start to bound it
    /// per job.
    pub fn clear_path_cache(&mut self) {
        self.paths.clear();
    }

    /// Number of paths currently in the in-memory path cache (diagnostics, tests).
    pub fn path_cache_len(&self) -> usize {
        self.paths.len()
    }

    /// `list files jobid=N`: path + name of each file of the job, including files it
    /// references as a Base job; directories end with `/`.
    pub fn list_files(&self, jobid: JobId) -> Result<Vec<String>> {
        let mut stmt = self.conn.prepare(
            "SELECT Path.Path || File.Name FROM File JOIN Path ON Path.PathId = File.PathId
             WHERE File.JobId = ?1
             UNION ALL
             SELECT Path.Path || File.Name FROM BaseFiles
               JOIN File ON File.FileId = BaseFiles.FileId
               JOIN Path ON Path.PathId = File.PathId
             WHERE BaseFiles.JobId = ?1",
        )?;
        let rows = stmt
            .query_map([jobid.0], |r| r.get::<_, String>(0))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }
}
