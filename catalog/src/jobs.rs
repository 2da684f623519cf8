//! Job records: creation at job start, updates while running and at the end, and the
//! filtered listing behind `list jobs` / `llist jobs`.

use chrono::{Duration, Local};
use rusqlite::types::Value;
use rusqlite::{OptionalExtension, params, params_from_iter};

use crate::error::{CatalogError, Result};
use crate::rows::{CopyRow, JobRow, JobTotalRow};
use crate::time::{TIME_FORMAT, check_opt_time, check_time, job_duration, now_string};
use crate::{Catalog, JobId, code, id_list, int, jobid_col, letter, to_i64};

/// A new `Job` row (the director creates it when a job is queued).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewJob {
    /// Unique job name `Name.YYYY-MM-DD_HH.MM.SS_NN`.
    pub job: String,
    /// Job resource name.
    pub name: String,
    pub jobtype: char,
    pub level: char,
    pub clientid: i64,
    pub jobstatus: char,
    /// `YYYY-MM-DD HH:MM:SS`.
    pub schedtime: String,
    /// `YYYY-MM-DD HH:MM:SS`, usually set later by [`Catalog::update_job_start`].
    pub starttime: Option<String>,
    /// Unix seconds.
    pub jobtdate: i64,
    pub poolid: i64,
    pub filesetid: i64,
    pub priorjobid: u32,
    pub comment: Option<String>,
}

impl Default for NewJob {
    /// A created (`C`) full (`F`) backup (`B`) scheduled now, without names.
    fn default() -> Self {
        NewJob {
            job: String::new(),
            name: String::new(),
            jobtype: 'B',
            level: 'F',
            clientid: 0,
            jobstatus: 'C',
            schedtime: now_string(),
            starttime: None,
            jobtdate: Local::now().timestamp(),
            poolid: 0,
            filesetid: 0,
            priorjobid: 0,
            comment: None,
        }
    }
}

/// What the director records when a job actually starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobStart {
    pub jobid: JobId,
    pub jobstatus: char,
    /// The level may have been upgraded (e.g. Incremental → Full).
    pub level: char,
    pub starttime: String,
    pub jobtdate: i64,
    pub clientid: i64,
    pub poolid: i64,
    pub filesetid: i64,
}

/// What the director records when a job ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobEnd {
    pub jobid: JobId,
    pub jobstatus: char,
    pub endtime: String,
    /// Defaults to `endtime` when `None`.
    pub realendtime: Option<String>,
    pub jobfiles: u64,
    pub jobbytes: u64,
    pub readbytes: u64,
    pub joberrors: u64,
    pub jobmissingfiles: u64,
    pub volsessionid: u32,
    pub volsessiontime: u32,
    pub priorjobid: u32,
    pub hasbase: bool,
}

impl JobEnd {
    /// An `OK` end record stamped now with zero counters.
    pub fn new(jobid: JobId) -> Self {
        JobEnd {
            jobid,
            jobstatus: 'T',
            endtime: now_string(),
            realendtime: None,
            jobfiles: 0,
            jobbytes: 0,
            readbytes: 0,
            joberrors: 0,
            jobmissingfiles: 0,
            volsessionid: 0,
            volsessiontime: 0,
            priorjobid: 0,
            hasbase: false,
        }
    }
}

/// Selection for [`Catalog::list_jobs`] / [`Catalog::count_jobs`]. All given criteria
/// must hold. Empty vectors mean "any".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JobFilter {
    /// Only these job ids (`Some(vec![])` selects nothing).
    pub jobid: Option<Vec<u32>>,
    /// Unique job name (`Job.Job`).
    pub job: Option<String>,
    /// Job resource name (`Job.Name`).
    pub name: Option<String>,
    /// Client name.
    pub client: Option<String>,
    /// Client id (`Job.ClientId`).
    pub client_id: Option<i64>,
    /// FileSet name (any version of it).
    pub fileset: Option<String>,
    pub jobstatus: Vec<char>,
    pub jobtype: Vec<char>,
    pub joblevel: Vec<char>,
    /// Jobs that wrote to this volume.
    pub volume: Option<String>,
    /// Jobs of this pool.
    pub pool: Option<String>,
    /// Scheduled within the last N days (added to `hours` when both are given).
    pub days: Option<u32>,
    /// Scheduled within the last N hours.
    pub hours: Option<u32>,
    /// Only the newest job (highest JobId) of each job name.
    pub last: bool,
    pub limit: Option<u32>,
    pub offset: Option<u32>,
    /// Newest first.
    pub reverse: bool,
}

