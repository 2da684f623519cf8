//! Jobs: the queue and per-job state machine. A job is created in the catalog
//! (status `C`), waits for its concurrency limits (director, client, storage,
//! job resource `Maximum Concurrent Jobs`), runs as its own task, and ends with a
//! final status, the catalog Job row updated and Bareos's end-of-job report in
//! its log.

pub mod backup;
pub mod control;
pub mod fileset;
pub mod links;
pub mod report;
pub mod restore;
pub mod runscript;

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use cairn_types::{JobLevel, JobStatus, JobType};
use chrono::{DateTime, Local};
use tokio::sync::{watch, Notify};
use tokio_util::sync::CancellationToken;

use crate::state::DirState;

/// What to run: everything `run` (or the scheduler, or `restore`) decided.
#[derive(Debug, Clone)]
pub struct JobSpec {
    pub name: String,
    pub job_type: JobType,
    pub level: JobLevel,
    pub client: Option<String>,
    pub fileset: Option<String>,
    pub pool: Option<String>,
    /// Where the pool came from (`Job resource`, `Job FullPool override` …).
    pub pool_source: String,
    pub storage: Option<String>,
    pub storage_source: String,
    pub messages: Option<String>,
    pub priority: u32,
    pub when: Option<DateTime<Local>>,
    pub comment: Option<String>,
    pub accurate: bool,
    /// Restore only.
    pub restore: Option<restore::RestoreSpec>,
    /// Who started the job (the report's `Job triggered by:`).
    pub trigger: Trigger,
    /// Pools by level (Job or Run overrides), used when the level is chosen or
    /// upgraded; empty when `pool=` was given on the command line.
    pub level_pools: LevelPools,
}

/// Who started a job.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Trigger {
    #[default]
    User,
    Scheduler,
    Client,
}

impl Trigger {
    /// The word of the end-of-job report.
    pub fn word(self) -> &'static str {
        match self {
            Trigger::User => "User",
            Trigger::Scheduler => "Scheduler",
            Trigger::Client => "Client",
        }
    }
}

/// Level pool overrides: (pool, source text as in the job report).
#[derive(Debug, Clone, Default)]
pub struct LevelPools {
    pub full: Option<(String, String)>,
    pub incremental: Option<(String, String)>,
    pub differential: Option<(String, String)>,
}

impl LevelPools {
    /// The Job resource's Full/Incremental/Differential Backup Pool.
    pub fn from_job(job: &cairn_config::JobRes) -> Self {
        let tag = |p: &Option<String>, what: &str| p.clone().map(|p| (p, format!("Job {what} override")));
        LevelPools {
            full: tag(&job.full_backup_pool, "FullPool"),
            incremental: tag(&job.incremental_backup_pool, "IncPool"),
            differential: tag(&job.differential_backup_pool, "DiffPool"),
        }
    }

    /// The pool (and its source) for a level, if one is set.
    pub fn for_level(&self, level: JobLevel) -> Option<&(String, String)> {
        match level {
            JobLevel::Full => self.full.as_ref(),
            JobLevel::Incremental => self.incremental.as_ref(),
            JobLevel::Differential => self.differential.as_ref(),
            _ => None,
        }
    }
}

/// A job the director knows about while it is queued or running.
#[derive(Debug)]
pub struct JobControl {
    pub jobid: u32,
    pub job: String,
    pub spec: Mutex<JobSpec>,
    pub sched_time: DateTime<Local>,
    pub start_time: Mutex<Option<DateTime<Local>>>,
    status: watch::Sender<JobStatus>,
    pub files: AtomicU64,
    pub bytes: AtomicU64,
    pub cancel: CancellationToken,
    /// Volumes written (for `%V` and reports).
    pub volumes: Mutex<Vec<String>>,
    /// When the job is to start: `sched_time`, or later after a reschedule.
    sched_at: Mutex<DateTime<Local>>,
    /// The scheduled time of the first run (`Max Run Sched Time` counts from it).
    pub initial_sched: DateTime<Local>,
    /// Times the job was rescheduled (`Reschedule On Error`).
    pub reschedule_count: AtomicU32,
    /// When the job's work began (after its Before RunScripts); `Max Run Time`
    /// and `Max Wait Time` count from here.
    run_started: watch::Sender<Option<tokio::time::Instant>>,
}

