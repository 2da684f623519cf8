//! Job control around the queue, as Bareos's `job.cc` and `jobq.cc` do it:
//! duplicate-job rules (`Allow Duplicate Jobs` and the `Cancel … Duplicates`
//! directives), the time limits (`Max Start Delay`, `Max Run Sched Time`,
//! `Max Run Time` and its per-level variants, `Max Wait Time`) and
//! `Reschedule On Error`.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use cairn_types::{JobLevel, JobStatus, JobType, MsgType};
use chrono::{DateTime, Local};
use tokio::time::Instant;

use super::{report, JobControl, SubmitOpts};
use crate::state::DirState;

/// Bareos `AllowDuplicateJob`, run when a job is set up (and when it is
/// rescheduled): with `Allow Duplicate Jobs = no`, another queued or running job
/// of the same Job resource either makes this job cancel itself or is cancelled
/// (`Cancel Lower Level Duplicates`, `Cancel Queued Duplicates`,
/// `Cancel Running Duplicates`). The cancelled job ends `A` with the usual report.
pub async fn check_duplicates(state: &Arc<DirState>, ctl: &Arc<JobControl>) {
    let cfg = state.config();
    let spec = ctl.spec();
    let Some(job) = cfg.job(&spec.name) else { return };
    if job.allow_duplicate_jobs {
        return;
    }
    for dup in state.jobs.active() {
        if dup.jobid == ctl.jobid {
            continue;
        }
        let dspec = dup.spec();
        if dspec.name != spec.name {
            continue;
        }
        let mut cancel_dup = false;
        if job.cancel_lower_level_duplicates && dspec.job_type == JobType::Backup && spec.job_type == JobType::Backup {
            let mut cancel_me = false;
            match spec.level {
                JobLevel::Full => {
                    if matches!(dspec.level, JobLevel::Differential | JobLevel::Incremental) {
                        cancel_dup = true;
                    }
                }
                JobLevel::Differential => {
                    if dspec.level == JobLevel::Incremental {
                        cancel_dup = true;
                    }
                    if dspec.level == JobLevel::Full {
                        cancel_me = true;
                    }
                }
                JobLevel::Incremental => {
                    if matches!(dspec.level, JobLevel::Full | JobLevel::Differential) {
                        cancel_me = true;
                    }
                }
                _ => {}
            }
            if cancel_me {
                cancel_self(state, ctl, dup.jobid).await;
                return;
            }
        }
        if job.cancel_queued_duplicates && dup.is_queued() {
            cancel_dup = true;
        }
        if cancel_dup || job.cancel_running_duplicates {
            report::job_msg(state, ctl, MsgType::Info, &format!("Cancelling duplicate JobId={}.\n", dup.jobid)).await;
            // Bareos cancels through a console context without a console: what
            // the cancel prints goes to this job's log.
            for line in super::cancel(state, &dup).await {
                report::job_msg(state, ctl, MsgType::Info, line.text()).await;
            }
        } else {
            cancel_self(state, ctl, dup.jobid).await;
        }
        return;
    }
}

async fn cancel_self(state: &Arc<DirState>, ctl: &Arc<JobControl>, other: u32) {
    ctl.cancel.cancel();
    report::job_msg(state, ctl, MsgType::Fatal, &format!("JobId {other} already running. Duplicate job not allowed.\n")).await;
}

/// The checks Bareos makes when a job thread starts: `Max Start Delay` (from
/// the scheduled time to now) and `Max Run Sched Time` (from the first
/// scheduled time). An exceeded limit cancels the job before it does anything.
pub async fn check_start_limits(state: &Arc<DirState>, ctl: &Arc<JobControl>, start: DateTime<Local>) {
    let cfg = state.config();
    let Some(job) = cfg.job(&ctl.spec().name) else { return };
    if let Some(delay) = job.max_start_delay.filter(|d| *d > 0)
        && i64::try_from(delay).unwrap_or(i64::MAX) < (start - ctl.sched_at()).num_seconds()
    {
        ctl.cancel.cancel();
        report::job_msg(state, ctl, MsgType::Fatal, "Job canceled because max start delay time exceeded.\n").await;
    }
    if let Some(limit) = job.max_run_sched_time.filter(|d| *d > 0)
        && !ctl.cancel.is_cancelled()
        && (start - ctl.initial_sched).num_seconds() >= i64::try_from(limit).unwrap_or(i64::MAX)
    {
        ctl.cancel.cancel();
        report::job_msg(state, ctl, MsgType::Fatal, "Job canceled because max run sched time exceeded.\n").await;
    }
}

