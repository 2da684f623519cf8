//! The director's catalog, volume and status commands after real backups through
//! the three daemons: `list`/`llist` (filters, table and JSON shapes), `update`,
//! `label`, `status` of every daemon and the dot commands GUIs use — in the formats
//! Bareos prints them.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use cairn_proto::{DirectorClient, ProtoError};
use serde_json::Value;

use crate::cluster::{run_and_expect, Cluster, ClusterOpts, DIR_PW};

/// A small tree: two directories and two files (one above a million bytes, so
/// thousands separators show).
fn small_tree(root: &Path) -> Result<PathBuf> {
    let d = root.join("data");
    std::fs::create_dir_all(d.join("sub"))?;
    std::fs::write(d.join("a.txt"), b"hello cairn\n")?;
    std::fs::write(d.join("sub/b.bin"), vec![7u8; 1_234_567])?;
    Ok(d)
}

async fn start(data: &Path) -> Result<Cluster> {
    Cluster::start(ClusterOpts { include: format!("    File = \"{}\"", data.display()), ..Default::default() }).await
}

/// API 0 text of a command (switching the session to API 0 if needed).
async fn text(c: &mut DirectorClient, cmd: &str) -> Result<String> {
    if c.api() != 0 {
        c.command(".api 0").await?;
    }
    Ok(c.command(cmd).await?.text)
}

/// The error messages of a command that must fail in JSON.
async fn json_err(c: &mut DirectorClient, cmd: &str) -> Result<Vec<String>> {
    match c.json(cmd).await {
        Err(ProtoError::CommandFailed { errors, .. }) => Ok(errors),
        Ok(v) => bail!("{cmd}: expected an error, got {v}"),
        Err(e) => Err(e.into()),
    }
}

fn jobids(v: &Value) -> Vec<String> {
    v.as_array().map(|a| a.iter().filter_map(|j| j["jobid"].as_str().map(str::to_string)).collect()).unwrap_or_default()
}

async fn list_jobids(c: &mut DirectorClient, cmd: &str) -> Result<Vec<String>> {
    let v = c.json(cmd).await?;
    Ok(jobids(&v["jobs"]))
}

fn commas(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, ch) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

/// Bareos `edit_uint64_with_suffix`.
fn with_suffix(n: u64) -> String {
    const SUFFIX: [&str; 9] = ["", "K", "M", "G", "T", "P", "E", "Z", "Y"];
    let c = commas(n);
    let groups = c.matches(',').count();
    let mut s = c.replacen(',', ".", 1).replace(',', "");
    s.truncate(5);
    format!("{s} {}", SUFFIX[groups])
}

/// The cells of a bordered table: header names and the rows, cells untrimmed.
fn table(t: &str) -> Result<(Vec<String>, Vec<Vec<String>>)> {
    let mut lines: Vec<&str> = t.lines().skip_while(|l| !l.starts_with('+')).collect();
    while lines.last().is_some_and(|l| !l.starts_with('+')) {
        lines.pop(); // e.g. "You have messages."
    }
    if lines.len() < 4 || !lines[0].starts_with("+-") || lines[2] != lines[0] || lines.last() != Some(&lines[0]) {
        bail!("not a bordered table:\n{t}");
    }
    let cells = |l: &str| -> Vec<String> {
        let inner = l.strip_prefix('|').and_then(|l| l.strip_suffix('|')).unwrap_or(l);
        inner.split('|').map(str::to_string).collect()
    };
    let header = cells(lines[1]).iter().map(|c| c.trim().to_string()).collect();
    let rows = lines[3..lines.len() - 1].iter().map(|l| cells(l)).collect();
    Ok((header, rows))
}

/// Column `name` of a table row.
fn cell<'a>(header: &[String], row: &'a [String], name: &str) -> &'a str {
    let i = header.iter().position(|h| h == name).unwrap_or_else(|| panic!("no column {name} in {header:?}"));
    &row[i]
}

/// A numeric cell: right-aligned (one space margin on the right, padded on the left).
fn right_aligned(c: &str) -> bool {
    c.ends_with(' ') && !c.ends_with("  ") && c.starts_with(' ')
}

