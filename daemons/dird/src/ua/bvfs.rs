//! The bvfs API (`.bvfs_update`, `.bvfs_get_jobids`, `.bvfs_lsdirs`, `.bvfs_lsfiles`,
//! `.bvfs_versions`, `.bvfs_restore`, `.bvfs_cleanup`, `.bvfs_clear_cache`): what
//! restore browsers (bareos-webui, python-bareos, Cairn's TUI) use to walk the catalog
//! and to hand a selection to `restore file=?b2<n>`. The SQL lives in the catalog
//! (`cairn_catalog::bvfs`); this module parses arguments as Bareos's `ua_dotcmds.cc`
//! does, applies the console's Job/Client/FileSet ACLs and prints.
//!
//! Output as Bareos: API 0/1 print tab-separated rows (`PathId FileId JobId LStat Name`,
//! versions `PathId FileId JobId LStat MD5 VolumeName VolumeInChanger`); API 2 gives
//! `{"directories":[…]}`, `{"files":[…]}`, `{"versions":[…]}` with integer ids and the
//! decoded lstat in `stat`, and `{"jobids":[{"id":"1"},…]}` (strings).
//!
//! Deviations, all stricter than Bareos: malformed `jobid=`/`pathid=`/`limit=`/
//! `offset=` values are reported instead of being ignored (Bareos then falls back to
//! defaults, and `.bvfs_update jobid=x` would rebuild every job's cache); `pattern=` is a
//! regular expression on the entry's name and also works for `.bvfs_lsdirs` (Bareos
//! parses it for `.bvfs_lsfiles` only); an unknown `path=` in `.bvfs_lsdirs` gets an
//! error message (Bareos fails silently).

use std::collections::HashMap;
use std::sync::Arc;

use cairn_catalog::{
    BvfsEntry, BvfsListQuery, BvfsSelection, BvfsVersion, BvfsVersionsQuery, Catalog, CatalogError,
    JobId, NameMatcher,
};
use cairn_types::lstat::Lstat;
use serde_json::{Map, Value};

use super::Ctx;
use super::output::Output;
use crate::state::DirState;

/// Bareos's default page size for listings.
const DEFAULT_LIMIT: u64 = 2000;

const MISSING_ARGS: &str = "Can't find jobid, pathid or path argument\n";
const UNAUTHORIZED: &str = "Unauthorized command from this console.\n";

/// A comma-separated list of numbers (Bareos `Is_a_number_list`); empty items are
/// skipped. `None` when anything else appears or a number is out of range.
fn number_list<T: std::str::FromStr>(s: &str) -> Option<Vec<T>> {
    let mut v = Vec::new();
    for item in s.split(',') {
        let item = item.trim();
        if item.is_empty() {
            continue;
        }
        if !item.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        v.push(item.parse().ok()?);
    }
    Some(v)
}

fn number(key: &str, v: &str) -> Result<u64, String> {
    if !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) {
        v.parse().map_err(|_| format!("{key}={v} is out of range.\n"))
    } else {
        Err(format!("Invalid {key}={v}: expected a number.\n"))
    }
}

/// The arguments shared by the listing commands (Bareos `BvfsParseArg`).
#[derive(Debug)]
struct ListArgs {
    pathid: i64,
    path: Option<String>,
    jobids: Vec<u32>,
    /// The `jobid=` text as given (for messages).
    jobid_text: String,
    limit: u64,
    offset: u64,
}

