//! `status` and `.status`: the director's own status (header, scheduled, running
//! and terminated jobs, client-initiated connections) in Bareos's layout.

use cairn_catalog::{JobFilter, JobRow};
use cairn_types::{JobLevel, JobStatus, JobType};
use chrono::{Local, NaiveDateTime, TimeZone};
use serde_json::{Map, Value};

use super::output::{with_commas, Output};
use super::{AclKind, Ctx};

/// `%d-%b-%y %H:%M`, the time format of `status` output.
pub const STATUS_TIME: &str = "%d-%b-%y %H:%M";

/// Bareos's `edit_uint64_with_suffix`: `999 `, `123.4 K`, `1.234 M`.
pub fn with_suffix(n: u64) -> String {
    const SUFFIX: [&str; 9] = ["", "K", "M", "G", "T", "P", "E", "Z", "Y"];
    let commas = with_commas(n);
    let groups = commas.matches(',').count();
    let mut s = commas.replacen(',', ".", 1).replace(',', "");
    s.truncate(5);
    format!("{s} {}", SUFFIX[groups.min(8)])
}

fn catalog_time(s: &Option<String>) -> String {
    s.as_deref()
        .and_then(|t| NaiveDateTime::parse_from_str(t, "%Y-%m-%d %H:%M:%S").ok())
        .and_then(|n| Local.from_local_datetime(&n).single())
        .map(|t| t.format(STATUS_TIME).to_string())
        .unwrap_or_default()
}

fn level_word(t: char, l: char, width: usize) -> String {
    let ty = JobType::from_code(t);
    if matches!(ty, Some(JobType::Admin | JobType::Archive | JobType::Restore)) {
        return " ".repeat(width);
    }
    let mut w = JobLevel::from_code(l).map(|l| l.long_name().to_string()).unwrap_or_default();
    w.truncate(width);
    w
}

/// Strip the `.YYYY-MM-DD_HH.MM.SS_NN` suffix of a unique job name.
pub fn job_resource_name(unique: &str) -> &str {
    let mut s = unique;
    for _ in 0..3 {
        match s.rfind('.') {
            Some(i) => s = &s[..i],
            None => break,
        }
    }
    s
}

struct Sections {
    header_text: String,
    header: Map<String, Value>,
    running_text: String,
    running: Vec<Value>,
    terminated_text: String,
    terminated: Vec<Value>,
    clients_text: String,
    clients: Vec<Value>,
}

