//! `restore`: choose the backup jobs (a JobId list, the most recent chain of a
//! client, the chain before a date), build the merged directory tree, select
//! files (`all`, `file=`, `directory=`, or the interactive `$ ` tree), write the
//! bootstrap and queue the restore job.

use std::collections::BTreeMap;

use cairn_types::JobType;

use super::output::Output;
use super::run::{self, RunPlan};
use super::{AclKind, Ctx, NoAnswer};
use crate::jobs::restore::{build_bootstrap, replace_code, RestoreSpec};
use crate::jobs::JobSpec;
use crate::tree::{FileRef, Tree};

const MENU: &[&str] = &[
    "List last 20 Jobs run",
    "List Jobs where a given File is saved",
    "Enter list of comma separated JobIds to select",
    "Enter SQL list command",
    "Select the most recent backup for a client",
    "Select backup for a client before a specified time",
    "Enter a list of files to restore",
    "Enter a list of files to restore before a specified time",
    "Find the JobIds of the most recent backup for a client",
    "Find the JobIds for a backup for a client before a specified time",
    "Enter a list of directories to restore for found JobIds",
    "Select full restore to a specified Job date",
    "Cancel",
];

fn parse_ids(s: &str) -> Option<Vec<u32>> {
    let mut v = Vec::new();
    for p in s.split(',') {
        let p = p.trim();
        if p.is_empty() {
            continue;
        }
        if let Some((a, b)) = p.split_once('-') {
            let (a, b): (u32, u32) = (a.trim().parse().ok()?, b.trim().parse().ok()?);
            if b < a || b - a > 100_000 {
                return None;
            }
            v.extend(a..=b);
        } else {
            v.push(p.parse().ok()?);
        }
    }
    Some(v)
}

/// Convert strip_prefix/add_prefix/add_suffix into a regexwhere expression, as
/// Bareos does.
pub fn regexwhere_from(strip: Option<&str>, add: Option<&str>, suffix: Option<&str>) -> Option<String> {
    let mut parts = Vec::new();
    if let Some(s) = strip.filter(|s| !s.is_empty()) {
        parts.push(format!("!^{}!!", regex::escape(s)));
    }
    if let Some(a) = add.filter(|s| !s.is_empty()) {
        parts.push(format!("!^!{a}!"));
    }
    if let Some(x) = suffix.filter(|s| !s.is_empty()) {
        parts.push(format!("!([^/])$!$1{x}!"));
    }
    if parts.is_empty() { None } else { Some(parts.join(",")) }
}

async fn choose_client(ctx: &mut Ctx<'_>, out: &mut Output) -> Result<String, NoAnswer> {
    if let Some(c) = ctx.args.value("client").or_else(|| ctx.args.value("backupclient")) {
        return Ok(c.to_string());
    }
    let names: Vec<String> =
        ctx.cfg.clients.iter().filter(|c| ctx.session.allows(AclKind::Client, &c.name)).map(|c| c.name.clone()).collect();
    if names.len() == 1 {
        out.text(format!("Automatically selected Client: {}\n", names[0]));
        return Ok(names[0].clone());
    }
    let i = ctx.menu(out, "Defined Clients:", &names, "Select the Client").await?;
    Ok(names[i].clone())
}

async fn choose_fileset(ctx: &mut Ctx<'_>, out: &mut Output, client: &str) -> Result<Option<String>, NoAnswer> {
    if let Some(f) = ctx.args.value("fileset") {
        if !ctx.session.allows(AclKind::FileSet, f) {
            out.error(format!("FileSet \"{f}\" not found.\n"));
            return Err(NoAnswer::Cancelled);
        }
        return Ok(Some(f.to_string()));
    }
    let c = client.to_string();
    let used: Vec<String> = ctx
        .state
        .catalog
        .call(move |cat| cat.filesets_used_by_client(&c))
        .await
        .ok()
        .and_then(|r| r.ok())
        .unwrap_or_default();
    let used: Vec<String> = used.into_iter().filter(|f| ctx.session.allows(AclKind::FileSet, f)).collect();
    match used.len() {
        0 => Ok(None),
        1 => {
            out.text(format!("Automatically selected FileSet: {}\n", used[0]));
            Ok(Some(used[0].clone()))
        }
        _ => {
            let i = ctx.menu(out, "The defined FileSet resources are:", &used, "Select FileSet resource").await?;
            Ok(Some(used[i].clone()))
        }
    }
}

