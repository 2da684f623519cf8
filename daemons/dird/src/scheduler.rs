//! The scheduler: fires the `Run =` lines of each job's Schedule on the
//! director's clock, and computes what `status scheduler` / `status director`
//! show as coming.
//!
//! The loop remembers the instant up to which it has looked. Each pass fires
//! every run in `(last, now]` that is at most [`GRACE_SECS`] late, then sleeps
//! until the next run (at most `tick`). Runs missed while the director was down,
//! or skipped over by a clock jump, are not fired (as Bareos, which drops a run
//! more than 59 s late); runs due in the minute before the director started are.
//! Disabled jobs, clients and schedules (config `Enabled` or `enable`/`disable`)
//! are skipped when the run is due; the configuration in force at that moment is
//! used, so a `reload` takes effect at the next pass.

use std::sync::Arc;
use std::time::Duration;

use cairn_config::schedule::{runs_between, RunSpec};
use cairn_config::{DirectorConfig, JobRes};
use cairn_types::{JobLevel, JobType};
use chrono::{DateTime, Local, TimeZone, Timelike};
use tokio_util::sync::CancellationToken;

use crate::jobs::{self, JobSpec, LevelPools, Trigger};
use crate::state::{DirState, ResKind};

/// How late (seconds) a run may be and still fire.
pub const GRACE_SECS: i64 = 60;

/// Run the scheduler until `token` is cancelled. `tick` bounds each sleep, so a
/// clock that jumps (a test's manual clock, a resumed VM) is noticed within `tick`.
pub async fn run(state: Arc<DirState>, tick: Duration, token: CancellationToken) {
    let mut last = state.clock.now_local() - chrono::Duration::seconds(GRACE_SECS);
    loop {
        let now = state.clock.now_local();
        if now > last {
            for (t, job, run) in due(&state, last, now) {
                if (now - t).num_seconds() > GRACE_SECS {
                    tracing::info!(job = %job, at = %t, "scheduled run missed (more than {GRACE_SECS}s late), not started");
                    continue;
                }
                fire(&state, &job, &run, t).await;
            }
            last = now;
        }
        // Sleep until the next run or for `tick`, whichever is sooner.
        let next = next_run_after(&state, now);
        let wait = next
            .map(|n| (n - now).to_std().unwrap_or(Duration::ZERO))
            .map(|d| d.min(tick))
            .unwrap_or(tick)
            .max(Duration::from_millis(10));
        tokio::select! {
            _ = token.cancelled() => return,
            _ = tokio::time::sleep(wait) => {}
        }
    }
}

/// Whether a job is fired by the scheduler: it has a schedule, and the job, the
/// schedule and its client are enabled (Bareos `IsAutomaticSchedulerJob`).
fn automatic(state: &DirState, job: &JobRes) -> bool {
    let Some(s) = &job.schedule else { return false };
    state.is_enabled(ResKind::Schedule, s)
        && state.is_enabled(ResKind::Job, &job.name)
        && job.client.as_deref().is_none_or(|c| state.is_enabled(ResKind::Client, c))
}

/// Runs in `(from, to]`: (time, job name, run line), by time then job order.
fn due(state: &DirState, from: DateTime<Local>, to: DateTime<Local>) -> Vec<(DateTime<Local>, String, RunSpec)> {
    let cfg = state.config();
    let mut out = Vec::new();
    let start = from + chrono::Duration::seconds(1);
    let end = to + chrono::Duration::seconds(1);
    for job in cfg.jobs.iter().filter(|j| automatic(state, j)) {
        let Some(sched) = job.schedule.as_deref().and_then(|s| cfg.schedule(s)) else { continue };
        for (t, i) in runs_between(&sched.runs_parsed, start, end, &Local) {
            if let Some(run) = sched.runs_parsed.get(i) {
                out.push((t, job.name.clone(), run.clone()));
            }
        }
    }
    out.sort_by_key(|(t, _, _)| *t);
    out
}

/// The next instant any automatic job runs after `now`.
fn next_run_after(state: &DirState, now: DateTime<Local>) -> Option<DateTime<Local>> {
    let cfg = state.config();
    cfg.jobs
        .iter()
        .filter(|j| automatic(state, j))
        .filter_map(|j| j.schedule.as_deref().and_then(|s| cfg.schedule(s)))
        .flat_map(|s| s.runs_parsed.iter().filter_map(|r| r.next_after(now, &Local)))
        .min()
}

