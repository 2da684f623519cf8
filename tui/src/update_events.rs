//! The reducer's half of the event stream ([`crate::events`]): which stream
//! to ask for (again after every reconnection, and whenever the trace panes
//! change), and what each event changes. Job status and progress update the
//! dashboard's running jobs at once; `joblog` lines are appended to the
//! followed job's log, which is then no longer polled. The polls of
//! [`crate::update`] stay as the fallback: they run whenever no stream is up.

use crate::action::{Effect, LinkState, Query};
use crate::events::{DirEvent, JobEvent, args_for, spec_of};
use crate::model::{JobState, LogEntry, RunningJob, TerminatedJob};
use crate::state::{Poll, Sample, State};
use crate::update::{poll, reclamp, say, set_log_active};

/// `joblog` lines kept while the followed job's full log is being fetched.
const LOG_PENDING_MAX: usize = 10_000;
/// How far back a buffered line is looked for in a fetched log (duplicates).
const MERGE_WINDOW: usize = 1_000;

/// The `.events` arguments the state wants now: the trace panes' daemons,
/// or `trace=no` while the director refuses exactly that list.
pub fn wanted_args(state: &State) -> String {
    let spec = state.trace.spec();
    match &state.events.refused_trace {
        Some((refused, _)) if *refused == spec => args_for("no"),
        _ => args_for(&spec),
    }
}

/// After every action: ask the worker for the stream the state wants when
/// that is not what was asked last (first connection, reconnection, panes
/// opened or closed).
pub(crate) fn sync(state: &mut State, fx: &mut Vec<Effect>) {
    if !state.events.connected() || state.events.unsupported {
        return;
    }
    let want = wanted_args(state);
    if state.events.requested.as_deref() != Some(want.as_str()) {
        state.events.requested = Some(want.clone());
        fx.push(Effect::Events(want));
    }
}

/// Does the followed job's log arrive as events (so it is not polled)?
pub fn log_streamed(state: &State) -> bool {
    state.events.streaming()
}

pub(crate) fn on_link(state: &mut State, ls: LinkState) {
    let was = state.events.connected();
    state.events.link = ls;
    let now = state.events.connected();
    if now != was {
        // A new connection has no stream yet; `sync` asks for one when it is up.
        state.events.requested = None;
        state.events.active = None;
        state.events.trace_daemons.clear();
        if now {
            // It may be another director (or the same, upgraded): try again.
            state.events.unsupported = false;
        }
        state.dirty = true;
    }
}

pub(crate) fn on_event(state: &mut State, ev: DirEvent, fx: &mut Vec<Effect>) {
    state.events.received += 1;
    match ev {
        DirEvent::Subscribed { args, trace_daemons } => {
            let spec = spec_of(&args);
            if spec != "no" {
                state.events.refused_trace = None;
            }
            state.events.active = Some(args);
            state.events.trace_daemons = trace_daemons;
            // Lines logged before the stream started are only in the catalog.
            refetch_followed_log(state, fx);
            state.dirty = true;
        }
        DirEvent::Refused { args, error } => {
            state.events.active = None;
            let spec = spec_of(&args);
            if spec == "no" {
                // No event stream on this director: the polls carry on, silently.
                state.events.unsupported = true;
            } else {
                say(state, format!("Trace not available: {error}"), true);
                state.events.refused_trace = Some((spec, error));
            }
            state.dirty = true;
        }
        DirEvent::Job(j) => on_job(state, j, fx),
        DirEvent::Progress { jobid, files, bytes, .. } => on_progress(state, jobid, files, bytes),
        DirEvent::Ended { jobid, status, files, bytes } => on_ended(state, jobid, status, files, bytes, fx),
        DirEvent::JobLog { jobid, time, text, .. } => on_joblog(state, jobid, LogEntry { time, text }),
        DirEvent::Trace(line) => crate::update_trace::on_trace_line(state, line),
        DirEvent::TraceError { kind, name, error } => crate::update_trace::on_trace_error(state, &kind, &name, &error),
        DirEvent::Lagged { dropped, kind, name } => {
            let director_side = name.is_none();
            crate::update_trace::on_lagged(state, dropped, kind.as_deref(), name.as_deref());
            if director_side {
                // Job events or log lines may be among the lost ones.
                refetch_followed_log(state, fx);
                poll(state, Poll::Status, Query::StatusDirector, fx);
            }
        }
        DirEvent::Other(_) => {}
    }
}

