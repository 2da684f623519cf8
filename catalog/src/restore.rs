//! Job chains and file versions for restores, accurate backups and bootstraps.
//!
//! * [`Catalog::restore_chain`] mirrors Bareos's `uar_*` selection (restore menu items
//!   5/6, `restore client=X current|before=...`);
//! * [`Catalog::accurate_jobids`] / [`Catalog::chain_ending_at`] mirror
//!   `AccurateGetJobids` (accurate backups, `restore jobid=N select`, `.bvfs_get_jobids`);
//! * [`Catalog::visit_files_of_jobs`] / [`Catalog::accurate_list`] mirror the
//!   "select recent version" queries behind the restore tree and the accurate file list;
//! * [`Catalog::jobmedia_for_jobs`] and [`compress_ranges`] feed bootstrap writing.

use rusqlite::{OptionalExtension, params};

use crate::error::{CatalogError, Result};
use crate::rows::{BootstrapMedia, FileVersion, FileVersionDetail};
use crate::time::{check_time, now_shifted, shift_time};
use crate::{Catalog, JobId, id_list, int, jobid_col};

/// Variants of the chain queries.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ChainOptions {
    /// Build the chain from Archive jobs (type `A`) instead of Backup jobs (`B`), as
    /// `restore archive` does. Without it archives are ignored.
    pub archive: bool,
    /// Replace the chain by the copies (type `C`, `PriorJobId` in the chain) of its jobs,
    /// as `restore copies` does when the user accepts the copies. Without it copies are
    /// ignored.
    pub copies: bool,
    /// Only jobs with a volume in this pool (`restore pool=`; [`Catalog::restore_chain_with`]
    /// only).
    pub pool_id: Option<i64>,
}

/// The newest-version selection shared by the restore tree and the accurate list: for
/// each `(PathId, Name)` among the jobs, the row of the job with the highest `JobTDate`
/// (then JobId, then FileId) wins; winners that are deletion markers (`FileIndex` 0) are
/// dropped. `{ids}` is replaced by the job id list.
const NEWEST_VERSIONS: &str = "SELECT v.JobId, v.FileIndex, Path.Path, v.Name, v.LStat, v.Md5, \
       v.FileId, v.PathId, v.DeltaSeq, v.JobTDate
     FROM (SELECT File.FileId, File.FileIndex, File.JobId, File.PathId, File.Name, File.LStat,
             File.Md5, File.DeltaSeq, Job.JobTDate,
             ROW_NUMBER() OVER (PARTITION BY File.PathId, File.Name
                                ORDER BY Job.JobTDate DESC, File.JobId DESC, File.FileId DESC)
               AS Rank
           FROM File JOIN Job ON Job.JobId = File.JobId
           WHERE File.JobId IN ({ids})) AS v
     JOIN Path ON Path.PathId = v.PathId
     WHERE v.Rank = 1 AND v.FileIndex > 0
     ORDER BY v.JobTDate, v.JobId, v.FileIndex";

fn file_version(r: &rusqlite::Row<'_>) -> rusqlite::Result<FileVersion> {
    Ok(FileVersion {
        jobid: jobid_col(r, 0)?,
        fileindex: int(r, 1)?,
        path: r.get(2)?,
        name: r.get(3)?,
        lstat: r.get(4)?,
        md5: r.get(5)?,
        fileid: int(r, 6)?,
        pathid: int(r, 7)?,
        deltaseq: int(r, 8)?,
        jobtdate: int(r, 9)?,
    })
}

/// Sorts and de-duplicates FileIndexes and merges them into inclusive ranges, for the
/// `FileIndex=a-b` lines of a bootstrap: `[5, 1, 2, 3, 7, 3]` → `[(1, 3), (5, 5), (7, 7)]`.
pub fn compress_ranges(indexes: &mut [i32]) -> Vec<(i32, i32)> {
    indexes.sort_unstable();
    let mut out: Vec<(i32, i32)> = Vec::new();
    for &i in indexes.iter() {
        match out.last_mut() {
            Some((_, end)) if i == *end || end.checked_add(1) == Some(i) => *end = i,
            _ => out.push((i, i)),
        }
    }
    out
}