/// Queue one scheduled run.
async fn fire(state: &Arc<DirState>, job_name: &str, run: &RunSpec, at: DateTime<Local>) {
    let cfg = state.config();
    let Some(job) = cfg.job(job_name) else { return };
    let spec = match spec_for_run(&cfg, job, run, at) {
        Ok(s) => s,
        Err(e) => {
            let msg = format!("{}: Scheduled job \"{job_name}\" not started: {e}\n", cfg.director.name);
            tracing::error!("{}", msg.trim_end());
            state.queue_console_message(msg);
            return;
        }
    };
    match jobs::submit(state, spec).await {
        Ok(ctl) => tracing::info!(job = %job_name, jobid = ctl.jobid, "scheduled job queued"),
        Err(e) => {
            let msg = format!("{}: Scheduled job \"{job_name}\" not started: {e}\n", cfg.director.name);
            tracing::error!("{}", msg.trim_end());
            state.queue_console_message(msg);
        }
    }
}

/// The job a Run line starts: the Job resource with the line's overrides applied
/// (Bareos `SetJcrFromRunResource` and `ApplyPoolOverrides`).
pub fn spec_for_run(cfg: &DirectorConfig, job: &JobRes, run: &RunSpec, at: DateTime<Local>) -> Result<JobSpec, String> {
    let level = match (job.job_type, run.level) {
        (JobType::Backup, Some(l)) => l,
        (JobType::Backup, None) => job.level.unwrap_or(JobLevel::Incremental),
        _ => JobLevel::None,
    };
    let mut level_pools = LevelPools::from_job(job);
    let run_level_pool = run.full_pool.is_some() || run.incremental_pool.is_some() || run.differential_pool.is_some();
    let tag = |p: &Option<String>, what: &str| p.clone().map(|p| (p, format!("Run {what} override")));
    if run.full_pool.is_some() {
        level_pools.full = tag(&run.full_pool, "FullPool");
    }
    if run.incremental_pool.is_some() {
        level_pools.incremental = tag(&run.incremental_pool, "IncPool");
    }
    if run.differential_pool.is_some() {
        level_pools.differential = tag(&run.differential_pool, "DiffPool");
    }
    let (pool, pool_source) = match (&run.pool, run_level_pool) {
        // A Run Pool alone wins over the level pools.
        (Some(p), false) => {
            level_pools = LevelPools::default();
            (p.clone(), "Run Pool override".to_string())
        }
        (p, _) => match level_pools.for_level(level) {
            Some((lp, src)) => (lp.clone(), src.clone()),
            None => match p {
                Some(p) => (p.clone(), "Run Pool override".to_string()),
                None => (job.pool.clone(), "Job resource".to_string()),
            },
        },
    };
    if job.job_type == JobType::Backup && cfg.pool(&pool).is_none() {
        return Err(format!("Pool \"{pool}\" not found"));
    }
    let (storage, storage_source) = match &run.storage {
        Some(s) => (Some(s.clone()), "run override".to_string()),
        None => match job.storage.first() {
            Some(s) => (Some(s.clone()), "Job resource".to_string()),
            None => (cfg.pool(&pool).and_then(|p| p.storage.first().cloned()), "Pool resource".to_string()),
        },
    };
    Ok(JobSpec {
        name: job.name.clone(),
        job_type: job.job_type,
        level,
        client: job.client.clone(),
        fileset: job.fileset.clone(),
        pool: Some(pool),
        pool_source,
        storage,
        storage_source,
        messages: Some(run.messages.clone().unwrap_or_else(|| job.messages.clone())),
        priority: run.priority.unwrap_or(job.priority),
        when: Some(at),
        comment: None,
        accurate: run.accurate.unwrap_or(job.accurate),
        restore: None,
        trigger: Trigger::Scheduler,
        level_pools,
    })
}

/// One line of `status director`'s "Scheduled Jobs".
#[derive(Debug, Clone)]
pub struct Upcoming {
    pub job: String,
    pub job_type: JobType,
    pub level: JobLevel,
    pub priority: u32,
    pub runtime: DateTime<Local>,
    /// The Run line's Pool override.
    pub run_pool: Option<String>,
    /// The pool the job would write to (for the volume column).
    pub pool: String,
    pub storage: Option<String>,
}

