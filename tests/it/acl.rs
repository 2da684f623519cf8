//! Consoles and ACLs through the real protocol: a matrix of named consoles
//! (the seed's `admin` console, an `op` console with a profile like Bareos's
//! stock `operator` profile, and `one`, limited to one client, job, pool and
//! fileset) × commands × resources, with Bareos's refusal messages.

use std::time::Duration;

use anyhow::{bail, Context, Result};
use cairn_proto::DirectorClient;
use serde_json::Value;

use crate::support::{TestConfig, TestDirector, ADMIN_PASSWORD};

pub const OP_PASSWORD: &str = "oppw";
pub const ONE_PASSWORD: &str = "onepw";

/// The standard fixture plus the operator profile, the `op` and `one`
/// consoles, a schedule and a second storage.
pub fn acl_config() -> Result<TestConfig> {
    let t = TestConfig::standard()?;
    t.write(
        "profile/operator.conf",
        "Profile {\n  Name = operator\n  Description = \"Profile allowing normal Bareos operations.\"\n  Command ACL = !.bvfs_clear_cache, !.exit, !.sql, !configure, !create, !delete, !purge, !prune, !sqlquery, !umount, !unmount, *all*\n  Catalog ACL = *all*\n  Client ACL = *all*\n  FileSet ACL = *all*\n  Job ACL = *all*\n  Plugin Options ACL = *all*\n  Pool ACL = *all*\n  Schedule ACL = *all*\n  Storage ACL = *all*\n  Where ACL = *all*\n}\n",
    )?;
    t.write("console/op.conf", &format!("Console {{\n  Name = op\n  Password = \"{OP_PASSWORD}\"\n  Profile = operator\n}}\n"))?;
    t.write(
        "console/one.conf",
        &format!(
            "Console {{\n  Name = one\n  Password = \"{ONE_PASSWORD}\"\n  Command ACL = list, llist, show, status, .status, run, cancel, wait, messages, restore, estimate, enable, disable, setdebug, label, update, .jobs, .clients, .pools, .storages, .filesets, .schedule, .catalogs, .defaults, .authorized\n  Job ACL = backup-client1, RestoreFiles\n  Client ACL = client1-fd\n  Pool ACL = Full\n  FileSet ACL = LinuxAll\n  Storage ACL = File\n  Catalog ACL = MyCatalog\n  Where ACL = /tmp/bareos-restores\n}}\n"
        ),
    )?;
    t.write("schedule/WeeklyCycle.conf", "Schedule {\n  Name = WeeklyCycle\n  Run = Full 1st sat at 21:00\n}\n")?;
    t.write(
        "storage/File2.conf",
        "Storage {\n  Name = File2\n  Address = localhost\n  Password = \"sdpassword\"\n  Device = FileStorage2\n  Media Type = File2\n}\n",
    )?;
    Ok(t)
}

async fn login(d: &TestDirector, name: &str, pw: &str) -> Result<DirectorClient> {
    DirectorClient::connect(&d.options(Some(name), pw)).await.with_context(|| format!("login as {name}"))
}

/// API 0 text of a command.
async fn text(c: &mut DirectorClient, cmd: &str) -> Result<String> {
    if c.api() != 0 {
        c.command(".api 0").await?;
    }
    Ok(c.command(cmd).await?.text.replace("You have messages.\n", ""))
}

/// The names of a dot command's list (one per line).
async fn names(c: &mut DirectorClient, cmd: &str) -> Result<Vec<String>> {
    Ok(text(c, cmd).await?.lines().map(str::to_string).filter(|l| !l.is_empty()).collect())
}

fn later() -> String {
    (chrono::Local::now() + chrono::Duration::hours(1)).format("%Y-%m-%d %H:%M:%S").to_string()
}

