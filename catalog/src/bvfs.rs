//! The bvfs ("Bareos virtual file system") queries behind the console's `.bvfs_*`
//! commands: a directory cache over `Path` (`PathHierarchy`: path → parent path,
//! `PathVisibility`: which paths each job sees, `Job.HasCache`), directory and file
//! listings over a set of jobs, file versions, and restore selections materialised as
//! `b2<digits>` tables that `restore file=?b2<digits>` reads.
//!
//! Semantics follow Bareos's PostgreSQL queries (`cats/bvfs.cc`, `cats/dml/*bvfs*`):
//!
//! * [`Catalog::bvfs_update`] builds the cache of one job in one transaction, set-based:
//!   the job's own paths (and those of its Base files) into `PathVisibility`, every
//!   missing ancestor path into `Path` and `PathHierarchy` (the parent of `/a/b/` is
//!   `/a/`, of `/` and of `C:/` or `@plugin@/` the empty path `''`), then the ancestors
//!   into `PathVisibility` (one recursive statement). `Size`/`Files` stay 0, as in
//!   Bareos.
//! * [`Catalog::bvfs_visit_dirs`]: `.` (the directory itself), `..` (its parent, when it
//!   has one), then the visible sub-directories ordered by path; a sub-directory whose
//!   newest visible job (highest JobId) holds a deletion marker for it is hidden. Each
//!   entry carries the directory record (FileId, JobId, LStat) of the highest JobId of
//!   the set that saved it, or none. `LIMIT`/`OFFSET` apply to the whole list.
//! * [`Catalog::bvfs_visit_files`]: per file name of the directory, the version of the
//!   newest job (`StartTime`, then JobId) among the jobs and the Base files they
//!   reference; names whose newest version is a deletion marker are left out; by name.
//! * [`Catalog::bvfs_versions`]: every version of one file in the jobs of a client, one
//!   row per `JobMedia` record that holds it (as Bareos), by FileId.
//! * [`Catalog::bvfs_compute_restore_list`]: files by FileId, whole directory trees by
//!   PathId (all versions in the jobs, Base files included) and hard-link masters by
//!   (JobId, FileIndex) are collected, the newest version (`JobTDate`) of each path +
//!   name wins, deletion markers drop out; the result `(JobId, FileIndex, FileId)` is
//!   stored as a real table so that it outlives the command.
//!
//! Name filters (`pattern=`) are predicates supplied by the caller ([`NameMatcher`]);
//! they run inside SQLite so `LIMIT`/`OFFSET` count matching rows only.

use std::sync::Arc;

use cairn_types::lstat::EMPTY_LSTAT;
use rusqlite::functions::FunctionFlags;
use rusqlite::{OptionalExtension, params};

use crate::error::{CatalogError, Result};
use crate::{Catalog, id_list, int, jobid_col};

/// A name filter for listings (`pattern=`): true keeps the entry. It runs on the
/// catalog thread inside SQLite.
pub type NameMatcher = Arc<dyn Fn(&str) -> bool + Send + Sync>;

/// SQL name of the matcher function registered for one listing.
const MATCH_FN: &str = "cairn_bvfs_match";

/// One entry of a bvfs listing (a row of `.bvfs_lsdirs` or `.bvfs_lsfiles`).
///
/// Entries without a catalog record (directories above the backed-up tree, `..` of a
/// top directory) have `fileid` 0, `jobid` 0 and the lstat [`EMPTY_LSTAT`], which is
/// what Bareos prints for them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BvfsEntry {
    pub pathid: i64,
    /// Directories: the full path (`/etc/`), or `.` / `..`; files: the file name.
    pub name: String,
    pub jobid: u32,
    pub lstat: String,
    pub fileid: i64,
}

/// One stored version of a file (`.bvfs_versions`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BvfsVersion {
    pub pathid: i64,
    pub name: String,
    pub jobid: u32,
    pub lstat: String,
    pub fileid: i64,
    pub md5: String,
    pub volumename: String,
    pub inchanger: i64,
}

/// A listing request: a directory (by PathId) seen through a set of jobs.
#[derive(Clone)]
pub struct BvfsListQuery {
    pub pathid: i64,
    pub jobids: Vec<u32>,
    /// Rows to return at most (Bareos's default is 2000).
    pub limit: u64,
    /// Rows to skip first.
    pub offset: u64,
    /// Keep only entries whose name matches (directories: the last path component with
    /// its `/`; files: the name). `.` and `..` are always listed.
    pub pattern: Option<NameMatcher>,
}

impl std::fmt::Debug for BvfsListQuery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BvfsListQuery")
            .field("pathid", &self.pathid)
            .field("jobids", &self.jobids)
            .field("limit", &self.limit)
            .field("offset", &self.offset)
            .field("pattern", &self.pattern.is_some())
            .finish()
    }
}

/// `.bvfs_versions`: a file (PathId + name) of a client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BvfsVersionsQuery {
    pub pathid: i64,
    pub name: String,
    pub client: String,
    /// Include Copy jobs (type `C`) besides Backup and Archive jobs.
    pub copies: bool,
    pub limit: u64,
    pub offset: u64,
}

/// What `.bvfs_restore` selects.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BvfsSelection {
    /// Files by FileId (any job).
    pub fileids: Vec<i64>,
    /// Directory trees by PathId: every file at or below the path in the jobs.
    pub dirids: Vec<i64>,
    /// Hard-link masters as (JobId, FileIndex).
    pub hardlinks: Vec<(u32, i64)>,
}

impl BvfsSelection {
    /// True when nothing is selected.
    pub fn is_empty(&self) -> bool {
        self.fileids.is_empty() && self.dirids.is_empty() && self.hardlinks.is_empty()
    }
}

/// The outcome of a cache update, per job.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BvfsUpdateReport {
    /// Jobs whose cache was built now.
    pub updated: Vec<u32>,
    /// Jobs that already had their cache (`HasCache` = 1).
    pub cached: Vec<u32>,
    /// Jobs that do not exist (or whose cache is marked as being built, `HasCache` = -1).
    pub failed: Vec<u32>,
}

