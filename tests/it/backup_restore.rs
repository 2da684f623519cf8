//! Back up real files through the three daemons and restore them: bytes, modes,
//! times, link targets and link counts must come back.

use std::collections::BTreeMap;
use std::fs;
use std::io::{Seek, SeekFrom, Write};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use anyhow::{bail, Context, Result};

use crate::cluster::{run_and_expect, Cluster, ClusterOpts};

/// A deterministic pseudo-random byte generator (xorshift).
pub fn bytes(seed: u64, n: usize) -> Vec<u8> {
    let mut x = seed | 1;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

fn set_mtime(p: &Path, secs: u64) -> Result<()> {
    let f = fs::File::options().write(true).open(p)?;
    f.set_modified(SystemTime::UNIX_EPOCH + Duration::from_secs(secs))?;
    Ok(())
}

/// Build the test tree under `root/data`; returns the data directory.
pub fn make_tree(root: &Path) -> Result<PathBuf> {
    let d = root.join("data");
    fs::create_dir_all(d.join("nested/deeper/deepest"))?;
    fs::create_dir_all(d.join("empty-dir"))?;
    fs::create_dir_all(d.join("odd names/ünïcödé ✓"))?;
    fs::write(d.join("zero-bytes"), b"")?;
    fs::write(d.join("small.txt"), b"hello cairn\n")?;
    fs::write(d.join("nested/deeper/deepest/leaf.bin"), bytes(7, 70_000))?;
    fs::write(d.join("big.bin"), bytes(11, 5 * 1024 * 1024 + 17))?;
    fs::write(d.join("compressible.txt"), "all work and no play\n".repeat(50_000))?;
    fs::write(d.join("odd names/with space.txt"), b"space")?;
    fs::write(d.join("odd names/new\nline"), b"newline in the name")?;
    fs::write(d.join("odd names/ünïcödé ✓/ファイル.txt"), "日本語".as_bytes())?;
    fs::write(d.join("mode-600"), b"secret")?;
    fs::set_permissions(d.join("mode-600"), fs::Permissions::from_mode(0o600))?;
    fs::write(d.join("exec.sh"), b"#!/bin/sh\necho hi\n")?;
    fs::set_permissions(d.join("exec.sh"), fs::Permissions::from_mode(0o755))?;
    // sparse: 4 MiB hole, 1 KiB data, 4 MiB hole, 1 KiB data
    {
        let mut f = fs::File::create(d.join("sparse.img"))?;
        f.seek(SeekFrom::Start(4 << 20))?;
        f.write_all(&bytes(3, 1024))?;
        f.seek(SeekFrom::Start(8 << 20))?;
        f.write_all(&bytes(5, 1024))?;
    }
    // hard links
    fs::write(d.join("hardlink-a"), bytes(13, 3000))?;
    fs::hard_link(d.join("hardlink-a"), d.join("nested/hardlink-b"))?;
    // symlinks: relative, absolute, dangling
    std::os::unix::fs::symlink("small.txt", d.join("link-rel"))?;
    std::os::unix::fs::symlink("/etc/hostname", d.join("link-abs"))?;
    std::os::unix::fs::symlink("does/not/exist", d.join("link-dangling"))?;
    // fifo
    let fifo = d.join("a-fifo");
    let st = std::process::Command::new("mkfifo").arg(&fifo).status()?;
    if !st.success() {
        bail!("mkfifo failed");
    }
    // fixed times
    for (i, p) in ["small.txt", "big.bin", "zero-bytes", "sparse.img", "hardlink-a", "mode-600"].iter().enumerate() {
        set_mtime(&d.join(p), 1_600_000_000 + i as u64 * 1000)?;
    }
    Ok(d)
}

#[derive(Debug, PartialEq)]
struct Entry {
    kind: &'static str,
    mode: u32,
    mtime: i64,
    size: u64,
    content_hash: u64,
    link: Option<PathBuf>,
    nlink: u64,
}

fn hash(b: &[u8]) -> u64 {
    // FNV-1a
    b.iter().fold(0xcbf29ce484222325u64, |h, x| (h ^ *x as u64).wrapping_mul(0x100000001b3))
}

fn snapshot(root: &Path) -> Result<BTreeMap<PathBuf, Entry>> {
    let mut m = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for e in fs::read_dir(&dir)? {
            let e = e?;
            let p = e.path();
            let md = fs::symlink_metadata(&p)?;
            let rel = p.strip_prefix(root)?.to_path_buf();
            let ft = md.file_type();
            let (kind, content_hash, link) = if ft.is_symlink() {
                ("link", 0, Some(fs::read_link(&p)?))
            } else if ft.is_dir() {
                stack.push(p.clone());
                ("dir", 0, None)
            } else if ft.is_file() {
                ("file", hash(&fs::read(&p)?), None)
            } else {
                ("special", 0, None)
            };
            m.insert(
                rel,
                Entry {
                    kind,
                    mode: md.mode() & 0o7777,
                    mtime: if kind == "dir" { 0 } else { md.mtime() },
                    size: if kind == "file" { md.len() } else { 0 },
                    content_hash,
                    link,
                    nlink: if kind == "file" { md.nlink() } else { 0 },
                },
            );
        }
    }
    Ok(m)
}