impl JobControl {
    pub fn status(&self) -> JobStatus {
        *self.status.borrow()
    }
    pub fn set_status(&self, s: JobStatus) {
        self.status.send_replace(s);
    }
    /// Wait until the job has ended; returns its final status.
    pub async fn wait_end(&self) -> JobStatus {
        let mut rx = self.status.subscribe();
        loop {
            let s = *rx.borrow_and_update();
            if s.is_final() {
                return s;
            }
            if rx.changed().await.is_err() {
                return self.status();
            }
        }
    }
    pub fn spec(&self) -> JobSpec {
        self.spec.lock().map(|s| s.clone()).unwrap_or_else(|p| p.into_inner().clone())
    }
    /// When the job is (or was) to start: its scheduled time, moved on by a
    /// reschedule (`is waiting for its start time at …`).
    pub fn sched_at(&self) -> DateTime<Local> {
        self.sched_at.lock().map(|t| *t).unwrap_or(self.sched_time)
    }
    fn set_sched_at(&self, t: DateTime<Local>) {
        if let Ok(mut g) = self.sched_at.lock() {
            *g = t;
        }
    }
    /// True once the job's work has begun (after its Before RunScripts; Bareos
    /// `job_started`).
    pub fn has_started(&self) -> bool {
        self.run_started.borrow().is_some()
    }
    /// Bareos `JobWaiting`: a started job blocked on a resource or a daemon.
    pub fn is_waiting(&self) -> bool {
        self.has_started() && control::is_waiting(self.status())
    }
    /// True while the job has not started yet (Bareos: the statuses `CancelJob`
    /// treats as "queued").
    pub fn is_queued(&self) -> bool {
        matches!(
            self.status(),
            JobStatus::Created
                | JobStatus::WaitJobRes
                | JobStatus::WaitClientRes
                | JobStatus::WaitStoreRes
                | JobStatus::WaitPriority
                | JobStatus::WaitMaxJobs
                | JobStatus::WaitStartTime
        )
    }
}

/// A job that has ended (kept for `status director` and `wait`).
#[derive(Debug, Clone)]
pub struct Terminated {
    pub jobid: u32,
    pub job: String,
    pub name: String,
    pub job_type: JobType,
    pub level: JobLevel,
    pub status: JobStatus,
    pub files: u64,
    pub bytes: u64,
    pub end: DateTime<Local>,
}

/// The director's job registry.
#[derive(Debug, Default)]
pub struct JobManager {
    jobs: Mutex<HashMap<u32, Arc<JobControl>>>,
    terminated: Mutex<VecDeque<Terminated>>,
    /// Resources in use: ("dir"|"client:x"|"storage:x"|"job:x") → running count.
    in_use: Mutex<HashMap<String, u32>>,
    changed: Notify,
    seq: AtomicU64,
}

impl JobManager {
    pub fn new() -> Self {
        Self::default()
    }

    /// Start the `NN` counter at `n` (the highest JobId in the catalog), so a
    /// restarted director does not repeat the unique name of a job that a storage
    /// daemon may still hold.
    pub fn seed_seq(&self, n: u64) {
        self.seq.store(n, Ordering::Relaxed);
    }

    /// The `NN` of a unique job name (`Name.YYYY-MM-DD_HH.MM.SS_NN`).
    pub fn next_seq(&self) -> u64 {
        self.seq.fetch_add(1, Ordering::Relaxed) % 100
    }

    pub fn get(&self, jobid: u32) -> Option<Arc<JobControl>> {
        self.jobs.lock().ok().and_then(|j| j.get(&jobid).cloned())
    }

    /// Queued and running jobs, by JobId.
    pub fn active(&self) -> Vec<Arc<JobControl>> {
        let mut v: Vec<_> = self.jobs.lock().map(|j| j.values().cloned().collect()).unwrap_or_default();
        v.sort_by_key(|j| j.jobid);
        v
    }