/// True for a valid restore-selection table name: `b2` followed by digits (Bareos's
/// `CheckTemp`). Only such names are ever put into SQL text.
pub fn is_bvfs_table_name(name: &str) -> bool {
    name.strip_prefix("b2")
        .is_some_and(|d| !d.is_empty() && d.len() <= 18 && d.bytes().all(|b| b.is_ascii_digit()))
}

fn check_table(name: &str) -> Result<()> {
    if is_bvfs_table_name(name) {
        Ok(())
    } else {
        Err(CatalogError::InvalidValue(format!(
            "bvfs table name {name:?} (expected b2 followed by digits)"
        )))
    }
}

/// The SQL expression for the parent directory of the path expression `x`, as Bareos's
/// `bvfs_parent_dir`: `/a/b/` → `/a/`, `/a/` → `/`, `/` → `''`, `C:/` → `''`,
/// `@bpipe@/` → `''`, `''` → `''`. The directory part is `x` without its trailing `/`;
/// `rtrim(s, <the characters of s except '/'>)` then strips the last component.
fn parent_sql(x: &str) -> String {
    let s = format!("substr({x}, 1, length({x}) - (substr({x}, -1) = '/'))");
    format!("rtrim({s}, replace({s}, '/', ''))")
}

fn lstat_or_empty(v: Option<String>) -> String {
    match v {
        Some(s) if !s.is_empty() => s,
        _ => EMPTY_LSTAT.to_string(),
    }
}

