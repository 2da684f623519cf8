//! `list` and `llist`: catalog listings as tables (API 0), vertical records
//! (`llist`) or JSON arrays of strings (API 2).

use cairn_catalog::{BackupFilter, Catalog, CatalogError, Fields, JobFilter, JobId, VolumeFilter};
use cairn_types::JobType;
use serde_json::{Map, Value};

use super::output::Output;
use super::table_fmt;
use super::{AclKind, Ctx, Session};

/// What to list, decided from the arguments.
#[derive(Debug, Clone, PartialEq)]
enum What {
    Jobs { filter: JobFilter, count: bool, single: bool },
    Clients { name: Option<String> },
    Pools { name: Option<String>, id: Option<i64> },
    Volumes { filter: VolumeFilter, all: bool, single: bool, count: bool },
    Filesets,
    Storages,
    JobTotals,
    JobLog { jobid: u32, count: bool },
    Files { jobid: u32 },
    JobMedia { jobid: u32 },
    Backups { filter: BackupFilter },
    Copies { jobids: Vec<u32> },
}

fn parse_list(v: &str) -> Vec<char> {
    v.split(',').filter_map(|s| s.trim().chars().next()).collect()
}

fn parse_jobtypes(v: &str) -> Vec<char> {
    v.split(',')
        .filter_map(|s| {
            let s = s.trim();
            let mut chars = s.chars();
            match (chars.next(), chars.next()) {
                (Some(c), None) => Some(c),
                _ => JobType::from_keyword(s).map(|t| t.code()),
            }
        })
        .collect()
}

fn parse_levels(v: &str) -> Vec<char> {
    v.split(',')
        .filter_map(|s| {
            let s = s.trim();
            let mut chars = s.chars();
            match (chars.next(), chars.next()) {
                (Some(c), None) => Some(c),
                _ => cairn_types::JobLevel::from_keyword(s).map(|l| l.code()),
            }
        })
        .collect()
}

fn num<T: std::str::FromStr>(out: &mut Output, key: &str, v: &str) -> Option<T> {
    match v.trim().parse() {
        Ok(n) => Some(n),
        Err(_) => {
            out.error(format!("Invalid {key} value \"{v}\": a number is expected.\n"));
            None
        }
    }
}

fn parse_jobids(out: &mut Output, v: &str) -> Option<Vec<u32>> {
    let mut ids = Vec::new();
    for part in v.split(',') {
        let part = part.trim();
        if let Some((a, b)) = part.split_once('-') {
            let a: u32 = num(out, "jobid", a)?;
            let b: u32 = num(out, "jobid", b)?;
            if b < a || b - a > 100_000 {
                out.error(format!("Invalid jobid range \"{part}\".\n"));
                return None;
            }
            ids.extend(a..=b);
        } else {
            ids.push(num(out, "jobid", part)?);
        }
    }
    Some(ids)
}

fn job_filter(ctx: &Ctx<'_>, out: &mut Output) -> Option<JobFilter> {
    let a = ctx.args;
    let mut f = JobFilter::default();
    if let Some(v) = a.value("jobid") {
        f.jobid = Some(parse_jobids(out, v)?);
    }
    f.job = a.value("ujobid").map(str::to_string);
    f.name = a.value("job").or_else(|| a.value("jobname")).map(str::to_string);
    f.client = a.value("client").map(str::to_string);
    if let Some(v) = a.value("jobstatus") {
        f.jobstatus = parse_list(v);
    }
    if let Some(v) = a.value("jobtype") {
        f.jobtype = parse_jobtypes(v);
    }
    if let Some(v) = a.value("joblevel").or_else(|| a.value("level")) {
        f.joblevel = parse_levels(v);
    }
    f.volume = a.value("volume").map(str::to_string);
    f.pool = a.value("pool").map(str::to_string);
    if let Some(v) = a.value("days") {
        f.days = Some(num(out, "days", v)?);
    }
    if let Some(v) = a.value("hours") {
        f.hours = Some(num(out, "hours", v)?);
    }
    f.last = a.has("last");
    if let Some(v) = a.value("limit") {
        f.limit = Some(num(out, "limit", v)?);
    }
    if let Some(v) = a.value("offset") {
        f.offset = Some(num(out, "offset", v)?);
    }
    f.reverse = a.has("reverse");
    Some(f)
}