/// Selection for [`Catalog::list_backups`] (`list backups client=X ...`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BackupFilter {
    /// Client name (required by Bareos).
    pub client: String,
    /// FileSet name.
    pub fileset: Option<String>,
    /// Job statuses; empty means Bareos's default `T`, `W`.
    pub jobstatus: Vec<char>,
    /// Levels; empty means any.
    pub level: Vec<char>,
    /// `order=descending` (newest first); ascending by default.
    pub descending: bool,
    pub limit: Option<u32>,
    pub offset: Option<u32>,
    /// Scheduled within the last N days (added to `hours` when both are given).
    pub days: Option<u32>,
    /// Scheduled within the last N hours.
    pub hours: Option<u32>,
}

/// Statuses of jobs that have not finished: everything but the final ones.
fn unfinished_statuses() -> Vec<char> {
    cairn_types::JobStatus::ALL
        .iter()
        .filter(|s| !s.is_final())
        .map(|s| s.code())
        .collect()
}

const JOB_SELECT: &str = "SELECT Job.JobId, Job.Job, Job.Name, Job.PurgedFiles, Job.Type, \
     Job.Level, Job.ClientId, Client.Name, Job.JobStatus, Job.SchedTime, Job.StartTime, \
     Job.EndTime, Job.RealEndTime, Job.JobTDate, Job.VolSessionId, Job.VolSessionTime, \
     Job.JobFiles, Job.JobBytes, Job.ReadBytes, Job.JobErrors, Job.JobMissingFiles, \
     Job.PoolId, Pool.Name, Job.PriorJobId, Job.FileSetId, FileSet.FileSet, Job.HasBase, \
     Job.HasCache, Job.Reviewed, Job.Comment \
     FROM Job \
     LEFT JOIN Client ON Client.ClientId = Job.ClientId \
     LEFT JOIN Pool ON Pool.PoolId = Job.PoolId \
     LEFT JOIN FileSet ON FileSet.FileSetId = Job.FileSetId";

fn job_row(r: &rusqlite::Row<'_>, now: chrono::NaiveDateTime) -> rusqlite::Result<JobRow> {
    let starttime: Option<String> = r.get(10)?;
    let endtime: Option<String> = r.get(11)?;
    Ok(JobRow {
        jobid: jobid_col(r, 0)?,
        job: r.get(1)?,
        name: r.get(2)?,
        purgedfiles: int(r, 3)?,
        jobtype: letter(r.get(4)?),
        level: letter(r.get(5)?),
        clientid: int(r, 6)?,
        client: r.get(7)?,
        jobstatus: letter(r.get(8)?),
        schedtime: r.get(9)?,
        duration: job_duration(starttime.as_deref(), endtime.as_deref(), now),
        starttime,
        endtime,
        realendtime: r.get(12)?,
        jobtdate: int(r, 13)?,
        volsessionid: int(r, 14)?,
        volsessiontime: int(r, 15)?,
        jobfiles: int(r, 16)?,
        jobbytes: int(r, 17)?,
        readbytes: int(r, 18)?,
        joberrors: int(r, 19)?,
        jobmissingfiles: int(r, 20)?,
        poolid: int(r, 21)?,
        poolname: r.get(22)?,
        priorjobid: int(r, 23)?,
        filesetid: int(r, 24)?,
        fileset: r.get(25)?,
        hasbase: int(r, 26)?,
        hascache: int(r, 27)?,
        reviewed: int(r, 28)?,
        comment: r.get(29)?,
    })
}

fn in_list(
    column: &str,
    values: impl IntoIterator<Item = Value>,
    params: &mut Vec<Value>,
) -> String {
    let start = params.len();
    params.extend(values);
    let marks = vec!["?"; params.len() - start].join(", ");
    format!(" AND {column} IN ({marks})")
}

fn char_values(v: &[char]) -> impl Iterator<Item = Value> + '_ {
    v.iter().map(|c| Value::Text(c.to_string()))
}