fn compare(src: &Path, dst: &Path) -> Result<()> {
    let a = snapshot(src)?;
    let b = snapshot(dst).with_context(|| format!("restored tree {} missing", dst.display()))?;
    let mut problems = Vec::new();
    for (k, v) in &a {
        match b.get(k) {
            None => problems.push(format!("missing: {}", k.display())),
            Some(w) if w != v => problems.push(format!("differs: {}\n  source   {v:?}\n  restored {w:?}", k.display())),
            _ => {}
        }
    }
    for k in b.keys() {
        if !a.contains_key(k) {
            problems.push(format!("extra: {}", k.display()));
        }
    }
    if !problems.is_empty() {
        bail!("{} differences:\n{}", problems.len(), problems.join("\n"));
    }
    Ok(())
}

fn include_for(data: &Path) -> String {
    format!("    Options {{\n      Signature = XXH128\n      Compression = LZ4\n      HardLinks = yes\n      Sparse = yes\n    }}\n    File = \"{}\"", data.display())
}

#[tokio::test]
async fn full_backup_and_restore_round_trip() -> Result<()> {
    let tmp = tempfile::tempdir()?;
    let data = make_tree(tmp.path())?;
    let cl = Cluster::start(ClusterOpts { include: include_for(&data), ..Default::default() }).await?;
    let mut c = cl.console().await?;
    let est = c.json("estimate job=backup level=Full").await?;
    let id = run_and_expect(&mut c, "run job=backup level=Full yes", &["T"]).await?;
    let jobfiles = c.json(&format!("llist jobid={id}")).await?["jobs"][0]["jobfiles"].as_str().unwrap_or("").to_string();
    assert_eq!(est["estimate"]["files"].to_string(), jobfiles, "estimate counts what the backup saves: {est}");
    let text = c.command(".api 0").await.and(c.command("estimate job=backup level=Full listing").await)?.text;
    assert!(text.contains("big.bin") && text.contains("2000 OK estimate files="), "{text}");
    let v = c.json(&format!("list files jobid={id}")).await?;
    let names: Vec<String> = v["filenames"].as_array().context("filenames")?.iter().filter_map(|f| f["filename"].as_str().map(str::to_string)).collect();
    assert!(names.iter().any(|n| n.ends_with("/big.bin")), "{names:?}");
    assert!(names.iter().any(|n| n.ends_with("/empty-dir/")), "{names:?}");
    let where_ = cl.path("restored");
    run_and_expect(&mut c, &format!("restore jobid={id} all done yes where={}", where_.display()), &["T"]).await?;
    compare(&data, &where_.join(data.strip_prefix("/")?))?;
    if std::env::var("CAIRN_SHOW_LOG").is_ok() {
        eprintln!("{}", crate::cluster::joblog(&mut c, id).await);
        eprintln!("{}", crate::cluster::joblog(&mut c, id + 1).await);
        eprintln!("{}", c.command(".api 0").await?.text);
        eprintln!("{}", c.command("list jobs").await?.text);
        eprintln!("{}", c.command("list volumes").await?.text);
        eprintln!("{}", c.command("status storage=File").await?.text);
        eprintln!("{}", c.command("status client=test-fd").await?.text);
        eprintln!("{}", c.command("messages").await?.text);
    }
    cl.stop().await;
    Ok(())
}