/// The chain of jobs for a client (most recent, or before a date).
async fn chain_for(ctx: &mut Ctx<'_>, out: &mut Output, before: Option<String>) -> Result<Option<(String, Vec<u32>)>, NoAnswer> {
    let client = choose_client(ctx, out).await?;
    // A client outside the console's Client ACL is not offered nor found.
    if ctx.cfg.client(&client).is_none() || !ctx.session.allows(AclKind::Client, &client) {
        out.error(format!("Client \"{client}\" not found.\n"));
        return Ok(None);
    }
    let fileset = choose_fileset(ctx, out, &client).await?;
    let c = client.clone();
    let b = before.clone();
    let archive = ctx.args.has("archive");
    let res = ctx
        .state
        .catalog
        .call(move |cat| -> Result<Vec<u32>, cairn_catalog::CatalogError> {
            let Some(cid) = cat.client_id(&c)? else { return Ok(Vec::new()) };
            cat.restore_chain(cid, fileset.as_deref(), b.as_deref(), archive)
        })
        .await;
    match res {
        Ok(Ok(ids)) if !ids.is_empty() => {
            // The job table Bareos shows for the selected chain.
            let ids2 = ids.clone();
            let rows = ctx
                .state
                .catalog
                .call(move |c| -> Result<Vec<Vec<(&'static str, String)>>, cairn_catalog::CatalogError> {
                    let media = c.bootstrap_media(&ids2)?;
                    let mut rows = Vec::new();
                    for id in &ids2 {
                        let Some(j) = c.get_job(cairn_catalog::JobId(*id))? else { continue };
                        let mut vols: Vec<String> = media.iter().filter(|m| m.jobid == *id).map(|m| m.volumename.clone()).collect();
                        vols.dedup();
                        for v in vols {
                            rows.push(vec![
                                ("jobid", j.jobid.to_string()),
                                ("level", j.level.to_string()),
                                ("jobfiles", j.jobfiles.to_string()),
                                ("jobbytes", j.jobbytes.to_string()),
                                ("starttime", j.starttime.clone().unwrap_or_default()),
                                ("volumename", v),
                            ]);
                        }
                    }
                    Ok(rows)
                })
                .await;
            if let Ok(Ok(rows)) = rows {
                out.text(super::table_fmt::horizontal(&rows));
            }
            Ok(Some((client, ids)))
        }
        Ok(Ok(_)) => {
            match before {
                Some(b) => out.error(format!("No Full backup before {b} found.\n")),
                None => out.error(format!("No Full backup found for Client \"{client}\".\n")),
            }
            Ok(None)
        }
        Ok(Err(e)) => {
            out.error(format!("Catalog error: {e}\n"));
            Ok(None)
        }
        Err(e) => {
            out.error(format!("{e}\n"));
            Ok(None)
        }
    }
}

/// Build the merged tree of the given jobs.
async fn build_tree(ctx: &mut Ctx<'_>, out: &mut Output, jobids: &[u32]) -> Option<(Tree, usize)> {
    let ids: Vec<String> = jobids.iter().map(|j| j.to_string()).collect();
    out.text(format!("\nBuilding directory tree for JobId(s) {} ...  ", ids.join(",")));
    let j = jobids.to_vec();
    let res = ctx
        .state
        .catalog
        .call(move |cat| -> Result<(Tree, usize), cairn_catalog::CatalogError> {
            let mut t = Tree::new();
            let mut n = 0usize;
            cat.visit_files_of_jobs(&j, |f| {
                t.insert(&f.path, &f.name, FileRef { jobid: f.jobid, fileindex: f.fileindex as i32, lstat: f.lstat.clone() });
                n += 1;
            })?;
            Ok((t, n))
        })
        .await;
    match res {
        Ok(Ok((t, n))) => {
            let how = if ctx.args.has("all") { " and marked for extraction" } else { "" };
            out.text(format!("\n{} files inserted into the tree{how}.\n", super::output::with_commas(n as u64)));
            Some((t, n))
        }
        Ok(Err(e)) => {
            out.error(format!("\nCatalog error building the tree: {e}\n"));
            None
        }
        Err(e) => {
            out.error(format!("\n{e}\n"));
            None
        }
    }
}

