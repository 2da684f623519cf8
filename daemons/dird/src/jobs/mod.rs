//! Jobs: the queue and per-job state machine. A job is created in the catalog
//! (status `C`), waits for its concurrency limits (director, client, storage,
//! job resource `Maximum Concurrent Jobs`), runs as its own task, and ends with a
//! final status, the catalog Job row updated and Bareos's end-of-job report in
//! its log.

pub mod backup;
pub mod fileset;
pub mod links;
pub mod report;
pub mod restore;
pub mod runscript;

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
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
    });
    state.jobs.register(ctl.clone());
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

/// Wait for the start time and the limits, run the job, record its end.
async fn drive(state: Arc<DirState>, ctl: Arc<JobControl>) {
    let spec = ctl.spec();
    if let Some(when) = spec.when {
        let wait = (when - state.clock.now_local()).num_seconds();
        if wait > 0 {
            ctl.set_status(JobStatus::WaitStartTime);
            tokio::select! {
                _ = tokio::time::sleep(std::time::Duration::from_secs(wait as u64)) => {},
                _ = ctl.cancel.cancelled() => {},
            }
        }
    }
    let status = if ctl.cancel.is_cancelled() || !state.jobs.acquire(&state, &ctl).await {
        report::cancelled_before_start(&state, &ctl).await;
        JobStatus::Canceled
    } else {
        ctl.set_status(JobStatus::Running);
        if let Ok(mut t) = ctl.start_time.lock() {
            *t = Some(state.clock.now_local());
        }
        state.jobs_run.fetch_add(1, Ordering::Relaxed);
        let before_ok = runscript::run_director_scripts(&state, &ctl, runscript::Phase::Before, None).await;
        let st = if !before_ok {
            report::job_msg(&state, &ctl, cairn_types::MsgType::Fatal, "A Before RunScript failed; the job is not run.\n").await;
            report::finish(&state, &ctl, JobStatus::FatalError, report::Counts::default()).await
        } else {
            match spec.job_type {
                JobType::Backup => backup::run(&state, &ctl).await,
                JobType::Restore => restore::run(&state, &ctl).await,
                JobType::Admin => report::run_admin(&state, &ctl).await,
                other => {
                    report::job_msg(&state, &ctl, cairn_types::MsgType::Fatal, &format!("Job type {} is not supported by this version of Cairn yet.\n", other.long_name())).await;
                    report::finish(&state, &ctl, JobStatus::FatalError, report::Counts::default()).await
                }
            }
        };
        // After scripts see the final status (%e); they run after the report, as in Bareos.
        let _ = runscript::run_director_scripts(&state, &ctl, runscript::Phase::After, Some(st)).await;
        state.jobs.release(&ctl.spec());
        st
    };
    state.jobs.finish(&ctl, status);
}

/// Cancel a job: queued jobs end at once; running jobs get the cancel forwarded to
/// their daemons and end as `A`.
pub async fn cancel(state: &Arc<DirState>, ctl: &Arc<JobControl>) {
    ctl.cancel.cancel();
    let spec = ctl.spec();
    if ctl.status() == JobStatus::Running {
        let cfg = state.config();
        if let Some(c) = spec.client.as_deref().and_then(|c| cfg.client(c)) {
            let _ = links::cancel_on_fd(&cfg, c, &ctl.job).await;
        }
        if let Some(s) = spec.storage.as_deref().and_then(|s| cfg.storage(s)) {
            let _ = links::cancel_on_sd(&cfg, s, &ctl.job).await;
        }
    }
}