/// Parses `jobid=`, `pathid=`, `path=`, `limit=`, `offset=`. A missing jobid list or
/// missing path/pathid gives Bareos's message; malformed values name the argument.
fn list_args(ctx: &Ctx<'_>) -> Result<ListArgs, String> {
    let a = ctx.args;
    let pathid = match a.value("pathid") {
        Some(v) => i64::try_from(number("pathid", v)?).map_err(|_| format!("pathid={v} is out of range.\n"))?,
        None => 0,
    };
    let path = a.value("path").map(str::to_string);
    let (jobids, jobid_text) = match a.value("jobid") {
        Some(v) => match number_list::<u32>(v) {
            Some(ids) if !ids.is_empty() => (ids, v.to_string()),
            Some(_) => return Err(MISSING_ARGS.to_string()),
            None => return Err(format!("Invalid jobid={v}: expected a comma separated list of JobIds.\n")),
        },
        None => return Err(MISSING_ARGS.to_string()),
    };
    let limit = match a.value("limit") {
        Some(v) => number("limit", v)?,
        None => DEFAULT_LIMIT,
    };
    let offset = match a.value("offset") {
        Some(v) => number("offset", v)?,
        None => 0,
    };
    if pathid == 0 && path.is_none() {
        return Err(MISSING_ARGS.to_string());
    }
    Ok(ListArgs { pathid, path, jobids, jobid_text, limit, offset })
}

/// `pattern=`: a regular expression matched against entry names.
fn pattern(ctx: &Ctx<'_>) -> Result<Option<NameMatcher>, String> {
    match ctx.args.value("pattern") {
        None | Some("") => Ok(None),
        Some(p) => match regex::Regex::new(p) {
            Ok(re) => Ok(Some(Arc::new(move |name: &str| re.is_match(name)))),
            Err(e) => Err(format!("Invalid pattern={p}: {e}\n")),
        },
    }
}

/// One kind of resource ACL of the session's console (console list, then its
/// profiles'); the default console may do everything.
struct ResourceAcl {
    session: super::Session,
    kind: super::AclKind,
}

impl ResourceAcl {
    fn of(ctx: &Ctx<'_>, kind: super::AclKind) -> ResourceAcl {
        ResourceAcl { session: ctx.session.clone(), kind }
    }

    fn allows(&self, name: &str) -> bool {
        self.session.allows(self.kind, name)
    }
}

/// Runs `f` on the catalog thread; errors become error messages.
async fn catalog<T, F>(state: &DirState, out: &mut Output, f: F) -> Option<T>
where
    T: Send + 'static,
    F: FnOnce(&mut Catalog) -> Result<T, CatalogError> + Send + 'static,
{
    match state.catalog.call(f).await {
        Ok(Ok(v)) => Some(v),
        Ok(Err(e)) => {
            out.error(format!("Catalog error: {e}\n"));
            None
        }
        Err(e) => {
            out.error(format!("{e}\n"));
            None
        }
    }
}

/// The Job and Client ACLs that decide which jobs a console may browse.
struct JobAcl {
    jobs: ResourceAcl,
    clients: ResourceAcl,
}

impl JobAcl {
    fn of(ctx: &Ctx<'_>) -> JobAcl {
        JobAcl { jobs: ResourceAcl::of(ctx, super::AclKind::Job), clients: ResourceAcl::of(ctx, super::AclKind::Client) }
    }
}

/// The jobs of `ids` that exist and that the console may see (Job ACL on the job
/// name, Client ACL on its client), in the given order (Bareos `BvfsValidateJobids`).
async fn allowed_jobids(state: &DirState, acl: &JobAcl, out: &mut Output, ids: &[u32]) -> Option<Vec<u32>> {
    let wanted = ids.to_vec();
    let owners = catalog(state, out, move |c| {
        let mut v = Vec::with_capacity(wanted.len());
        for id in wanted {
            if let Some(j) = c.get_job(JobId(id))? {
                v.push((id, j.name, j.client));
            }
        }
        Ok(v)
    })
    .await?;
    Some(
        owners
            .into_iter()
            .filter(|(_, name, client)| acl.jobs.allows(name) && client.as_deref().is_none_or(|c| acl.clients.allows(c)))
            .map(|(id, _, _)| id)
            .collect(),
    )
}

/// `uid`/`gid` → name on the director's host (as Bareos's `guid_list`), the number when
/// unknown; read once per command.
#[derive(Default)]
struct Names {
    users: Option<HashMap<u32, String>>,
    groups: Option<HashMap<u32, String>>,
}