#[tokio::test]
async fn list_jobs_filters_and_formats_after_two_backups() -> Result<()> {
    let tmp = tempfile::tempdir()?;
    let data = small_tree(tmp.path())?;
    let cl = start(&data).await?;
    let mut c = cl.console().await?;
    let full = run_and_expect(&mut c, "run job=backup level=Full yes", &["T"]).await?;
    std::thread::sleep(std::time::Duration::from_millis(1100));
    std::fs::write(data.join("a.txt"), b"changed for the incremental\n")?;
    let inc = run_and_expect(&mut c, "run job=backup level=Incremental yes", &["T"]).await?;
    let (f, i) = (full.to_string(), inc.to_string());

    // The plain listing: 10 keys, all strings, oldest first.
    let v = c.json("list jobs").await?;
    let jobs = v["jobs"].as_array().context("jobs array")?;
    assert_eq!(jobids(&v["jobs"]), [f.as_str(), i.as_str()], "{v}");
    let keys: Vec<&str> = jobs[0].as_object().context("object")?.keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        ["jobid", "name", "client", "starttime", "duration", "type", "level", "jobfiles", "jobbytes", "jobstatus"],
        "{v}"
    );
    assert!(jobs.iter().all(|j| j.as_object().is_some_and(|o| o.values().all(Value::is_string))), "{v}");
    assert_eq!((jobs[0]["level"].as_str(), jobs[1]["level"].as_str()), (Some("F"), Some("I")), "{v}");
    assert_eq!(jobs[0]["jobfiles"], "4", "two directories and two files: {v}");
    let incfiles: u32 = jobs[1]["jobfiles"].as_str().context("jobfiles")?.parse()?;
    assert!((1..4).contains(&incfiles), "the incremental has fewer files than the full: {v}");
    let d = jobs[0]["duration"].as_str().unwrap_or("");
    assert!(d.len() == 8 && d.as_bytes()[2] == b':' && d.as_bytes()[5] == b':', "duration HH:MM:SS: {d}");

    // Filters.
    assert_eq!(list_jobids(&mut c, "list jobs job=backup").await?, [f.as_str(), i.as_str()]);
    assert_eq!(list_jobids(&mut c, "list job=backup").await?, [f.as_str(), i.as_str()]);
    assert!(list_jobids(&mut c, "list jobs job=RestoreFiles").await?.is_empty());
    assert_eq!(list_jobids(&mut c, "list jobs client=test-fd").await?, [f.as_str(), i.as_str()]);
    let e = json_err(&mut c, "list jobs client=no-such-fd").await?;
    assert_eq!(e, ["invalid client argument: no-such-fd\n"]);
    assert_eq!(list_jobids(&mut c, "list jobs jobstatus=T").await?, [f.as_str(), i.as_str()]);
    assert!(list_jobids(&mut c, "list jobs jobstatus=E,f").await?.is_empty());
    assert_eq!(list_jobids(&mut c, "list jobs level=F").await?, [f.as_str()]);
    assert_eq!(list_jobids(&mut c, "list jobs joblevel=Incremental").await?, [i.as_str()]);
    assert_eq!(list_jobids(&mut c, "list jobs jobtype=B").await?, [f.as_str(), i.as_str()]);
    assert!(list_jobids(&mut c, "list jobs jobtype=R").await?.is_empty());
    // Full and Incremental went to different pools, so to different volumes. As in
    // Bareos the number after the label format is MAX(MediaId) + 1 over all pools.
    assert_eq!(list_jobids(&mut c, "list jobs volume=Full-0001").await?, [f.as_str()]);
    assert_eq!(list_jobids(&mut c, "list jobs volume=Incremental-0002").await?, [i.as_str()]);
    assert!(list_jobids(&mut c, "list jobs volume=Nothing-0001").await?.is_empty());
    assert_eq!(list_jobids(&mut c, "list jobs pool=Incremental").await?, [i.as_str()]);
    assert_eq!(list_jobids(&mut c, "list jobs days=1").await?, [f.as_str(), i.as_str()]);
    assert_eq!(list_jobids(&mut c, "list jobs hours=1").await?, [f.as_str(), i.as_str()]);
    assert_eq!(list_jobids(&mut c, "list jobs last").await?, [i.as_str()], "last = newest job per name");
    assert_eq!(list_jobids(&mut c, "list jobs limit=1").await?, [f.as_str()]);
    assert_eq!(list_jobids(&mut c, "list jobs limit=1 offset=1").await?, [i.as_str()]);
    assert!(list_jobids(&mut c, "list jobs limit=5 offset=2").await?.is_empty());
    assert_eq!(list_jobids(&mut c, "list jobs reverse").await?, [i.as_str(), f.as_str()]);
    assert_eq!(c.json("list jobs count").await?, serde_json::json!({"jobs":[{"count":"2"}]}));
    assert_eq!(c.json("list jobs level=F count").await?, serde_json::json!({"jobs":[{"count":"1"}]}));
    assert_eq!(list_jobids(&mut c, &format!("list jobid={i}")).await?, [i.as_str()]);

    // llist: the 26 keys of protocol.md §4.6, in order, all strings.
    let v = c.json(&format!("llist jobid={f}")).await?;
    let j = &v["jobs"][0];
    let keys: Vec<&str> = j.as_object().context("llist object")?.keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "jobid", "job", "name", "purgedfiles", "type", "level", "clientid", "client", "jobstatus", "schedtime",
            "starttime", "endtime", "realendtime", "duration", "jobtdate", "volsessionid", "volsessiontime",
            "jobfiles", "jobbytes", "joberrors", "jobmissingfiles", "poolid", "poolname", "priorjobid", "filesetid",
            "fileset"
        ],
        "{v}"
    );
    assert!(j.as_object().is_some_and(|o| o.values().all(Value::is_string)), "{v}");
    assert!(j["job"].as_str().is_some_and(|s| s.starts_with("backup.") && s.len() == "backup.2026-03-04_10.00.00_03".len()), "{v}");
    assert_eq!((j["client"].as_str(), j["poolname"].as_str(), j["fileset"].as_str()), (Some("test-fd"), Some("Full"), Some("TestSet")));
    let jobbytes: u64 = j["jobbytes"].as_str().context("jobbytes")?.parse()?;
    let jobtdate: u64 = j["jobtdate"].as_str().context("jobtdate")?.parse()?;
    assert!(jobbytes > 1_234_567, "{v}");

    // A job that does not exist is no error: an empty object, and no text.
    assert_eq!(c.json("list jobid=99").await?, serde_json::json!({"jobs":{}}));
    assert_eq!(c.json("llist jobid=99").await?, serde_json::json!({"jobs":{}}));
    assert_eq!(json_err(&mut c, "list jobid").await?, ["Missing jobid parameter\n"]);

    // Text: the first catalog command announces the catalog; tables as Bareos draws them.
    let mut fresh = cl.console().await?;
    let t = fresh.command("list jobs").await?.text;
    assert!(t.starts_with("Automatically selected Catalog: MyCatalog\nUsing Catalog \"MyCatalog\"\n+"), "{t}");
    let table_only = t[t.find('+').unwrap_or(0)..].trim_end_matches("You have messages.\n");
    assert_eq!(fresh.command("list jobs").await?.text, table_only, "announced once per session");
    let (header, rows) = table(&t)?;
    assert_eq!(header, ["jobid", "name", "client", "starttime", "duration", "type", "level", "jobfiles", "jobbytes", "jobstatus"]);
    assert_eq!(rows.len(), 2, "{t}");
    let jb = cell(&header, &rows[0], "jobbytes");
    assert_eq!(jb.trim(), commas(jobbytes), "thousands separators: {t}");
    assert!(right_aligned(jb), "numbers are right-aligned: {jb:?}\n{t}");
    assert!(right_aligned(cell(&header, &rows[0], "jobid")) && right_aligned(cell(&header, &rows[0], "jobfiles")), "{t}");
    assert_eq!(cell(&header, &rows[0], "name"), " backup ", "text is left-aligned: {t}");
    assert_eq!(cell(&header, &rows[0], "jobstatus"), " T         ", "{t}");
    // jobid never gets separators.
    let t = text(&mut c, &format!("llist jobid={f}")).await?;
    assert!(t.starts_with(&format!("           jobid: {f}\n             job: backup.")), "{t}");
    assert!(t.contains(&format!("\n        jobbytes: {}\n", commas(jobbytes))), "{t}");
    assert!(t.contains(&format!("\n        jobtdate: {}\n", commas(jobtdate))), "{t}");
    assert!(t.contains("\n jobmissingfiles: 0\n") && t.ends_with("\n         fileset: TestSet\n\n"), "{t}");
    let t = text(&mut c, "list jobid=99").await?;
    assert_eq!(t, "", "a missing jobid prints nothing");
    let t = text(&mut c, "list jobs jobstatus=E").await?;
    assert_eq!(t, "No results to list.\n");
    let t = text(&mut c, "list jobs count").await?;
    assert_eq!(t, "+-------+\n| count |\n+-------+\n|     2 |\n+-------+\n");
    cl.stop().await;
    Ok(())
}

