//! `run`: resolve a job's parameters (command line over resource defaults),
//! show Bareos's summary and ask `OK to run? (yes/mod/no):` unless `yes` was
//! given (or the session is in JSON/batch mode), then queue the job.

use cairn_types::{JobLevel, JobType};
use chrono::{Local, NaiveDateTime, TimeZone};
use serde_json::{Map, Value};

use super::output::Output;
use super::{AclKind, Ctx, NoAnswer};
use crate::jobs::{self, JobSpec};

/// Everything the summary shows, with where each value came from.
#[derive(Debug, Clone)]
pub struct RunPlan {
    pub spec: JobSpec,
    pub pool_source: String,
    pub storage_source: String,
    pub format: String,
}

/// Parse `YYYY-MM-DD HH:MM[:SS]` as local time.
pub fn parse_when(s: &str) -> Option<chrono::DateTime<Local>> {
    let s = s.trim();
    let n = NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S")
        .or_else(|_| NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M"))
        .ok()?;
    Local.from_local_datetime(&n).earliest()
}

/// Build the plan for job `job_name` from the resource and the command line.
pub fn plan(ctx: &Ctx<'_>, out: &mut Output, job_name: &str) -> Option<RunPlan> {
    let cfg = &ctx.cfg;
    let a = ctx.args;
    let session = &*ctx.session;
    // Bareos: a resource the console may not use is "not found" (GetXResWithName).
    if let Some(c) = a.value("catalog")
        && (cfg.catalog(c).is_none() || !session.allows(AclKind::Catalog, c))
    {
        out.error(format!("Catalog \"{c}\" not found\n"));
        return None;
    }
    let Some(job) = cfg.job(job_name).filter(|j| session.allows(AclKind::Job, &j.name)) else {
        out.error(format!("Job \"{job_name}\" not found.\n"));
        return None;
    };
    if let Some(w) = a.value("where")
        && !session.allows(AclKind::Where, w)
    {
        out.error("No authorization for \"where\" specification.\n");
        return None;
    }
    if let Some(w) = a.value("regexwhere")
        && !session.allows(AclKind::Where, w)
    {
        out.error("No authorization for \"regexwhere\" specification.\n");
        return None;
    }
    if let Some(po) = a.value("pluginoptions")
        && !session.allows(AclKind::PluginOptions, po)
    {
        out.error("No authorization for \"PluginOptions\" specification.\n");
        return None;
    }
    let level = match a.value("level") {
        Some(l) => match JobLevel::from_keyword(l) {
            Some(l @ (JobLevel::Full | JobLevel::Incremental | JobLevel::Differential)) => l,
            Some(other) => {
                out.error(format!("Level \"{}\" is not supported by this version of Cairn yet.\n", other.keyword()));
                return None;
            }
            None => {
                out.error(format!("Level \"{l}\" not valid.\n"));
                return None;
            }
        },
        None => match job.job_type {
            JobType::Backup => job.level.unwrap_or(JobLevel::Incremental),
            _ => JobLevel::None,
        },
    };
    let client = a.value("client").map(str::to_string).or_else(|| job.client.clone());
    if let Some(c) = &client {
        if cfg.client(c).is_none() || (a.value("client").is_some() && !session.allows(AclKind::Client, c)) {
            out.error(format!("Client \"{c}\" not found.\n"));
            return None;
        }
        if !session.allows(AclKind::Client, c) {
            out.error(format!("No authorization. Client \"{c}\".\n"));
            return None;
        }
    }
    let fileset = a.value("fileset").map(str::to_string).or_else(|| job.fileset.clone());
    if let Some(f) = &fileset {
        if cfg.fileset(f).is_none() || (a.value("fileset").is_some() && !session.allows(AclKind::FileSet, f)) {
            out.error(format!("FileSet \"{f}\" not found.\n"));
            return None;
        }
    }
    let (pool, pool_source) = match a.value("pool") {
        Some(p) => (p.to_string(), "command line".to_string()),
        None => match jobs::LevelPools::from_job(job).for_level(level) {
            Some((p, s)) => (p.clone(), s.clone()),
            None => (job.pool.clone(), "Job resource".to_string()),
        },
    };
    if cfg.pool(&pool).is_none() || (a.value("pool").is_some() && !session.allows(AclKind::Pool, &pool)) {
        out.error(format!("Pool \"{pool}\" not found.\n"));
        return None;
    }
    let (storage, storage_source) = match a.value("storage") {
        Some(s) => (Some(s.to_string()), "command line".to_string()),
        None => match job.storage.first() {
            Some(s) => (Some(s.clone()), "Job resource".to_string()),
            None => (cfg.pool(&pool).and_then(|p| p.storage.first().cloned()), "Pool resource".to_string()),
        },
    };
    if let Some(s) = &storage {
        if cfg.storage(s).is_none() || (a.value("storage").is_some() && !session.allows(AclKind::Storage, s)) {
            out.error(format!("Storage \"{s}\" not found.\n"));
            return None;
        }
        if !session.allows(AclKind::Storage, s) {
            out.error(format!("No authorization. Storage \"{s}\".\n"));
            return None;
        }
    }
    let priority = match a.value("priority") {
        Some(p) => match p.parse::<u32>() {
            Ok(n) if n > 0 => n,
            _ => {
                out.error("Priority must be a positive integer.\n");
                return None;
            }
        },
        None => job.priority,
    };
    let when = match a.value("when") {
        Some(w) => match parse_when(w) {
            Some(t) => Some(t),
            None => {
                out.error(format!("Invalid time specification in when; expected: \"YYYY-MM-DD HH:MM:SS\": {w}\n"));
                return None;
            }
        },
        None => None,
    };
    let accurate = match a.value("accurate") {
        Some(v) => matches!(v.to_ascii_lowercase().as_str(), "yes" | "true" | "1"),
        None => job.accurate,
    };
    Some(RunPlan {
        spec: JobSpec {
            name: job.name.clone(),
            job_type: job.job_type,
            level,
            client,
            fileset,
            pool: Some(pool),
            pool_source: pool_source.clone(),
            storage,
            storage_source: storage_source.clone(),
            messages: Some(job.messages.clone()),
            priority,
            when,
            comment: a.value("comment").map(str::to_string),
            accurate,
            restore: None,
            trigger: jobs::Trigger::User,
            level_pools: if a.value("pool").is_some() { jobs::LevelPools::default() } else { jobs::LevelPools::from_job(job) },
        },
        pool_source,
        storage_source,
        format: a.value("backupformat").unwrap_or("Native").to_string(),
    })
}

/// The summary Bareos shows before `OK to run?`.
pub fn summary(p: &RunPlan, now: chrono::DateTime<Local>) -> String {
    let s = &p.spec;
    let when = s.when.unwrap_or(now).format("%Y-%m-%d %H:%M:%S");
    match s.job_type {
        JobType::Backup => format!(
            "Run Backup job\nJobName:  {}\nLevel:    {}\nClient:   {}\nFormat:   {}\nFileSet:  {}\nPool:     {} (From {})\nStorage:  {} (From {})\nWhen:     {}\nPriority: {}\n",
            s.name,
            s.level.long_name(),
            s.client.clone().unwrap_or_else(|| "*None*".into()),
            p.format,
            s.fileset.clone().unwrap_or_else(|| "*None*".into()),
            s.pool.clone().unwrap_or_default(),
            p.pool_source,
            s.storage.clone().unwrap_or_else(|| "*None*".into()),
            p.storage_source,
            when,
            s.priority
        ),
        JobType::Restore => {
            let r = s.restore.clone().unwrap_or_default();
            let mut t = format!("Run Restore job\nJobName:         {}\n", s.name);
            t.push_str(&format!("Bootstrap:       {}\n", r.bootstrap_path.clone().unwrap_or_else(|| "*None*".into())));
            match &r.regexwhere {
                Some(rw) => t.push_str(&format!("RegexWhere:      {rw}\n")),
                None => t.push_str(&format!("Where:           {}\n", r.where_.clone().unwrap_or_else(|| "*None*".into()))),
            }
            t.push_str(&format!("Replace:         {}\n", r.replace_word()));
            t.push_str(&format!("FileSet:         {}\n", s.fileset.clone().unwrap_or_else(|| "*None*".into())));
            t.push_str(&format!("Backup Client:   {}\n", s.client.clone().unwrap_or_default()));
            t.push_str(&format!("Restore Client:  {}\n", s.client.clone().unwrap_or_default()));
            t.push_str("Format:          Native\n");
            t.push_str(&format!("Storage:         {}\n", s.storage.clone().unwrap_or_else(|| "*None*".into())));
            t.push_str(&format!("When:            {when}\n"));
            t.push_str(&format!("Catalog:         {}\n", "MyCatalog"));
            t.push_str(&format!("Priority:        {}\n", s.priority));
            t.push_str("Plugin Options:  *None*\n");
            t
        }
        other => format!(
            "Run {} job\nJobName:  {}\nClient:   {}\nFileSet:  {}\nPool:     {} (From {})\nStorage:  {} (From {})\nWhen:     {}\nPriority: {}\n",
            other.long_name(),
            s.name,
            s.client.clone().unwrap_or_else(|| "*None*".into()),
            s.fileset.clone().unwrap_or_else(|| "*None*".into()),
            s.pool.clone().unwrap_or_default(),
            p.pool_source,
            s.storage.clone().unwrap_or_else(|| "*None*".into()),
            p.storage_source,
            when,
            s.priority
        ),
    }
}

/// Ask to choose a resource from a list.
async fn pick(ctx: &mut Ctx<'_>, out: &mut Output, what: &str, names: Vec<String>) -> Result<String, NoAnswer> {
    let i = ctx
        .menu(out, &format!("The defined {what} resources are:"), &names, &format!("Select {what} resource"))
        .await?;
    Ok(names[i].clone())
}

/// The confirm / modify loop. Returns the plan to run, or `None` when not run.
pub async fn confirm(ctx: &mut Ctx<'_>, out: &mut Output, mut p: RunPlan) -> Result<Option<RunPlan>, NoAnswer> {
    loop {
        out.text(summary(&p, ctx.state.clock.now_local()));
        let a = ctx.ask(out, "OK to run? (yes/mod/no): ").await?;
        let a = a.to_ascii_lowercase();
        if a.is_empty() || "yes".starts_with(&a) {
            return Ok(Some(p));
        }
        if "no".starts_with(&a) {
            return Ok(None);
        }
        if !"mod".starts_with(&a) {
            out.warning(format!("Illegal response {a}\n"));
            continue;
        }
        let items: Vec<String> = if p.spec.job_type == JobType::Restore {
            ["Level", "Storage", "Job", "FileSet", "Restore Client", "When", "Priority", "Where", "Replace"]
                .iter()
                .map(|s| s.to_string())
                .collect()
        } else {
            ["Level", "Storage", "Job", "FileSet", "Client", "Backup Format", "When", "Priority", "Pool"]
                .iter()
                .map(|s| s.to_string())
                .collect()
        };
        let choice = ctx.menu(out, "Parameters to modify:", &items, "Select parameter to modify").await?;
        let cfg = ctx.cfg.clone();
        match items[choice].as_str() {
            "Level" => {
                let levels = vec!["Full".to_string(), "Incremental".to_string(), "Differential".to_string()];
                let i = ctx.menu(out, "Levels:", &levels, "Select level").await?;
                p.spec.level = JobLevel::from_keyword(&levels[i]).unwrap_or(JobLevel::Full);
                if let Some(job) = cfg.job(&p.spec.name) {
                    if p.pool_source != "command line" && p.pool_source != "user input" {
                        let (pool, src) = match p.spec.level_pools.for_level(p.spec.level) {
                            Some((pool, src)) => (pool.clone(), src.clone()),
                            None => (job.pool.clone(), "Job resource".to_string()),
                        };
                        p.spec.pool = Some(pool);
                        p.pool_source = src;
                    }
                }
            }
            "Storage" => {
                p.spec.storage = Some(pick(ctx, out, "Storage", cfg.storages.iter().filter(|s| ctx.session.allows(AclKind::Storage, &s.name)).map(|s| s.name.clone()).collect()).await?);
                p.storage_source = "user selection".into();
            }
            "Job" => {
                let name = pick(ctx, out, "Job", cfg.jobs.iter().filter(|j| ctx.session.allows(AclKind::Job, &j.name)).map(|j| j.name.clone()).collect()).await?;
                let saved = p.clone();
                let args = super::args::Args::parse(&format!("run job=\"{name}\"")).unwrap_or_default();
                let ctx2 = Ctx { state: ctx.state, session: &mut *ctx.session, args: &args, cmd: ctx.cmd, cfg: ctx.cfg.clone(), conn: None };
                p = plan(&ctx2, out, &name).unwrap_or(saved);
            }
            "FileSet" => p.spec.fileset = Some(pick(ctx, out, "FileSet", cfg.filesets.iter().filter(|f| ctx.session.allows(AclKind::FileSet, &f.name)).map(|f| f.name.clone()).collect()).await?),
            "Client" | "Restore Client" => {
                p.spec.client = Some(pick(ctx, out, "Client", cfg.clients.iter().filter(|c| ctx.session.allows(AclKind::Client, &c.name)).map(|c| c.name.clone()).collect()).await?)
            }
            "Backup Format" => p.format = ctx.ask(out, "Please enter Backup Format: ").await?,
            "When" => {
                let w = ctx.ask(out, "Please enter desired start time as YYYY-MM-DD HH:MM:SS (return for now): ").await?;
                if w.is_empty() {
                    p.spec.when = None;
                } else {
                    match parse_when(&w) {
                        Some(t) => p.spec.when = Some(t),
                        None => out.text("Invalid time specification.\n"),
                    }
                }
            }
            "Priority" => {
                let v = ctx.ask(out, "Enter new Priority: ").await?;
                match v.parse::<u32>() {
                    Ok(n) if n > 0 => p.spec.priority = n,
                    _ => out.text("Priority must be a positive integer.\n"),
                }
            }
            "Pool" => {
                p.spec.pool = Some(pick(ctx, out, "Pool", cfg.pools.iter().filter(|x| ctx.session.allows(AclKind::Pool, &x.name)).map(|x| x.name.clone()).collect()).await?);
                p.pool_source = "user input".into();
                p.spec.level_pools = jobs::LevelPools::default();
            }
            "Where" => {
                let w = ctx.ask(out, "Please enter the full path prefix for restore (/ for none): ").await?;
                if !ctx.session.allows(AclKind::Where, &w) {
                    // Bareos ua_run.cc's words for a refused where in the modify menu.
                    out.text("Denied by \"WhereACL\" configuration.\n");
                    continue;
                }
                if let Some(r) = p.spec.restore.as_mut() {
                    r.where_ = Some(if w == "/" { String::new() } else { w });
                    r.regexwhere = None;
                }
            }
            "Replace" => {
                let opts = vec!["always".to_string(), "ifnewer".to_string(), "ifolder".to_string(), "never".to_string()];
                let i = ctx.menu(out, "Replace:", &opts, "Select replace option").await?;
                if let Some(r) = p.spec.restore.as_mut() {
                    r.replace = crate::jobs::restore::replace_code(&opts[i]).unwrap_or('a');
                }
            }
            _ => {}
        }
    }
}

/// Queue the planned job and report its JobId.
pub async fn queue(ctx: &mut Ctx<'_>, out: &mut Output, p: RunPlan) -> bool {
    let mut spec = p.spec;
    spec.pool_source = p.pool_source;
    spec.storage_source = p.storage_source;
    match jobs::submit(ctx.state, spec).await {
        Ok(ctl) => {
            out.text(format!("Job queued. JobId={}\n", ctl.jobid));
            let mut m = Map::new();
            m.insert("jobid".into(), Value::from(ctl.jobid.to_string()));
            out.set("run", Value::Object(m));
            true
        }
        Err(e) => {
            out.error(format!("Job failed: {e}\n"));
            false
        }
    }
}

/// `run job=… [level=… client=… fileset=… pool=… storage=… when=… priority=… comment=… accurate=…] [yes]`.
pub async fn run(ctx: &mut Ctx<'_>, out: &mut Output) -> bool {
    // `run job=NAME`, or Bareos's short form `run NAME` (a bare first word).
    let bare = ctx
        .args
        .rest()
        .first()
        .filter(|a| a.value.is_none() && !["yes", "no", "mod"].contains(&a.key.to_ascii_lowercase().as_str()))
        .map(|a| a.key.clone());
    let job_name = match ctx.args.value("job").or_else(|| ctx.args.value("jobname")).map(str::to_string).or(bare) {
        Some(j) => j,
        None => {
            let names: Vec<String> = ctx.cfg.jobs.iter().filter(|j| ctx.session.allows(AclKind::Job, &j.name)).map(|j| j.name.clone()).collect();
            match pick(ctx, out, "Job", names).await {
                Ok(n) => n,
                Err(NoAnswer::NotInteractive) => {
                    out.error("Please specify a job name (job=<name>).\n");
                    return false;
                }
                Err(_) => return false,
            }
        }
    };
    let Some(p) = plan(ctx, out, &job_name) else { return false };
    if p.spec.job_type == JobType::Restore {
        out.error("Restore jobs are started with the restore command (restore … yes).\n");
        return false;
    }
    if ctx.args.has("yes") || ctx.session.api >= 2 {
        return queue(ctx, out, p).await;
    }
    match confirm(ctx, out, p).await {
        Ok(Some(p)) => queue(ctx, out, p).await,
        Ok(None) | Err(NoAnswer::Cancelled) => {
            out.text("Job not run.\n");
            false
        }
        Err(NoAnswer::NotInteractive) => {
            out.error("run needs \"yes\" when it cannot ask.\n");
            false
        }
        Err(NoAnswer::Closed) => false,
    }
}