/// The interactive tree session. Returns false when the user quits (no restore).
async fn tree_session(ctx: &mut Ctx<'_>, out: &mut Output, tree: &mut Tree) -> Result<bool, NoAnswer> {
    out.text(
        "\nYou are now entering file selection mode where you add (mark) and\nremove (unmark) files to be restored. No files are initially added, unless\nyou used the \"all\" keyword on the command line.\nEnter \"done\" to leave this mode.\n\n",
    );
    if let Some(conn) = ctx.conn.as_mut() {
        let _ = conn.send_signal(cairn_proto::Signal::StartRtree).await;
    }
    let mut cwd = 0usize;
    out.text(format!("cwd is: {}\n", tree.path_of(cwd)));
    let result = loop {
        let line = match ctx.ask(out, "$ ").await {
            Ok(l) => l,
            Err(NoAnswer::Cancelled) => continue,
            Err(e) => {
                if let Some(conn) = ctx.conn.as_mut() {
                    let _ = conn.send_signal(cairn_proto::Signal::EndRtree).await;
                }
                return Err(e);
            }
        };
        let mut words = line.split_whitespace();
        let Some(cmd) = words.next() else { continue };
        let arg: Vec<&str> = words.collect();
        match crate::ua::tree_cmds::run(tree, &mut cwd, cmd, &arg, out) {
            crate::ua::tree_cmds::Flow::Continue => {}
            crate::ua::tree_cmds::Flow::Done => break true,
            crate::ua::tree_cmds::Flow::Quit => break false,
        }
    };
    if let Some(conn) = ctx.conn.as_mut() {
        let _ = conn.send_signal(cairn_proto::Signal::EndRtree).await;
    }
    Ok(result)
}

/// `restore …`.
pub async fn restore(ctx: &mut Ctx<'_>, out: &mut Output) -> bool {
    match restore_inner(ctx, out).await {
        Ok(ok) => ok,
        Err(NoAnswer::NotInteractive) => {
            out.error("restore needs more arguments when it cannot ask (e.g. client= current all done yes, or jobid=).\n");
            false
        }
        Err(NoAnswer::Cancelled) => {
            out.text("Selection terminated.\n");
            false
        }
        Err(NoAnswer::Closed) => false,
    }
}