async fn collect(ctx: &mut Ctx<'_>, out: &mut Output) -> Option<Sections> {
    let st = ctx.state;
    let cfg = &ctx.cfg;
    let name = cfg.director.name.clone();
    let os = std::fs::read_to_string("/etc/os-release")
        .ok()
        .and_then(|t| t.lines().find_map(|l| l.strip_prefix("PRETTY_NAME=").map(|v| v.trim_matches('"').to_string())))
        .unwrap_or_else(|| std::env::consts::OS.to_string());
    let binary_info = format!("Cairn {}", cairn_types::CAIRN_VERSION);
    let started = st.started.format(STATUS_TIME).to_string();
    let jobs_run = st.jobs_run.load(std::sync::atomic::Ordering::Relaxed);
    let warnings = !st.config_warnings().is_empty();

    let mut header_text = format!(
        "{name} Version: {} ({}) {os}\n",
        cairn_types::BAREOS_COMPAT_VERSION,
        cairn_types::BAREOS_COMPAT_DATE
    );
    let nrun = st.jobs.active().len();
    header_text.push_str(&format!("Daemon started {started}. Jobs: run={jobs_run}, running={nrun} db:sqlite, {binary_info} binary\n"));
    if warnings {
        header_text.push_str("\nThere are WARNINGS for the director configuration!\nSee 'status configuration' for details.\n\n");
    }
    let mut header = Map::new();
    header.insert("director".into(), Value::from(name));
    header.insert("version".into(), Value::from(cairn_types::BAREOS_COMPAT_VERSION));
    header.insert("release_date".into(), Value::from(cairn_types::BAREOS_COMPAT_DATE));
    header.insert("os".into(), Value::from(os));
    header.insert("binary_info".into(), Value::from(binary_info));
    header.insert("daemon_started".into(), Value::from(started));
    header.insert("jobs_run".into(), Value::from(jobs_run));
    header.insert("jobs_running".into(), Value::from(st.jobs.active().len()));
    header.insert("config_warnings".into(), Value::from(warnings));

    let (running_text, running) = super::jobctl::running_section(ctx);

    // The last ten finished jobs, oldest first, from the catalog.
    let filter = JobFilter {
        jobstatus: JobStatus::ALL.iter().filter(|s| s.is_final()).map(|s| s.code()).collect(),
        reverse: true,
        limit: Some(10),
        ..JobFilter::default()
    };
    let rows: Vec<JobRow> = match st.catalog.call(move |c| c.list_jobs(&filter)).await {
        Ok(Ok(mut r)) => {
            r.reverse();
            // Only jobs the console's Job ACL allows (Bareos ua_status.cc).
            r.retain(|row| ctx.session.allows(AclKind::Job, &row.name));
            r
        }
        Ok(Err(e)) => {
            out.error(format!("Catalog error: {e}\n"));
            return None;
        }
        Err(e) => {
            out.error(format!("{e}\n"));
            return None;
        }
    };
    let mut terminated_text = String::new();
    let mut terminated = Vec::new();
    if rows.is_empty() {
        terminated_text.push_str("No Terminated Jobs.\n");
    } else {
        terminated_text.push_str("\nTerminated Jobs:\n");
        terminated_text.push_str(" JobId  Level    Files      Bytes   Status   Finished        Name \n");
        terminated_text.push_str(&"=".repeat(68));
        terminated_text.push('\n');
        for r in &rows {
            let status = JobStatus::from_code(r.jobstatus).map(|s| s.terminated_word()).unwrap_or("Other");
            let finished = catalog_time(&r.endtime);
            let files = r.jobfiles.max(0) as u64;
            let bytes = r.jobbytes.max(0) as u64;
            terminated_text.push_str(&format!(
                "{:>6}  {:<6} {:>8} {:>10}  {:<7}  {:<8} {}\n",
                r.jobid,
                level_word(r.jobtype, r.level, 4),
                with_commas(files),
                with_suffix(bytes),
                status,
                finished,
                r.name
            ));
            let mut m = Map::new();
            m.insert("jobid".into(), Value::from(r.jobid));
            m.insert("name".into(), Value::from(r.name.clone()));
            // As Bareos: four blanks for Admin, Archive and Restore jobs.
            m.insert("level".into(), Value::from(level_word(r.jobtype, r.level, 4)));
            m.insert("type".into(), Value::from(JobType::from_code(r.jobtype).map(|t| t.long_name()).unwrap_or("")));
            m.insert("status".into(), Value::from(status));
            m.insert("files".into(), Value::from(files));
            m.insert("bytes".into(), Value::from(bytes));
            m.insert("finished".into(), Value::from(finished));
            terminated.push(Value::Object(m));
        }
        terminated_text.push('\n');
    }

    let mut clients_text = String::from("\nClient Initiated Connections (waiting for jobs):\n");
    clients_text.push_str(&format!("{:<20}{:<20}{:<20}{:<40}\n", "Connect time", "Protocol", "Authenticated", "Name"));
    clients_text.push_str(&"=".repeat(100));
    clients_text.push('\n');
    let mut clients = Vec::new();
    let conns = st.client_connections.lock().map(|c| c.clone()).unwrap_or_default();
    for c in conns {
        let t = c.connected.format(STATUS_TIME).to_string();
        clients_text.push_str(&format!("{t:<20}{:<20}{:<20}{:<40}\n", c.protocol_version, u8::from(c.authenticated), c.name));
        let mut m = Map::new();
        m.insert("connecttime".into(), Value::from(t));
        m.insert("protocol_version".into(), Value::from(c.protocol_version));
        m.insert("authenticated".into(), Value::from(u8::from(c.authenticated)));
        m.insert("name".into(), Value::from(c.name));
        clients.push(Value::Object(m));
    }
    Some(Sections { header_text, header, running_text, running, terminated_text, terminated, clients_text, clients })
}