#[tokio::test]
async fn catalog_listings_backups_files_logs_volumes_and_status() -> Result<()> {
    let tmp = tempfile::tempdir()?;
    let data = small_tree(tmp.path())?;
    let mut cl = start(&data).await?;
    let mut c = cl.console().await?;
    let full = run_and_expect(&mut c, "run job=backup level=Full yes", &["T"]).await?;
    std::thread::sleep(std::time::Duration::from_millis(1100));
    std::fs::write(data.join("new.txt"), b"new after the full")?;
    let inc = run_and_expect(&mut c, "run job=backup yes", &["T"]).await?;
    let where_ = cl.path("restored");
    let restore = run_and_expect(&mut c, &format!("restore jobid={full} all done yes where={}", where_.display()), &["T"]).await?;
    assert!(where_.join(data.strip_prefix("/")?).join("sub/b.bin").exists(), "the restore worked");
    let (f, i) = (full.to_string(), inc.to_string());

    // list backups: Backup (and Archive) jobs of the client with status T/W.
    let v = c.json("list backups client=test-fd").await?;
    assert_eq!(jobids(&v["backups"]), [f.as_str(), i.as_str()], "not the restore: {v}");
    assert_eq!(v["backups"][0].as_object().map(|o| o.len()), Some(10), "list jobs columns: {v}");
    let v = c.json("list backups client=test-fd order=desc").await?;
    assert_eq!(jobids(&v["backups"]), [i.as_str(), f.as_str()], "{v}");
    let v = c.json("list backups client=test-fd level=F").await?;
    assert_eq!(jobids(&v["backups"]), [f.as_str()], "{v}");
    let v = c.json("list backups client=test-fd fileset=TestSet limit=1").await?;
    assert_eq!(jobids(&v["backups"]), [f.as_str()], "{v}");
    let v = c.json("list backups client=test-fd jobstatus=E").await?;
    assert_eq!(v, serde_json::json!({"backups":[]}));
    let v = c.json("llist backups client=test-fd").await?;
    assert_eq!(v["backups"][0].as_object().map(|o| o.len()), Some(26), "llist backups is llist jobs: {v}");
    assert_eq!(json_err(&mut c, "list backups").await?, ["missing parameter: client\n"]);
    assert_eq!(json_err(&mut c, "list backups client=nobody-fd").await?, ["invalid client argument: nobody-fd\n"]);
    // update jobid= jobtype=A makes a job an Archive job; list backups still shows it.
    let t = text(&mut c, &format!("update jobid={i} jobtype=A")).await?;
    assert!(t.contains(&format!("JobId {i}")), "{t}");
    let v = c.json("list backups client=test-fd").await?;
    let rows = v["backups"].as_array().context("backups")?;
    assert_eq!(jobids(&v["backups"]), [f.as_str(), i.as_str()], "{v}");
    assert_eq!((rows[0]["type"].as_str(), rows[1]["type"].as_str()), (Some("B"), Some("A")), "{v}");
    assert_eq!(list_jobids(&mut c, "list jobs jobtype=A").await?, [i.as_str()]);
    let t = text(&mut c, "list backups client=test-fd").await?;
    let (header, rows) = table(&t)?;
    assert_eq!(rows.len(), 2, "{t}");
    assert_eq!(cell(&header, &rows[1], "type"), " A    ", "{t}");

    // list files: API 0 one line per file with a leading space; JSON filenames.
    let base = data.display().to_string();
    let want: Vec<String> = [format!("{base}/"), format!("{base}/a.txt"), format!("{base}/sub/"), format!("{base}/sub/b.bin")].into();
    let v = c.json(&format!("list files jobid={f}")).await?;
    let mut names: Vec<String> =
        v["filenames"].as_array().context("filenames")?.iter().filter_map(|x| x["filename"].as_str().map(str::to_string)).collect();
    names.sort();
    assert_eq!(names, want, "{v}");
    let t = text(&mut c, &format!("list files jobid={f}")).await?;
    let mut lines: Vec<&str> = t.lines().collect();
    lines.sort();
    assert_eq!(lines, want.iter().map(|w| format!(" {w}")).collect::<Vec<_>>(), "{t:?}");
    let v = c.json(&format!("list files jobid={i}")).await?;
    assert!(v["filenames"].to_string().contains("/new.txt") && !v["filenames"].to_string().contains("b.bin"), "{v}");
    let no_job = "jobid not found in db, access to job or client denied by ACL, or client not found in db\n";
    assert_eq!(json_err(&mut c, "list files jobid=99").await?, [no_job]);
    assert_eq!(json_err(&mut c, "list jobmedia jobid=99").await?, [no_job]);
    assert_eq!(json_err(&mut c, "list joblog jobid=99").await?, [no_job]);

    // list jobmedia.
    let v = c.json(&format!("list jobmedia jobid={f}")).await?;
    assert_eq!(v["jobmedia"][0]["volumename"], "Full-0001", "{v}");
    assert_eq!(v["jobmedia"][0]["jobid"], f.as_str(), "{v}");
    let t = text(&mut c, &format!("list jobmedia jobid={i}")).await?;
    let (header, rows) = table(&t)?;
    assert_eq!(header, ["jobid", "volumename", "firstindex", "lastindex"], "{t}");
    assert_eq!(cell(&header, &rows[0], "volumename").trim(), "Incremental-0002", "{t}");

    // list joblog: raw lines " <time> <logtext>"; JSON time/logtext.
    let v = c.json(&format!("list joblog jobid={f}")).await?;
    let log = v["joblog"].as_array().context("joblog")?;
    assert!(log.iter().all(|l| l.as_object().is_some_and(|o| o.len() == 2) && l["time"].as_str().is_some_and(|t| t.len() == 19)), "{v}");
    assert!(log[0]["logtext"].as_str().is_some_and(|t| t.starts_with(&format!("test-dir JobId {f}: Start Backup JobId {f}, Job=backup.")) && t.ends_with('\n')), "{v}");
    assert!(log.iter().any(|l| l["logtext"].as_str().is_some_and(|t| t.contains("Termination:            Backup OK"))), "{v}");
    let t = text(&mut c, &format!("list joblog jobid={f}")).await?;
    let first = t.lines().next().unwrap_or("");
    assert!(first.starts_with(' ') && first[20..].starts_with(&format!(" test-dir JobId {f}: Start Backup JobId {f}")), "{t}");
    assert_eq!(&first[1..20], log[0]["time"].as_str().unwrap_or(""), "{t}");
    assert_eq!(c.json(&format!("list joblog jobid={f} count")).await?["joblog"][0]["count"], log.len().to_string());

    // list volumes: grouped by lower-cased pool name in JSON, Pool: headers in text.
    let v = c.json("list volumes").await?;
    let groups = v["volumes"].as_object().context("volumes grouped by pool")?;
    assert_eq!(groups.keys().map(String::as_str).collect::<Vec<_>>(), ["full", "incremental", "differential"], "{v}");
    assert_eq!(v["volumes"]["full"][0]["volumename"], "Full-0001", "{v}");
    assert_eq!(v["volumes"]["incremental"][0]["volumename"], "Incremental-0002", "{v}");
    assert_eq!(v["volumes"]["differential"], serde_json::json!([]), "{v}");
    let vol = &v["volumes"]["full"][0];
    let keys: Vec<&str> = vol.as_object().context("volume")?.keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "mediaid", "volumename", "volstatus", "enabled", "volbytes", "volfiles", "volretention", "recycle", "slot",
            "inchanger", "mediatype", "lastwritten", "storage", "hasencryptionkey"
        ],
        "{v}"
    );
    assert!(vol.as_object().is_some_and(|o| o.values().all(Value::is_string)), "{v}");
    assert_eq!((vol["volstatus"].as_str(), vol["mediatype"].as_str(), vol["storage"].as_str()), (Some("Append"), Some("File"), Some("File")));
    let volbytes: u64 = vol["volbytes"].as_str().context("volbytes")?.parse()?;
    assert!(volbytes > 1_234_567, "{v}");
    let t = text(&mut c, "list volumes").await?;
    assert!(t.starts_with("Pool: Full\n+"), "{t}");
    assert!(t.contains("\nPool: Incremental\n+") && t.ends_with("Pool: Differential\nNo results to list.\n"), "{t}");
    let full_part = &t[..t.find("Pool: Incremental").unwrap_or(t.len())];
    let (header, rows) = table(full_part)?;
    assert_eq!(header.last().map(String::as_str), Some("hasencryptionkey"), "{t}");
    assert_eq!(cell(&header, &rows[0], "volbytes").trim(), commas(volbytes), "{t}");
    assert!(right_aligned(cell(&header, &rows[0], "volretention")) && cell(&header, &rows[0], "volretention").trim() == "31,536,000", "{t}");
    let v = c.json("list volumes all").await?;
    let all: Vec<&str> = v["volumes"].as_array().context("flat")?.iter().filter_map(|m| m["volumename"].as_str()).collect();
    assert_eq!(all, ["Full-0001", "Incremental-0002"], "{v}");
    let v = c.json("list volumes pool=Incremental").await?;
    assert_eq!(v["volumes"].as_array().map(Vec::len), Some(1), "{v}");
    let v = c.json("list volume=Full-0001").await?;
    assert_eq!(v["volume"]["volumename"], "Full-0001", "{v}");
    assert_eq!(v["volume"]["volbytes"], volbytes.to_string(), "{v}");
    let v = c.json("llist volume=Full-0001").await?;
    assert_eq!(v["volume"]["voljobs"], "1", "{v}");
    assert_eq!(v["volume"]["pool"], "Full", "{v}");

    // list pools: numvols counts the volumes.
    let v = c.json("list pools").await?;
    let pools = v["pools"].as_array().context("pools")?;
    let numvols: Vec<(&str, &str)> =
        pools.iter().map(|p| (p["name"].as_str().unwrap_or(""), p["numvols"].as_str().unwrap_or(""))).collect();
    assert_eq!(numvols, [("Full", "1"), ("Incremental", "1"), ("Differential", "0")], "{v}");

    // list jobtotals: per job name and overall (backup and archive jobs).
    let v = c.json("list jobtotals").await?;
    assert_eq!(v["jobs"].as_array().map(Vec::len), Some(1), "{v}");
    assert_eq!(v["jobs"][0]["job"], "backup", "{v}");
    assert_eq!(v["jobs"][0]["jobs"], "2", "{v}");
    assert_eq!(v["jobtotals"]["jobs"], "2", "{v}");
    let jobs = c.json("list jobs jobtype=B,A").await?;
    let sum: u64 = jobs["jobs"].as_array().context("jobs")?.iter().filter_map(|j| j["jobfiles"].as_str()?.parse::<u64>().ok()).sum();
    assert_eq!(v["jobtotals"]["files"], sum.to_string(), "the totals add the jobs' files: {v} {jobs}");
    let t = text(&mut c, "list jobtotals").await?;
    assert_eq!(t.matches("+------+-------+").count(), 6, "two tables: {t}");

    // list copies: none, so nothing at all.
    assert_eq!(c.json("list copies").await?, serde_json::json!({}));
    assert_eq!(text(&mut c, "list copies").await?, "");
    assert_eq!(text(&mut c, &format!("list copies jobid={f}")).await?, "");

    // status of the client and the storage: the daemons' own text.
    let t = text(&mut c, "status client=test-fd").await?;
    assert!(t.starts_with(&format!("Connecting to Client test-fd at 127.0.0.1:")), "{t}");
    assert!(t.contains("test-fd Version: ") && t.contains("\nTerminated Jobs:\n"), "{t}");
    let fd_job = t.lines().find(|l| l.trim_start().starts_with(&format!("{f} "))).with_context(|| format!("job {f} in:\n{t}"))?;
    assert!(fd_job.contains("Full") && fd_job.contains(" OK ") && fd_job.contains("backup."), "{fd_job}");
    let v = c.json("status client=test-fd").await?;
    assert!(v["status"].as_str().is_some_and(|s| s.contains("Terminated Jobs:")), "{v}");
    let t = text(&mut c, "status storage=File").await?;
    assert!(t.starts_with("Connecting to Storage daemon File at 127.0.0.1:"), "{t}");
    assert!(t.contains("test-sd Version: ") && t.contains("\nTerminated Jobs:\n") && t.contains("Device status:"), "{t}");
    assert!(t.lines().any(|l| l.trim_start().starts_with(&format!("{i} ")) && l.contains("Incr") && l.contains(" OK ")), "{t}");
    let e = json_err(&mut c, "status client=nobody-fd").await?;
    assert!(e.iter().any(|m| m.contains("nobody-fd")), "{e:?}");

    // status director: Bareos's Terminated Jobs columns.
    let v = c.json("status director").await?;
    assert!(v["header"]["jobs_run"].as_u64().is_some_and(|n| n >= 3), "jobs_run is an integer: {v}");
    assert_eq!(v["header"]["jobs_running"], 0, "{v}");
    let term = v["terminated"].as_array().context("terminated")?;
    assert_eq!(term.iter().map(|t| t["jobid"].as_u64().unwrap_or(0)).collect::<Vec<_>>(), [full as u64, inc as u64, restore as u64], "{v}");
    assert!(term.iter().all(|t| t["status"] == "OK"), "{v}");
    assert_eq!((term[0]["name"].as_str(), term[0]["level"].as_str(), term[0]["type"].as_str()), (Some("backup"), Some("Full"), Some("Backup")), "{v}");
    // Job 2 became an Archive job above: no level, as for restores.
    assert_eq!((term[1]["level"].as_str(), term[1]["type"].as_str()), (Some("    "), Some("Archive")), "{v}");
    assert_eq!(term[2]["name"], "RestoreFiles", "{v}");
    assert!(term[0]["files"].is_u64() && term[0]["bytes"].as_u64() == Some(jobbytes(&mut c, full).await?), "{v}");
    let t = text(&mut c, "status director").await?;
    assert!(t.starts_with("test-dir Version: 25.1.1 (04 March 2026)"), "{t}");
    assert!(t.contains("\nTerminated Jobs:\n JobId  Level    Files      Bytes   Status   Finished        Name \n====================================================================\n"), "{t}");
    let row = |id: u32, level: &str, files: u64, bytes: u64, finished: &str, name: &str| {
        format!("{id:>6}  {level:<6} {:>8} {:>10}  {:<7}  {finished:<8} {name}\n", commas(files), with_suffix(bytes), "OK")
    };
    let fin = term[0]["finished"].as_str().unwrap_or("");
    let (files0, bytes0) = (term[0]["files"].as_u64().unwrap_or(0), term[0]["bytes"].as_u64().unwrap_or(0));
    assert!(t.contains(&row(full, "Full", files0, bytes0, fin, "backup")), "want {:?} in\n{t}", row(full, "Full", files0, bytes0, fin, "backup"));
    let fin = term[2]["finished"].as_str().unwrap_or("");
    let (files2, bytes2) = (term[2]["files"].as_u64().unwrap_or(0), term[2]["bytes"].as_u64().unwrap_or(0));
    assert!(t.contains(&row(restore, "    ", files2, bytes2, fin, "RestoreFiles")), "restore jobs have no level:\n{t}");

    // A failed backup (the file daemon is gone) is not among the backups by default.
    if let Some(fd) = cl.fd.take() {
        fd.shutdown().await;
    }
    let failed = run_and_expect(&mut c, "run job=backup level=Full yes", &["f", "E"]).await?;
    let v = c.json("list backups client=test-fd").await?;
    assert!(!jobids(&v["backups"]).contains(&failed.to_string()), "{v}");
    let v = c.json("list backups client=test-fd jobstatus=f,E").await?;
    assert_eq!(jobids(&v["backups"]), [failed.to_string().as_str()], "{v}");
    assert_eq!(list_jobids(&mut c, "list jobs jobstatus=f,E").await?, [failed.to_string().as_str()]);
    let v = c.json("status director").await?;
    let last = v["terminated"].as_array().and_then(|a| a.last()).cloned().unwrap_or_default();
    assert_eq!((last["jobid"].as_u64(), last["status"].as_str()), (Some(failed as u64), Some("Error")), "{v}");
    cl.stop().await;
    Ok(())
}

