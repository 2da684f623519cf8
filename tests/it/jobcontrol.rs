//! Job control: `cancel` (queued and running jobs, `all`, the selection list and
//! the confirmations), duplicate-job rules, `Max Run Time`, `Max Start Delay`,
//! `Reschedule On Error`, `rerun` and `enable`/`disable` — with Bareos's messages.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, Context, Result};
use cairn_proto::{DirectorClient, Reply, ReplyEnd};

use crate::cluster::{joblog, run_and_expect, run_job, wait_job, Cluster, ClusterOpts};

/// A command in API 0 (the session is switched if needed).
async fn text(c: &mut DirectorClient, cmd: &str) -> Result<Reply> {
    if c.api() != 0 {
        c.command(".api 0").await?;
    }
    Ok(c.command(cmd).await?)
}

/// The text of a reply without the `You have messages.` notice.
fn body(r: &Reply) -> String {
    r.text.replace("You have messages.\n", "")
}

/// A start time an hour ahead, so a job stays queued (`when=`).
fn later() -> String {
    (chrono::Local::now() + chrono::Duration::hours(1)).format("%Y-%m-%d %H:%M:%S").to_string()
}

/// A small tree to back up.
fn small_data(root: &Path) -> Result<PathBuf> {
    let d = root.join("data");
    fs::create_dir_all(&d)?;
    fs::write(d.join("a.txt"), b"hello\n")?;
    Ok(d)
}

/// A 64 GiB file of holes read as zeros and compressed: a backup of it runs
/// until it is cancelled.
fn slow_include(root: &Path) -> Result<String> {
    let d = root.join("slow");
    fs::create_dir_all(&d)?;
    fs::File::create(d.join("zeros.img"))?.set_len(64 << 30)?;
    Ok(format!("    Options {{\n      Compression = LZ4\n    }}\n    File = \"{}\"", d.display()))
}

fn include(d: &Path) -> String {
    format!("    File = \"{}\"", d.display())
}