/// Statuses in which a started job counts as waiting (`Max Wait Time`).
pub(crate) fn is_waiting(s: JobStatus) -> bool {
    matches!(
        s,
        JobStatus::WaitFd
            | JobStatus::WaitSd
            | JobStatus::WaitMedia
            | JobStatus::WaitMount
            | JobStatus::WaitStoreRes
            | JobStatus::WaitJobRes
            | JobStatus::WaitClientRes
            | JobStatus::WaitMaxJobs
            | JobStatus::WaitPriority
    )
}

/// The run time limit for a level: the level's own `… Max Runtime` and
/// `Max Run Time`, whichever is shorter (Bareos `JobCheckMaxruntime`).
fn run_limit(job: &cairn_config::JobRes, level: JobLevel) -> Option<u64> {
    let level_limit = match level {
        JobLevel::Full => job.full_max_runtime,
        JobLevel::Differential => job.differential_max_runtime,
        JobLevel::Incremental => job.incremental_max_runtime,
        _ => None,
    };
    shorter(level_limit, job.max_run_time)
}

/// The shorter of two optional limits (0 = no limit).
fn shorter(a: Option<u64>, b: Option<u64>) -> Option<u64> {
    match (a.filter(|v| *v > 0), b.filter(|v| *v > 0)) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

fn secs(v: u64) -> Duration {
    Duration::from_secs(v)
}

fn earliest(a: Option<Instant>, b: Instant) -> Option<Instant> {
    Some(a.map_or(b, |a| a.min(b)))
}

/// Watch one run of a job (Bareos's job monitor watchdog) and cancel it with
/// Bareos's fatal message when `Max Wait Time`, `Max Run Time` (or its level
/// variant) or `Max Run Sched Time` is exceeded. Ends with the job run.
pub fn spawn_monitor(state: Arc<DirState>, ctl: Arc<JobControl>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move { monitor(state, ctl).await })
}

async fn monitor(state: Arc<DirState>, ctl: Arc<JobControl>) {
    let cfg = state.config();
    let Some(job) = cfg.job(&ctl.spec().name).cloned() else { return };
    let max_wait = job.max_wait_time.filter(|v| *v > 0);
    let max_sched = job.max_run_sched_time.filter(|v| *v > 0);
    let level_limits = [job.full_max_runtime, job.incremental_max_runtime, job.differential_max_runtime]
        .iter()
        .any(|v| v.is_some_and(|v| v > 0));
    if max_wait.is_none() && max_sched.is_none() && !level_limits && job.max_run_time.is_none_or(|v| v == 0) {
        return;
    }
    let mut status_rx = ctl.status.subscribe();
    let mut run_rx = ctl.run_started.subscribe();
    let mut wait_sum = Duration::ZERO;
    let mut wait_since: Option<Instant> = None;
    loop {
        if ctl.cancel.is_cancelled() || ctl.status().is_final() {
            return;
        }
        let now = Instant::now();
        let started = *run_rx.borrow_and_update();
        let status = *status_rx.borrow_and_update();
        let waiting = started.is_some() && is_waiting(status);
        match (waiting, wait_since) {
            (true, None) => wait_since = Some(now),
            (false, Some(t)) => {
                wait_sum += now - t;
                wait_since = None;
            }
            _ => {}
        }
        let mut next: Option<Instant> = None;
        if let (Some(limit), Some(since)) = (max_wait, wait_since) {
            let used = wait_sum + (now - since);
            if used >= secs(limit) {
                return exceeded(&state, &ctl, "Max wait time exceeded. Job canceled.\n").await;
            }
            next = earliest(next, now + (secs(limit) - used));
        }
        if let Some(start) = started
            && let Some(limit) = run_limit(&job, ctl.spec().level)
        {
            if now - start >= secs(limit) {
                return exceeded(&state, &ctl, "Max run time exceeded. Job canceled.\n").await;
            }
            next = earliest(next, start + secs(limit));
            if level_limits {
                // The level may still be upgraded (Incremental → Full).
                next = earliest(next, now + Duration::from_secs(1));
            }
        }
        if let Some(limit) = max_sched {
            let elapsed = (state.clock.now_local() - ctl.initial_sched).num_seconds();
            let limit_i = i64::try_from(limit).unwrap_or(i64::MAX);
            if elapsed >= limit_i {
                return exceeded(&state, &ctl, "Max run sched time exceeded. Job canceled.\n").await;
            }
            next = earliest(next, now + secs((limit_i - elapsed).unsigned_abs()));
        }
        tokio::select! {
            r = status_rx.changed() => if r.is_err() { return },
            r = run_rx.changed() => if r.is_err() { return },
            _ = ctl.cancel.cancelled() => return,
            _ = tokio::time::sleep_until(next.unwrap_or(now)), if next.is_some() => {},
        }
    }
}