async fn jobbytes(c: &mut DirectorClient, id: u32) -> Result<u64> {
    let v = c.json(&format!("list jobid={id}")).await?;
    Ok(v["jobs"][0]["jobbytes"].as_str().context("jobbytes")?.parse()?)
}

#[tokio::test]
async fn update_volume_and_label() -> Result<()> {
    let tmp = tempfile::tempdir()?;
    let data = small_tree(tmp.path())?;
    let cl = start(&data).await?;
    let mut c = cl.console().await?;
    let first = run_and_expect(&mut c, "run job=backup level=Full yes", &["T"]).await?;

    // volstatus: case-insensitive, stored in Bareos's spelling; bad values refused.
    let t = text(&mut c, "update volume=Full-0001 volstatus=used").await?;
    assert!(t.contains("New Volume status is: Used\n"), "{t}");
    let v = c.json("list volume=Full-0001").await?;
    assert_eq!(v["volume"]["volstatus"], "Used", "{v}");
    assert_eq!(json_err(&mut c, "update volume=Full-0001 volstatus=Bogus").await?, ["Invalid VolStatus specified: Bogus\n"]);
    assert_eq!(c.json("list volume=Full-0001").await?["volume"]["volstatus"], "Used");
    // A Used volume takes no more jobs: the next backup labels Full-0002.
    let second = run_and_expect(&mut c, "run job=backup level=Full yes", &["T"]).await?;
    let v = c.json(&format!("list jobmedia jobid={second}")).await?;
    assert_eq!(v["jobmedia"][0]["volumename"], "Full-0002", "{v}");
    assert_eq!(list_jobids(&mut c, "list jobs volume=Full-0001").await?, [first.to_string().as_str()]);
    assert!(cl.path("storage/Full-0002").exists(), "the volume file was written");

    // Retention, maximum jobs.
    let t = text(&mut c, "update volume=Full-0002 volretention=10d").await?;
    assert!(t.contains("New retention period is: 10 days"), "{t}");
    let t = text(&mut c, "update volume=Full-0002 maxvoljobs=1").await?;
    assert!(t.contains("New max jobs is: 1\n"), "{t}");
    let v = c.json("llist volume=Full-0002").await?;
    assert_eq!((v["volume"]["volretention"].as_str(), v["volume"]["maxvoljobs"].as_str()), (Some("864000"), Some("1")), "{v}");
    assert_eq!(c.json("list volume=Full-0002").await?["volume"]["volretention"], "864000");
    let e = json_err(&mut c, "update volume=Full-0002 volretention=forever").await?;
    assert_eq!(e, ["Invalid retention period specified: forever\n"]);
    let e = json_err(&mut c, "update volume=Full-0002 maxvoljobs=many").await?;
    assert!(!e.is_empty(), "{e:?}");

    // label: the volume file in the SD's directory and the Media row.
    let t = text(&mut c, "label storage=File volume=Manual-1 pool=Full").await?;
    assert!(t.contains("3000 OK label") && t.contains("Catalog record for Volume \"Manual-1\", Slot 0 successfully created.\n"), "{t}");
    assert!(cl.path("storage/Manual-1").is_file(), "label wrote the volume file");
    let v = c.json("list volume=Manual-1").await?;
    assert_eq!((v["volume"]["volstatus"].as_str(), v["volume"]["volbytes"].as_str()), (Some("Append"), Some(&*std::fs::metadata(cl.path("storage/Manual-1"))?.len().to_string())), "{v}");
    assert_eq!(c.json("llist volume=Manual-1").await?["volume"]["pool"], "Full");
    let e = json_err(&mut c, "label storage=File volume=Manual-1 pool=Full").await?;
    assert_eq!(e, ["Media record for new Volume \"Manual-1\" already exists.\n"]);
    let v = c.json("list pools").await?;
    assert_eq!(v["pools"][0]["numvols"], "3", "Full-0001, Full-0002 and Manual-1: {v}");

    // The dot commands GUIs use.
    let v = c.json(".media").await?;
    assert_eq!(v, serde_json::json!({"media":[{"name":"Full-0001"},{"name":"Full-0002"},{"name":"Manual-1"}]}));
    assert_eq!(text(&mut c, ".media").await?, "Full-0001\nFull-0002\nManual-1\n");
    assert_eq!(c.json(".mediatypes").await?, serde_json::json!({"mediatypes":[{"name":"File"}]}));
    let v = c.json(".defaults job=backup").await?;
    let d = v["defaults"].as_object().context("defaults object")?;
    assert_eq!(
        d.keys().map(String::as_str).collect::<Vec<_>>(),
        ["job", "pool", "messages", "client", "storage", "where", "level", "type", "fileset", "enabled", "catalog"],
        "{v}"
    );
    assert_eq!((d["job"].as_str(), d["client"].as_str(), d["storage"].as_str(), d["fileset"].as_str()), (Some("backup"), Some("test-fd"), Some("File"), Some("TestSet")));
    assert_eq!((d["level"].as_str(), d["type"].as_str(), d["enabled"].as_u64()), (Some("Incremental"), Some("Backup"), Some(1)));
    let t = text(&mut c, ".defaults job=backup").await?;
    assert!(t.starts_with("job=backup\npool=Full\nmessages=Standard\nclient=test-fd\nstorage=File\nwhere=\nlevel=Incremental\n"), "{t}");
    let v = c.json(".jobstatus").await?;
    let rows = v["jobstatus"].as_array().context("jobstatus")?;
    let t_row = rows.iter().find(|r| r["jobstatus"] == "T").context("T")?;
    assert_eq!(
        t_row,
        &serde_json::json!({"jobstatus":"T","jobstatuslong":"Completed successfully","severity":"10","exitlevel":"0","exitstatus":"Ok"})
    );
    let w = rows.iter().find(|r| r["jobstatus"] == "W").context("W")?;
    assert_eq!((w["exitlevel"].as_str(), w["exitstatus"].as_str()), (Some("1"), Some("Warning")));
    let e = rows.iter().find(|r| r["jobstatus"] == "f").context("f")?;
    assert_eq!((e["exitlevel"].as_str(), e["exitstatus"].as_str()), (Some("2"), Some("Error")));
    let r = rows.iter().find(|r| r["jobstatus"] == "R").context("R")?;
    assert_eq!((r["exitlevel"].as_str(), r["exitstatus"].as_str()), (Some(""), Some("")), "NULL: {r}");
    let t = text(&mut c, ".jobstatus").await?;
    let (header, trows) = table(&t)?;
    assert_eq!(header, ["jobstatus", "jobstatuslong", "severity", "exitlevel", "exitstatus"]);
    let tr = trows.iter().find(|r| r[0] == " T         ").context("T row")?;
    assert!(right_aligned(cell(&header, tr, "severity")) && cell(&header, tr, "severity").trim() == "10", "{t}");
    let rr = trows.iter().find(|r| r[0] == " R         ").context("R row")?;
    assert_eq!(cell(&header, rr, "exitstatus").trim(), "NULL", "{t}");
    assert_eq!(c.json(".jobstatus=T").await?["jobstatus"].as_array().map(Vec::len), Some(1));
    cl.stop().await;
    Ok(())
}

/// python-bareos's JSON console drives a backup and reads it back.
#[tokio::test]
async fn python_bareos_backup_flow() -> Result<()> {
    let Some(py) = crate::python::python()? else { return Ok(()) };
    let tmp = tempfile::tempdir()?;
    let data = small_tree(tmp.path())?;
    let cl = start(&data).await?;
    let port = cl.port.to_string();
    let out = tokio::process::Command::new(py)
        .arg(crate::python::script("interop_backup.py"))
        .args([port.as_str(), DIR_PW, &data.join("sub/b.bin").display().to_string()])
        .output()
        .await?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    cl.stop().await;
    if !out.status.success() || !stdout.contains("ALL OK") {
        bail!("python-bareos backup flow failed:\n{stdout}\n{stderr}");
    }
    Ok(())
}