async fn restore_inner(ctx: &mut Ctx<'_>, out: &mut Output) -> Result<bool, NoAnswer> {
    let cfg = ctx.cfg.clone();
    let a = ctx.args;
    // The restore job resource.
    // Bareos checks the where/regexwhere arguments against the Where ACL first.
    let rx_arg = a
        .value("regexwhere")
        .map(str::to_string)
        .or_else(|| regexwhere_from(a.value("strip_prefix"), a.value("add_prefix"), a.value("add_suffix")));
    if let Some(r) = &rx_arg
        && !ctx.session.allows(AclKind::Where, r)
    {
        out.error("\"RegexWhere\" specification not authorized.\n");
        return Ok(false);
    }
    if let Some(w) = a.value("where")
        && !ctx.session.allows(AclKind::Where, w)
    {
        out.error("\"where\" specification not authorized.\n");
        return Ok(false);
    }
    // The restore job resource (only those the Job ACL allows).
    let restore_job = match a.value("restorejob") {
        Some(r) => cfg.job(r).filter(|j| j.job_type == JobType::Restore && ctx.session.allows(AclKind::Job, &j.name)).cloned(),
        None => cfg.jobs.iter().find(|j| j.job_type == JobType::Restore && ctx.session.allows(AclKind::Job, &j.name)).cloned(),
    };
    let Some(rjob) = restore_job else {
        out.error("No Restore Job Resource found in the configuration. You must create at least one before running this command.\n");
        return Ok(false);
    };
    let files: Vec<String> = a.values("file").into_iter().map(str::to_string).collect();
    let dirs: Vec<String> = a.values("directory").into_iter().map(str::to_string).collect();
    let before = a.value("before").map(str::to_string);
    let mut client_name: Option<String> = None;
    // `file=?b2<n>`: a selection stored by `.bvfs_restore`; no chain, no tree.
    let handles: Vec<String> = files.iter().filter_map(|f| f.strip_prefix('?')).map(str::to_string).collect();
    if !handles.is_empty() {
        if handles.len() != files.len() || !dirs.is_empty() {
            out.error("file=?<table> cannot be combined with other file= or directory= selections.\n");
            return Ok(false);
        }
        let Some(sel) = super::bvfs::selection_from_handles(ctx.state, out, &handles).await else { return Ok(false) };
        let mut jobids: Vec<u32> = sel.iter().map(|(j, _)| *j).collect();
        jobids.dedup();
        let client = a.value("client").or_else(|| a.value("backupclient")).map(str::to_string);
        let client = match client {
            Some(c) => Some(c),
            None => super::bvfs::client_of_job(ctx.state, jobids.last().copied()).await,
        };
        return queue_selection(ctx, out, &rjob, &jobids, sel, client).await;
    }

    // Which jobs.
    let jobids: Vec<u32> = if let Some(list) = a.value("jobid") {
        let Some(ids) = parse_ids(list) else {
            out.error(format!("Invalid JobId list: {list}\n"));
            return Ok(false);
        };
        if a.has("select") && ids.len() == 1 {
            let id = ids[0];
            match ctx.state.catalog.call(move |c| c.chain_ending_at(id)).await {
                Ok(Ok(chain)) if !chain.is_empty() => chain,
                _ => ids,
            }
        } else {
            ids
        }
    } else if a.has("current") || before.is_some() || !files.is_empty() || !dirs.is_empty() || a.has("client") {
        match chain_for(ctx, out, before.clone()).await? {
            Some((c, ids)) => {
                client_name = Some(c);
                ids
            }
            None => return Ok(false),
        }
    } else {
        // The selection menu.
        loop {
            out.text("\nFirst you select one or more JobIds that contain files\nto be restored. You will be presented several methods\nof specifying the JobIds. Then you will be allowed to\nselect which files from those JobIds are to be restored.\n\n");
            let items: Vec<String> = MENU.iter().map(|s| s.to_string()).collect();
            let i = ctx.menu(out, "To select the JobIds, you have the following choices:", &items, "Select item: ").await?;
            match i {
                2 => {
                    let l = ctx.ask(out, "Enter JobId(s), comma separated, to restore: ").await?;
                    match parse_ids(&l) {
                        Some(ids) if !ids.is_empty() => break ids,
                        _ => out.text(format!("Invalid JobId list: {l}\n")),
                    }
                }
                4 => {
                    if let Some((c, ids)) = chain_for(ctx, out, None).await? {
                        client_name = Some(c);
                        break ids;
                    }
                }
                5 => {
                    let t = ctx.ask(out, "Enter date as YYYY-MM-DD HH:MM:SS :").await?;
                    if let Some((c, ids)) = chain_for(ctx, out, Some(t)).await? {
                        client_name = Some(c);
                        break ids;
                    }
                }
                12 => return Err(NoAnswer::Cancelled),
                _ => out.text("This selection method is not available in this version of Cairn; choose 3, 5 or 6.\n"),
            }
        }
    };
    // Bareos: jobs outside the console's Job ACL are dropped with a message.
    let jobids = if ctx.session.is_root() {
        jobids
    } else {
        let ids = jobids.clone();
        let names: Vec<(u32, Option<String>)> = ctx
            .state
            .catalog
            .call(move |c| ids.iter().map(|&id| (id, c.get_job(cairn_catalog::JobId(id)).ok().flatten().map(|r| r.name))).collect())
            .await
            .unwrap_or_default();
        let mut kept = Vec::new();
        for (id, name) in names {
            match name {
                Some(n) if !ctx.session.allows(AclKind::Job, &n) => {
                    out.error(format!("Access to JobId={id} (Job \"{n}\") not authorized. Not selected.\n"));
                }
                _ => kept.push(id),
            }
        }
        kept
    };
    if jobids.is_empty() {
        out.error("No JobIds selected.\n");
        return Ok(false);
    }
    let idlist: Vec<String> = jobids.iter().map(|j| j.to_string()).collect();
    out.text(format!(
        "You have selected the following JobId{}: {}\n",
        if jobids.len() == 1 { "" } else { "s" },
        idlist.join(",")
    ));
    // The client whose files these are: given, or the client of the last job.
    if client_name.is_none() {
        let last = *jobids.last().unwrap_or(&0);
        client_name = ctx
            .state
            .catalog
            .call(move |c| c.get_job(cairn_catalog::JobId(last)))
            .await
            .ok()
            .and_then(|r| r.ok())
            .flatten()
            .and_then(|j| j.client);
        if client_name.is_none() {
            out.error("jobid not found in db, access to job or client denied by ACL, or client not found in db\n");
            return Ok(false);
        }
    }
    let Some((mut tree, _n)) = build_tree(ctx, out, &jobids).await else { return Ok(false) };
    if tree.nodes.len() <= 1 {
        out.error("No files found to restore (most likely your retention policy pruned the files).\n");
        return Ok(false);
    }
    // Selection.
    if a.has("all") {
        tree.set_mark(0, true, true);
    }
    for f in &files {
        if tree.mark(0, f, true, true) == 0 && tree.resolve(0, f).is_none() {
            out.text(format!("No database record found for: {f}\n"));
        }
    }
    for d in &dirs {
        match tree.resolve(0, d) {
            Some(i) => {
                tree.set_mark(i, true, true);
            }
            None => out.text(format!("No database record found for: {d}\n")),
        }
    }
    let explicit = a.has("all") || !files.is_empty() || !dirs.is_empty();
    if !a.has("done") && !(explicit && a.has("yes")) && ctx.session.api < 2 {
        match tree_session(ctx, out, &mut tree).await {
            Ok(true) => {}
            Ok(false) => {
                out.text("Restore not done.\n");
                return Ok(false);
            }
            Err(NoAnswer::NotInteractive) => {}
            Err(e) => return Err(e),
        }
    }
    let sel = tree.selection();
    queue_selection(ctx, out, &rjob, &jobids, sel, client_name).await
}

