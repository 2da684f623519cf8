//! Job control commands: `wait`, `cancel`, `enable`, `disable`, `rerun`, and
//! the running-jobs section of `.status dir running`.

use std::sync::Arc;
use std::time::Duration;

use cairn_types::{JobLevel, JobStatus, JobType};
use serde_json::{Map, Value};

use super::output::Output;
use super::select::{announce_catalog, do_prompt, get_yesno, is_batch};
use super::{AclKind, Ctx};
use crate::jobs::{self, CancelLine, JobControl};
use crate::state::ResKind;

/// Bareos `get_jcr_by_partial_name`: the first queued or running job whose unique
/// name starts with `name`.
fn by_partial_name(ctx: &Ctx<'_>, name: &str) -> Option<Arc<JobControl>> {
    ctx.state.jobs.active().into_iter().find(|j| j.job.starts_with(name))
}

/// Bareos `get_jcr_by_full_name`.
fn by_full_name(ctx: &Ctx<'_>, name: &str) -> Option<Arc<JobControl>> {
    ctx.state.jobs.active().into_iter().find(|j| j.job == name)
}

/// Bareos `str_to_int64`: leading digits, 0 when there are none.
fn leading_number(s: &str) -> u64 {
    let t = s.trim_start();
    let digits: String = t.chars().take_while(|c| c.is_ascii_digit()).collect();
    digits.parse().unwrap_or(0)
}

/// `job_status_to_str`, the `JobStatusLong` of `wait`.
fn status_long(code: char) -> &'static str {
    match code {
        'T' => "OK",
        'W' => "OK -- with warnings",
        'E' | 'e' => "Error",
        'f' => "Fatal Error",
        'A' => "Canceled",
        'D' => "Differences",
        _ => "Unknown term code",
    }
}

/// `wait`'s ExitStatus: 0 OK, 1 non-fatal error, 2 error/fatal/canceled, 3 other.
fn exit_status(code: char) -> u32 {
    match code {
        'e' => 1,
        'f' | 'E' | 'A' => 2,
        'W' | 'T' => 0,
        _ => 3,
    }
}

/// `wait` (Bareos `wait_cmd`): without arguments, until no job is queued or
/// running (prints nothing); `jobid=`, `job=`/`jobname=` (a queued or running
/// job whose unique name starts with it) or `ujobid=`: until that job has ended,
/// then its status from the catalog; `mount [timeout=secs]`: until a job waits
/// for a mount. `timeout=` applies to `mount` only, as in Bareos.
pub async fn wait(ctx: &mut Ctx<'_>, out: &mut Output) -> bool {
    if ctx.args.rest().is_empty() {
        ctx.state.jobs.wait_idle().await;
        return true;
    }
    let timeout = ctx.args.value("timeout").map(leading_number).map(Duration::from_secs);
    announce_catalog(ctx, out);
    let mut jobid = 0u32;
    for a in ctx.args.rest() {
        let key = a.key.to_ascii_lowercase();
        match key.as_str() {
            "jobid" => {
                if let Some(v) = &a.value {
                    jobid = u32::try_from(leading_number(v)).unwrap_or(0);
                }
                break;
            }
            "jobname" | "job" => {
                if let Some(j) = a.value.as_deref().and_then(|v| by_partial_name(ctx, v)) {
                    jobid = j.jobid;
                }
                break;
            }
            "ujobid" => {
                if let Some(j) = a.value.as_deref().and_then(|v| by_full_name(ctx, v)) {
                    jobid = j.jobid;
                }
                break;
            }
            "mount" => return wait_mount(ctx, out, timeout).await,
            _ => {}
        }
    }
    // A job of another console's Job ACL is "not found" for this one.
    let name = match ctx.state.jobs.get(jobid) {
        Some(j) => Some(j.spec().name.clone()),
        None if jobid != 0 => ctx
            .state
            .catalog
            .call(move |c| c.get_job(cairn_catalog::JobId(jobid)))
            .await
            .ok()
            .and_then(|r| r.ok())
            .flatten()
            .map(|r| r.name),
        None => None,
    };
    if jobid == 0 || name.is_some_and(|n| !ctx.session.allows(AclKind::Job, &n)) {
        out.error("ERR: Job was not found\n");
        return true;
    }
    if let Some(ctl) = ctx.state.jobs.get(jobid) {
        ctl.wait_end().await;
    }
    let code = ctx
        .state
        .catalog
        .call(move |c| c.get_job(cairn_catalog::JobId(jobid)))
        .await
        .ok()
        .and_then(|r| r.ok())
        .flatten()
        .map(|r| r.jobstatus)
        .unwrap_or('?');
    let long = status_long(code);
    out.text(format!("JobId={jobid}\nJobStatus={long} ({code})\n"));
    let mut m = Map::new();
    m.insert("jobid".into(), Value::from(jobid));
    m.insert("jobstatuslong".into(), Value::from(long));
    m.insert("jobstatus".into(), Value::from(code.to_string()));
    m.insert("exitstatus".into(), Value::from(exit_status(code)));
    out.set("job", Value::Object(m));
    true
}