async fn exceeded(state: &Arc<DirState>, ctl: &Arc<JobControl>, text: &str) {
    report::job_msg(state, ctl, MsgType::Fatal, text).await;
    let _ = super::cancel(state, ctl).await;
}

/// Bareos `RescheduleJob`: a Backup job that failed (not cancelled) with
/// `Reschedule On Error = yes` runs again after `Reschedule Interval`, up to
/// `Reschedule Times` times (0 = without limit). A job that wrote nothing runs
/// again under the same JobId (returns true: the caller runs it again); one that
/// wrote data is queued as a new job. Returns false when the job has ended.
pub async fn reschedule(state: &Arc<DirState>, ctl: &Arc<JobControl>, status: JobStatus) -> bool {
    let cfg = state.config();
    let spec = ctl.spec();
    let Some(job) = cfg.job(&spec.name) else { return false };
    let count = ctl.reschedule_count.load(Ordering::Relaxed);
    if !(job.reschedule_times == 0 || count < job.reschedule_times) {
        return false;
    }
    if !(job.reschedule_on_error
        && !status.is_ok()
        && status != JobStatus::Canceled
        && spec.job_type == JobType::Backup)
    {
        return false;
    }
    let count = count + 1;
    ctl.reschedule_count.store(count, Ordering::Relaxed);
    let now = state.clock.now_local();
    let interval = job.reschedule_interval;
    let then = now + chrono::Duration::seconds(i64::try_from(interval).unwrap_or(i64::MAX / 1000));
    let text = format!(
        "Rescheduled Job {} at {} to re-run in {} seconds ({}).\n",
        ctl.job,
        now.format("%d-%b-%Y %H:%M"),
        interval,
        then.format("%d-%b-%Y %H:%M")
    );
    report::job_msg(state, ctl, MsgType::Info, &text).await;
    if ctl.bytes.load(Ordering::Relaxed) == 0 {
        // Nothing written: the same JobId runs again.
        ctl.files.store(0, Ordering::Relaxed);
        if let Ok(mut v) = ctl.volumes.lock() {
            v.clear();
        }
        if let Ok(mut t) = ctl.start_time.lock() {
            *t = None;
        }
        ctl.run_started.send_replace(None);
        ctl.set_sched_at(then);
        ctl.set_status(JobStatus::WaitStartTime);
        let jobid = ctl.jobid;
        let code = JobStatus::WaitStartTime.code();
        let r = state.catalog.call(move |c| c.set_job_status(cairn_catalog::JobId(jobid), code)).await;
        if let Ok(Err(e)) = r {
            tracing::warn!(jobid, "cannot record the rescheduled job's status: {e}");
        }
        check_duplicates(state, ctl).await;
        return true;
    }
    // Data was written: a new job (new JobId) runs the same parameters.
    let mut again = spec;
    again.when = Some(then);
    let opts = SubmitOpts { reschedule_count: count, initial_sched: Some(ctl.initial_sched) };
    if let Err(e) = super::submit_with(state, again, opts).await {
        report::job_msg(state, ctl, MsgType::Error, &format!("Could not reschedule the job: {e}\n")).await;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shorter_set_limit_applies() {
        assert_eq!(shorter(None, None), None);
        assert_eq!(shorter(Some(0), None), None);
        assert_eq!(shorter(None, Some(100)), Some(100));
        assert_eq!(shorter(Some(50), Some(100)), Some(50));
        assert_eq!(shorter(Some(500), Some(100)), Some(100));
        assert_eq!(shorter(Some(500), Some(0)), Some(500));
    }
}