fn required_jobid(ctx: &Ctx<'_>, out: &mut Output, sub: &str) -> Option<u32> {
    match ctx.args.value("jobid") {
        Some(v) => num(out, "jobid", v),
        None => {
            out.error(format!("list {sub}: jobid=<jobid> is required.\n"));
            None
        }
    }
}

/// `list backups client=X [fileset=] [jobstatus=] [level=] [order=asc|desc]
/// [limit= [offset=]] [days=|hours=]` (Bareos `ParseListBackupsCmd`).
fn backup_filter(ctx: &Ctx<'_>, out: &mut Output) -> Option<BackupFilter> {
    let a = ctx.args;
    let Some(client) = a.value("client") else {
        out.error("missing parameter: client\n");
        return None;
    };
    let mut f = BackupFilter { client: client.to_string(), ..BackupFilter::default() };
    f.fileset = a.value("fileset").filter(|v| !v.eq_ignore_ascii_case("any")).map(str::to_string);
    if let Some(v) = a.value("jobstatus") {
        // Single letters or the words Bareos knows; anything else is skipped.
        f.jobstatus = v
            .split(',')
            .filter_map(|s| {
                let s = s.trim();
                let mut chars = s.chars();
                match (chars.next(), chars.next()) {
                    (Some(c), None) if c.is_ascii_alphabetic() => Some(c),
                    _ => match s.to_ascii_lowercase().as_str() {
                        "terminated" => Some('T'),
                        "warnings" => Some('W'),
                        "canceled" => Some('A'),
                        "running" => Some('R'),
                        "error" => Some('e'),
                        "fatal" => Some('f'),
                        _ => None,
                    },
                }
            })
            .collect();
    }
    if let Some(v) = a.value("level") {
        f.level = parse_levels(v);
    }
    if let Some(v) = a.value("order") {
        let v = v.to_ascii_lowercase();
        if !v.is_empty() && "descending".starts_with(&v) {
            f.descending = true;
        } else if v.is_empty() || !"ascending".starts_with(&v) {
            out.error(format!("Invalid order value: {v}\n"));
            return None;
        }
    }
    if let Some(v) = a.value("limit") {
        f.limit = Some(num(out, "limit", v)?);
    }
    if let Some(v) = a.value("offset") {
        f.offset = Some(num(out, "offset", v)?);
    }
    if let Some(v) = a.value("days") {
        f.days = Some(num(out, "days", v)?);
    }
    if let Some(v) = a.value("hours") {
        f.hours = Some(num(out, "hours", v)?);
    }
    Some(f)
}