fn id_names(file: &str) -> HashMap<u32, String> {
    let text = std::fs::read_to_string(file).unwrap_or_default();
    let mut m = HashMap::new();
    for l in text.lines() {
        let mut f = l.split(':');
        let (Some(name), _, Some(id)) = (f.next(), f.next(), f.next()) else { continue };
        if let Ok(id) = id.parse::<u32>() {
            m.entry(id).or_insert_with(|| name.to_string());
        }
    }
    m
}

impl Names {
    fn user(&mut self, uid: u32) -> String {
        self.users
            .get_or_insert_with(|| id_names("/etc/passwd"))
            .get(&uid)
            .cloned()
            .unwrap_or_else(|| uid.to_string())
    }
    fn group(&mut self, gid: u32) -> String {
        self.groups
            .get_or_insert_with(|| id_names("/etc/group"))
            .get(&gid)
            .cloned()
            .unwrap_or_else(|| gid.to_string())
    }
}

/// The `stat` object of a bvfs row: the decoded lstat plus user and group names.
fn stat_json(l: &Lstat, names: &mut Names) -> Value {
    let mut m = Map::new();
    m.insert("dev".into(), l.dev.into());
    m.insert("ino".into(), l.ino.into());
    m.insert("mode".into(), l.mode.into());
    m.insert("nlink".into(), l.nlink.into());
    m.insert("uid".into(), l.uid.into());
    m.insert("gid".into(), l.gid.into());
    m.insert("user".into(), names.user(l.uid).into());
    m.insert("group".into(), names.group(l.gid).into());
    m.insert("rdev".into(), l.rdev.into());
    m.insert("size".into(), l.size.into());
    m.insert("atime".into(), l.atime.into());
    m.insert("mtime".into(), l.mtime.into());
    m.insert("ctime".into(), l.ctime.into());
    Value::Object(m)
}

/// Bareos's `bvfs_basename_dir`: the last component of a directory path with its `/`
/// (`/etc/ssh/` → `ssh/`, `/` → `/`, `C:/` → `C:/`, `.` → `.`).
pub fn basename_dir(path: &str) -> &str {
    let b = path.as_bytes();
    let Some(mut last) = b.len().checked_sub(1) else { return path };
    if b[last] == b'/' {
        match last.checked_sub(1) {
            Some(l) => last = l,
            None => return path,
        }
    }
    if last == 0 {
        return path;
    }
    let mut p = last;
    while p > 0 && b[p] != b'/' {
        p -= 1;
    }
    if b[p] == b'/' {
        p += 1;
    }
    path.get(p..).unwrap_or(path)
}

/// Prints listing rows and builds their JSON objects (Bareos `BvfsResultHandler`).
fn emit_entries(out: &mut Output, key: &str, entries: &[BvfsEntry], dirs: bool) {
    let mut names = Names::default();
    let mut arr = Vec::with_capacity(entries.len());
    for e in entries {
        let shown = if dirs { basename_dir(&e.name) } else { e.name.as_str() };
        out.text(format!("{}\t{}\t{}\t{}\t{}\n", e.pathid, e.fileid, e.jobid, e.lstat, shown));
        let l = Lstat::decode(&e.lstat).unwrap_or_default();
        let mut m = Map::new();
        m.insert("type".into(), Value::from(if dirs { "D" } else { "F" }));
        m.insert("pathid".into(), e.pathid.into());
        m.insert("fileid".into(), e.fileid.into());
        m.insert("jobid".into(), e.jobid.into());
        m.insert("lstat".into(), e.lstat.clone().into());
        m.insert("name".into(), shown.into());
        if dirs {
            m.insert("fullpath".into(), e.name.clone().into());
        }
        m.insert("stat".into(), stat_json(&l, &mut names));
        m.insert("linkfileindex".into(), l.link_fi.into());
        arr.push(Value::Object(m));
    }
    out.set(key, Value::Array(arr));
}