/// `WHERE` criteria (each starting with ` AND `) and their parameters. Queries using it
/// must join `Client`.
fn filter_sql(f: &JobFilter) -> (String, Vec<Value>) {
    let mut sql = String::new();
    let mut p = Vec::new();
    if let Some(ids) = &f.jobid {
        if ids.is_empty() {
            sql.push_str(" AND 0");
        } else {
            sql.push_str(&in_list(
                "Job.JobId",
                ids.iter().map(|i| Value::Integer(i64::from(*i))),
                &mut p,
            ));
        }
    }
    if let Some(job) = &f.job {
        sql.push_str(" AND Job.Job = ?");
        p.push(Value::Text(job.clone()));
    }
    if let Some(name) = &f.name {
        sql.push_str(" AND Job.Name = ?");
        p.push(Value::Text(name.clone()));
    }
    if let Some(client) = &f.client {
        sql.push_str(" AND Client.Name = ?");
        p.push(Value::Text(client.clone()));
    }
    if let Some(id) = f.client_id {
        sql.push_str(" AND Job.ClientId = ?");
        p.push(Value::Integer(id));
    }
    if let Some(fileset) = &f.fileset {
        sql.push_str(" AND Job.FileSetId IN (SELECT FileSetId FROM FileSet WHERE FileSet = ?)");
        p.push(Value::Text(fileset.clone()));
    }
    if !f.jobstatus.is_empty() {
        sql.push_str(&in_list("Job.JobStatus", char_values(&f.jobstatus), &mut p));
    }
    if !f.jobtype.is_empty() {
        sql.push_str(&in_list("Job.Type", char_values(&f.jobtype), &mut p));
    }
    if !f.joblevel.is_empty() {
        sql.push_str(&in_list("Job.Level", char_values(&f.joblevel), &mut p));
    }
    if let Some(volume) = &f.volume {
        sql.push_str(
            " AND EXISTS (SELECT 1 FROM JobMedia JOIN Media ON Media.MediaId = JobMedia.MediaId \
             WHERE JobMedia.JobId = Job.JobId AND Media.VolumeName = ?)",
        );
        p.push(Value::Text(volume.clone()));
    }
    if let Some(pool) = &f.pool {
        sql.push_str(" AND Job.PoolId IN (SELECT PoolId FROM Pool WHERE Name = ?)");
        p.push(Value::Text(pool.clone()));
    }
    if f.days.is_some() || f.hours.is_some() {
        let secs = i64::from(f.days.unwrap_or(0)) * 86_400 + i64::from(f.hours.unwrap_or(0)) * 3600;
        let since = Local::now().naive_local() - Duration::seconds(secs);
        sql.push_str(" AND Job.SchedTime > ?");
        p.push(Value::Text(since.format(TIME_FORMAT).to_string()));
    }
    if f.last {
        // Newest job of each name among the jobs matching the criteria above.
        let inner = sql.clone();
        let inner_params = p.clone();
        sql.push_str(&format!(
            " AND Job.JobId IN (SELECT MAX(Job.JobId) FROM Job \
             LEFT JOIN Client ON Client.ClientId = Job.ClientId WHERE 1 = 1{inner} \
             GROUP BY Job.Name)"
        ));
        p.extend(inner_params);
    }
    (sql, p)
}

