//! Job messages, the end of a job (catalog update) and Bareos's end-of-job report.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use cairn_catalog::JobId;
use cairn_types::{JobLevel, JobStatus, JobType, MsgType};
use chrono::{DateTime, Local};

use super::JobControl;
use crate::msgs;
use crate::state::DirState;
use crate::ua::output::with_commas;
use crate::ua::status::with_suffix;

/// Counters gathered from the daemons.
#[derive(Debug, Clone, Default)]
pub struct Counts {
    pub fd_files: u64,
    pub fd_bytes: u64,
    pub read_bytes: u64,
    pub fd_errors: u64,
    pub sd_files: u64,
    pub sd_bytes: u64,
    pub sd_errors: u64,
    pub fd_status: Option<char>,
    pub sd_status: Option<char>,
    pub vol_session_id: u32,
    pub vol_session_time: i64,
    pub volumes: Vec<String>,
    pub last_vol_bytes: u64,
    pub device: String,
    /// ` (upgraded from Incremental)` when the level was upgraded.
    pub level_note: String,
    pub client_uname: String,
    pub fileset_created: String,
}

fn messages_for<'a>(cfg: &'a cairn_config::DirectorConfig, ctl: &JobControl) -> Option<&'a cairn_config::MessagesRes> {
    let spec = ctl.spec();
    let name = spec.messages.or_else(|| cfg.job(&spec.name).map(|j| j.messages.clone()))?;
    cfg.messages_res(&name)
}

/// A message of the director about a job.
pub async fn job_msg(state: &Arc<DirState>, ctl: &JobControl, ty: MsgType, text: &str) {
    let cfg = state.config();
    let line = msgs::format_job_line(&cfg.director.name, ctl.jobid, ty, text);
    msgs::deliver(state, messages_for(&cfg, ctl), ctl.jobid, ty, &line).await;
}

/// A message a daemon (`bareos-fd`, `File-sd` …) sent about a job.
pub async fn daemon_msg(state: &Arc<DirState>, ctl: &JobControl, daemon: &str, code: u32, text: &str) {
    let cfg = state.config();
    let ty = msgs::msg_type_of(code);
    let line = if cairn_proto::msg::is_job_line(text) {
        let mut t = text.to_string();
        if !t.ends_with('\n') {
            t.push('\n');
        }
        t
    } else {
        msgs::format_job_line(daemon, ctl.jobid, ty, text)
    };
    msgs::deliver(state, messages_for(&cfg, ctl), ctl.jobid, ty, &line).await;
}

/// Bareos's `edit_utime`: `1 day 2 hours 3 mins 4 secs`.
pub fn edit_utime(mut v: i64) -> String {
    const MULT: [(i64, &str); 5] =
        [(365 * 86400, "year"), (30 * 86400, "month"), (86400, "day"), (3600, "hour"), (60, "min")];
    let mut s = String::new();
    for (m, name) in MULT {
        let t = v / m;
        if t > 0 {
            v -= t * m;
            s.push_str(&format!("{t} {name}{} ", if t > 1 { "s" } else { "" }));
        }
    }
    if v == 0 && s.is_empty() {
        s.push_str("0 secs");
    } else if v != 0 {
        s.push_str(&format!("{v} sec{}", if v > 1 { "s" } else { "" }));
    }
    s
}

fn os_info() -> String {
    std::fs::read_to_string("/etc/os-release")
        .ok()
        .and_then(|t| t.lines().find_map(|l| l.strip_prefix("PRETTY_NAME=").map(|v| v.trim_matches('"').to_string())))
        .unwrap_or_else(|| std::env::consts::OS.to_string())
}

/// `%d-%b-%Y %H:%M:%S` (Bareos's `bstrftimes`).
pub fn long_time(t: &DateTime<Local>) -> String {
    t.format("%d-%b-%Y %H:%M:%S").to_string()
}

fn term_word(s: Option<char>) -> String {
    match s.and_then(JobStatus::from_code) {
        Some(JobStatus::Terminated) => "OK".into(),
        Some(JobStatus::Warnings) => "OK -- with warnings".into(),
        Some(JobStatus::FatalError) => "Fatal Error".into(),
        Some(JobStatus::ErrorTerminated) => "Error".into(),
        Some(JobStatus::NonFatalError) => "Non-fatal error".into(),
        Some(JobStatus::Canceled) => "Canceled".into(),
        Some(JobStatus::Running) => "Running".into(),
        Some(JobStatus::Created) | None => "Waiting on FD".into(),
        Some(other) => other.long_name().to_string(),
    }
}

/// The `Termination:` text.
pub fn termination(t: JobType, s: JobStatus) -> String {
    let what = match t {
        JobType::Restore => "Restore",
        JobType::Admin => "Admin",
        _ => "Backup",
    };
    match s {
        JobStatus::Terminated => format!("{what} OK"),
        JobStatus::Warnings => format!("{what} OK -- with warnings"),
        JobStatus::Canceled => format!("{what} Canceled"),
        JobStatus::Differences => "Verify Differences".into(),
        _ => format!("*** {what} Error ***"),
    }
}