/// The "Scheduled Jobs" section: the next run of each Run line of each
/// scheduled job within `days=` days (default 1, at most 500), with the volume
/// it would write to.
async fn scheduled_section(ctx: &mut Ctx<'_>) -> (String, Vec<Value>) {
    let mut text = String::new();
    let days = match ctx.args.value("days").map(|d| d.trim().parse::<i64>()) {
        None => 1,
        Some(Ok(d)) if (0..=500).contains(&d) => d as u32,
        Some(_) => {
            text.push_str("Ignoring invalid value for days. Max is 500.\n");
            1
        }
    };
    let now = ctx.state.clock.now_local();
    let mut list = crate::scheduler::upcoming(ctx.state, now, days);
    list.retain(|u| ctx.session.allows(AclKind::Job, &u.job));
    let mut json = Vec::new();
    if list.is_empty() {
        text.push_str("No Scheduled Jobs.\n====\n");
        return (text, json);
    }
    text.push_str("\nScheduled Jobs:\n");
    text.push_str("Level          Type     Pri  Scheduled          Name               Volume\n");
    text.push_str(&"=".repeat(83));
    text.push('\n');
    for u in list {
        let volume = if u.job_type == JobType::Backup {
            let media_type = u.storage.as_deref().and_then(|s| ctx.cfg.storage(s)).map(|s| s.media_type.clone()).unwrap_or_default();
            let pool = u.pool.clone();
            ctx.state
                .catalog
                .call(move |c| -> Result<Option<String>, cairn_catalog::CatalogError> {
                    let Some(p) = c.get_pool(&pool)? else { return Ok(None) };
                    Ok(c.find_appendable_volume(p.poolid, &media_type, &[])?.map(|m| m.volumename))
                })
                .await
                .ok()
                .and_then(|r| r.ok())
                .flatten()
                .unwrap_or_else(|| "*unknown*".to_string())
        } else {
            "*unknown*".to_string()
        };
        let level = match u.job_type {
            JobType::Admin | JobType::Archive | JobType::Restore => " ".to_string(),
            _ => u.level.long_name().to_string(),
        };
        let when = u.runtime.format(STATUS_TIME).to_string();
        text.push_str(&format!(
            "{:<14} {:<8} {:>3}  {:<18} {:<18} {}\n",
            level,
            u.job_type.long_name(),
            u.priority,
            when,
            u.job,
            volume
        ));
        let mut m = Map::new();
        m.insert("name".into(), Value::from(u.job.clone()));
        m.insert("type".into(), Value::from(u.job_type.long_name()));
        m.insert("level".into(), Value::from(level));
        m.insert("priority".into(), Value::from(u.priority));
        m.insert("scheduled".into(), Value::from(when));
        m.insert("volume".into(), Value::from(volume));
        if let Some(p) = &u.run_pool {
            m.insert("pool".into(), Value::from(p.clone()));
        }
        if let Some(s) = &u.storage {
            m.insert("storage".into(), Value::from(s.clone()));
        }
        json.push(Value::Object(m));
    }
    text.push_str("====\n");
    (text, json)
}