/// Queue a job an hour ahead (root); its JobId.
async fn queue(c: &mut DirectorClient, job: &str) -> Result<u32> {
    let t = text(c, &format!("run job={job} when=\"{}\" yes", later())).await?;
    let id = t
        .split("JobId=")
        .nth(1)
        .and_then(|r| r.split(|ch: char| !ch.is_ascii_digit()).next())
        .and_then(|n| n.parse().ok());
    match id {
        Some(id) => Ok(id),
        None => bail!("run {job}: no JobId in {t:?}"),
    }
}

fn json_names(v: &Value, key: &str, field: &str) -> Vec<String> {
    v[key].as_array().map(|a| a.iter().filter_map(|r| r[field].as_str().map(str::to_string)).collect()).unwrap_or_default()
}

#[tokio::test]
async fn acl_matrix_resources_dot_show_authorized() -> Result<()> {
    let d = TestDirector::start_with(acl_config()?).await?;
    let mut root = d.root().await?;
    let mut admin = login(&d, "admin", ADMIN_PASSWORD).await?;
    let mut op = login(&d, "op", OP_PASSWORD).await?;
    let mut one = login(&d, "one", ONE_PASSWORD).await?;

    // Dot lists: filtered by the ACL of their resource kind.
    let cases: &[(&str, &[&str], &[&str], &[&str], &[&str])] = &[
        // command, root, admin (seed), op (operator profile), one
        (".jobs", &["backup-bareos-fd", "backup-client1", "RestoreFiles"], &["backup-client1"], &["backup-bareos-fd", "backup-client1", "RestoreFiles"], &["backup-client1", "RestoreFiles"]),
        (".clients", &["bareos-fd", "client1-fd"], &["client1-fd"], &["bareos-fd", "client1-fd"], &["client1-fd"]),
        (".pools", &["Full", "Incremental", "Scratch"], &["Full", "Incremental", "Scratch"], &["Full", "Incremental", "Scratch"], &["Full"]),
        (".filesets", &["SelfTest", "LinuxAll"], &["LinuxAll"], &["SelfTest", "LinuxAll"], &["LinuxAll"]),
        (".storages", &["File", "File2"], &["File", "File2"], &["File", "File2"], &["File"]),
        (".schedule", &["WeeklyCycle"], &["WeeklyCycle"], &["WeeklyCycle"], &[]),
        (".catalogs", &["MyCatalog"], &["MyCatalog"], &["MyCatalog"], &["MyCatalog"]),
    ];
    for (cmd, r, a, o, n) in cases {
        for (who, c, want) in [("root", &mut root, r), ("admin", &mut admin, a), ("op", &mut op, o), ("one", &mut one, n)] {
            let mut got = names(c, cmd).await?;
            let mut want: Vec<String> = want.iter().map(|s| s.to_string()).collect();
            got.sort();
            want.sort();
            assert_eq!(got, want, "{who}: {cmd}");
        }
    }

    // .defaults: a job/client the console may not use gives nothing.
    assert_eq!(text(&mut admin, ".defaults job=backup-bareos-fd").await?, "");
    assert!(text(&mut admin, ".defaults job=backup-client1").await?.contains("job=backup-client1\n"));
    assert_eq!(text(&mut one, ".defaults client=bareos-fd").await?, "");
    assert_eq!(text(&mut one, ".defaults pool=Incremental").await?, "");
    assert!(text(&mut one, ".defaults pool=Full").await?.contains("pool=Full\n"));

    // .authorized answers from the same ACL check.
    let cases: &[(usize, &str, bool)] = &[
        (1, "job=backup-client1", true),
        (1, "job=backup-bareos-fd", false),
        (1, "cmd=delete", false),
        (1, "cmd=list", true),
        (1, "fileset=LinuxAll", true),
        (1, "fileset=SelfTest", false),
        (3, "pool=Full", true),
        (3, "pool=Scratch", false),
        (3, "schedule=WeeklyCycle", false),
        (2, "client=bareos-fd", true),
        (2, "cmd=.sql", false),
        (0, "job=backup-bareos-fd", true),
    ];
    for (who, q, yes) in cases {
        let c = match who {
            0 => &mut root,
            1 => &mut admin,
            2 => &mut op,
            _ => &mut one,
        };
        let t = text(c, &format!(".authorized {q}")).await?;
        assert_eq!(t, if *yes { "authorized\n" } else { "not authorized\n" }, "console #{who}: .authorized {q}");
        if *who == 3 {
            // `one` may not use `.api` (Command ACL), so no JSON for it.
            continue;
        }
        let got = c.json(&format!(".authorized {q}")).await.map(|v| v["authorized"].as_bool() == Some(true)).unwrap_or(false);
        assert_eq!(got, *yes, "console #{who}: JSON .authorized {q}");
        c.command(".api 0").await?;
    }

    // show: resources filtered by their ACL; others need `configure`.
    let t = text(&mut admin, "show jobs").await?;
    assert!(t.contains("\"backup-client1\"") || t.contains("backup-client1"), "{t}");
    assert!(!t.contains("backup-bareos-fd"), "admin must not see backup-bareos-fd: {t}");
    assert_eq!(text(&mut admin, "show job=backup-bareos-fd").await?, "jobs resource backup-bareos-fd not found.\n");
    let t = text(&mut one, "show clients").await?;
    assert!(t.contains("client1-fd") && !t.contains("Client resource of the Director itself"), "{t}");
    let t = text(&mut one, "show pools").await?;
    assert!(t.contains("Full") && !t.contains("Incremental"), "{t}");
    // No `configure` right: Director, Messages, Console … are not shown.
    let t = text(&mut one, "show directors").await?;
    assert!(!t.contains("bareos-dir"), "{t}");
    let t = text(&mut one, "show").await?;
    assert!(!t.contains("Director {") && !t.contains("backup-bareos-fd") && t.contains("client1-fd"), "{t}");
    let t = text(&mut op, "show directors").await?;
    assert!(!t.contains("bareos-dir"), "op has !configure: {t}");
    let t = text(&mut admin, "show directors").await?;
    assert!(t.contains("bareos-dir"), "{t}");

    // The Command ACL gate; exit/quit/whoami are always allowed.
    assert_eq!(text(&mut admin, "delete volume=x yes").await?, "delete: is an invalid command.\n");
    assert_eq!(text(&mut op, ".sql query=\"SELECT 1\"").await?, ".sql: is an invalid command.\n");
    assert_eq!(text(&mut one, "sqlquery").await?, "sqlquery: is an invalid command.\n");
    assert_eq!(text(&mut one, "version").await?, "version: is an invalid command.\n");
    assert_eq!(text(&mut one, "whoami").await?, "one\n");
    assert_eq!(text(&mut one, ".api 2").await?, ".api: is an invalid command.\n");

    // enable/disable, estimate, setdebug: resources outside the ACL are not found.
    assert!(text(&mut one, "disable job=backup-bareos-fd").await?.contains("Job \"backup-bareos-fd\" not found.\n"));
    assert!(text(&mut one, "disable client=bareos-fd").await?.contains("Client \"bareos-fd\" not found.\n"));
    assert!(text(&mut one, "estimate job=backup-bareos-fd").await?.contains("Job \"backup-bareos-fd\" not found.\n"));
    assert!(text(&mut admin, "setdebug level=100 client=bareos-fd").await?.contains("Client \"bareos-fd\" not found.\n"));
    assert!(text(&mut one, "setdebug level=100 storage=File2").await?.contains("Storage resource \"File2\": not found\n"));
    assert!(text(&mut one, "status client=bareos-fd").await?.contains("Client \"bareos-fd\" not found.\n"));
    assert!(text(&mut one, "status storage=File2").await?.contains("Storage \"File2\" not found.\n"));
    // label / update: storage and pool by their ACLs.
    assert!(text(&mut one, "label storage=File2 volume=V1 pool=Full yes").await?.contains("Storage \"File2\" not found.\n"));
    assert!(text(&mut one, "label storage=File volume=V1 pool=Incremental yes").await?.contains("Pool \"Incremental\" not found.\n"));
    assert!(text(&mut one, "update volume=V1 pool=Scratch").await?.contains("Pool \"Scratch\" not found.\n"));

    for c in [root, admin, op, one] {
        c.close().await;
    }
    d.stop().await;
    Ok(())
}