/// Fetch the followed running job's log once (what the stream may have missed).
fn refetch_followed_log(state: &mut State, fx: &mut Vec<Effect>) {
    if let Some(id) = state.log.jobid
        && state.log.loaded
        && state.log.active
        && state.connected()
    {
        poll(state, Poll::Log, Query::JobLog(id), fx);
    }
}

/// `F` → `Full` …, cut like `status director` does (7 characters for running
/// jobs, 4 for terminated ones).
fn level_word(code: &str, width: usize) -> String {
    let w = match code {
        "F" => "Full",
        "I" => "Incremental",
        "D" => "Differential",
        "S" => "Since",
        "C" => "Verify Catalog",
        "V" => "Verify Init Catalog",
        "O" => "Verify Volume to Catalog",
        "d" => "Verify Disk to Catalog",
        "A" => "Verify Data",
        "B" => "Base",
        "f" => "Virtual Full",
        _ => "",
    };
    w.chars().take(width).collect()
}

/// `B` → `Backup` …
fn type_word(code: &str) -> String {
    match code {
        "B" => "Backup",
        "M" => "Migrated Job",
        "V" => "Verify",
        "R" => "Restore",
        "U" => "Console",
        "I" => "System or Console",
        "D" => "Admin",
        "A" => "Archive",
        "C" => "Job Copy",
        "c" => "Copy",
        "g" => "Migrate",
        "S" => "Scan",
        "O" => "Consolidate",
        other => other,
    }
    .to_string()
}

/// Admin, Archive and Restore jobs have no level.
fn has_level(type_code: &str) -> bool {
    !matches!(type_code, "D" | "A" | "R")
}

/// The word `status director` shows for a terminated job's status code.
fn terminated_word(code: &str) -> &'static str {
    match code {
        "T" => "OK",
        "W" => "OK -- with warnings",
        "E" | "f" => "Error",
        "D" => "Diffs",
        "A" => "Cancel",
        "C" => "Created",
        _ => "Other",
    }
}

fn on_job(state: &mut State, j: JobEvent, fx: &mut Vec<Effect>) {
    let active = JobState::from_code(&j.status).is_active();
    let mut new_job = false;
    if let Some(st) = state.dashboard.status.as_mut() {
        match st.running.iter_mut().find(|r| r.jobid == j.jobid) {
            Some(r) => {
                if !j.status_text.is_empty() {
                    r.status = j.status_text.clone();
                }
            }
            None if active => {
                st.running.push(RunningJob {
                    jobid: j.jobid,
                    name: if j.job.is_empty() { j.name.clone() } else { j.job.clone() },
                    level: if has_level(&j.job_type) { level_word(&j.level, 7) } else { String::new() },
                    job_type: type_word(&j.job_type),
                    status: j.status_text.clone(),
                    start_time: String::new(),
                    files: 0,
                    bytes: 0,
                });
                st.header.jobs_running = st.running.len() as u64;
                new_job = true;
            }
            None => {}
        }
    }
    match state.jobs.all.as_mut().and_then(|all| all.iter_mut().find(|r| r.jobid == j.jobid)) {
        Some(row) => row.status = j.status.clone(),
        None => new_job |= active,
    }
    if new_job {
        // The history gets the new job (and its exact start time).
        poll(state, Poll::Jobs, Query::ListJobs, fx);
    }
    if state.log.jobid == Some(j.jobid) {
        if state.log.job_name.is_empty() {
            state.log.job_name = j.name.clone();
        }
        set_log_active(state, j.jobid, active, fx);
    }
    reclamp(state);
    state.dirty = true;
}