/// `status scheduler [days=N|days=FROM,TO] [schedule=] [client=] [job=]`.
async fn scheduler_status(ctx: &mut Ctx<'_>, out: &mut Output) -> bool {
    use crate::scheduler::{overrides_text, preview, PreviewFilter};
    use crate::state::ResKind;
    const DEFAULT_DAYS: i64 = 7;
    let api_json = ctx.session.api >= 2;
    let (mut from, mut to, mut days) = (0i64, DEFAULT_DAYS, DEFAULT_DAYS);
    if let Some(v) = ctx.args.value("days") {
        if let Some((a, b)) = v.split_once(',') {
            let (mut a, mut b) = (a.trim().parse::<i64>().unwrap_or(0), b.trim().parse::<i64>().unwrap_or(0));
            if a > b {
                std::mem::swap(&mut a, &mut b);
            }
            if !api_json && (a < -366 || b > 366) {
                out.text("Ignoring invalid days range. Allowed: -366..366.\n");
                a = 0;
                b = DEFAULT_DAYS;
            }
            from = a;
            to = b;
            days = a.abs().max(b.abs());
        } else {
            days = v.trim().parse::<i64>().unwrap_or(0);
            if !api_json && !(-366..=366).contains(&days) {
                out.text("Ignoring invalid value for days. Allowed is -366 < days < 366.\n");
                days = DEFAULT_DAYS;
            }
            (from, to) = if days >= 0 { (0, days) } else { (days, 0) };
        }
    }
    let cfg = ctx.cfg.clone();
    let mut filter = PreviewFilter { schedule: ctx.args.value("schedule").map(str::to_string), ..Default::default() };
    if let Some(c) = ctx.args.value("client") {
        if cfg.client(c).is_none() || !ctx.session.allows(AclKind::Client, c) {
            out.error(format!("Client \"{c}\" not found.\n"));
            return false;
        }
        filter.client = Some(c.to_string());
    }
    if let Some(j) = ctx.args.value("job") {
        if cfg.job(j).is_none() || !ctx.session.allows(AclKind::Job, j) {
            out.error(format!("Job \"{j}\" not found.\n"));
            return false;
        }
        filter.job = Some(j.to_string());
    }
    let st = ctx.state;
    let job_on = |j: &cairn_config::JobRes| {
        st.is_enabled(ResKind::Job, &j.name) && j.client.as_deref().is_none_or(|c| st.is_enabled(ResKind::Client, c))
    };
    // Which schedule triggers which jobs.
    let mut text = String::from("Scheduler Jobs:\n\nSchedule               Jobs Triggered\n");
    text.push_str(&"=".repeat(59));
    text.push('\n');
    let mut schedules = Vec::new();
    for sched in cfg.schedules.iter() {
        if !st.is_enabled(ResKind::Schedule, &sched.name)
            || filter.schedule.as_ref().is_some_and(|n| *n != sched.name)
            || !ctx.session.allows(AclKind::Schedule, &sched.name)
        {
            continue;
        }
        let jobs: Vec<(&str, bool)> = cfg
            .jobs
            .iter()
            .filter(|j| filter.job.as_ref().is_none_or(|n| *n == j.name))
            .filter(|j| filter.client.as_ref().is_none_or(|c| j.client.as_deref() == Some(c.as_str())))
            .filter(|j| j.schedule.as_deref() == Some(sched.name.as_str()))
            .filter(|j| ctx.session.allows(AclKind::Job, &j.name))
            .map(|j| (j.name.as_str(), job_on(j)))
            .collect();
        if jobs.is_empty() {
            continue;
        }
        text.push_str(&format!("{}\n", sched.name));
        let mut jv = Vec::new();
        for (name, on) in &jobs {
            let mark = if *on { "" } else { " (disabled)" };
            text.push_str(&format!("                       {name}{mark}\n"));
            let mut m = Map::new();
            m.insert("name".into(), Value::from(*name));
            m.insert("enabled".into(), Value::from(*on));
            jv.push(Value::Object(m));
        }
        text.push('\n');
        let mut m = Map::new();
        m.insert("name".into(), Value::from(sched.name.clone()));
        m.insert("enabled".into(), Value::from(true));
        m.insert("jobs".into(), Value::Array(jv));
        schedules.push(Value::Object(m));
    }
    let now = st.clock.now_local();
    let day = chrono::Duration::days(1);
    // Text: `days` days into the future (or the past when negative); JSON: from..to.
    let (start, stop) = if api_json {
        (now + day * from as i32, now + day * to as i32)
    } else if days >= 0 {
        (now, now + day * days as i32)
    } else {
        (now + day * days as i32, now)
    };
    let runs = preview(st, start, stop, &filter);
    let date_fmt = "%a %d-%b-%Y %H:%M";
    let width = runs.iter().map(|r| r.runtime.format(date_fmt).to_string().len()).max().unwrap_or(0);
    text.push_str("====\n\n");
    text.push_str(&format!("Scheduler Preview for {days} days:\n\n"));
    text.push_str(&format!("{:<width$}  {:<22}  {}\n", "Date", "Schedule", "Overrides"));
    text.push_str(&"=".repeat(62));
    text.push('\n');
    let mut pv = Vec::new();
    for r in &runs {
        let dt = r.runtime.format(date_fmt).to_string();
        let name: String = r.schedule.chars().take(22).collect();
        text.push_str(&format!("{dt:<width$}  {name:<22}  {}\n", overrides_text(&r.run)));
        let mut m = Map::new();
        m.insert("datetime".into(), Value::from(dt));
        m.insert("runtime".into(), Value::from(r.runtime.timestamp()));
        m.insert("schedule".into(), Value::from(r.schedule.clone()));
        if let Some(l) = r.run.level {
            m.insert("level".into(), Value::from(l.long_name()));
        }
        if let Some(p) = r.run.priority {
            m.insert("priority".into(), Value::from(p));
        }
        if let Some(p) = &r.run.pool {
            m.insert("pool".into(), Value::from(p.clone()));
        }
        if let Some(s) = &r.run.storage {
            m.insert("storage".into(), Value::from(s.clone()));
        }
        if let Some(x) = &r.run.messages {
            m.insert("messages".into(), Value::from(x.clone()));
        }
        if let Some(x) = r.run.spool_data {
            m.insert("spool_data".into(), Value::from(x));
        }
        if let Some(x) = r.run.accurate {
            m.insert("accurate".into(), Value::from(x));
        }
        pv.push(Value::Object(m));
    }
    text.push_str("====\n");
    out.text(text);
    out.set("schedules", Value::Array(schedules));
    out.set("preview", Value::Array(pv));
    true
}