#[tokio::test]
async fn incremental_differential_and_accurate_deletions() -> Result<()> {
    let tmp = tempfile::tempdir()?;
    let data = make_tree(tmp.path())?;
    let cl = Cluster::start(ClusterOpts { include: include_for(&data), job_extra: "  Accurate = yes".into(), ..Default::default() }).await?;
    let mut c = cl.console().await?;
    // An Incremental with no prior Full is upgraded.
    let full = run_and_expect(&mut c, "run job=backup yes", &["T"]).await?;
    let v = c.json(&format!("list jobid={full}")).await?;
    assert_eq!(v["jobs"][0]["level"], "F", "upgraded to Full: {v}");
    let log = crate::cluster::joblog(&mut c, full).await;
    assert!(log.contains("No prior Full backup Job record found."), "{log}");

    // Change, add and delete files; mtimes move forward.
    std::thread::sleep(Duration::from_millis(1100));
    fs::write(data.join("small.txt"), b"changed after the full\n")?;
    fs::write(data.join("new-after-full.txt"), b"new")?;
    fs::remove_file(data.join("zero-bytes"))?;
    fs::remove_file(data.join("nested/deeper/deepest/leaf.bin"))?;
    let inc = run_and_expect(&mut c, "run job=backup level=Incremental yes", &["T"]).await?;
    let v = c.json(&format!("list files jobid={inc}")).await?;
    let files = v["filenames"].to_string();
    assert!(files.contains("new-after-full.txt") && files.contains("small.txt"), "{files}");
    assert!(!files.contains("big.bin"), "unchanged files are not in the incremental: {files}");

    std::thread::sleep(Duration::from_millis(1100));
    fs::write(data.join("after-inc.txt"), b"added after the incremental")?;
    let diff = run_and_expect(&mut c, "run job=backup level=Differential yes", &["T"]).await?;
    let v = c.json(&format!("list files jobid={diff}")).await?;
    let files = v["filenames"].to_string();
    assert!(files.contains("after-inc.txt") && files.contains("new-after-full.txt"), "a differential has everything since the full: {files}");

    // Restoring the newest state brings back the changes and not the deleted files.
    let where_ = cl.path("restored-latest");
    run_and_expect(
        &mut c,
        &format!("restore client=test-fd fileset=TestSet current all done yes where={}", where_.display()),
        &["T"],
    )
    .await?;
    compare(&data, &where_.join(data.strip_prefix("/")?))?;
    cl.stop().await;
    Ok(())
}

#[tokio::test]
async fn a_backup_split_across_two_volumes_restores() -> Result<()> {
    let tmp = tempfile::tempdir()?;
    let data = make_tree(tmp.path())?;
    let cl = Cluster::start(ClusterOpts {
        include: include_for(&data),
        full_pool_extra: "  Maximum Volume Bytes = 3M".into(),
        ..Default::default()
    })
    .await?;
    let mut c = cl.console().await?;
    let id = run_and_expect(&mut c, "run job=backup level=Full yes", &["T"]).await?;
    let v = c.json("list volumes pool=Full").await?;
    let vols = v["volumes"].as_array().context("volumes")?;
    assert!(vols.len() >= 2, "the backup needs more than one volume: {v}");
    assert!(vols.iter().any(|m| m["volstatus"] == "Full"), "{v}");
    let jm = c.json(&format!("list jobmedia jobid={id}")).await?;
    assert!(jm["jobmedia"].as_array().map(|a| a.len()).unwrap_or(0) >= 2, "{jm}");
    let where_ = cl.path("restored");
    run_and_expect(&mut c, &format!("restore jobid={id} all done yes where={}", where_.display()), &["T"]).await?;
    compare(&data, &where_.join(data.strip_prefix("/")?))?;
    cl.stop().await;
    Ok(())
}

