//! `wait` and `cancel`.

use std::time::Duration;

use cairn_types::JobStatus;
use serde_json::{Map, Value};

use super::output::Output;
use super::{Ctx, NoAnswer};
use crate::jobs;

fn find_jobid(ctx: &Ctx<'_>) -> Option<Option<u32>> {
    let a = ctx.args;
    if let Some(v) = a.value("jobid") {
        return Some(v.parse().ok());
    }
    if let Some(v) = a.value("ujobid") {
        return Some(ctx.state.jobs.active().iter().find(|j| j.job == v).map(|j| j.jobid));
    }
    if let Some(v) = a.value("job").or_else(|| a.value("jobname")) {
        return Some(ctx.state.jobs.active().iter().find(|j| j.spec().name == v || j.job.starts_with(v)).map(|j| j.jobid));
    }
    None
}

/// `wait [jobid=|job=|ujobid=] [timeout=secs]`.
pub async fn wait(ctx: &mut Ctx<'_>, out: &mut Output) -> bool {
    let timeout = ctx.args.value("timeout").and_then(|t| t.parse::<u64>().ok()).map(Duration::from_secs);
    let target = find_jobid(ctx);
    let Some(target) = target else {
        let all = ctx.state.jobs.wait_idle();
        match timeout {
            Some(t) => {
                if tokio::time::timeout(t, all).await.is_err() {
                    out.warning("Wait timed out\n");
                }
            }
            None => all.await,
        }
        return true;
    };
    let Some(jobid) = target else {
        out.error("ERR: Job was not found\n");
        return true;
    };
    if let Some(ctl) = ctx.state.jobs.get(jobid) {
        let w = ctl.wait_end();
        match timeout {
            Some(t) => {
                if tokio::time::timeout(t, w).await.is_err() {
                    out.warning(format!("Wait on JobId {jobid} timed out\n"));
                    return false;
                }
            }
            None => {
                w.await;
            }
        }
    }
    let status = ctx
        .state
        .catalog
        .call(move |c| c.get_job(cairn_catalog::JobId(jobid)))
        .await
        .ok()
        .and_then(|r| r.ok())
        .flatten()
        .map(|r| r.jobstatus);
    let code = status.unwrap_or('?');
    let st = JobStatus::from_code(code);
    let long = st.map(|s| s.wait_word()).unwrap_or("Unknown term code");
    let exit = st.map(|s| s.exit_status()).unwrap_or(3);
    out.text(format!("JobId={jobid}\nJobStatus={long} ({code})\n"));
    let mut m = Map::new();
    m.insert("jobid".into(), Value::from(jobid));
    m.insert("jobstatuslong".into(), Value::from(long));
    m.insert("jobstatus".into(), Value::from(code.to_string()));
    m.insert("exitstatus".into(), Value::from(exit));
    out.set("job", Value::Object(m));
    true
}

/// `cancel jobid=|job=|ujobid=|state=|all [yes]`.
pub async fn cancel(ctx: &mut Ctx<'_>, out: &mut Output) -> bool {
    let active = ctx.state.jobs.active();
    let a = ctx.args;
    let mut targets = Vec::new();
    if a.has("all") {
        let state_filter = a.value("state").map(|s| s.to_ascii_lowercase());
        targets = active
            .iter()
            .filter(|j| match state_filter.as_deref() {
                Some("running") => j.status() == JobStatus::Running,
                Some("waiting") | Some("queued") => j.status() != JobStatus::Running,
                _ => true,
            })
            .cloned()
            .collect();
        if targets.is_empty() {
            out.text("No Jobs running.\n");
            return true;
        }
        if !a.has("yes") && ctx.session.api < 2 {
            for j in &targets {
                out.text(format!("JobId={} Job={}\n", j.jobid, j.job));
            }
            match ctx.ask(out, "Confirm cancel of these jobs (yes/no): ").await {
                Ok(ans) if "yes".starts_with(&ans.to_ascii_lowercase()) && !ans.is_empty() => {}
                _ => return false,
            }
        }
    } else if let Some(t) = find_jobid(ctx) {
        match t.and_then(|id| ctx.state.jobs.get(id)) {
            Some(j) => targets.push(j),
            None => {
                out.error(match a.value("jobid") {
                    Some(id) => format!("JobId {id} is not running.\n"),
                    None => "Job not found.\n".to_string(),
                });
                return false;
            }
        }
    } else {
        if active.is_empty() {
            out.text("No Jobs running.\n");
            return true;
        }
        let items: Vec<String> = active.iter().map(|j| format!("JobId={} Job={}", j.jobid, j.job)).collect();
        match ctx.menu(out, "Select Job(s):", &items, "Choose Job to cancel").await {
            Ok(i) => targets.push(active[i].clone()),
            Err(NoAnswer::NotInteractive) => {
                out.error("Please specify a job (jobid=, job=, ujobid=) or all.\n");
                return false;
            }
            Err(_) => return false,
        }
    }
    let mut arr = Vec::new();
    for j in targets {
        let was_running = j.status() == JobStatus::Running;
        jobs::cancel(ctx.state, &j).await;
        if was_running {
            out.text(format!("JobId {} Job {} marked to be canceled.\n", j.jobid, j.job));
        } else {
            out.text(format!("JobId {}, Job {} marked to be canceled.\n", j.jobid, j.job));
        }
        let mut m = Map::new();
        m.insert("jobid".into(), Value::from(j.jobid));
        m.insert("job".into(), Value::from(j.job.clone()));
        arr.push(Value::Object(m));
    }
    out.set("cancel", Value::Array(arr));
    true
}