async fn director_status(ctx: &mut Ctx<'_>, out: &mut Output) -> bool {
    let Some(s) = collect(ctx, out).await else { return false };
    out.text(s.header_text);
    let (sched_text, sched) = scheduled_section(ctx).await;
    out.text(sched_text);
    out.text(s.running_text);
    out.text(s.terminated_text);
    out.text(s.clients_text);
    out.text("====\n");
    out.set("header", Value::Object(s.header));
    out.set("scheduled", Value::Array(sched));
    out.set("running", Value::Array(s.running));
    out.set("terminated", Value::Array(s.terminated));
    out.set("client-connection", Value::Array(s.clients));
    true
}

fn configuration_status(ctx: &mut Ctx<'_>, out: &mut Output) -> bool {
    let warnings = ctx.state.config_warnings();
    let (deprecated, other): (Vec<_>, Vec<_>) =
        warnings.iter().partition(|w| w.message.to_ascii_lowercase().contains("deprecat"));
    if deprecated.is_empty() {
        out.text("No deprecated configuration settings detected.\n");
    } else {
        out.text("Deprecated configuration settings detected:\n");
        for w in &deprecated {
            out.text(format!(" * {w}\n"));
        }
    }
    if !other.is_empty() {
        out.text("\nConfiguration warnings:\n");
        for w in &other {
            out.text(format!(" * {w}\n"));
        }
    }
    out.set(
        "deprecated_configuration",
        Value::Array(deprecated.iter().map(|w| Value::from(w.to_string())).collect()),
    );
    out.set("warnings", Value::Array(other.iter().map(|w| Value::from(w.to_string())).collect()));
    true
}