#[tokio::test]
async fn single_file_restore_through_the_tree() -> Result<()> {
    let tmp = tempfile::tempdir()?;
    let data = make_tree(tmp.path())?;
    let cl = Cluster::start(ClusterOpts { include: format!("    File = \"{}\"", data.display()), ..Default::default() }).await?;
    let mut c = cl.console().await?;
    let id = run_and_expect(&mut c, "run job=backup level=Full yes", &["T"]).await?;
    c.close().await;
    let where_ = cl.path("one-file");
    let script = format!(
        "restore jobid={id} where={w}\ncd {d}/nested\nls\nmark hardlink-b\nlsmark\ncount\ndone\nyes\nwait\n",
        w = where_.display(),
        d = data.display()
    );
    let mut client = cl.console().await?;
    let mut out: Vec<u8> = Vec::new();
    cairn_console::script::run_script(&mut client, script.as_bytes(), &mut out, Default::default()).await?;
    let text = String::from_utf8_lossy(&out).into_owned();
    assert!(text.contains("You are now entering file selection mode"), "{text}");
    assert!(text.contains("1 file newly marked."), "{text}");
    assert!(text.contains("*hardlink-b"), "{text}");
    assert!(text.contains("Job queued. JobId="), "{text}");
    let restored = where_.join(data.strip_prefix("/")?).join("nested/hardlink-b");
    let mut c = cl.console().await?;
    let log = crate::cluster::joblog(&mut c, id + 1).await;
    assert_eq!(fs::read(&restored).with_context(|| format!("{text}\n{log}"))?, fs::read(data.join("nested/hardlink-b"))?, "{text}");
    // The hard link's first link comes along (as in Bareos); nothing else does.
    let top: Vec<String> = fs::read_dir(where_.join(data.strip_prefix("/")?))?
        .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
        .collect();
    assert!(!top.contains(&"big.bin".to_string()) && top.len() <= 2, "only the selection was restored: {top:?}\n{text}");
    cl.stop().await;
    Ok(())
}