fn emit_versions(out: &mut Output, rows: &[BvfsVersion]) {
    let mut names = Names::default();
    let mut arr = Vec::with_capacity(rows.len());
    for v in rows {
        out.text(format!(
            "{}\t{}\t{}\t{}\t{}\t{}\t{}\n",
            v.pathid, v.fileid, v.jobid, v.lstat, v.md5, v.volumename, v.inchanger
        ));
        let l = Lstat::decode(&v.lstat).unwrap_or_default();
        let mut m = Map::new();
        m.insert("type".into(), Value::from("V"));
        m.insert("pathid".into(), v.pathid.into());
        m.insert("fileid".into(), v.fileid.into());
        m.insert("jobid".into(), v.jobid.into());
        m.insert("lstat".into(), v.lstat.clone().into());
        m.insert("md5".into(), v.md5.clone().into());
        m.insert("volumename".into(), v.volumename.clone().into());
        m.insert("volumeinchanger".into(), v.inchanger.into());
        m.insert("stat".into(), stat_json(&l, &mut names));
        arr.push(Value::Object(m));
    }
    out.set("versions", Value::Array(arr));
}

/// `.bvfs_update [jobid=1,2,3]`: builds the directory cache of the jobs, or of every
/// finished Backup/Archive job without one. JSON `{}`.
pub async fn update(ctx: &mut Ctx<'_>, out: &mut Output) -> bool {
    let state = ctx.state.clone();
    match ctx.args.value("jobid") {
        Some(v) => {
            let Some(ids) = number_list::<u32>(v) else {
                out.error(format!("Invalid jobid={v}: expected a comma separated list of JobIds.\n"));
                return false;
            };
            let Some(report) = catalog(&state, out, move |c| c.bvfs_update(&ids)).await else { return false };
            if !report.failed.is_empty() {
                out.error(format!("ERROR: BVFS reported a problem for {v}\n"));
            }
            true
        }
        None => catalog(&state, out, |c| c.bvfs_update_all()).await.is_some(),
    }
}

/// `.bvfs_clear_cache yes`.
pub async fn clear_cache(ctx: &mut Ctx<'_>, out: &mut Output) -> bool {
    let state = ctx.state.clone();
    if !ctx.args.has("yes") {
        out.error("Can't find 'yes' argument\n");
        return true;
    }
    if catalog(&state, out, |c| c.bvfs_clear_cache()).await.is_some() {
        out.info("OK\n");
    }
    true
}

/// `.bvfs_get_jobids jobid=N | ujobid=NAME [all]`: the jobs needed to restore job N
/// (its Full, Differential and Incrementals, as accurate mode computes them; a Base
/// job alone); `all` does it for every FileSet the client used. FileSet, Job and
/// Client ACLs apply. Text `1,2,3`; JSON `{"jobids":[{"id":"1"},…]}`.
pub async fn get_jobids(ctx: &mut Ctx<'_>, out: &mut Output) -> bool {
    let state = ctx.state.clone();
    let (key, given) = match (ctx.args.value("ujobid"), ctx.args.value("jobid")) {
        (Some(u), _) => ("ujobid", u.to_string()),
        (None, Some(j)) => ("jobid", j.to_string()),
        (None, None) => {
            out.error("Can't find ujobid or jobid argument\n");
            return false;
        }
    };
    let lookup = given.clone();
    let by_name = key == "ujobid";
    let job = catalog(&state, out, move |c| {
        if by_name {
            c.get_job_by_name(&lookup)
        } else {
            match lookup.trim().parse::<u32>() {
                Ok(id) => c.get_job(JobId(id)),
                Err(_) => Ok(None),
            }
        }
    })
    .await;
    let Some(job) = job else { return false };
    let Some(job) = job else {
        let err = if by_name { format!("No Job found for JobName '{given}'") } else { format!("No Job found for JobId {given}") };
        out.error(format!("Unable to get Job record for JobId={given}: ERR={err}\n"));
        return false;
    };
    let ids: Vec<u32> = if job.level == 'B' {
        vec![job.jobid]
    } else {
        let all = ctx.args.has("all");
        let (clientid, filesetid, fileset) = (job.clientid, job.filesetid, job.fileset.clone());
        let filesets = catalog(&state, out, move |c| {
            if all {
                c.bvfs_client_filesets(clientid)
            } else {
                // A job without a FileSet record has no chain (Bareos skips it).
                Ok(fileset.map(|name| vec![(filesetid, name)]).unwrap_or_default())
            }
        })
        .await;
        let Some(filesets) = filesets else { return false };
        let acl = ResourceAcl::of(ctx, super::AclKind::FileSet);
        let allowed: Vec<i64> = filesets.into_iter().filter(|(_, name)| acl.allows(name)).map(|(id, _)| id).collect();
        let archive = job.jobtype == 'A';
        let start = job.starttime.clone();
        let chains = catalog(&state, out, move |c| {
            let mut ids = Vec::new();
            for fs in allowed {
                ids.extend(c.accurate_jobids(clientid, fs, 'I', archive, start.as_deref())?);
            }
            Ok(ids)
        })
        .await;
        let Some(chains) = chains else { return false };
        chains
    };
    let Some(ids) = allowed_jobids(&state, &JobAcl::of(ctx), out, &ids).await else { return false };
    let text: Vec<String> = ids.iter().map(u32::to_string).collect();
    out.text(format!("{}\n", text.join(",")));
    let arr: Vec<Value> = text
        .into_iter()
        .map(|id| {
            let mut m = Map::new();
            m.insert("id".into(), Value::from(id));
            Value::Object(m)
        })
        .collect();
    out.set("jobids", Value::Array(arr));
    true
}