    /// The last ended jobs, oldest first.
    pub fn terminated(&self) -> Vec<Terminated> {
        self.terminated.lock().map(|t| t.iter().cloned().collect()).unwrap_or_default()
    }

    fn register(&self, ctl: Arc<JobControl>) {
        if let Ok(mut j) = self.jobs.lock() {
            j.insert(ctl.jobid, ctl);
        }
    }

    fn finish(&self, ctl: &JobControl, status: JobStatus) {
        let spec = ctl.spec();
        if let Ok(mut j) = self.jobs.lock() {
            j.remove(&ctl.jobid);
        }
        if let Ok(mut t) = self.terminated.lock() {
            t.push_back(Terminated {
                jobid: ctl.jobid,
                job: ctl.job.clone(),
                name: spec.name.clone(),
                job_type: spec.job_type,
                level: spec.level,
                status,
                files: ctl.files.load(Ordering::Relaxed),
                bytes: ctl.bytes.load(Ordering::Relaxed),
                end: Local::now(),
            });
            while t.len() > 10 {
                t.pop_front();
            }
        }
        ctl.set_status(status);
        self.changed.notify_waiters();
    }

    /// Wait until no job is queued or running.
    pub async fn wait_idle(&self) {
        loop {
            let notified = self.changed.notified();
            if self.jobs.lock().map(|j| j.is_empty()).unwrap_or(true) {
                return;
            }
            notified.await;
        }
    }

    fn keys(spec: &JobSpec) -> Vec<String> {
        let mut k = vec!["dir".to_string(), format!("job:{}", spec.name)];
        if let Some(c) = &spec.client {
            k.push(format!("client:{c}"));
        }
        if let Some(s) = &spec.storage {
            k.push(format!("storage:{s}"));
        }
        k
    }

    /// Wait until every limit admits the job, then count it as running.
    async fn acquire(&self, state: &DirState, ctl: &JobControl) -> bool {
        loop {
            let notified = self.changed.notified();
            let spec = ctl.spec();
            let cfg = state.config();
            let limits: Vec<(String, u32, JobStatus)> = {
                let mut v = vec![("dir".to_string(), cfg.director.maximum_concurrent_jobs.max(1), JobStatus::WaitMaxJobs)];
                let jl = cfg.job(&spec.name).map(|j| j.maximum_concurrent_jobs.max(1)).unwrap_or(1);
                v.push((format!("job:{}", spec.name), jl, JobStatus::WaitJobRes));
                if let Some(c) = &spec.client {
                    let cl = cfg.client(c).map(|c| c.maximum_concurrent_jobs.max(1)).unwrap_or(1);
                    v.push((format!("client:{c}"), cl, JobStatus::WaitClientRes));
                }
                if let Some(s) = &spec.storage {
                    let sl = cfg.storage(s).map(|s| s.maximum_concurrent_jobs.max(1)).unwrap_or(1);
                    v.push((format!("storage:{s}"), sl, JobStatus::WaitStoreRes));
                }
                v
            };
            // Priority: a job waits while a job with a lower Priority number waits,
            // and while jobs of another priority run (unless both allow mixing).
            let mixed = |name: &str| cfg.job(name).is_some_and(|j| j.allow_mixed_priority);
            let others: Vec<Arc<JobControl>> = self.active().into_iter().filter(|j| j.jobid != ctl.jobid).collect();
            let higher_waiting = others.iter().any(|j| {
                let st = j.status();
                st != JobStatus::Running && st != JobStatus::WaitStartTime && !st.is_final() && j.spec().priority < spec.priority
            });
            let other_running = others.iter().any(|j| {
                let js = j.spec();
                j.status() == JobStatus::Running && js.priority != spec.priority && !(mixed(&spec.name) && mixed(&js.name))
            });
            if higher_waiting || other_running {
                if ctl.status() != JobStatus::WaitPriority {
                    ctl.set_status(JobStatus::WaitPriority);
                }
                tokio::select! {
                    _ = notified => {},
                    _ = ctl.cancel.cancelled() => return false,
                    _ = tokio::time::sleep(std::time::Duration::from_secs(1)) => {},
                }
                continue;
            }
            {
                let Ok(mut in_use) = self.in_use.lock() else { return false };
                let blocked = limits.iter().find(|(k, max, _)| in_use.get(k).copied().unwrap_or(0) >= *max);
                match blocked {
                    None => {
                        for (k, _, _) in &limits {
                            *in_use.entry(k.clone()).or_insert(0) += 1;
                        }
                        return true;
                    }
                    Some((_, _, st)) => {
                        if ctl.status() != *st {
                            ctl.set_status(*st);
                        }
                    }
                }
            }
            tokio::select! {
                _ = notified => {},
                _ = ctl.cancel.cancelled() => return false,
            }
        }
    }