/// Clamp a `u64` row count into SQLite's `LIMIT` range (`i64`).
fn sql_count(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

impl Catalog {
    /// Registers `f` as the SQL function [`MATCH_FN`] for the next listing.
    fn register_matcher(&self, f: &NameMatcher) -> Result<()> {
        let f = f.clone();
        self.conn.create_scalar_function(
            MATCH_FN,
            1,
            FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC,
            move |ctx| {
                let name = ctx.get::<String>(0)?;
                Ok(f(&name))
            },
        )?;
        Ok(())
    }

    /// `PathId` of an exact path (directories end with `/`; `""` is the root above
    /// `/` and drive letters, created by the cache update).
    pub fn bvfs_path_id(&self, path: &str) -> Result<Option<i64>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT PathId FROM Path WHERE Path = ?1")?;
        Ok(stmt.query_row([path], |r| r.get(0)).optional()?)
    }

    /// `Path` of a PathId.
    pub fn bvfs_path_of(&self, pathid: i64) -> Result<Option<String>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT Path FROM Path WHERE PathId = ?1")?;
        Ok(stmt.query_row([pathid], |r| r.get(0)).optional()?)
    }

    /// Builds the bvfs cache of each job (Bareos `BvfsUpdatePathHierarchyCache`); a job
    /// that already has it is left alone. Each job is one transaction.
    pub fn bvfs_update(&mut self, jobids: &[u32]) -> Result<BvfsUpdateReport> {
        let mut report = BvfsUpdateReport::default();
        for &jobid in jobids {
            match self.bvfs_update_job(jobid)? {
                JobCache::Built => report.updated.push(jobid),
                JobCache::Already => report.cached.push(jobid),
                JobCache::Failed => report.failed.push(jobid),
            }
        }
        Ok(report)
    }

    /// `.bvfs_update` without jobs (Bareos `BvfsUpdateCache`): every Backup or Archive
    /// job that ended (`T`, `W`, `f`, `A`) without a cache gets one; then visibility rows
    /// of jobs that no longer exist are deleted.
    pub fn bvfs_update_all(&mut self) -> Result<BvfsUpdateReport> {
        let ids: Vec<u32> = {
            let mut stmt = self.conn.prepare(
                "SELECT JobId FROM Job
                 WHERE COALESCE(HasCache, 0) = 0 AND Type IN ('B', 'A', 'a')
                   AND JobStatus IN ('T', 'W', 'f', 'A')
                 ORDER BY JobId",
            )?;
            stmt.query_map([], |r| jobid_col(r, 0))?
                .collect::<rusqlite::Result<_>>()?
        };
        let report = self.bvfs_update(&ids)?;
        self.conn.execute(
            "DELETE FROM PathVisibility
             WHERE NOT EXISTS (SELECT 1 FROM Job WHERE Job.JobId = PathVisibility.JobId)",
            [],
        )?;
        Ok(report)
    }

    fn bvfs_update_job(&mut self, jobid: u32) -> Result<JobCache> {
        let tx = self.conn.transaction()?;
        let claimed = tx.execute(
            "UPDATE Job SET HasCache = -1 WHERE JobId = ?1 AND COALESCE(HasCache, 0) = 0",
            [jobid],
        )?;
        if claimed == 0 {
            let has: Option<Option<i64>> = tx
                .query_row("SELECT HasCache FROM Job WHERE JobId = ?1", [jobid], |r| {
                    r.get(0)
                })
                .optional()?;
            return Ok(if has == Some(Some(1)) {
                JobCache::Already
            } else {
                JobCache::Failed
            });
        }
        // 1. The job's own directories (File rows and the files of its Base jobs).
        tx.execute(
            "INSERT OR IGNORE INTO PathVisibility (PathId, JobId)
             SELECT PathId, ?1 FROM File WHERE JobId = ?1
             UNION
             SELECT File.PathId, ?1 FROM BaseFiles
               JOIN File ON File.FileId = BaseFiles.FileId
             WHERE BaseFiles.JobId = ?1",
            [jobid],
        )?;
        // 2. Hierarchy for directories that have none yet: collect them and all their
        //    missing ancestors (as text), create the ancestors' Path rows, link each to
        //    its parent.
        tx.execute_batch(
            "CREATE TEMP TABLE IF NOT EXISTS bvfs_new_paths (Path TEXT PRIMARY KEY) WITHOUT ROWID;
             DELETE FROM temp.bvfs_new_paths;",
        )?;
        let parent_up = parent_sql("up.Path");
        tx.execute(
            &format!(
                "WITH RECURSIVE up(Path) AS (
                   SELECT p.Path FROM PathVisibility v
                     JOIN Path p ON p.PathId = v.PathId
                   WHERE v.JobId = ?1 AND p.Path <> ''
                     AND NOT EXISTS (SELECT 1 FROM PathHierarchy h WHERE h.PathId = v.PathId)
                   UNION
                   SELECT {parent_up} FROM up
                   WHERE up.Path <> ''
                     AND NOT EXISTS (SELECT 1 FROM Path px
                                       JOIN PathHierarchy hx ON hx.PathId = px.PathId
                                     WHERE px.Path = up.Path)
                 )
                 INSERT OR IGNORE INTO temp.bvfs_new_paths (Path) SELECT Path FROM up"
            ),
            [jobid],
        )?;
        tx.execute(
            "INSERT OR IGNORE INTO Path (Path) SELECT Path FROM temp.bvfs_new_paths",
            [],
        )?;
        let parent_n = parent_sql("n.Path");
        tx.execute(
            &format!(
                "INSERT OR IGNORE INTO PathHierarchy (PathId, PPathId)
                 SELECT c.PathId, pp.PathId FROM temp.bvfs_new_paths n
                   JOIN Path c ON c.Path = n.Path
                   JOIN Path pp ON pp.Path = {parent_n}
                 WHERE n.Path <> ''"
            ),
            [],
        )?;
        tx.execute("DELETE FROM temp.bvfs_new_paths", [])?;
        // 3. Every ancestor of a visible directory is visible.
        tx.execute(
            "WITH RECURSIVE anc(PathId) AS (
               SELECT PathId FROM PathVisibility WHERE JobId = ?1
               UNION
               SELECT h.PPathId FROM anc JOIN PathHierarchy h ON h.PathId = anc.PathId
             )
             INSERT OR IGNORE INTO PathVisibility (PathId, JobId) SELECT PathId, ?1 FROM anc",
            [jobid],
        )?;
        tx.execute("UPDATE Job SET HasCache = 1 WHERE JobId = ?1", [jobid])?;
        tx.commit()?;
        Ok(JobCache::Built)
    }

    /// `.bvfs_clear_cache yes`: empties `PathHierarchy` and `PathVisibility` and resets
    /// `Job.HasCache` (`Path` rows created by the cache stay).
    pub fn bvfs_clear_cache(&mut self) -> Result<()> {
        let tx = self.conn.transaction()?;
        tx.execute_batch(
            "UPDATE Job SET HasCache = 0;
             DELETE FROM PathHierarchy;
             DELETE FROM PathVisibility;",
        )?;
        tx.commit()?;
        Ok(())
    }

    /// The FileSets a client's jobs used, one id per FileSet name (the newest record),
    /// by name (Bareos `uar_sel_filesetid`, for `.bvfs_get_jobids ... all`).
    pub fn bvfs_client_filesets(&self, client_id: i64) -> Result<Vec<(i64, String)>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT MAX(FileSet.FileSetId), FileSet.FileSet FROM FileSet
               JOIN Job ON Job.FileSetId = FileSet.FileSetId
             WHERE Job.ClientId = ?1
             GROUP BY FileSet.FileSet
             ORDER BY FileSet.FileSet",
        )?;
        let rows = stmt
            .query_map([client_id], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// `.bvfs_lsdirs`: calls `f` for `.`, `..` and the visible sub-directories of
    /// `q.pathid` in the jobs (see the module documentation), at most `q.limit` rows
    /// after skipping `q.offset`. Rows stream from SQLite.
    pub fn bvfs_visit_dirs<F>(&self, q: &BvfsListQuery, mut f: F) -> Result<()>
    where
        F: FnMut(BvfsEntry),
    {
        if q.jobids.is_empty() {
            return Ok(());
        }
        let ids = id_list(&q.jobids);
        // Sub-directory names start after the current directory's path.
        let prefix_len = match &q.pattern {
            Some(m) => {
                self.register_matcher(m)?;
                let here = self.bvfs_path_of(q.pathid)?.unwrap_or_default();
                i64::try_from(here.chars().count()).unwrap_or(i64::MAX)
            }
            None => 0,
        };
        let filter = if q.pattern.is_some() {
            format!(" AND {MATCH_FN}(substr(p.Path, ?4 + 1))")
        } else {
            " AND ?4 IS NOT NULL".to_string()
        };
        let sql = format!(
            "WITH dirs(PathId, Path, Kind) AS (
               SELECT ?1, '.', 0
               UNION ALL
               SELECT PPathId, '..', 1 FROM PathHierarchy WHERE PathId = ?1
               UNION ALL
               SELECT p.PathId, p.Path, 2 FROM Path p
               WHERE p.PathId IN (
                       SELECT h.PathId FROM PathHierarchy h
                       WHERE h.PPathId = ?1
                         AND EXISTS (SELECT 1 FROM PathVisibility v
                                     WHERE v.PathId = h.PathId AND v.JobId IN ({ids})))
                 AND NOT EXISTS (
                       SELECT 1 FROM File d
                       WHERE d.PathId = p.PathId AND d.FileIndex = 0 AND d.Name = ''
                         AND d.JobId = (SELECT MAX(v.JobId) FROM PathVisibility v
                                        WHERE v.PathId = p.PathId AND v.JobId IN ({ids}))){filter}
             )
             SELECT dirs.PathId, dirs.Path, f.JobId, f.LStat, f.FileId
             FROM dirs
             LEFT JOIN File f ON f.FileId = (
                   SELECT a.FileId FROM File a
                   WHERE a.PathId = dirs.PathId AND a.Name = '' AND a.FileIndex > 0
                     AND a.JobId IN ({ids})
                   ORDER BY a.JobId DESC, a.FileId DESC LIMIT 1)
             ORDER BY dirs.Kind, dirs.Path
             LIMIT ?2 OFFSET ?3"
        );
        let mut stmt = self.conn.prepare(&sql)?;
        let mut rows = stmt.query(params![
            q.pathid,
            sql_count(q.limit),
            sql_count(q.offset),
            prefix_len
        ])?;
        while let Some(r) = rows.next()? {
            f(entry(r)?);
        }
        Ok(())
    }

    /// `.bvfs_lsfiles`: calls `f` for each file name of directory `q.pathid` with its
    /// newest version among the jobs (see the module documentation), by name, at most
    /// `q.limit` rows after skipping `q.offset`. Rows stream from SQLite.
    pub fn bvfs_visit_files<F>(&self, q: &BvfsListQuery, mut f: F) -> Result<()>
    where
        F: FnMut(BvfsEntry),
    {
        if q.jobids.is_empty() {
            return Ok(());
        }
        let ids = id_list(&q.jobids);
        let filter = match &q.pattern {
            Some(m) => {
                self.register_matcher(m)?;
                format!(" WHERE {MATCH_FN}(f.Name)")
            }
            None => String::new(),
        };
        let sql = format!(
            "SELECT v.PathId, v.Name, v.JobId, v.LStat, v.FileId FROM (
               SELECT f.PathId, f.Name, f.JobId, f.LStat, f.FileId, f.FileIndex,
                      ROW_NUMBER() OVER (PARTITION BY f.Name
                                         ORDER BY j.StartTime DESC, f.JobId DESC, f.FileId DESC)
                        AS Rank
               FROM (SELECT FileId, JobId, PathId, Name, FileIndex, LStat FROM File
                     WHERE JobId IN ({ids}) AND PathId = ?1 AND Name <> ''
                     UNION ALL
                     SELECT File.FileId, File.JobId, File.PathId, File.Name, File.FileIndex,
                            File.LStat
                     FROM BaseFiles JOIN File ON File.FileId = BaseFiles.FileId
                     WHERE BaseFiles.JobId IN ({ids}) AND File.PathId = ?1
                       AND File.Name <> '') AS f
               JOIN Job j ON j.JobId = f.JobId{filter}
             ) AS v
             WHERE v.Rank = 1 AND v.FileIndex > 0
             ORDER BY v.Name
             LIMIT ?2 OFFSET ?3"
        );
        let mut stmt = self.conn.prepare(&sql)?;
        let mut rows = stmt.query(params![q.pathid, sql_count(q.limit), sql_count(q.offset)])?;
        while let Some(r) = rows.next()? {
            f(entry(r)?);
        }
        Ok(())
    }

    /// `.bvfs_versions`: the versions of one file in the Backup and Archive jobs (and
    /// Copy jobs with `copies`) of a client, one row per `JobMedia` record whose index
    /// range holds it, by FileId (Bareos `bvfs_versions_6`).
    pub fn bvfs_versions(&self, q: &BvfsVersionsQuery) -> Result<Vec<BvfsVersion>> {
        let types = if q.copies {
            "'C', 'B', 'A', 'a'"
        } else {
            "'B', 'A', 'a'"
        };
        let sql = format!(
            "SELECT File.PathId, File.Name, File.JobId, File.LStat, File.FileId, File.Md5,
                    Media.VolumeName, Media.InChanger
             FROM Client
               JOIN Job ON Job.ClientId = Client.ClientId
               JOIN File ON File.JobId = Job.JobId AND File.PathId = ?1 AND File.Name = ?2
               JOIN JobMedia ON JobMedia.JobId = Job.JobId
                 AND File.FileIndex >= JobMedia.FirstIndex
                 AND File.FileIndex <= JobMedia.LastIndex
               JOIN Media ON Media.MediaId = JobMedia.MediaId
             WHERE Client.Name = ?3 AND Job.Type IN ({types})
             ORDER BY File.FileId, JobMedia.JobMediaId
             LIMIT ?4 OFFSET ?5"
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt
            .query_map(
                params![
                    q.pathid,
                    q.name,
                    q.client,
                    sql_count(q.limit),
                    sql_count(q.offset)
                ],
                |r| {
                    Ok(BvfsVersion {
                        pathid: int(r, 0)?,
                        name: r.get(1)?,
                        jobid: jobid_col(r, 2)?,
                        lstat: lstat_or_empty(r.get(3)?),
                        fileid: int(r, 4)?,
                        md5: r.get::<_, Option<String>>(5)?.unwrap_or_default(),
                        volumename: r.get(6)?,
                        inchanger: int(r, 7)?,
                    })
                },
            )?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// `.bvfs_restore path=<table> ...`: (re)creates table `table` (`b2<digits>`) with
    /// the `(JobId, FileIndex, FileId)` of the newest version of every selected file
    /// (see the module documentation); `jobids` bound the directory selections. Returns
    /// the number of rows. An empty selection or a bad table name is an error.
    pub fn bvfs_compute_restore_list(
        &mut self,
        table: &str,
        jobids: &[u32],
        sel: &BvfsSelection,
    ) -> Result<u64> {
        check_table(table)?;
        if sel.is_empty() {
            return Err(CatalogError::InvalidValue(
                "empty bvfs selection (no fileid, dirid or hardlink)".into(),
            ));
        }
        let ids = id_list(jobids);
        let tx = self.conn.transaction()?;
        tx.execute_batch(&format!(
            "DROP TABLE IF EXISTS temp.btemp{table};
             DROP TABLE IF EXISTS main.{table};
             CREATE TEMP TABLE btemp{table} (JobId INTEGER, JobTDate INTEGER, FileIndex INTEGER,
                                             Name TEXT, PathId INTEGER, FileId INTEGER);"
        ))?;
        let insert = format!(
            "INSERT INTO temp.btemp{table} (JobId, JobTDate, FileIndex, Name, PathId, FileId)"
        );
        if !sel.fileids.is_empty() {
            let list = sel
                .fileids
                .iter()
                .map(i64::to_string)
                .collect::<Vec<_>>()
                .join(",");
            tx.execute(
                &format!(
                    "{insert}
                     SELECT Job.JobId, Job.JobTDate, File.FileIndex, File.Name, File.PathId,
                            File.FileId
                     FROM File JOIN Job ON Job.JobId = File.JobId
                     WHERE File.FileId IN ({list})"
                ),
                [],
            )?;
        }
        if !jobids.is_empty() {
            for &dirid in &sel.dirids {
                let path: Option<String> = tx
                    .query_row("SELECT Path FROM Path WHERE PathId = ?1", [dirid], |r| {
                        r.get(0)
                    })
                    .optional()?;
                // Bareos stops at the first unknown directory.
                let Some(path) = path else { break };
                // The paths at or below `path`: a binary range when it ends with '/'
                // (the next byte after '/' is '0'), else a prefix comparison.
                let (cond, lo, hi) = match path.strip_suffix('/') {
                    Some(stem) => (
                        "Path.Path >= ?1 AND Path.Path < ?2",
                        path.clone(),
                        format!("{stem}0"),
                    ),
                    None => (
                        "substr(Path.Path, 1, length(?1)) = ?1 AND ?2 IS NOT NULL",
                        path.clone(),
                        String::new(),
                    ),
                };
                tx.execute(
                    &format!(
                        "{insert}
                         SELECT Job.JobId, Job.JobTDate, File.FileIndex, File.Name, File.PathId,
                                File.FileId
                         FROM Path
                           JOIN File ON File.PathId = Path.PathId
                           JOIN Job ON Job.JobId = File.JobId
                         WHERE {cond} AND File.JobId IN ({ids})
                         UNION ALL
                         SELECT File.JobId, Job.JobTDate, BaseFiles.FileIndex, File.Name,
                                File.PathId, BaseFiles.FileId
                         FROM BaseFiles
                           JOIN File ON File.FileId = BaseFiles.FileId
                           JOIN Job ON Job.JobId = BaseFiles.JobId
                           JOIN Path ON Path.PathId = File.PathId
                         WHERE {cond} AND BaseFiles.JobId IN ({ids})"
                    ),
                    params![lo, hi],
                )?;
            }
        }
        for (jobid, indexes) in group_hardlinks(&sel.hardlinks) {
            tx.execute(
                &format!(
                    "{insert}
                     SELECT Job.JobId, Job.JobTDate, File.FileIndex, File.Name, File.PathId,
                            File.FileId
                     FROM File JOIN Job ON Job.JobId = File.JobId
                     WHERE File.JobId = ?1 AND File.FileIndex IN ({indexes})"
                ),
                [jobid],
            )?;
        }
        tx.execute_batch(&format!(
            "CREATE TABLE main.{table} AS
               SELECT JobId, FileIndex, FileId FROM (
                 SELECT JobId, FileIndex, FileId,
                        ROW_NUMBER() OVER (PARTITION BY PathId, Name
                                           ORDER BY JobTDate DESC, JobId DESC, FileId DESC)
                          AS Rank
                 FROM temp.btemp{table})
               WHERE Rank = 1 AND FileIndex > 0
               ORDER BY JobId, FileIndex;
             DROP TABLE temp.btemp{table};"
        ))?;
        let n: i64 = tx.query_row(&format!("SELECT count(*) FROM main.{table}"), [], |r| {
            r.get(0)
        })?;
        tx.commit()?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    /// `.bvfs_cleanup path=<table>`: drops the selection table if it exists. False (and
    /// nothing done) when `table` is not a `b2<digits>` name.
    pub fn bvfs_drop_restore_list(&mut self, table: &str) -> Result<bool> {
        if !is_bvfs_table_name(table) {
            return Ok(false);
        }
        self.conn
            .execute_batch(&format!("DROP TABLE IF EXISTS main.{table}"))?;
        Ok(true)
    }

    /// `restore file=?<table>`: calls `f(JobId, FileIndex)` for each row of a selection
    /// table, by JobId then FileIndex (Bareos `uar_jobid_fileindex_from_table`). A name
    /// that is not `b2<digits>` is an error; a missing table is [`CatalogError::NotFound`].
    pub fn bvfs_visit_restore_list<F>(&self, table: &str, mut f: F) -> Result<()>
    where
        F: FnMut(u32, i64),
    {
        check_table(table)?;
        let exists: Option<i64> = self
            .conn
            .query_row(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1",
                [table],
                |r| r.get(0),
            )
            .optional()?;
        if exists.is_none() {
            return Err(CatalogError::NotFound {
                what: "bvfs table",
                key: table.to_string(),
            });
        }
        let mut stmt = self.conn.prepare(&format!(
            "SELECT JobId, FileIndex FROM main.{table} ORDER BY JobId, FileIndex"
        ))?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            f(jobid_col(r, 0)?, int(r, 1)?);
        }
        Ok(())
    }
}

enum JobCache {
    Built,
    Already,
    Failed,
}

fn entry(r: &rusqlite::Row<'_>) -> rusqlite::Result<BvfsEntry> {
    Ok(BvfsEntry {
        pathid: int(r, 0)?,
        name: r.get(1)?,
        jobid: jobid_col(r, 2)?,
        lstat: lstat_or_empty(r.get(3)?),
        fileid: int(r, 4)?,
    })
}

/// Hard-link pairs grouped per job (first appearance order), FileIndexes as SQL text.
fn group_hardlinks(pairs: &[(u32, i64)]) -> Vec<(u32, String)> {
    let mut out: Vec<(u32, String)> = Vec::new();
    for &(jobid, fi) in pairs {
        match out.iter_mut().find(|(j, _)| *j == jobid) {
            Some((_, list)) => {
                list.push(',');
                list.push_str(&fi.to_string());
            }
            None => out.push((jobid, fi.to_string())),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ClientSync, JobEnd, JobId, NewFile, NewJob, NewJobMedia, NewMedia, PoolSync};

    type R = std::result::Result<(), CatalogError>;

    fn parent(cat: &Catalog, p: &str) -> String {
        cat.conn
            .query_row(&format!("SELECT {}", parent_sql("?1")), [p], |r| r.get(0))
            .unwrap_or_else(|e| format!("error {e}"))
    }

    #[test]
    fn parent_directories_as_bareos() -> R {
        let cat = Catalog::open_in_memory()?;
        for (p, want) in [
            ("/a/b/", "/a/"),
            ("/a/", "/"),
            ("/", ""),
            ("", ""),
            ("C:/", ""),
            ("C:/Programs/Bareos/", "C:/Programs/"),
            ("@bpipe@/", ""),
            ("@bpipe@/data.dat", "@bpipe@/"),
            ("/tmp/ünï ✓/x y/", "/tmp/ünï ✓/"),
            ("/aaa/aaa/", "/aaa/"),
            ("/a/b", "/a/"),
        ] {
            assert_eq!(parent(&cat, p), want, "parent of {p:?}");
        }
        Ok(())
    }

    #[test]
    fn table_names() {
        assert!(is_bvfs_table_name("b21"));
        assert!(is_bvfs_table_name("b2000123"));
        assert!(!is_bvfs_table_name("b2"));
        assert!(!is_bvfs_table_name("b1123"));
        assert!(!is_bvfs_table_name("b2x"));
        assert!(!is_bvfs_table_name("b21; DROP TABLE Job"));
        assert!(!is_bvfs_table_name(""));
    }

    struct Fixture {
        cat: Catalog,
        full: u32,
        incr: u32,
    }

    fn file(path: &str, name: &str, fi: i64, lstat: &str) -> NewFile {
        NewFile {
            path: path.into(),
            name: name.into(),
            fileindex: fi,
            lstat: lstat.into(),
            md5: format!("md5-{name}-{fi}"),
            deltaseq: 0,
        }
    }

    fn job(
        cat: &mut Catalog,
        client: i64,
        fs: i64,
        level: char,
        seq: u32,
        start: &str,
    ) -> std::result::Result<u32, CatalogError> {
        let id = cat.create_job(&NewJob {
            job: format!("backup.{seq}"),
            name: "backup".into(),
            level,
            clientid: client,
            filesetid: fs,
            schedtime: start.into(),
            starttime: Some(start.into()),
            jobtdate: 1_772_000_000 + i64::from(seq) * 86_400,
            ..NewJob::default()
        })?;
        cat.update_job_end(&JobEnd {
            jobstatus: 'T',
            endtime: start.into(),
            jobfiles: 1,
            ..JobEnd::new(id)
        })?;
        Ok(id.0)
    }

    /// A Full with `/data/{a,b,c}`, `/data/sub/{x,y}`, `/data/gone/z` and an Incremental
    /// that changes `b`, deletes `c` and `gone/`, adds `/data/sub/deeper/n`.
    fn fixture() -> std::result::Result<Fixture, CatalogError> {
        let mut cat = Catalog::open_in_memory()?;
        let client = cat.sync_client(&ClientSync::new("fd1"))?;
        let pool = cat.sync_pools(&[PoolSync::new("Full")])?[0];
        let fs = cat.sync_fileset("Set", "FileSet { Name = Set }", "m")?;
        let full = job(&mut cat, client, fs, 'F', 1, "2026-03-01 10:00:00")?;
        let d = "A A IH/ B A A A A A A A A A";
        cat.insert_files(
            JobId(full),
            &[
                file("/data/", "", 1, d),
                file("/data/", "a", 2, "A A IGk B A A A a"),
                file("/data/", "b", 3, "A A IGk B A A A b"),
                file("/data/", "c", 4, "A A IGk B A A A c"),
                file("/data/sub/", "", 5, d),
                file("/data/sub/", "x", 6, "A A IGk B A A A x"),
                file("/data/sub/", "y", 7, "A A IGk B A A A y"),
                file("/data/gone/", "", 8, d),
                file("/data/gone/", "z", 9, "A A IGk B A A A z"),
            ],
        )?;
        let incr = job(&mut cat, client, fs, 'I', 2, "2026-03-02 10:00:00")?;
        cat.insert_files(
            JobId(incr),
            &[
                file("/data/", "b", 1, "A A IGk B A A A B2"),
                NewFile::deleted("/data/", "c"),
                NewFile::deleted("/data/gone/", ""),
                NewFile::deleted("/data/gone/", "z"),
                file("/data/sub/deeper/", "", 2, d),
                file("/data/sub/deeper/", "n", 3, "A A IGk B A A A n"),
            ],
        )?;
        let media = cat.create_media(&NewMedia {
            volumename: "Full-0001".into(),
            poolid: pool,
            mediatype: "File".into(),
            ..NewMedia::default()
        })?;
        for (jobid, last) in [(full, 9), (incr, 3)] {
            cat.create_jobmedia(&NewJobMedia {
                jobid,
                mediaid: media,
                firstindex: 1,
                lastindex: last,
                ..NewJobMedia::default()
            })?;
        }
        Ok(Fixture { cat, full, incr })
    }

    fn q(pathid: i64, jobids: &[u32]) -> BvfsListQuery {
        BvfsListQuery {
            pathid,
            jobids: jobids.to_vec(),
            limit: 2000,
            offset: 0,
            pattern: None,
        }
    }

    fn dirs(cat: &Catalog, q: &BvfsListQuery) -> std::result::Result<Vec<BvfsEntry>, CatalogError> {
        let mut v = Vec::new();
        cat.bvfs_visit_dirs(q, |e| v.push(e))?;
        Ok(v)
    }

    fn files(
        cat: &Catalog,
        q: &BvfsListQuery,
    ) -> std::result::Result<Vec<BvfsEntry>, CatalogError> {
        let mut v = Vec::new();
        cat.bvfs_visit_files(q, |e| v.push(e))?;
        Ok(v)
    }

    fn names(v: &[BvfsEntry]) -> Vec<&str> {
        v.iter().map(|e| e.name.as_str()).collect()
    }

    #[test]
    fn cache_listings_versions_and_restore_lists() -> R {
        let Fixture {
            mut cat,
            full,
            incr,
        } = fixture()?;
        let both = [full, incr];
        let r = cat.bvfs_update(&[full, incr, 99])?;
        assert_eq!(r.updated, vec![full, incr]);
        assert_eq!(r.failed, vec![99]);
        assert_eq!(cat.bvfs_update(&[full])?.cached, vec![full]);
        let hascache: i64 = cat
            .conn
            .query_row("SELECT min(HasCache) FROM Job", [], |r| r.get(0))?;
        assert_eq!(hascache, 1);

        // The root '' lists '/', which lists 'data/' (an ancestor with no record).
        let root = cat
            .bvfs_path_id("")?
            .ok_or(CatalogError::InvalidValue("no root".into()))?;
        let l = dirs(&cat, &q(root, &both))?;
        assert_eq!(names(&l), vec![".", "/"]);
        assert_eq!(
            (l[1].fileid, l[1].jobid, l[1].lstat.as_str()),
            (0, 0, EMPTY_LSTAT)
        );
        let slash = l[1].pathid;
        let l = dirs(&cat, &q(slash, &both))?;
        assert_eq!(names(&l), vec![".", "..", "/data/"]);
        assert_eq!(l[1].pathid, root);
        let data = l[2].pathid;
        assert_eq!(l[2].jobid, full, "directory record of the full");
        // gone/ is deleted in the newest job that sees it; in the full alone it is there.
        assert_eq!(
            names(&dirs(&cat, &q(data, &both))?),
            vec![".", "..", "/data/sub/"]
        );
        assert_eq!(
            names(&dirs(&cat, &q(data, &[full]))?),
            vec![".", "..", "/data/gone/", "/data/sub/"]
        );
        // Pagination over the whole list, . and .. included.
        let mut page = q(data, &[full]);
        page.limit = 2;
        page.offset = 2;
        assert_eq!(
            names(&dirs(&cat, &page)?),
            vec!["/data/gone/", "/data/sub/"]
        );
        page.offset = 3;
        page.limit = 10;
        assert_eq!(names(&dirs(&cat, &page)?), vec!["/data/sub/"]);
        // A name pattern on the last component.
        let mut pat = q(data, &[full]);
        pat.pattern = Some(Arc::new(|n: &str| n.starts_with('s')));
        assert_eq!(names(&dirs(&cat, &pat)?), vec![".", "..", "/data/sub/"]);

        // Files: newest version per name, deleted ones hidden.
        let l = files(&cat, &q(data, &both))?;
        assert_eq!(names(&l), vec!["a", "b"]);
        assert_eq!(l[0].jobid, full);
        assert_eq!(
            (l[1].jobid, l[1].lstat.as_str()),
            (incr, "A A IGk B A A A B2")
        );
        assert_eq!(names(&files(&cat, &q(data, &[full]))?), vec!["a", "b", "c"]);
        let mut page = q(data, &[full]);
        page.limit = 1;
        page.offset = 1;
        assert_eq!(names(&files(&cat, &page)?), vec!["b"]);
        let mut pat = q(data, &[full]);
        pat.pattern = Some(Arc::new(|n: &str| n != "b"));
        assert_eq!(names(&files(&cat, &pat)?), vec!["a", "c"]);
        let sub = cat.bvfs_path_id("/data/sub/")?.unwrap_or(0);
        assert_eq!(
            names(&dirs(&cat, &q(sub, &both))?),
            vec![".", "..", "/data/sub/deeper/"]
        );
        assert_eq!(names(&files(&cat, &q(sub, &both))?), vec!["x", "y"]);

        // Versions of b: one per job, with the volume.
        let v = cat.bvfs_versions(&BvfsVersionsQuery {
            pathid: data,
            name: "b".into(),
            client: "fd1".into(),
            copies: false,
            limit: 2000,
            offset: 0,
        })?;
        assert_eq!(
            v.iter().map(|x| x.jobid).collect::<Vec<_>>(),
            vec![full, incr]
        );
        assert_eq!(v[0].volumename, "Full-0001");
        assert_eq!(v[1].md5, "md5-b-1");

        // Restore list: the whole /data/ tree in both jobs, plus nothing else.
        let n = cat.bvfs_compute_restore_list(
            "b2101",
            &both,
            &BvfsSelection {
                dirids: vec![data],
                ..Default::default()
            },
        )?;
        let mut rows = Vec::new();
        cat.bvfs_visit_restore_list("b2101", |j, fi| rows.push((j, fi)))?;
        assert_eq!(n as usize, rows.len());
        // full: /data/ dir, a, sub/, x, y; incr: b, deeper/, n (c and gone/ are deleted)
        assert_eq!(
            rows,
            vec![
                (full, 1),
                (full, 2),
                (full, 5),
                (full, 6),
                (full, 7),
                (incr, 1),
                (incr, 2),
                (incr, 3)
            ]
        );
        // By FileId and by hard link; the table is replaced.
        let a_id: i64 = cat.conn.query_row(
            "SELECT FileId FROM File WHERE JobId = ?1 AND Name = 'a'",
            [full],
            |r| r.get(0),
        )?;
        cat.bvfs_compute_restore_list(
            "b2101",
            &both,
            &BvfsSelection {
                fileids: vec![a_id],
                hardlinks: vec![(full, 6)],
                ..Default::default()
            },
        )?;
        let mut rows = Vec::new();
        cat.bvfs_visit_restore_list("b2101", |j, fi| rows.push((j, fi)))?;
        assert_eq!(rows, vec![(full, 2), (full, 6)]);
        assert!(
            cat.bvfs_compute_restore_list("b2101", &both, &BvfsSelection::default())
                .is_err()
        );
        assert!(
            cat.bvfs_compute_restore_list(
                "bad",
                &both,
                &BvfsSelection {
                    fileids: vec![1],
                    ..Default::default()
                }
            )
            .is_err()
        );
        assert!(cat.bvfs_drop_restore_list("b2101")?);
        assert!(!cat.bvfs_drop_restore_list("x; DROP TABLE Job")?);
        assert!(matches!(
            cat.bvfs_visit_restore_list("b2101", |_, _| {}),
            Err(CatalogError::NotFound { .. })
        ));

        // Clearing the cache.
        cat.bvfs_clear_cache()?;
        let (h, v, c): (i64, i64, i64) = cat.conn.query_row(
            "SELECT (SELECT count(*) FROM PathHierarchy), (SELECT count(*) FROM PathVisibility),
                    (SELECT count(*) FROM Job WHERE HasCache <> 0)",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )?;
        assert_eq!((h, v, c), (0, 0, 0));
        let all = cat.bvfs_update_all()?;
        assert_eq!(all.updated, vec![full, incr]);
        assert_eq!(
            names(&dirs(&cat, &q(data, &both))?),
            vec![".", "..", "/data/sub/"]
        );
        Ok(())
    }

    #[test]
    fn fileset_ids_per_name() -> R {
        let Fixture { cat, .. } = fixture()?;
        let client = cat.client_id("fd1")?.unwrap_or(0);
        let fs = cat.bvfs_client_filesets(client)?;
        assert_eq!(
            fs.iter().map(|(_, n)| n.as_str()).collect::<Vec<_>>(),
            vec!["Set"]
        );
        Ok(())
    }

    /// Scale check (run with `cargo test -p cairn-catalog --release bvfs_update_scale --
    /// --ignored --nocapture`): `.bvfs_update` of a job with 1,000,000 files in 20,000
    /// directories, then listings; prints timings, asserts only results.
    #[test]
    #[ignore]
    fn bvfs_update_scale() -> R {
        let dir = tempfile::tempdir().map_err(|e| CatalogError::InvalidValue(e.to_string()))?;
        let mut cat = Catalog::open(&dir.path().join("cairn.db"))?;
        let client = cat.sync_client(&ClientSync::new("fd1"))?;
        let fs = cat.sync_fileset("Set", "FileSet { Name = Set }", "m")?;
        let full = job(&mut cat, client, fs, 'F', 1, "2026-03-01 10:00:00")?;
        let t = std::time::Instant::now();
        let mut fi = 0i64;
        let mut batch = Vec::with_capacity(100_000);
        // 20 x 50 x 20 leaf directories with 50 files each (+ directory records).
        for a in 0..20 {
            for b in 0..50 {
                for c in 0..20 {
                    let path = format!("/srv/data/a{a:02}/b{b:02}/c{c:02}/");
                    fi += 1;
                    batch.push(file(&path, "", fi, "A A IH/ B A A A A A A A A A"));
                    for n in 0..50 {
                        fi += 1;
                        batch.push(file(
                            &path,
                            &format!("file-{n:03}.dat"),
                            fi,
                            "A A IGk B A A A A A A A A A",
                        ));
                    }
                    if batch.len() >= 100_000 {
                        cat.insert_files(JobId(full), &batch)?;
                        batch.clear();
                    }
                }
            }
        }
        cat.insert_files(JobId(full), &batch)?;
        eprintln!("insert {fi} file records: {:?}", t.elapsed());
        let t = std::time::Instant::now();
        let r = cat.bvfs_update(&[full])?;
        let update = t.elapsed();
        assert_eq!(r.updated, vec![full]);
        let (h, v): (i64, i64) = cat.conn.query_row(
            "SELECT (SELECT count(*) FROM PathHierarchy), (SELECT count(*) FROM PathVisibility)",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        eprintln!(
            "bvfs_update of {fi} records: {update:?} ({h} PathHierarchy, {v} PathVisibility rows)"
        );
        let t = std::time::Instant::now();
        let a = cat.bvfs_path_id("/srv/data/a07/")?.unwrap_or(0);
        let l = dirs(&cat, &q(a, &[full]))?;
        assert_eq!(l.len(), 52);
        let leaf = cat.bvfs_path_id("/srv/data/a07/b33/c05/")?.unwrap_or(0);
        let f = files(&cat, &q(leaf, &[full]))?;
        assert_eq!(f.len(), 50);
        eprintln!("lsdirs (52 rows) + lsfiles (50 rows): {:?}", t.elapsed());
        let t = std::time::Instant::now();
        let data = cat.bvfs_path_id("/srv/data/")?.unwrap_or(0);
        let n = cat.bvfs_compute_restore_list(
            "b2999",
            &[full],
            &BvfsSelection {
                dirids: vec![data],
                ..Default::default()
            },
        )?;
        eprintln!(
            "bvfs_restore dirid=/srv/data/ ({n} rows): {:?}",
            t.elapsed()
        );
        assert_eq!(n as i64, fi);
        // An Incremental: 1 file in 10 changed everywhere, 1,000 new directories.
        let incr = job(&mut cat, client, fs, 'I', 2, "2026-03-02 10:00:00")?;
        let mut batch = Vec::new();
        let mut ifi = 0i64;
        for a in 0..20 {
            for b in 0..50 {
                for c in 0..21 {
                    let path = format!("/srv/data/a{a:02}/b{b:02}/c{c:02}/");
                    for n in (0..50).step_by(10) {
                        ifi += 1;
                        batch.push(file(
                            &path,
                            &format!("file-{n:03}.dat"),
                            ifi,
                            "A A IGk B A A A B A A A A A",
                        ));
                    }
                }
            }
        }
        cat.insert_files(JobId(incr), &batch)?;
        let t = std::time::Instant::now();
        cat.bvfs_update(&[incr])?;
        eprintln!(
            "bvfs_update of the incremental ({ifi} records, 1,000 new directories): {:?}",
            t.elapsed()
        );
        let t = std::time::Instant::now();
        let f = files(&cat, &q(leaf, &[full, incr]))?;
        assert_eq!(f.len(), 50);
        assert_eq!(f.iter().filter(|e| e.jobid == incr).count(), 5);
        let l = dirs(
            &cat,
            &q(
                cat.bvfs_path_id("/srv/data/a07/b33/")?.unwrap_or(0),
                &[full, incr],
            ),
        )?;
        assert_eq!(l.len(), 23);
        eprintln!(
            "lsfiles + lsdirs over Full + Incremental: {:?}",
            t.elapsed()
        );
        Ok(())
    }
}