impl Catalog {
    /// Inserts a new job record; returns its JobId.
    pub fn create_job(&mut self, j: &NewJob) -> Result<JobId> {
        if j.job.is_empty() || j.name.is_empty() {
            return Err(CatalogError::InvalidValue("job without name".into()));
        }
        let schedtime = check_time(&j.schedtime)?;
        let starttime = check_opt_time(j.starttime.as_deref())?;
        self.conn.execute(
            "INSERT INTO Job (Job, Name, Type, Level, ClientId, JobStatus, SchedTime, StartTime,
               JobTDate, PoolId, FileSetId, PriorJobId, Comment)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
            params![
                j.job,
                j.name,
                code("job type", j.jobtype)?,
                code("job level", j.level)?,
                j.clientid,
                code("job status", j.jobstatus)?,
                schedtime,
                starttime,
                j.jobtdate,
                j.poolid,
                j.filesetid,
                j.priorjobid,
                j.comment,
            ],
        )?;
        let id = self.conn.last_insert_rowid();
        u32::try_from(id)
            .map(JobId)
            .map_err(|_| CatalogError::InvalidValue(format!("JobId {id} exceeds 32 bits")))
    }

    fn expect_one(&self, changed: usize, jobid: JobId) -> Result<()> {
        if changed == 0 {
            Err(CatalogError::NotFound {
                what: "JobId",
                key: jobid.to_string(),
            })
        } else {
            Ok(())
        }
    }

    /// Records the start of a job (status, possibly upgraded level, start time, ids).
    pub fn update_job_start(&mut self, s: &JobStart) -> Result<()> {
        let starttime = check_time(&s.starttime)?;
        let n = self.conn.execute(
            "UPDATE Job SET JobStatus = ?1, Level = ?2, StartTime = ?3, JobTDate = ?4,
               ClientId = ?5, PoolId = ?6, FileSetId = ?7
             WHERE JobId = ?8",
            params![
                code("job status", s.jobstatus)?,
                code("job level", s.level)?,
                starttime,
                s.jobtdate,
                s.clientid,
                s.poolid,
                s.filesetid,
                s.jobid.0,
            ],
        )?;
        self.expect_one(n, s.jobid)
    }

    /// Records the end of a job (final status, times and counters).
    pub fn update_job_end(&mut self, e: &JobEnd) -> Result<()> {
        let endtime = check_time(&e.endtime)?;
        let realendtime = match &e.realendtime {
            Some(t) => check_time(t)?,
            None => endtime.clone(),
        };
        let jobfiles = to_i64("JobFiles", e.jobfiles)?;
        let jobbytes = to_i64("JobBytes", e.jobbytes)?;
        let readbytes = to_i64("ReadBytes", e.readbytes)?;
        let joberrors = to_i64("JobErrors", e.joberrors)?;
        let missing = to_i64("JobMissingFiles", e.jobmissingfiles)?;
        let n = self.conn.execute(
            "UPDATE Job SET JobStatus = ?1, EndTime = ?2, RealEndTime = ?3, JobFiles = ?4,
               JobBytes = ?5, ReadBytes = ?6, JobErrors = ?7, JobMissingFiles = ?8,
               VolSessionId = ?9, VolSessionTime = ?10, PriorJobId = ?11, HasBase = ?12
             WHERE JobId = ?13",
            params![
                code("job status", e.jobstatus)?,
                endtime,
                realendtime,
                jobfiles,
                jobbytes,
                readbytes,
                joberrors,
                missing,
                e.volsessionid,
                e.volsessiontime,
                e.priorjobid,
                e.hasbase,
                e.jobid.0,
            ],
        )?;
        self.expect_one(n, e.jobid)
    }

    /// Sets `JobStatus` only.
    pub fn set_job_status(&mut self, jobid: JobId, status: char) -> Result<()> {
        let n = self.conn.execute(
            "UPDATE Job SET JobStatus = ?1 WHERE JobId = ?2",
            params![code("job status", status)?, jobid.0],
        )?;
        self.expect_one(n, jobid)
    }

    /// Sets `Type` only (copy/migration rewrites: `B` → `M`, `C` → `B`).
    pub fn set_job_type(&mut self, jobid: JobId, jobtype: char) -> Result<()> {
        let n = self.conn.execute(
            "UPDATE Job SET Type = ?1 WHERE JobId = ?2",
            params![code("job type", jobtype)?, jobid.0],
        )?;
        self.expect_one(n, jobid)
    }

    /// Deletes a job and everything that hangs off it (File, JobMedia, Log,
    /// PathVisibility, RestoreObject, BaseFiles). Returns false when it did not exist.
    pub fn delete_job(&mut self, jobid: JobId) -> Result<bool> {
        let tx = self.conn.transaction()?;
        for table in [
            "File",
            "JobMedia",
            "Log",
            "PathVisibility",
            "RestoreObject",
            "BaseFiles",
        ] {
            tx.execute(&format!("DELETE FROM {table} WHERE JobId = ?1"), [jobid.0])?;
        }
        let n = tx.execute("DELETE FROM Job WHERE JobId = ?1", [jobid.0])?;
        tx.commit()?;
        Ok(n > 0)
    }

    /// One job by id.
    pub fn get_job(&self, jobid: JobId) -> Result<Option<JobRow>> {
        let now = Local::now().naive_local();
        let sql = format!("{JOB_SELECT} WHERE Job.JobId = ?1");
        Ok(self
            .conn
            .query_row(&sql, [jobid.0], |r| job_row(r, now))
            .optional()?)
    }

    /// One job by its unique name (`Job.Job`).
    pub fn get_job_by_name(&self, job: &str) -> Result<Option<JobRow>> {
        let now = Local::now().naive_local();
        let sql = format!("{JOB_SELECT} WHERE Job.Job = ?1 ORDER BY Job.JobId DESC LIMIT 1");
        Ok(self
            .conn
            .query_row(&sql, [job], |r| job_row(r, now))
            .optional()?)
    }

    /// Jobs matching `f`, by StartTime then JobId (jobs not started yet last, as in
    /// PostgreSQL), newest first with `reverse`; `limit`/`offset` apply after ordering.
    pub fn list_jobs(&self, f: &JobFilter) -> Result<Vec<JobRow>> {
        let (criteria, mut p) = filter_sql(f);
        let order = if f.reverse {
            "Job.StartTime IS NULL DESC, Job.StartTime DESC, Job.JobId DESC"
        } else {
            "Job.StartTime IS NULL, Job.StartTime, Job.JobId"
        };
        let mut sql = format!("{JOB_SELECT} WHERE 1 = 1{criteria} ORDER BY {order}");
        if f.limit.is_some() || f.offset.is_some() {
            sql.push_str(" LIMIT ? OFFSET ?");
            p.push(Value::Integer(f.limit.map_or(-1, i64::from)));
            p.push(Value::Integer(i64::from(f.offset.unwrap_or(0))));
        }
        let now = Local::now().naive_local();
        let mut stmt = self.conn.prepare(&sql)?;
        let rows = stmt
            .query_map(params_from_iter(p), |r| job_row(r, now))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// Number of jobs matching `f` (`limit`, `offset` and `reverse` are ignored).
    pub fn count_jobs(&self, f: &JobFilter) -> Result<u64> {
        let (criteria, p) = filter_sql(f);
        let sql = format!(
            "SELECT COUNT(*) FROM Job LEFT JOIN Client ON Client.ClientId = Job.ClientId \
             WHERE 1 = 1{criteria}"
        );
        let n: i64 = self
            .conn
            .query_row(&sql, params_from_iter(p), |r| r.get(0))?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    /// `list jobtotals`: per job name and overall, over Backup, Archive and Copy jobs
    /// (types `B`, `A`, `a`, `C`). The total row has an empty name.
    pub fn job_totals(&self) -> Result<(Vec<JobTotalRow>, JobTotalRow)> {
        let mut stmt = self.conn.prepare(
            "SELECT Name, COUNT(*), COALESCE(SUM(JobFiles), 0), COALESCE(SUM(JobBytes), 0)
             FROM Job WHERE Type IN ('B', 'A', 'a', 'C') GROUP BY Name ORDER BY Name",
        )?;
        let rows = stmt
            .query_map([], |r| {
                Ok(JobTotalRow {
                    name: r.get(0)?,
                    jobs: int(r, 1)?,
                    files: int(r, 2)?,
                    bytes: int(r, 3)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let total = self.conn.query_row(
            "SELECT COUNT(*), COALESCE(SUM(JobFiles), 0), COALESCE(SUM(JobBytes), 0)
             FROM Job WHERE Type IN ('B', 'A', 'a', 'C')",
            [],
            |r| {
                Ok(JobTotalRow {
                    name: String::new(),
                    jobs: int(r, 0)?,
                    files: int(r, 1)?,
                    bytes: int(r, 2)?,
                })
            },
        )?;
        Ok((rows, total))
    }
}

impl Catalog {
    /// The newest successful (`T` or `W`) Backup (`B`) job of job resource `name` and
    /// client `client_id` (and FileSetId `fileset_id` if given) whose level is one of
    /// `levels` (any level when empty), newest by StartTime, then JobTDate and JobId —
    /// Bareos's `FindJobStartTime` / `FindLastJobStartTime`. The director uses it for
    /// level decisions: no Full (`&['F']`) → upgrade to Full (`No prior Full backup Job
    /// record found.`); an Incremental covers changes since the start of the last
    /// `&['F', 'D', 'I']`, a Differential since the start of the last `&['F']`.
    pub fn last_successful_job(
        &self,
        name: &str,
        client_id: i64,
        fileset_id: Option<i64>,
        levels: &[char],
    ) -> Result<Option<JobRow>> {
        let mut sql = format!(
            "{JOB_SELECT} WHERE Job.Name = ? AND Job.ClientId = ? AND Job.Type = 'B' \
             AND Job.JobStatus IN ('T', 'W')"
        );
        let mut p = vec![Value::Text(name.to_string()), Value::Integer(client_id)];
        if let Some(fs) = fileset_id {
            sql.push_str(" AND Job.FileSetId = ?");
            p.push(Value::Integer(fs));
        }
        if !levels.is_empty() {
            sql.push_str(&in_list("Job.Level", char_values(levels), &mut p));
        }
        sql.push_str(" ORDER BY Job.StartTime DESC, Job.JobTDate DESC, Job.JobId DESC LIMIT 1");
        let now = Local::now().naive_local();
        Ok(self
            .conn
            .query_row(&sql, params_from_iter(p), |r| job_row(r, now))
            .optional()?)
    }

    /// Jobs that have not reached a final status (created, running, blocked or waiting:
    /// `C R B F S m M s j c d t p a i l L q`), by JobId — what a director finds in the
    /// catalog at start-up after a crash.
    pub fn running_or_queued_jobs(&self) -> Result<Vec<JobRow>> {
        self.list_jobs(&JobFilter {
            jobstatus: unfinished_statuses(),
            ..JobFilter::default()
        })
        .map(|mut rows| {
            rows.sort_by_key(|r| r.jobid);
            rows
        })
    }

    /// Start-up recovery (Bareos `cleanup_created_job` / `cleanup_running_job`): every
    /// unfinished job is marked fatal (`f`); jobs that never started get StartTime =
    /// SchedTime, and all get EndTime = RealEndTime = now. Returns the affected JobIds.
    pub fn mark_interrupted_jobs(&mut self) -> Result<Vec<u32>> {
        let ids: Vec<u32> = self
            .running_or_queued_jobs()?
            .iter()
            .map(|r| r.jobid)
            .collect();
        if ids.is_empty() {
            return Ok(ids);
        }
        let now = now_string();
        self.conn.execute(
            &format!(
                "UPDATE Job SET JobStatus = 'f', StartTime = COALESCE(StartTime, SchedTime),
                   EndTime = ?1, RealEndTime = ?1
                 WHERE JobId IN ({})",
                id_list(&ids)
            ),
            [now],
        )?;
        Ok(ids)
    }

    /// `list backups client=X [fileset=] [jobstatus=] [level=] [order=] [limit=]
    /// [days=|hours=]`: Backup and Archive jobs (types `B`, `A`, `a`) of the client,
    /// status `T`/`W` unless given, by StartTime (descending with `descending`).
    pub fn list_backups(&self, f: &BackupFilter) -> Result<Vec<JobRow>> {
        self.list_jobs(&JobFilter {
            client: Some(f.client.clone()),
            fileset: f.fileset.clone(),
            jobstatus: if f.jobstatus.is_empty() {
                vec!['T', 'W']
            } else {
                f.jobstatus.clone()
            },
            jobtype: vec!['B', 'A', 'a'],
            joblevel: f.level.clone(),
            days: f.days,
            hours: f.hours,
            limit: f.limit,
            offset: f.offset,
            reverse: f.descending,
            ..JobFilter::default()
        })
    }

    /// `list copies [jobid=a,b]`: copy jobs (type `C`) — of the given jobs, or the given
    /// jobs themselves when they are copies — with one media type of their volumes,
    /// newest original first (Bareos `ListCopiesRecords`). Empty `jobids` lists all.
    pub fn list_copies(&self, jobids: &[u32]) -> Result<Vec<CopyRow>> {
        let filter = if jobids.is_empty() {
            String::new()
        } else {
            let ids = id_list(jobids);
            format!(" AND (Job.PriorJobId IN ({ids}) OR Job.JobId IN ({ids}))")
        };
        let sql = format!(
            "SELECT Job.PriorJobId, Job.Job, Job.JobId, MIN(Media.MediaType) FROM Job
               JOIN JobMedia ON JobMedia.JobId = Job.JobId
               JOIN Media ON Media.MediaId = JobMedia.MediaId
             WHERE Job.Type = 'C'{filter}
             GROUP BY Job.JobId
             ORDER BY Job.PriorJobId DESC, Job.JobId"
        );
        let mut stmt = self.conn.prepare(&sql)?;
        let rows = stmt
            .query_map([], |r| {
                Ok(CopyRow {
                    jobid: jobid_col(r, 0)?,
                    job: r.get(1)?,
                    copyjobid: jobid_col(r, 2)?,
                    mediatype: r.get::<_, Option<String>>(3)?.unwrap_or_default(),
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }
}