    fn release(&self, spec: &JobSpec) {
        if let Ok(mut in_use) = self.in_use.lock() {
            for k in Self::keys(spec) {
                if let Some(n) = in_use.get_mut(&k) {
                    *n = n.saturating_sub(1);
                }
            }
        }
        self.changed.notify_waiters();
    }
}

/// Format a unique job name: `Name.YYYY-MM-DD_HH.MM.SS_NN` (spaces → `_`).
pub fn unique_name(name: &str, t: &DateTime<Local>, seq: u64) -> String {
    let clean: String = name.chars().map(|c| if c == ' ' { '_' } else { c }).collect();
    format!("{clean}.{}_{seq:02}", t.format("%Y-%m-%d_%H.%M.%S"))
}

/// Create the catalog Job row and queue the job. Returns its control block.
pub async fn submit(state: &Arc<DirState>, spec: JobSpec) -> Result<Arc<JobControl>, String> {
    submit_with(state, spec, SubmitOpts::default()).await
}

/// What a rescheduled job carries over to its new JobId.
#[derive(Debug, Clone, Copy, Default)]
pub struct SubmitOpts {
    pub reschedule_count: u32,
    /// The first job's scheduled time (`Max Run Sched Time` counts from it).
    pub initial_sched: Option<DateTime<Local>>,
}

/// [`submit`] with the reschedule state of an earlier run.
pub async fn submit_with(state: &Arc<DirState>, spec: JobSpec, opts: SubmitOpts) -> Result<Arc<JobControl>, String> {
    let cfg = state.config();
    let now = state.clock.now_local();
    let sched = spec.when.unwrap_or(now);
    let job = unique_name(&spec.name, &now, state.jobs.next_seq());
    let client = spec.client.clone();
    let pool = spec.pool.clone();
    let fileset = spec.fileset.clone();
    let new = cairn_catalog::NewJob {
        job: job.clone(),
        name: spec.name.clone(),
        jobtype: spec.job_type.code(),
        level: spec.level.code(),
        jobstatus: 'C',
        schedtime: sched.format("%Y-%m-%d %H:%M:%S").to_string(),
        jobtdate: sched.timestamp(),
        comment: spec.comment.clone(),
        ..Default::default()
    };
    let _ = &cfg;
    let jobid = state
        .catalog
        .call(move |c| -> Result<cairn_catalog::JobId, cairn_catalog::CatalogError> {
            let mut new = new;
            if let Some(cl) = &client {
                new.clientid = c.client_id(cl)?.unwrap_or(0);
            }
            if let Some(p) = &pool {
                new.poolid = c.pool_id(p)?.unwrap_or(0);
            }
            if let Some(f) = &fileset {
                new.filesetid = c.fileset_id(f)?.unwrap_or(0);
            }
            c.create_job(&new)
        })
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| e.to_string())?;
    let (tx, _rx) = watch::channel(JobStatus::Created);
    let ctl = Arc::new(JobControl {
        jobid: jobid.0,
        job,
        spec: Mutex::new(spec),
        sched_time: sched,
        start_time: Mutex::new(None),
        status: tx,
        files: AtomicU64::new(0),
        bytes: AtomicU64::new(0),
        cancel: CancellationToken::new(),
        volumes: Mutex::new(Vec::new()),
        sched_at: Mutex::new(sched),
        initial_sched: opts.initial_sched.unwrap_or(sched),
        reschedule_count: AtomicU32::new(opts.reschedule_count),
        run_started: watch::channel(None).0,
    });
    state.jobs.register(ctl.clone());
    // Bareos checks for duplicates when it sets the job up, before queueing it.
    control::check_duplicates(state, &ctl).await;
    // Jobs are started by the dispatcher task (see `dispatcher`), which keeps the
    // job task's type out of this function (run scripts may call `run`).
    if state.job_tx.send(ctl.clone()).is_err() {
        return Err("the director is shutting down".into());
    }
    Ok(ctl)
}