#[tokio::test]
async fn a_cancelled_backup_leaves_a_consistent_catalog_and_an_appendable_volume() -> Result<()> {
    let tmp = tempfile::tempdir()?;
    let data = tmp.path().join("big");
    fs::create_dir_all(&data)?;
    for i in 0..20u32 {
        fs::write(data.join(format!("f{i:03}.bin")), bytes(i as u64 + 1, 100_000))?;
    }
    // A 64 GiB file of holes, read as zeros (Sparse = no) and compressed: data keeps
    // flowing long enough to cancel the job in the middle.
    fs::File::create(data.join("zeros.img"))?.set_len(64 << 30)?;
    let include = format!("    Options {{\n      Compression = LZ4\n    }}\n    File = \"{}\"", data.display());
    let cl = Cluster::start(ClusterOpts { include, ..Default::default() }).await?;
    let mut c = cl.console().await?;
    let id = crate::cluster::run_job(&mut c, "run job=backup level=Full yes").await?;
    // Cancel as soon as it runs.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let v = c.json("status director").await?;
        let running = v["running"]
            .as_array()
            .map(|a| a.iter().any(|j| j["jobid"] == id && j["status"] == "is running" && j["bytes"].as_u64().unwrap_or(0) > 0))
            .unwrap_or(false);
        if running {
            break;
        }
        if std::time::Instant::now() > deadline {
            bail!("job {id} never ran: {v}");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let v = c.json(&format!("cancel jobid={id}")).await?;
    assert_eq!(v, serde_json::json!({}), "as in Bareos, the cancel messages are not part of the JSON result: {v}");
    let st = crate::cluster::wait_job(&mut c, id).await?;
    let log = crate::cluster::joblog(&mut c, id).await;
    assert_eq!(st, "A", "{log}");
    assert!(log.contains("Backup Canceled"), "{log}");
    let v = c.json(&format!("llist jobid={id}")).await?;
    assert_eq!(v["jobs"][0]["jobstatus"], "A", "{v}");
    assert!(!v["jobs"][0]["endtime"].as_str().unwrap_or("").is_empty(), "end time recorded: {v}");

    // The volume still appends: a smaller backup after the cancel works and restores.
    fs::remove_file(data.join("zeros.img"))?;
    let id2 = run_and_expect(&mut c, "run job=backup level=Full yes", &["T"]).await?;
    let where_ = cl.path("after-cancel");
    run_and_expect(&mut c, &format!("restore jobid={id2} all done yes where={}", where_.display()), &["T"]).await?;
    compare(&data, &where_.join(data.strip_prefix("/")?))?;
    let v = c.json("list volumes all").await?;
    assert_eq!(v["volumes"].as_array().map(|a| a.len()), Some(1), "both jobs on the same volume: {v}");
    cl.stop().await;
    Ok(())
}

#[tokio::test]
async fn jobs_of_another_priority_wait_for_the_running_one() -> Result<()> {
    let tmp = tempfile::tempdir()?;
    let data = tmp.path().join("slow");
    fs::create_dir_all(&data)?;
    fs::File::create(data.join("zeros.img"))?.set_len(64 << 30)?;
    let include = format!("    Options {{\n      Compression = LZ4\n    }}\n    File = \"{}\"", data.display());
    let cl = Cluster::start(ClusterOpts { include, ..Default::default() }).await?;
    let mut c = cl.console().await?;
    let slow = crate::cluster::run_job(&mut c, "run job=backup level=Full priority=10 yes").await?;
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let v = c.json("status director").await?;
        if v["running"].as_array().is_some_and(|a| a.iter().any(|j| j["jobid"] == slow && j["status"] == "is running")) {
            break;
        }
        if std::time::Instant::now() > deadline {
            bail!("job {slow} never ran: {v}");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let urgent = crate::cluster::run_job(&mut c, "run job=backup level=Full priority=5 yes").await?;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let v = c.json("status director").await?;
    let st = v["running"].as_array().and_then(|a| a.iter().find(|j| j["jobid"] == urgent)).map(|j| j["status"].clone());
    assert_eq!(st, Some(serde_json::json!("is waiting for higher priority jobs to finish")), "{v}");
    c.json(&format!("cancel jobid={slow}")).await?;
    let st = crate::cluster::wait_job(&mut c, slow).await?;
    let log = crate::cluster::joblog(&mut c, slow).await;
    let ll = c.json(&format!("llist jobid={slow}")).await?;
    let msgs = c.command(".api 0").await.and(c.command("messages").await)?.text;
    assert_eq!(st, "A", "{log}\n{ll}\n{msgs}");
    // Now the urgent job runs; cancel it too once it runs (same 64 GiB file).
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let v = c.json("status director").await?;
        if v["running"].as_array().is_some_and(|a| a.iter().any(|j| j["jobid"] == urgent && j["status"] == "is running")) {
            break;
        }
        if std::time::Instant::now() > deadline {
            bail!("job {urgent} never started after the other ended: {v}");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    c.json(&format!("cancel jobid={urgent}")).await?;
    let st = crate::cluster::wait_job(&mut c, urgent).await?;
    let log = crate::cluster::joblog(&mut c, urgent).await;
    assert_eq!(st, "A", "{log}");
    cl.stop().await;
    Ok(())
}