#[tokio::test]
async fn acl_matrix_run_restore_status_list_cancel_messages() -> Result<()> {
    let d = TestDirector::start_with(acl_config()?).await?;
    let mut root = d.root().await?;
    let mut admin = login(&d, "admin", ADMIN_PASSWORD).await?;
    let mut op = login(&d, "op", OP_PASSWORD).await?;
    let mut one = login(&d, "one", ONE_PASSWORD).await?;

    // run: Bareos's message for each refusal.
    let run_cases: &[(&str, &str)] = &[
        ("run job=backup-bareos-fd yes", "Job \"backup-bareos-fd\" not found.\n"),
        ("run job=backup-client1 client=bareos-fd yes", "Client \"bareos-fd\" not found.\n"),
        ("run job=backup-client1 fileset=SelfTest yes", "FileSet \"SelfTest\" not found.\n"),
        ("run job=backup-client1 catalog=Other yes", "Catalog \"Other\" not found\n"),
    ];
    for (cmd, msg) in run_cases {
        let t = text(&mut admin, cmd).await?;
        assert!(t.contains(msg), "admin {cmd}: {t:?}");
        assert!(!t.contains("JobId="), "admin {cmd} must not start a job: {t:?}");
    }
    let one_cases: &[(&str, &str)] = &[
        ("run job=backup-client1 pool=Incremental yes", "Pool \"Incremental\" not found.\n"),
        ("run job=backup-client1 storage=File2 yes", "Storage \"File2\" not found.\n"),
        ("run job=backup-client1 pluginoptions=python:x yes", "No authorization for \"PluginOptions\" specification.\n"),
        ("run job=RestoreFiles where=/etc yes", "No authorization for \"where\" specification.\n"),
        ("run job=RestoreFiles regexwhere=!a!b! yes", "No authorization for \"regexwhere\" specification.\n"),
    ];
    for (cmd, msg) in one_cases {
        let t = text(&mut one, cmd).await?;
        assert!(t.contains(msg), "one {cmd}: {t:?}");
    }
    // Jobs queued an hour ahead by root: one each for two clients.
    let mut root2 = d.root().await?;
    let id_fd = queue(&mut root2, "backup-bareos-fd").await?;
    let id_c1 = queue(&mut root2, "backup-client1").await?;
    // `one` may run its job (default pool Incremental is not checked, as in Bareos).
    let t = text(&mut one, &format!("run job=backup-client1 pool=Full when=\"{}\" yes", later())).await?;
    assert!(t.contains("Job queued. JobId="), "{t}");

    // status dir / .status dir running: only the console's jobs.
    let t = text(&mut admin, "status dir").await?;
    assert!(t.contains("backup-client1") && !t.contains("backup-bareos-fd"), "admin status dir: {t}");
    let t = text(&mut op, "status dir").await?;
    assert!(t.contains("backup-client1") && t.contains("backup-bareos-fd"), "op status dir: {t}");
    let v = admin.json(".status dir running").await?;
    let s = v.to_string();
    assert!(s.contains("backup-client1") && !s.contains("backup-bareos-fd"), "{s}");
    admin.command(".api 0").await?;
    let t = text(&mut one, ".status dir current").await?;
    assert!(!t.contains(&format!("JobId={id_fd} ")), "{t}");

    // wait / cancel: another console's job.
    assert!(text(&mut admin, &format!("wait jobid={id_fd}")).await?.contains("ERR: Job was not found\n"));
    let t = text(&mut admin, &format!("cancel jobid={id_fd}")).await?;
    assert!(t.contains("Unauthorized command from this console.\n"), "{t}");
    let t = text(&mut admin, &format!("cancel jobid={id_c1} yes")).await?;
    assert!(!t.contains("Unauthorized"), "{t}");
    // root cancels the rest.
    let t = text(&mut root, "cancel all yes").await?;
    assert!(t.contains(&format!("Selected Job {id_fd} for cancelling")), "{t}");
    tokio::time::timeout(Duration::from_secs(30), async {
        loop {
            let v = root.json(".status dir running").await?;
            if v["running"].as_array().is_none_or(|a| a.is_empty()) {
                return Ok::<_, anyhow::Error>(());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await
    .context("jobs did not end")??;
    root.command(".api 0").await?;
    // cancel with nothing of one's own running.
    assert_eq!(text(&mut one, "cancel").await?, "No Jobs running.\n");

    // list / llist: rows of jobs outside the ACL are hidden.
    let v = admin.json("list jobs").await?;
    let jobs = json_names(&v, "jobs", "name");
    assert!(jobs.contains(&"backup-client1".to_string()) && !jobs.contains(&"backup-bareos-fd".to_string()), "{v}");
    let v = op.json("llist jobs").await?;
    let jobs = json_names(&v, "jobs", "name");
    assert!(jobs.contains(&"backup-bareos-fd".to_string()), "{v}");
    admin.command(".api 0").await?;
    op.command(".api 0").await?;
    assert_eq!(
        text(&mut admin, &format!("list joblog jobid={id_fd}")).await?,
        "jobid not found in db, access to job or client denied by ACL, or client not found in db\n"
    );
    assert_eq!(text(&mut admin, &format!("list jobid={id_fd}")).await?, "");
    assert!(text(&mut admin, "list jobs client=bareos-fd").await?.contains("invalid client argument: bareos-fd\n"));
    let t = text(&mut one, "list pools").await?;
    assert!(!t.contains("Incremental") && !t.contains("Scratch"), "{t}");
    let t = text(&mut one, "list clients").await?;
    assert!(!t.contains("bareos-fd"), "{t}");
    let t = text(&mut admin, "list jobtotals").await?;
    assert!(!t.contains("backup-bareos-fd"), "{t}");

    // messages: only those of jobs this console may see.
    let t = text(&mut admin, "messages").await?;
    assert!(!t.contains("backup-bareos-fd"), "admin must not get backup-bareos-fd's messages: {t}");
    let t = text(&mut root, "messages").await?;
    assert!(t.contains("backup-bareos-fd"), "root gets the rest: {t}");

    // restore: restore job, clients, fileset, where and jobs by ACL.
    let t = text(&mut admin, "restore client=client1-fd current all done yes").await?;
    assert!(t.contains("No Restore Job Resource found"), "admin has no restore job: {t}");
    let t = text(&mut one, "restore client=bareos-fd current all done yes").await?;
    assert!(t.contains("Client \"bareos-fd\" not found.\n"), "{t}");
    let t = text(&mut one, "restore client=client1-fd where=/etc current all done yes").await?;
    assert!(t.contains("\"where\" specification not authorized.\n"), "{t}");
    let t = text(&mut one, "restore client=client1-fd fileset=SelfTest current all done yes").await?;
    assert!(t.contains("FileSet \"SelfTest\" not found.\n"), "{t}");
    let t = text(&mut one, &format!("restore jobid={id_fd} all done yes")).await?;
    assert!(t.contains(&format!("Access to JobId={id_fd} (Job \"backup-bareos-fd\") not authorized. Not selected.\n")), "{t}");

    for c in [root, root2, admin, op, one] {
        c.close().await;
    }
    d.stop().await;
    Ok(())
}