/// Wait until a job is running and has sent data.
async fn wait_running(c: &mut DirectorClient, id: u32) -> Result<()> {
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        let v = c.json(".status dir running").await?;
        let running = v["running"]
            .as_array()
            .is_some_and(|a| a.iter().any(|j| j["jobid"] == id && j["status"] == "is running" && j["bytes"].as_u64().unwrap_or(0) > 0));
        if running {
            return Ok(());
        }
        if std::time::Instant::now() > deadline {
            bail!("job {id} never ran: {v}");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The status a queued or running job shows in `.status dir running`.
async fn running_status(c: &mut DirectorClient, id: u32) -> Result<Option<String>> {
    let v = c.json(".status dir running").await?;
    Ok(v["running"]
        .as_array()
        .and_then(|a| a.iter().find(|j| j["jobid"] == id))
        .and_then(|j| j["status"].as_str().map(str::to_string)))
}

/// Wait until a queued job shows a status starting with `prefix`.
async fn wait_status(c: &mut DirectorClient, id: u32, prefix: &str) -> Result<()> {
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let st = running_status(c, id).await?;
        if st.as_deref().is_some_and(|s| s.starts_with(prefix)) {
            return Ok(());
        }
        if std::time::Instant::now() > deadline {
            bail!("job {id} is {st:?}, not \"{prefix}…\"");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The unique job name of a job.
async fn job_name(c: &mut DirectorClient, id: u32) -> Result<String> {
    let v = c.json(&format!("llist jobid={id}")).await?;
    Ok(v["jobs"][0]["job"].as_str().context("job name")?.to_string())
}

#[tokio::test]
async fn cancelling_a_queued_and_a_running_job_ends_them_canceled() -> Result<()> {
    let tmp = tempfile::tempdir()?;
    let cl = Cluster::start(ClusterOpts { include: slow_include(tmp.path())?, ..Default::default() }).await?;
    let mut c = cl.console().await?;
    let running = run_job(&mut c, "run job=backup level=Full yes").await?;
    wait_running(&mut c, running).await?;
    let queued = run_job(&mut c, &format!("run job=backup level=Full when=\"{}\" yes", later())).await?;
    wait_status(&mut c, queued, "is waiting for its start time at ").await?;

    // A queued job: Bareos's info line, and it ends at once with the report.
    let name = job_name(&mut c, queued).await?;
    let r = text(&mut c, &format!("cancel jobid={queued}")).await?;
    assert_eq!(body(&r), format!("JobId {queued}, Job {name} marked to be canceled.\n"));
    assert_eq!(wait_job(&mut c, queued).await?, "A");
    let log = joblog(&mut c, queued).await;
    assert!(log.contains("Termination:            Backup Canceled"), "{log}");
    assert!(log.contains(&format!("Job {name} waiting ")), "the wait for the start time is logged: {log}");

    // A running job by (partial) job name: the file daemon stops it, it ends A.
    let r = text(&mut c, "cancel job=backup").await?;
    assert!(!r.text.contains("Failed to connect"), "{}", r.text);
    assert_eq!(wait_job(&mut c, running).await?, "A");
    let log = joblog(&mut c, running).await;
    assert!(log.contains("Backup Canceled"), "{log}");
    let v = c.json(&format!("llist jobid={running}")).await?;
    assert_eq!(v["jobs"][0]["jobstatus"], "A", "{v}");

    // Nothing left to cancel.
    let r = text(&mut c, "cancel jobid=99").await?;
    assert_eq!(body(&r), "JobId 99 is not running. Use Job name to cancel inactive jobs.\nNo Jobs running.\n");
    let r = text(&mut c, "cancel job=nosuch").await?;
    assert_eq!(body(&r), "Warning Job nosuch is not running. Continuing anyway ...\nNo Jobs running.\n");
    cl.stop().await;
    Ok(())
}

#[tokio::test]
async fn cancel_all_confirms_and_cancel_alone_offers_the_jobs() -> Result<()> {
    let tmp = tempfile::tempdir()?;
    let data = small_data(tmp.path())?;
    let cl = Cluster::start(ClusterOpts { include: include(&data), ..Default::default() }).await?;
    let mut c = cl.console().await?;
    let when = later();
    let mut ids = Vec::new();
    for _ in 0..3 {
        ids.push(run_job(&mut c, &format!("run job=backup level=Full when=\"{when}\" yes")).await?);
    }
    let names = [job_name(&mut c, ids[0]).await?, job_name(&mut c, ids[1]).await?, job_name(&mut c, ids[2]).await?];
    for id in &ids {
        wait_status(&mut c, *id, "is waiting for its start time").await?;
    }

    // `cancel all` lists the jobs and asks; a wrong answer asks again; `no` keeps them.
    let r = text(&mut c, "cancel all").await?;
    assert_eq!(r.end, ReplyEnd::SubPrompt);
    assert_eq!(
        body(&r),
        format!(
            "Selected Job {} for cancelling\nSelected Job {} for cancelling\nSelected Job {} for cancelling\nConfirm cancel (yes/no): ",
            ids[0], ids[1], ids[2]
        )
    );
    let r = c.command("maybe").await?;
    assert_eq!((r.text.as_str(), r.end), ("Invalid response. You must answer YES or NO.\nConfirm cancel (yes/no): ", ReplyEnd::SubPrompt));
    let r = c.command("no").await?;
    assert_eq!(body(&r), "");
    for id in &ids {
        assert_eq!(running_status(&mut c, *id).await?.map(|s| s.starts_with("is waiting for its start time")), Some(true));
    }

    // `cancel` alone: the selection list; with several jobs there is no confirmation.
    let r = text(&mut c, "cancel").await?;
    assert_eq!(r.end, ReplyEnd::SubPrompt);
    let want = format!(
        "Select Job:\n1: JobId={} Job={}\n2: JobId={} Job={}\n3: JobId={} Job={}\nChoose Job to cancel (1-3): ",
        ids[0], names[0], ids[1], names[1], ids[2], names[2]
    );
    assert_eq!(body(&r), want);
    let r = c.command("7").await?;
    assert_eq!(r.text, "Please enter a number between 1 and 3\nChoose Job to cancel (1-3): ");
    let r = c.command("3").await?;
    assert_eq!(body(&r), format!("JobId {}, Job {} marked to be canceled.\n", ids[2], names[2]));
    assert_eq!(wait_job(&mut c, ids[2]).await?, "A");

    // `cancel all yes` does not ask.
    let r = text(&mut c, "cancel all yes").await?;
    assert_eq!(
        body(&r),
        format!(
            "Selected Job {} for cancelling\nSelected Job {} for cancelling\nJobId {}, Job {} marked to be canceled.\nJobId {}, Job {} marked to be canceled.\n",
            ids[0], ids[1], ids[0], names[0], ids[1], names[1]
        )
    );
    assert_eq!(wait_job(&mut c, ids[0]).await?, "A");
    assert_eq!(wait_job(&mut c, ids[1]).await?, "A");

    // One job: taken automatically, then confirmed.
    let last = run_job(&mut c, &format!("run job=backup level=Full when=\"{when}\" yes")).await?;
    let name = job_name(&mut c, last).await?;
    let r = text(&mut c, "cancel").await?;
    assert_eq!(body(&r), format!("Automatically selected Job: JobId={last} Job={name}\nConfirm cancel (yes/no): "));
    let r = c.command("yes").await?;
    assert_eq!(body(&r), format!("JobId {last}, Job {name} marked to be canceled.\n"));
    assert_eq!(wait_job(&mut c, last).await?, "A");
    let r = text(&mut c, "cancel all").await?;
    assert_eq!(body(&r), "No Jobs running.\n");
    let r = text(&mut c, "cancel state=sleeping").await?;
    assert_eq!(body(&r), "No Jobs running.\n", "the state is only looked at when jobs run");
    let v = c.json("list jobs jobstatus=A").await?;
    assert_eq!(v["jobs"].as_array().map(Vec::len), Some(4), "{v}");
    cl.stop().await;
    Ok(())
}

/// A backup job on the cluster's client, fileset and storage.
fn job(name: &str, extra: &str) -> String {
    format!(
        "Job {{\n  Name = {name}\n  Type = Backup\n  Level = Incremental\n  Client = test-fd\n  FileSet = TestSet\n  Storage = File\n  Messages = Standard\n  Pool = Full\n  Maximum Concurrent Jobs = 5\n{extra}\n}}\n"
    )
}

#[tokio::test]
async fn duplicate_jobs_are_refused_or_replace_the_other_one() -> Result<()> {
    let tmp = tempfile::tempdir()?;
    let data = small_data(tmp.path())?;
    let extra_resources = [
        job("nodup", "  Allow Duplicate Jobs = no"),
        job("lower", "  Allow Duplicate Jobs = no\n  Cancel Lower Level Duplicates = yes"),
        job("queued", "  Allow Duplicate Jobs = no\n  Cancel Queued Duplicates = yes"),
        job("dupok", ""),
    ]
    .concat();
    let cl = Cluster::start(ClusterOpts { include: include(&data), extra_resources, ..Default::default() }).await?;
    let mut c = cl.console().await?;
    let when = later();

    // Allow Duplicate Jobs = no: the second instance cancels itself.
    let first = run_job(&mut c, &format!("run job=nodup level=Full when=\"{when}\" yes")).await?;
    let second = run_and_expect(&mut c, "run job=nodup level=Full yes", &["A"]).await?;
    let log = joblog(&mut c, second).await;
    assert!(log.contains(&format!("Fatal error: JobId {first} already running. Duplicate job not allowed.")), "{log}");
    assert!(log.contains("Backup Canceled"), "{log}");
    assert!(running_status(&mut c, first).await?.is_some(), "the first one still waits");

    // Cancel Lower Level Duplicates: a Full replaces a queued Incremental …
    let incr = run_job(&mut c, &format!("run job=lower level=Incremental when=\"{when}\" yes")).await?;
    let full = run_and_expect(&mut c, "run job=lower level=Full yes", &["T"]).await?;
    assert_eq!(wait_job(&mut c, incr).await?, "A");
    let log = joblog(&mut c, full).await;
    assert!(log.contains(&format!("Cancelling duplicate JobId={incr}.")), "{log}");
    assert!(log.contains(&format!("JobId {incr}, Job lower.")), "the cancel's own line goes to the job log: {log}");
    // … and an Incremental gives way to a queued Full.
    let full = run_job(&mut c, &format!("run job=lower level=Full when=\"{when}\" yes")).await?;
    let incr = run_and_expect(&mut c, "run job=lower level=Incremental yes", &["A"]).await?;
    let log = joblog(&mut c, incr).await;
    assert!(log.contains(&format!("JobId {full} already running. Duplicate job not allowed.")), "{log}");

    // Cancel Queued Duplicates: the queued one goes, the new one runs.
    let old = run_job(&mut c, &format!("run job=queued level=Full when=\"{when}\" yes")).await?;
    let new = run_and_expect(&mut c, "run job=queued level=Full yes", &["T"]).await?;
    assert_eq!(wait_job(&mut c, old).await?, "A");
    assert!(joblog(&mut c, new).await.contains(&format!("Cancelling duplicate JobId={old}.")));

    // Allow Duplicate Jobs defaults to yes.
    let a = run_job(&mut c, &format!("run job=dupok level=Full when=\"{when}\" yes")).await?;
    run_and_expect(&mut c, "run job=dupok level=Full yes", &["T"]).await?;
    assert!(running_status(&mut c, a).await?.is_some());
    c.json("cancel all yes").await?;
    cl.stop().await;
    Ok(())
}

#[tokio::test]
async fn max_run_time_cancels_a_long_job() -> Result<()> {
    let tmp = tempfile::tempdir()?;
    let cl = Cluster::start(ClusterOpts {
        include: slow_include(tmp.path())?,
        job_extra: "  Max Run Time = 2 seconds".into(),
        ..Default::default()
    })
    .await?;
    let mut c = cl.console().await?;
    let id = run_and_expect(&mut c, "run job=backup level=Full yes", &["A"]).await?;
    let log = joblog(&mut c, id).await;
    assert!(log.contains(&format!("JobId {id}: Fatal error: Max run time exceeded. Job canceled.")), "{log}");
    assert!(log.contains("Backup Canceled"), "{log}");
    cl.stop().await;
    Ok(())
}

#[tokio::test]
async fn max_start_delay_cancels_a_job_that_waited_too_long() -> Result<()> {
    let tmp = tempfile::tempdir()?;
    let extra_resources = job("single", "  Maximum Concurrent Jobs = 1\n  Max Start Delay = 1 second").replace("  Maximum Concurrent Jobs = 5\n", "");
    let cl = Cluster::start(ClusterOpts { include: slow_include(tmp.path())?, extra_resources, ..Default::default() }).await?;
    let mut c = cl.console().await?;
    let first = run_job(&mut c, "run job=single level=Full yes").await?;
    wait_running(&mut c, first).await?;
    let second = run_job(&mut c, "run job=single level=Full yes").await?;
    wait_status(&mut c, second, "is waiting on max Job jobs").await?;
    // Let the second job wait past its start delay, then free the slot.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    c.json(&format!("cancel jobid={first}")).await?;
    assert_eq!(wait_job(&mut c, first).await?, "A");
    assert_eq!(wait_job(&mut c, second).await?, "A");
    let log = joblog(&mut c, second).await;
    assert!(log.contains("Fatal error: Job canceled because max start delay time exceeded."), "{log}");
    assert!(log.contains("Backup Canceled"), "{log}");
    assert!(!log.contains("Start Backup"), "the job did not run: {log}");
    cl.stop().await;
    Ok(())
}

#[tokio::test]
async fn reschedule_on_error_runs_a_failed_job_again() -> Result<()> {
    let tmp = tempfile::tempdir()?;
    let data = small_data(tmp.path())?;
    let tries = tmp.path().join("tries");
    let job_extra = format!(
        "  Run Before Job = \"sh -c 'echo try >> {}; exit 1'\"\n  Reschedule On Error = yes\n  Reschedule Interval = 1 second\n  Reschedule Times = 2",
        tries.display()
    );
    let cl = Cluster::start(ClusterOpts { include: include(&data), job_extra, ..Default::default() }).await?;
    let mut c = cl.console().await?;
    let id = run_and_expect(&mut c, "run job=backup level=Full yes", &["f"]).await?;
    let log = joblog(&mut c, id).await;
    assert_eq!(fs::read_to_string(&tries)?.lines().count(), 3, "one run and two reschedules: {log}");
    let name = job_name(&mut c, id).await?;
    let resched: Vec<&str> = log.lines().filter(|l| l.contains("Rescheduled Job")).collect();
    assert_eq!(resched.len(), 2, "{log}");
    for l in &resched {
        assert!(l.contains(&format!("Rescheduled Job {name} at ")) && l.contains(" to re-run in 1 seconds ("), "{l}");
    }
    let v = c.json("list jobs").await?;
    assert_eq!(v["jobs"].as_array().map(Vec::len), Some(1), "the same JobId ran again: {v}");
    cl.stop().await;
    Ok(())
}

#[tokio::test]
async fn rerun_runs_a_failed_job_with_its_parameters() -> Result<()> {
    let tmp = tempfile::tempdir()?;
    let data = small_data(tmp.path())?;
    let marker = tmp.path().join("ready");
    fs::write(&marker, b"")?;
    let job_extra = format!("  Run Before Job = \"test -e {}\"", marker.display());
    let cl = Cluster::start(ClusterOpts { include: include(&data), job_extra, ..Default::default() }).await?;
    let mut c = cl.console().await?;
    run_and_expect(&mut c, "run job=backup level=Full yes", &["T"]).await?;
    fs::remove_file(&marker)?;
    let failed = run_and_expect(&mut c, "run job=backup level=Differential pool=Incremental yes", &["f"]).await?;
    fs::write(&marker, b"")?;

    let r = text(&mut c, "rerun").await?;
    assert_eq!(body(&r), "Please specify jobid, since_jobid, hours or days\n");
    let r = text(&mut c, "rerun jobid=x").await?;
    assert_eq!(body(&r), "Specified jobid \"x\" is not valid\n");

    // Without `yes`: the run summary of the failed job's parameters.
    let r = text(&mut c, &format!("rerun jobid={failed}")).await?;
    assert_eq!(r.end, ReplyEnd::SubPrompt);
    let t = body(&r);
    assert!(t.starts_with(&format!("rerunning jobid {failed}\nRun Backup job\nJobName:  backup\nLevel:    Differential\nClient:   test-fd\n")), "{t}");
    assert!(t.contains("\nFileSet:  TestSet\nPool:     Incremental (From "), "{t}");
    assert!(t.ends_with("OK to run? (yes/mod/no): "), "{t}");
    let r = c.command("yes").await?;
    let again: u32 = body(&r).trim().strip_prefix("Job queued. JobId=").context("queued")?.parse()?;
    assert_eq!(wait_job(&mut c, again).await?, "T", "{}", joblog(&mut c, again).await);
    let v = c.json(&format!("llist jobid={again}")).await?;
    let j = &v["jobs"][0];
    assert_eq!((j["level"].as_str(), j["poolname"].as_str(), j["client"].as_str()), (Some("D"), Some("Incremental"), Some("test-fd")), "{v}");

    // By time frame: the failed jobs (status f) scheduled in the last day.
    let r = text(&mut c, "rerun days=1 yes").await?;
    let t = body(&r);
    let prefix = format!("The following ids were selected for rerun:\n{failed}\nrerunning jobid {failed}\nJob queued. JobId=");
    let third: u32 = t.strip_prefix(&prefix).with_context(|| t.clone())?.trim().parse()?;
    assert_eq!(wait_job(&mut c, third).await?, "T");
    let r = text(&mut c, &format!("rerun since_jobid={}", third + 1)).await?;
    assert_eq!(body(&r), "No jobids with the specified options were found.\n");
    cl.stop().await;
    Ok(())
}

#[tokio::test]
async fn enable_and_disable_jobs_clients_and_schedules() -> Result<()> {
    let tmp = tempfile::tempdir()?;
    let data = small_data(tmp.path())?;
    let extra_resources = "Schedule {\n  Name = Nightly\n  Run = Full daily at 23:05\n}\n".to_string();
    let cl = Cluster::start(ClusterOpts { include: include(&data), extra_resources, ..Default::default() }).await?;
    let mut c = cl.console().await?;
    let warning = "abling is a temporary operation until the director reloads.\nFor a permanent setting, please set the value of the \"Enabled\"\ndirective in the relevant configuration resource file.\n";

    let r = text(&mut c, "disable job=backup").await?;
    assert_eq!(body(&r), format!("Job \"backup\" disabled\nDis{warning}"));
    let v = c.json(".jobs disabled").await?;
    assert_eq!(v, serde_json::json!({"jobs":[{"name":"backup","enabled":false}]}));
    let r = text(&mut c, "show disabled jobs").await?;
    assert_eq!(body(&r), "Disabled Jobs:\n   backup\n");
    // As in Bareos, `run` still runs a disabled job (only the scheduler skips it).
    run_and_expect(&mut c, "run job=backup level=Full yes", &["T"]).await?;
    let v = c.json("enable job=backup").await?;
    assert_eq!(v, serde_json::json!({"enable":{"jobs":["backup"]}}));
    assert_eq!(c.json(".jobs disabled").await?, serde_json::json!({"jobs":[]}));

    // Without a name: the resources not in that state are offered.
    let r = text(&mut c, "disable client").await?;
    assert_eq!(body(&r), format!("Automatically selected Client: test-fd\nClient \"test-fd\" disabled\nDis{warning}"));
    let r = text(&mut c, "disable client").await?;
    assert_eq!(body(&r), "The defined Client resources are:\nSelection list for \"Client\" is empty!\n");
    let v = c.json("enable client=test-fd").await?;
    assert_eq!(v, serde_json::json!({"enable":{"clients":["test-fd"]}}));
    let r = text(&mut c, "disable schedule=Nightly").await?;
    assert_eq!(body(&r), format!("Schedule \"Nightly\" disabled\nDis{warning}"));
    assert_eq!(c.json(".schedule disabled").await?, serde_json::json!({"schedules":[{"name":"Nightly","enabled":false}]}));

    let r = text(&mut c, "enable job=nosuch").await?;
    assert_eq!(body(&r), "Job \"nosuch\" not found.\n");
    let r = text(&mut c, "enable schedule=nosuch").await?;
    assert_eq!(body(&r), "Schedule \"nosuch\" not found.\n");
    // A reload brings the configured state back.
    c.json("reload").await?;
    assert_eq!(c.json(".schedule disabled").await?, serde_json::json!({"schedules":[]}));
    cl.stop().await;
    Ok(())
}