/// Start every submitted job on its own task.
pub async fn dispatcher(state: Arc<DirState>, mut rx: tokio::sync::mpsc::UnboundedReceiver<Arc<JobControl>>) {
    while let Some(ctl) = rx.recv().await {
        let st = state.clone();
        tokio::spawn(async move { drive(st, ctl).await });
    }
}

/// Run the job (again, after a reschedule) until it ends for good, then record
/// its end.
async fn drive(state: Arc<DirState>, ctl: Arc<JobControl>) {
    loop {
        let monitor = control::spawn_monitor(state.clone(), ctl.clone());
        let status = run_once(&state, &ctl).await;
        monitor.abort();
        if control::reschedule(&state, &ctl, status).await {
            continue;
        }
        state.jobs.finish(&ctl, status);
        return;
    }
}

/// Wait for the start time and the limits, run the job, write its report.
async fn run_once(state: &Arc<DirState>, ctl: &Arc<JobControl>) -> JobStatus {
    let spec = ctl.spec();
    let wait = (ctl.sched_at() - state.clock.now_local()).num_seconds();
    if wait > 0 && !ctl.cancel.is_cancelled() {
        ctl.set_status(JobStatus::WaitStartTime);
        let text = format!("Job {} waiting {wait} seconds for scheduled start time.\n", ctl.job);
        report::job_msg(state, ctl, cairn_types::MsgType::Info, &text).await;
        // Long waits sleep in steps (timers are limited to about two years).
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(wait.unsigned_abs());
        while !ctl.cancel.is_cancelled() && tokio::time::Instant::now() < deadline {
            let step = (tokio::time::Instant::now() + std::time::Duration::from_secs(86400)).min(deadline);
            tokio::select! {
                _ = tokio::time::sleep_until(step) => {},
                _ = ctl.cancel.cancelled() => {},
            }
        }
    }
    let acquired = !ctl.cancel.is_cancelled() && state.jobs.acquire(state, ctl).await;
    // A job cancelled while queued still "runs" to write its report, as in Bareos.
    let start = state.clock.now_local();
    if let Ok(mut t) = ctl.start_time.lock() {
        *t = Some(start);
    }
    if acquired {
        ctl.set_status(JobStatus::Running);
        state.jobs_run.fetch_add(1, Ordering::Relaxed);
    }
    control::check_start_limits(state, ctl, start).await;
    let st = if ctl.cancel.is_cancelled() {
        record_start(state, ctl, start).await;
        report::finish(state, ctl, JobStatus::Canceled, report::Counts::default()).await
    } else {
        let before_ok = runscript::run_director_scripts(state, ctl, runscript::Phase::Before, None).await;
        if !before_ok {
            report::job_msg(state, ctl, cairn_types::MsgType::Fatal, "A Before RunScript failed; the job is not run.\n").await;
            report::finish(state, ctl, JobStatus::FatalError, report::Counts::default()).await
        } else {
            // Bareos sets the start time again after the Before scripts; the run
            // time limits count from here.
            if let Ok(mut t) = ctl.start_time.lock() {
                *t = Some(state.clock.now_local());
            }
            if matches!(spec.job_type, JobType::Backup | JobType::Restore) {
                ctl.run_started.send_replace(Some(tokio::time::Instant::now()));
            }
            match spec.job_type {
                JobType::Backup => backup::run(state, ctl).await,
                JobType::Restore => restore::run(state, ctl).await,
                JobType::Admin => report::run_admin(state, ctl).await,
                other => {
                    report::job_msg(state, ctl, cairn_types::MsgType::Fatal, &format!("Job type {} is not supported by this version of Cairn yet.\n", other.long_name())).await;
                    report::finish(state, ctl, JobStatus::FatalError, report::Counts::default()).await
                }
            }
        }
    };
    // After scripts see the final status (%e); they run after the report, as in Bareos.
    let _ = runscript::run_director_scripts(state, ctl, runscript::Phase::After, Some(st)).await;
    if acquired {
        state.jobs.release(&ctl.spec());
    }
    st
}