fn decide(ctx: &Ctx<'_>, out: &mut Output) -> Option<What> {
    let a = ctx.args;
    let Some(first) = a.rest().first() else {
        out.error(format!("{} command requires a keyword\n", ctx.args.command().unwrap_or("list")));
        return None;
    };
    let key = first.key.to_ascii_lowercase();
    let what = match (key.as_str(), first.value.is_some()) {
        ("jobs", false) => What::Jobs { filter: job_filter(ctx, out)?, count: a.has("count"), single: false },
        ("job" | "jobname" | "ujobid", true) => {
            What::Jobs { filter: job_filter(ctx, out)?, count: a.has("count"), single: false }
        }
        ("jobid", true) => What::Jobs { filter: job_filter(ctx, out)?, count: false, single: true },
        ("jobid" | "ujobid" | "job" | "jobname", false) => {
            out.error(format!("Missing {} parameter\n", first.key));
            return None;
        }
        ("clients", false) => What::Clients { name: None },
        ("client", true) => What::Clients { name: first.value.clone() },
        ("pools", false) => What::Pools { name: None, id: None },
        ("pool", true) => What::Pools { name: first.value.clone(), id: None },
        ("poolid", true) => What::Pools { name: None, id: Some(num(out, "poolid", first.value.as_deref().unwrap_or(""))?) },
        ("volumes" | "media", false) => {
            let mut filter = VolumeFilter { pool: a.value("pool").map(str::to_string), ..VolumeFilter::default() };
            if let Some(v) = a.value("jobid") {
                filter.jobid = Some(num(out, "jobid", v)?);
            }
            What::Volumes { filter, all: a.has("all"), single: false, count: a.has("count") }
        }
        ("volume", true) => {
            let filter = VolumeFilter { volume: first.value.clone(), ..VolumeFilter::default() };
            What::Volumes { filter, all: true, single: true, count: false }
        }
        ("mediaid" | "volumeid", true) => {
            let filter = VolumeFilter {
                mediaid: Some(num(out, "mediaid", first.value.as_deref().unwrap_or(""))?),
                ..VolumeFilter::default()
            };
            What::Volumes { filter, all: true, single: true, count: false }
        }
        ("filesets" | "fileset", _) => What::Filesets,
        ("storages", false) => What::Storages,
        ("jobtotals", false) => What::JobTotals,
        ("joblog", false) => What::JobLog { jobid: required_jobid(ctx, out, "joblog")?, count: a.has("count") },
        ("files", false) => What::Files { jobid: required_jobid(ctx, out, "files")? },
        ("jobmedia", false) => What::JobMedia { jobid: required_jobid(ctx, out, "jobmedia")? },
        ("backups", false) => What::Backups { filter: backup_filter(ctx, out)? },
        ("copies", false) => {
            let jobids = match a.value("jobid") {
                Some(v) => parse_jobids(out, v)?,
                None => Vec::new(),
            };
            What::Copies { jobids }
        }
        _ => {
            out.error(format!("Unknown list keyword: {}\n", first.key));
            return None;
        }
    };
    Some(what)
}