/// Common start of `.bvfs_lsdirs` / `.bvfs_lsfiles`: arguments, pattern and the jobs
/// the console may see.
async fn listing_setup(ctx: &mut Ctx<'_>, out: &mut Output) -> Option<(ListArgs, Option<NameMatcher>, Vec<u32>)> {
    let state = ctx.state.clone();
    let args = match list_args(ctx) {
        Ok(a) => a,
        Err(msg) => {
            out.error(msg);
            return None;
        }
    };
    let pattern = match pattern(ctx) {
        Ok(p) => p,
        Err(msg) => {
            out.error(msg);
            return None;
        }
    };
    let ids = allowed_jobids(&state, &JobAcl::of(ctx), out, &args.jobids).await?;
    if ids.is_empty() {
        out.error(UNAUTHORIZED);
        return None;
    }
    Some((args, pattern, ids))
}

/// `.bvfs_lsdirs jobid=1,2 path=/etc/ | pathid=N [limit=2000] [offset=0] [pattern=RE]`.
pub async fn lsdirs(ctx: &mut Ctx<'_>, out: &mut Output) -> bool {
    let state = ctx.state.clone();
    let Some((args, pattern, jobids)) = listing_setup(ctx, out).await else { return false };
    let path = args.path.clone();
    let mut q = BvfsListQuery { pathid: args.pathid, jobids, limit: args.limit, offset: args.offset, pattern };
    let res = catalog(&state, out, move |c| {
        if q.pathid == 0 {
            match c.bvfs_path_id(path.as_deref().unwrap_or_default())? {
                Some(id) => q.pathid = id,
                None => return Ok(None),
            }
        }
        let mut v = Vec::new();
        c.bvfs_visit_dirs(&q, |e| v.push(e))?;
        Ok(Some(v))
    })
    .await;
    let Some(res) = res else { return false };
    let Some(entries) = res else {
        out.error(format!(
            "Path \"{}\" not found in the catalog (run .bvfs_update jobid={} first?).\n",
            args.path.unwrap_or_default(),
            args.jobid_text
        ));
        return false;
    };
    emit_entries(out, "directories", &entries, true);
    true
}

/// `.bvfs_lsfiles jobid=1,2 path=/etc/ | pathid=N [limit=2000] [offset=0] [pattern=RE]`.
/// An unknown path lists the root (which holds no files), as in Bareos.
pub async fn lsfiles(ctx: &mut Ctx<'_>, out: &mut Output) -> bool {
    let state = ctx.state.clone();
    let Some((args, pattern, jobids)) = listing_setup(ctx, out).await else { return false };
    let path = args.path.clone();
    let mut q = BvfsListQuery { pathid: args.pathid, jobids, limit: args.limit, offset: args.offset, pattern };
    let res = catalog(&state, out, move |c| {
        if q.pathid == 0 {
            let found = c.bvfs_path_id(path.as_deref().unwrap_or_default())?;
            q.pathid = match found {
                Some(id) => id,
                None => c.bvfs_path_id("")?.unwrap_or(0),
            };
        }
        let mut v = Vec::new();
        if q.pathid != 0 {
            c.bvfs_visit_files(&q, |e| v.push(e))?;
        }
        Ok(v)
    })
    .await;
    let Some(entries) = res else { return false };
    emit_entries(out, "files", &entries, false);
    true
}