/// A transfer-rate sample, as the status poll takes them (one per second).
fn sample(prev: Option<Sample>, now: chrono::NaiveDateTime, bytes: u64) -> Sample {
    match prev {
        Some(p) if now > p.at && bytes >= p.bytes => {
            let dt = (now - p.at).num_milliseconds() as f64 / 1000.0;
            Sample { at: now, bytes, rate: Some((bytes - p.bytes) as f64 / dt) }
        }
        Some(p) if now <= p.at => p,
        _ => Sample { at: now, bytes, rate: None },
    }
}

fn on_progress(state: &mut State, jobid: u32, files: u64, bytes: u64) {
    let Some(r) = state.dashboard.status.as_mut().and_then(|st| st.running.iter_mut().find(|r| r.jobid == jobid))
    else {
        return;
    };
    if (r.files, r.bytes) == (files, bytes) {
        return;
    }
    r.files = files;
    r.bytes = bytes;
    let s = sample(state.dashboard.samples.get(&jobid).copied(), state.now, bytes);
    state.dashboard.samples.insert(jobid, s);
    state.dirty = true;
}

fn on_ended(
    state: &mut State,
    jobid: u32,
    status: Option<String>,
    files: Option<u64>,
    bytes: Option<u64>,
    fx: &mut Vec<Effect>,
) {
    let finished = state.now.format("%d-%b-%y %H:%M").to_string();
    let row_name = state.jobs.all.as_ref().and_then(|a| a.iter().find(|r| r.jobid == jobid)).map(|r| r.name.clone());
    if let Some(st) = state.dashboard.status.as_mut() {
        let removed = st.running.iter().position(|r| r.jobid == jobid).map(|i| st.running.remove(i));
        st.header.jobs_running = st.running.len() as u64;
        if let Some(code) = &status
            && !st.terminated.iter().any(|t| t.jobid == jobid)
        {
            let name = removed.as_ref().map(|r| r.job_name().to_string()).or(row_name).unwrap_or_default();
            let level = removed.as_ref().map(|r| r.level.chars().take(4).collect()).unwrap_or_default();
            st.terminated.push(TerminatedJob {
                jobid,
                name,
                level,
                job_type: removed.as_ref().map(|r| r.job_type.clone()).unwrap_or_default(),
                status: terminated_word(code).to_string(),
                files: files.or(removed.as_ref().map(|r| r.files)).unwrap_or(0),
                bytes: bytes.or(removed.as_ref().map(|r| r.bytes)).unwrap_or(0),
                finished,
            });
        }
    }
    state.dashboard.samples.remove(&jobid);
    if let (Some(code), Some(row)) =
        (&status, state.jobs.all.as_mut().and_then(|all| all.iter_mut().find(|r| r.jobid == jobid)))
    {
        row.status = code.clone();
    }
    set_log_active(state, jobid, false, fx);
    // Final numbers, end time and status from the catalog.
    poll(state, Poll::Jobs, Query::ListJobs, fx);
    reclamp(state);
    state.dirty = true;
}

fn on_joblog(state: &mut State, jobid: u32, entry: LogEntry) {
    if state.log.jobid != Some(jobid) {
        return;
    }
    if !state.log.loaded || state.pending.contains(&Query::JobLog(jobid)) {
        // The full log is on its way: merged with it when it comes.
        let p = &mut state.events.log_pending;
        p.push((jobid, entry));
        if p.len() > LOG_PENDING_MAX {
            p.remove(0);
        }
        return;
    }
    state.log.entries.push(entry);
    state.dirty = true;
}

/// Add the `joblog` lines of job `id` that arrived while its log was being
/// fetched to the fetched `entries` (those already there are skipped);
/// buffered lines of other jobs are dropped.
pub(crate) fn merge_log_pending(id: u32, entries: &mut Vec<LogEntry>, pending: &mut Vec<(u32, LogEntry)>) {
    for (jobid, e) in std::mem::take(pending) {
        if jobid != id {
            continue;
        }
        let from = entries.len().saturating_sub(MERGE_WINDOW);
        if !entries[from..].contains(&e) {
            entries.push(e);
        }
    }
}

#[cfg(test)]
#[path = "update_events_tests.rs"]
mod tests;