/// Writes the bootstrap for the selected (JobId, FileIndex) pairs and queues the
/// restore job: the common end of tree selections and `file=?b2<n>` selections.
async fn queue_selection(
    ctx: &mut Ctx<'_>,
    out: &mut Output,
    rjob: &cairn_config::JobRes,
    jobids: &[u32],
    sel: Vec<(u32, i32)>,
    client_name: Option<String>,
) -> Result<bool, NoAnswer> {
    let cfg = ctx.cfg.clone();
    let a = ctx.args;
    if sel.is_empty() {
        out.error("No files selected to be restored.\n");
        return Ok(false);
    }
    let mut by_job: BTreeMap<u32, Vec<i32>> = BTreeMap::new();
    for (j, i) in &sel {
        by_job.entry(*j).or_default().push(*i);
    }
    let ids: Vec<u32> = by_job.keys().copied().collect();
    let media = match ctx.state.catalog.call(move |c| c.bootstrap_media(&ids)).await {
        Ok(Ok(m)) => m,
        Ok(Err(e)) => {
            out.error(format!("Catalog error: {e}\n"));
            return Ok(false);
        }
        Err(e) => {
            out.error(format!("{e}\n"));
            return Ok(false);
        }
    };
    let (bsr, count) = build_bootstrap(&media, &by_job);
    if count == 0 {
        out.error("No volume records found for the selected files (the jobs wrote no data).\n");
        return Ok(false);
    }
    // Write the bootstrap where Bareos does: <WorkingDirectory>/<dirname>.restore.<n>.bsr
    let n = ctx.state.next_restore_number();
    let bsr_path = cfg.director.working_directory.join(format!("{}.restore.{n}.bsr", cfg.director.name));
    match std::fs::write(&bsr_path, &bsr) {
        Ok(()) => out.text(format!("Bootstrap records written to {}\n", bsr_path.display())),
        Err(e) => out.warning(format!("Cannot write the bootstrap file {}: {e}\n", bsr_path.display())),
    }
    let storage_name = a
        .value("storage")
        .map(str::to_string)
        .or_else(|| rjob.storage.first().cloned())
        .or_else(|| cfg.storages.first().map(|s| s.name.clone()));
    let mut vols: Vec<(&str, bool)> = Vec::new();
    for m in &media {
        if !vols.iter().any(|(v, _)| *v == m.volumename) {
            vols.push((&m.volumename, m.slot > 0));
        }
    }
    out.text("\nThe job will require the following\n   Volume(s)                 Storage(s)                SD Device(s)\n===========================================================================\n   \n");
    for (v, online) in &vols {
        let st = storage_name.clone().unwrap_or_default();
        let dev = cfg.storage(&st).and_then(|s| s.devices.first().cloned()).unwrap_or_default();
        out.text(format!("   {}{v:<25} {st:<25} {dev:<25}\n", if *online { '*' } else { ' ' }));
    }
    out.text("\nVolumes marked with \"*\" are online.\n\n");
    out.text(format!("\n{} file{} selected to be restored.\n\n", sel.len(), if sel.len() == 1 { "" } else { "s" }));

    let where_ = a.value("where").map(str::to_string).or_else(|| rjob.where_.clone());
    let regexwhere = a
        .value("regexwhere")
        .map(str::to_string)
        .or_else(|| regexwhere_from(a.value("strip_prefix"), a.value("add_prefix"), a.value("add_suffix")))
        .or_else(|| rjob.regex_where.clone())
        .or_else(|| regexwhere_from(rjob.strip_prefix.as_deref(), rjob.add_prefix.as_deref(), rjob.add_suffix.as_deref()));
    let replace = match a.value("replace") {
        Some(r) => match replace_code(r) {
            Some(c) => c,
            None => {
                out.error(format!("Invalid replace option: {r}\n"));
                return Ok(false);
            }
        },
        None => replace_code(&rjob.replace).unwrap_or('a'),
    };
    let restore_client = a.value("restoreclient").map(str::to_string).or(client_name.clone());
    if let Some(c) = &restore_client
        && !ctx.session.allows(AclKind::Client, c)
    {
        out.error(format!("No authorization. Client \"{c}\".\n"));
        return Ok(false);
    }
    let spec = JobSpec {
        name: rjob.name.clone(),
        job_type: JobType::Restore,
        level: cairn_types::JobLevel::None,
        client: restore_client,
        fileset: a.value("fileset").map(str::to_string).or_else(|| rjob.fileset.clone()),
        pool: a.value("pool").map(str::to_string).or_else(|| Some(rjob.pool.clone())),
        pool_source: "Job resource".into(),
        storage: storage_name,
        storage_source: "Job resource".into(),
        messages: Some(rjob.messages.clone()),
        priority: rjob.priority,
        when: None,
        comment: a.value("comment").map(str::to_string),
        accurate: false,
        restore: Some(RestoreSpec {
            jobids: jobids.to_vec(),
            bootstrap: bsr,
            bootstrap_path: Some(bsr_path.display().to_string()),
            where_,
            regexwhere,
            replace,
            files_expected: sel.len() as u64,
            prefix_links: false,
        }),
        trigger: Default::default(),
        level_pools: Default::default(),
    };
    let p = RunPlan { spec, pool_source: "Job resource".into(), storage_source: "Job resource".into(), format: "Native".into() };
    if a.has("yes") || ctx.session.api >= 2 {
        return Ok(run::queue(ctx, out, p).await);
    }
    match run::confirm(ctx, out, p).await? {
        Some(p) => Ok(run::queue(ctx, out, p).await),
        None => {
            out.text("Job not run.\n");
            Ok(false)
        }
    }
}