/// `.bvfs_versions jobid=0 client=NAME pathid=N | path=P fname=NAME [copies] [versions]`
/// (`name=`/`fname=`/`filename=`; the jobid is required but unused, as in Bareos).
pub async fn versions(ctx: &mut Ctx<'_>, out: &mut Output) -> bool {
    let state = ctx.state.clone();
    let args = match list_args(ctx) {
        Ok(a) => a,
        Err(msg) => {
            out.error(msg);
            return false;
        }
    };
    let a = ctx.args;
    let fname = a.value("fname").or_else(|| a.value("filename")).or_else(|| a.value("name")).map(str::to_string);
    let (Some(client), Some(fname)) = (a.value("client").map(str::to_string), fname) else {
        out.error("Can't find client or fname argument\n");
        return false;
    };
    if !ResourceAcl::of(ctx, super::AclKind::Client).allows(&client) {
        out.error(UNAUTHORIZED);
        return false;
    }
    let copies = a.has("copies");
    let path = args.path.clone();
    let mut q = BvfsVersionsQuery { pathid: args.pathid, name: fname, client, copies, limit: args.limit, offset: args.offset };
    let res = catalog(&state, out, move |c| {
        if q.pathid == 0 {
            q.pathid = c.bvfs_path_id(path.as_deref().unwrap_or_default())?.unwrap_or(0);
        }
        c.bvfs_versions(&q)
    })
    .await;
    let Some(rows) = res else { return false };
    emit_versions(out, &rows);
    true
}