/// The next run of every Run line of every automatic job within `days` days
/// (as Bareos `ListScheduledJobs`, up to the end of the day `days` days ahead;
/// unlike Bareos, a run earlier in the current hour is not listed as coming),
/// sorted by time, then priority.
pub fn upcoming(state: &DirState, now: DateTime<Local>, days: u32) -> Vec<Upcoming> {
    let cfg = state.config();
    let end_day = now.date_naive() + chrono::Days::new(u64::from(days) + 1);
    let end = Local
        .from_local_datetime(&end_day.and_hms_opt(0, 0, 0).unwrap_or_default())
        .earliest()
        .unwrap_or(now + chrono::Duration::days(i64::from(days) + 1));
    let mut v = Vec::new();
    for job in cfg.jobs.iter().filter(|j| automatic(state, j)) {
        let Some(sched) = job.schedule.as_deref().and_then(|s| cfg.schedule(s)) else { continue };
        for run in &sched.runs_parsed {
            let Some(t) = run.next_after(now - chrono::Duration::seconds(1), &Local) else { continue };
            if t >= end {
                continue;
            }
            let spec = spec_for_run(&cfg, job, run, t).ok();
            v.push(Upcoming {
                job: job.name.clone(),
                job_type: job.job_type,
                level: spec.as_ref().map(|s| s.level).unwrap_or(JobLevel::None),
                priority: run.priority.unwrap_or(job.priority),
                runtime: t,
                run_pool: run.pool.clone(),
                pool: spec.as_ref().and_then(|s| s.pool.clone()).unwrap_or_else(|| job.pool.clone()),
                storage: spec.and_then(|s| s.storage),
            });
        }
    }
    v.sort_by(|a, b| a.runtime.cmp(&b.runtime).then(a.priority.cmp(&b.priority)));
    v
}

/// One entry of the `status scheduler` preview: a schedule's Run line firing.
#[derive(Debug, Clone)]
pub struct PreviewRun {
    pub runtime: DateTime<Local>,
    pub schedule: String,
    pub run: RunSpec,
}

/// What `status scheduler` looks at.
#[derive(Debug, Clone, Default)]
pub struct PreviewFilter {
    pub schedule: Option<String>,
    pub client: Option<String>,
    pub job: Option<String>,
}

/// The preview of Bareos's `status scheduler`: every hour from `start` (not
/// aligned) up to `stop`, each schedule's Run lines that trigger on that day and
/// hour, at their minute (runs before `start` left out). With `job=` only that job's schedule, with `client=`
/// the schedules of that client's jobs (once per job), else every enabled
/// schedule once.
pub fn preview(state: &DirState, start: DateTime<Local>, stop: DateTime<Local>, f: &PreviewFilter) -> Vec<PreviewRun> {
    let cfg = state.config();
    let sched_on = |name: &str| state.is_enabled(ResKind::Schedule, name);
    // The schedules to walk, in order (a schedule may appear once per job).
    let mut scheds: Vec<&cairn_config::ScheduleRes> = Vec::new();
    if let Some(jn) = &f.job {
        if let Some(job) = cfg.job(jn) {
            if automatic(state, job) {
                scheds.extend(job.schedule.as_deref().and_then(|s| cfg.schedule(s)));
            }
        }
    } else if let Some(cl) = &f.client {
        for job in cfg.jobs.iter().filter(|j| j.client.as_deref() == Some(cl.as_str()) && automatic(state, j)) {
            if let Some(s) = job.schedule.as_deref().and_then(|s| cfg.schedule(s)) {
                if f.schedule.as_ref().is_none_or(|n| *n == s.name) {
                    scheds.push(s);
                }
            }
        }
    } else {
        scheds.extend(cfg.schedules.iter().filter(|s| sched_on(&s.name) && f.schedule.as_ref().is_none_or(|n| *n == s.name)));
    }
    let mut out = Vec::new();
    let mut t = start;
    while t < stop {
        let wall = t.naive_local();
        for s in &scheds {
            for run in &s.runs_parsed {
                if run.matches_hour(wall) {
                    let at = wall.with_minute(run.minute).and_then(|w| w.with_second(0)).unwrap_or(wall);
                    let runtime = Local.from_local_datetime(&at).earliest().unwrap_or(t);
                    // Bareos also lists the current hour's run when its minute has
                    // passed; a preview of what is coming leaves it out.
                    if runtime < start {
                        continue;
                    }
                    out.push(PreviewRun { runtime, schedule: s.name.clone(), run: run.clone() });
                }
            }
        }
        t += chrono::Duration::hours(1);
    }
    out
}

/// The "Overrides" column of the preview.
pub fn overrides_text(run: &RunSpec) -> String {
    let mut parts = Vec::new();
    if let Some(l) = run.level {
        parts.push(format!("Level={}", l.long_name()));
    }
    if let Some(p) = run.priority {
        parts.push(format!("Priority={p}"));
    }
    if let Some(s) = run.spool_data {
        parts.push(format!("Spool Data={}", u8::from(s)));
    }
    if let Some(a) = run.accurate {
        parts.push(format!("Accurate={}", u8::from(a)));
    }
    if let Some(p) = &run.pool {
        parts.push(format!("Pool={p}"));
    }
    if let Some(s) = &run.storage {
        parts.push(format!("Storage={s}"));
    }
    if let Some(m) = &run.messages {
        parts.push(format!("Messages={m}"));
    }
    parts.join(" ")
}