/// The status text of a queued or running job, as Bareos words it.
pub fn running_status_text(s: JobStatus) -> String {
    match s {
        JobStatus::Running => "is running".into(),
        JobStatus::Created => "is waiting execution".into(),
        JobStatus::Blocked => "is blocked".into(),
        JobStatus::WaitMaxJobs => "is waiting on max total jobs".into(),
        JobStatus::WaitJobRes => "is waiting on max Job jobs".into(),
        JobStatus::WaitClientRes => "is waiting on max Client jobs".into(),
        JobStatus::WaitStoreRes => "is waiting on max Storage jobs".into(),
        JobStatus::WaitStartTime => "is waiting for its start time".into(),
        JobStatus::WaitPriority => "is waiting for higher priority jobs to finish".into(),
        JobStatus::WaitMount => "is waiting for a mount request".into(),
        JobStatus::WaitMedia => "is waiting for an appendable Volume".into(),
        JobStatus::Terminated | JobStatus::Warnings => "has terminated".into(),
        JobStatus::ErrorTerminated | JobStatus::FatalError => "has erred".into(),
        JobStatus::Canceled => "has been canceled".into(),
        other => format!("is in unknown state {}", other.code()),
    }
}

/// `status client=<name>`: the file daemon's own status text.
async fn client_status(ctx: &mut Ctx<'_>, out: &mut Output, name: Option<String>) -> bool {
    let cfg = ctx.cfg.clone();
    let name = match name.filter(|n| !n.is_empty()) {
        Some(n) => n,
        None => {
            let names: Vec<String> =
                cfg.clients.iter().filter(|c| ctx.session.allows(AclKind::Client, &c.name)).map(|c| c.name.clone()).collect();
            match ctx.menu(out, "The defined Client resources are:", &names, "Select Client (File daemon) resource").await {
                Ok(i) => names[i].clone(),
                Err(_) => {
                    out.error("status client: please give client=<name>.\n");
                    return false;
                }
            }
        }
    };
    // A client the console may not use is "not found" (Bareos GetClientResWithName).
    let Some(client) = cfg.client(&name).filter(|c| ctx.session.allows(AclKind::Client, &c.name)) else {
        out.error(format!("Client \"{name}\" not found.\n"));
        return false;
    };
    if !client.enabled {
        out.text(format!("Client \"{name}\" is disabled\n"));
    }
    out.text(format!("Connecting to Client {} at {}:{}\n", client.name, client.address, client.port));
    match crate::jobs::links::fd_status(&cfg, client).await {
        Ok(t) => {
            out.text(t.clone());
            out.set("client", Value::from(client.name.clone()));
            out.set("status", Value::from(t));
            true
        }
        Err(e) => {
            out.error(format!("Failed to connect to Client {}.\n====\n{e}\n", client.name));
            false
        }
    }
}

/// `status storage=<name>`: the storage daemon's own status text.
async fn storage_status(ctx: &mut Ctx<'_>, out: &mut Output, name: Option<String>) -> bool {
    let cfg = ctx.cfg.clone();
    let name = match name.filter(|n| !n.is_empty()) {
        Some(n) => n,
        None => {
            let names: Vec<String> =
                cfg.storages.iter().filter(|s| ctx.session.allows(AclKind::Storage, &s.name)).map(|s| s.name.clone()).collect();
            match ctx.menu(out, "The defined Storage resources are:", &names, "Select Storage resource").await {
                Ok(i) => names[i].clone(),
                Err(_) => {
                    out.error("status storage: please give storage=<name>.\n");
                    return false;
                }
            }
        }
    };
    let Some(storage) = cfg.storage(&name).filter(|s| ctx.session.allows(AclKind::Storage, &s.name)) else {
        out.error(format!("Storage \"{name}\" not found.\n"));
        return false;
    };
    out.text(format!("Connecting to Storage daemon {} at {}:{}\n\n", storage.name, storage.address, storage.port));
    match crate::jobs::links::sd_status(&cfg, storage).await {
        Ok(t) => {
            out.text(t.clone());
            out.set("storage", Value::from(storage.name.clone()));
            out.set("status", Value::from(t));
            true
        }
        Err(e) => {
            out.error(format!("Failed to connect to Storage daemon {}.\n====\n{e}\n", storage.name));
            false
        }
    }
}

fn not_yet(out: &mut Output, what: &str) -> bool {
    out.error(format!(
        "status {what}: not available in this version of Cairn ({}) yet.\n",
        cairn_types::CAIRN_VERSION
    ));
    false
}