async fn wait_mount(ctx: &mut Ctx<'_>, out: &mut Output, timeout: Option<Duration>) -> bool {
    let stop = timeout.filter(|t| !t.is_zero()).map(|t| tokio::time::Instant::now() + t);
    loop {
        let waiting = ctx
            .state
            .jobs
            .active()
            .iter()
            .any(|j| matches!(j.status(), JobStatus::WaitMedia | JobStatus::WaitMount));
        if waiting {
            return true;
        }
        if stop.is_some_and(|s| tokio::time::Instant::now() >= s) {
            out.warning("Wait on mount timed out\n");
            return true;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// Bareos `select_jobs`: the jobs a `cancel` acts on, or `None` when nothing is
/// to be done (the reason has been printed).
async fn select_jobs(ctx: &mut Ctx<'_>, out: &mut Output, reason: &str) -> Option<Vec<u32>> {
    let select_all = ctx.args.has("all");
    let state_value = ctx.args.value("state").map(str::to_string);
    let mut selected: Vec<u32> = Vec::new();
    let args = ctx.args.rest().to_vec();
    for a in &args {
        let key = a.key.to_ascii_lowercase();
        let found = match key.as_str() {
            "jobid" => {
                let Some(v) = a.value.as_deref() else { continue };
                let id = u32::try_from(leading_number(v)).unwrap_or(0);
                if id == 0 {
                    continue;
                }
                match ctx.state.jobs.get(id) {
                    Some(j) => j,
                    None => {
                        out.error(format!("JobId {v} is not running. Use Job name to {reason} inactive jobs.\n"));
                        continue;
                    }
                }
            }
            "job" | "ujobid" => {
                let Some(v) = a.value.as_deref() else { continue };
                let j = if key == "job" { by_partial_name(ctx, v) } else { by_full_name(ctx, v) };
                match j {
                    Some(j) => j,
                    None => {
                        out.warning(format!("Warning Job {v} is not running. Continuing anyway ...\n"));
                        continue;
                    }
                }
            }
            _ => continue,
        };
        if !ctx.session.allows(AclKind::Job, &found.spec().name) {
            out.error("Unauthorized command from this console.\n");
            return None;
        }
        if !selected.contains(&found.jobid) {
            selected.push(found.jobid);
        }
    }
    if !selected.is_empty() {
        return Some(selected);
    }
    let all_active = ctx.state.jobs.active();
    let total = all_active.len();
    let active: Vec<_> = all_active.into_iter().filter(|j| ctx.session.allows(AclKind::Job, &j.spec().name)).collect();
    if active.is_empty() {
        // Bareos select_jobs: other consoles' jobs are not shown.
        out.text(if total == 0 { "No Jobs running.\n" } else { "None of your jobs are running.\n" });
        return None;
    }
    if select_all || state_value.is_some() {
        #[derive(PartialEq)]
        enum Which {
            All,
            Created,
            Blocked,
            Waiting,
            Running,
        }
        let which = if select_all {
            Which::All
        } else {
            match state_value.unwrap_or_default().to_ascii_lowercase().as_str() {
                "created" => Which::Created,
                "blocked" => Which::Blocked,
                "waiting" => Which::Waiting,
                "running" => Which::Running,
                _ => {
                    out.error("Illegal state either created, blocked, waiting or running\n");
                    return None;
                }
            }
        };
        for j in &active {
            let st = j.status();
            let take = match which {
                Which::All => true,
                Which::Created => st == JobStatus::Created,
                Which::Blocked => j.has_started() && st == JobStatus::Blocked,
                Which::Waiting => j.is_waiting(),
                Which::Running => j.has_started() && st == JobStatus::Running,
            };
            if take {
                selected.push(j.jobid);
                out.text(format!("Selected Job {} for cancelling\n", j.jobid));
            }
        }
        if selected.is_empty() {
            out.text("No Jobs selected.\n");
            return None;
        }
        if !is_batch(ctx) && !ctx.args.has("yes") {
            match get_yesno(ctx, out, "Confirm cancel (yes/no): ").await {
                Ok(true) => {}
                _ => return None,
            }
        }
        return Some(selected);
    }
    let items: Vec<String> = active.iter().map(|j| format!("JobId={} Job={}", j.jobid, j.job)).collect();
    let i = do_prompt(ctx, out, "Select Job:\n", &items, "Job", &format!("Choose Job to {reason}")).await.ok()?;
    if reason == "cancel" && active.len() == 1 {
        let prompt = if ctx.session.api > 0 {
            format!("Cancel: {}\n\nConfirm cancel?", items[i])
        } else {
            "Confirm cancel (yes/no): ".to_string()
        };
        match get_yesno(ctx, out, &prompt).await {
            Ok(true) => {}
            _ => return None,
        }
    }
    let name = &active[i].job;
    match by_full_name(ctx, name) {
        Some(j) => Some(vec![j.jobid]),
        None => {
            out.warning(format!("Job \"{name}\" not found.\n"));
            None
        }
    }
}

/// `cancel [jobid=… | job=… | ujobid=… | state=… | all] [yes]` and
/// `cancel storage=… jobid=…` (Bareos `CancelCmd`). JSON: `{}`, the messages
/// only in the error envelope.
pub async fn cancel(ctx: &mut Ctx<'_>, out: &mut Output) -> bool {
    if ctx.args.value("storage").is_some() {
        return cancel_on_storage(ctx, out).await;
    }
    let Some(ids) = select_jobs(ctx, out, "cancel").await else { return true };
    for id in ids {
        let Some(j) = ctx.state.jobs.get(id) else { continue };
        for line in jobs::cancel(ctx.state, &j).await {
            match line {
                CancelLine::Info(t) => out.info(t),
                CancelLine::Text(t) => out.text(t),
                CancelLine::Error(t) => out.error(t),
            }
        }
    }
    true
}

/// `cancel storage=X jobid=N`: ask the storage daemon directly (for a job the
/// director no longer knows).
async fn cancel_on_storage(ctx: &mut Ctx<'_>, out: &mut Output) -> bool {
    let cfg = ctx.cfg.clone();
    let name = ctx.args.value("storage").unwrap_or_default().to_string();
    if !ctx.session.allows(AclKind::Storage, &name) {
        out.error(format!("Access to storage \"{name}\" forbidden\n"));
        return true;
    }
    let Some(store) = cfg.storage(&name) else {
        out.error(format!("Storage resource \"{name}\": not found\n"));
        return true;
    };
    let Some(jobid) = ctx.args.value("jobid").map(str::to_string) else {
        out.warning("Missing jobid=JobId specification\n");
        return true;
    };
    if jobid.is_empty() || !jobid.chars().all(|c| c.is_ascii_digit()) {
        out.warning(format!("JobId {jobid} not a number\n"));
    }
    match jobs::links::cancel_on_sd(&cfg, store, &jobid).await {
        Ok(r) => out.text(if r.ends_with('\n') { r } else { format!("{r}\n") }),
        Err(_) => out.error("Failed to connect to Storage daemon.\n"),
    }
    true
}

/// `enable` / `disable` `job=… | client=… | schedule=…` (Bareos
/// `DoEnDisableCmd`): until the next reload. Without a name, a list of the
/// resources not yet in that state is offered. JSON: `{"enable":{"jobs":["X"]}}`.
pub async fn enable_disable(ctx: &mut Ctx<'_>, out: &mut Output, on: bool) -> bool {
    let action = if on { "enable" } else { "disable" };
    let cfg = ctx.cfg.clone();
    let (kind, word) = if ctx.args.has("schedule") {
        (ResKind::Schedule, "schedule")
    } else if ctx.args.has("client") {
        (ResKind::Client, "client")
    } else {
        (ResKind::Job, "job")
    };
    let (type_name, plural, select_msg) = match kind {
        ResKind::Schedule => ("Schedule", "schedules", "Select Schedule resource"),
        ResKind::Client => ("Client", "clients", "Select Client resource"),
        ResKind::Job => ("Job", "jobs", "Select Job resource"),
    };
    // Only resources the console's ACL allows exist for it (Bareos
    // GetXResWithName / select_enable_disable_*_resource).
    let acl = match kind {
        ResKind::Schedule => AclKind::Schedule,
        ResKind::Client => AclKind::Client,
        ResKind::Job => AclKind::Job,
    };
    let all: Vec<String> = match kind {
        ResKind::Schedule => cfg.schedules.iter().map(|s| s.name.clone()).collect(),
        ResKind::Client => cfg.clients.iter().map(|c| c.name.clone()).collect(),
        ResKind::Job => cfg.jobs.iter().map(|j| j.name.clone()).collect(),
    };
    let all: Vec<String> = all.into_iter().filter(|n| ctx.session.allows(acl, n)).collect();
    let name = match ctx.args.value(word) {
        Some(v) => {
            if !all.iter().any(|n| n == v) {
                out.error(format!("{type_name} \"{v}\" not found.\n"));
                return true;
            }
            v.to_string()
        }
        None => {
            let mut items: Vec<String> = all.into_iter().filter(|n| ctx.state.is_enabled(kind, n) != on).collect();
            items.sort_by_key(|n| n.to_ascii_lowercase());
            let header = format!("The defined {type_name} resources are:\n");
            match do_prompt(ctx, out, &header, &items, type_name, select_msg).await {
                Ok(i) => items[i].clone(),
                Err(_) => return true,
            }
        }
    };
    ctx.state.set_enabled(kind, &name, on);
    out.text(format!("{type_name} \"{name}\" {action}d\n"));
    let mut m = Map::new();
    m.insert(plural.into(), Value::Array(vec![Value::from(name)]));
    out.set(action, Value::Object(m));
    out.warning(format!(
        "{}abling is a temporary operation until the director reloads.\nFor a permanent setting, please set the value of the \"Enabled\"\ndirective in the relevant configuration resource file.\n",
        if on { "En" } else { "Dis" }
    ));
    true
}

/// `rerun jobid=N[,M…] | since_jobid=N [until_jobid=M] | days=N | hours=N [yes]`
/// (Bareos `reRunCmd`): run failed jobs again with their level, client, pool and
/// fileset from the catalog, through `run` (summary and `OK to run?` unless
/// `yes`). `days=`/`hours=`/`since_jobid=` select jobs that ended `f`.
pub async fn rerun(ctx: &mut Ctx<'_>, out: &mut Output) -> bool {
    announce_catalog(ctx, out);
    let a = ctx.args;
    let num = |k: &str| a.value(k).map(leading_number).unwrap_or(0);
    let since = num("since_jobid");
    let until = num("until_jobid");
    let days = num("days");
    let hours = num("hours");
    let yes = a.has("yes");
    let jobid_arg = a.value("jobid").map(str::to_string);
    if jobid_arg.is_none() && days == 0 && hours == 0 && since == 0 {
        out.text("Please specify jobid, since_jobid, hours or days\n");
        return false;
    }
    let mut ids: Vec<u32> = Vec::new();
    if let Some(list) = &jobid_arg {
        for part in list.split(',') {
            if part.is_empty() || !part.chars().all(|c| c.is_ascii_digit()) {
                out.text(format!("Specified jobid \"{part}\" is not valid\n"));
                return false;
            }
            ids.push(u32::try_from(leading_number(part)).unwrap_or(0));
        }
        if since != 0 {
            out.text("Please specify either jobid or since_jobid (and optionally until_jobid)\n");
            return false;
        }
        if days != 0 || hours != 0 {
            out.text("Please specify either jobid or a timeframe\n");
            return false;
        }
    }
    let now = ctx.state.clock.now_local();
    if jobid_arg.is_none() {
        let mut sql = String::from("SELECT JobId FROM Job WHERE JobStatus = 'f'");
        if since != 0 {
            sql.push_str(&format!(" AND JobId >= {since}"));
            if until != 0 {
                sql.push_str(&format!(" AND JobId <= {until}"));
            }
        } else {
            let back = i64::try_from(days.saturating_mul(86400).saturating_add(hours.saturating_mul(3600))).unwrap_or(i64::MAX / 2);
            let from = now - chrono::Duration::seconds(back.min(1 << 40));
            sql.push_str(&format!(" AND SchedTime > '{}'", from.format("%Y-%m-%d %H:%M:%S")));
        }
        sql.push_str(" ORDER BY JobId");
        let found = match ctx.state.catalog.call(move |c| c.query_raw(&sql)).await {
            Ok(Ok(r)) => r.rows.iter().filter_map(|row| row.first().cloned().flatten()).filter_map(|v| v.parse::<u32>().ok()).collect::<Vec<_>>(),
            Ok(Err(e)) => {
                out.error(format!("Catalog error: {e}\n"));
                return false;
            }
            Err(e) => {
                out.error(format!("{e}\n"));
                return false;
            }
        };
        if found.is_empty() {
            out.text("No jobids with the specified options were found.\n");
            return true;
        }
        let list: Vec<String> = found.iter().map(u32::to_string).collect();
        out.text(format!("The following ids were selected for rerun:\n{}\n", list.join(",")));
        if !yes {
            match get_yesno(ctx, out, "rerun these jobids? (yes/no): ").await {
                Ok(true) => {}
                _ => return false,
            }
        }
        ids = found;
    }
    for id in ids {
        if !rerun_job(ctx, out, id, yes, now).await {
            return false;
        }
    }
    true
}

/// Bareos `reRunJob`: rebuild the `run` command of one job and execute it.
async fn rerun_job(ctx: &mut Ctx<'_>, out: &mut Output, jobid: u32, yes: bool, now: chrono::DateTime<chrono::Local>) -> bool {
    out.text(format!("rerunning jobid {jobid}\n"));
    let looked_up = ctx
        .state
        .catalog
        .call(move |c| -> Result<Option<(cairn_catalog::JobRow, Option<String>)>, cairn_catalog::CatalogError> {
            let Some(row) = c.get_job(cairn_catalog::JobId(jobid))? else { return Ok(None) };
            let fileset = if row.filesetid != 0 { c.get_fileset(row.filesetid)?.map(|f| f.fileset) } else { None };
            Ok(Some((row, fileset)))
        })
        .await;
    let (row, fileset) = match looked_up {
        Ok(Ok(Some(r))) => r,
        Ok(Ok(None)) => {
            director_warning(ctx.state, &format!("Error getting Job record for Job rerun: ERR=No Job found for JobId {jobid}\n")).await;
            return false;
        }
        Ok(Err(e)) => {
            director_warning(ctx.state, &format!("Error getting Job record for Job rerun: ERR={e}\n")).await;
            return false;
        }
        Err(e) => {
            out.error(format!("{e}\n"));
            return false;
        }
    };
    let ty = JobType::from_code(row.jobtype);
    if !matches!(ty, Some(JobType::Backup | JobType::Copy | JobType::Migrate)) {
        return true;
    }
    let q = |s: &str| s.replace('\\', "\\\\").replace('"', "\\\"");
    let mut cmd = match JobLevel::from_code(row.level).filter(|l| *l != JobLevel::None) {
        Some(l) => format!("run job=\"{}\" level=\"{}\"", q(&row.name), l.long_name()),
        None => format!("run job=\"{}\"", q(&row.name)),
    };
    if row.clientid != 0
        && let Some(c) = &row.client
    {
        cmd.push_str(&format!(" client=\"{}\"", q(c)));
    }
    if row.poolid != 0
        && let Some(p) = &row.poolname
    {
        // Copy, Migrate and VirtualFull jobs: the job's pool reads, the job's
        // pool in the catalog is the one written (next pool).
        let is_vfull = row.level == JobLevel::VirtualFull.code();
        if matches!(ty, Some(JobType::Copy | JobType::Migrate)) || is_vfull {
            if let Some(jp) = ctx.cfg.job(&row.name).map(|j| j.pool.clone()) {
                cmd.push_str(&format!(" pool=\"{}\"", q(&jp)));
            }
            cmd.push_str(&format!(" nextpool=\"{}\"", q(p)));
        } else {
            cmd.push_str(&format!(" pool=\"{}\"", q(p)));
        }
    }
    if let Some(f) = &fileset {
        cmd.push_str(&format!(" fileset=\"{}\"", q(f)));
    }
    cmd.push_str(&format!(" when=\"{}\"", now.format("%Y-%m-%d %H:%M:%S")));
    if yes {
        cmd.push_str(" yes");
    }
    let Ok(args) = super::args::Args::parse(&cmd) else {
        out.error(format!("Invalid command line: {cmd}\n"));
        return false;
    };
    let mut sub = Ctx { state: ctx.state, session: &mut *ctx.session, args: &args, cmd: ctx.cmd, cfg: ctx.cfg.clone(), conn: ctx.conn.as_deref_mut() };
    super::run::run(&mut sub, out).await
}

/// A message of the director outside any job (`<dir> JobId 0: Warning: …`),
/// through the Director's Messages resource.
async fn director_warning(state: &Arc<crate::state::DirState>, text: &str) {
    let cfg = state.config();
    let line = crate::msgs::format_job_line(&cfg.director.name, 0, cairn_types::MsgType::Warning, text);
    let res = cfg.director.messages.as_deref().and_then(|m| cfg.messages_res(m));
    crate::msgs::deliver(state, res, 0, cairn_types::MsgType::Warning, &line).await;
}

/// The running-jobs section of `status director` / `.status dir running` (Bareos
/// `ListRunningJobs`): API 0 text, the tab-separated API 1 rows, and the JSON rows.
pub fn running_section(ctx: &Ctx<'_>) -> (String, Vec<Value>) {
    let api = ctx.session.api;
    let st = ctx.state;
    let mut text = String::new();
    if api == 0 {
        text.push_str("\nRunning Jobs:\n");
        for c in st.consoles() {
            text.push_str(&format!("Console connected at {}\n", c.connected.format(super::status::STATUS_TIME)));
        }
    }
    let active: Vec<_> = st.jobs.active().into_iter().filter(|j| ctx.session.allows(AclKind::Job, &j.spec().name)).collect();
    let mut rows = Vec::new();
    if active.is_empty() {
        if api == 0 {
            text.push_str("No Jobs running.\n====\n");
        }
        return (text, rows);
    }
    if api == 0 {
        text.push_str(" JobId Level   Name                       Status\n");
        text.push_str(&"=".repeat(70));
        text.push('\n');
    }
    for j in &active {
        let spec = j.spec();
        let status = match j.status() {
            JobStatus::WaitStartTime => {
                format!("is waiting for its start time at {}", j.sched_at().format(super::status::STATUS_TIME))
            }
            JobStatus::WaitFd => match &spec.client {
                Some(c) => format!("is waiting on Client {c}"),
                None => "is waiting on Client".into(),
            },
            JobStatus::WaitSd => match &spec.storage {
                Some(s) => format!("is waiting on Storage \"{s}\""),
                None => "is waiting on Storage".into(),
            },
            JobStatus::Warnings => "has terminated with warnings".into(),
            JobStatus::NonFatalError => "has errors".into(),
            JobStatus::FatalError => "has a fatal error".into(),
            JobStatus::Differences => "has verify differences".into(),
            JobStatus::DataCommitting => "SD committing Data".into(),
            JobStatus::DataDespooling => "SD despooling Data".into(),
            JobStatus::AttrDespooling => "SD despooling Attributes".into(),
            JobStatus::AttrInserting => "Dir inserting Attributes".into(),
            other => super::status::running_status_text(other),
        };
        let level = if matches!(spec.job_type, JobType::Admin | JobType::Archive | JobType::Restore) {
            "      ".to_string()
        } else {
            spec.level.long_name().chars().take(7).collect()
        };
        let comment = spec.comment.clone().unwrap_or_default();
        match api {
            0 => {
                text.push_str(&format!("{:>6} {:<6}  {:<20} {}\n", j.jobid, level, j.job, status));
                if !comment.is_empty() {
                    text.push_str(&format!("               {comment:<30}\n"));
                }
            }
            1 => {
                let bashed = comment.replace(' ', "\x01");
                text.push_str(&format!("{:>6}\t{:<6}\t{:<20}\t{}\t{}\n", j.jobid, level, j.job, status, bashed));
            }
            _ => {}
        }
        let start = j
            .start_time
            .lock()
            .ok()
            .and_then(|t| *t)
            .map(|t| t.format(super::status::STATUS_TIME).to_string())
            .unwrap_or_default();
        let mut m = Map::new();
        m.insert("jobid".into(), Value::from(j.jobid));
        m.insert("name".into(), Value::from(j.job.clone()));
        m.insert("level".into(), Value::from(level));
        m.insert("type".into(), Value::from(spec.job_type.long_name()));
        m.insert("status".into(), Value::from(status));
        m.insert("start_time".into(), Value::from(start));
        m.insert("files".into(), Value::from(j.files.load(std::sync::atomic::Ordering::Relaxed)));
        m.insert("bytes".into(), Value::from(j.bytes.load(std::sync::atomic::Ordering::Relaxed)));
        if !comment.is_empty() {
            m.insert("comment".into(), Value::from(comment));
        }
        rows.push(Value::Object(m));
    }
    if api == 0 {
        text.push_str("====\n");
    }
    (text, rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wait_status_words_and_exit_codes_follow_bareos() {
        assert_eq!((status_long('T'), exit_status('T')), ("OK", 0));
        assert_eq!((status_long('e'), exit_status('e')), ("Error", 1));
        assert_eq!((status_long('E'), exit_status('E')), ("Error", 2));
        assert_eq!((status_long('f'), exit_status('f')), ("Fatal Error", 2));
        assert_eq!((status_long('A'), exit_status('A')), ("Canceled", 2));
        assert_eq!((status_long('?'), exit_status('?')), ("Unknown term code", 3));
    }

    #[test]
    fn numbers_are_read_like_str_to_int64() {
        assert_eq!(leading_number("12"), 12);
        assert_eq!(leading_number("12abc"), 12);
        assert_eq!(leading_number("abc"), 0);
        assert_eq!(leading_number(""), 0);
    }
}
