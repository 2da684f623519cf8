//! File records (`File` + `Path`). The batch insert at job end goes through
//! [`Catalog::insert_files`]; `list files` reads them back.

use rusqlite::params;

use crate::error::{CatalogError, Result};
use crate::{Catalog, JobId};

/// One file attribute record of a job.
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
    /// Digest (base64), or empty.
    pub md5: String,
    pub deltaseq: i64,
}

impl Catalog {
    /// Inserts a job's file records in one transaction (paths are created as needed).
    pub fn insert_files(&mut self, jobid: JobId, files: &[NewFile]) -> Result<()> {
        let tx = self.conn.transaction()?;
        {
            let mut path_ins =
                tx.prepare("INSERT INTO Path (Path) VALUES (?1) ON CONFLICT (Path) DO NOTHING")?;
            let mut path_sel = tx.prepare("SELECT PathId FROM Path WHERE Path = ?1")?;
            let mut file_ins = tx.prepare(
                "INSERT INTO File (FileIndex, JobId, PathId, DeltaSeq, LStat, Md5, Name)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?;
            for f in files {
                if !f.path.ends_with('/') {
                    return Err(CatalogError::InvalidValue(format!(
                        "path {:?} must end with '/'",
                        f.path
                    )));
                }
                path_ins.execute([&f.path])?;
                let pathid: i64 = path_sel.query_row([&f.path], |r| r.get(0))?;
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
        Ok(())
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