/// `status [dir|director|client=|storage=|scheduler|configuration|all]`.
pub async fn status(ctx: &mut Ctx<'_>, out: &mut Output) -> bool {
    let Some(first) = ctx.args.rest().first().cloned() else {
        // Bareos asks which daemon in API 0; Cairn has only the director to report on yet.
        return director_status(ctx, out).await;
    };
    let k = first.key.to_ascii_lowercase();
    if k.starts_with("dir") || k == "all" {
        director_status(ctx, out).await
    } else if k.starts_with("conf") {
        configuration_status(ctx, out)
    } else if k.starts_with("client") {
        client_status(ctx, out, first.value.clone()).await
    } else if k.starts_with("storage") {
        storage_status(ctx, out, first.value.clone()).await
    } else if k.starts_with("sched") {
        scheduler_status(ctx, out).await
    } else if k.starts_with("sub") {
        not_yet(out, "subscriptions")
    } else {
        out.error(format!("Unknown status keyword: {}\n", first.key));
        false
    }
}

/// `.status dir (current|last|header|scheduled|running|terminated)`.
pub async fn dot_status(ctx: &mut Ctx<'_>, out: &mut Output) -> bool {
    let rest = ctx.args.rest();
    let Some(target) = rest.first() else {
        out.text("1900 Bad .status command, missing arguments.\n");
        return false;
    };
    if !target.key.eq_ignore_ascii_case("dir") {
        let k = target.key.to_ascii_lowercase();
        if k == "client" || k == "storage" {
            return not_yet(out, &target.key);
        }
        out.text("1900 Bad .status command, wrong argument.\n");
        return false;
    }
    let Some(what) = rest.get(1).map(|a| a.key.to_ascii_lowercase()) else {
        out.text("1900 Bad .status command, missing arguments.\n");
        return false;
    };
    match what.as_str() {
        "current" => {
            // Bareos `OKdotstatus` and one `DotStatusJob` line per queued or running job.
            out.text("1000 OK .status\n");
            for j in ctx.state.jobs.active().into_iter().filter(|j| ctx.session.allows(AclKind::Job, &j.spec().name)) {
                out.text(format!("JobId={} JobStatus={} JobErrors=0\n", j.jobid, j.status().code()));
            }
        }
        "last" => {
            out.text("1000 OK .status\n");
            let filter = JobFilter {
                jobstatus: JobStatus::ALL.iter().filter(|s| s.is_final()).map(|s| s.code()).collect(),
                reverse: true,
                limit: Some(1),
                ..JobFilter::default()
            };
            let filter = JobFilter { limit: None, ..filter };
            if let Ok(Ok(rows)) = ctx.state.catalog.call(move |c| c.list_jobs(&filter)).await {
                if let Some(r) = rows.iter().find(|r| ctx.session.allows(AclKind::Job, &r.name)) {
                    out.text(format!("JobId={} JobStatus={} JobErrors={}\n", r.jobid, r.jobstatus, r.joberrors));
                }
            }
        }
        "running" => {
            let (text, rows) = super::jobctl::running_section(ctx);
            out.text(text);
            out.set("running", Value::Array(rows));
        }
        "scheduled" => {
            let (text, rows) = scheduled_section(ctx).await;
            out.text(text);
            out.set("scheduled", Value::Array(rows));
        }
        "header" | "terminated" => {
            let Some(s) = collect(ctx, out).await else { return false };
            if what == "header" {
                out.text(s.header_text);
                out.set("header", Value::Object(s.header));
            } else {
                out.text(s.terminated_text);
                out.set("terminated", Value::Array(s.terminated));
            }
        }
        _ => {
            out.text("1900 Bad .status command, wrong argument.\n");
            return false;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suffix_format() {
        assert_eq!(with_suffix(999), "999 ");
        assert_eq!(with_suffix(123456), "123.4 K");
        assert_eq!(with_suffix(1234567), "1.234 M");
        assert_eq!(with_suffix(0), "0 ");
    }

    #[test]
    fn unique_name_suffix_is_stripped() {
        assert_eq!(job_resource_name("backup-bareos-fd.2026-03-04_10.00.00_03"), "backup-bareos-fd");
    }
}
