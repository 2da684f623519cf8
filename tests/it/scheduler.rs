//! The scheduler on a manual clock: `status scheduler` and `status director`
//! show what is coming, a Run line fires its job at its time (once), and runs
//! skipped over while the director was "away" are not fired late.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use cairn_proto::DirectorClient;
use cairn_runtime::ManualClock;
use chrono::{Local, TimeZone};

use crate::cluster::{joblog, wait_job, Cluster, ClusterOpts};

fn at(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> i64 {
    Local.with_ymd_and_hms(y, mo, d, h, mi, s).earliest().map(|t| t.timestamp()).unwrap_or(0)
}

async fn text(c: &mut DirectorClient, cmd: &str) -> Result<String> {
    Ok(c.command(cmd).await?.text)
}

/// The backup JobIds in the catalog, oldest first.
async fn backup_ids(c: &mut DirectorClient) -> Result<Vec<(u32, String)>> {
    let v = c.json("list jobs").await?;
    let mut ids = Vec::new();
    for j in v["jobs"].as_array().cloned().unwrap_or_default() {
        if j["type"].as_str() == Some("B") {
            let id: u32 = j["jobid"].as_str().context("jobid")?.parse()?;
            ids.push((id, j["level"].as_str().unwrap_or("").to_string()));
        }
    }
    ids.sort();
    Ok(ids)
}

/// Poll until `n` backups exist (the scheduler ticks every 100 ms here).
async fn until_backups(c: &mut DirectorClient, n: usize) -> Result<Vec<(u32, String)>> {
    for _ in 0..100 {
        let ids = backup_ids(c).await?;
        if ids.len() >= n {
            return Ok(ids);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    bail!("no scheduled job started (expected {n} backups): {:?}", backup_ids(c).await?)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schedule_fires_jobs_on_the_manual_clock() -> Result<()> {
    let data = tempfile::tempdir()?;
    std::fs::write(data.path().join("a.txt"), b"scheduled data\n")?;
    // Friday 27 November 2026, 20:58 local time.
    let clock = ManualClock::new(at(2026, 11, 27, 20, 58, 0));
    let cluster = Cluster::start(ClusterOpts {
        include: format!("    File = \"{}\"", data.path().display()),
        job_extra: "  Schedule = Nightly\n".into(),
        extra_resources: "Schedule {\n  Name = Nightly\n  Run = Level=Full at 21:00\n  Run = Level=Differential Priority=5 Pool=Differential sat at 9:30\n}\nSchedule {\n  Name = Unused\n  Run = Full 1st sun at 2:05\n}\n".into(),
        clock: Some(Arc::new(clock.clone())),
        scheduler_tick: Some(Duration::from_millis(100)),
        ..Default::default()
    })
    .await?;
    let mut t = cluster.console().await?;
    let mut j = cluster.console().await?;

    // What is coming: the schedule → jobs table and the two-day preview.
    let s = text(&mut t, "status scheduler days=2").await?;
    let want = "Scheduler Jobs:\n\n\
Schedule               Jobs Triggered\n\
===========================================================\n\
Nightly\n\
\x20                      backup\n\
\n\
====\n\
\n\
Scheduler Preview for 2 days:\n\
\n\
Date                   Schedule                Overrides\n\
==============================================================\n\
Fri 27-Nov-2026 21:00  Nightly                 Level=Full\n\
Sat 28-Nov-2026 09:30  Nightly                 Level=Differential Priority=5 Pool=Differential\n\
Sat 28-Nov-2026 21:00  Nightly                 Level=Full\n\
====\n";
    // `Unused` has no job but is previewed (as Bareos); its 1st Sunday is 6 December.
    assert_eq!(s, want, "status scheduler days=2:\n{s}");
    let s = text(&mut t, "status scheduler job=backup days=1").await?;
    assert!(s.contains("Fri 27-Nov-2026 21:00  Nightly                 Level=Full\n"), "{s}");
    assert!(!s.contains("Unused"), "job= limits the tables to that job's schedule:\n{s}");

    let v = j.json("status scheduler days=2").await?;
    let preview = v["preview"].as_array().context("preview")?;
    assert_eq!(preview.len(), 3, "{v}");
    assert_eq!(preview[0]["datetime"], "Fri 27-Nov-2026 21:00");
    assert_eq!(preview[0]["runtime"].as_i64(), Some(at(2026, 11, 27, 21, 0, 0)));
    assert_eq!(preview[0]["level"], "Full");
    assert_eq!(preview[1]["priority"], 5);
    assert_eq!(preview[1]["pool"], "Differential");
    assert_eq!(v["schedules"][0]["name"], "Nightly");
    assert_eq!(v["schedules"][0]["jobs"][0]["name"], "backup");
    assert_eq!(v["schedules"][0]["jobs"][0]["enabled"], true);

    // status director: the next run of each Run line within a day.
    let s = text(&mut t, "status director").await?;
    assert!(
        s.contains("\nScheduled Jobs:\nLevel          Type     Pri  Scheduled          Name               Volume\n"),
        "{s}"
    );
    assert!(s.contains("Full           Backup    10  27-Nov-26 21:00    backup             *unknown*\n"), "{s}");
    assert!(s.contains("Differential   Backup     5  28-Nov-26 09:30    backup             *unknown*\n"), "{s}");
    let v = j.json("status director").await?;
    assert_eq!(v["scheduled"][0]["name"], "backup");
    assert_eq!(v["scheduled"][0]["scheduled"], "27-Nov-26 21:00");
    assert_eq!(v["scheduled"][1]["pool"], "Differential");

    // Nothing runs before 21:00.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(backup_ids(&mut j).await?.is_empty());

    // 21:00:05: the Full fires, once.
    clock.set(at(2026, 11, 27, 21, 0, 5));
    let ids = until_backups(&mut j, 1).await?;
    assert_eq!(ids[0].1, "F");
    let id = ids[0].0;
    let st = wait_job(&mut j, id).await?;
    let log = joblog(&mut j, id).await;
    assert_eq!(st, "T", "{log}");
    assert!(log.contains("  Job triggered by:       Scheduler\n"), "{log}");
    assert!(log.contains("  Scheduled time:         27-Nov-2026 21:00:00\n"), "{log}");
    clock.set(at(2026, 11, 27, 21, 0, 40));
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(backup_ids(&mut j).await?.len(), 1, "a run fires once");

    // The volume column now names the volume the next Full would append to.
    let s = text(&mut t, "status director").await?;
    assert!(s.contains("Full           Backup    10  28-Nov-26 21:00    backup             Full-0001\n"), "{s}");

    // The director "sleeps" through Saturday: Sat 09:30, Sat 21:00 and Sun 21:00
    // are not fired late.
    clock.set(at(2026, 11, 29, 21, 30, 0));
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(backup_ids(&mut j).await?.len(), 1, "missed runs are not caught up");

    // Monday 21:00 fires again.
    clock.set(at(2026, 11, 30, 20, 59, 58));
    tokio::time::sleep(Duration::from_millis(300)).await;
    clock.set(at(2026, 11, 30, 21, 0, 1));
    let ids = until_backups(&mut j, 2).await?;
    assert_eq!(ids.len(), 2);
    assert_eq!(wait_job(&mut j, ids[1].0).await?, "T");
    drop((t, j));
    cluster.stop().await;
    Ok(())
}