enum Listing {
    Rows { key: &'static str, rows: Vec<Fields>, single_object: bool },
    Grouped { key: &'static str, groups: Vec<(String, Vec<Fields>)> },
    Lines { key: &'static str, field: &'static str, lines: Vec<String> },
    Totals { rows: Vec<Fields>, total: Fields },
    /// `list copies`: nothing at all when there are none (Bareos `ListCopiesRecords`).
    Copies { rows: Vec<Fields>, all: bool },
    /// A single job asked for by jobid that does not exist: `{"jobs":{}}`, no text.
    NoJob,
}

/// Errors that are Bareos messages rather than catalog failures.
enum Refusal {
    /// `jobid not found in db, …` (files, jobmedia, joblog).
    NoSuchJob,
    /// `invalid client argument: X` (the client is not in the catalog).
    NoSuchClient(String),
}

const NO_SUCH_JOB: &str =
    "jobid not found in db, access to job or client denied by ACL, or client not found in db\n";

fn client_known(c: &Catalog, name: &str) -> Result<bool, CatalogError> {
    Ok(c.list_clients()?.iter().any(|r| r.name == name))
}

/// A job exists and this console may see it (its Job and Client ACLs).
fn job_known(c: &Catalog, jobid: u32, acl: &Session) -> Result<bool, CatalogError> {
    Ok(jobid > 0 && c.get_job(JobId(jobid))?.is_some_and(|r| job_visible(acl, &r)))
}

/// Bareos hides catalog job rows whose job or client the console may not use.
fn job_visible(acl: &Session, r: &cairn_catalog::JobRow) -> bool {
    acl.allows(AclKind::Job, &r.name) && r.client.as_deref().is_none_or(|c| acl.allows(AclKind::Client, c))
}

fn fetch(c: &mut Catalog, what: What, long: bool, acl: &Session) -> Result<Result<Listing, Refusal>, CatalogError> {
    // Bareos looks the client and the job up before listing.
    match &what {
        What::Jobs { filter, single, .. } => {
            if let Some(n) = &filter.client
                && (!client_known(c, n)? || !acl.allows(AclKind::Client, n)) {
                    return Ok(Err(Refusal::NoSuchClient(n.clone())));
                }
            // `list jobid=N` of a job that does not exist.
            if *single
                && let Some([id]) = filter.jobid.as_deref()
                && !job_known(c, *id, acl)? {
                    return Ok(Ok(Listing::NoJob));
                }
        }
        What::Backups { filter } if !client_known(c, &filter.client)? || !acl.allows(AclKind::Client, &filter.client) => {
            return Ok(Err(Refusal::NoSuchClient(filter.client.clone())));
        }
        What::Files { jobid } | What::JobMedia { jobid } | What::JobLog { jobid, .. } if !job_known(c, *jobid, acl)? => {
            return Ok(Err(Refusal::NoSuchJob));
        }
        _ => {}
    }
    fetch_rows(c, what, long, acl).map(Ok)
}

fn fetch_rows(c: &mut Catalog, what: What, long: bool, acl: &Session) -> Result<Listing, CatalogError> {
    let pool_ok = |c: &Catalog, poolid: i64| -> Result<bool, CatalogError> {
        Ok(acl.is_root() || c.list_pools()?.iter().any(|p| p.poolid == poolid && acl.allows(AclKind::Pool, &p.name)))
    };
    Ok(match what {
        What::Jobs { filter, count, single } => {
            if count && acl.is_root() {
                let n = c.count_jobs(&filter)?;
                Listing::Rows { key: "jobs", rows: vec![vec![("count", n.to_string())]], single_object: false }
            } else if count {
                let n = c.list_jobs(&filter)?.iter().filter(|r| job_visible(acl, r)).count();
                Listing::Rows { key: "jobs", rows: vec![vec![("count", n.to_string())]], single_object: false }
            } else {
                let mut rows = c.list_jobs(&filter)?;
                rows.retain(|r| job_visible(acl, r));
                let rows: Vec<Fields> =
                    rows.iter().map(|r| if long { r.llist_fields() } else { r.list_fields() }).collect();
                Listing::Rows { key: "jobs", single_object: single && rows.is_empty(), rows }
            }
        }
        What::Clients { name } => {
            let rows = c.list_clients()?;
            let rows = rows
                .iter()
                .filter(|r| name.as_ref().is_none_or(|n| &r.name == n))
                .filter(|r| acl.allows(AclKind::Client, &r.name))
                .map(|r| if long { r.llist_fields() } else { r.list_fields() })
                .collect();
            Listing::Rows { key: "clients", rows, single_object: false }
        }
        What::Pools { name, id } => {
            let rows = c.list_pools()?;
            let rows = rows
                .iter()
                .filter(|r| name.as_ref().is_none_or(|n| &r.name == n) && id.is_none_or(|i| r.poolid == i))
                .filter(|r| acl.allows(AclKind::Pool, &r.name))
                .map(|r| if long { r.llist_fields() } else { r.list_fields() })
                .collect();
            Listing::Rows { key: "pools", rows, single_object: false }
        }
        What::Volumes { filter, all, single, count } => {
            let mut rows = c.list_volumes(&filter)?;
            if !acl.is_root() {
                // Volumes are visible through their pool's Pool ACL.
                let mut kept = Vec::with_capacity(rows.len());
                for r in rows {
                    if pool_ok(c, r.poolid)? {
                        kept.push(r);
                    }
                }
                rows = kept;
            }
            if count {
                return Ok(Listing::Rows {
                    key: "volumes",
                    rows: vec![vec![("count", rows.len().to_string())]],
                    single_object: false,
                });
            }
            let to_fields = |r: &cairn_catalog::MediaRow| {
                if long {
                    r.llist_fields()
                } else {
                    // Bareos's list columns end with hasencryptionkey (dml/0076).
                    let mut f = r.list_fields();
                    if !f.iter().any(|(k, _)| *k == "hasencryptionkey") {
                        f.push(("hasencryptionkey", u8::from(r.has_encryption_key()).to_string()));
                    }
                    f
                }
            };
            if all || filter.pool.is_some() || single || filter.jobid.is_some() {
                let key = if single { "volume" } else { "volumes" };
                Listing::Rows { key, rows: rows.iter().map(to_fields).collect(), single_object: single }
            } else {
                let mut groups: Vec<(String, Vec<Fields>)> = Vec::new();
                for p in c.list_pools()?.into_iter().filter(|p| acl.allows(AclKind::Pool, &p.name)) {
                    let vols: Vec<Fields> = rows.iter().filter(|r| r.poolid == p.poolid).map(to_fields).collect();
                    groups.push((p.name.clone(), vols));
                }
                Listing::Grouped { key: "volumes", groups }
            }
        }
        What::Filesets => {
            let rows = c.list_filesets()?;
            Listing::Rows {
                key: "filesets",
                rows: rows.iter().filter(|r| acl.allows(AclKind::FileSet, &r.fileset)).map(|r| r.fields()).collect(),
                single_object: false,
            }
        }
        What::Storages => {
            let rows = c.list_storages()?;
            Listing::Rows {
                key: "storages",
                rows: rows.iter().filter(|r| acl.allows(AclKind::Storage, &r.name)).map(|r| r.fields()).collect(),
                single_object: false,
            }
        }
        What::JobTotals => {
            let (mut rows, mut total) = c.job_totals()?;
            if !acl.is_root() {
                rows.retain(|r| acl.allows(AclKind::Job, &r.name));
                total.jobs = rows.iter().map(|r| r.jobs).sum();
                total.files = rows.iter().map(|r| r.files).sum();
                total.bytes = rows.iter().map(|r| r.bytes).sum();
            }
            let per_job = rows
                .iter()
                .map(|r| {
                    vec![
                        ("jobs", r.jobs.to_string()),
                        ("files", r.files.to_string()),
                        ("bytes", r.bytes.to_string()),
                        ("job", r.name.clone()),
                    ]
                })
                .collect();
            // SUM over no rows is NULL in SQL, as Bareos shows it.
            let sum = |n: i64| if total.jobs == 0 { table_fmt::NULL.to_string() } else { n.to_string() };
            let total = vec![("jobs", total.jobs.to_string()), ("files", sum(total.files)), ("bytes", sum(total.bytes))];
            Listing::Totals { rows: per_job, total }
        }
        What::JobLog { jobid, count } => {
            let rows = c.list_joblog(JobId(jobid))?;
            if count {
                Listing::Rows { key: "joblog", rows: vec![vec![("count", rows.len().to_string())]], single_object: false }
            } else {
                let rows = rows
                    .iter()
                    .map(|r| vec![("time", r.time.clone().unwrap_or_default()), ("logtext", r.logtext.clone())])
                    .collect();
                Listing::Rows { key: "joblog", rows, single_object: false }
            }
        }
        What::Files { jobid } => {
            Listing::Lines { key: "filenames", field: "filename", lines: c.list_files(JobId(jobid))? }
        }
        What::JobMedia { jobid } => {
            let rows = c.list_jobmedia(JobId(jobid))?;
            Listing::Rows {
                key: "jobmedia",
                rows: rows.iter().map(|r| if long { r.llist_fields() } else { r.list_fields() }).collect(),
                single_object: false,
            }
        }
        What::Backups { filter } => {
            let mut rows = c.list_backups(&filter)?;
            rows.retain(|r| job_visible(acl, r));
            let rows = rows.iter().map(|r| if long { r.llist_fields() } else { r.list_fields() }).collect();
            Listing::Rows { key: "backups", rows, single_object: false }
        }
        What::Copies { jobids } => {
            let all = jobids.is_empty();
            let mut rows = c.list_copies(&jobids)?;
            // Only copies of jobs (and of copy jobs) this console may see.
            if !acl.is_root() {
                let mut keep = Vec::with_capacity(rows.len());
                for r in rows {
                    if job_known(c, r.jobid, acl)? && job_known(c, r.copyjobid, acl)? {
                        keep.push(r);
                    }
                }
                rows = keep;
            }
            Listing::Copies { rows: rows.iter().map(|r| r.list_fields()).collect(), all }
        }
    })
}

/// `list …` (`long = false`) and `llist …` (`long = true`).
pub async fn list(ctx: &mut Ctx<'_>, out: &mut Output, long: bool) -> bool {
    if !ctx.session.catalog_announced {
        let name = ctx.cfg.default_catalog().name.clone();
        out.text(format!("Automatically selected Catalog: {name}\nUsing Catalog \"{name}\"\n"));
        ctx.session.catalog_announced = true;
    }
    let Some(what) = decide(ctx, out) else { return false };
    let is_joblog = matches!(what, What::JobLog { count: false, .. });
    let acl = ctx.session.clone();
    let res = ctx.state.catalog.call(move |c| fetch(c, what, long, &acl)).await;
    let listing = match res {
        Ok(Ok(Ok(l))) => l,
        Ok(Ok(Err(Refusal::NoSuchJob))) => {
            out.error(NO_SUCH_JOB);
            return false;
        }
        Ok(Ok(Err(Refusal::NoSuchClient(name)))) => {
            out.error(format!("invalid client argument: {name}\n"));
            return false;
        }
        Ok(Err(e)) => {
            out.error(format!("Catalog error: {e}\n"));
            return false;
        }
        Err(e) => {
            out.error(format!("{e}\n"));
            return false;
        }
    };
    let render = |rows: &[Fields]| if long { table_fmt::vertical(rows) } else { table_fmt::horizontal(rows) };
    match listing {
        Listing::Rows { key, rows, single_object } => {
            if is_joblog && !long {
                // Bareos prints the log raw: " <time> <logtext>" per row.
                for r in &rows {
                    let time = r.iter().find(|(k, _)| *k == "time").map(|(_, v)| v.as_str()).unwrap_or("");
                    let text = r.iter().find(|(k, _)| *k == "logtext").map(|(_, v)| v.as_str()).unwrap_or("");
                    out.text(format!(" {time} {text}"));
                }
                if rows.is_empty() {
                    out.text("No results to list.\n");
                }
            } else {
                out.text(render(&rows));
            }
            if single_object {
                // Bareos quirk: a single job/volume that does not exist is an empty object.
                let first = table_fmt::json_rows(&rows);
                let v = match first {
                    Value::Array(mut a) if !a.is_empty() => a.remove(0),
                    _ => Value::Object(Map::new()),
                };
                out.set(key, v);
            } else {
                out.set(key, table_fmt::json_rows(&rows));
            }
        }
        Listing::Grouped { key, groups } => {
            let mut m = Map::new();
            for (pool, rows) in groups {
                out.text(format!("Pool: {pool}\n"));
                out.text(render(&rows));
                m.insert(pool.to_lowercase(), table_fmt::json_rows(&rows));
            }
            out.set(key, Value::Object(m));
        }
        Listing::Lines { key, field, lines } => {
            let mut arr = Vec::new();
            for l in lines {
                out.text(format!(" {l}\n"));
                let mut m = Map::new();
                m.insert(field.to_string(), Value::from(l));
                arr.push(Value::Object(m));
            }
            out.set(key, Value::Array(arr));
        }
        Listing::NoJob => {
            // Bareos: a jobid that does not exist is no error and prints nothing.
            out.set("jobs", Value::Object(Map::new()));
        }
        Listing::Copies { rows, all } => {
            if !rows.is_empty() {
                out.text(if all {
                    "The catalog contains copies as follows:\n"
                } else {
                    "These JobIds have copies as follows:\n"
                });
                out.text(render(&rows));
                out.set("copies", table_fmt::json_rows(&rows));
            }
        }
        Listing::Totals { rows, total } => {
            // Always two horizontal tables, also for llist.
            out.text(table_fmt::horizontal(&rows));
            out.text(table_fmt::horizontal(std::slice::from_ref(&total)));
            out.set("jobs", table_fmt::json_rows(&rows));
            let t = match table_fmt::json_rows(std::slice::from_ref(&total)) {
                Value::Array(mut a) if !a.is_empty() => a.remove(0),
                _ => Value::Object(Map::new()),
            };
            out.set("jobtotals", t);
        }
    }
    true
}