/// Record the start time of a job that ends without running (Bareos updates the
/// start record of every job its job thread takes, cancelled or not).
async fn record_start(state: &Arc<DirState>, ctl: &JobControl, start: DateTime<Local>) {
    let jobid = ctl.jobid;
    let starttime = start.format("%Y-%m-%d %H:%M:%S").to_string();
    let jobtdate = start.timestamp();
    let r = state
        .catalog
        .call(move |c| -> Result<(), cairn_catalog::CatalogError> {
            let Some(row) = c.get_job(cairn_catalog::JobId(jobid))? else { return Ok(()) };
            c.update_job_start(&cairn_catalog::JobStart {
                jobid: cairn_catalog::JobId(jobid),
                jobstatus: JobStatus::Canceled.code(),
                level: row.level,
                starttime,
                jobtdate,
                clientid: row.clientid,
                poolid: row.poolid,
                filesetid: row.filesetid,
            })
        })
        .await;
    if let Ok(Err(e)) = r {
        tracing::warn!(jobid, "cannot record the start of the job: {e}");
    }
}

/// One line of what `cancel` prints for a job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CancelLine {
    /// `JobId N, Job X marked to be canceled.` (an info message).
    Info(String),
    /// A daemon's reply, relayed as is.
    Text(String),
    /// `Failed to connect to …`.
    Error(String),
}

impl CancelLine {
    pub fn text(&self) -> &str {
        match self {
            CancelLine::Info(t) | CancelLine::Text(t) | CancelLine::Error(t) => t,
        }
    }
}

/// Cancel a job (Bareos `CancelJob`): a job that has not started yet ends at
/// once (`A`); a running one gets the cancel forwarded to its file and storage
/// daemons, whose replies are returned for the console.
pub async fn cancel(state: &Arc<DirState>, ctl: &Arc<JobControl>) -> Vec<CancelLine> {
    let queued = ctl.is_queued();
    ctl.cancel.cancel();
    if queued {
        return vec![CancelLine::Info(format!("JobId {}, Job {} marked to be canceled.\n", ctl.jobid, ctl.job))];
    }
    let mut out = Vec::new();
    let spec = ctl.spec();
    let cfg = state.config();
    // Bareos talks to the daemons the job is connected to; a daemon that does not
    // know the job (yet, or any more) was not connected, so its reply is not shown.
    if let Some(c) = spec.client.as_deref().and_then(|c| cfg.client(c)) {
        match links::cancel_on_fd(&cfg, c, &ctl.job).await {
            Ok(r) if r.starts_with("2001") => out.push(CancelLine::Text(with_newline(r))),
            Ok(_) => {}
            Err(_) => {
                out.push(CancelLine::Error("\nFailed to connect to File daemon.\n".into()));
                return out;
            }
        }
    }
    if let Some(s) = spec.storage.as_deref().and_then(|s| cfg.storage(s)) {
        match links::cancel_on_sd(&cfg, s, &ctl.job).await {
            Ok(r) if r.starts_with("3000") => out.push(CancelLine::Text(with_newline(r))),
            Ok(_) => {}
            Err(_) => out.push(CancelLine::Error("Failed to connect to Storage daemon.\n".into())),
        }
    }
    out
}

fn with_newline(mut s: String) -> String {
    if !s.ends_with('\n') {
        s.push('\n');
    }
    s
}