/// Record the end of a job in the catalog, print the end-of-job report into its
/// log and return `status`.
pub async fn finish(state: &Arc<DirState>, ctl: &Arc<JobControl>, status: JobStatus, c: Counts) -> JobStatus {
    // A job the user cancelled ends Canceled, whatever failed while it was stopping.
    let status = if ctl.cancel.is_cancelled() && !status.is_ok() { JobStatus::Canceled } else { status };
    let cfg = state.config();
    let spec = ctl.spec();
    let end = state.clock.now_local();
    let start = ctl.start_time.lock().ok().and_then(|t| *t).unwrap_or(end);
    let files = if spec.job_type == JobType::Backup { c.fd_files } else { c.fd_files.max(c.sd_files) };
    ctl.files.store(files, Ordering::Relaxed);
    ctl.bytes.store(c.fd_bytes, Ordering::Relaxed);
    let jobid = ctl.jobid;
    let endtime = end.format("%Y-%m-%d %H:%M:%S").to_string();
    let ce = c.clone();
    let res = state
        .catalog
        .call(move |cat| {
            let mut e = cairn_catalog::JobEnd::new(JobId(jobid));
            e.jobstatus = status.code();
            e.endtime = endtime.clone();
            e.realendtime = Some(endtime);
            e.jobfiles = files;
            e.jobbytes = ce.fd_bytes;
            e.readbytes = ce.read_bytes;
            e.joberrors = ce.fd_errors + ce.sd_errors;
            e.volsessionid = ce.vol_session_id;
            e.volsessiontime = ce.vol_session_time.max(0) as u32;
            cat.update_job_end(&e)
        })
        .await;
    if let Ok(Err(e)) = res {
        tracing::error!(jobid, "cannot record the end of the job: {e}");
    }
    // The client's uname and the FileSet's creation time, as the report shows them.
    let (cl, fsn) = (spec.client.clone().unwrap_or_default(), spec.fileset.clone().unwrap_or_default());
    let (uname, fs_created) = state
        .catalog
        .call(move |cat| {
            let u = cat.get_client(&cl).ok().flatten().map(|r| r.uname).unwrap_or_default();
            let f = cat.newest_fileset(&fsn).ok().flatten().map(|r| r.createtime).unwrap_or_default();
            (u, f)
        })
        .await
        .unwrap_or_default();
    let mut c = c;
    if c.client_uname.is_empty() {
        c.client_uname = uname;
    }
    if c.fileset_created.is_empty() {
        c.fileset_created = fs_created;
    }
    let elapsed = (end - start).num_seconds().max(0);
    let rate = if elapsed > 0 { c.fd_bytes as f64 / (1000.0 * elapsed as f64) } else { 0.0 };
    let compression = if c.read_bytes == 0 || c.fd_bytes >= c.read_bytes {
        "None".to_string()
    } else {
        format!("{:.1} % (lz4)", 100.0 - 100.0 * (c.fd_bytes as f64 / c.read_bytes as f64))
    };
    let term = termination(spec.job_type, status);
    let catalog = cfg.default_catalog().name.clone();
    let mut r = format!(
        "Cairn {} {} (Bareos {}):\n  OS Information:         {}\n  JobId:                  {}\n  Job:                    {}\n",
        cfg.director.name,
        cairn_types::CAIRN_VERSION,
        cairn_types::BAREOS_COMPAT_VERSION,
        os_info(),
        ctl.jobid,
        ctl.job
    );
    match spec.job_type {
        JobType::Restore => {
            let rs = spec.restore.clone().unwrap_or_default();
            r.push_str(&format!("  Restore Client:         \"{}\" {}\n", spec.client.clone().unwrap_or_default(), c.client_uname));
            r.push_str(&format!("  Start time:             {}\n", long_time(&start)));
            r.push_str(&format!("  End time:               {}\n", long_time(&end)));
            r.push_str(&format!("  Elapsed time:           {}\n", edit_utime(elapsed)));
            r.push_str(&format!("  Files Expected:         {}\n", with_commas(rs.files_expected)));
            r.push_str(&format!("  Files Restored:         {}\n", with_commas(c.fd_files)));
            r.push_str(&format!("  Bytes Restored:         {}\n", with_commas(c.fd_bytes)));
            r.push_str(&format!("  Rate:                   {rate:.1} KB/s\n"));
            r.push_str(&format!("  FD Errors:              {}\n", c.fd_errors));
            r.push_str(&format!("  FD termination status:  {}\n", term_word(c.fd_status)));
            r.push_str(&format!("  SD termination status:  {}\n", term_word(c.sd_status)));
        }
        _ => {
            let level = spec.level.long_name();
            r.push_str(&format!("  Backup Level:           {level}{}\n", c.level_note));
            r.push_str(&format!("  Client:                 \"{}\" {}\n", spec.client.clone().unwrap_or_default(), c.client_uname));
            r.push_str(&format!("  FileSet:                \"{}\" {}\n", spec.fileset.clone().unwrap_or_default(), c.fileset_created));
            r.push_str(&format!("  Pool:                   \"{}\" (From {})\n", spec.pool.clone().unwrap_or_default(), spec.pool_source));
            r.push_str(&format!("  Catalog:                \"{catalog}\" (From Client resource)\n"));
            r.push_str(&format!("  Storage:                \"{}\" (From {})\n", spec.storage.clone().unwrap_or_default(), spec.storage_source));
            r.push_str(&format!("  Scheduled time:         {}\n", long_time(&ctl.sched_time)));
            r.push_str(&format!("  Start time:             {}\n", long_time(&start)));
            r.push_str(&format!("  End time:               {}\n", long_time(&end)));
            r.push_str(&format!("  Elapsed time:           {}\n", edit_utime(elapsed)));
            r.push_str(&format!("  Priority:               {}\n", spec.priority));
            r.push_str("  Allow Mixed Priority:   no\n");
            r.push_str(&format!("  FD Files Written:       {}\n", with_commas(c.fd_files)));
            r.push_str(&format!("  SD Files Written:       {}\n", with_commas(c.sd_files)));
            r.push_str(&format!("  FD Bytes Read:          {} ({}B)\n", with_commas(c.read_bytes), with_suffix(c.read_bytes)));
            r.push_str(&format!("  FD Bytes Written:       {} ({}B)\n", with_commas(c.fd_bytes), with_suffix(c.fd_bytes)));
            r.push_str(&format!("  SD Bytes Written:       {} ({}B)\n", with_commas(c.sd_bytes), with_suffix(c.sd_bytes)));
            r.push_str(&format!("  Rate:                   {rate:.1} KB/s\n"));
            r.push_str(&format!("  Software Compression:   {compression}\n"));
            r.push_str("  VSS:                    no\n  Encryption:             no\n");
            r.push_str(&format!("  Accurate:               {}\n", if spec.accurate { "yes" } else { "no" }));
            r.push_str(&format!("  Volume name(s):         {}\n", c.volumes.join("|")));
            r.push_str(&format!("  Volume Session Id:      {}\n", c.vol_session_id));
            r.push_str(&format!("  Volume Session Time:    {}\n", c.vol_session_time));
            r.push_str(&format!("  Last Volume Bytes:      {} ({}B)\n", with_commas(c.last_vol_bytes), with_suffix(c.last_vol_bytes)));
            r.push_str(&format!("  Non-fatal FD errors:    {}\n", c.fd_errors));
            r.push_str(&format!("  SD Errors:              {}\n", c.sd_errors));
            r.push_str(&format!("  FD termination status:  {}\n", term_word(c.fd_status)));
            r.push_str(&format!("  SD termination status:  {}\n", term_word(c.sd_status)));
        }
    }
    r.push_str(&format!("  Bareos binary info:     Cairn {}\n", cairn_types::CAIRN_VERSION));
    r.push_str(&format!("  Job triggered by:       {}\n", spec.trigger.word()));
    r.push_str(&format!("  Termination:            {term}\n\n"));
    let ty = if status.is_ok() { MsgType::Terminate } else { MsgType::Error };
    let line = msgs::format_job_line(&cfg.director.name, ctl.jobid, MsgType::Info, &r);
    msgs::deliver(state, messages_for(&cfg, ctl), ctl.jobid, ty, &line).await;
    status
}

/// A job cancelled while it was still queued.
pub async fn cancelled_before_start(state: &Arc<DirState>, ctl: &Arc<JobControl>) {
    job_msg(state, ctl, MsgType::Info, &format!("Job {} canceled before it started.\n", ctl.job)).await;
    finish(state, ctl, JobStatus::Canceled, Counts::default()).await;
}

/// An Admin job runs only its RunScripts (run around it by the job driver).
pub async fn run_admin(state: &Arc<DirState>, ctl: &Arc<JobControl>) -> JobStatus {
    job_msg(state, ctl, MsgType::Info, &format!("Start Admin JobId {}, Job={}\n", ctl.jobid, ctl.job)).await;
    let _ = JobLevel::None;
    finish(state, ctl, JobStatus::Terminated, Counts::default()).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utime_like_bareos() {
        assert_eq!(edit_utime(0), "0 secs");
        assert_eq!(edit_utime(1), "1 sec");
        assert_eq!(edit_utime(65), "1 min 5 secs");
        assert_eq!(edit_utime(3600), "1 hour ");
        assert_eq!(edit_utime(90061), "1 day 1 hour 1 min 1 sec");
    }
}