/// `AND EXISTS (volume on an enabled medium [of the pool])`, as the `uar_*` queries join
/// JobMedia/Media with `Media.Enabled = 1`.
fn media_clause(pool_id: Option<i64>) -> String {
    let pool = pool_id
        .map(|p| format!(" AND Media.PoolId = {p}"))
        .unwrap_or_default();
    format!(
        " AND EXISTS (SELECT 1 FROM JobMedia JOIN Media ON Media.MediaId = JobMedia.MediaId \
         WHERE JobMedia.JobId = Job.JobId AND Media.Enabled = 1{pool})"
    )
}

fn jobtype(archive: bool) -> &'static str {
    if archive { "A" } else { "B" }
}

impl Catalog {
    /// The jobs to restore the newest state of a client before a date (exclusive; now
    /// when `None`), oldest first: the newest successful (`T`/`W`) Full backup of the
    /// client (of the FileSet named `fileset_name` if given), the newest Differential
    /// after it, and every Incremental after the later of those two — Bareos's `uar_*`
    /// selection for `restore client=X current` / `before=`. Differentials and
    /// Incrementals must have the Full's FileSet name; "after" compares `JobTDate`. Like
    /// Bareos, only jobs with a `JobMedia` record on an enabled volume count. Empty when
    /// no Full exists. `archive` selects Archive jobs (type `A`, `restore archive`)
    /// instead of Backup jobs (`B`); copies and pool filtering: see
    /// [`Catalog::restore_chain_with`].
    pub fn restore_chain(
        &self,
        client_id: i64,
        fileset_name: Option<&str>,
        before: Option<&str>,
        archive: bool,
    ) -> Result<Vec<u32>> {
        let opts = ChainOptions {
            archive,
            ..ChainOptions::default()
        };
        self.restore_chain_with(client_id, fileset_name, before, &opts)
    }