/// `.bvfs_restore path=b2<n> jobid=1,2 [fileid=…] [dirid=…] [hardlink=jobid,fileindex,…]`:
/// materialises the selection as table `b2<n>` for `restore file=?b2<n>`. Prints `OK`.
pub async fn restore(ctx: &mut Ctx<'_>, out: &mut Output) -> bool {
    let state = ctx.state.clone();
    let args = match list_args(ctx) {
        Ok(a) => a,
        Err(msg) => {
            out.error(msg);
            return false;
        }
    };
    let Some(jobids) = allowed_jobids(&state, &JobAcl::of(ctx), out, &args.jobids).await else { return false };
    if jobids.is_empty() {
        out.error(UNAUTHORIZED);
        return false;
    }
    let table = args.path.clone().unwrap_or_default();
    let fail = |out: &mut Output, why: String| {
        out.error(format!("Can't create restore list: {why}\n"));
        true
    };
    if !cairn_catalog::is_bvfs_table_name(&table) {
        return fail(out, format!("path={table} is not a bvfs handle (b2 followed by digits)"));
    }
    let list = |key: &str| -> Result<Vec<i64>, String> {
        match ctx.args.value(key) {
            None => Ok(Vec::new()),
            Some(v) => number_list::<i64>(v).ok_or_else(|| format!("{key}={v} is not a comma separated list of numbers")),
        }
    };
    let (fileids, dirids, links) = match (list("fileid"), list("dirid"), list("hardlink")) {
        (Ok(f), Ok(d), Ok(h)) => (f, d, h),
        (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => return fail(out, e),
    };
    if links.len() % 2 != 0 {
        return fail(out, "hardlink= needs JobId,FileIndex pairs".into());
    }
    let mut hardlinks = Vec::with_capacity(links.len() / 2);
    for pair in links.chunks_exact(2) {
        let Ok(jobid) = u32::try_from(pair[0]) else {
            return fail(out, format!("hardlink JobId {} is out of range", pair[0]));
        };
        hardlinks.push((jobid, pair[1]));
    }
    let sel = BvfsSelection { fileids, dirids, hardlinks };
    if sel.is_empty() {
        return fail(out, "no fileid=, dirid= or hardlink= given".into());
    }
    let t = table.clone();
    if catalog(&state, out, move |c| c.bvfs_compute_restore_list(&t, &jobids, &sel)).await.is_some() {
        out.text("OK\n");
    } else {
        out.error("Can't create restore list\n");
    }
    true
}

/// `.bvfs_cleanup path=b2<n>`: drops the selection table.
pub async fn cleanup(ctx: &mut Ctx<'_>, out: &mut Output) -> bool {
    let state = ctx.state.clone();
    let Some(table) = ctx.args.value("path").filter(|p| !p.is_empty()).map(str::to_string) else {
        out.error("Can't find path argument\n");
        return false;
    };
    let t = table.clone();
    match catalog(&state, out, move |c| c.bvfs_drop_restore_list(&t)).await {
        Some(true) => true,
        Some(false) => {
            out.warning(format!("path={table} is not a bvfs handle (b2 followed by digits); nothing dropped.\n"));
            true
        }
        None => false,
    }
}

/// `restore file=?b2<n> …`: the (JobId, FileIndex) pairs of the selection tables, by
/// JobId then FileIndex (Bareos `InsertTableIntoFindexList`). A missing or empty table
/// gives Bareos's `No table found: b2<n>`; `None` when nothing was found at all.
pub async fn selection_from_handles(state: &DirState, out: &mut Output, handles: &[String]) -> Option<Vec<(u32, i32)>> {
    let mut sel: Vec<(u32, i32)> = Vec::new();
    for h in handles {
        let table = h.trim_end().to_string();
        let t = table.clone();
        let res = state
            .catalog
            .call(move |c| {
                let mut v: Vec<(u32, i32)> = Vec::new();
                c.bvfs_visit_restore_list(&t, |jobid, fi| {
                    if let Ok(fi) = i32::try_from(fi) {
                        v.push((jobid, fi));
                    }
                })?;
                Ok::<_, CatalogError>(v)
            })
            .await;
        match res {
            Ok(Ok(v)) if !v.is_empty() => sel.extend(v),
            Ok(Ok(_)) | Ok(Err(CatalogError::NotFound { .. })) | Ok(Err(CatalogError::InvalidValue(_))) => {
                out.error(format!("No table found: {table}\n"));
            }
            Ok(Err(e)) => out.error(format!("Query failed: {e}\n")),
            Err(e) => out.error(format!("{e}\n")),
        }
    }
    sel.sort_unstable();
    sel.dedup();
    if sel.is_empty() { None } else { Some(sel) }
}

/// The client name of a job (for `restore file=?b2<n>` without `client=`).
pub async fn client_of_job(state: &DirState, jobid: Option<u32>) -> Option<String> {
    let id = jobid?;
    state.catalog.call(move |c| c.get_job(JobId(id))).await.ok()?.ok()?.and_then(|j| j.client)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basenames_as_bareos() {
        for (p, want) in [
            ("/etc/ssh/", "ssh/"),
            ("/etc/", "etc/"),
            ("/", "/"),
            ("C:/", "C:/"),
            ("@bpipe@/", "@bpipe@/"),
            ("BPIPE-ROOT/", "BPIPE-ROOT/"),
            (".", "."),
            ("..", ".."),
            ("", ""),
            ("/a/ünï ✓/", "ünï ✓/"),
        ] {
            assert_eq!(basename_dir(p), want, "{p:?}");
        }
    }

    #[test]
    fn number_lists() {
        assert_eq!(number_list::<u32>("1,2,,3"), Some(vec![1, 2, 3]));
        assert_eq!(number_list::<u32>(""), Some(vec![]));
        assert_eq!(number_list::<u32>("1,x"), None);
        assert_eq!(number_list::<u32>("-1"), None);
        assert_eq!(number_list::<u32>("99999999999"), None);
        assert_eq!(number("limit", "10"), Ok(10));
        assert!(number("limit", "").is_err());
        assert!(number("offset", "1e3").is_err());
    }
}