    /// Names of the FileSets the jobs of client `client` used, sorted (Bareos
    /// `uar_sel_fileset`: the restore prompt "The defined FileSet resources are:").
    pub fn filesets_used_by_client(&self, client: &str) -> Result<Vec<String>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT DISTINCT FileSet.FileSet FROM Job
               JOIN Client ON Client.ClientId = Job.ClientId
               JOIN FileSet ON FileSet.FileSetId = Job.FileSetId
             WHERE Client.Name = ?1
             ORDER BY FileSet.FileSet",
        )?;
        let names = stmt
            .query_map([client], |r| r.get::<_, String>(0))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(names)
    }

    /// [`Catalog::restore_chain`] with archive / copies / pool variants.
    pub fn restore_chain_with(
        &self,
        client_id: i64,
        fileset_name: Option<&str>,
        before: Option<&str>,
        opts: &ChainOptions,
    ) -> Result<Vec<u32>> {
        let before = match before {
            Some(t) => check_time(t)?,
            None => now_shifted(1),
        };
        let jt = jobtype(opts.archive);
        let media = media_clause(opts.pool_id);
        let full_sql = format!(
            "SELECT Job.JobId, Job.JobTDate, FileSet.FileSet, Job.StartTime FROM Job
               LEFT JOIN FileSet ON FileSet.FileSetId = Job.FileSetId
             WHERE Job.ClientId = ?1 AND Job.StartTime < ?2 AND Job.Level = 'F'
               AND Job.JobStatus IN ('T', 'W') AND Job.Type = ?3
               AND (?4 IS NULL OR FileSet.FileSet = ?4){media}
             ORDER BY Job.JobTDate DESC, Job.JobId DESC LIMIT 1"
        );
        let full: Option<(u32, i64, Option<String>, Option<String>)> = self
            .conn
            .query_row(
                &full_sql,
                params![client_id, before, jt, fileset_name],
                |r| Ok((jobid_col(r, 0)?, int(r, 1)?, r.get(2)?, r.get(3)?)),
            )
            .optional()?;
        let Some((full_id, full_tdate, fileset, full_start)) = full else {
            return Ok(Vec::new());
        };
        let mut chain = vec![(full_start, full_id)];
        let later_sql = |level: char, limit: &str| {
            format!(
                "SELECT Job.JobId, Job.JobTDate, Job.StartTime FROM Job
                   LEFT JOIN FileSet ON FileSet.FileSetId = Job.FileSetId
                 WHERE Job.ClientId = ?1 AND Job.StartTime < ?2 AND Job.Level = '{level}'
                   AND Job.JobStatus IN ('T', 'W') AND Job.Type = ?3
                   AND FileSet.FileSet IS ?4 AND Job.JobTDate > ?5{media}
                 ORDER BY Job.JobTDate DESC, Job.JobId DESC{limit}"
            )
        };
        let diff: Option<(u32, i64, Option<String>)> = self
            .conn
            .query_row(
                &later_sql('D', " LIMIT 1"),
                params![client_id, before, jt, fileset, full_tdate],
                |r| Ok((jobid_col(r, 0)?, int(r, 1)?, r.get(2)?)),
            )
            .optional()?;
        let mut since = full_tdate;
        if let Some((id, tdate, start)) = diff {
            since = tdate;
            chain.push((start, id));
        }
        let mut stmt = self.conn.prepare(&later_sql('I', ""))?;
        let incrs = stmt
            .query_map(params![client_id, before, jt, fileset, since], |r| {
                Ok((r.get::<_, Option<String>>(2)?, jobid_col(r, 0)?))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        chain.extend(incrs);
        chain.sort();
        let ids: Vec<u32> = chain.into_iter().map(|(_, id)| id).collect();
        if opts.copies {
            self.copies_of(&ids)
        } else {
            Ok(ids)
        }
    }

    /// Copies (type `C`) of the given jobs, by StartTime (Bareos `uar_sel_jobid_copies`).
    fn copies_of(&self, jobids: &[u32]) -> Result<Vec<u32>> {
        if jobids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT JobId FROM Job WHERE Type = 'C' AND PriorJobId IN ({})
             ORDER BY StartTime, JobId",
            id_list(jobids)
        );
        let mut stmt = self.conn.prepare(&sql)?;
        let ids = stmt
            .query_map([], |r| jobid_col(r, 0))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(ids)
    }

    /// The jobs whose files make up the state a backup of `level` builds on, oldest
    /// first (Bareos `AccurateGetJobids`): the newest successful Full of the client with
    /// exactly this FileSetId that started at or before `at` (now when `None`); for
    /// level `I` (Incremental) or `f` (VirtualFull) also the newest Differential with
    /// files that started after the Full ended, then every Incremental that started
    /// after the last of those ended (both matched by FileSet name). Other levels give
    /// only the Full. `archive` selects Archive (`A`) instead of Backup (`B`) jobs.
    /// The director uses it for the accurate file list of Incrementals/Differentials.
    pub fn accurate_jobids(
        &self,
        client_id: i64,
        fileset_id: i64,
        level: char,
        archive: bool,
        at: Option<&str>,
    ) -> Result<Vec<u32>> {
        let before = match at {
            Some(t) => shift_time(t, 1)?,
            None => now_shifted(1),
        };
        let jt = jobtype(archive);
        let full: Option<(u32, i64, Option<String>)> = self
            .conn
            .query_row(
                "SELECT JobId, JobTDate, EndTime FROM Job
                 WHERE ClientId = ?1 AND Level = 'F' AND JobStatus IN ('T', 'W') AND Type = ?2
                   AND StartTime < ?3 AND FileSetId = ?4
                 ORDER BY JobId DESC, JobTDate DESC LIMIT 1",
                params![client_id, jt, before, fileset_id],
                |r| Ok((jobid_col(r, 0)?, int(r, 1)?, r.get(2)?)),
            )
            .optional()?;
        let Some((full_id, full_tdate, full_end)) = full else {
            return Ok(Vec::new());
        };
        let mut chain = vec![(full_tdate, full_id)];
        if matches!(level, 'I' | 'f') {
            let later = |level: char, extra: &str, limit: &str| {
                format!(
                    "SELECT Job.JobId, Job.JobTDate, Job.EndTime FROM Job
                     WHERE Job.ClientId = ?1 AND Job.Level = '{level}'{extra}
                       AND Job.JobStatus IN ('T', 'W') AND Job.Type = ?2
                       AND Job.StartTime > ?3 AND Job.StartTime < ?4
                       AND Job.FileSetId IN (SELECT FileSetId FROM FileSet WHERE FileSet =
                             (SELECT FileSet FROM FileSet WHERE FileSetId = ?5))
                     ORDER BY Job.JobTDate DESC, Job.JobId DESC{limit}"
                )
            };
            let mut last_end = full_end;
            let diff: Option<(u32, i64, Option<String>)> = self
                .conn
                .query_row(
                    &later('D', " AND Job.JobFiles > 0", " LIMIT 1"),
                    params![client_id, jt, last_end, before, fileset_id],
                    |r| Ok((jobid_col(r, 0)?, int(r, 1)?, r.get(2)?)),
                )
                .optional()?;
            if let Some((id, tdate, end)) = diff {
                chain.push((tdate, id));
                last_end = last_end.max(end);
            }
            let mut stmt = self.conn.prepare(&later('I', "", ""))?;
            let incrs = stmt
                .query_map(params![client_id, jt, last_end, before, fileset_id], |r| {
                    Ok((int(r, 1)?, jobid_col(r, 0)?))
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            chain.extend(incrs);
        }
        chain.sort();
        Ok(chain.into_iter().map(|(_, id)| id).collect())
    }

    /// The chain needed to restore the state of job `jobid`: its Full, the Differential
    /// and Incrementals up to and including it, oldest first (Bareos `restore jobid=N
    /// select` and `.bvfs_get_jobids jobid=N`: [`Catalog::accurate_jobids`] at level
    /// Incremental with the job's client, FileSetId and start time). A Base-level job is
    /// its own chain. Archive chains are used when the job is an archive; copies only
    /// with [`Catalog::chain_ending_at_with`].
    pub fn chain_ending_at(&self, jobid: u32) -> Result<Vec<u32>> {
        self.chain_ending_at_with(jobid, &ChainOptions::default())
    }

    /// [`Catalog::chain_ending_at`] with archive / copies variants (`pool_id` is ignored).
    pub fn chain_ending_at_with(&self, jobid: u32, opts: &ChainOptions) -> Result<Vec<u32>> {
        let job = self
            .get_job(JobId(jobid))?
            .ok_or_else(|| CatalogError::NotFound {
                what: "JobId",
                key: jobid.to_string(),
            })?;
        if job.level == 'B' {
            return Ok(vec![jobid]);
        }
        let archive = opts.archive || job.jobtype == 'A';
        let ids = self.accurate_jobids(
            job.clientid,
            job.filesetid,
            'I',
            archive,
            job.starttime.as_deref(),
        )?;
        if opts.copies {
            self.copies_of(&ids)
        } else {
            Ok(ids)
        }
    }

    /// Calls `f` for the newest version of every file of the job set (the restore tree
    /// source): per `(path, name)` the version of the job with the highest `JobTDate`
    /// (then JobId) wins, and a winning deletion marker (`FileIndex` 0) hides the file.
    /// Rows stream straight from SQLite in Bareos's order (`JobTDate`, JobId,
    /// `FileIndex`), so memory use does not grow with the number of files. Base-job
    /// references (`BaseFiles`) are not followed.
    pub fn visit_files_of_jobs<F>(&self, jobids: &[u32], mut f: F) -> Result<()>
    where
        F: FnMut(FileVersion),
    {
        if jobids.is_empty() {
            return Ok(());
        }
        let sql = NEWEST_VERSIONS.replace("{ids}", &id_list(jobids));
        let mut stmt = self.conn.prepare(&sql)?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            f(file_version(r)?);
        }
        Ok(())
    }

    /// [`Catalog::visit_files_of_jobs`] collected into a vector.
    pub fn files_of_jobs(&self, jobids: &[u32]) -> Result<Vec<FileVersion>> {
        let mut out = Vec::new();
        self.visit_files_of_jobs(jobids, |v| out.push(v))?;
        Ok(out)
    }

    /// The accurate file list sent to the FD before an accurate Incremental/Differential
    /// (Bareos `GetFileList`): same newest-version rule as
    /// [`Catalog::visit_files_of_jobs`], deleted files excluded; `f` gets the full name
    /// (path + name; directories end with `/`), LStat and digest.
    pub fn accurate_list<F>(&self, jobids: &[u32], mut f: F) -> Result<()>
    where
        F: FnMut(&str, &str, &str),
    {
        let mut full = String::new();
        self.visit_files_of_jobs(jobids, |v| {
            full.clear();
            full.push_str(&v.path);
            full.push_str(&v.name);
            f(&full, &v.lstat, &v.md5);
        })
    }

    /// Every saved version (deletion markers excluded) of `path` + `name` in the jobs of
    /// a client, by FileId, with the job's start time and the volume holding it (Bareos
    /// `.bvfs_versions`).
    pub fn file_versions(
        &self,
        client_id: i64,
        path: &str,
        name: &str,
    ) -> Result<Vec<FileVersionDetail>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT File.JobId, File.FileIndex, Path.Path, File.Name, File.LStat, File.Md5,
               File.FileId, File.PathId, File.DeltaSeq, Job.JobTDate, Job.StartTime,
               (SELECT Media.VolumeName FROM JobMedia JOIN Media ON Media.MediaId = JobMedia.MediaId
                 WHERE JobMedia.JobId = File.JobId
                   AND File.FileIndex BETWEEN JobMedia.FirstIndex AND JobMedia.LastIndex
                 ORDER BY JobMedia.VolIndex, JobMedia.JobMediaId LIMIT 1),
               (SELECT Media.InChanger FROM JobMedia JOIN Media ON Media.MediaId = JobMedia.MediaId
                 WHERE JobMedia.JobId = File.JobId
                   AND File.FileIndex BETWEEN JobMedia.FirstIndex AND JobMedia.LastIndex
                 ORDER BY JobMedia.VolIndex, JobMedia.JobMediaId LIMIT 1)
             FROM Job
               JOIN Path ON Path.Path = ?1
               JOIN File ON File.JobId = Job.JobId AND File.PathId = Path.PathId
                 AND File.Name = ?2
             WHERE Job.ClientId = ?3 AND File.FileIndex > 0
             ORDER BY File.FileId",
        )?;
        let rows = stmt
            .query_map(params![path, name, client_id], |r| {
                Ok(FileVersionDetail {
                    file: file_version(r)?,
                    starttime: r.get(10)?,
                    volumename: r.get(11)?,
                    inchanger: int(r, 12)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// The `JobMedia` records of the jobs with session ids, volume name and media type,
    /// by JobId then `VolIndex` — what a bootstrap file is written from (one `Volume=`
    /// block per record with `VolSessionId`, `VolSessionTime`, `VolFile`/`VolBlock`
    /// ranges and the selected FileIndexes within the record's range).
    pub fn jobmedia_for_jobs(&self, jobids: &[u32]) -> Result<Vec<BootstrapMedia>> {
        if jobids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT JobMedia.JobMediaId, JobMedia.JobId, JobMedia.MediaId, Media.VolumeName,
               JobMedia.FirstIndex, JobMedia.LastIndex, JobMedia.StartFile, JobMedia.EndFile,
               JobMedia.StartBlock, JobMedia.EndBlock, JobMedia.JobBytes, JobMedia.VolIndex,
               Job.VolSessionId, Job.VolSessionTime, Media.MediaType, Media.Slot, Storage.Name
             FROM JobMedia
               JOIN Media ON Media.MediaId = JobMedia.MediaId
               JOIN Job ON Job.JobId = JobMedia.JobId
               LEFT JOIN Storage ON Storage.StorageId = Media.StorageId
             WHERE JobMedia.JobId IN ({})
             ORDER BY JobMedia.JobId, JobMedia.VolIndex, JobMedia.JobMediaId",
            id_list(jobids)
        );
        let mut stmt = self.conn.prepare(&sql)?;
        let rows = stmt
            .query_map([], |r| {
                Ok(BootstrapMedia {
                    jobmediaid: int(r, 0)?,
                    jobid: jobid_col(r, 1)?,
                    mediaid: int(r, 2)?,
                    volumename: r.get(3)?,
                    firstindex: int(r, 4)?,
                    lastindex: int(r, 5)?,
                    startfile: int(r, 6)?,
                    endfile: int(r, 7)?,
                    startblock: int(r, 8)?,
                    endblock: int(r, 9)?,
                    jobbytes: int(r, 10)?,
                    volindex: int(r, 11)?,
                    volsessionid: int(r, 12)?,
                    volsessiontime: int(r, 13)?,
                    mediatype: r.get(14)?,
                    slot: int(r, 15)?,
                    storage: r.get(16)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// Same as [`Catalog::jobmedia_for_jobs`] (the name the restore code uses).
    pub fn bootstrap_media(&self, jobids: &[u32]) -> Result<Vec<BootstrapMedia>> {
        self.jobmedia_for_jobs(jobids)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_merge_sorted_and_deduplicated() {
        let mut v = vec![5, 1, 2, 3, 7, 3, 8, 10];
        assert_eq!(
            compress_ranges(&mut v),
            vec![(1, 3), (5, 5), (7, 8), (10, 10)]
        );
        assert_eq!(compress_ranges(&mut []), Vec::<(i32, i32)>::new());
        let mut edge = vec![i32::MAX, i32::MAX - 1, 0];
        assert_eq!(
            compress_ranges(&mut edge),
            vec![(0, 0), (i32::MAX - 1, i32::MAX)]
        );
    }

    #[test]
    fn id_lists_render() {
        assert_eq!(id_list(&[]), "");
        assert_eq!(id_list(&[3, 1, 20]), "3,1,20");
    }
}
